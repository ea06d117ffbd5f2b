"""Write-side rules for the catalog. Services flush, never commit; callers commit once."""
from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..text import fold, slugify, today_vn, utcnow
from ..validation import ValidationError, _
from .models import (
    ISSUING_LEVELS,
    OCOP_GROUPS,
    RURAL_LEVELS,
    SUBMITTABLE,
    Area,
    Category,
    OcopCertification,
    Product,
    ProductRevision,
    RuralIndustryRecognition,
)

CERTIFICATE_MONTHS = 36


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (29/02 → 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certificate_expiry(issued_on: date) -> date:
    """An OCOP certificate is valid for 36 months from its decision date."""
    return add_months(issued_on, CERTIFICATE_MONTHS)


def build_search_text(product: Product) -> str:
    """Folded text the database search matches against (name first)."""
    parts = [product.name, product.code or "", product.unit]
    if product.category is not None:
        parts.append(product.category.name)
    if product.seller is not None:
        parts.append(product.seller.name)
    if product.area is not None:
        parts.append(product.area.name)
        parts.extend(alias.name for alias in product.area.aliases)
    parts.append(product.description)
    return fold(" ".join(p for p in parts if p))


def slug_candidates(base: str, start: int = 1) -> Iterator[str]:
    """``base`` slugified, then with -2, -3… appended (from ``-start`` when start > 1)."""
    root = slugify(base) or "san-pham"
    if start <= 1:
        yield root
    n = max(start, 2)
    while True:
        yield f"{root[: 80 - len(str(n)) - 1]}-{n}"
        n += 1


def unique_slug(model, base: str, *, exclude_id: int | None = None, taken: set[str] | None = None) -> str:
    """``base`` slugified, with -2, -3… appended until no row (or ``taken``) has it."""
    for candidate in slug_candidates(base):
        stmt = sa.select(model.id).where(model.slug == candidate)
        if exclude_id is not None:
            stmt = stmt.where(model.id != exclude_id)
        if (taken is None or candidate not in taken) and db.session.scalar(stmt) is None:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


# ---------------------------------------------------------------------------
# Product writes. Every product write (dashboard, spreadsheet import, CLI) goes
# through these functions; they validate, keep slug and search_text in step, and
# only flush. Messages are Vietnamese (shown to sellers as they are).
# ---------------------------------------------------------------------------

PRODUCT_FIELDS = ("name", "code", "category_id", "price_vnd", "unit", "description", "area_id", "gtin")
# Changing one of these on a published product sends it back to review: they change
# what the listing claims. Price, unit, code and area are routine facts and stay live.
REVIEWED_FIELDS = ("name", "description", "category_id")
MIN_PRICE, MAX_PRICE = 1, 1_000_000_000
NAME_MIN, NAME_MAX = 3, 200
UNIT_MAX = 100
CODE_MAX = 64
DESCRIPTION_MAX = 10_000
MAX_SCAN_BYTES = 10 * 1024 * 1024

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


def _clean_text(value: Any) -> str:
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
        name = _clean_text(data.get("name"))
        if not NAME_MIN <= len(name) <= NAME_MAX:
            errors["name"] = _("Tên sản phẩm phải dài từ 3 đến 200 ký tự.")
        clean["name"] = name
    if "code" in keys:
        code = _clean_text(data.get("code")) or None
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
        from ..traceability.services import validate_gtin  # GS1 rules live with the lots

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
        unit = _clean_text(data.get("unit"))
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
    if errors:
        raise ValidationError.from_errors(errors)
    return clean


def _refresh_product(product: Product) -> None:
    """Keep search_text in step (relationships loaded from the ids just set)."""
    db.session.flush()
    db.session.refresh(product, attribute_names=["category", "area", "seller"])
    product.search_text = build_search_text(product)
    db.session.flush()


def create_product(seller, data: dict) -> Product:
    """A new draft product of ``seller`` (area defaults to the seller's)."""
    clean = validate_product_data(seller, data)
    if clean.get("area_id") is None:
        clean["area_id"] = seller.area_id
    product = Product(seller_id=seller.id, status="draft", slug=unique_slug(Product, clean["name"]), **clean)
    db.session.add(product)
    _refresh_product(product)
    return product


class ProductBatch:
    """Many new products of one seller (a spreadsheet import) under the rules of
    ``create_product``, without its per-product queries and flushes: the seller's codes
    and every product slug are loaded once and checked in memory, ``search_text`` is
    built from the rows already in the session, and nothing is flushed — the caller
    flushes once (the commit's search hook then indexes the new ids in one go)."""

    def __init__(self, seller) -> None:
        self.seller = seller
        self.codes: set[str] = set(
            db.session.scalars(sa.select(Product.code).where(Product.seller_id == seller.id, Product.code.is_not(None)))
        )
        self.slugs: set[str] = set(db.session.scalars(sa.select(Product.slug)))
        self._next_suffix: dict[str, int] = {}  # slug root → first suffix worth trying

    def _slug(self, name: str) -> str:
        root = next(slug_candidates(name))
        for candidate in slug_candidates(name, self._next_suffix.get(root, 1)):
            if candidate not in self.slugs:
                self.slugs.add(candidate)
                self._next_suffix[root] = int(candidate.rsplit("-", 1)[1]) + 1 if candidate != root else 2
                return candidate
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, data: dict) -> Product:
        """A new draft product (not flushed); raises ValidationError like create_product."""
        with db.session.no_autoflush:
            clean = validate_product_data(self.seller, data, codes_in_use=self.codes)
            if clean.get("area_id") is None:
                clean["area_id"] = self.seller.area_id
            product = Product(seller_id=self.seller.id, status="draft", slug=self._slug(clean["name"]), **clean)
            product.seller = self.seller
            product.category = db.session.get(Category, clean["category_id"])
            product.area = db.session.get(Area, clean["area_id"]) if clean["area_id"] is not None else None
            product.search_text = build_search_text(product)
            db.session.add(product)
        if product.code:
            self.codes.add(product.code)
        return product


