"""Seller rules: onboarding, profile edits, approval. Flush, never commit."""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from ..catalog.models import Area
from ..slugs import unique_slug
from ..validation import ValidationError, _
from ..extensions import db
from ..text import utcnow
from .models import SELLER_KINDS, Seller

PROFILE_FIELDS = ("kind", "name", "address", "area_id", "phone", "email", "website", "story")
MAX_LOGO_BYTES = 10 * 1024 * 1024
LOGO_WIDTHS = (160, 320)
_PHONE_STRIP = re.compile(r"[\s.\-()]")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def normalize_phone(value: Any) -> str:
    """A Vietnamese phone number as ``0…`` digits: mobile 0 + 9 digits, landline
    02x + 8 digits; +84 / 84 prefixes accepted. Raises ValueError otherwise."""
    text = _PHONE_STRIP.sub("", str(value or ""))
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    if re.fullmatch(r"0[35789]\d{8}", text) or re.fullmatch(r"02\d{9}", text):
        return text
    raise ValueError("not a Vietnamese phone number")


def phone_message() -> str:
    return _("Số điện thoại không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678).")


def _validate_profile(data: dict, *, creating: bool) -> dict:
    keys = [k for k in PROFILE_FIELDS if creating or k in data]
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if "kind" in keys:
        kind = str(data.get("kind") or "")
        if kind not in SELLER_KINDS:
            errors["kind"] = _("Vui lòng chọn loại hình: hợp tác xã, doanh nghiệp hoặc hộ kinh doanh.")
        clean["kind"] = kind
    if "name" in keys:
        name = re.sub(r"\s+", " ", str(data.get("name") or "")).strip()
        if not 3 <= len(name) <= 200:
            errors["name"] = _("Tên cơ sở phải dài từ 3 đến 200 ký tự.")
        clean["name"] = name
    if "address" in keys:
        address = str(data.get("address") or "").strip()
        if len(address) > 300:
            errors["address"] = _("Địa chỉ tối đa 300 ký tự.")
        elif creating and not address:
            errors["address"] = _("Vui lòng nhập địa chỉ.")
        clean["address"] = address
    if "area_id" in keys:
        raw = data.get("area_id")
        try:
            area_id = int(raw) if raw not in (None, "", 0, "0") else None
        except (TypeError, ValueError):
            area_id = -1
        if area_id is None:
            errors["area_id"] = _("Vui lòng chọn xã/phường.")
        elif area_id < 0 or db.session.get(Area, area_id) is None:
            errors["area_id"] = _("Khu vực không hợp lệ.")
        clean["area_id"] = area_id
    if "phone" in keys:
        try:
            clean["phone"] = normalize_phone(data.get("phone"))
        except ValueError:
            errors["phone"] = phone_message()
    if "email" in keys:
        email = str(data.get("email") or "").strip().lower()
        if email:
            from email_validator import EmailNotValidError, validate_email

            try:
                validate_email(email, check_deliverability=False)
            except EmailNotValidError:
                errors["email"] = _("Địa chỉ email không hợp lệ.")
        clean["email"] = email
    if "website" in keys:
        website = str(data.get("website") or "").strip()
        if website and (len(website) > 300 or not _URL.match(website)):
            errors["website"] = _("Trang web phải bắt đầu bằng http:// hoặc https://")
        clean["website"] = website
    if "story" in keys:
        story = str(data.get("story") or "").replace("\r\n", "\n").strip()
        if len(story) > 5000:
            errors["story"] = _("Câu chuyện tối đa 5.000 ký tự.")
        clean["story"] = story
    if errors:
        raise ValidationError.from_errors(errors)
    return clean


def store_logo(data: bytes) -> str:
    """Decode through the one bounded upload decoder (``media.images.process_upload``:
    limits, reduced decode, orientation, no metadata), re-encode to WebP renditions;
    returns the key."""
    from ..media import get_storage
    from ..media.images import ImageRejected, process_upload, store_renditions

    try:
        image = process_upload(data, max_bytes=MAX_LOGO_BYTES)
    except ImageRejected as exc:
        raise ValidationError("logo", _("Logo phải là ảnh JPEG, PNG hoặc WebP, tối đa 10 MB.") + " " + exc.message) from None
    key, _w, _h = store_renditions(get_storage(), image, widths=LOGO_WIDTHS)
    return key


def create_seller(user, data: dict, logo: bytes | None = None) -> Seller:
    """Onboarding: ``user`` registers its business; the seller starts ``pending``
    (invisible to buyers) and the user becomes a seller member of it."""
    if user.seller_id is not None:
        raise ValidationError("name", _("Tài khoản này đã thuộc một cơ sở."))
    clean = _validate_profile(data, creating=True)
    logo_key = store_logo(logo) if logo else None
    seller = Seller(status="pending", slug=unique_slug(Seller, clean["name"]), logo_key=logo_key, **clean)
    db.session.add(seller)
    db.session.flush()
    user.seller_id = seller.id
    if user.role == "buyer":
        user.role = "seller"
    db.session.flush()
    return seller


def update_seller(seller: Seller, data: dict, logo: bytes | None = None, *, actor=None) -> Seller:
    """Profile edit by the seller (audited). The slug (public URL) never changes; status
    stays. A registration staff rejected goes back to the review queue."""
    from ..audit.services import record, snapshot

    clean = _validate_profile(data, creating=False)
    logo_key = store_logo(logo) if logo else None
    fields = [*clean, "logo_key"]
    before = snapshot(seller, fields)
    for key, value in clean.items():
        setattr(seller, key, value)
    if logo_key:
        seller.logo_key = logo_key
    seller.rejected_at = None
    seller.updated_at = utcnow()
    db.session.flush()
    record("seller.update", "seller", seller.id, actor=actor, before=before, after=snapshot(seller, fields))
    return seller


def approve_seller(seller: Seller) -> Seller:
    seller.status = "approved"
    seller.updated_at = utcnow()
    db.session.flush()
    return seller


def suspend_seller(seller: Seller) -> Seller:
    seller.status = "suspended"
    seller.updated_at = utcnow()
    db.session.flush()
    return seller


def seller_by_slug(slug: str) -> Seller | None:
    return db.session.scalars(sa.select(Seller).where(Seller.slug == slug)).first()
