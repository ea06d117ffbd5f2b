"""Write-side rules for order inquiries. Services flush, never commit; the view commits
once and then calls ``send_notifications`` (mail goes out only after the commit)."""
from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import abort, current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from ..catalog.models import Product
from ..extensions import db
from ..mail import send_mail
from ..sellers.models import Seller
from ..text import format_datetime, format_vnd, utcnow
from . import queries
from .models import INQUIRY_STATUSES, MAX_QUANTITY, Inquiry, InquiryItem, InquiryStatusChange

log = logging.getLogger(__name__)

NAME_MIN, NAME_MAX = 2, 100
MESSAGE_MAX = 2000
EMAIL_MAX = 254
MAX_LINES = 30  # products per submission (and per cart)

_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
# Unambiguous upper-case letters and digits (no 0/O, 1/I/L).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class InquiryError(ValueError):
    """Bad input, reported against one form field (``field``) in Vietnamese."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int


def normalise_phone(raw: str | None) -> str | None:
    """A Vietnamese phone number in its ``0…`` form, or None if it is not one.

    Mobile: 0[35789] + 8 digits (10 digits). Landline: 02 + 9 digits (11 digits).
    A ``+84`` / ``84`` prefix replaces the leading 0; spaces, dots, dashes and
    brackets are ignored.

    >>> normalise_phone("+84 912.345.678")
    '0912345678'
    >>> normalise_phone("(0208) 3855 123")
    '02083855123'
    """
    if not raw:
        return None
    digits = _PHONE_SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        if not digits.startswith("+84"):
            return None
        digits = digits[3:]
        digits = digits if digits.startswith("0") else "0" + digits
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if not digits.isascii() or not digits.isdigit():
        return None
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return None


def format_phone(phone: str) -> str:
    """``0912345678`` → ``0912 345 678``; ``02083855123`` → ``0208 3855 123``."""
    if len(phone) == 10:
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    if len(phone) == 11:
        return f"{phone[:4]} {phone[4:8]} {phone[8:]}"
    return phone


def _printable(value, keep: str = "") -> str:
    """The text without control characters (NUL and friends break PostgreSQL and mail
    headers); characters in ``keep`` (newline, tab) survive."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch if ch in keep or unicodedata.category(ch)[0] != "C" else " " for ch in text)


def clean_name(value) -> str:
    name = " ".join(_printable(value).split())
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise InquiryError("name", _("Họ tên cần từ %(min)d đến %(max)d ký tự.", min=NAME_MIN, max=NAME_MAX))
    return name


def clean_phone(value) -> str:
    phone = normalise_phone(str(value or ""))
    if phone is None:
        raise InquiryError(
            "phone",
            _("Số điện thoại không hợp lệ. Nhập số di động 10 chữ số (ví dụ 0912 345 678) "
              "hoặc số cố định 11 chữ số bắt đầu bằng 02."),
        )
    return phone


def clean_email(value) -> str:
    """Optional: empty stays empty; otherwise a syntactically valid address."""
    email = str(value or "").strip()
    if not email:
        return ""
    if _printable(email) != email:
        raise InquiryError("email", _("Địa chỉ email không hợp lệ."))
    if len(email) > EMAIL_MAX:
        raise InquiryError("email", _("Địa chỉ email quá dài."))
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InquiryError("email", _("Địa chỉ email không hợp lệ.")) from None


def clean_message(value) -> str:
    message = _printable(value, keep="\n\t").strip()
    if len(message) > MESSAGE_MAX:
        raise InquiryError("message", _("Lời nhắn tối đa %(max)s ký tự.", max=f"{MESSAGE_MAX:,}".replace(",", ".")))
    return message


def clean_contact(data: dict) -> dict:
    """Validate and normalise the buyer's contact details; raises InquiryError."""
    return {
        "name": clean_name(data.get("name")),
        "phone": clean_phone(data.get("phone")),
        "email": clean_email(data.get("email")),
        "message": clean_message(data.get("message")),
    }


