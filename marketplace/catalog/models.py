"""Catalog: categories, areas, products, photos, OCOP certificates, rural-industry marks."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    DDL,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    JSON,
    text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import today_vn, utcnow

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..sellers.models import Seller

PRODUCT_STATUSES = ("draft", "pending", "published", "rejected", "archived")
PRODUCT_STATUS_LABELS = {
    "draft": _l("Bản nháp"),
    "pending": _l("Chờ duyệt"),
    "published": _l("Đang hiển thị"),
    "rejected": _l("Bị từ chối"),
    "archived": _l("Đã lưu trữ"),
}
ISSUING_LEVELS = ("district", "province", "central")
RURAL_LEVELS = ("province", "region", "national")
ISSUING_LEVEL_LABELS = {
    "district": _l("Cấp huyện (trước 2025)"),
    "province": _l("Cấp tỉnh (3★, 4★)"),
    "central": _l("Trung ương (5★)"),
}
RURAL_LEVEL_LABELS = {"province": _l("Cấp tỉnh"), "region": _l("Cấp vùng"), "national": _l("Cấp quốc gia")}
AREA_KINDS = ("province", "district", "commune", "ward")
CERTIFIED_STARS = (3, 4, 5)

# The six OCOP product groups of Decision 148/QĐ-TTg (24/02/2023).
OCOP_GROUPS = {
    "thuc-pham": "Thực phẩm",
    "do-uong": "Đồ uống",
    "duoc-lieu": "Dược liệu và sản phẩm từ dược liệu",
    "thu-cong-my-nghe": "Hàng thủ công mỹ nghệ",
    "sinh-vat-canh": "Sinh vật cảnh",
    "du-lich": "Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch",
}


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    # One of OCOP_GROUPS for the OCOP tree; NULL for non-OCOP groups (machinery, tools).
    ocop_group: Mapped[str | None] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class Area(db.Model):
    """A locality (province, commune or ward). Data, never code: the list changes."""

    __tablename__ = "areas"
    __table_args__ = (CheckConstraint(f"kind IN {AREA_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="commune")
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Area | None] = relationship(remote_side=[id])
    aliases: Mapped[list[AreaAlias]] = relationship(back_populates="area", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Area {self.slug}>"


class AreaAlias(db.Model):
    """A former name of an area (abolished district, merged commune) that must still find it."""

    __tablename__ = "area_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    folded: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="former_commune")

    area: Mapped[Area] = relationship(back_populates="aliases")


# Statuses a seller may send to review from (pending is review; published needs none).
SUBMITTABLE = ("draft", "rejected", "archived")


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("price_vnd >= 0", name="price_non_negative"),
        CheckConstraint(f"status IN {PRODUCT_STATUSES!r}", name="status"),
        CheckConstraint("season_mask IS NULL OR (season_mask BETWEEN 1 AND 4095)", name="season_mask_range"),
        CheckConstraint("monthly_volume IS NULL OR monthly_volume > 0", name="monthly_volume_positive"),
        CheckConstraint("min_order_qty IS NULL OR min_order_qty > 0", name="min_order_qty_positive"),
        CheckConstraint("lead_time_days IS NULL OR lead_time_days >= 0", name="lead_time_days_non_negative"),
        UniqueConstraint("seller_id", "code", name="uq_products_seller_code"),
        # Public products per category, area and seller (home figures) from the index alone.
        Index("ix_products_seller_status_category_area", "seller_id", "status", "category_id", "area_id"),
        # A product page's related products: a category's public products, most viewed first.
        Index("ix_products_category_status_views", "category_id", "status", "view_count", "id"),
        # PostgreSQL only: a trigram index makes the database search's substring
        # filters on search_text (LIKE '%tok%', and a typo's one-edit regular expression)
        # index lookups instead of table scans. Migration 0014_pg_trgm.
        Index(
            "ix_products_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    # The seller's own product code (SKU); re-imports match on it.
    code: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # Folded name + seller + category + area + description, for the database search.
    search_text: Mapped[str] = mapped_column(Text, default="")
    view_count: Mapped[int] = mapped_column(Integer, default=0)  # popularity (last 30 days)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The staff's last decision reason the seller sees (rejection, take-down); NULL when none.
    review_note: Mapped[str | None] = mapped_column(Text)

    # Supply capacity (issue 19), all optional. Volumes and the minimum order are counted
    # in ``volume_unit`` ("kg", "tấn", "hộp"). The season is a 12-bit month mask (bit m-1 =
    # month m; NULL = not stated; 4095 = year-round): read it through marketplace.seasons.
    monthly_volume: Mapped[int | None] = mapped_column(Integer)
    volume_unit: Mapped[str | None] = mapped_column(String(30))
    min_order_qty: Mapped[int | None] = mapped_column(Integer)
    lead_time_days: Mapped[int | None] = mapped_column(SmallInteger)
    packaging: Mapped[str | None] = mapped_column(String(200))
    season_mask: Mapped[int | None] = mapped_column(SmallInteger)

    # Optimistic locking: every ORM UPDATE of the row bumps it and is made conditional on
    # the value read (a concurrent change raises StaleDataError instead of being lost).
    # The edit form carries the version it showed, so a stale form is caught too.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    seller: Mapped[Seller] = relationship(back_populates="products")
    category: Mapped[Category] = relationship()
    area: Mapped[Area | None] = relationship()
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product", order_by="ProductPhoto.position", cascade="all, delete-orphan"
    )
    certification: Mapped[OcopCertification | None] = relationship(
        back_populates="product", uselist=False, cascade="all, delete-orphan"
    )
    rural_industry: Mapped[RuralIndustryRecognition | None] = relationship(
        back_populates="product", uselist=False, cascade="all, delete-orphan"
    )

    @property
    def cover(self) -> ProductPhoto | None:
        return self.photos[0] if self.photos else None

    @property
    def valid_certification(self) -> OcopCertification | None:
        cert = self.certification
        return cert if cert is not None and cert.is_valid() else None

    @property
    def is_public(self) -> bool:
        return self.status == "published" and self.seller.status == "approved"

    @property
    def can_be_submitted(self) -> bool:
        """The seller may send it to review ("Gửi duyệt")."""
        return self.status in SUBMITTABLE

    @property
    def can_be_archived(self) -> bool:
        """The seller may take it off sale ("Lưu trữ"): anything not archived yet."""
        return self.status != "archived"

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


# create_all (tests, scratch databases) needs the operator class before the index.
event.listen(
    Product.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class ProductPhoto(db.Model):
    __tablename__ = "product_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Content hash of the original; renditions live at uploads/<key[:2]>/<key>-<width>.webp
    key: Mapped[str] = mapped_column(String(100), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(String(200), default="")

    product: Mapped[Product] = relationship(back_populates="photos")


class OcopCertification(db.Model):
    """The current OCOP certificate of a product (0..1 per product)."""

    __tablename__ = "ocop_certifications"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        CheckConstraint("score IS NULL OR (score BETWEEN 0 AND 100)", name="score_range"),
        CheckConstraint(f"issuing_level IN {ISSUING_LEVELS!r}", name="issuing_level"),
        CheckConstraint("expires_on > issued_on", name="expiry_after_issue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), unique=True)
    stars: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[int | None] = mapped_column(SmallInteger)
    product_group: Mapped[str] = mapped_column(String(30))  # key of OCOP_GROUPS
    decision_number: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    issuing_level: Mapped[str] = mapped_column(String(20))
    issuing_body: Mapped[str] = mapped_column(String(200), default="")
    scan_key: Mapped[str | None] = mapped_column(String(120))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Staff rejection (reason shown to the seller); cleared when the seller edits it.
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)

    product: Mapped[Product] = relationship(back_populates="certification")
    verified_by: Mapped[User | None] = relationship()

    @property
    def group_name(self) -> str:
        return OCOP_GROUPS.get(self.product_group, self.product_group)

    def is_expired(self, on: date | None = None) -> bool:
        """Past its expiry day (Vietnamese date; valid through the expiry day itself)."""
        return self.expires_on < (on or today_vn())

    def days_left(self, on: date | None = None) -> int:
        return (self.expires_on - (on or today_vn())).days

    def is_valid(self, on: date | None = None) -> bool:
        """Shows a badge: certified stars (3–5), verified by staff, not expired."""
        on = on or today_vn()
        return (
            self.stars in CERTIFIED_STARS
            and self.verified_at is not None
            and self.issued_on <= on <= self.expires_on
        )


class RuralIndustryRecognition(db.Model):
    """"Sản phẩm công nghiệp nông thôn tiêu biểu" recognition."""

    __tablename__ = "rural_industry_recognitions"
    __table_args__ = (
        CheckConstraint(f"level IN {RURAL_LEVELS!r}", name="level"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), unique=True)
    level: Mapped[str] = mapped_column(String(20))
    year: Mapped[int] = mapped_column(SmallInteger)

    product: Mapped[Product] = relationship(back_populates="rural_industry")


REVISION_STATUSES = ("pending", "approved", "rejected")


class ProductRevision(db.Model):
    """A seller's proposed change to the reviewed fields of a published product.

    The product row keeps the last approved values (what pages, API and search show);
    ``fields`` holds the proposed values of the changed reviewed fields only
    (``catalog.product_data.REVIEWED_FIELDS``). At most one
    revision per product is pending; approval copies ``fields`` onto the product.
    """

    __tablename__ = "product_revisions"
    __table_args__ = (
        CheckConstraint(f"status IN {REVISION_STATUSES!r}", name="status"),
        Index(
            "uq_product_revisions_pending", "product_id", unique=True,
            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # {field: proposed value} for the REVIEWED_FIELDS that differ from the product.
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    product: Mapped[Product] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<ProductRevision {self.product_id} {self.status}>"
