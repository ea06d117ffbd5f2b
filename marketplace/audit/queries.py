"""Reading the audit log: one filterable ``Select`` for the staff browser and tests."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from .models import AuditEntry


def audit_entries(
    *,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> sa.Select:
    """Entries newest first, filtered by what is given (``until`` is exclusive)."""
    stmt = sa.select(AuditEntry)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
