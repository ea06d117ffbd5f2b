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


def init_ops(app: Flask) -> None:
    configure_logging(app.config.get("LOG_LEVEL") or "INFO")

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = incoming_request_id(request.headers.get(REQUEST_ID_HEADER))

    @app.after_request
    def finish_request(response):
        request_id = g.get("request_id") or incoming_request_id(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        seconds = app.config.get("HSTS_SECONDS") or 0
        if request.is_secure and seconds > 0:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(seconds)}; includeSubDomains")
        if app.config.get("REQUEST_LOG", True):
            started = g.get("request_started")
            duration = (time.perf_counter() - started) * 1000 if started else None
            request_log.info(
                json.dumps(
                    {
                        "event": "request",
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round(duration, 1) if duration is not None else None,
                        "request_id": request_id,
                    },
                    ensure_ascii=False,
                )
            )
        return response
