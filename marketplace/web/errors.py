"""Error pages: Vietnamese HTML for pages, JSON for /api — one message per status code."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: _l("Yêu cầu không hợp lệ. Vui lòng kiểm tra lại thông tin đã nhập."),
    401: _l("Bạn cần đăng nhập để xem trang này."),
    403: _l("Bạn không có quyền truy cập trang này."),
    404: _l("Không tìm thấy trang hoặc dữ liệu được yêu cầu."),
    405: _l("Thao tác này không được hỗ trợ tại địa chỉ này."),
    410: _l("Trang này đã bị gỡ bỏ."),
    413: _l("Dữ liệu gửi lên quá lớn."),
    429: _l("Bạn thao tác quá nhanh. Vui lòng thử lại sau ít phút."),
    503: _l("Hệ thống đang bảo trì. Vui lòng quay lại sau."),
}
DATABASE_UNAVAILABLE = _l(
    "Hệ thống đang quá tải hoặc tạm thời không truy cập được dữ liệu. Vui lòng thử lại sau ít phút."
)
# SQLite messages and PostgreSQL SQLSTATE classes that mean "the database cannot answer
# right now" (locked, busy, down, full, pool exhausted), as opposed to a bug such as a
# missing table, which stays a 500.
_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "disk is full", "readonly database")
_PG_UNAVAILABLE = ("08", "53", "57P", "55P03", "40001", "40P01")


def is_database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, (sa.exc.TimeoutError, sa.exc.InterfaceError)):
        return True  # pool exhausted, connection gone
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate.startswith(_PG_UNAVAILABLE)
    if type(exc.orig).__module__.startswith("psycopg"):
        return True  # no SQLSTATE: the connection itself failed
    message = str(exc.orig).lower()
    return any(marker in message for marker in _SQLITE_UNAVAILABLE)

CONCURRENT_CHANGE = _l(
    "Dữ liệu vừa được thay đổi ở nơi khác trong lúc bạn thao tác, nên thay đổi của bạn chưa được lưu. "
    "Vui lòng tải lại trang, xem dữ liệu mới nhất rồi thực hiện lại."
)
CSRF_MESSAGE = _l("Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và gửi lại.")


def error_message(exc: HTTPException) -> str:
    """A view's own description wins; werkzeug's English defaults never reach users."""
    if isinstance(exc, CSRFError):
        return str(CSRF_MESSAGE)
    if exc.description and exc.description != type(exc).description:
        return exc.description
    return str(MESSAGES.get(exc.code or 0, _("Đã có lỗi với yêu cầu của bạn.")))


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def init_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        message = error_message(exc)
        if _wants_json():
            return jsonify({"error": message, "status": exc.code}), exc.code
        template = "errors/404.html" if exc.code == 404 else "errors/generic.html"
        return render_template(template, error=exc, message=message), exc.code

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        if is_database_unavailable(exc):
            return database_unavailable(exc)
        if isinstance(exc, StaleDataError):
            return concurrent_change(exc)
        from ..media.storage import STORAGE_FULL_MESSAGE, StorageFull
        if isinstance(exc, StorageFull):
            # Any upload path without its own message (photos have one): 507, nothing kept.
            app.logger.error("Storage full on %s %s: %s", request.method, request.path, exc)
            from ..extensions import db
            db.session.rollback()
            message = str(STORAGE_FULL_MESSAGE)
            if _wants_json():
                return jsonify({"error": message, "status": 507}), 507
            return render_template("errors/generic.html", error=exc_with_code(507), message=message), 507
        app.logger.exception("Unhandled error on %s", request.path)
        from ..extensions import db
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": _("Lỗi máy chủ, vui lòng thử lại sau."), "status": 500}), 500
        return render_template("errors/500.html"), 500


def database_unavailable(exc: Exception):
    """503 (with Retry-After) for a database that cannot answer right now: never a 500
    or a stack trace for a lock or an outage. The page is a standalone template: the
    usual layout loads categories and the signed-in user from the very database that
    just failed."""
    from flask import current_app

    from ..extensions import db

    current_app.logger.error("Database unavailable on %s %s: %s", request.method, request.path, exc)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 — the connection may be gone; the page must still go out
        pass
    message = str(DATABASE_UNAVAILABLE)
    if _wants_json():
        response = jsonify({"error": message, "status": 503})
    else:
        response = current_app.make_response(render_template("errors/unavailable.html", message=message))
    response.status_code = 503
    response.headers["Retry-After"] = "30"
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_url() -> str:
    """Where the refused request came from (this site only), else the page itself for a
    GET, else the home page."""
    from flask import url_for

    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return url_for("catalog.home")


def concurrent_change(exc: StaleDataError):
    """409 for an optimistic-locking conflict (a product's version changed between this
    request's read and its write, e.g. a seller's save while staff approve): nothing of
    this request is saved; the user reloads and decides again. Never a 500."""
    from flask import current_app

    from ..extensions import db

    current_app.logger.warning("Concurrent change on %s %s: %s", request.method, request.path, exc)
    db.session.rollback()
    message = str(CONCURRENT_CHANGE)
    if _wants_json():
        response = jsonify({"error": message, "status": 409})
    else:
        response = current_app.make_response(render_template(
            "errors/generic.html", error=exc_with_code(409), message=message, back_url=_back_url()))
    response.status_code = 409
    response.headers["Cache-Control"] = "no-store"
    return response


def exc_with_code(code: int) -> HTTPException:
    error = HTTPException()
    error.code = code
    return error
