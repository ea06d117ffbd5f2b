"""The audit entry: append-only, kept by the database itself.

The ORM events below refuse an edit early with a clear error; the guarantee is the
database's: triggers (``APPEND_ONLY_DDL``, created by migration 0021 and by
``create_all``) abort any UPDATE or DELETE on ``audit_entries`` — Core statements, raw
SQL, another program — on SQLite (``RAISE(ABORT)``) and PostgreSQL (a trigger function,
TRUNCATE included). On PostgreSQL the deploy guide also revokes UPDATE, DELETE and
TRUNCATE from the application's role, so the owner alone could drop the triggers."""
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


APPEND_ONLY_MESSAGE = "audit_entries is append-only"

APPEND_ONLY_DDL = {
    "sqlite": [
        f"CREATE TRIGGER IF NOT EXISTS audit_entries_no_update BEFORE UPDATE ON audit_entries"
        f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS audit_entries_no_delete BEFORE DELETE ON audit_entries"
        f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$"
        f" BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END;"
        " $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries",
        "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries"
        " FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
        "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()",
    ],
}
DROP_APPEND_ONLY_DDL = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entries_no_update", "DROP TRIGGER IF EXISTS audit_entries_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries",
                   "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
                   "DROP FUNCTION IF EXISTS audit_entries_append_only()"],
}


def create_append_only_triggers(conn) -> None:  # noqa: ANN001
    for statement in APPEND_ONLY_DDL.get(conn.dialect.name, []):
        conn.exec_driver_sql(statement)


@event.listens_for(AuditEntry.__table__, "after_create")
def _after_create(target, connection, **_kw) -> None:  # noqa: ANN001
    """``create_all`` (tests, a first run without migrations) installs them too."""
    create_append_only_triggers(connection)
