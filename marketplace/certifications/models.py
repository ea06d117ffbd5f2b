"""One table for every certification a seller holds.

OCOP certificates were the first kind (``ocop_certifications``, migration 0001); migration
0023_certifications moved their rows, ids kept, into ``certifications`` with
``kind = 'ocop'``. OCOP-only facts (stars, score, product group, issuing level) are
columns that are NULL for the other kinds, and an OCOP row names its one product in
``product_id`` (0..1 OCOP certificate per product, as before). Every other kind states
its *scope*:

* ``seller``: the whole seller (every product of it carries the badge);
* ``products``: the products listed in ``certification_products``;
* ``lots``: the production lots that link it (``lot_certifications``, owned by the lots
  feature), shown on those lots' pages, not as a product badge.

A buyer sees a badge only for a certification that staff verified and that is valid on the
Vietnamese date (``is_valid``; SQL twin ``queries.valid_condition``). A geographical
indication has no expiry (its protection is unlimited).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from ..extensions import db
from ..text import today_vn

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..catalog.models import Product
    from ..sellers.models import Seller

OCOP = "ocop"
GI = "geographical_indication"
KINDS = (OCOP, "vietgap", "globalgap", "organic", GI, "collective_mark", "growing_area_code", "haccp_iso22000")
KIND_LABELS = {
    OCOP: _l("OCOP"),
    "vietgap": _l("VietGAP"),
    "globalgap": _l("GlobalGAP"),
    "organic": _l("Hữu cơ"),
    GI: _l("Chỉ dẫn địa lý"),
    "collective_mark": _l("Nhãn hiệu tập thể"),
    "growing_area_code": _l("Mã số vùng trồng"),
    "haccp_iso22000": _l("HACCP / ISO 22000"),
}
# English and short forms buyers type, beside the Vietnamese label.
SEARCH_WORDS = {
    "organic": "organic",
    GI: "CDĐL geographical indication",
    "collective_mark": "collective mark",
    "growing_area_code": "vùng trồng",
    "haccp_iso22000": "HACCP ISO 22000",
}
# Kinds without an expiry date: a geographical indication is protected without limit.
NO_EXPIRY = (GI,)
# Kinds whose expiry the seller may leave empty (a growing-area code stays valid while
# the area is supervised; it is revoked, not expired).
OPTIONAL_EXPIRY = ("growing_area_code",)
SCOPES = ("seller", "products", "lots")
SCOPE_LABELS = {
    "seller": _l("Toàn bộ cơ sở"),
    "products": _l("Một số sản phẩm"),
    "lots": _l("Một số lô sản xuất"),
}
# Organic standards a seller may name (TCVN 11041 is Vietnam's; the others are foreign
# schemes whose certificates Vietnamese exporters hold).
ORGANIC_SCHEMES = ("TCVN 11041", "USDA Organic", "EU Organic", "JAS", "PGS")
CERTIFIED_STARS = (3, 4, 5)


class Certification(db.Model):
    __tablename__ = "certifications"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        CheckConstraint(f"scope IN {SCOPES!r}", name="scope"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        CheckConstraint("score IS NULL OR (score BETWEEN 0 AND 100)", name="score_range"),
        CheckConstraint("issuing_level IN ('district', 'province', 'central')", name="issuing_level"),
        CheckConstraint("expires_on IS NULL OR expires_on > issued_on", name="expiry_after_issue"),
        # OCOP rows are a product's certificate with its stars; no other kind names one product.
        CheckConstraint(
            "(kind = 'ocop' AND product_id IS NOT NULL AND stars IS NOT NULL AND product_group IS NOT NULL"
            " AND issuing_level IS NOT NULL AND expires_on IS NOT NULL)"
            " OR (kind <> 'ocop' AND product_id IS NULL AND stars IS NULL)",
            name="ocop_columns",
        ),
        CheckConstraint(f"kind <> '{GI}' OR expires_on IS NULL", name="gi_no_expiry"),
        Index("ix_certifications_seller_kind", "seller_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default=OCOP, index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(10), default="products")
    # OCOP only: the product certified (unique: 0..1 OCOP certificate per product).
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), unique=True)
    # Certificate (or decision) number and the body that issued it.
    number: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(200), default="")
    # Organic: the standard (TCVN 11041 or a foreign scheme); a geographical indication or
    # collective mark: its name ("Tân Cương", "Chè Thái Nguyên"); free text for the others.
    scheme: Mapped[str | None] = mapped_column(String(100))
    # The area covered: hamlet, commune, hectares; a GI's communes (migration 0023b).
    place: Mapped[str | None] = mapped_column(String(300))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    scan_key: Mapped[str | None] = mapped_column(String(120))
    # OCOP only.
    stars: Mapped[int | None] = mapped_column(SmallInteger)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    product_group: Mapped[str | None] = mapped_column(String(30))  # key of catalog.models.OCOP_GROUPS
    issuing_level: Mapped[str | None] = mapped_column(String(20))
    # Staff verification / rejection (reason shown to the seller); cleared when the seller edits it.
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)

    # OCOP's own words for the generic columns (a "decision" by an "issuing body").
    decision_number = synonym("number")
    issuing_body = synonym("issuer")

    product: Mapped[Product | None] = relationship(back_populates="certification")
    seller: Mapped[Seller] = relationship()
    verified_by: Mapped[User | None] = relationship()
    products: Mapped[list[Product]] = relationship(secondary="certification_products", order_by="Product.name")

    @property
    def is_ocop(self) -> bool:
        return self.kind == OCOP

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def label(self) -> str:
        """What a badge says: "OCOP 4★", "Hữu cơ (USDA Organic)", "VietGAP"."""
        if self.kind in (None, OCOP):
            return f"OCOP {self.stars}★"
        if self.kind == "organic" and self.scheme:
            return f"{self.kind_label} ({self.scheme})"
        if self.kind in (GI, "collective_mark") and self.scheme:
            return f"{self.kind_label} “{self.scheme}”"
        return self.kind_label

    @property
    def search_words(self) -> str:
        """Words a buyer may type to find what it certifies, Vietnamese and English
        ("hữu cơ organic TCVN 11041", "chỉ dẫn địa lý Tân Cương …"). OCOP has its own
        filter and none (as before)."""
        if self.kind in (None, OCOP):
            return ""
        return " ".join(w for w in (str(KIND_LABELS[self.kind]), SEARCH_WORDS.get(self.kind, ""), self.scheme,
                                    self.place) if w)

    @property
    def group_name(self) -> str:
        from ..catalog.models import OCOP_GROUPS

        return OCOP_GROUPS.get(self.product_group or "", self.product_group or "")

    def is_expired(self, on: date | None = None) -> bool:
        """Past its expiry day (Vietnamese date; valid through the expiry day itself)."""
        return self.expires_on is not None and self.expires_on < (on or today_vn())

    def days_left(self, on: date | None = None) -> int | None:
        if self.expires_on is None:
            return None
        return (self.expires_on - (on or today_vn())).days

    def is_valid(self, on: date | None = None) -> bool:
        """Shows a badge: verified by staff, issued, not expired (and 3–5★ for OCOP)."""
        on = on or today_vn()
        ocop = self.kind in (None, OCOP)  # None: not flushed yet, OCOP is the default kind
        return (
            (not ocop or self.stars in CERTIFIED_STARS)
            and self.verified_at is not None
            and self.issued_on <= on
            and (self.expires_on is None or on <= self.expires_on)
        )

    @property
    def state(self) -> str:
        """verified | expired | rejected | pending (for badges and the scan page)."""
        if self.verified_at is not None:
            return "expired" if self.is_expired() else "verified"
        return "rejected" if self.rejected_at is not None else "pending"

    def __repr__(self) -> str:
        return f"<Certification {self.id} {self.kind}>"


@event.listens_for(Certification, "before_insert")
def _owner_of_ocop_product(_mapper, _connection, target: Certification) -> None:
    """An OCOP certificate made as ``Product.certification`` belongs to the product's seller."""
    if target.seller_id is None and target.product is not None:
        target.seller_id = target.product.seller_id


class CertificationProduct(db.Model):
    """A product a ``scope = 'products'`` certification applies to."""

    __tablename__ = "certification_products"

    certification_id: Mapped[int] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
