"""Writing audit entries: in the caller's transaction (flush, never commit).

Call ``record`` in the same unit of work as the change it describes, so the entry and
the change are committed together or not at all.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from ..extensions import db
from .models import AuditEntry


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


def snapshot(obj: object, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-safe values of ``fields`` of ``obj`` (for before/after)."""
    return {name: _json_safe(getattr(obj, name, None)) for name in fields}


def diff(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value differs."""
    before = {k: _json_safe(v) for k, v in (before or {}).items()}
    after = {k: _json_safe(v) for k, v in (after or {}).items()}
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    actor: Any = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add one audit entry to the session (the caller commits).

    ``actor`` is a User (or None for the system); ``before``/``after`` are field → value
    maps, of which only the changed fields are kept.
    """
    actor_id = getattr(actor, "id", None)
    entry = AuditEntry(
        actor_id=actor_id,
        actor_role=getattr(actor, "role", None) or "system",
        object_type=object_type,
        object_id=object_id,
        action=action,
        changes=diff(before, after),
        reason=(reason or "").strip() or None,
    )
    db.session.add(entry)
    return entry
