"""Every rule of sourcing requests: input checks, the state machine, who may see and
answer what, matching and mail, the deadline. Services flush, never commit (the view,
CLI command or job commits once); mail is queued with ``send_after_commit`` so a
rolled-back decision mails nobody; every state change writes an audit entry in the same
transaction."""
from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale

from ..accounts.models import User
from ..audit.services import record, snapshot
from ..catalog.models import Category
from ..certifications.models import KIND_LABELS, KINDS, OCOP
from ..extensions import db
from ..inquiries.services import format_phone, normalise_phone
from ..mail import send_after_commit
from ..sellers.models import Seller
from ..text import format_date, format_vnd, parse_date, today_vn, utcnow
from ..validation import ValidationError, _
from . import matching
from .models import (
    BUYER_TYPES,
    FREQUENCIES,
    MAX_PRICE_VND,
    MAX_QUANTITY,
    BuyerProfile,
    SourcingMatch,
    SourcingOffer,
    SourcingRequest,
)

log = logging.getLogger(__name__)

TITLE_MIN, TITLE_MAX = 3, 200
DETAILS_MAX = MESSAGE_MAX = 2000
UNIT_MAX = 30
AREA_MIN, AREA_MAX = 2, 120
ORG_MIN, ORG_MAX = 2, 200
CITY_MIN, CITY_MAX = 2, 100
DEADLINE_MAX_DAYS = 366
DELIVERY_MAX_DAYS = 730
DEFAULT_MAX_MATCHES = 8
REQUEST_AUDIT_FIELDS = ("status", "open_to_all", "review_note", "approved_at", "closed_at")
OFFER_AUDIT_FIELDS = ("status", "price_vnd", "quantity", "first_delivery", "decided_at")


class StateError(ValidationError):
    """A step that does not apply to the request's or offer's current state."""


# ------------------------------------------------------------------- input checks

def _text(value, *, keep_lines: bool = False) -> str:
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch if (ch == "\n" and keep_lines) or ch.isprintable() else " " for ch in text)
    if keep_lines:
        return "\n".join(" ".join(line.split()) for line in text.strip().split("\n")).strip()
    return " ".join(text.split())


def _bounded_int(value, field: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool):
        raise ValidationError(field, message)
    if isinstance(value, int):
        number = value
    else:
        raw = str(value or "").strip().replace(".", "").replace(" ", "")
        if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(high)):
            raise ValidationError(field, message)
        number = int(raw)
    if not low <= number <= high:
        raise ValidationError(field, message)
    return number


def _date(value, field: str, message: str) -> date:
    """ISO (what ``<input type=date>`` sends) or dd/mm/yyyy (typed)."""
    day = parse_date(value)
    if day is None:
        raise ValidationError(field, message)
    return day


def _coming_date(data: dict, field: str, today: date, max_days: int, errors: dict[str, str],
                 messages: tuple[str, str, str]) -> date | None:
    """A date from today up to ``max_days`` ahead; otherwise the matching message (not
    a date, in the past, too far) goes into ``errors``."""
    invalid, past, too_far = messages
    try:
        value = _date(data.get(field), field, invalid)
    except ValidationError as exc:
        errors[field] = exc.message
        return None
    if value < today:
        errors[field] = past
    elif value > today + timedelta(days=max_days):
        errors[field] = too_far
    return value


def known_cert_codes() -> dict[str, str]:
    """Required-certification codes a request may name, with their labels: OCOP by
    stars, rural industry, then every other certification kind (its code is the kind)."""
    codes = {
        "ocop3": _("OCOP từ 3 sao"),
        "ocop4": _("OCOP từ 4 sao"),
        "ocop5": _("OCOP 5 sao"),
        "rural_industry": _("Sản phẩm công nghiệp nông thôn tiêu biểu"),
    }
    codes.update((kind, str(KIND_LABELS[kind])) for kind in KINDS if kind != OCOP)
    return codes


