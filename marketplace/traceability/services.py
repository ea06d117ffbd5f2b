"""Write-side rules for lots. Services flush, never commit; the caller commits once.

Every lot write (dashboard form, spreadsheet import, demo seed, staff) goes through these
functions. A lot is public as soon as it is recorded (it is evidence, not an offer: no
review), so every later edit is appended to its history (``LotRevision``) for buyers to
read; staff may hide a lot with a reason, as they take a product down.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ..catalog.models import Product
from ..catalog.product_data import parse_price_vnd
from ..extensions import db
from ..text import fold, format_date, today_vn, utcnow
from ..validation import ValidationError, _
from .models import Lot, LotRevision

# What a lot says (the form's and the spreadsheet's fields), in display order.
LOT_FIELDS = ("product_id", "code", "harvested_on", "quantity", "unit", "origin", "best_before",
              "packing_facility", "notes")
# Changes kept in the visible history (the product and code never change after recording).
HISTORY_FIELDS = LOT_FIELDS[2:] + ("photo", "certifications")
CODE_MAX = 20  # GS1 AI 10 (batch/lot) holds 20 characters
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
UNIT_MAX, ORIGIN_MAX, FACILITY_MAX, NOTES_MAX = 30, 200, 200, 2000
EARLIEST = date(2000, 1, 1)
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


def code_message() -> str:
    return _("Mã lô chỉ gồm chữ cái không dấu, chữ số và dấu gạch ngang (-), không có khoảng trắng, "
             "tối đa 20 ký tự (ví dụ CHE-250612).")


def parse_date(value: Any) -> date | None:
    """A date typed by a person (dd/mm/yyyy) or a browser/spreadsheet (yyyy-mm-dd, a
    date cell); None when empty; ValueError when it is not a date."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _text(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


def normalize_code(value: Any) -> str:
    """Upper case, surrounding spaces dropped (inner spaces are refused, not removed)."""
    return str(value or "").strip().upper()


def code_taken(code: str, *, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Lot.id).where(Lot.code == code)
    if exclude_id is not None:
        stmt = stmt.where(Lot.id != exclude_id)
    return db.session.scalar(stmt) is not None


def suggest_code(product: Product, harvested_on: date | None = None, *, taken: set[str] | None = None) -> str:
    """A free code: the product's own code (or ``SP<id>``) and the harvest day,
    ``CHE-01-250612``, with ``-2``, ``-3``… appended when taken."""
    root = re.sub(r"[^A-Z0-9]+", "-", fold(product.code or "").upper()).strip("-")[:10] or f"SP{product.id}"
    day = harvested_on or today_vn()
    base = f"{root}-{day:%y%m%d}"
    candidate, n = base, 1
    while (taken is not None and candidate in taken) or code_taken(candidate):
        n += 1
        candidate = f"{base[: CODE_MAX - len(str(n)) - 1]}-{n}"
    return candidate


def _date(data: dict, key: str, errors: dict[str, str], invalid: str) -> date | None:
    try:
        return parse_date(data.get(key))
    except ValueError:
        errors[key] = invalid
        return None


def _bounded_text(data: dict, key: str, errors: dict[str, str], limit: int, too_long: str,
                  required: str | None = None) -> str:
    value = _text(data.get(key))
    if required is not None and not value:
        errors[key] = required
    elif len(value) > limit:
        errors[key] = too_long
    return value


