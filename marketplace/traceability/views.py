"""Lots: the public scan page (``/truy-xuat/<code>``), the GS1 Digital Link resolver
(``/01/<GTIN>[/10/<lot>]``), the seller's lot pages (/dashboard/lo-hang) and the staff's
(``staff_views``)."""
from __future__ import annotations

from urllib.parse import quote_plus

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.forms import apply_errors
from ..catalog.models import Product
from ..extensions import db
from ..media.images import ImageRejected, rendition_name
from ..signals import page_viewed
from ..text import format_date
from ..validation import ValidationError
from ..web.formats import thousands
from ..web.auth import require_seller
from ..web.urls import url_for_value
from . import queries, services
from .forms import LotForm
from .gs1 import LinkError, display_gtin, link_path, parse_link
from .models import Lot

bp = Blueprint("traceability", __name__)

PHOTO_LIMIT = 10 * 1024 * 1024
UNITS = ("kg", "tấn", "hộp", "gói", "túi", "chai", "lọ", "thùng", "bó", "cây", "quả")


@bp.record_once
def _register_staff(state) -> None:  # noqa: ANN001
    from .staff_views import bp as staff_bp

    state.app.register_blueprint(staff_bp)


@bp.app_template_global()
def map_link(lot: Lot) -> str:
    """A map search for the lot's place (its growing-area code or place, the product's
    commune, the province)."""
    product = lot.product
    parts = [lot.origin]
    if product.area is not None and product.area.name not in lot.origin:
        parts.append(product.area.name)
    parts.append("Thái Nguyên")
    return "https://www.openstreetmap.org/search?query=" + quote_plus(", ".join(parts))


@bp.app_template_global()
def lot_photo_url(lot: Lot, width: int = 320) -> str:
    return url_for_value("media.file", "name", rendition_name(lot.photo_key, width))


bp.add_app_template_filter(display_gtin, "gtin")

FIELD_LABELS = {
    "product_id": _l("Sản phẩm"),
    "code": _l("Mã lô"),
    "harvested_on": _l("Ngày thu hoạch / sản xuất"),
    "quantity": _l("Số lượng"),
    "unit": _l("Đơn vị"),
    "origin": _l("Vùng trồng / nơi sản xuất"),
    "best_before": _l("Hạn sử dụng"),
    "packing_facility": _l("Cơ sở đóng gói"),
    "notes": _l("Ghi chú"),
    "photo": _l("Ảnh"),
    "certifications": _l("Chứng nhận áp dụng"),
}


@bp.app_template_global()
def lot_field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


@bp.app_template_global()
def lot_history_value(field: str, value) -> str:  # noqa: ANN001
    """A value of the history as buyers read it (dates dd/mm/yyyy, "–" for empty)."""
    if value in (None, ""):
        return "–"
    if field in ("harvested_on", "best_before"):
        from datetime import date

        return format_date(date.fromisoformat(value))
    if field == "quantity":
        return thousands(value)
    if isinstance(value, list):
        return ", ".join(value) or "–"
    return str(value)


# ---------------------------------------------------------------- public pages


@bp.get("/truy-xuat/<code>")
def scan(code: str):
    canonical = services.normalize_code(code)
    if canonical != code and services.CODE_RE.match(canonical):
        return redirect(url_for("traceability.scan", code=canonical), 301)
    lot = queries.public_lot(code)
    if lot is None:
        return _not_resolved(_("Không tìm thấy lô hàng %(code)s trên sàn (mã sai, hoặc lô đã bị ẩn).", code=code), 404)
    product = lot.product
    page_viewed.send(current_app._get_current_object(), kind="lot", object_id=lot.id, seller_id=product.seller_id)
    return render_template(
        "traceability/scan.html",
        lot=lot,
        product=product,
        seller=product.seller,
        certs=queries.lot_certifications(lot),
        others=queries.product_lots(product.id, exclude_id=lot.id),
        digital_link=link_path(product.gtin, lot.code) if product.gtin else None,
    )


def _not_resolved(message: str, status: int):
    return render_template("traceability/not_found.html", message=message), status


@bp.get("/01/<path:rest>")
def resolve(rest: str):  # noqa: ARG001 — the whole URL is parsed
    """GS1 Digital Link: a lot link opens the lot's scan page, a GTIN alone the product."""
    try:
        link = parse_link(request.url)
    except LinkError as exc:
        return _not_resolved(exc.message, 400)
    if link.lot is not None:
        lot = queries.public_lot_by_gtin(link.gtin, link.lot)
        if lot is None:
            return _not_resolved(_("Không tìm thấy lô %(lot)s của sản phẩm có mã GTIN %(gtin)s trên sàn.",
                                   lot=link.lot, gtin=display_gtin(link.gtin)), 404)
        return redirect(url_for("traceability.scan", code=lot.code), 307)
    product = queries.public_product_by_gtin(link.gtin)
    if product is None:
        return _not_resolved(_("Không tìm thấy sản phẩm có mã GTIN %(gtin)s trên sàn.",
                               gtin=display_gtin(link.gtin)), 404)
    return redirect(url_for("catalog.product", slug=product.slug), 307)