def clean_profile(data: dict) -> dict:
    errors: dict[str, str] = {}
    buyer_type = str(data.get("buyer_type") or "")
    if buyer_type not in BUYER_TYPES:
        errors["buyer_type"] = _("Vui lòng chọn loại người mua.")
    organisation = _text(data.get("organisation"))
    if not ORG_MIN <= len(organisation) <= ORG_MAX:
        errors["organisation"] = _("Tên đơn vị cần từ %(min)d đến %(max)d ký tự.", min=ORG_MIN, max=ORG_MAX)
    city = _text(data.get("city"))
    if not CITY_MIN <= len(city) <= CITY_MAX:
        errors["city"] = _("Tỉnh/thành phố cần từ %(min)d đến %(max)d ký tự.", min=CITY_MIN, max=CITY_MAX)
    phone = normalise_phone(str(data.get("phone") or ""))
    if phone is None:
        errors["phone"] = _("Số điện thoại không hợp lệ. Nhập số di động 10 chữ số (ví dụ 0912 345 678) "
                            "hoặc số cố định 11 chữ số bắt đầu bằng 02.")
    if errors:
        raise ValidationError.from_errors(errors)
    return {"buyer_type": buyer_type, "organisation": organisation, "city": city, "phone": phone}


def clean_request(data: dict, today: date | None = None) -> dict:
    """The request fields, checked; ValidationError names every bad field."""
    today = today or today_vn()
    errors: dict[str, str] = {}
    title = _text(data.get("title"))
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors["title"] = _("Mô tả hàng cần tìm cần từ %(min)d đến %(max)d ký tự.", min=TITLE_MIN, max=TITLE_MAX)
    details = _text(data.get("details"), keep_lines=True)
    if len(details) > DETAILS_MAX:
        errors["details"] = _("Yêu cầu chi tiết tối đa %(max)s ký tự.", max="2.000")
    category = None
    try:
        category_id = _bounded_int(data.get("category_id"), "category_id", 1, 2**31 - 1, "")
        category = db.session.get(Category, category_id)
    except ValidationError:
        pass
    if category is None:
        errors["category_id"] = _("Vui lòng chọn danh mục.")
    quantity_message = _("Số lượng là số nguyên từ 1 đến %(max)s.", max=format_vnd(MAX_QUANTITY)[:-2])
    try:
        quantity = _bounded_int(data.get("quantity"), "quantity", 1, MAX_QUANTITY, quantity_message)
    except ValidationError as exc:
        errors["quantity"] = exc.message
        quantity = None
    unit = _text(data.get("unit"))
    if not 1 <= len(unit) <= UNIT_MAX:
        errors["unit"] = _("Đơn vị tính cần từ 1 đến %(max)d ký tự (ví dụ: kg, tấn, hộp).", max=UNIT_MAX)
    frequency = str(data.get("frequency") or "once")
    if frequency not in FREQUENCIES:
        errors["frequency"] = _("Vui lòng chọn một lần hoặc mỗi tháng.")
    codes = known_cert_codes()
    certs = [str(c) for c in (data.get("required_certs") or [])]
    unknown = [c for c in certs if c not in codes]
    if unknown:
        errors["required_certs"] = _("Không có loại chứng nhận “%(codes)s”. Vui lòng chọn trong danh sách.",
                                     codes=", ".join(c[:40] for c in unknown[:3]))
    elif len(certs) > len(codes):
        errors["required_certs"] = _("Chứng nhận yêu cầu không hợp lệ.")
    certs = sorted(set(certs) & set(codes), key=list(codes).index)
    area = _text(data.get("delivery_area"))
    if not AREA_MIN <= len(area) <= AREA_MAX:
        errors["delivery_area"] = _("Nơi giao hàng cần từ %(min)d đến %(max)d ký tự.", min=AREA_MIN, max=AREA_MAX)
    deadline = _coming_date(data, "deadline", today, DEADLINE_MAX_DAYS, errors, (
        _("Hạn nhận chào hàng không hợp lệ."),
        _("Hạn nhận chào hàng đã qua. Vui lòng chọn từ hôm nay trở đi."),
        _("Hạn nhận chào hàng tối đa một năm kể từ hôm nay.")))
    price = data.get("target_price_vnd")
    target = None
    if price not in (None, ""):
        try:
            target = _bounded_int(price, "target_price_vnd", 1, MAX_PRICE_VND,
                                  _("Giá mong muốn là số nguyên từ 1 đến %(max)s.", max=format_vnd(MAX_PRICE_VND)))
        except ValidationError as exc:
            errors["target_price_vnd"] = exc.message
    if errors:
        raise ValidationError.from_errors(errors)
    return {"title": title, "details": details, "category_id": category.id, "quantity": quantity, "unit": unit,
            "frequency": frequency, "required_certs": certs, "delivery_area": area, "deadline": deadline,
            "target_price_vnd": target}


