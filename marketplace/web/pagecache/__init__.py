"""A page cache for anonymous visitors: exact, shared by the workers of a machine, and
invalidated in proportion to what changed.

Buyer pages (``CACHED_ENDPOINTS``) are rendered once and served to every anonymous
visitor until a scope they noted (``catalog.generation.depends``) moves. Keys are
``keys.py``, per-visitor markers ``slots.py``, the two storage levels ``store.py``.
How it works, its settings and headers: docs/pagecache.md.
"""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
import zlib
from datetime import datetime
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from werkzeug.datastructures import Headers
from flask_login import current_user

from ...catalog import generation as catalog_generation
from ...catalog import showcase
from ...extensions import db, release_request_connection, request_connection
from ...i18n import current_locale
from ...text import today_vn, utcnow
from ..site import ShortPayloadSerializer
from . import slots
from .keys import page_key
from .slots import before_fill, register_slot, slot, visitor_slot
from .store import Entry, PageCache, SharedStore

__all__ = ["before_fill", "register_slot", "slot", "visitor_slot", "keep_out_of_page_cache", "init_pagecache", "cache_of",
           "Entry", "PageCache", "SharedStore"]

# Pages served from the cache (GET, anonymous).
CACHED_ENDPOINTS = frozenset({
    "catalog.home",
    "catalog.listing",
    "catalog.product",
    "catalog.category",
    "catalog.area",
    "sellers.profile",
    "collections.detail",
    "seasons.calendar_page",  # /mua-vu: by month (?thang=), default this month (the key's date)
    "traceability.scan",
})
# What a view notes in ``g`` for the after_request hooks (analytics); restored on a hit.
NOTED_KEYS = ("analytics_page", "analytics_search")
MAX_URL = 2048  # longer URLs are rendered, never stored

# Per-request state in ``g`` (an app context may outlive a request: tests, CLI loops).
_REQUEST_KEYS = ("pagecache", "pagecache_hit", "pagecache_markers", "pagecache_prefix", "pagecache_nostore",
                 "catalog_generation",
                 "catalog_scopes", "nav_categories")


