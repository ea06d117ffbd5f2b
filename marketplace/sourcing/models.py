"""Sourcing requests ("tìm nguồn hàng"): a buyer asks for a volume, staff approve, the
matching sellers are told and answer with offers; the buyer accepts or declines.

State machine of a request (``services`` is the only writer):

    pending ──approve──▶ open ──accept an offer──▶ fulfilled
       │                  │
       └──reject──▶ rejected   └──deadline / buyer──▶ closed
    pending ──deadline / buyer──▶ closed

An offer is ``pending`` until the buyer ``accepted`` or ``declined`` it (or the seller
``withdrawn`` it). Contact details are exchanged only through an accepted offer.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
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
    from ..catalog.models import Category
    from ..sellers.models import Seller

BUYER_TYPES = {
    "supermarket": _l("siêu thị"),
    "restaurant": _l("nhà hàng"),
    "exporter": _l("doanh nghiệp xuất khẩu"),
    "tea_shop": _l("quán trà"),
    "processor": _l("cơ sở chế biến"),
    "distributor": _l("nhà phân phối"),
    "other": _l("người mua"),
}
REQUEST_STATUSES = ("pending", "open", "rejected", "fulfilled", "closed")
REQUEST_STATUS_LABELS = {
    "pending": _l("Chờ duyệt"),
    "open": _l("Đang nhận chào hàng"),
    "rejected": _l("Bị từ chối"),
    "fulfilled": _l("Đã chọn được nguồn hàng"),
    "closed": _l("Đã đóng"),
}
FREQUENCIES = {"once": _l("một lần"), "monthly": _l("mỗi tháng")}
OFFER_STATUSES = ("pending", "accepted", "declined", "withdrawn")
OFFER_STATUS_LABELS = {
    "pending": _l("Chờ người mua trả lời"),
    "accepted": _l("Đã nhận"),
    "declined": _l("Đã từ chối"),
    "withdrawn": _l("Đã rút"),
}
MATCH_SOURCES = ("auto", "staff")

def buyer_label(buyer_type: str, city: str) -> str:
    """"siêu thị tại Hà Nội": all the board ever says about a buyer (in the reader's
    language; the CLI gets the Vietnamese source)."""
    from ..validation import _

    return _("%(type)s tại %(city)s", type=str(BUYER_TYPES.get(buyer_type, buyer_type)), city=city)


MAX_QUANTITY = 10_000_000  # units per request or offer (10,000 tonnes in kg)
MAX_PRICE_VND = 1_000_000_000  # per unit


class BuyerProfile(db.Model):
    """What a buyer account adds to the user: the buyer type, organisation, city and
    phone. The board shows only "<type> tại <city>"; the rest reaches a seller only
    through an accepted offer."""

    __tablename__ = "buyer_profiles"
    __table_args__ = (CheckConstraint(f"buyer_type IN {tuple(BUYER_TYPES)!r}", name="buyer_type"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    buyer_type: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship()

    @property
    def public_label(self) -> str:
        return buyer_label(self.buyer_type, self.city)


class SourcingRequest(db.Model):
    __tablename__ = "sourcing_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {REQUEST_STATUSES!r}", name="status"),
        CheckConstraint(f"frequency IN {tuple(FREQUENCIES)!r}", name="frequency"),
        CheckConstraint(f"buyer_type IN {tuple(BUYER_TYPES)!r}", name="buyer_type"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity_range"),
        CheckConstraint(f"target_price_vnd IS NULL OR target_price_vnd BETWEEN 1 AND {MAX_PRICE_VND}",
                        name="target_price_range"),
        # The board: open requests by deadline.
        Index("ix_sourcing_requests_status_deadline", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(30))
    frequency: Mapped[str] = mapped_column(String(10), default="once")
    # Certification kind codes ("ocop3", "ocop4", "ocop5", "rural_industry"; the
    # certification kinds' codes once they exist): every one is required.
    required_certs: Mapped[list[str]] = mapped_column(JSON, default=list)
    delivery_area: Mapped[str] = mapped_column(String(120))
    deadline: Mapped[date] = mapped_column(Date)
    target_price_vnd: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    # Staff may open the request to every approved seller, not only the matched ones.
    open_to_all: Mapped[bool] = mapped_column(Boolean, default=False)
    # The buyer's type and city at posting time ("siêu thị tại Hà Nội"): the board's
    # only words about the buyer, unchanged if the profile changes later.
    buyer_type: Mapped[str] = mapped_column(String(20), default="other")
    buyer_city: Mapped[str] = mapped_column(String(100), default="")
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Optimistic locking: two staff members (or staff and the deadline job) deciding at
    # once cannot both win.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    buyer: Mapped[User] = relationship()
    category: Mapped[Category] = relationship()
    matches: Mapped[list[SourcingMatch]] = relationship(
        back_populates="request", order_by="SourcingMatch.rank", cascade="all, delete-orphan"
    )
    offers: Mapped[list[SourcingOffer]] = relationship(
        back_populates="request", order_by="SourcingOffer.id", cascade="all, delete-orphan"
    )

    @property
    def buyer_label(self) -> str:
        return buyer_label(self.buyer_type, self.buyer_city)

    def __repr__(self) -> str:
        return f"<SourcingRequest {self.id} {self.status}>"


class SourcingMatch(db.Model):
    """A seller chosen for a request (by the ranking or by staff) and told by e-mail.
    A removed match keeps its row (``removed_at``) so the record stays whole."""

    __tablename__ = "sourcing_matches"
    __table_args__ = (
        UniqueConstraint("request_id", "seller_id", name="uq_sourcing_matches_request_seller"),
        CheckConstraint(f"source IN {MATCH_SOURCES!r}", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sourcing_requests.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    score: Mapped[int] = mapped_column(Integer, default=0)
    rank: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(10), default="auto")
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    request: Mapped[SourcingRequest] = relationship(back_populates="matches")
    seller: Mapped[Seller] = relationship()


class SourcingOffer(db.Model):
    __tablename__ = "sourcing_offers"
    __table_args__ = (
        UniqueConstraint("request_id", "seller_id", name="uq_sourcing_offers_request_seller"),
        CheckConstraint(f"status IN {OFFER_STATUSES!r}", name="status"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity_range"),
        CheckConstraint(f"price_vnd BETWEEN 1 AND {MAX_PRICE_VND}", name="price_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("sourcing_requests.id", ondelete="CASCADE"), index=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    price_vnd: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    first_delivery: Mapped[date] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    request: Mapped[SourcingRequest] = relationship(back_populates="offers")
    seller: Mapped[Seller] = relationship()
    user: Mapped[User | None] = relationship()