def clean_offer(data: dict, today: date | None = None) -> dict:
    today = today or today_vn()
    errors: dict[str, str] = {}
    values: dict = {}
    for field, high, message in (
        ("price_vnd", MAX_PRICE_VND, _("Giá chào là số nguyên từ 1 đến %(max)s.", max=format_vnd(MAX_PRICE_VND))),
        ("quantity", MAX_QUANTITY, _("Số lượng là số nguyên từ 1 đến %(max)s.", max=format_vnd(MAX_QUANTITY)[:-2])),
    ):
        try:
            values[field] = _bounded_int(data.get(field), field, 1, high, message)
        except ValidationError as exc:
            errors[field] = exc.message
    values["first_delivery"] = _coming_date(data, "first_delivery", today, DELIVERY_MAX_DAYS, errors, (
        _("Ngày giao đầu tiên không hợp lệ."),
        _("Ngày giao đầu tiên đã qua. Vui lòng chọn từ hôm nay trở đi."),
        _("Ngày giao đầu tiên tối đa hai năm kể từ hôm nay.")))
    message = _text(data.get("message"), keep_lines=True)
    if len(message) > MESSAGE_MAX:
        errors["message"] = _("Lời nhắn tối đa %(max)s ký tự.", max="2.000")
    values["message"] = message
    if errors:
        raise ValidationError.from_errors(errors)
    return values


# ------------------------------------------------------------------------- buyers

def can_post(user) -> bool:  # noqa: ANN001
    """Buyer accounts post requests (not seller or staff accounts)."""
    return bool(getattr(user, "is_authenticated", False)) and user.role == "buyer" and user.seller_id is None


def save_profile(user: User, data: dict) -> BuyerProfile:
    values = clean_profile(data)
    profile = db.session.get(BuyerProfile, user.id)
    if profile is None:
        profile = BuyerProfile(user_id=user.id, **values)
        db.session.add(profile)
    else:
        for key, value in values.items():
            setattr(profile, key, value)
    db.session.flush()
    return profile


def post_request(user: User, data: dict, profile_data: dict | None = None) -> SourcingRequest:
    """A buyer's new request, waiting for staff (not public before)."""
    if not can_post(user):
        raise ValidationError("title", _("Chỉ tài khoản người mua mới đăng được yêu cầu tìm nguồn hàng."))
    errors: dict[str, str] = {}
    values = profile = None
    try:
        values = clean_request(data)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        if profile_data is not None:
            profile = save_profile(user, profile_data)
        else:
            profile = db.session.get(BuyerProfile, user.id)
            if profile is None:
                raise ValidationError("buyer_type", _("Vui lòng cho biết loại người mua và đơn vị của bạn."))
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError.from_errors(errors)
    request = SourcingRequest(buyer_id=user.id, status="pending", buyer_type=profile.buyer_type,
                              buyer_city=profile.city, **values)
    db.session.add(request)
    db.session.flush()
    record("sourcing_request.submit", "sourcing_request", request.id, actor=user,
           after=snapshot(request, ("status", "title", "quantity", "unit", "deadline")))
    return request