def validate_lot_data(seller, data: dict, *, lot: Lot | None = None, codes_in_use: set[str] | None = None,
                      products: dict[int, Product] | None = None) -> dict:
    """Clean and check lot data; the cleaned values of the keys given (all when creating).
    Raises ValidationError naming every bad field. ``products``/``codes_in_use``: the
    seller's products and the codes already used in a batch (a spreadsheet import)."""
    creating = lot is None
    keys = [k for k in LOT_FIELDS if creating or k in data]
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    today = today_vn()

    product = lot.product if lot is not None else None
    if "product_id" in keys:
        try:
            product_id = int(data.get("product_id") or 0)
        except (TypeError, ValueError):
            product_id = 0
        if lot is not None and product_id != lot.product_id:
            errors["product_id"] = _("Không đổi được sản phẩm của một lô đã ghi. Hãy ghi một lô mới.")
        else:
            if products is not None:
                product = products.get(product_id)
            else:
                product = db.session.scalars(
                    sa.select(Product).where(Product.id == product_id, Product.seller_id == seller.id)).first()
            if product is None or product.seller_id != seller.id:
                errors["product_id"] = _("Vui lòng chọn một sản phẩm của cơ sở.")
            clean["product_id"] = product_id
    if "harvested_on" in keys:
        harvested = _date(data, "harvested_on", errors, _("Ngày thu hoạch / sản xuất không hợp lệ (dd/mm/yyyy)."))
        if "harvested_on" not in errors:
            if harvested is None:
                errors["harvested_on"] = _("Vui lòng nhập ngày thu hoạch / sản xuất.")
            elif harvested > today:
                errors["harvested_on"] = _("Ngày thu hoạch / sản xuất không thể sau hôm nay (%(today)s).",
                                           today=format_date(today))
            elif harvested < EARLIEST:
                errors["harvested_on"] = _("Ngày thu hoạch / sản xuất phải từ năm 2000 trở đi.")
        clean["harvested_on"] = harvested
    if "code" in keys:
        code = normalize_code(data.get("code"))
        if lot is not None:
            if code != lot.code:
                errors["code"] = _("Không đổi được mã lô đã ghi: mã QR đã in dẫn tới mã này.")
        elif not code:
            if product is not None and clean.get("harvested_on"):
                code = suggest_code(product, clean["harvested_on"], taken=codes_in_use)
            else:
                errors.setdefault("code", _("Vui lòng nhập mã lô."))
        elif len(code) > CODE_MAX or not CODE_RE.match(code):
            errors["code"] = code_message()
        elif (codes_in_use is not None and code in codes_in_use) or code_taken(code):
            errors["code"] = _("Mã lô %(code)s đã được dùng. Hãy chọn mã khác (ví dụ thêm -2).", code=code)
        clean["code"] = code
    if "quantity" in keys:
        try:
            clean["quantity"] = parse_price_vnd(data.get("quantity"))  # a whole positive number, "1.200" too
        except (TypeError, ValueError):
            errors["quantity"] = _("Số lượng phải là số nguyên dương (ví dụ 120).")
    if "unit" in keys:
        clean["unit"] = _bounded_text(data, "unit", errors, UNIT_MAX, _("Đơn vị tối đa 30 ký tự."),
                                      _("Vui lòng nhập đơn vị của số lượng (kg, hộp, gói…)."))
    if "origin" in keys:
        clean["origin"] = _bounded_text(
            data, "origin", errors, ORIGIN_MAX, _("Vùng trồng / nơi sản xuất tối đa 200 ký tự."),
            _("Vui lòng nhập mã số vùng trồng hoặc nơi thu hoạch / sản xuất."))
    if "best_before" in keys:
        best_before = _date(data, "best_before", errors, _("Hạn sử dụng không hợp lệ (dd/mm/yyyy)."))
        harvested = clean.get("harvested_on", lot.harvested_on if lot is not None else None)
        if best_before is not None and harvested is not None and best_before < harvested:
            errors["best_before"] = _("Hạn sử dụng không thể trước ngày thu hoạch / sản xuất.")
        clean["best_before"] = best_before
    if "packing_facility" in keys:
        clean["packing_facility"] = _bounded_text(data, "packing_facility", errors, FACILITY_MAX,
                                                  _("Cơ sở đóng gói tối đa 200 ký tự."))
    if "notes" in keys:
        notes = str(data.get("notes") or "").replace("\r\n", "\n").strip()
        if len(notes) > NOTES_MAX:
            errors["notes"] = _("Ghi chú tối đa 2.000 ký tự.")
        clean["notes"] = notes
    if errors:
        raise ValidationError.from_errors(errors)
    return clean


def resolve_certifications(seller, ids: Any) -> list:
    """The seller's own certifications among ``ids`` (any other id: ValidationError on
    ``certification_ids``). OCOP certificates apply through their product, not here."""
    from ..certifications.models import OCOP, Certification

    try:
        wanted = sorted({int(i) for i in (ids or []) if str(i).strip()})
    except (TypeError, ValueError):
        wanted = [-1]
    if not wanted:
        return []
    found = list(db.session.scalars(
        sa.select(Certification).where(Certification.id.in_(wanted), Certification.seller_id == seller.id,
                                       Certification.kind != OCOP).order_by(Certification.id)))
    if len(found) != len(wanted):
        raise ValidationError("certification_ids", _("Chỉ chọn được chứng nhận của chính cơ sở."))
    return found


def _certificate_labels(certs) -> list[str]:  # noqa: ANN001
    return [f"{c.label} {c.number}".strip() for c in certs]


