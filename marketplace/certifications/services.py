"""Write-side rules for certifications of every kind other than OCOP (whose form and
rules stay in ``catalog.services.set_certification``: stars, group, 36 months).

Services flush, never commit; callers commit once. A seller's change clears the staff
verification (the badge goes until staff verify again). Messages are Vietnamese.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from ..audit.services import record, snapshot
from ..catalog.product_data import clean_text as _clean_text
from ..catalog.services import _parse_date, store_certificate_scan
from ..extensions import db
from ..text import today_vn, utcnow
from ..validation import ValidationError, _
from .models import (
    KINDS,
    NO_EXPIRY,
    OCOP,
    OPTIONAL_EXPIRY,
    SCOPES,
    Certification,
    CertificationProduct,
)

AUDIT_FIELDS = ("kind", "scope", "number", "issuer", "scheme", "place", "issued_on", "expires_on", "scan_key",
                "product_ids", "verified_at")
NUMBER_MIN, NUMBER_MAX = 2, 100
ISSUER_MAX = 200
SCHEME_MAX = 100
PLACE_MAX = 300
EARLIEST_YEAR = 1990
_ID_LIST = re.compile(r"\d+")


def _product_ids(value: Any) -> list[int]:
    """Ids from a form's multi-select, an API list, or "1,2,3"."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        items = value
    else:
        items = _ID_LIST.findall(str(value))
    ids = []
    for item in items:
        try:
            ids.append(int(item))
        except (TypeError, ValueError):
            raise ValueError(item) from None
    return sorted(set(ids))


def validate(seller, data: dict) -> dict:
    """Clean and check a certification's fields; raises ValidationError naming every
    field in error. Returns kind, scope, number, issuer, scheme, issued_on, expires_on,
    product_ids."""
    from ..catalog.models import Product

    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "")
    if kind == OCOP:
        errors["kind"] = _("Chứng nhận OCOP khai báo ở trang chứng nhận của từng sản phẩm.")
    elif kind not in KINDS:
        errors["kind"] = _("Vui lòng chọn loại chứng nhận.")
    number = _clean_text(data.get("number"))
    if not NUMBER_MIN <= len(number) <= NUMBER_MAX:
        errors["number"] = _("Vui lòng nhập số chứng nhận hoặc mã số (2–100 ký tự).")
    issuer = _clean_text(data.get("issuer"))
    if not issuer:
        errors["issuer"] = _("Vui lòng nhập tổ chức cấp (ghi như trên giấy chứng nhận).")
    elif len(issuer) > ISSUER_MAX:
        errors["issuer"] = _("Tổ chức cấp tối đa 200 ký tự.")
    scheme = _clean_text(data.get("scheme")) or None
    if kind == "organic" and not scheme:
        errors["scheme"] = _("Vui lòng ghi tiêu chuẩn hữu cơ (TCVN 11041 hoặc tên chương trình nước ngoài).")
    elif scheme is not None and len(scheme) > SCHEME_MAX:
        errors["scheme"] = _("Tiêu chuẩn tối đa 100 ký tự.")
    place = _clean_text(data.get("place")) or None
    if place is not None and len(place) > PLACE_MAX:
        errors["place"] = _("Vùng sản xuất tối đa 300 ký tự.")
    today = today_vn()
    issued_on = _parse_date(data.get("issued_on"))
    if issued_on is None or issued_on.year < EARLIEST_YEAR:
        errors["issued_on"] = _("Ngày cấp không hợp lệ (dd/mm/yyyy).")
    elif issued_on > today:
        errors["issued_on"] = _("Ngày cấp không được sau hôm nay.")
    raw_expiry = data.get("expires_on")
    expires_on = _parse_date(raw_expiry)
    if kind in NO_EXPIRY:
        if raw_expiry not in (None, ""):
            errors["expires_on"] = _("Chỉ dẫn địa lý được bảo hộ không thời hạn: hãy bỏ trống ngày hết hạn.")
        expires_on = None
    elif raw_expiry in (None, ""):
        if kind not in OPTIONAL_EXPIRY and kind in KINDS:
            errors["expires_on"] = _("Vui lòng nhập ngày hết hạn (dd/mm/yyyy).")
    elif expires_on is None:
        errors["expires_on"] = _("Ngày hết hạn không hợp lệ (dd/mm/yyyy).")
    elif issued_on is not None and expires_on <= issued_on:
        errors["expires_on"] = _("Ngày hết hạn phải sau ngày cấp.")
    scope = str(data.get("scope") or "seller")
    if scope not in SCOPES:
        errors["scope"] = _("Phạm vi áp dụng không hợp lệ.")
    try:
        product_ids = _product_ids(data.get("product_ids"))
    except ValueError:
        errors["product_ids"] = _("Danh sách sản phẩm không hợp lệ.")
        product_ids = []
    if scope == "products":
        owned = set(db.session.scalars(
            sa.select(Product.id).where(Product.seller_id == seller.id, Product.id.in_(product_ids or [0]))))
        if not product_ids:
            errors["product_ids"] = _("Chọn ít nhất một sản phẩm được chứng nhận.")
        elif owned != set(product_ids):
            errors["product_ids"] = _("Chỉ chọn được sản phẩm của cơ sở mình.")
    else:
        product_ids = []
    if errors:
        raise ValidationError.from_errors(errors)
    return {"kind": kind, "scope": scope, "number": number, "issuer": issuer, "scheme": scheme, "place": place,
            "issued_on": issued_on, "expires_on": expires_on, "product_ids": product_ids}


