"""The audit entry: append-only (the application can neither edit nor delete one)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..text import utcnow

if TYPE_CHECKING:
    from ..accounts.models import User


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # NULL actor: the system (a CLI command, a scheduled job).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[str] = mapped_column(String(10), default="system")
    object_type: Mapped[str] = mapped_column(String(30), index=True)
    object_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Dotted verb: "product.approve", "seller.suspend", "certificate.verify", ...
    action: Mapped[str] = mapped_column(String(60), index=True)
    # {field: [before, after]} for the fields that changed (JSON-safe values).
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}:{self.object_id}>"


class AuditEntryImmutable(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target) -> None:  # noqa: ANN001
    raise AuditEntryImmutable("audit entries cannot be edited")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise AuditEntryImmutable("audit entries cannot be deleted")