# ---------------------------------------------------------------- seller pages


def _owned_lot(lot_id: int) -> Lot:
    seller = require_seller()
    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.seller_id != seller.id:
        abort(404)
    return lot


def _product_choices(seller) -> list[tuple[int | str, str]]:
    import sqlalchemy as sa

    rows = db.session.execute(
        sa.select(Product.id, Product.name).where(Product.seller_id == seller.id, Product.status != "archived")
        .order_by(Product.name)
    ).all()
    return [("", _("— Chọn sản phẩm —"))] + [(pid, name) for pid, name in rows]


def _certificate_choices(seller) -> list[tuple[int, str]]:
    """The seller's own certifications a lot may link (not rejected, not expired; OCOP
    certificates apply through their product), with their verification state."""
    from ..certifications.models import OCOP
    from ..certifications.queries import seller_certifications

    choices = []
    for cert in db.session.scalars(seller_certifications(seller.id, usable_only=True)):
        if cert.kind == OCOP:
            continue
        state = _("đã xác minh") if cert.verified_at is not None else _("chờ xác minh")
        choices.append((cert.id, f"{cert.label} · {cert.number} ({state})"))
    return choices


@bp.get("/dashboard/lo-hang")
@login_required
def lots():
    seller = require_seller()
    page = db.paginate(queries.seller_lots(seller.id), page=request.args.get("page", 1, type=int), per_page=30,
                       error_out=False)
    return render_template("traceability/lots.html", seller=seller, page=page,
                           scans=queries.lot_scan_counts([lot.id for lot in page.items]))


def _save(form: LotForm, seller, lot: Lot | None):
    actor = current_user._get_current_object()
    try:
        if lot is None:
            lot = services.create_lot(seller, form.lot_data(), actor=actor)
        else:
            if form.version.data and form.version.data != str(lot.version):
                raise StaleDataError()
            data = form.lot_data()
            data.pop("product_id")  # shown, not editable
            data["code"] = lot.code
            services.update_lot(lot, data, actor=actor)
        upload = request.files.get(form.photo.name)
        if upload is not None and upload.filename:
            services.set_lot_photo(lot, upload.stream.read(PHOTO_LIMIT + 1), actor=actor)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc.errors)
        return None
    except ImageRejected as exc:
        db.session.rollback()
        form.photo.errors = [exc.message]
        return None
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        form.form_errors.append(_("Lô hàng vừa được thay đổi ở nơi khác (hoặc mã lô vừa được dùng). "
                                  "Vui lòng kiểm tra và lưu lại."))
        return None
    return lot


@bp.route("/dashboard/lo-hang/moi", methods=["GET", "POST"])
@login_required
def lot_new():
    seller = require_seller()
    form = LotForm()
    form.product_id.choices = _product_choices(seller)
    form.certification_ids.choices = _certificate_choices(seller)
    if request.method == "GET":
        from ..text import today_vn

        form.product_id.data = request.args.get("product", type=int)
        form.harvested_on.data = today_vn().isoformat()
    elif form.validate_on_submit():
        lot = _save(form, seller, None)
        if lot is not None:
            flash(_("Đã ghi lô %(code)s. Mã QR của lô đã sẵn sàng để in.", code=lot.code), "success")
            return redirect(url_for("traceability.lot_edit", lot_id=lot.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("traceability/lot_form.html", form=form, lot=None, seller=seller, units=UNITS), status


@bp.route("/dashboard/lo-hang/<id:lot_id>", methods=["GET", "POST"])
@login_required
def lot_edit(lot_id: int):
    lot = _owned_lot(lot_id)
    seller = require_seller()
    form = LotForm(obj=lot) if request.method == "GET" else LotForm()
    form.product_id.choices = [(lot.product_id, lot.product.name)]
    form.certification_ids.choices = _certificate_choices(seller)
    if request.method == "GET":
        form.version.data = str(lot.version)
        form.certification_ids.data = [c.id for c in lot.certifications]
        form.harvested_on.data = lot.harvested_on.isoformat()
        form.best_before.data = lot.best_before.isoformat() if lot.best_before else ""
        form.quantity.data = str(lot.quantity)
    elif form.validate_on_submit():
        if _save(form, seller, lot) is not None:
            flash(_("Đã lưu lô %(code)s. Thay đổi được ghi vào lịch sử công khai của lô.", code=lot.code), "success")
            return redirect(url_for("traceability.lot_edit", lot_id=lot.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("traceability/lot_form.html", form=form, lot=lot, seller=seller, units=UNITS,
                           scans=queries.lot_scan_counts([lot.id]).get(lot.id, 0)), status