def close_by_buyer(request: SourcingRequest, user: User) -> SourcingRequest:
    if request.status not in ("pending", "open"):
        raise StateError("status", _("Yêu cầu này không còn mở nên không thể đóng."))
    return _change(request, user, "sourcing_request.close", status="closed", closed_at=utcnow())


# --------------------------------------------------------------------------- staff

def _change(request: SourcingRequest, actor, action: str, reason: str | None = None, **values) -> SourcingRequest:
    before = snapshot(request, REQUEST_AUDIT_FIELDS)
    for key, value in values.items():
        setattr(request, key, value)
    db.session.flush()
    record(action, "sourcing_request", request.id, actor=actor, before=before,
           after=snapshot(request, REQUEST_AUDIT_FIELDS), reason=reason)
    return request


def approve(request: SourcingRequest, *, actor, limit: int | None = None) -> list[SourcingMatch]:
    """Pending → open: the request goes on the board and the best matching sellers
    are told. Returns the matches made."""
    if request.status != "pending":
        raise StateError("status", _("Chỉ duyệt được yêu cầu đang chờ duyệt."))
    if request.deadline < today_vn():
        raise StateError("status", _("Hạn nhận chào hàng của yêu cầu đã qua; không thể duyệt."))
    _change(request, actor, "sourcing_request.approve", status="open", approved_at=utcnow(), review_note=None)
    _mail_buyer(request, lambda: (_("Yêu cầu tìm nguồn hàng đã được duyệt"),
                [_("Yêu cầu \"%(title)s\" đã được duyệt và đăng lên bảng tìm nguồn hàng. Các cơ sở phù hợp đã "
                   "được thông báo; chào hàng sẽ hiện tại:", title=request.title), _link_buyer(request)]))
    return match_sellers(request, actor=actor, limit=limit)


def reject(request: SourcingRequest, reason: str | None, *, actor) -> SourcingRequest:
    from ..staff.services import clean_reason

    if request.status != "pending":
        raise StateError("status", _("Chỉ từ chối được yêu cầu đang chờ duyệt."))
    reason = clean_reason(reason, required=True)
    _change(request, actor, "sourcing_request.reject", reason=reason, status="rejected", review_note=reason,
            closed_at=utcnow())
    _mail_buyer(request, lambda: (_("Yêu cầu tìm nguồn hàng chưa được duyệt"),
                [_("Yêu cầu \"%(title)s\" chưa được duyệt.", title=request.title), "",
                 _("Lý do: %(reason)s", reason=reason)]))
    return request


def set_open_to_all(request: SourcingRequest, value: bool, *, actor) -> SourcingRequest:
    if request.status != "open":
        raise StateError("status", _("Chỉ mở cho mọi cơ sở khi yêu cầu đang nhận chào hàng."))
    return _change(request, actor, "sourcing_request.open_to_all" if value else "sourcing_request.matched_only",
                   open_to_all=bool(value))


def max_matches() -> int:
    return int(current_app.config.get("SOURCING_MAX_MATCHES") or DEFAULT_MAX_MATCHES)


def active_matches(request: SourcingRequest) -> list[SourcingMatch]:
    return [m for m in request.matches if m.removed_at is None]


def match_sellers(request: SourcingRequest, *, actor=None, limit: int | None = None) -> list[SourcingMatch]:
    """Tell the best qualifying sellers, up to ``limit`` active matches in all. A
    seller staff removed is not added back by the ranking."""
    limit = max_matches() if limit is None else limit
    room = limit - len(active_matches(request))
    if room <= 0:
        return []
    taken = {m.seller_id for m in request.matches}
    made = []
    rank = max((m.rank for m in request.matches), default=0)
    for candidate in matching.candidates(request, exclude=taken)[:room]:
        rank += 1
        match = SourcingMatch(request=request, seller=candidate.seller, score=candidate.score, rank=rank,
                              source="auto")
        db.session.add(match)
        made.append(match)
    db.session.flush()
    for match in made:
        _notify_match(match)
        record("sourcing_request.match", "sourcing_request", request.id, actor=actor,
               after={"seller_id": match.seller_id, "score": match.score, "rank": match.rank})
    return made


