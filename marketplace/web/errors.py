"""Error pages: Vietnamese HTML for pages, JSON for /api."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if _wants_json():
            return jsonify({"error": exc.description or exc.name, "status": exc.code}), exc.code
        template = "errors/404.html" if exc.code == 404 else "errors/generic.html"
        return render_template(template, error=exc), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        app.logger.exception("Unhandled error on %s", request.path)
        from ..extensions import db
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": _("Lỗi máy chủ, vui lòng thử lại sau."), "status": 500}), 500
        return render_template("errors/500.html"), 500