def _audit(cert: Certification) -> dict:
    values = snapshot(cert, [f for f in AUDIT_FIELDS if f != "product_ids"])
    values["product_ids"] = sorted(p.id for p in cert.products)
    return values


def _apply(cert: Certification, clean: dict, scan_key: str | None) -> None:
    from ..catalog.models import Product

    for key in ("kind", "scope", "number", "issuer", "scheme", "place", "issued_on", "expires_on"):
        setattr(cert, key, clean[key])
    cert.products = list(db.session.scalars(
        sa.select(Product).where(Product.id.in_(clean["product_ids"] or [0])))) if clean["product_ids"] else []
    if scan_key:
        cert.scan_key = scan_key
    cert.verified_at = None
    cert.verified_by_id = None
    cert.rejected_at = None
    cert.review_note = None


def create_certification(seller, data: dict, scan: bytes | None = None, *, actor=None) -> Certification:
    """A new certification of ``seller``, waiting for staff verification."""
    clean = validate(seller, data)
    scan_key = store_certificate_scan(scan) if scan else None
    cert = Certification(seller_id=seller.id)
    _apply(cert, clean, scan_key)
    db.session.add(cert)
    db.session.flush()
    record("certificate.create", "certificate", cert.id, actor=actor, before={}, after=_audit(cert))
    return cert


def update_certification(cert: Certification, data: dict, scan: bytes | None = None, *,
                         actor=None) -> Certification:
    """Replace the details (and scan, if one is given); a change sends it back to staff.
    Nothing changes when validation fails."""
    if cert.kind == OCOP:
        raise ValidationError("kind", _("Chứng nhận OCOP khai báo ở trang chứng nhận của từng sản phẩm."))
    clean = validate(cert.seller, data)
    before = _audit(cert)
    changed = before["product_ids"] != clean["product_ids"] or any(
        getattr(cert, key) != value for key, value in clean.items() if key != "product_ids")
    if not changed and not scan:  # an unchanged form keeps the verification
        return cert
    scan_key = store_certificate_scan(scan) if scan else None
    _apply(cert, clean, scan_key)
    db.session.flush()
    record("certificate.update", "certificate", cert.id, actor=actor, before=before, after=_audit(cert))
    return cert


def delete_certification(cert: Certification, *, actor=None) -> None:
    if cert.kind == OCOP:
        raise ValidationError("kind", _("Chứng nhận OCOP khai báo ở trang chứng nhận của từng sản phẩm."))
    record("certificate.delete", "certificate", cert.id, actor=actor,
           before=_audit(cert) | {"seller_id": cert.seller_id}, after={})
    db.session.execute(sa.delete(CertificationProduct).where(CertificationProduct.certification_id == cert.id))
    db.session.delete(cert)
    db.session.flush()


def verify(cert: Certification, user) -> Certification:
    """Staff confirm the certificate against its scan (any kind)."""
    cert.verified_at = utcnow()
    cert.verified_by_id = user.id if user is not None else None
    cert.rejected_at = None
    cert.review_note = None
    db.session.flush()
    return cert



LAPSE_WINDOW_DAYS = 7


def reindex_lapsed(today, days: int = LAPSE_WINDOW_DAYS) -> int:  # noqa: ANN001
    """Certifications (other kinds than OCOP) that expired in the last ``days`` days:
    marked changed, so the commit's search hooks rebuild their products' folded text and
    documents without their words (filters and badges read the expiry themselves; only
    the words wait for this). Run daily by the certificates_remind job. Flushes."""
    from datetime import timedelta

    from sqlalchemy.orm.attributes import flag_modified

    certs = db.session.scalars(sa.select(Certification).where(
        Certification.kind != OCOP, Certification.verified_at.is_not(None),
        Certification.expires_on < today, Certification.expires_on >= today - timedelta(days=days))).all()
    for cert in certs:
        flag_modified(cert, "expires_on")
    db.session.flush()
    return len(certs)