def add_seller(request: SourcingRequest, seller: Seller, *, actor) -> SourcingMatch:
    if request.status != "open":
        raise StateError("seller", _("Chỉ thêm cơ sở khi yêu cầu đang nhận chào hàng."))
    if seller.status != "approved":
        raise ValidationError("seller", _("Cơ sở này chưa được duyệt hoặc đang tạm ngừng."))
    match = next((m for m in request.matches if m.seller_id == seller.id), None)
    if match is not None and match.removed_at is None:
        raise StateError("seller", _("Cơ sở này đã có trong danh sách được thông báo."))
    if match is None:
        match = SourcingMatch(request=request, seller=seller, source="staff",
                              rank=max((m.rank for m in request.matches), default=0) + 1)
        db.session.add(match)
    else:
        match.removed_at = None
        match.source = "staff"
    db.session.flush()
    _notify_match(match)
    record("sourcing_request.match_add", "sourcing_request", request.id, actor=actor,
           after={"seller_id": seller.id})
    return match


def remove_seller(request: SourcingRequest, seller: Seller, *, actor) -> SourcingMatch:
    match = next((m for m in request.matches if m.seller_id == seller.id and m.removed_at is None), None)
    if match is None:
        raise StateError("seller", _("Cơ sở này không có trong danh sách được thông báo."))
    if any(o.seller_id == seller.id for o in request.offers):
        raise StateError("seller", _("Cơ sở này đã gửi chào hàng nên không thể gỡ khỏi yêu cầu."))
    match.removed_at = utcnow()
    db.session.flush()
    record("sourcing_request.match_remove", "sourcing_request", request.id, actor=actor,
           before={"seller_id": seller.id})
    return match


def close_expired(today: date | None = None) -> int:
    """Requests past their deadline close by themselves (the ``sourcing_close`` job).
    Pending ones that staff never decided close too. Returns how many closed."""
    today = today or today_vn()
    due = db.session.scalars(
        sa.select(SourcingRequest)
        .where(SourcingRequest.status.in_(("pending", "open")), SourcingRequest.deadline < today)
        .order_by(SourcingRequest.id)
    ).all()
    for request in due:
        _change(request, None, "sourcing_request.expire", status="closed", closed_at=utcnow())
    return len(due)


# ------------------------------------------------------------------------- sellers

def _active_match(request: SourcingRequest, seller: Seller) -> SourcingMatch | None:
    return next((m for m in request.matches if m.seller_id == seller.id and m.removed_at is None), None)


def offer_of(request: SourcingRequest, seller: Seller) -> SourcingOffer | None:
    return next((o for o in request.offers if o.seller_id == seller.id), None)


def seller_may_see(request: SourcingRequest, seller: Seller | None) -> bool:
    """A seller sees a request it was matched to, one staff opened to all sellers (once
    approved), or one it has answered."""
    if seller is None or request.status in ("pending", "rejected"):
        return False
    if offer_of(request, seller) is not None or _active_match(request, seller) is not None:
        return True
    return request.open_to_all and seller.status == "approved"


def offer_refusal(request: SourcingRequest, seller: Seller | None, today: date | None = None) -> str | None:
    """Why ``seller`` may not answer ``request`` now (Vietnamese), or None."""
    today = today or today_vn()
    if seller is None or not seller_may_see(request, seller):
        return _("Cơ sở của bạn không được mời chào hàng cho yêu cầu này.")
    if seller.status != "approved":
        return _("Cơ sở của bạn chưa được duyệt hoặc đang tạm ngừng nên chưa chào hàng được.")
    if offer_of(request, seller) is not None:
        return _("Cơ sở của bạn đã gửi chào hàng cho yêu cầu này.")
    if request.status != "open" or request.deadline < today:
        return _("Yêu cầu đã hết hạn hoặc đã đóng, không nhận thêm chào hàng.")
    return None


