"""Sourcing requests on the site: the public board (/tim-nguon-hang), the buyer's form
and offers (/tim-nguon-hang/moi, /tim-nguon-hang/cua-toi), the seller's side
(/dashboard/tim-nguon-hang). Staff pages are in ``staff_views.py``.

Views parse → check the rate limit (before any write) → call a service → commit once
→ redirect. A refusal rolls back, re-shows the form with what was typed, and says why.

The board is not in the page cache (``web/pagecache.CACHED_ENDPOINTS``): its entries
are invalidated by catalog scopes that database triggers move on product writes, and
nothing moves them when staff approve a request, a seller offers or a deadline passes;
the board would go stale. It is one indexed query of at most 20 rows.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import durations
from ..accounts.forms import EmptyForm, apply_errors
from ..catalog.queries import category_choices
from ..catalog.trees import category_tree
from ..extensions import db
from ..validation import ValidationError
from ..web.auth import current_seller, require_seller
from ..web.forms import choice_list
from ..web.integers import page_number
from ..web.ratelimit import client_fingerprint, hit
from . import queries, services
from .forms import OfferForm, RequestForm
from .models import (
    FREQUENCIES,
    OFFER_STATUS_LABELS,
    REQUEST_STATUS_LABELS,
    BuyerProfile,
    SourcingOffer,
    SourcingRequest,
)

bp = Blueprint("sourcing", __name__)

PER_PAGE = 20
# Per account and per client address (accounts.throttle's counters, across processes).
REQUEST_LIMITS = (("account", 5, 86400), ("address", 10, 3600))
OFFER_LIMITS = (("account", 30, 3600), ("address", 60, 3600))


@bp.record_once
def _register_staff(state) -> None:
    from .staff_views import bp as staff_bp

    state.app.register_blueprint(staff_bp)


@bp.app_context_processor
def _helpers() -> dict:
    return {
        "sourcing_status_labels": REQUEST_STATUS_LABELS,
        "sourcing_offer_labels": OFFER_STATUS_LABELS,
        "sourcing_frequencies": FREQUENCIES,
        "sourcing_cert_labels": services.known_cert_codes,
        "seller_response": queries.seller_response,
        "sourcing_pending_count": lambda: queries.status_counts()["pending"],
    }


@bp.app_template_filter("hours_vn")
def hours_vn(hours: float | None) -> str:
    """A duration for people: "45 phút", "3 giờ", "2 ngày"."""
    if hours is None:
        return ""
    if hours < 1:
        return durations.minutes(max(1, round(hours * 60)))
    if hours < 48:
        return durations.hours(round(hours))
    return durations.days(round(hours / 24))


def _limited(kind: str, limits) -> bool:
    """Count one event per account and per address; True when either is over."""
    over = False
    for scope, limit, window in limits:
        who = f"u{current_user.id}" if scope == "account" else client_fingerprint()
        if not hit(f"sourcing-{kind}:{scope}:{who}", limit, window):
            over = True
    return over


def _commit_or_refuse(message: str) -> bool:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(message, "error")
        return False
    return True


# --------------------------------------------------------------------- the board

@bp.get("/tim-nguon-hang")
def board():
    slug = request.args.get("danh-muc", "")
    tree = category_tree()
    category = tree.by_slug.get(slug) if slug else None
    stmt = queries.board(tree.descendant_ids([category.slug]) if category else None)
    pagination = db.paginate(stmt, page=page_number(request.args.get("trang")), per_page=PER_PAGE, error_out=False)
    counts = queries.offer_counts([r.id for r in pagination.items])
    return render_template("sourcing/board.html", pagination=pagination, requests=pagination.items, counts=counts,
                           category=category, categories=tree.roots(), can_post=services.can_post(current_user))


@bp.get("/tim-nguon-hang/<id:request_id>")
def public_detail(request_id: int):
    item = queries.public_request(request_id)
    if item is None:
        abort(404)
    seller = current_seller()
    seller_link = seller is not None and services.seller_may_see(item, seller)
    return render_template("sourcing/public_detail.html", item=item, seller_link=seller_link,
                           offers=queries.offer_counts([item.id]).get(item.id, 0))


# ------------------------------------------------------------------------- buyer

@bp.route("/tim-nguon-hang/moi", methods=["GET", "POST"])
@login_required
def new():
    if not services.can_post(current_user):
        return render_template("sourcing/not_buyer.html"), 403
    profile = db.session.get(BuyerProfile, current_user.id)
    form = RequestForm(obj=profile)
    form.category_id.choices = choice_list(category_choices(), _("— Chọn danh mục —"))
    form.required_certs.choices = choice_list(services.known_cert_codes().items())
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            if _limited("request", REQUEST_LIMITS):
                form.form_errors.append(_("Bạn đã đăng quá nhiều yêu cầu. Vui lòng thử lại sau; nội dung bạn "
                                          "vừa nhập vẫn còn trên trang."))
                return render_template("sourcing/new.html", form=form, profile=profile), 429
            try:
                item = services.post_request(current_user._get_current_object(), form.request_data(),
                                             form.profile_data())
            except ValidationError as exc:
                db.session.rollback()
                apply_errors(form, exc.errors)
            else:
                db.session.commit()
                flash(_("Đã gửi yêu cầu. Nhân viên sàn sẽ duyệt trước khi đăng lên bảng tìm nguồn hàng."), "success")
                return redirect(url_for("sourcing.mine_detail", request_id=item.id))
    return render_template("sourcing/new.html", form=form, profile=profile), status


@bp.get("/tim-nguon-hang/cua-toi")
@login_required
def mine():
    items = db.session.scalars(queries.of_buyer(current_user.id)).all()
    return render_template("sourcing/mine.html", items=items)


def _own(request_id: int) -> SourcingRequest:
    item = queries.owned_request(current_user.id, request_id)
    if item is None:
        abort(404)
    return item


@bp.get("/tim-nguon-hang/cua-toi/<id:request_id>")
@login_required
def mine_detail(request_id: int):
    item = _own(request_id)
    offers = [o for o in item.offers if o.status != "withdrawn"]
    return render_template("sourcing/mine_detail.html", item=item, offers=offers, form=EmptyForm(),
                           seller_contact=services.seller_contact)


def _own_offer(request_id: int, offer_id: int) -> SourcingOffer:
    item = _own(request_id)
    offer = next((o for o in item.offers if o.id == offer_id), None)
    if offer is None:
        abort(404)
    return offer


def _apply(action, *, stale: str, success: str, back: str):
    """Run one POST decision: commit and say so, or roll back and say why."""
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        if _commit_or_refuse(stale):
            flash(success, "success")
    return redirect(back)


def _buyer_decides(request_id: int, offer_id: int, action, success: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    offer = _own_offer(request_id, offer_id)
    return _apply(lambda: action(offer, current_user._get_current_object()),
                  stale=_("Chào hàng vừa được thay đổi ở nơi khác. Vui lòng xem lại."), success=success,
                  back=url_for("sourcing.mine_detail", request_id=request_id))


@bp.post("/tim-nguon-hang/cua-toi/<id:request_id>/chao-hang/<id:offer_id>/nhan")
@login_required
def accept(request_id: int, offer_id: int):
    return _buyer_decides(request_id, offer_id, services.accept_offer,
                          _("Đã nhận chào hàng. Thông tin liên hệ của cơ sở hiện bên dưới và đã gửi cho cơ sở "
                            "thông tin của bạn."))


@bp.post("/tim-nguon-hang/cua-toi/<id:request_id>/chao-hang/<id:offer_id>/tu-choi")
@login_required
def decline(request_id: int, offer_id: int):
    return _buyer_decides(request_id, offer_id, services.decline_offer, _("Đã từ chối chào hàng."))


@bp.post("/tim-nguon-hang/cua-toi/<id:request_id>/dong")
@login_required
def close(request_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    item = _own(request_id)
    return _apply(lambda: services.close_by_buyer(item, current_user._get_current_object()),
                  stale=_("Yêu cầu vừa được thay đổi ở nơi khác. Vui lòng xem lại."), success=_("Đã đóng yêu cầu."),
                  back=url_for("sourcing.mine_detail", request_id=request_id))


# ------------------------------------------------------------------------ seller

@bp.get("/dashboard/tim-nguon-hang")
@login_required
def seller_list():
    seller = require_seller()
    items = db.session.scalars(queries.for_seller(seller.id)).all()
    return render_template("sourcing/seller_list.html", seller=seller, items=items,
                           offer_of=services.offer_of)


def _seller_request(request_id: int):
    """(the current seller, the request) if the seller may see it; 404 otherwise (a
    request it was not matched to is not confirmed to exist)."""
    seller = require_seller()
    item = db.session.get(SourcingRequest, request_id)
    if item is None or not services.seller_may_see(item, seller):
        abort(404)
    return seller, item


@bp.route("/dashboard/tim-nguon-hang/<id:request_id>", methods=["GET", "POST"])
@login_required
def seller_detail(request_id: int):
    seller, item = _seller_request(request_id)
    form = OfferForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            if _limited("offer", OFFER_LIMITS):
                form.form_errors.append(_("Bạn đã gửi quá nhiều chào hàng. Vui lòng thử lại sau; nội dung bạn "
                                          "vừa nhập vẫn còn trên trang."))
                status = 429
            else:
                item = db.session.get(SourcingRequest, request_id)  # the rate-limit commit expired it
                try:
                    services.make_offer(item, seller, current_user._get_current_object(), form.offer_data())
                    db.session.commit()
                except ValidationError as exc:
                    db.session.rollback()
                    apply_errors(form, exc.errors)
                except StaleDataError:
                    db.session.rollback()
                    form.form_errors.append(_("Yêu cầu vừa thay đổi. Vui lòng thử lại."))
                else:
                    flash(_("Đã gửi chào hàng. Người mua sẽ nhận được thông báo."), "success")
                    return redirect(url_for("sourcing.seller_detail", request_id=request_id))
    offer = services.offer_of(item, seller)
    contact = services.buyer_contact(item) if offer is not None and offer.status == "accepted" else None
    return render_template("sourcing/seller_detail.html", seller=seller, item=item, form=form, offer=offer,
                           refusal=services.offer_refusal(item, seller), contact=contact,
                           withdraw_form=EmptyForm()), status


@bp.post("/dashboard/tim-nguon-hang/<id:request_id>/rut")
@login_required
def withdraw(request_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    seller, item = _seller_request(request_id)
    offer = services.offer_of(item, seller)
    if offer is None:
        abort(404)
    return _apply(lambda: services.withdraw_offer(offer, current_user._get_current_object()),
                  stale=_("Chào hàng vừa được thay đổi ở nơi khác. Vui lòng xem lại."), success=_("Đã rút chào hàng."),
                  back=url_for("sourcing.seller_detail", request_id=request_id))
