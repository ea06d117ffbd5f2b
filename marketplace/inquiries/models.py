"""Order inquiries: a buyer asks a seller about one or more products.

A cart submission to several sellers creates one ``Inquiry`` per seller; they share
the ``reference`` code the buyer sees. Each inquiry has one ``InquiryItem`` per
product, with a snapshot of the product's name, unit and price at the time of asking.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import utcnow

if TYPE_CHECKING:
    from ..accounts.models import User
    from ..catalog.models import Product
    from ..sellers.models import Seller

INQUIRY_STATUSES = ("new", "contacted", "closed")
MAX_QUANTITY = 100_000


class Inquiry(db.Model):
    __tablename__ = "inquiries"
    __table_args__ = (CheckConstraint(f"status IN {INQUIRY_STATUSES!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Shared by the inquiries of one submission; unguessable (shown to the buyer).
    reference: Mapped[str] = mapped_column(String(32), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))  # normalised: 0xxxxxxxxx / 02xxxxxxxxx
    email: Mapped[str] = mapped_column(String(254), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    seller: Mapped[Seller] = relationship()
    user: Mapped[User | None] = relationship()
    items: Mapped[list[InquiryItem]] = relationship(
        back_populates="inquiry", order_by="InquiryItem.id", cascade="all, delete-orphan"
    )
    status_changes: Mapped[list[InquiryStatusChange]] = relationship(
        back_populates="inquiry", order_by="InquiryStatusChange.id", cascade="all, delete-orphan"
    )

    @property
    def total_quantity(self) -> int:
        return sum(item.quantity for item in self.items)

    def __repr__(self) -> str:
        return f"<Inquiry {self.id} {self.reference} {self.status}>"


class InquiryItem(db.Model):
    __tablename__ = "inquiry_items"
    __table_args__ = (
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    # The product may be deleted later; the snapshot below keeps the inquiry readable.
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    product_name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(100), default="")
    price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)

    inquiry: Mapped[Inquiry] = relationship(back_populates="items")
    product: Mapped[Product | None] = relationship()


class InquiryStatusChange(db.Model):
    """Every status change of an inquiry, with who made it and when."""

    __tablename__ = "inquiry_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    inquiry: Mapped[Inquiry] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()