def check_quantity(value, field: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise InquiryError(field, _("Số lượng phải là số nguyên từ 1 đến 100.000."))
    return value


def new_reference() -> str:
    """An unguessable, readable reference such as ``HH-7KQ2-M9XD-4TRA`` (~59 bits)."""
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(12))
    return f"HH-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def submit_inquiry(contact: dict, lines: Sequence[Line], *, user=None) -> list[Inquiry]:
    """Create one inquiry per seller for ``lines`` (one shared reference).

    Validates everything before adding anything to the session, so a failure
    leaves nothing behind. Returns the new inquiries (flushed, not committed).
    """
    cleaned = clean_contact(contact)
    if not lines:
        raise InquiryError("lines", _("Chưa có sản phẩm nào để hỏi hàng."))
    if len(lines) > MAX_LINES:
        raise InquiryError("lines", _("Mỗi lần gửi tối đa %(max)d sản phẩm.", max=MAX_LINES))
    by_seller: dict[int, list[Line]] = {}
    seen: set[int] = set()
    for line in lines:
        check_quantity(line.quantity)
        if not line.product.is_public:
            raise InquiryError("lines", _("Sản phẩm “%(name)s” hiện không nhận hỏi hàng.", name=line.product.name))
        if line.product.id in seen:
            raise InquiryError("lines", _("Sản phẩm “%(name)s” bị lặp.", name=line.product.name))
        seen.add(line.product.id)
        by_seller.setdefault(line.product.seller_id, []).append(line)

    reference = new_reference()
    while db.session.scalar(queries.inquiries_by_reference(reference).limit(1)) is not None:
        reference = new_reference()  # practically never
    inquiries = []
    for seller_lines in by_seller.values():
        inquiry = Inquiry(
            reference=reference,
            seller=seller_lines[0].product.seller,
            user_id=getattr(user, "id", None),
            status="new",
            **cleaned,
        )
        inquiry.items = [
            InquiryItem(
                product=line.product,
                product_name=line.product.name,
                unit=line.product.unit or "",
                price_vnd=line.product.price_vnd,
                quantity=line.quantity,
            )
            for line in seller_lines
        ]
        db.session.add(inquiry)
        inquiries.append(inquiry)
    db.session.flush()
    return inquiries


def get_owned_inquiry(seller: Seller, inquiry_id: int) -> Inquiry:
    """The seller's own inquiry, or 404 (also for another seller's id)."""
    inquiry = db.session.scalar(queries.owned_inquiry(seller, inquiry_id))
    if inquiry is None:
        abort(404)
    return inquiry


def change_status(inquiry: Inquiry, status: str, *, by_user=None) -> bool:
    """Set the status (any change allowed) and record it; False if unchanged."""
    if status not in INQUIRY_STATUSES:
        raise InquiryError("status", _("Trạng thái không hợp lệ."))
    if status == inquiry.status:
        return False
    now = utcnow()
    inquiry.status_changes.append(
        InquiryStatusChange(
            from_status=inquiry.status,
            to_status=status,
            changed_at=now,
            changed_by_id=getattr(by_user, "id", None),
        )
    )
    inquiry.status = status
    inquiry.status_changed_at = now
    db.session.flush()
    return True


# --- notifications (after commit) -------------------------------------------------

def _items_text(inquiry: Inquiry) -> str:
    rows = []
    for item in inquiry.items:
        unit = f" ({item.unit})" if item.unit else ""
        price = f" — {_('giá niêm yết')} {format_vnd(item.price_vnd)}" if item.price_vnd is not None else ""
        quantity = f"{item.quantity:,}".replace(",", ".")
        rows.append(f"  • {item.product_name}{unit}: {quantity}{price}")
    return "\n".join(rows)


