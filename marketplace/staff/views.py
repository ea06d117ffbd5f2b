"""Staff workspace pages (/nhan-vien): what awaits action, moderation queues, certificate
verification, the audit log. Every route is guarded by ``access.guard_staff``.

Views parse → call a service in ``services.py`` → commit once → redirect. A refused
decision (missing reason, wrong state) rolls back and says why.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import current_app, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..accounts.forms import apply_errors
from ..accounts.models import User
from ..audit.queries import audit_entries
from ..catalog import queries as catalog_queries
from ..catalog.models import ISSUING_LEVEL_LABELS, PRODUCT_STATUS_LABELS, OcopCertification, Product, ProductRevision
from ..certifications.models import SCOPE_LABELS as CERT_SCOPE_LABELS
from ..validation import ValidationError
from ..catalog.forms import make_product_form
from ..extensions import db
from .decisions import decide
from ..sellers.models import SELLER_STATUS_LABELS, Seller
from ..text import VN_TZ, today_vn
from . import queries, services
from .access import staff_blueprint
from .forms import AuditFilterForm, ReasonForm

bp = staff_blueprint("staff", __name__)

PER_PAGE = 25
SELLER_QUEUE_LABELS = {
    "pending": _l("Chờ duyệt"),
    "rejected": _l("Đã từ chối"),
    "approved": _l("Đã duyệt"),
    "suspended": _l("Tạm ngừng"),
}
CERT_QUEUE_LABELS = {
    "unverified": _l("Chờ xác minh"),
    "expiring": _l("Sắp hết hạn (90 ngày)"),
    "expired": _l("Đã hết hạn"),
    "rejected": _l("Đã từ chối"),
    "verified": _l("Đã xác minh"),
}


@bp.context_processor
def _labels() -> dict:
    return {"status_labels": PRODUCT_STATUS_LABELS, "seller_status_labels": SELLER_STATUS_LABELS,
            "seller_queue_labels": SELLER_QUEUE_LABELS, "cert_queue_labels": CERT_QUEUE_LABELS,
            "issuing_level_labels": ISSUING_LEVEL_LABELS, "scope_labels": CERT_SCOPE_LABELS}


def _actor() -> User:
    return current_user._get_current_object()


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _paginate(stmt):
    return db.paginate(stmt, page=_page(), per_page=PER_PAGE, error_out=False)



# ------------------------------------------------------------------------- home


@bp.get("/")
def home():
    from ..jobs import status

    jobs = status(current_app)
    return render_template("staff/home.html", counts=queries.todo_counts(today_vn()), jobs=jobs,
                           late_jobs=[j for j in jobs if j.late])


# ---------------------------------------------------------------------- sellers


@bp.get("/co-so")
def sellers():
    queue = request.args.get("loai") or "pending"
    if queue not in queries.SELLER_QUEUES:
        queue = "pending"
    text = (request.args.get("q") or "").strip()[:200]
    pagination = _paginate(queries.sellers_queue(queue, text))
    return render_template("staff/sellers.html", pagination=pagination, queue=queue, q=text,
                           form=ReasonForm())


@bp.post("/co-so/hang-loat")
def sellers_bulk():
    return _bulk("seller", url_for("staff.sellers"))


def _bulk(kind: str, back: str):
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        ids = [int(i) for i in request.form.getlist("ids")]
    except ValueError:
        abort(400)
    decision = request.form.get("decision", "")
    try:
        done, skipped = services.bulk_decide(kind, ids, decision, form.reason.data, actor=_actor())
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(request.referrer or back)
    db.session.commit()
    flash(_("Đã xử lý %(n)d mục.", n=done), "success")
    for message in skipped:
        flash(message, "warning")
    return redirect(request.referrer or back)


def _seller_or_404(seller_id: int) -> Seller:
    return db.session.get(Seller, seller_id) or abort(404)


@bp.get("/co-so/<id:seller_id>")
def seller(seller_id: int):
    seller = _seller_or_404(seller_id)
    products = _paginate(sa.select(Product).where(Product.seller_id == seller.id)
                         .order_by(Product.updated_at.desc(), Product.id))
    history = db.session.scalars(audit_entries(object_type="seller", object_id=seller.id).limit(20)).all()
    return render_template("staff/seller.html", seller=seller, pagination=products, form=ReasonForm(),
                           history=history)


def _seller_decision(seller_id: int, fn, success: str):
    seller = _seller_or_404(seller_id)
    return decide(lambda reason: fn(seller, reason), success, url_for("staff.seller", seller_id=seller.id))


@bp.post("/co-so/<id:seller_id>/duyet")
def seller_approve(seller_id: int):
    return _seller_decision(seller_id, lambda s, r: services.approve_seller(s, actor=_actor()),
                            _("Đã duyệt cơ sở."))


@bp.post("/co-so/<id:seller_id>/tu-choi")
def seller_reject(seller_id: int):
    return _seller_decision(seller_id, lambda s, r: services.reject_seller(s, r, actor=_actor()),
                            _("Đã từ chối hồ sơ cơ sở."))


@bp.post("/co-so/<id:seller_id>/tam-ngung")
def seller_suspend(seller_id: int):
    return _seller_decision(seller_id, lambda s, r: services.suspend_seller(s, r, actor=_actor()),
                            _("Đã tạm ngừng cơ sở; toàn bộ sản phẩm đã ẩn."))


@bp.post("/co-so/<id:seller_id>/khoi-phuc")
def seller_reinstate(seller_id: int):
    return _seller_decision(seller_id, lambda s, r: services.reinstate_seller(s, r, actor=_actor()),
                            _("Đã khôi phục cơ sở; các sản phẩm trước đây hiển thị trở lại."))


# --------------------------------------------------------------------- products


@bp.get("/san-pham")
def products():
    status = request.args.get("loai") or "pending"
    if status not in queries.PRODUCT_QUEUES:
        status = "pending"
    text = (request.args.get("q") or "").strip()[:200]
    pagination = _paginate(queries.products_queue(status, text))
    return render_template("staff/products.html", pagination=pagination, status=status, q=text,
                           queues=queries.PRODUCT_QUEUES, form=ReasonForm())


@bp.post("/san-pham/hang-loat")
def products_bulk():
    return _bulk("product", url_for("staff.products"))


def _product_or_404(product_id: int) -> Product:
    return db.session.get(Product, product_id) or abort(404)


@bp.get("/san-pham/<id:product_id>")
def product(product_id: int):
    product = _product_or_404(product_id)
    revision = catalog_queries.latest_revision(product)
    history = db.session.scalars(audit_entries(object_type="product", object_id=product.id).limit(20)).all()
    return render_template("staff/product.html", product=product, revision=revision,
                           changes=catalog_queries.revision_changes(revision) if revision else [],
                           form=ReasonForm(), history=history)


def _product_decision(product_id: int, fn, success: str):
    product = _product_or_404(product_id)
    return decide(lambda reason: fn(product, reason), success, url_for("staff.product", product_id=product.id))


@bp.post("/san-pham/<id:product_id>/duyet")
def product_approve(product_id: int):
    return _product_decision(product_id, lambda p, r: services.approve_product(p, actor=_actor()),
                             _("Đã duyệt sản phẩm."))


@bp.post("/san-pham/<id:product_id>/tu-choi")
def product_reject(product_id: int):
    return _product_decision(product_id, lambda p, r: services.reject_product(p, r, actor=_actor()),
                             _("Đã từ chối sản phẩm."))


@bp.post("/san-pham/<id:product_id>/go-xuong")
def product_take_down(product_id: int):
    return _product_decision(product_id, lambda p, r: services.take_down_product(p, r, actor=_actor()),
                             _("Đã gỡ sản phẩm khỏi sàn."))


@bp.route("/san-pham/<id:product_id>/sua", methods=["GET", "POST"])
def product_edit(product_id: int):
    """Edit a listing on the seller's behalf (applied at once, audited as such)."""
    product = _product_or_404(product_id)
    form = make_product_form(product, prefill=request.method == "GET")
    reason_form = ReasonForm(meta={"csrf": False}) if request.method == "POST" else ReasonForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                services.edit_product_on_behalf(product, form.product_data(), form.rural_data(), actor=_actor(),
                                                reason=reason_form.reason.data)
            except ValidationError as exc:
                db.session.rollback()
                errors = dict(exc.errors)
                errors["rural_level"] = errors.pop("level", None)
                errors["rural_year"] = errors.pop("year", None)
                apply_errors(form, {k: v for k, v in errors.items() if v})
            else:
                db.session.commit()
                flash(_("Đã sửa sản phẩm thay cho người bán."), "success")
                return redirect(url_for("staff.product", product_id=product.id))
    return render_template("staff/product_edit.html", product=product, form=form, reason_form=reason_form), status


