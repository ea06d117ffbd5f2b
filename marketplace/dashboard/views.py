"""The seller dashboard (/dashboard): a cooperative manages its own catalog.

Every route needs a logged-in user (before_request); every object is loaded through
``access.get_owned_product`` (another seller's id → 404). Views parse the form, call
a service, commit once, and redirect; a failed form rolls back so nothing is
half-saved.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..accounts.forms import EmptyForm, apply_errors
from ..catalog import queries as catalog_queries
from ..catalog import services as catalog_services
from ..catalog.models import PRODUCT_STATUS_LABELS, PRODUCT_STATUSES, Product
from ..catalog.product_data import parse_price_vnd
from ..validation import ValidationError
from ..extensions import db
from ..sellers import services as seller_services
from ..sellers.forms import SellerProfileForm
from ..sellers.access import get_owned_product
from ..sellers.models import SELLER_STATUS_LABELS
from ..text import format_vnd
from ..web import integers
from ..web.auth import current_seller, require_seller
from . import queries
from ..catalog.forms import ProductEditForm, make_product_form
from ..web.forms import choice_list
from .forms import CertificationForm

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

PER_PAGE = 20


@bp.before_request
@login_required
def _require_login() -> None:
    """Anonymous visitors are sent to the login page (Flask-Login)."""
    return None


@bp.context_processor
def _labels() -> dict:
    return {"status_labels": PRODUCT_STATUS_LABELS, "seller_status_labels": SELLER_STATUS_LABELS}


def _read_upload(name: str, limit: int) -> bytes | None:
    storage = request.files.get(name)
    if storage is None or not storage.filename:
        return None
    data = storage.read(limit + 1)
    return data or None


def _check_csrf() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)


# ----------------------------------------------------------------------------- home


@bp.get("/")
def home():
    seller = current_seller()
    if seller is None:
        # A buyer who wants to sell starts with the business profile.
        return redirect(url_for("dashboard.profile"))
    status = request.args.get("status") or None
    if status not in PRODUCT_STATUSES:
        status = None
    text = (request.args.get("q") or "").strip()[:200]
    page = integers.page_number(request.args.get("page"))
    pagination = db.paginate(queries.own_products(seller, status, text), page=page,
                             per_page=PER_PAGE, error_out=False)
    return render_template(
        "dashboard/home.html",
        seller=seller,
        products=pagination.items,
        pagination=pagination,
        counts=queries.status_counts(seller),
        revision_ids=catalog_queries.pending_revision_product_ids([p.id for p in pagination.items]),
        status=status,
        q=text,
        action_form=EmptyForm(),
    )


# -------------------------------------------------------------------------- profile


@bp.route("/ho-so", methods=["GET", "POST"])
def profile():
    user = current_user._get_current_object()
    seller = current_seller()
    form = SellerProfileForm(obj=seller)
    form.area_id.choices = choice_list(catalog_queries.area_choices(), _("— Chọn xã/phường —"))
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            logo = _read_upload("logo", seller_services.MAX_LOGO_BYTES)
            data = {key: form.data[key] for key in seller_services.PROFILE_FIELDS}
            try:
                if seller is None:
                    seller = seller_services.create_seller(user, data, logo)
                    message = _("Đã gửi hồ sơ. Cơ sở của bạn sẽ hiển thị với người mua sau khi được duyệt.")
                else:
                    seller_services.update_seller(seller, data, logo, actor=user)
                    message = _("Đã lưu hồ sơ cơ sở.")
            except ValidationError as exc:
                db.session.rollback()
                apply_errors(form, exc.errors)
            else:
                try:
                    db.session.commit()
                except IntegrityError:
                    db.session.rollback()
                    form.form_errors.append(_("Hồ sơ vừa được thay đổi ở nơi khác. Vui lòng thử lại."))
                else:
                    flash(message, "success")
                    return redirect(url_for("dashboard.home"))
    return render_template("dashboard/profile.html", form=form, seller=seller), status


# ------------------------------------------------------------------------- products


def _product_form(product: Product | None = None) -> ProductEditForm:
    # The seller edits its pending revision, if any (what it proposed last).
    return make_product_form(product, prefill=request.method == "GET", with_revision=True)


def _save_product(form: ProductEditForm, seller, product: Product | None):
    """Create or update, with the rural-industry mark, in one transaction."""
    actor = current_user._get_current_object()
    try:
        if product is None:
            product = catalog_services.create_product(seller, form.product_data())
        else:
            catalog_services.update_product(product, form.product_data(), actor=actor)
        catalog_services.set_rural_industry(product, form.rural_data(), actor=actor)
    except ValidationError as exc:
        db.session.rollback()
        errors = dict(exc.errors)
        if "level" in errors:
            errors["rural_level"] = errors.pop("level")
        if "year" in errors:
            errors["rural_year"] = errors.pop("year")
        if "season_mask" in errors:
            errors["season_months"] = errors.pop("season_mask")
        apply_errors(form, errors)
        return None
    except StaleDataError:
        return _lost_race(form)
    try:
        db.session.commit()
    except StaleDataError:
        return _lost_race(form)
    except IntegrityError:
        # A concurrent save took the same code or slug between our check and the commit.
        db.session.rollback()
        form.form_errors.append(_("Sản phẩm vừa được thay đổi ở nơi khác. Vui lòng kiểm tra và lưu lại."))
        return None
    return product


def _lost_race(form: ProductEditForm) -> None:
    """Another save of the same product committed between our read and our write (the
    version check in the UPDATE found nothing): nothing is saved, the input is kept."""
    db.session.rollback()
    form.form_errors.append(_("Sản phẩm vừa được thay đổi ở nơi khác. Vui lòng kiểm tra và lưu lại."))
    return None


def _display(form: ProductEditForm, name: str, value) -> str:
    if name == "price_vnd":
        return format_vnd(value) if isinstance(value, int) else str(value or "")
    if name in ("category_id", "area_id"):
        labels = {str(choice.value): str(choice.label) for choice in form[name].choices}
        return labels.get(str(value or ""), "—") if value else "—"
    return str(value or "—")


def _edit_conflicts(form: ProductEditForm, product: Product) -> list[tuple[str, str, str]] | None:
    """None when the form was shown with the product's current version; otherwise the
    fields where the editor's input differs from what is saved now, as
    (label, their value, current value)."""
    shown = (form.version.data or "").strip()
    if not shown:
        return None  # a client that does not send the version (API-style posts): last write wins
    try:
        if integers.parse_int(shown, low=1) == product.version:
            return None
    except ValueError:
        pass  # a malformed version is treated as stale
    theirs = form.product_data()
    try:
        theirs["price_vnd"] = parse_price_vnd(theirs["price_vnd"])
    except (TypeError, ValueError):
        pass
    theirs["code"] = (theirs.get("code") or "").strip() or None
    theirs["area_id"] = theirs.get("area_id") or product.seller.area_id
    out = []
    for name in ("name", "code", "category_id", "price_vnd", "unit", "description", "area_id"):
        mine, current = theirs.get(name), getattr(product, name)
        if isinstance(mine, str) and isinstance(current, str):
            differ = " ".join(mine.split()) != " ".join(current.split())
        else:
            differ = mine != current
        if differ:
            out.append((str(form[name].label.text), _display(form, name, mine), _display(form, name, current)))
    return out


@bp.route("/san-pham/moi", methods=["GET", "POST"])
def product_new():
    seller = require_seller()
    form = _product_form()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            product = _save_product(form, seller, None)
            if product is not None:
                flash(_("Đã tạo sản phẩm (bản nháp). Thêm ảnh rồi bấm “Gửi duyệt” khi sẵn sàng."), "success")
                return redirect(url_for("dashboard.product_edit", product_id=product.id))
    return render_template("dashboard/product_form.html", form=form, product=None, seller=seller), status


@bp.route("/san-pham/<id:product_id>", methods=["GET", "POST"])
def product_edit(product_id: int):
    seller = require_seller()
    product = get_owned_product(seller, product_id)
    form = _product_form(product)
    status = 200
    if form.is_submitted():
        status = 400
        valid = form.validate()
        conflicts = _edit_conflicts(form, product) if valid else None
        if conflicts is not None:
            # A stale form (the product was saved elsewhere since it was shown): nothing is
            # saved; the editor sees what differs and keeps their input. Saving again
            # (now with the current version) is a deliberate overwrite.
            form.version.data = str(product.version)
            return render_template("dashboard/product_form.html", form=form, product=product, seller=seller,
                                   action_form=EmptyForm(), conflicts=conflicts), 409
        if valid:
            had_revision = catalog_services.pending_revision(product)
            had_fields = dict(had_revision.fields) if had_revision is not None else None
            saved = _save_product(form, seller, product)
            if saved is not None:
                revision = catalog_services.pending_revision(saved)
                if revision is not None and revision.fields != had_fields:
                    flash(_("Đã lưu. Thay đổi tên, mô tả hoặc danh mục đang chờ duyệt; người mua vẫn thấy "
                            "phiên bản đã duyệt cho tới khi thay đổi được duyệt."), "warning")
                else:
                    flash(_("Đã lưu sản phẩm."), "success")
                return redirect(url_for("dashboard.product_edit", product_id=product.id))
    revision = catalog_queries.latest_revision(product)
    return render_template("dashboard/product_form.html", form=form, product=product, seller=seller,
                           action_form=EmptyForm(), revision=revision,
                           changes=catalog_queries.revision_changes(revision) if revision else []), status


@bp.post("/san-pham/<id:product_id>/nhan-ban")
def product_duplicate(product_id: int):
    seller = require_seller()
    product = get_owned_product(seller, product_id)
    _check_csrf()
    copy = catalog_services.duplicate_product(product)
    db.session.commit()
    flash(_("Đã tạo bản sao (bản nháp)."), "success")
    return redirect(url_for("dashboard.product_edit", product_id=copy.id))


@bp.post("/san-pham/<id:product_id>/luu-tru")
def product_archive(product_id: int):
    seller = require_seller()
    product = get_owned_product(seller, product_id)
    _check_csrf()
    catalog_services.archive_product(product, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("Đã lưu trữ sản phẩm; sản phẩm không còn hiển thị với người mua."), "success")
    return redirect(url_for("dashboard.home"))


@bp.post("/san-pham/<id:product_id>/gui-duyet")
def product_submit(product_id: int):
    seller = require_seller()
    product = get_owned_product(seller, product_id)
    _check_csrf()
    try:
        catalog_services.submit_product(product)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Đã gửi duyệt. Sản phẩm sẽ hiển thị sau khi được duyệt."), "success")
    return redirect(url_for("dashboard.product_edit", product_id=product.id))


# --------------------------------------------------------------- OCOP certification


@bp.route("/san-pham/<id:product_id>/chung-nhan", methods=["GET", "POST"])
def product_certification(product_id: int):
    seller = require_seller()
    product = get_owned_product(seller, product_id)
    cert = product.certification
    form = CertificationForm(obj=cert) if request.method == "GET" else CertificationForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            scan = _read_upload("scan", catalog_services.MAX_SCAN_BYTES)
            try:
                catalog_services.set_certification(product, form.certification_data(), scan=scan,
                                                 actor=current_user._get_current_object())
            except ValidationError as exc:
                db.session.rollback()
                apply_errors(form, exc.errors)
            else:
                db.session.commit()
                flash(_("Đã lưu chứng nhận OCOP. Cán bộ sẽ đối chiếu bản quét trước khi hiển thị huy hiệu."),
                      "success")
                return redirect(url_for("dashboard.product_certification", product_id=product.id))
    return render_template("dashboard/certification.html", form=form, product=product, cert=cert,
                           seller=seller, action_form=EmptyForm()), status


@bp.post("/san-pham/<id:product_id>/chung-nhan/xoa")
def product_certification_delete(product_id: int):
    seller = require_seller()
    product = get_owned_product(seller, product_id)
    _check_csrf()
    catalog_services.remove_certification(product, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("Đã xoá chứng nhận OCOP của sản phẩm."), "success")
    return redirect(url_for("dashboard.product_certification", product_id=product.id))


@bp.get("/san-pham/<id:product_id>/chung-nhan/ban-quet")
def product_certification_scan(product_id: int):
    """The certificate scan, for its seller and for staff only (never cached publicly)."""
    if current_user.is_staff:
        product = db.session.get(Product, product_id) or abort(404)
    else:
        product = get_owned_product(require_seller(), product_id)
    cert = product.certification
    if cert is None or not cert.scan_key:
        abort(404)
    from ..media import get_storage

    storage = get_storage()
    if not storage.exists(cert.scan_key):
        abort(404)
    mimetype = "application/pdf" if cert.scan_key.endswith(".pdf") else "image/webp"
    response = send_file(storage.open_path(cert.scan_key), mimetype=mimetype, max_age=0,
                         download_name=f"chung-nhan-ocop-{product.id}{'.pdf' if mimetype.endswith('pdf') else '.webp'}")
    response.headers["Cache-Control"] = "private, no-store"
    return response
