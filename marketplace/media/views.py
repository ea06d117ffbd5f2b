"""Serves stored files with long cache headers (keys are content hashes)."""
from __future__ import annotations

from flask import Blueprint, abort, send_file

from . import get_storage
from .storage import is_valid_name

bp = Blueprint("media", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/media/<name>")
def file(name: str):
    if not is_valid_name(name):
        abort(404)
    storage = get_storage()
    if not storage.exists(name):
        abort(404)
    response = send_file(storage.open_path(name), max_age=ONE_YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response
