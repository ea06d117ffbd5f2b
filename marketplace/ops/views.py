"""``GET /healthz``: database and search health as JSON, for load balancers and monitors."""
from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Blueprint, jsonify

from ..extensions import db

bp = Blueprint("ops", __name__)


def _database() -> dict:
    started = time.perf_counter()
    try:
        db.session.execute(sa.text("SELECT 1"))
        db.session.rollback()
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc.orig if hasattr(exc, "orig") and exc.orig else exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _search() -> dict:
    from ..search import get_search

    try:
        health = get_search().health()
    except Exception as exc:  # noqa: BLE001 — a health check reports, it never raises
        return {"ok": False, "status": "down", "error": type(exc).__name__}
    finally:
        db.session.rollback()
    return {
        "ok": health.ok,
        # "rebuilding": the engine's index is being repaired; searches answer from the database.
        "status": health.status or ("ok" if health.ok else "down"),
        "backend": health.backend,
        "documents": health.documents,
        "pending": health.pending,
    }


def warnings() -> list[str]:
    """What an operator should fix though the site serves: a proxy the app ignores, a
    production SITE_URL without https, a periodic job that is late."""
    from flask import current_app

    from ..config import is_production
    from ..jobs import status as job_status
    from . import PROXY_SETTING

    found = []
    try:
        seen = db.session.scalar(sa.text("SELECT value FROM analytics_settings WHERE key = :key"),
                                 {"key": PROXY_SETTING})
        if seen and not current_app.config.get("TRUSTED_PROXIES"):
            found.append("requests carry X-Forwarded-For/X-Forwarded-Proto but TRUSTED_PROXIES=0: "
                         "every client has the proxy's address; set TRUSTED_PROXIES")
        found.extend(f"job {j.name} is late (last success more than twice its interval ago)"
                     + (f": {j.last_error}" if j.last_error else "") for j in job_status(current_app) if j.late)
        db.session.rollback()
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        found.append(f"warnings unavailable: {type(exc).__name__}")
    if is_production(current_app) and current_app.config.get("PREFERRED_URL_SCHEME") != "https":
        found.append("APP_ENV=production with a SITE_URL that is not https")
    return found


@bp.get("/healthz")
def healthz():
    """200 while the database answers: the instance can serve pages. Search trouble is
    reported (``"status": "degraded"``) but keeps 200, since pages then answer from the
    database; taking every instance out because the search engine is down would turn a
    degraded site into a dead one. 503 when the database does not answer."""
    database = _database()
    search = _search() if database["ok"] else {"ok": False, "error": "database unavailable"}
    status = "ok" if database["ok"] and search["ok"] else ("degraded" if database["ok"] else "down")
    body = {"status": status, "database": database, "search": search}
    if database["ok"]:
        body["warnings"] = warnings()
    response = jsonify(body)
    response.status_code = 200 if database["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response
