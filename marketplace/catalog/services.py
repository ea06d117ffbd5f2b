"""Write-side rules for the catalog: product writes, pending revisions, then the OCOP
certificate and rural-industry recognition of a product (kept together at the end; the
certifications package of issue 18 takes them). Services flush, never commit; callers
commit once."""
from __future__ import annotations

import hashlib
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..slugs import slug_candidates, unique_slug
from ..text import add_months, parse_date, today_vn, utcnow
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
from .product_data import (
    CAPACITY_FIELDS,
    NAME_MAX,
    REVIEWED_FIELDS,
    build_search_text,
    clean_text,
    validate_product_data,
)

# ---------------------------------------------------------------------------
# Product writes. Every product write (dashboard, spreadsheet import, CLI) goes
# through these functions; they validate (``product_data``), keep slug and
# search_text in step, and only flush.
# ---------------------------------------------------------------------------



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
        **{key: getattr(product, key) for key in CAPACITY_FIELDS},
    )
    db.session.add(copy)
    _refresh_product(copy)
    return copy


def archive_product(product: Product, *, actor=None) -> Product:
    """Take a product off sale (kept for the seller; can be re-submitted)."""
    if product.can_be_archived:
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


CERTIFICATE_MONTHS = 36
MAX_SCAN_BYTES = 10 * 1024 * 1024


def certificate_expiry(issued_on: date) -> date:
    """An OCOP certificate is valid for 36 months from its decision date."""
    return add_months(issued_on, CERTIFICATE_MONTHS)


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
    decision = clean_text(data.get("decision_number"))
    if not 3 <= len(decision) <= 100:
        errors["decision_number"] = _("Vui lòng nhập số quyết định (ví dụ: 1234/QĐ-UBND).")
    issued_on = parse_date(data.get("issued_on"))
    if issued_on is None:
        errors["issued_on"] = _("Ngày quyết định không hợp lệ (dd/mm/yyyy).")
    elif issued_on.year < 2018 or issued_on > today_vn():
        errors["issued_on"] = _("Ngày quyết định không hợp lệ (dd/mm/yyyy).")
    level = str(data.get("issuing_level") or "")
    if level not in ISSUING_LEVELS:
        errors["issuing_level"] = _("Vui lòng chọn cấp công nhận.")
    body = clean_text(data.get("issuing_body"))
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
