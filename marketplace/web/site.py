"""Where the site lives: every absolute URL comes from ``SITE_URL``, never from the
request's Host header, and client addresses come from ``TRUSTED_PROXIES``.

A request sent with ``Host: evil.example`` still gets password-reset links, sitemap
locations, canonical links and API URLs on ``SITE_URL`` (those pages are cached and
mailed, so a forged Host would poison them). ``TRUSTED_PROXIES`` is the number of
reverse proxies in front of the app: with 0 (the default) ``X-Forwarded-For`` is
ignored, so nobody can pick their own address for rate limits and analytics.
"""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, current_app
from flask.globals import _cv_request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer
from werkzeug.middleware.proxy_fix import ProxyFix

from .templating import MarketplaceEnvironment

DEFAULT_SITE_URL = "http://127.0.0.1:5000"
URL_MEMO_ENTRIES = 4096  # built URLs kept per process (~100 B each); emptied when full
PLAIN_FUNCTIONS = 4096  # hooks and views known not to be coroutine functions; emptied when full


def check_site_url(value: str) -> str:
    """``scheme://host[:port]`` without a trailing slash; RuntimeError otherwise."""
    parts = urlsplit(str(value or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise RuntimeError(f"SITE_URL={value!r} must look like https://san-ocop.example.vn "
                           "(http or https, a host, an optional port, no path).")
    return f"{parts.scheme}://{parts.netloc.lower()}"


@functools.lru_cache(maxsize=8)
def _site_parts(value: str):  # noqa: ANN202 — urlsplit's result, per SITE_URL (read on every request)
    return urlsplit(value)


def site_url(path: str = "") -> str:
    """``SITE_URL`` + ``path`` (a path starting with "/")."""
    return current_app.config["SITE_URL"] + path


def harden_cookies(response, config) -> None:
    """Every Set-Cookie of the response gets HttpOnly, SameSite and (when sessions are
    Secure) Secure from the configuration — the session and ``remember_token`` are set
    so already; this also covers any cookie a later feature or extension adds."""
    headers = response.headers.getlist("Set-Cookie")
    if not headers:
        return
    samesite = config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    hardened = []
    for header in headers:
        attributes = {part.strip().split("=", 1)[0].lower() for part in header.split(";")[1:]}
        if "httponly" not in attributes:
            header += "; HttpOnly"
        if "samesite" not in attributes:
            header += f"; SameSite={samesite}"
        if config.get("SESSION_COOKIE_SECURE") and "secure" not in attributes:
            header += "; Secure"
        hardened.append(header)
    response.headers.setlist("Set-Cookie", hardened)


class ShortPayloadSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer that tries zlib only on payloads long
    enough to gain from it. Its own ``dump_payload`` compresses every payload and keeps
    the result if shorter: for a session holding a CSRF token (~60 bytes of JSON) it
    never is, and setting up a deflate stream was a tenth of a cached page's work. The
    tokens are the same format (an uncompressed payload has no leading "."), read by any
    itsdangerous serializer with the same secret and salt."""

    COMPRESS_FROM = 256  # bytes of JSON

    def dump_payload(self, obj) -> bytes:  # noqa: ANN001
        json = Serializer.dump_payload(self, obj)
        if len(json) < self.COMPRESS_FROM:
            return base64_encode(json)
        return super().dump_payload(obj)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per secret
    instead of twice a request (opened and saved): every anonymous newcomer gets a session
    for the CSRF token of the page's forms, cached page or not."""

    _kept: tuple[tuple, object] | None = None

    def get_signing_serializer(self, app):  # noqa: ANN001, ANN201
        if not app.secret_key:
            return None
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), self.salt)
        kept = self._kept
        if kept is None or kept[0] != key:
            flask_made = super().get_signing_serializer(app)  # Flask's arguments, this class
            kept = self._kept = (key, ShortPayloadSerializer(
                flask_made.secret_keys, salt=flask_made.salt, serializer=flask_made.serializer,
                signer_kwargs=flask_made.signer_kwargs))
        return kept[1]

    def open_session(self, app, request):  # noqa: ANN001, ANN201
        # A newcomer has no cookie: the empty session Flask would give, without the
        # KeyError ``request.cookies.get`` raises and catches inside.
        if self.get_cookie_name(app) not in request.cookies and self.get_signing_serializer(app) is not None:
            return self.session_class()
        return super().open_session(app, request)


class MarketplaceFlask(Flask):
    """Flask whose URL adapters build external URLs on ``SITE_URL``: ``url_for(...,
    _external=True)`` in views, templates, mails and CLI commands alike; and whose
    responses carry only hardened cookies."""

    jinja_environment = MarketplaceEnvironment  # imports of macros without a per-import cost
    session_interface = SessionInterface()

    def __init__(self, *args, **kwargs) -> None:
        self._plain_functions: set = set()
        super().__init__(*args, **kwargs)

    def ensure_sync(self, func):  # noqa: ANN001, ANN201
        """``Flask.ensure_sync``, which asks ``inspect`` whether each hook and view is a
        coroutine function on every call (~20 times a request); none here is one, so
        plain functions are remembered as such (a coroutine function still goes through
        Flask, every time)."""
        plain = self._plain_functions
        try:
            if func in plain:
                return func
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func:
            if len(plain) >= PLAIN_FUNCTIONS:
                plain.clear()
            plain.add(func)
        return wrapped

    def process_response(self, response):
        response = super().process_response(response)  # after_request hooks, session saved
        harden_cookies(response, self.config)
        return response

    def url_for(self, /, endpoint: str, *, _anchor: str | None = None, _method: str | None = None,
                _scheme: str | None = None, _external: bool | None = None, **values) -> str:
        """``Flask.url_for``, kept per process by everything the URL is made of.

        A buyer page builds 40-50 URLs, most of them the same on every page (the header,
        the category menu, the footer, static files), and each build walks the routing
        map. In a request, with no ``url_defaults`` callbacks, the result depends only on
        the arguments (with their types: ``True == 1`` as keys, not as URLs), the blueprint
        (relative endpoints), the script root and — for an external URL — ``SITE_URL``,
        which never changes while the process lives. A build that raises is not kept."""
        ctx = _cv_request.get(None)
        if ctx is None or any(self.url_default_functions.values()):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        try:
            key = (endpoint, ctx.request.blueprint if endpoint[:1] == "." else None, _anchor, _method, _scheme,
                   _external, ctx.url_adapter.script_name,
                   tuple((name, type(value), value) for name, value in sorted(values.items())))
            url = self._url_memo.get(key)
        except TypeError:  # an unhashable value (a list of query values): build it
            key, url = None, None
        if url is None:
            url = super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                  _external=_external, **values)
            if key is not None:
                if len(self._url_memo) >= URL_MEMO_ENTRIES:
                    self._url_memo.clear()
                self._url_memo[key] = url
        return url

    @property
    def _url_memo(self) -> dict:
        return self.extensions.setdefault("url_memo", {})

    def create_url_adapter(self, request):
        adapter = super().create_url_adapter(request)
        site = _site_parts(self.config["SITE_URL"])
        if adapter is None and request is None:  # app context without SERVER_NAME (CLI)
            return self.url_map.bind(site.netloc, script_name=self.config["APPLICATION_ROOT"],
                                     url_scheme=site.scheme)
        if adapter is not None:
            # Only building uses these two (routing matches the path, not the host).
            adapter.server_name = site.netloc
            adapter.url_scheme = site.scheme
        return adapter


def init_site(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
