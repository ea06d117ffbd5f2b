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


@bp.get("/healthz")
def healthz():
    """200 while the database answers: the instance can serve pages. Search trouble is
    reported (``"status": "degraded"``) but keeps 200, since pages then answer from the
    database; taking every instance out because the search engine is down would turn a
    degraded site into a dead one. 503 when the database does not answer."""
    database = _database()
    search = _search() if database["ok"] else {"ok": False, "error": "database unavailable"}
    status = "ok" if database["ok"] and search["ok"] else ("degraded" if database["ok"] else "down")
    response = jsonify({"status": status, "database": database, "search": search})
    response.status_code = 200 if database["ok"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response
