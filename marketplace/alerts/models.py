"""Alert subscribers, their subscriptions and the digest log (marketplace/alerts)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import utcnow

KINDS = ("season", "search")
DIGEST_STATUSES = ("sending", "sent", "failed")


class AlertSubscriber(db.Model):
    """One e-mail address (normalised, lower case). ``secret`` is random and goes into
    its signed links; ``unsubscribed_at`` ends every alert of the address."""

    __tablename__ = "alert_subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    secret: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    subscriptions: Mapped[list[AlertSubscription]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", order_by="AlertSubscription.id")


class AlertSubscription(db.Model):
    """What one address asked for: a product's season (``product_id``) or a saved search
    (``query_text`` and/or ``category_slug``). ``key`` tells duplicates apart."""

    __tablename__ = "alert_subscriptions"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
        sa.UniqueConstraint("subscriber_id", "key", name="uq_alert_subscriptions_subscriber_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_subscribers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    key: Mapped[str] = mapped_column(sa.String(300))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    query_text: Mapped[str] = mapped_column(sa.String(100), default="")
    category_slug: Mapped[str | None] = mapped_column(sa.String(120))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # search: products published after this moment are new to the subscriber
    cursor: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # season: the day the product's being in season was last mailed
    notified_on: Mapped[date | None] = mapped_column(sa.Date)

    subscriber: Mapped[AlertSubscriber] = relationship(back_populates="subscriptions")
    product = relationship("Product")


class AlertDigest(db.Model):
    """One digest mail: claimed (``sending``) and committed before it is sent; at most
    one per address and day (Asia/Ho_Chi_Minh)."""

    __tablename__ = "alert_digests"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {DIGEST_STATUSES!r}", name="status"),
        sa.UniqueConstraint("subscriber_id", "day", name="uq_alert_digests_subscriber_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_subscribers.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10), default="sending")
    items: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(sa.Text)