def _link_certifications(lot: Lot, certs: list, changes: dict | None) -> None:
    before = sorted(c.id for c in lot.certifications)
    if before == [c.id for c in certs]:
        return
    if changes is not None:
        changes["certifications"] = [_certificate_labels(lot.certifications), _certificate_labels(certs)]
    lot.certifications = certs


def _history_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def create_lot(seller, data: dict, *, actor=None, codes_in_use: set[str] | None = None,
               products: dict[int, Product] | None = None, is_demo: bool = False) -> Lot:
    """A new public lot of one of ``seller``'s products."""
    from ..audit.services import record

    with db.session.no_autoflush:
        clean = validate_lot_data(seller, data, codes_in_use=codes_in_use, products=products)
        certs = resolve_certifications(seller, data.get("certification_ids")) if "certification_ids" in data else []
    lot = Lot(seller_id=seller.id, status="published", created_by_id=getattr(actor, "id", None), is_demo=is_demo,
              **clean)
    db.session.add(lot)
    if certs:
        lot.certifications = certs
    db.session.flush()
    if codes_in_use is not None:
        codes_in_use.add(lot.code)
    if not is_demo:
        record("lot.create", "lot", lot.id, actor=actor,
               after={k: _history_value(v) for k, v in clean.items()})
    return lot


def _append_history(lot: Lot, changes: dict[str, list], actor) -> LotRevision:
    revision = LotRevision(changes=changes, changed_by_id=getattr(actor, "id", None))
    lot.revisions.append(revision)
    lot.updated_at = utcnow()
    return revision


def update_lot(lot: Lot, data: dict, *, actor=None) -> Lot:
    """Change the keys of LOT_FIELDS present in ``data``; the change is appended to the
    lot's public history. An unchanged form writes nothing."""
    from ..audit.services import record

    with db.session.no_autoflush:
        clean = validate_lot_data(lot.product.seller, data, lot=lot)
        certs = (resolve_certifications(lot.product.seller, data.get("certification_ids"))
                 if "certification_ids" in data else None)
    changes = {key: [_history_value(getattr(lot, key)), _history_value(value)]
               for key, value in clean.items() if key in HISTORY_FIELDS and getattr(lot, key) != value}
    for key in changes:
        setattr(lot, key, clean[key])
    if certs is not None:
        _link_certifications(lot, certs, changes)
    if not changes:
        return lot
    _append_history(lot, changes, actor)
    db.session.flush()
    record("lot.update", "lot", lot.id, actor=actor, before={k: v[0] for k, v in changes.items()},
           after={k: v[1] for k, v in changes.items()})
    return lot


def set_lot_photo(lot: Lot, stream, *, actor=None, record_history: bool = True) -> Lot:
    """Decode, clean and store a picture (the media service: Pillow, EXIF/GPS dropped,
    WebP renditions) as the lot's one photo. Raises ``ImageRejected`` for a bad file;
    nothing changes then."""
    from ..media import get_storage
    from ..media.images import process_upload, store_renditions
    from ..media.services import release_file_key, track_new_file_key

    image = process_upload(stream)
    key, width, height = store_renditions(get_storage(), image)
    if key == lot.photo_key:
        return lot
    track_new_file_key(key)  # removed again if the transaction rolls back
    before = lot.photo_key
    release_file_key(before)  # the replaced picture goes after commit unless still used
    lot.photo_key, lot.photo_width, lot.photo_height = key, width, height
    if record_history and lot.id is not None and before is not None:
        _append_history(lot, {"photo": [before, key]}, actor)
    db.session.flush()
    return lot


def hide_lot(lot: Lot, reason: str, *, actor) -> Lot:
    """Staff take a lot off the public site, with the reason the seller sees."""
    from ..audit.services import record

    reason = _text(reason)
    if len(reason) < 5:
        raise ValidationError("reason", _("Hãy ghi lý do ẩn lô (ít nhất 5 ký tự); cơ sở sẽ thấy lý do này."))
    if lot.status == "hidden":
        return lot
    lot.status, lot.hidden_reason, lot.hidden_at, lot.hidden_by_id = "hidden", reason, utcnow(), actor.id
    db.session.flush()
    record("lot.hide", "lot", lot.id, actor=actor, before={"status": "published"}, after={"status": "hidden"},
           reason=reason)
    return lot


def show_lot(lot: Lot, *, actor) -> Lot:
    from ..audit.services import record

    if lot.status != "hidden":
        return lot
    lot.status, lot.hidden_at, lot.hidden_by_id = "published", None, None
    db.session.flush()
    record("lot.show", "lot", lot.id, actor=actor, before={"status": "hidden"}, after={"status": "published"})
    return lot