def update_product(product: Product, data: dict, *, actor=None, review: bool = True,
                   action: str = "product.update", reason: str | None = None) -> Product:
    """Update the keys of PRODUCT_FIELDS present in ``data`` (audited, with ``actor``).

    On a published product (with ``review``, i.e. a seller's edit) a change of name,
    description or category does not touch the public listing: it goes into the
    product's pending revision (``ProductRevision``), which staff approve or reject;
    the last approved values stay public meanwhile. Routine fields (price, unit, code,
    area) stay live. Unpublished products, and staff edits (``review=False``), are
    changed directly.
    """
    from ..audit.services import record

    clean = validate_product_data(product.seller, data, product=product)
    if "area_id" in clean and clean["area_id"] is None:
        clean["area_id"] = product.seller.area_id
    if review and product.status == "published":
        reviewed = {key: clean.pop(key) for key in REVIEWED_FIELDS if key in clean}
        if reviewed:
            propose_revision(product, reviewed, actor=actor)
    changed = sorted(key for key, value in clean.items() if getattr(product, key) != value)
    if not changed:
        return product
    before = {key: getattr(product, key) for key in changed}
    for key in changed:
        setattr(product, key, clean[key])
    if "name" in changed:
        product.slug = unique_slug(Product, product.name, exclude_id=product.id)
    product.updated_at = utcnow()
    _refresh_product(product)
    record(action, "product", product.id, actor=actor, before=before,
           after={key: getattr(product, key) for key in changed}, reason=reason)
    return product


def pending_revision(product: Product) -> ProductRevision | None:
    if product.id is None:
        return None
    return db.session.scalars(
        sa.select(ProductRevision).where(ProductRevision.product_id == product.id,
                                         ProductRevision.status == "pending")
    ).first()


def propose_revision(product: Product, values: dict, *, actor=None) -> ProductRevision | None:
    """Merge ``values`` (cleaned reviewed fields) into the product's pending revision.

    Fields equal to the approved value are dropped from it (the seller went back); a
    revision left with no field is withdrawn (deleted). A second edit while one is
    pending updates that revision. Returns the pending revision, if any.
    """
    from ..audit.services import record

    revision = pending_revision(product)
    proposed = dict(revision.fields) if revision is not None else {}
    before_fields = dict(proposed)
    for key, value in values.items():
        if getattr(product, key) != value:
            proposed[key] = value
        else:
            proposed.pop(key, None)
    if proposed == before_fields:
        return revision
    current = {key: getattr(product, key) for key in set(proposed) | set(before_fields)}
    if not proposed:
        db.session.delete(revision)
        db.session.flush()
        record("product.revision_withdraw", "product", product.id, actor=actor,
               before={k: before_fields.get(k, current[k]) for k in current}, after=current)
        return None
    if revision is None:
        revision = ProductRevision(product_id=product.id, status="pending", created_by_id=getattr(actor, "id", None))
        db.session.add(revision)
    revision.fields = proposed
    revision.updated_at = utcnow()
    db.session.flush()
    record("product.revision_propose", "product", product.id, actor=actor,
           before={k: before_fields.get(k, current[k]) for k in current},
           after={k: proposed.get(k, current[k]) for k in current})
    return revision