def _seller_mail(inquiry: Inquiry) -> tuple[str, str]:
    site = current_app.config["SITE_NAME"]
    subject = _("[%(site)s] Yêu cầu hỏi hàng mới %(ref)s", site=site, ref=inquiry.reference)
    link = url_for("inquiries.detail", inquiry_id=inquiry.id, _external=True)
    lines = [
        _("Kính gửi %(seller)s,", seller=inquiry.seller.name),
        "",
        _("Bạn vừa nhận được một yêu cầu hỏi hàng trên %(site)s.", site=site),
        "",
        _("Mã yêu cầu: %(ref)s", ref=inquiry.reference),
        _("Thời gian: %(when)s", when=format_datetime(inquiry.created_at)),
        _("Người hỏi: %(name)s", name=inquiry.name),
        _("Điện thoại: %(phone)s", phone=format_phone(inquiry.phone)),
    ]
    if inquiry.email:
        lines.append(_("Email: %(email)s", email=inquiry.email))
    lines += ["", _("Sản phẩm và số lượng:"), _items_text(inquiry)]
    if inquiry.message:
        lines += ["", _("Lời nhắn:"), inquiry.message]
    lines += ["", _("Xem và cập nhật trạng thái: %(link)s", link=link), "",
              _("Vui lòng liên hệ lại với người mua sớm nhất có thể.")]
    return subject, "\n".join(lines)


def _buyer_mail(inquiries: Sequence[Inquiry], user) -> tuple[str, str]:
    """The signed-in buyer's copy: only what the site itself knows (reference, sellers,
    products, quantities) — none of the text typed into the form, so the copy cannot
    carry someone else's words to someone else's mailbox."""
    site = current_app.config["SITE_NAME"]
    first = inquiries[0]
    subject = _("[%(site)s] Đã gửi yêu cầu hỏi hàng %(ref)s", site=site, ref=first.reference)
    greeting = _("Chào %(name)s,", name=user.name) if user.name else _("Xin chào,")
    lines = [
        greeting,
        "",
        _("Yêu cầu hỏi hàng %(ref)s của bạn đã được gửi tới %(n)d người bán. "
          "Người bán sẽ liên hệ với bạn qua số điện thoại bạn đã để lại.",
          ref=first.reference, n=len(inquiries)),
    ]
    for inquiry in inquiries:
        seller = inquiry.seller
        lines += ["", f"{seller.name}" + (f" — {seller.phone}" if seller.phone else ""), _items_text(inquiry)]
    lines += ["", _("Bạn nhận được thư này vì đã gửi yêu cầu khi đăng nhập tài khoản %(email)s trên %(site)s.",
                    email=user.email, site=site)]
    return subject, "\n".join(lines)


def send_notifications(inquiries: Iterable[Inquiry]) -> int:
    """Mail each seller (in Vietnamese) and, when the buyer was signed in, a copy to the
    buyer's own account address (never to an address typed into the form: anyone could
    mail anything to anybody through it). Call after the commit.

    A failing mailer is logged, never raised: the inquiries are already saved.
    Returns the number of messages sent."""
    inquiries = list(inquiries)
    sent = 0
    for inquiry in inquiries:
        seller = inquiry.seller
        if not seller.email:
            log.info("inquiry %s: seller %s has no email, notification skipped", inquiry.id, seller.slug)
            continue
        try:
            with force_locale("vi"):
                subject, body = _seller_mail(inquiry)
            send_mail(seller.email, subject, body)
            sent += 1
        except Exception:  # noqa: BLE001 — delivery problems must not lose the inquiry
            log.exception("inquiry %s: notification to seller %s failed", inquiry.id, seller.slug)
    buyer = inquiries[0].user if inquiries else None
    if buyer is not None and buyer.email:
        try:
            subject, body = _buyer_mail(inquiries, buyer)
            send_mail(buyer.email, subject, body)
            sent += 1
        except Exception:  # noqa: BLE001
            log.exception("inquiry %s: buyer copy failed", inquiries[0].reference)
    return sent
