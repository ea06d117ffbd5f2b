"""What a product's fields may hold, and what is derived from them: the limits, the
price a person types, the validation every product write shares (dashboard, spreadsheet
import, CLI; Vietnamese messages, shown to sellers as they are) and the folded text the
database search matches against."""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..text import fold
from ..validation import ValidationError, _
from .models import Area, Category, Product

# Supply capacity (issue 19): all optional, routine facts (never sent to review).
CAPACITY_FIELDS = ("monthly_volume", "volume_unit", "min_order_qty", "lead_time_days", "packaging", "season_mask")
PRODUCT_FIELDS = ("name", "code", "category_id", "price_vnd", "unit", "description", "area_id", "gtin") + CAPACITY_FIELDS
# Changing one of these on a published product sends it back to review: they change
# what the listing claims. Price, unit, code and area are routine facts and stay live.
REVIEWED_FIELDS = ("name", "description", "category_id")
MIN_PRICE, MAX_PRICE = 1, 1_000_000_000
NAME_MIN, NAME_MAX = 3, 200
UNIT_MAX = 100
CODE_MAX = 64
DESCRIPTION_MAX = 10_000

_PRICE_SEPARATORS = re.compile(r"[.\s\u00a0_,]")
_PRICE_SUFFIX = re.compile(r"\s*(₫|đ|vnd|vnđ|dong|đồng)\s*$", re.IGNORECASE)
_CODE_RE = re.compile(r"^[A-Za-z0-9._/-]+$")


def price_message() -> str:
    return _("Giá phải là số nguyên từ 1 đến 1.000.000.000 ₫")


def parse_price_vnd(value: Any) -> int:
    """A whole number of VND typed by a person: "150.000", "150 000", "150000 ₫", 150000.

    Raises ValueError for decimals, negatives, text or out-of-range values.
    """
    if isinstance(value, bool):
        raise ValueError("bool")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError("decimal")
        amount = int(value)
    else:
        text = _PRICE_SUFFIX.sub("", str(value or "").strip())
        # "150.000" and "1.500.000" use dots for thousands; "150,5" or "150.5" are decimals.
        if re.fullmatch(r"\d{1,3}([.,\s\u00a0]\d{3})+", text) or re.fullmatch(r"\d+", text):
            amount = int(_PRICE_SEPARATORS.sub("", text))
        else:
            raise ValueError("not a whole number")
    if not MIN_PRICE <= amount <= MAX_PRICE:
        raise ValueError("out of range")
    return amount


def clean_text(value: Any) -> str:
    return re.sub(r"[ \t]+", " ", str(value or "")).strip()


def _optional_int(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    return int(value)


def validate_product_data(
    seller, data: dict, *, product: Product | None = None, codes_in_use: set[str] | None = None
) -> dict:
    """Clean and check product data; returns the cleaned values of the keys given
    (all keys when creating). Raises ValidationError with every problem found.
    ``codes_in_use``: the seller's codes, already loaded (a batch); no query then."""
    creating = product is None
    keys = [k for k in PRODUCT_FIELDS if creating or k in data]
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}

    if "name" in keys:
        name = clean_text(data.get("name"))
        if not NAME_MIN <= len(name) <= NAME_MAX:
            errors["name"] = _("Tên sản phẩm phải dài từ 3 đến 200 ký tự.")
        clean["name"] = name
    if "code" in keys:
        code = clean_text(data.get("code")) or None
        if code is not None:
            if len(code) > CODE_MAX or not _CODE_RE.match(code):
                errors["code"] = _("Mã sản phẩm chỉ gồm chữ không dấu, số và . _ - / (tối đa 64 ký tự).")
            else:
                if codes_in_use is not None:
                    taken = code in codes_in_use
                else:
                    stmt = sa.select(Product.id).where(Product.seller_id == seller.id, Product.code == code)
                    if product is not None and product.id is not None:
                        stmt = stmt.where(Product.id != product.id)
                    taken = db.session.scalar(stmt) is not None
                if taken:
                    errors["code"] = _("Mã sản phẩm %(code)s đã được dùng cho một sản phẩm khác của bạn.", code=code)
        clean["code"] = code
    if "gtin" in keys:
        try:
            clean["gtin"] = validate_gtin(data.get("gtin"), product=product)
        except ValidationError as exc:
            errors["gtin"] = exc.message
    if "category_id" in keys:
        try:
            category_id = _optional_int(data.get("category_id"))
        except (TypeError, ValueError):
            category_id = None
        if category_id is None or db.session.get(Category, category_id) is None:
            errors["category_id"] = _("Vui lòng chọn danh mục.")
        clean["category_id"] = category_id
    if "price_vnd" in keys:
        try:
            clean["price_vnd"] = parse_price_vnd(data.get("price_vnd"))
        except (TypeError, ValueError):
            errors["price_vnd"] = price_message()
    if "unit" in keys:
        unit = clean_text(data.get("unit"))
        if not unit:
            errors["unit"] = _("Vui lòng nhập đơn vị tính / quy cách (ví dụ: hộp 200 g).")
        elif len(unit) > UNIT_MAX:
            errors["unit"] = _("Đơn vị tính tối đa 100 ký tự.")
        clean["unit"] = unit
    if "description" in keys:
        description = str(data.get("description") or "").replace("\r\n", "\n").strip()
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = _("Mô tả tối đa 10.000 ký tự.")
        clean["description"] = description
    if "area_id" in keys:
        try:
            area_id = _optional_int(data.get("area_id"))
        except (TypeError, ValueError):
            area_id = -1
        if area_id is not None and (area_id < 0 or db.session.get(Area, area_id) is None):
            errors["area_id"] = _("Khu vực không hợp lệ.")
        clean["area_id"] = area_id
    clean_capacity(data, keys, clean, errors)
    if errors:
        raise ValidationError.from_errors(errors)
    return clean


