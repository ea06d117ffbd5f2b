"""Production operations: logging, request ids, HSTS, health, backup and restore.

``init_ops(app)`` (called by create_app) configures logging once, gives every request
an id (an incoming ``X-Request-ID`` is kept only when it is sane), sends it back as a
header, writes one structured line per request to the ``marketplace.request`` logger,
and adds ``Strict-Transport-Security`` to responses served over HTTPS.
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")

request_log = logging.getLogger("marketplace.request")


def configure_logging(level: str = "INFO") -> None:
    """Our own loggers at ``level``; libraries (Alembic's plugin set-up, Werkzeug, ...)
    only from WARNING on, so CLI commands print what they are asked to print."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    else:
        root.setLevel(logging.WARNING)
    logging.getLogger("marketplace").setLevel(level)


def incoming_request_id(value: str | None) -> str:
    """The caller's id when it looks like one (8–128 of ``A-Z a-z 0-9 . _ : -``),
    else a fresh random one: a log line never carries arbitrary client text."""
    if value and _SANE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


_proxy_noted = False
PROXY_SETTING = "untrusted_proxy_seen"  # analytics_settings: when a worker first saw one (Unix time)


def note_untrusted_proxy() -> None:
    """A request carried X-Forwarded-For/-Proto while TRUSTED_PROXIES=0: the app sits
    behind a proxy it ignores, so every buyer has the proxy's address (one rate limit for
    all, one visitor) and HTTPS is not seen. Logged once per process and recorded in the
    database, where ``/healthz`` of every worker and instance reports it."""
    global _proxy_noted
    _proxy_noted = True
    logging.getLogger("marketplace.ops").warning(
        "a request carried X-Forwarded-For or X-Forwarded-Proto but TRUSTED_PROXIES=0: the proxy's headers are "
        "ignored, so every client has the proxy's address. Set TRUSTED_PROXIES to the number of proxies in front.")
    import sqlalchemy as sa

    from ..extensions import db

    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO analytics_settings (key, value, updated_at) VALUES (:key, :now, NULL)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"key": PROXY_SETTING, "now": int(time.time())})
    except sa.exc.SQLAlchemyError:
        logging.getLogger("marketplace.ops").warning("could not record the proxy warning", exc_info=True)


def init_ops(app: Flask) -> None:
    configure_logging(app.config.get("LOG_LEVEL") or "INFO")

    @app.before_request
    def start_request() -> None:
        noted = vars(g._get_current_object())
        headers = request.headers
        noted["request_started"] = time.perf_counter()
        noted["request_id"] = incoming_request_id(headers.get(REQUEST_ID_HEADER))
        if not app.config.get("TRUSTED_PROXIES") and not _proxy_noted and (
                "X-Forwarded-For" in headers or "X-Forwarded-Proto" in headers):
            note_untrusted_proxy()

    @app.after_request
    def finish_request(response):
        noted = vars(g._get_current_object())
        req = request._get_current_object()
        request_id = noted.get("request_id") or incoming_request_id(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        seconds = app.config.get("HSTS_SECONDS") or 0
        # Also when SITE_URL is https: behind a TLS proxy that the app does not trust
        # (TRUSTED_PROXIES=0) the request looks like http, yet the site is https.
        # Browsers ignore the header on plain-http responses (RFC 6797 §8.1), so it is
        # never wrong to send it when the public address is https.
        if seconds > 0 and (req.is_secure or app.config.get("PREFERRED_URL_SCHEME") == "https"):
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(seconds)}; includeSubDomains")
        if app.config.get("REQUEST_LOG", True):
            started = noted.get("request_started")
            duration = (time.perf_counter() - started) * 1000 if started else None
            request_log.info(
                json.dumps(
                    {
                        "event": "request",
                        "method": req.method,
                        "path": req.path,
                        "status": response.status_code,
                        "duration_ms": round(duration, 1) if duration is not None else None,
                        "request_id": request_id,
                    },
                    ensure_ascii=False,
                )
            )
        return response
