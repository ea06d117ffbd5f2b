"""Staff-side records: which certificate-expiry reminders were sent."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..text import utcnow

# Days before expiry at which the seller is reminded.
REMINDER_DAYS = (90, 30)


class CertificateReminder(db.Model):
    """One expiry reminder sent for one certificate expiry date.

    Keyed by the expiry date too: a renewed certificate (new decision, new expiry)
    gets its own reminders.
    """

    __tablename__ = "certificate_reminders"
    __table_args__ = (
        UniqueConstraint("certification_id", "expires_on", "days_before", name="uq_certificate_reminders_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), index=True)
    expires_on: Mapped[date] = mapped_column(Date)
    days_before: Mapped[int] = mapped_column(SmallInteger)
    sent_to: Mapped[str] = mapped_column(db.String(200), default="")
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
