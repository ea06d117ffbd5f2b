"""Stored files (long cache headers) and the seller's photo management pages."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from ..sellers.access import get_owned_product
from ..extensions import db
from ..web.auth import require_seller
from . import get_storage
from .forms import PhotoActionForm, PhotoUploadForm
from .images import ImageRejected
from .services import MAX_PHOTOS, PhotoError, add_photo, delete_photo, move_photo, reserve_uploads, set_cover
from .storage import is_valid_name

bp = Blueprint("media", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.get("/media/<name>")
def file(name: str):
    # PDFs are only certificate scans: private, served by the dashboard to owner and staff.
    if not is_valid_name(name) or name.endswith(".pdf"):
        abort(404)
    storage = get_storage()
    if not storage.exists(name):
        abort(404)
    response = send_file(storage.open_path(name), max_age=ONE_YEAR, conditional=True)
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    return response


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """An upload over MAX_CONTENT_LENGTH: a Vietnamese page (JSON under /api), not a 500."""
    limit_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024)
    message = _("Tệp tải lên quá lớn (tối đa %(mb)d MB mỗi lần).", mb=limit_mb)
    if request.path.startswith("/api/"):
        return jsonify({"error": message, "status": 413}), 413
    back = request.path if request.method == "POST" else url_for("catalog.home")
    return render_template("media/too_large.html", limit_mb=limit_mb, back_url=back), 413


def _owned_product(view):
    """Log-in required; the product must belong to the current user's seller (else 404)."""

    @wraps(view)
    @login_required
    def wrapped(product_id: int, **kwargs):
        product = get_owned_product(require_seller(), product_id)
        return view(product, **kwargs)

    return wrapped


def _photos_page(product, form, status: int = 200):
    return (
        render_template(
            "media/photos.html",
            product=product,
            form=form,
            action_form=PhotoActionForm(),
            max_photos=MAX_PHOTOS,
        ),
        status,
    )


@bp.route("/dashboard/san-pham/<id:product_id>/anh", methods=["GET", "POST"])
@_owned_product
def photos(product):
    form = PhotoUploadForm()
    if not form.is_submitted():
        return _photos_page(product, form)
    if not form.validate():
        return _photos_page(product, form, 400)
    uploads = [f for f in (form.photos.data or []) if f and getattr(f, "filename", "")]
    if not uploads:
        form.photos.errors.append(_("Hãy chọn ít nhất một ảnh."))
        return _photos_page(product, form, 400)
    free = MAX_PHOTOS - len(product.photos)
    if len(uploads) > free:
        form.photos.errors.append(
            _("Mỗi sản phẩm có tối đa %(max)d ảnh; bạn chỉ có thể thêm %(free)d ảnh nữa.", max=MAX_PHOTOS, free=max(free, 0))
        )
        return _photos_page(product, form, 400)
    try:
        reserve_uploads(current_user.id, len(uploads))
    except PhotoError as exc:
        db.session.rollback()
        form.photos.errors.append(exc.message)
        return _photos_page(product, form, 429)
    # The quota is committed before decoding: failed or huge files count too, and no
    # write transaction stays open while pictures are decoded.
    db.session.commit()
    # All or nothing: one bad file and none of the batch is kept.
    problems = []
    for upload in uploads:
        try:
            add_photo(product, upload.stream, alt=form.alt.data or "", actor=current_user._get_current_object())
        except (ImageRejected, PhotoError) as exc:
            problems.append(f"{upload.filename}: {exc.message}")
    if problems:
        db.session.rollback()  # files written for the good ones are removed (media.services GC)
        form.photos.errors.extend(problems)
        if len(uploads) > 1:
            form.photos.errors.append(_("Chưa ảnh nào được lưu. Hãy bỏ các tệp lỗi rồi tải lên lại."))
        product = db.session.get(type(product), product.id)
        return _photos_page(product, form, 400)
    db.session.commit()
    flash(_("Đã thêm %(n)d ảnh.", n=len(uploads)), "success")
    return redirect(url_for("media.photos", product_id=product.id))


def _photo_action(product, photo_id: int, action) -> object:
    form = PhotoActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(product, photo_id, actor=current_user._get_current_object())
    except LookupError:
        abort(404)
    db.session.commit()
    return redirect(url_for("media.photos", product_id=product.id))


@bp.post("/dashboard/san-pham/<id:product_id>/anh/<id:photo_id>/xoa")
@_owned_product
def delete(product, photo_id: int):
    response = _photo_action(product, photo_id, delete_photo)
    flash(_("Đã xoá ảnh."), "success")
    return response


@bp.post("/dashboard/san-pham/<id:product_id>/anh/<id:photo_id>/len")
@_owned_product
def move_up(product, photo_id: int):
    return _photo_action(product, photo_id, lambda p, i, actor: move_photo(p, i, -1, actor=actor))


@bp.post("/dashboard/san-pham/<id:product_id>/anh/<id:photo_id>/xuong")
@_owned_product
def move_down(product, photo_id: int):
    return _photo_action(product, photo_id, lambda p, i, actor: move_photo(p, i, +1, actor=actor))


@bp.post("/dashboard/san-pham/<id:product_id>/anh/<id:photo_id>/anh-bia")
@_owned_product
def cover(product, photo_id: int):
    response = _photo_action(product, photo_id, set_cover)
    flash(_("Đã chọn ảnh bìa."), "success")
    return response
