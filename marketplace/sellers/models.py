"""Seller: a cooperative, enterprise or household business with a public profile."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import utcnow

if TYPE_CHECKING:
    from ..catalog.models import Area, Product

SELLER_KINDS = ("cooperative", "enterprise", "household")
SELLER_STATUSES = ("pending", "approved", "suspended")
SELLER_STATUS_LABELS = {"pending": _l("Chờ duyệt"), "approved": _l("Đã duyệt"), "suspended": _l("Tạm ngừng")}


class Seller(db.Model):
    __tablename__ = "sellers"
    __table_args__ = (
        CheckConstraint(f"kind IN {SELLER_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {SELLER_STATUSES!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    story: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    phone: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    logo_key: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Staff rejection of a pending registration (still ``pending``, out of the queue
    # until the seller edits its profile) and the reason the seller sees; also the
    # reason of a suspension.
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    area: Mapped[Area | None] = relationship()
    products: Mapped[list[Product]] = relationship(back_populates="seller")

    @property
    def is_public(self) -> bool:
        return self.status == "approved"

    def __repr__(self) -> str:
        return f"<Seller {self.slug}>"
