"""Staff side of sourcing (/nhan-vien/tim-nguon-hang): the queue, one request with its
matched sellers and offers (approve, reject, add or remove a seller, open to all
sellers), and the response figures. Guarded by ``staff.access.guard_staff``."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

import sqlalchemy as sa

from ..accounts.forms import EmptyForm
from ..analytics.charts import day_chart
from ..extensions import db
from ..sellers.models import Seller
from ..staff.access import staff_blueprint
from ..staff.forms import ReasonForm
from ..validation import ValidationError
from ..web.integers import page_number
from . import matching, queries, services
from .forms import SellerPickForm
from .models import REQUEST_STATUSES, SourcingRequest

bp = staff_blueprint("sourcing_staff", __name__, url_prefix="/nhan-vien/tim-nguon-hang")

PER_PAGE = 25


def _request_or_404(request_id: int) -> SourcingRequest:
    item = db.session.get(SourcingRequest, request_id)
    if item is None:
        abort(404)
    return item


@bp.get("/")
def index():
    status = request.args.get("trang-thai", "pending")
    if status not in REQUEST_STATUSES:
        status = "pending"
    pagination = db.paginate(queries.staff_queue(status), page=page_number(request.args.get("page")),
                             per_page=PER_PAGE, error_out=False)
    return render_template("sourcing/staff_index.html", status=status, pagination=pagination,
                           counts=queries.status_counts())


@bp.get("/<id:request_id>")
def detail(request_id: int):
    item = _request_or_404(request_id)
    active = {m.seller_id for m in services.active_matches(item)}
    suggestions = [c for c in matching.candidates(item) if c.seller.id not in active][:10]
    return render_template("sourcing/staff_detail.html", item=item, contact=services.buyer_contact(item),
                           suggestions=suggestions, reason_form=ReasonForm(), pick_form=SellerPickForm(),
                           form=EmptyForm())


def _run(request_id: int, action, success: str, form_class=EmptyForm):
    form = form_class()
    if not form.validate_on_submit():
        if not form.is_submitted() or "csrf_token" in form.errors:
            abort(400)
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for(".detail", request_id=request_id))
    item = _request_or_404(request_id)
    try:
        action(item, form)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    except StaleDataError:
        db.session.rollback()
        flash(_("Yêu cầu vừa được người khác thay đổi. Vui lòng xem lại."), "error")
    else:
        flash(success, "success")
    return redirect(url_for(".detail", request_id=request_id))


def _actor():
    return current_user._get_current_object()


@bp.post("/<id:request_id>/duyet")
def approve(request_id: int):
    return _run(request_id, lambda item, form: services.approve(item, actor=_actor()),
                _("Đã duyệt yêu cầu và thông báo cho các cơ sở phù hợp."))


@bp.post("/<id:request_id>/tu-choi")
def reject(request_id: int):
    return _run(request_id, lambda item, form: services.reject(item, form.reason.data, actor=_actor()),
                _("Đã từ chối yêu cầu."), ReasonForm)


@bp.post("/<id:request_id>/mo-cho-tat-ca")
def open_to_all(request_id: int):
    value = request.form.get("value") == "1"
    return _run(request_id, lambda item, form: services.set_open_to_all(item, value, actor=_actor()),
                _("Đã mở yêu cầu cho mọi cơ sở.") if value else _("Chỉ các cơ sở được mời mới thấy yêu cầu."))


def _seller(raw: str | None) -> Seller:
    text = (raw or "").strip()
    seller = None
    if text.isascii() and text.isdigit() and len(text) < 10:
        seller = db.session.get(Seller, int(text))
    elif text:
        seller = db.session.scalars(sa.select(Seller).where(Seller.slug == text.rstrip("/").rsplit("/", 1)[-1])).first()
    if seller is None:
        raise ValidationError("seller", _("Không tìm thấy cơ sở này."))
    return seller


@bp.post("/<id:request_id>/them-co-so")
def add_seller(request_id: int):
    return _run(request_id,
                lambda item, form: services.add_seller(item, _seller(form.seller.data), actor=_actor()),
                _("Đã thêm cơ sở và gửi thư mời chào hàng."), SellerPickForm)


@bp.post("/<id:request_id>/go-co-so")
def remove_seller(request_id: int):
    return _run(request_id,
                lambda item, form: services.remove_seller(item, _seller(request.form.get("seller")), actor=_actor()),
                _("Đã gỡ cơ sở khỏi yêu cầu."))


@bp.get("/so-lieu")
def metrics():
    weeks = queries.weekly()
    chart = day_chart(_("Yêu cầu được duyệt và yêu cầu có chào hàng được nhận, theo tuần"),
                      [w for w, _a, _b in weeks], [a for _w, a, _b in weeks], [b for _w, _a, b in weeks],
                      bar_name=_("Yêu cầu được duyệt"), line_name=_("Có chào hàng được nhận"))
    return render_template("sourcing/staff_metrics.html", chart=chart, weeks=weeks,
                           silent_requests=queries.requests_without_offers(), silent=queries.silent_sellers(),
                           conversion=queries.conversion(), days=queries.METRIC_DAYS)