def apply_revision(revision: ProductRevision) -> Product:
    """Publish a revision's values on its product (a normal product change: the
    slug follows a new name, search reindexes through the session hooks)."""
    product = revision.product
    changed = {key: value for key, value in revision.fields.items() if getattr(product, key, None) != value}
    for key, value in changed.items():
        setattr(product, key, value)
    if "name" in changed:
        product.slug = unique_slug(Product, product.name, exclude_id=product.id)
    if changed:
        product.updated_at = utcnow()
        _refresh_product(product)
    return product


def duplicate_product(product: Product) -> Product:
    """A draft copy (name "… (bản sao)", no code, no certificate, no photos)."""
    suffix = " " + _("(bản sao)")
    name = product.name[: NAME_MAX - len(suffix)] + suffix
    copy = Product(
        seller_id=product.seller_id,
        category_id=product.category_id,
        area_id=product.area_id,
        code=None,
        name=name,
        slug=unique_slug(Product, name),
        description=product.description,
        price_vnd=product.price_vnd,
        unit=product.unit,
        status="draft",
    )
    db.session.add(copy)
    _refresh_product(copy)
    return copy


def archive_product(product: Product, *, actor=None) -> Product:
    """Take a product off sale (kept for the seller; can be re-submitted)."""
    if product.status != "archived":
        from ..audit.services import record

        record("product.archive", "product", product.id, actor=actor,
               before={"status": product.status}, after={"status": "archived"})
        product.status = "archived"
        product.updated_at = utcnow()
        db.session.flush()
    return product


def submit_product(product: Product) -> Product:
    """Send a draft, rejected or archived product to review (pending)."""
    if product.status == "pending":
        return product
    if product.status not in SUBMITTABLE:
        raise ValidationError("status", _("Sản phẩm đang hiển thị, không cần gửi duyệt lại."))
    product.status = "pending"
    product.updated_at = utcnow()
    db.session.flush()
    return product


def publish_product(product: Product) -> Product:
    """Staff decision: the product is published (public once its seller is approved)."""
    if product.status != "published":
        product.status = "published"
        product.published_at = product.published_at or utcnow()
        product.updated_at = utcnow()
        db.session.flush()
    return product


def reject_product(product: Product) -> Product:
    product.status = "rejected"
    product.updated_at = utcnow()
    db.session.flush()
    return product


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def store_certificate_scan(data: bytes) -> str:
    """Store a certificate scan: a PDF as-is under its hash, an image re-encoded to
    WebP renditions. Returns the storage name to keep in ``scan_key``."""
    from ..media import get_storage
    from ..media.images import ImageRejected, process_upload, rendition_name, store_renditions

    if len(data) > MAX_SCAN_BYTES:
        raise ValidationError("scan", _("Tệp quét chứng nhận tối đa 10 MB."))
    storage = get_storage()
    if data[:5] == b"%PDF-":
        digest = hashlib.sha256(data).hexdigest()
        name = f"{digest}.pdf"
        storage.save(name, data)
        return name
    try:
        # The one bounded decoder (pixel limits, reduced decode, per-process cap).
        image = process_upload(data, max_bytes=MAX_SCAN_BYTES)
    except ImageRejected as exc:
        raise ValidationError("scan", _("Tệp quét phải là ảnh JPEG, PNG, WebP hoặc tệp PDF.") + " " + exc.message) from None
    key, _w, _h = store_renditions(storage, image, widths=(1600,))
    return rendition_name(key, 1600)


CERTIFICATE_FIELDS = ("stars", "score", "product_group", "decision_number", "issued_on", "expires_on",
                      "issuing_level", "issuing_body", "scan_key", "verified_at")


