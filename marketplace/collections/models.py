"""Collection (a staff-curated featured set) and its ordered items."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import utcnow

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..catalog.models import Category, Product

PLACEMENTS = ("home_hero", "home_row", "category")


def aware_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC; make every moment comparable."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


class Collection(db.Model):
    __tablename__ = "collections"
    __table_args__ = (
        CheckConstraint(f"placement IN {PLACEMENTS!r}", name="placement"),
        CheckConstraint("placement != 'category' OR category_id IS NOT NULL", name="category_placement"),
        CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Content-addressed WebP renditions (media pipeline), like product photos.
    cover_key: Mapped[str | None] = mapped_column(String(100))
    cover_width: Mapped[int | None] = mapped_column(Integer)
    cover_height: Mapped[int | None] = mapped_column(Integer)
    placement: Mapped[str] = mapped_column(String(20), default="home_row", index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"), index=True)
    # Order among the collections of one placement (smaller first).
    position: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # UTC moments; staff enter and read them in Asia/Ho_Chi_Minh. Active when
    # starts_at <= now < ends_at (either end open when NULL).
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    category: Mapped[Category | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[CollectionItem]] = relationship(
        back_populates="collection", order_by="CollectionItem.position", cascade="all, delete-orphan"
    )

    @property
    def cover(self):
        """The cover as the picture macro expects a photo (key, width, height, alt)."""
        if not self.cover_key:
            return None
        return CoverPhoto(self.cover_key, self.cover_width or 0, self.cover_height or 0, self.title)

    def state(self, now: datetime | None = None) -> str:
        """"unpublished", "scheduled" (not started yet), "ended" or "active"."""
        now = aware_utc(now) or utcnow()
        if not self.published:
            return "unpublished"
        if self.starts_at is not None and aware_utc(self.starts_at) > now:
            return "scheduled"
        if self.ends_at is not None and aware_utc(self.ends_at) <= now:
            return "ended"
        return "active"

    def is_active(self, now: datetime | None = None) -> bool:
        return self.state(now) == "active"

    def __repr__(self) -> str:
        return f"<Collection {self.slug}>"


class CoverPhoto:
    __slots__ = ("key", "width", "height", "alt")

    def __init__(self, key: str, width: int, height: int, alt: str) -> None:
        self.key, self.width, self.height, self.alt = key, width, height, alt


class CollectionItem(db.Model):
    __tablename__ = "collection_items"
    __table_args__ = (UniqueConstraint("collection_id", "product_id", name="uq_collection_items_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    collection: Mapped[Collection] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