def make_offer(request: SourcingRequest, seller: Seller, user: User, data: dict) -> SourcingOffer:
    refusal = offer_refusal(request, seller)
    if refusal:
        raise StateError("price_vnd", refusal)
    values = clean_offer(data)
    offer = SourcingOffer(request=request, seller=seller, user=user, status="pending", **values)
    db.session.add(offer)
    db.session.flush()
    record("sourcing_offer.create", "sourcing_offer", offer.id, actor=user,
           after=snapshot(offer, OFFER_AUDIT_FIELDS), reason=f"request {request.id}")
    _mail_buyer(request, lambda: (_("Có chào hàng mới cho yêu cầu của bạn"),
                [_("%(seller)s vừa chào hàng cho yêu cầu \"%(title)s\": %(price)s / %(unit)s, %(quantity)s %(unit)s, "
                   "giao đầu tiên %(date)s.", seller=seller.name, title=request.title,
                   price=format_vnd(offer.price_vnd), unit=request.unit, quantity=_qty(offer.quantity),
                   date=format_date(offer.first_delivery)),
                 "", _("Xem và trả lời các chào hàng:"), _link_buyer(request)]))
    return offer


def withdraw_offer(offer: SourcingOffer, user: User) -> SourcingOffer:
    if offer.status != "pending":
        raise StateError("status", _("Chỉ rút được chào hàng đang chờ người mua trả lời."))
    return _offer_change(offer, user, "sourcing_offer.withdraw", status="withdrawn", decided_at=utcnow())


# -------------------------------------------------------------------- buyer decides

def _offer_change(offer: SourcingOffer, actor, action: str, **values) -> SourcingOffer:
    before = snapshot(offer, OFFER_AUDIT_FIELDS)
    for key, value in values.items():
        setattr(offer, key, value)
    db.session.flush()
    record(action, "sourcing_offer", offer.id, actor=actor, before=before, after=snapshot(offer, OFFER_AUDIT_FIELDS),
           reason=f"request {offer.request_id}")
    return offer


def _pending_offer_of(offer: SourcingOffer, buyer: User) -> SourcingRequest:
    """The offer's request, if ``buyer`` owns it and the offer still awaits an answer."""
    if offer.request.buyer_id != buyer.id:
        raise StateError("offer", _("Chào hàng này không thuộc yêu cầu của bạn."))
    if offer.status != "pending":
        raise StateError("offer", _("Chào hàng này đã được trả lời hoặc đã rút."))
    return offer.request


def accept_offer(offer: SourcingOffer, buyer: User) -> SourcingOffer:
    """The buyer takes the offer: the request is fulfilled (no new offers) and both
    sides receive each other's contact details."""
    request = _pending_offer_of(offer, buyer)
    _offer_change(offer, buyer, "sourcing_offer.accept", status="accepted", decided_at=utcnow())
    if request.status == "open":
        _change(request, buyer, "sourcing_request.fulfil", status="fulfilled", closed_at=utcnow())
    contact = buyer_contact(request)
    _mail_seller(offer.seller, lambda: (_("Người mua đã nhận chào hàng của bạn"),
                 [_("Người mua đã nhận chào hàng của cơ sở cho yêu cầu \"%(title)s\".", title=request.title), "",
                  _("Thông tin liên hệ người mua:"), *contact_lines(contact), "",
                  _("Chi tiết:"), _link_seller(request)]))
    return offer


def decline_offer(offer: SourcingOffer, buyer: User) -> SourcingOffer:
    request = _pending_offer_of(offer, buyer)
    _offer_change(offer, buyer, "sourcing_offer.decline", status="declined", decided_at=utcnow())
    _mail_seller(offer.seller, lambda: (_("Người mua chưa chọn chào hàng của bạn"),
                 [_("Người mua đã từ chối chào hàng của cơ sở cho yêu cầu \"%(title)s\". Cảm ơn cơ sở đã tham gia.",
                    title=request.title)]))
    return offer


# ------------------------------------------------------------------------- contact

