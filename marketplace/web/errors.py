"""Error pages: Vietnamese HTML for pages, JSON for /api — one message per status code."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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
        app.logger.exception("Unhandled error on %s", request.path)
        from ..extensions import db
        db.session.rollback()
        if _wants_json():
            return jsonify({"error": _("Lỗi máy chủ, vui lòng thử lại sau."), "status": 500}), 500
        return render_template("errors/500.html"), 500
