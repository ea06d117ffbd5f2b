"""Upload accounting: one row per picture an account sent for decoding, so the hourly
quota holds across processes and servers (see ``media.services.reserve_uploads``)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..text import utcnow


class UploadEvent(db.Model):
    __tablename__ = "upload_events"
    __table_args__ = (sa.Index("ix_upload_events_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
