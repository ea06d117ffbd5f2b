"""Lot (one production batch of a product) and LotRevision (its visible edit history)."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import utcnow

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..catalog.models import Product
    from ..certifications.models import Certification

LOT_STATUSES = ("published", "hidden")


class Lot(db.Model):
    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint(f"status IN {LOT_STATUSES!r}", name="status"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("best_before IS NULL OR best_before >= harvested_on", name="best_before_after_harvest"),
        # A product's lots, newest harvest first (scan page, API, product page).
        Index("ix_lots_product_status_harvested", "product_id", "status", "harvested_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    # The owner, denormalised from the product: ownership checks and the seller's list.
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    # Upper-case ASCII letters, digits and "-" (GS1 AI 10 allows 20 characters): the
    # address of the scan page, unique across the floor.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    harvested_on: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(30))
    # A growing-area code (mã số vùng trồng) or a place, as the seller writes it.
    origin: Mapped[str] = mapped_column(String(200))
    best_before: Mapped[date | None] = mapped_column(Date)
    packing_facility: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    photo_key: Mapped[str | None] = mapped_column(String(100))
    photo_width: Mapped[int | None] = mapped_column(Integer)
    photo_height: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Optimistic locking as for products: a concurrent edit raises instead of being lost.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    product: Mapped[Product] = relationship()
    revisions: Mapped[list[LotRevision]] = relationship(
        back_populates="lot", order_by="LotRevision.id", cascade="all, delete-orphan"
    )
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])
    # The seller's certifications it links as applying to this lot (besides the
    # product's own and the seller-wide ones: certifications.queries.for_lot).
    certifications: Mapped[list[Certification]] = relationship(
        secondary="lot_certifications", order_by="Certification.id")

    @property
    def is_public(self) -> bool:
        return self.status == "published" and self.product.is_public

    def __repr__(self) -> str:
        return f"<Lot {self.code}>"


class LotCertification(db.Model):
    """A certification of the lot's seller that applies to the lot (the form's
    "certificates that apply")."""

    __tablename__ = "lot_certifications"

    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id", ondelete="CASCADE"),
                                                  primary_key=True, index=True)


class LotRevision(db.Model):
    """One edit of a lot after it was recorded: the changed fields' values before and
    after (``{field: [before, after]}``, dates as ISO strings). Append-only."""

    __tablename__ = "lot_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lots.id", ondelete="CASCADE"), index=True)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    lot: Mapped[Lot] = relationship(back_populates="revisions")
