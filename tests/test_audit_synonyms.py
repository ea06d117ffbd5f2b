"""The audit log's append-only rule and the synonyms table's services."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.audit.models import AuditEntry, AuditEntryImmutable
from marketplace.audit.queries import audit_entries
from marketplace.audit.services import diff, record
from marketplace.extensions import db
from marketplace.search.synonyms import (
    SynonymError,
    add_synonym,
    remove_synonym,
    synonym_map,
)


def test_record_keeps_only_changed_fields(ctx):
    entry = record("product.edit", "product", 7, before={"price": 100, "name": "Chè"},
                   after={"price": 120, "name": "Chè"}, reason="  giá mới ")
    db.session.commit()
    assert entry.changes == {"price": [100, 120]}
    assert entry.reason == "giá mới"
    assert entry.actor_role == "system"
    assert db.session.scalars(audit_entries(object_type="product", object_id=7)).all() == [entry]


def test_entries_cannot_be_edited_or_deleted(ctx):
    entry = record("seller.approve", "seller", 1)
    db.session.commit()
    entry.reason = "rewritten"
    with pytest.raises(AuditEntryImmutable):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditEntryImmutable):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).reason is None


def test_diff_of_dates_is_json_safe():
    from datetime import date
    assert diff({"d": date(2026, 1, 2)}, {"d": date(2026, 1, 3)}) == {"d": ["2026-01-02", "2026-01-03"]}


def test_synonyms_are_folded_two_way_and_audited(ctx):
    created = add_synonym("Chè", "TRÀ")
    db.session.commit()
    assert len(created) == 2
    assert synonym_map() == {"che": ["tra"], "tra": ["che"]}
    assert add_synonym("che", "tra") == []  # idempotent
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert actions == ["synonym.add", "synonym.add"]
    assert remove_synonym("trà", "chè") == 2
    db.session.commit()
    assert synonym_map() == {}


@pytest.mark.parametrize(("term", "synonym", "field"), [
    ("", "tra", "term"),
    ("che", "   ", "synonym"),
    ("che", "Chè", "synonym"),
    ("a b c d e", "tra", "term"),
])
def test_synonym_input_errors_name_the_field(ctx, term, synonym, field):
    with pytest.raises(SynonymError) as info:
        add_synonym(term, synonym)
    assert info.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_the_database_refuses_to_change_or_remove_an_entry_whatever_the_sql(ctx):
    """Core statements and raw SQL bypass the ORM events: the triggers (migration 0021,
    and create_all) refuse them on SQLite and PostgreSQL alike."""
    first = record("product.approve", "product", 1, reason="ok")
    second = record("product.reject", "product", 2, reason="no")
    db.session.commit()
    table = AuditEntry.__table__
    first_id, second_id = first.id, second.id
    db.session.rollback()  # no transaction of ours stays open (TRUNCATE would wait for it)
    attempts = [
        sa.update(table).where(table.c.id == first_id).values(reason="rewritten"),
        sa.update(table).values(action="x"),
        sa.delete(table).where(table.c.id == second_id),
        sa.delete(table),
        sa.text("UPDATE audit_entries SET actor_role = 'admin'"),
        sa.text("DELETE FROM audit_entries"),
    ]
    if db.engine.dialect.name == "postgresql":
        attempts.append(sa.text("TRUNCATE audit_entries"))
    for statement in attempts:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(statement)
    db.session.expire_all()
    rows = db.session.execute(sa.select(table.c.id, table.c.action, table.c.reason).order_by(table.c.id)).all()
    assert [tuple(r) for r in rows] == [(first_id, "product.approve", "ok"), (second_id, "product.reject", "no")]
    record("product.approve", "product", 3)  # appending still works
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 3


def test_the_migrated_schema_has_the_append_only_triggers(tmp_path):
    from test_migrations import _dispose, _fresh_app

    from flask_migrate import upgrade

    app = _fresh_app(tmp_path)
    try:
        with app.app_context():
            upgrade()
            with db.engine.begin() as conn:
                conn.execute(sa.insert(AuditEntry.__table__).values(
                    created_at=sa.func.now(), actor_role="system", object_type="product", object_id=1,
                    action="product.approve", changes={}))
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(sa.delete(AuditEntry.__table__))
    finally:
        _dispose(app)