@functools.cache
def code_digest() -> str:
    """A digest of what renders a page: the package's Python files, the templates and
    the compiled translations (read once per process)."""
    root = Path(__file__).resolve().parents[3]
    digest = hashlib.sha1()
    for folder, patterns in ((root / "marketplace", ("*.py", "*.mo")), (root / "templates", ("*",))):
        for pattern in patterns:
            for path in sorted(folder.rglob(pattern)):
                if path.is_file():
                    digest.update(str(path.relative_to(root)).encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cache_of(app: Flask) -> PageCache:
    return app.extensions["pagecache"]


def _cacheable() -> bool:
    req = request._get_current_object()
    if req.method != "GET" or req.endpoint not in CACHED_ENDPOINTS:
        return False
    if not current_app.config.get("PAGE_CACHE", True) or len(req.full_path) > MAX_URL:
        return False
    if session.get("_flashes") or current_user.is_authenticated:
        return False
    return True


def _valid(entry: Entry, stamp: catalog_generation.Stamp, now: datetime) -> bool:
    """Whether ``entry`` may be served under the catalog as this request sees it: the same
    database, not past its boundary, and none of its scopes moved since it was rendered
    (not even asked when the generation has not moved since it was last found valid)."""
    if entry.epoch != stamp[0] or (entry.expires is not None and now >= entry.expires):
        return False
    if entry.checked == stamp[1]:
        return True
    if catalog_generation.changed_since(entry.as_of, entry.scopes):
        return False
    entry.checked = stamp[1]
    return True


def serve_cached() -> Response | None:
    """before_request: a stored page for this anonymous GET, or None (render it)."""
    noted = vars(g._get_current_object())  # one context lookup, not one per name
    for name in _REQUEST_KEYS:
        noted.pop(name, None)
    if not _cacheable():
        return None
    try:
        # Read before anything a render would read; on the request's own connection, given
        # back below if the page is rendered (one connection of the pool a request).
        stamp = catalog_generation.of_request(request_connection())
    except Exception:  # noqa: BLE001 — no cache without a readable generation; the view reports the database
        release_request_connection()
        db.session.rollback()
        return None
    now = utcnow()
    app = current_app._get_current_object()
    key = page_key(request.endpoint, str(current_locale()), today_vn())
    if len(key) > MAX_URL + 64:
        release_request_connection()
        return None
    noted["pagecache"] = (key, stamp, now)
    cache = cache_of(app)
    try:
        entry = cache.get(key)
        if entry is not None and not _valid(entry, stamp, now):
            cache.discard(key)
            entry = None
        if entry is None and cache.shared is not None:
            entry = cache.shared.load(key, stamp[0])
            if entry is not None and not _valid(entry, stamp, now):
                entry = None
            if entry is not None:
                cache.put(key, entry)
    except Exception:  # noqa: BLE001 — a cache that cannot answer is a miss
        app.logger.exception("page cache: lookup failed")
        db.session.rollback()
        entry = None
    if entry is None:
        cache.misses += 1
        release_request_connection()
        return None
    cache.hits += 1
    for name, value in entry.notes.items():
        noted[name] = dict(value) if isinstance(value, dict) else value
    search = noted.get("analytics_search")
    if search is not None:
        search["token"] = secrets.token_urlsafe(9)  # every search is its own event
    noted["pagecache_hit"] = entry
    headers = Headers()
    headers._list = list(entry.headers)  # checked by werkzeug when the page was rendered, not again
    response = Response(cache.body(key, entry), headers=headers)
    response.headers["X-Page-Cache"] = "hit"
    if app.config.get("PAGE_CACHE_PROCESS_HEADERS"):
        response.headers["X-Page-Rendered-By"] = str(entry.renderer)
    return response


def keep_out_of_page_cache() -> None:
    """For a view whose page must not be stored (the search engine was down and the
    results came from the degraded fallback): served once, rendered again next time."""
    g.pagecache_nostore = True


def _storable(response: Response) -> bool:
    return (
        not g.get("pagecache_nostore")
        and response.status_code == 200
        and not response.direct_passthrough
        and response.mimetype == "text/html"
        and not getattr(request_ctx, "flashes", None)  # the page showed flashed messages
        and "Set-Cookie" not in response.headers
    )


def _own_token_as_slot(body: bytes, markers: tuple[str, ...]) -> tuple[bytes, tuple[str, ...]]:
    """The page as stored: a CSRF token the render wrote into the page itself (a template
    calling ``csrf_token()``, a WTForms hidden field) would be this visitor's token for
    everyone the page is served to, and their posts would fail; it is stored as the
    ``csrf`` slot, filled per visitor like the ones templates make."""
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token")
    if not isinstance(token, str) or not token or token.encode() not in body:
        return body, markers
    marker = slots.slot("csrf")
    return body.replace(token.encode(), marker.encode()), markers if marker in markers else (*markers, marker)


def _store(response: Response, body: bytes, markers: tuple[str, ...]) -> None:
    key, stamp, now = g.pagecache
    cache = cache_of(current_app)
    notes = {k: g.get(k) for k in NOTED_KEYS if g.get(k) is not None}
    if "analytics_search" in notes:
        notes["analytics_search"] = {k: v for k, v in notes["analytics_search"].items() if k != "token"}
    headers = [(k, v) for k, v in response.headers.items() if k not in ("Content-Length", "Set-Cookie", "X-Page-Cache")]
    scopes = tuple(sorted(catalog_generation.noted_scopes() | {catalog_generation.ALL}))
    try:
        # A write that committed while this page rendered may or may not be in it: keep
        # only a page none of whose scopes moved since the generation read before it.
        if catalog_generation.moved_since(stamp, scopes):
            return
        # Collections start and end on a schedule, without a write: a page showing them
        # ends at the next boundary.
        shows_collections = any(s == "colls" or s.startswith("coll:") for s in scopes)
        expires = showcase.provider().next_boundary(db.session, now) if shows_collections else None
    except Exception:  # noqa: BLE001
        db.session.rollback()
        return
    body, markers = _own_token_as_slot(body, markers)
    entry = Entry(stamp[0], stamp[1], scopes, zlib.compress(body, 1), headers, notes, expires, markers,
                  os.getpid(), checked=stamp[1])
    cache.put(key, entry)
    if cache.shared is not None:
        cache.shared.save(key, entry)


def store_and_fill(response: Response) -> Response:
    """after_request (before analytics records the view): keep a fresh anonymous page,
    then fill the slots of whatever page is being sent."""
    noted = g._get_current_object()
    hit = noted.get("pagecache_hit")
    markers = hit.markers if hit is not None else slots.made()
    pending = noted.get("pagecache") is not None and hit is None  # a cacheable page, rendered now
    process_headers = current_app.config.get("PAGE_CACHE_PROCESS_HEADERS")
    if pending:
        response.headers["X-Page-Cache"] = "miss"
        if process_headers:
            response.headers["X-Page-Rendered-By"] = str(os.getpid())
    if process_headers:
        response.headers["X-Served-By"] = str(os.getpid())
    if not markers and not pending:
        return response
    body = response.get_data()
    if pending and _storable(response):
        _store(response, body, markers)
    if markers:
        slots.run_before_fill(response)
        response.set_data(slots.fill(body, markers))
    return response


_csrf_serializers: dict[tuple[str | bytes, str], ShortPayloadSerializer] = {}


def _csrf_token() -> str:
    """``flask_wtf.csrf.generate_csrf()`` (same session key, same signed token, noted in
    ``g`` where Flask-WTF's own ``csrf_token()`` finds it), with the serializer made once
    per secret: this slot is filled on every page with a form, cached or not."""
    app = current_app._get_current_object()
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    field = app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    if not secret:
        raise RuntimeError("A secret key is required to use CSRF.")
    noted = vars(g._get_current_object())
    if field not in noted:
        serializer = _csrf_serializers.get((secret, field))
        if serializer is None:
            serializer = _csrf_serializers[(secret, field)] = ShortPayloadSerializer(secret, salt="wtf-csrf-token")
        visitor = session._get_current_object()
        if not isinstance(visitor.get(field), str):
            visitor[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        noted[field] = serializer.dumps(visitor[field])
    return noted.get(field)


def init_pagecache(app: Flask) -> None:
    """Registered after every blueprint: the before_request hook runs after analytics
    forgets a previous request's notes, and the after_request hook runs before analytics'
    (Flask runs after_request hooks last-registered first): it stores the page, then runs
    the ``before_fill`` hooks (analytics records the view there), then fills the slots."""
    cache = app.extensions["pagecache"] = PageCache(int(app.config.get("PAGE_CACHE_MAX_BYTES") or 0))
    folder = app.config.get("PAGE_CACHE_DIR")
    if folder is None:
        folder = str(Path(app.instance_path) / "pagecache")
    if folder and folder.lower() not in ("0", "off", "none"):
        cache.shared = SharedStore(Path(folder), code_digest(), int(app.config.get("PAGE_CACHE_DIR_MAX_BYTES") or 0))
    register_slot("csrf", _csrf_token)
    app.add_template_global(visitor_slot, "visitor_slot")
    app.before_request(serve_cached)
    app.after_request(store_and_fill)