# Bounds of the capacity fields (whole numbers; the database columns hold them).
MAX_VOLUME = 100_000_000
MAX_LEAD_DAYS = 365
VOLUME_UNIT_MAX = 30
PACKAGING_MAX = 200


def parse_quantity(value: Any, *, low: int, high: int) -> int | None:
    """A whole number a person typed ("1.500", "1 500", 1500) within ``low..high``;
    None when empty. Raises ValueError otherwise (decimals, text, out of range)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("bool")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("decimal")
        value = int(value)
    if isinstance(value, int):
        amount = value
    else:
        text = str(value).strip()
        if not text:
            return None
        if re.fullmatch(r"\d{1,3}([.\s\u00a0]\d{3})+", text):
            text = _PRICE_SEPARATORS.sub("", text)
        if not (text.isascii() and text.isdigit()) or len(text) > 12:
            raise ValueError("not a whole number")
        amount = int(text)
    if not low <= amount <= high:
        raise ValueError("out of range")
    return amount


def clean_capacity(data: dict, keys, clean: dict, errors: dict) -> None:
    """The capacity fields among ``keys``: bounded whole numbers, short texts, a month set
    (``marketplace.seasons.parse_months``: "3-10", [3, 4, 5], "quanh năm")."""
    from ..seasons import parse_months

    bounded = {
        "monthly_volume": (1, MAX_VOLUME, _("Sản lượng mỗi tháng phải là số nguyên từ 1 đến 100.000.000.")),
        "min_order_qty": (1, MAX_VOLUME, _("Đơn hàng tối thiểu phải là số nguyên từ 1 đến 100.000.000.")),
        "lead_time_days": (0, MAX_LEAD_DAYS, _("Thời gian chuẩn bị hàng phải là số ngày nguyên từ 0 đến 365.")),
    }
    for key, (low, high, message) in bounded.items():
        if key in keys:
            try:
                clean[key] = parse_quantity(data.get(key), low=low, high=high)
            except (TypeError, ValueError):
                errors[key] = message
    if "volume_unit" in keys:
        unit = clean_text(data.get("volume_unit")) or None
        if unit is not None and len(unit) > VOLUME_UNIT_MAX:
            errors["volume_unit"] = _("Đơn vị sản lượng tối đa 30 ký tự (ví dụ: kg, tấn, hộp).")
        clean["volume_unit"] = unit
    if "packaging" in keys:
        packaging = clean_text(data.get("packaging")) or None
        if packaging is not None and len(packaging) > PACKAGING_MAX:
            errors["packaging"] = _("Quy cách đóng gói tối đa 200 ký tự.")
        clean["packaging"] = packaging
    if "season_mask" in keys:
        try:
            clean["season_mask"] = parse_months(data.get("season_mask"))
        except (TypeError, ValueError):
            errors["season_mask"] = _("Mùa vụ không hợp lệ: ghi các tháng từ 1 đến 12, ví dụ “3-10”, "
                                      "“11-1” hoặc “quanh năm”.")
    needs_unit = any(clean.get(key) is not None for key in ("monthly_volume", "min_order_qty"))
    if needs_unit and "volume_unit" in clean and not clean["volume_unit"] and "volume_unit" not in errors:
        errors["volume_unit"] = _("Vui lòng ghi đơn vị của sản lượng và đơn hàng tối thiểu (ví dụ: kg).")


def build_search_text(product: Product, cert_words: str | None = None) -> str:
    """Folded text the database search matches against (name first). ``cert_words``:
    the words of the product's valid certifications ("VietGAP", "chỉ dẫn địa lý Tân
    Cương"…), looked up when not given (a product not yet flushed has none)."""
    if cert_words is None:
        cert_words = ""
        if product.id is not None:
            from ..certifications.queries import search_words_by_product

            cert_words = search_words_by_product([product.id]).get(product.id, "")
    parts = [product.name, product.code or "", product.unit]
    if product.category is not None:
        parts.append(product.category.name)
    if product.seller is not None:
        parts.append(product.seller.name)
    if product.area is not None:
        parts.append(product.area.name)
        parts.extend(alias.name for alias in product.area.aliases)
    parts.append(product.description)
    parts.append(cert_words)
    return fold(" ".join(p for p in parts if p))


def validate_gtin(value: Any, *, product: Product | None = None) -> str | None:
    """The 14-digit GTIN of ``value`` (None when empty), unique on the floor; raises
    ValidationError(field "gtin") with a Vietnamese message (the GS1 rules: traceability.gs1)."""
    from ..traceability.gs1 import GtinError, display_gtin, normalize_gtin

    if value in (None, "") or not str(value).strip():
        return None
    try:
        gtin = normalize_gtin(value)
    except GtinError as exc:
        raise ValidationError("gtin", exc.message) from None
    stmt = sa.select(Product.id).where(Product.gtin == gtin)
    if product is not None and product.id is not None:
        stmt = stmt.where(Product.id != product.id)
    if db.session.scalar(stmt) is not None:
        raise ValidationError("gtin", _("Mã GTIN %(gtin)s đã được gắn với một sản phẩm khác trên sàn.",
                                        gtin=display_gtin(gtin)))
    return gtin