def buyer_contact(request: SourcingRequest) -> dict[str, str]:
    user = request.buyer
    profile = db.session.get(BuyerProfile, user.id)
    return {
        "name": user.name or "",
        "organisation": profile.organisation if profile else "",
        "phone": format_phone(profile.phone) if profile else "",
        "email": user.email,
    }


def seller_contact(seller: Seller) -> dict[str, str]:
    return {"organisation": seller.name, "phone": seller.phone or "",
            "email": ", ".join(seller_addresses(seller)), "address": seller.address or ""}


def contact_lines(contact: dict[str, str]) -> list[str]:
    labels = {"name": _("Người liên hệ"), "organisation": _("Tên đơn vị"), "phone": _("Điện thoại"),
              "email": _("Email"), "address": _("Địa chỉ")}
    return [f"- {labels[k]}: {v}" for k, v in contact.items() if v]


# ---------------------------------------------------------------------------- mail

def _qty(value: int) -> str:
    return f"{int(value):,}".replace(",", ".")


def _link_buyer(request: SourcingRequest) -> str:
    return url_for("sourcing.mine_detail", request_id=request.id, _external=True)


def _link_seller(request: SourcingRequest) -> str:
    return url_for("sourcing.seller_detail", request_id=request.id, _external=True)


def seller_addresses(seller: Seller) -> list[str]:
    """The seller's public address and its active accounts' addresses, once each."""
    found = [seller.email] if seller.email else []
    found += db.session.scalars(
        sa.select(User.email).where(User.seller_id == seller.id, User.active.is_(True)).order_by(User.id)
    ).all()
    seen, unique = set(), []
    for address in found:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def _send(to: str, subject: str, greeting: str, lines: list[str]) -> None:
    site = current_app.config["SITE_NAME"]
    body = "\n".join([greeting, "", *lines, "", _("Trân trọng,"), site]) + "\n"
    send_after_commit(to, f"[{site}] {subject}", body)


@contextmanager
def _in_vietnamese():
    """Mail is written in Vietnamese whatever language the page that caused it is in."""
    if has_request_context():
        with force_locale("vi"):
            yield
    else:
        yield


def _mail_buyer(request: SourcingRequest, build: Callable[[], tuple[str, list[str]]]) -> None:
    """``build`` returns (subject, lines); it runs in Vietnamese."""
    user = request.buyer
    with _in_vietnamese():
        subject, lines = build()
        _send(user.email, subject, _("Kính gửi %(name)s,", name=user.name or user.email), lines)


def _mail_seller(seller: Seller, build: Callable[[], tuple[str, list[str]]]) -> None:
    with _in_vietnamese():
        subject, lines = build()
        for address in seller_addresses(seller):
            _send(address, subject, _("Kính gửi %(seller)s,", seller=seller.name), lines)


def _notify_match(match: SourcingMatch) -> None:
    request = match.request

    def build() -> tuple[str, list[str]]:
        certs = known_cert_codes()
        lines = [
            _("Một người mua (%(buyer)s) đang tìm nguồn hàng phù hợp với sản phẩm của cơ sở:",
              buyer=request.buyer_label),
            "",
            f"- {request.title}",
            _("- Số lượng: %(quantity)s %(unit)s %(frequency)s", quantity=_qty(request.quantity), unit=request.unit,
              frequency=FREQUENCIES[request.frequency]),
            _("- Giao tại: %(area)s", area=request.delivery_area),
            _("- Hạn chào hàng: %(date)s", date=format_date(request.deadline)),
        ]
        if request.required_certs:
            lines.append(_("- Chứng nhận yêu cầu: %(certs)s",
                           certs=", ".join(str(certs.get(c, c)) for c in request.required_certs)))
        if request.target_price_vnd:
            lines.append(_("- Giá mong muốn: %(price)s / %(unit)s", price=format_vnd(request.target_price_vnd),
                           unit=request.unit))
        lines += ["", _("Xem yêu cầu và gửi chào hàng:"), _link_seller(request)]
        return _("Người mua đang tìm nguồn hàng: %(title)s", title=request.title), lines

    _mail_seller(match.seller, build)
    match.notified_at = utcnow()
