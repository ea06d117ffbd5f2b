"""A page cache for anonymous visitors, exact and per process.

Buyer pages (``CACHED_ENDPOINTS``) are rendered once per (catalog generation, locale,
today's date in Việt Nam, URL) and then served from memory to every anonymous visitor of
this process until the catalog changes:

* **Exact.** The key's generation (``catalog/generation.py``) is moved by database
  triggers in the same transaction as any write a public page shows, so a hidden or
  changed product changes on every page in every process at the next request. An entry
  is also dropped at the next collection schedule boundary (a collection starting at
  08:00 appears then without any write), and today's date is in the key (certificate
  validity).
* **Per-visitor parts are never cached.** Templates put a *slot* where a page shows
  something of the visitor's own (``visitor_slot``): the CSRF token, the inquiry cart's
  count, the view figures (which change with every view), the search-click reference of
  the result links. The body is stored with the slots and filled at serve time — on a
  cache hit and on a fresh render alike, so both paths give the same page. Slot fillers
  live with their features (``register_slot``). Logged-in visitors (their header, their
  prefilled forms) and requests with flashed messages are not served from or stored in
  the cache.
* ``X-Page-Cache: hit`` / ``miss`` tells which (only on pages the cache serves).
* **Every view is still counted.** A hit restores what the view noted for analytics
  (the page and the search it ran, with a fresh click token), and the ``after_request``
  recording runs as for a rendered page.

Slot markers are ``_pc<nonce>_<kind>[-arg…]_``: letters, digits, ``_`` and ``-`` only,
so they pass through HTML escaping and URL building unchanged; the nonce is random per
process and never leaves it (a marker in user text cannot be forged: every marker is
replaced before the response is sent, and user text never contains this process's nonce).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from markupsafe import Markup, escape

from ..catalog import generation as catalog_generation
from ..catalog.generation import Stamp
from ..extensions import db
from ..text import today_vn, utcnow

# Pages served from the cache (GET, anonymous).
CACHED_ENDPOINTS = frozenset({
    "catalog.home",
    "catalog.listing",
    "catalog.product",
    "catalog.category",
    "catalog.area",
    "sellers.profile",
    "collections.detail",
})
# What a view notes in ``g`` for the after_request hooks (analytics); restored on a hit.
NOTED_KEYS = ("analytics_page", "analytics_search")
MAX_URL = 2048  # longer URLs are rendered, never stored
TRASH_AGE = 600  # seconds after which a half-deleted folder of the shared level is anyone's to remove

_NONCE = secrets.token_hex(8)
_MARK = f"_pc{_NONCE}_"
_MARK_BYTES = _MARK.encode()
_SLOT = re.compile(re.escape(_MARK_BYTES) + rb"([a-z]+)((?:-[A-Za-z0-9]+)*)_")

_fillers: dict[str, Callable[..., str]] = {}


def register_slot(kind: str, filler: Callable[..., str]) -> None:
    """``filler(*args) -> str`` fills the slot ``kind`` for this request (escaped here)."""
    _fillers[kind] = filler


def slot(kind: str, *args: object) -> str:
    """The marker of a per-visitor value (plain text, URL- and HTML-safe)."""
    g.pagecache_slots = True
    return _MARK + kind + "".join(f"-{a}" for a in args) + "_"


def visitor_slot(kind: str, *args: object) -> Markup:
    """Template global: ``{{ visitor_slot("cart") }}``."""
    return Markup(slot(kind, *args))


def fill(body: bytes) -> bytes:
    """Every slot of ``body`` (UTF-8) replaced by this request's value (one per slot)."""
    if _MARK_BYTES not in body:
        return body
    values: dict[bytes, bytes] = {}

    def replace(match: re.Match) -> bytes:
        marker = match.group(0)
        value = values.get(marker)
        if value is None:
            filler = _fillers.get(match.group(1).decode())
            args = match.group(2).decode().split("-")[1:]
            value = values[marker] = str(escape(filler(*args))).encode() if filler else b""
        return value

    return _SLOT.sub(replace, body)


# ------------------------------------------------------------------------------ store


@dataclass
class Entry:
    generation: Stamp
    compressed: bytes  # the UTF-8 body with its slots, zlib level 1 (~5× smaller)
    headers: list[tuple[str, str]]
    notes: dict
    expires: datetime | None
    size: int = field(init=False)

    def __post_init__(self) -> None:
        self.size = len(self.compressed) + 512

    @property
    def body(self) -> bytes:
        return zlib.decompress(self.compressed)