def set_certification(product: Product, data: dict, scan: bytes | None = None, *, actor=None) -> OcopCertification:
    """Create or replace the product's OCOP certificate details (and scan).

    Any change by the seller clears ``verified_at``: staff must verify it again before
    a badge shows. Stars 1–5 are accepted as data; only 3–5 ever show a badge.
    """
    errors: dict[str, str] = {}
    try:
        stars = int(data.get("stars"))
        if not 1 <= stars <= 5:
            raise ValueError
    except (TypeError, ValueError):
        errors["stars"] = _("Số sao phải từ 1 đến 5.")
        stars = None
    score_raw = data.get("score")
    score = None
    if score_raw not in (None, ""):
        try:
            score = int(score_raw)
            if not 0 <= score <= 100:
                raise ValueError
        except (TypeError, ValueError):
            errors["score"] = _("Điểm phải là số nguyên từ 0 đến 100.")
    group = str(data.get("product_group") or "")
    if group not in OCOP_GROUPS:
        errors["product_group"] = _("Vui lòng chọn nhóm sản phẩm OCOP.")
    decision = _clean_text(data.get("decision_number"))
    if not 3 <= len(decision) <= 100:
        errors["decision_number"] = _("Vui lòng nhập số quyết định (ví dụ: 1234/QĐ-UBND).")
    issued_on = _parse_date(data.get("issued_on"))
    if issued_on is None:
        errors["issued_on"] = _("Ngày quyết định không hợp lệ (dd/mm/yyyy).")
    elif issued_on.year < 2018 or issued_on > today_vn():
        errors["issued_on"] = _("Ngày quyết định không hợp lệ (dd/mm/yyyy).")
    level = str(data.get("issuing_level") or "")
    if level not in ISSUING_LEVELS:
        errors["issuing_level"] = _("Vui lòng chọn cấp công nhận.")
    body = _clean_text(data.get("issuing_body"))
    if len(body) > 200:
        errors["issuing_body"] = _("Cơ quan cấp tối đa 200 ký tự.")
    if errors:
        raise ValidationError.from_errors(errors)
    scan_key = store_certificate_scan(scan) if scan else None
    from ..audit.services import record, snapshot

    cert = product.certification
    before = snapshot(cert, CERTIFICATE_FIELDS) if cert is not None else {}
    if cert is None:
        cert = OcopCertification(product=product)
        db.session.add(cert)
    cert.stars = stars
    cert.score = score
    cert.product_group = group
    cert.decision_number = decision
    cert.issued_on = issued_on
    cert.expires_on = certificate_expiry(issued_on)
    cert.issuing_level = level
    cert.issuing_body = body
    if scan_key:
        cert.scan_key = scan_key
    cert.verified_at = None
    cert.verified_by_id = None
    cert.rejected_at = None
    cert.review_note = None
    product.updated_at = utcnow()
    db.session.flush()
    record("certificate.update" if before else "certificate.create", "certificate", cert.id, actor=actor,
           before=before, after=snapshot(cert, CERTIFICATE_FIELDS))
    return cert


def remove_certification(product: Product, *, actor=None) -> None:
    if product.certification is not None:
        from ..audit.services import record, snapshot

        cert = product.certification
        record("certificate.delete", "certificate", cert.id, actor=actor,
               before=snapshot(cert, CERTIFICATE_FIELDS) | {"product_id": product.id}, after={})
        db.session.delete(product.certification)
        product.certification = None
        product.updated_at = utcnow()
        db.session.flush()


def verify_certification(cert: OcopCertification, user) -> OcopCertification:
    """Staff confirm the certificate against its scan/decision."""
    cert.verified_at = utcnow()
    cert.verified_by_id = user.id if user is not None else None
    cert.rejected_at = None
    cert.review_note = None
    db.session.flush()
    return cert


def set_rural_industry(product: Product, data: dict, *, actor=None) -> RuralIndustryRecognition | None:
    """Set the rural-industry recognition (level + year); an empty level removes it."""
    from ..audit.services import record

    level = str(data.get("level") or "")
    current = product.rural_industry
    before = {"rural_level": current.level, "rural_year": current.year} if current is not None else {}
    if not level:
        if product.rural_industry is not None:
            record("product.update", "product", product.id, actor=actor, before=before,
                   after={"rural_level": None, "rural_year": None})
            db.session.delete(product.rural_industry)
            product.rural_industry = None
            product.updated_at = utcnow()
            db.session.flush()
        return None
    errors: dict[str, str] = {}
    if level not in RURAL_LEVELS:
        errors["level"] = _("Cấp công nhận không hợp lệ.")
    try:
        year = int(data.get("year"))
        if not 2000 <= year <= today_vn().year:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = _("Năm công nhận phải từ 2000 đến năm nay.")
        year = None
    if errors:
        raise ValidationError.from_errors(errors)
    rec = product.rural_industry
    if rec is None:
        rec = RuralIndustryRecognition(product=product)
        db.session.add(rec)
    if before != {"rural_level": level, "rural_year": year}:
        record("product.update", "product", product.id, actor=actor, before=before,
               after={"rural_level": level, "rural_year": year})
    rec.level = level
    rec.year = year
    product.updated_at = utcnow()
    db.session.flush()
    return rec