# -------------------------------------------------------------------- revisions


@bp.get("/ban-sua")
def revisions():
    pagination = _paginate(queries.revisions_queue("pending"))
    rows = [(revision, catalog_queries.revision_changes(revision)) for revision in pagination.items]
    return render_template("staff/revisions.html", pagination=pagination, rows=rows, form=ReasonForm())


def _revision_decision(revision_id: int, fn, success: str):
    revision = db.session.get(ProductRevision, revision_id) or abort(404)
    back = url_for("staff.product", product_id=revision.product_id)
    return decide(lambda reason: fn(revision, reason), success, back)


@bp.post("/ban-sua/<id:revision_id>/duyet")
def revision_approve(revision_id: int):
    return _revision_decision(revision_id, lambda rev, r: services.approve_revision(rev, actor=_actor()),
                              _("Đã duyệt thay đổi; phiên bản mới đang hiển thị."))


@bp.post("/ban-sua/<id:revision_id>/tu-choi")
def revision_reject(revision_id: int):
    return _revision_decision(revision_id, lambda rev, r: services.reject_revision(rev, r, actor=_actor()),
                              _("Đã từ chối thay đổi; phiên bản cũ vẫn hiển thị."))


# ----------------------------------------------------------------- certificates


@bp.get("/chung-nhan")
def certificates():
    queue = request.args.get("loai") or "unverified"
    if queue not in queries.CERT_QUEUES:
        queue = "unverified"
    pagination = _paginate(queries.certificates_queue(queue, today_vn()))
    return render_template("staff/certificates.html", pagination=pagination, queue=queue)