class PageCache:
    """Least recently used entries up to ``max_bytes``; everything of an older generation
    is dropped as soon as a request sees a newer one."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._generation: Stamp | None = None
        self._lock = threading.Lock()
        # (generation, next schedule boundary) — read once per generation.
        self._boundary: tuple[Stamp, datetime | None] | None = None
        self.hits = self.misses = 0
        self.shared: SharedStore | None = None

    def _see(self, generation: Stamp) -> None:
        # Any other value (a restored database may go back) empties the cache.
        if generation != self._generation:
            self._entries.clear()
            self._bytes = 0
            self._generation = generation

    def get(self, key: str, generation: Stamp, now: datetime) -> Entry | None:
        with self._lock:
            self._see(generation)
            entry = self._entries.get(key)
            if entry is None or entry.generation != generation or (entry.expires is not None and now >= entry.expires):
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, entry: Entry) -> None:
        if entry.size > self.max_bytes // 4:
            return
        with self._lock:
            if entry.generation != self._generation:
                return  # rendered from a generation another request has already left
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = entry
            self._bytes += entry.size
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def boundary(self, generation: Stamp, now: datetime) -> datetime | None:
        """The next collection schedule boundary after ``now`` (cached per generation)."""
        cached = self._boundary
        if cached is not None and cached[0] == generation and (cached[1] is None or cached[1] > now):
            return cached[1]
        moment = catalog_generation.next_boundary(db.session, now)
        self._boundary = (generation, moment)
        return moment

    def __len__(self) -> int:
        return len(self._entries)


class SharedStore:
    """The second level: pages shared by the worker processes of one machine, as files
    ``PAGE_CACHE_DIR/<code>-<epoch>-<generation>/<sha1 of the key>``. A page one worker
    rendered is served by the others from their first request (each worker would
    otherwise render every page once), and a recycled worker starts warm. ``<code>`` is a
    digest of the app's code, templates and translations, so a deploy never serves an
    old render; ``<epoch>`` tells databases apart. A process that moves to a newer
    generation removes the older folders. Files are written whole (temporary file, then
    rename); at most ``max_files`` per process per generation (a crawler inventing query
    strings cannot fill the disk). Any OS error only means a miss."""

    def __init__(self, root: Path, code: str, max_files: int) -> None:
        self.root, self.code, self.max_files = root, code, max_files
        self._folder: Path | None = None
        self._written = 0

    def _at(self, generation: Stamp) -> Path:
        folder = self.root / f"{self.code}-{generation[0]}-{generation[1]}"
        if folder != self._folder:
            self._folder, self._written = folder, 0
            self._purge(generation)
        return folder

    def _purge(self, generation: Stamp) -> None:
        """Remove the folders of older generations (and of other code or databases). Each
        is first renamed to a ``.trash-`` name — one rename, and only one process wins it,
        so the workers that all see the new generation do not delete the same files three
        times — then deleted in a background thread: a folder may hold thousands of pages,
        and the request that first sees a new generation must not wait for them."""
        prefix = f"{self.code}-{generation[0]}-"
        doomed = []
        try:
            for child in self.root.iterdir():
                name = child.name
                if name.startswith(".trash-"):
                    # Left by a process that died while deleting it.
                    if time.time() - child.stat().st_mtime > TRASH_AGE:
                        doomed.append(child)
                    continue
                older = name.startswith(prefix) and name[len(prefix):].isdigit() \
                    and int(name[len(prefix):]) < generation[1]
                if not child.is_dir() or not (older or not name.startswith(prefix)):
                    continue
                trash = self.root / f".trash-{secrets.token_hex(6)}"
                try:
                    child.rename(trash)
                except OSError:
                    continue  # another process took it
                doomed.append(trash)
        except OSError:
            pass
        if doomed:
            threading.Thread(target=_remove_folders, args=(doomed,), daemon=True).start()

    @staticmethod
    def _name(key: str) -> str:
        return hashlib.sha1(key.encode()).hexdigest()

    def load(self, key: str, generation: Stamp) -> Entry | None:
        path = self._at(generation) / self._name(key)
        try:
            data = path.read_bytes()
            head, _, compressed = data.partition(b"\n")
            meta = json.loads(head)
        except (OSError, ValueError):
            return None
        if meta.get("key") != key:
            return None
        expires = datetime.fromtimestamp(meta["expires"], timezone.utc) if meta.get("expires") else None
        headers = [tuple(h) for h in meta["headers"]]
        return Entry(generation, compressed, headers, meta["notes"], expires)

    def save(self, key: str, entry: Entry) -> None:
        folder = self._at(entry.generation)
        if self._written >= self.max_files:
            return
        meta = {"key": key, "headers": entry.headers, "notes": entry.notes,
                "expires": entry.expires.timestamp() if entry.expires else None}
        path = folder / self._name(key)
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(json.dumps(meta, ensure_ascii=False).encode() + b"\n" + entry.compressed)
            os.replace(temporary, path)
            self._written += 1
        except OSError:
            temporary.unlink(missing_ok=True)


def _remove_folders(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)  # another process may be removing it too


@functools.cache
def code_digest() -> str:
    """A digest of what renders a page: the package's Python files, the templates and
    the compiled translations (read once per process: ~5 ms, and the code of a running
    process does not change)."""
    root = Path(__file__).resolve().parents[2]
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


# ---------------------------------------------------------------------- the hooks


def _cacheable() -> bool:
    if request.method != "GET" or request.endpoint not in CACHED_ENDPOINTS:
        return False
    if not current_app.config.get("PAGE_CACHE", True) or len(request.full_path) > MAX_URL:
        return False
    if session.get("_flashes") or current_user.is_authenticated:
        return False
    return True


def _key(locale: str, today: date) -> str:
    return f"{locale} {today.isoformat()} {request.full_path}"


# Per-request state in ``g`` (an app context may outlive a request: tests, CLI loops).
_REQUEST_KEYS = ("pagecache", "pagecache_hit", "pagecache_slots", "pagecache_nostore", "catalog_generation",
                 "nav_categories")


def serve_cached() -> Response | None:
    """before_request: a stored page for this anonymous GET, or None (render it)."""
    for name in _REQUEST_KEYS:
        g.pop(name, None)
    if not _cacheable():
        return None
    from flask_babel import get_locale

    try:
        generation = catalog_generation.of_request()
    except Exception:  # noqa: BLE001 — no cache without a readable generation; the view reports the database
        db.session.rollback()
        return None
    now = utcnow()
    key = _key(str(get_locale()), today_vn())
    g.pagecache = (key, generation, now)
    cache = cache_of(current_app)
    entry = cache.get(key, generation, now)
    if entry is None and cache.shared is not None:
        entry = cache.shared.load(key, generation)
        if entry is None or (entry.expires is not None and now >= entry.expires):
            return None
        cache.put(key, entry)
    if entry is None:
        return None
    for name, value in entry.notes.items():
        setattr(g, name, dict(value) if isinstance(value, dict) else value)
    search = g.get("analytics_search")
    if search is not None:
        search["token"] = secrets.token_urlsafe(9)  # every search is its own event
    g.pagecache_hit = True
    g.pagecache_slots = True
    response = Response(entry.body, headers=entry.headers)
    response.headers["X-Page-Cache"] = "hit"
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


def store_and_fill(response: Response) -> Response:
    """after_request (before analytics records the view): keep a fresh anonymous page,
    then fill the slots of whatever page is being sent."""
    if not g.get("pagecache_slots"):
        return response
    body = response.get_data()
    pending = g.get("pagecache")
    if pending is not None and not g.get("pagecache_hit"):
        response.headers["X-Page-Cache"] = "miss"
    if pending is not None and not g.get("pagecache_hit") and _storable(response):
        key, generation, now = pending
        cache = cache_of(current_app)
        notes = {k: g.get(k) for k in NOTED_KEYS if g.get(k) is not None}
        if "analytics_search" in notes:
            notes["analytics_search"] = {k: v for k, v in notes["analytics_search"].items() if k != "token"}
        headers = [(k, v) for k, v in response.headers.items() if k not in ("Content-Length", "Set-Cookie", "X-Page-Cache")]
        try:
            expires = cache.boundary(generation, now)
        except Exception:  # noqa: BLE001
            db.session.rollback()
        else:
            entry = Entry(generation, zlib.compress(body, 1), headers, notes, expires)
            cache.put(key, entry)
            if cache.shared is not None:
                cache.shared.save(key, entry)
    response.set_data(fill(body))
    return response


def _csrf_token() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


def init_pagecache(app: Flask) -> None:
    """Registered after every blueprint: the before_request hook runs after analytics
    forgets a previous request's notes, and the after_request hook runs before analytics
    records the view (Flask runs after_request hooks last-registered first)."""
    cache = app.extensions["pagecache"] = PageCache(int(app.config.get("PAGE_CACHE_MAX_BYTES") or 0))
    folder = app.config.get("PAGE_CACHE_DIR")
    if folder is None:
        folder = str(Path(app.instance_path) / "pagecache")
    if folder and folder.lower() not in ("0", "off", "none"):
        cache.shared = SharedStore(Path(folder), code_digest(), int(app.config.get("PAGE_CACHE_MAX_FILES") or 0))
    register_slot("csrf", _csrf_token)
    app.add_template_global(visitor_slot, "visitor_slot")
    app.before_request(serve_cached)
    app.after_request(store_and_fill)