def _cert_or_404(cert_id: int) -> OcopCertification:
    return db.session.get(OcopCertification, cert_id) or abort(404)


@bp.get("/chung-nhan/<id:cert_id>")
def certificate(cert_id: int):
    cert = _cert_or_404(cert_id)
    history = db.session.scalars(audit_entries(object_type="certificate", object_id=cert.id).limit(20)).all()
    return render_template("staff/certificate.html", cert=cert, product=cert.product, form=ReasonForm(),
                           history=history)


def _cert_decision(cert_id: int, fn, success: str):
    cert = _cert_or_404(cert_id)
    return decide(lambda reason: fn(cert, reason), success, url_for("staff.certificate", cert_id=cert.id))


@bp.post("/chung-nhan/<id:cert_id>/xac-minh")
def certificate_verify(cert_id: int):
    return _cert_decision(cert_id, lambda c, r: services.verify_certificate(c, actor=_actor()),
                          _("Đã xác minh chứng nhận."))


@bp.post("/chung-nhan/<id:cert_id>/tu-choi")
def certificate_reject(cert_id: int):
    return _cert_decision(cert_id, lambda c, r: services.reject_certificate(c, r, actor=_actor()),
                          _("Đã từ chối chứng nhận."))


# -------------------------------------------------------------------- audit log


def _vn_day_start(day) -> datetime:
    """Midnight of a Vietnamese calendar day, in UTC (SQLite stores UTC without offset)."""
    return datetime.combine(day, time.min, tzinfo=VN_TZ).astimezone(timezone.utc)


@bp.get("/nhat-ky")
def audit():
    """Browse the append-only audit log (read only: no edit or delete route exists)."""
    form = AuditFilterForm(request.args)
    filters: dict = {}
    if form.validate():
        if form.user.data:
            user = db.session.scalars(sa.select(User).where(sa.func.lower(User.email) == form.user.data.strip().lower())).first()
            filters["actor_id"] = user.id if user is not None else -1
        if form.object_type.data:
            filters["object_type"] = form.object_type.data.strip()
        if form.object_id.data:
            if form.object_id.data.strip().isdigit():
                filters["object_id"] = int(form.object_id.data.strip())
            else:
                form.object_id.errors = [_("Mã đối tượng là một số.")]
        if form.action.data:
            filters["action"] = form.action.data.strip()
        if form.since.data:
            filters["since"] = _vn_day_start(form.since.data)
        if form.until.data:
            filters["until"] = _vn_day_start(form.until.data + timedelta(days=1))
    pagination = _paginate(audit_entries(**filters))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("staff/audit.html", form=form, pagination=pagination, args=args)


@bp.app_template_filter("staff_value")
def staff_value(value) -> str:
    """An audit before/after value for people: empty → "—"."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
