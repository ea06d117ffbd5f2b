"""`flask db upgrade` alone must build the schema the models describe."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_test_config


def _schema_diff(app) -> list:
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            dialect = conn.dialect.name
    # Tables the search engine owns (FTS5 shadow tables) are not in the models; an index
    # declared for one dialect only (the pg_trgm index: Index(...).ddl_if) exists only there.
    return [
        d
        for d in diff
        if not (d[0] == "remove_table" and d[1].name not in db.metadata.tables)
        and not (d[0] == "remove_index" and d[1].table.name not in db.metadata.tables)
        and not (d[0] == "add_index" and _only_on_other_dialect(d[1], dialect))
    ]


def _only_on_other_dialect(index, dialect: str) -> bool:
    ddl_if = getattr(index, "_ddl_if", None)
    if ddl_if is None:  # autogenerate may hand back a copy: look the model's index up
        model = db.metadata.tables[index.table.name]
        ddl_if = next((i._ddl_if for i in model.indexes if i.name == index.name), None)
    only = getattr(ddl_if, "dialect", None)
    return only is not None and only != dialect


def _fresh_app(tmp_path):
    app = create_app(make_test_config(tmp_path))
    if TEST_DATABASE_URL:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return app


def _dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


def test_upgrade_from_empty_matches_models(tmp_path):
    app = _fresh_app(tmp_path)
    with app.app_context():
        upgrade()
    assert _schema_diff(app) == []
    _dispose(app)


def test_downgrade_to_base_and_up_again(tmp_path):
    app = _fresh_app(tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        names = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert not (names & set(db.metadata.tables))
        upgrade()
    assert _schema_diff(app) == []
    _dispose(app)


def test_migrated_schema_keeps_the_catalog_generation_on_every_catalog_table(tmp_path):
    """The page cache is exact only if every catalog table moves the generation: a later
    migration that rebuilds one of them (SQLite batch mode) must put its triggers back."""
    from marketplace.catalog import generation

    app = _fresh_app(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert generation.installed_triggers(conn) == set(generation.TABLES)
        before = generation.current()
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO categories (slug, name, name_en, position) VALUES ('che', 'Chè', 'Tea', 0)"))
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE categories SET name = 'Trà' WHERE slug = 'che'"))
        db.session.remove()
        assert generation.current() == before + 2  # one per transaction on PostgreSQL too
    _dispose(app)


# --- every revision, one step at a time, with data in place ----------------------------------
#
# Written over the revision chain, not per file: each revision is upgraded to from its
# parent with a row in every table the parent has, downgraded one step, and upgraded
# again; the rows must come through each step unchanged (columns the step does not touch).
# Rows are synthesised from the reflected schema (CHECK constraints of the usual shapes
# are read; a value that cannot be guessed goes in ROW_OVERRIDES).

import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
# (table, column) → value, for constraints the synthesiser cannot read.
ROW_OVERRIDES: dict[tuple[str, str], object] = {}
# Tables owned by an engine (FTS5 virtual tables and their shadow tables) or by triggers
# (the catalog generation: one row its migration writes, moved by every catalog write).
ENGINE_TABLE = re.compile(r"^(search_fts.*|sqlite_.*|alembic_version|catalog_generation)$")


def _revisions() -> list[tuple[str | None, str]]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()} (re-chain the revisions)"
    chain = list(reversed(list(script.walk_revisions())))
    return [(rev.down_revision, rev.revision) for rev in chain]


def _checked_value(column: str, checks: list[dict]):
    for check in checks:
        text = check.get("sqltext") or ""
        found = re.search(rf"\b{column}\b\s+IN\s*\(\s*'([^']*)'", text, re.I)
        if found:
            return found.group(1)
        # PostgreSQL reflects IN (...) as: (kind)::text = ANY ((ARRAY['a'::character varying, ...
        found = re.search(rf"\b{column}\b\)?(?:::[\w ]+)?\s*=\s*ANY\s*\(+ARRAY\[\s*'([^']*)'", text, re.I)
        if found:
            return found.group(1)
        found = re.search(rf"\b{column}\b\s+BETWEEN\s+(-?\d+)\s+AND", text, re.I)
        if found:
            return int(found.group(1))
        found = re.search(rf"\b{column}\b\s*>=?\s*(-?\d+)", text, re.I)
        if found:
            return int(found.group(1)) + 1
    return None


def _value(table: sa.Table, column: sa.Column, index: int, checks: list[dict]):
    if (table.name, column.name) in ROW_OVERRIDES:
        return ROW_OVERRIDES[(table.name, column.name)]
    checked = _checked_value(column.name, checks)
    if checked is not None:
        return checked
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return True
    if isinstance(kind, sa.Integer):
        return 1 + index
    if isinstance(kind, (sa.Numeric, sa.Float)):
        return 1.5
    if isinstance(kind, sa.DateTime):
        moment = datetime(2024, 1, 1, 8, 0) + timedelta(hours=index)
        return moment.replace(tzinfo=timezone.utc) if getattr(kind, "timezone", False) else moment
    if isinstance(kind, sa.Date):
        return date(2024, 1, 1) + timedelta(days=60 * index)  # later columns later: expiry after issue
    if isinstance(kind, sa.JSON):
        return {"khóa": "giá trị"}
    if isinstance(kind, sa.LargeBinary):
        return b"\x00\x01"
    length = getattr(kind, "length", None)
    text = f"{table.name}.{column.name} Chè Tân Cương"
    return text[:length] if length else text


def _seed_every_table(conn) -> dict[str, dict]:
    """One row in every application table (parents first); returns them as read back."""
    metadata = sa.MetaData()
    metadata.reflect(conn)
    inspector = sa.inspect(conn)
    rows: dict[str, dict] = {}
    for table in metadata.sorted_tables:
        if ENGINE_TABLE.match(table.name):
            continue
        checks = inspector.get_check_constraints(table.name)
        pk_cols = list(table.primary_key.columns)
        values = {}
        for index, column in enumerate(table.columns):
            foreign = next(iter(column.foreign_keys), None)
            if foreign is not None:
                parent = rows.get(foreign.column.table.name)
                values[column.name] = parent[foreign.column.name] if parent else None
                continue
            if column.primary_key and len(pk_cols) == 1 and isinstance(column.type, sa.Integer):
                continue  # autoincrement
            values[column.name] = _value(table, column, index, checks)
        key = conn.execute(table.insert().values(values)).inserted_primary_key
        where = [c == v for c, v in zip(pk_cols, key)]
        rows[table.name] = dict(conn.execute(sa.select(table).where(*where)).mappings().one())
    return rows


def _assert_rows_kept(conn, seeded: dict[str, dict]) -> None:
    metadata = sa.MetaData()
    metadata.reflect(conn)
    for name, row in seeded.items():
        if name not in metadata.tables:
            continue  # the step drops this table (and its downgrade recreates it empty)
        table = metadata.tables[name]
        where = [c == row[c.name] for c in table.primary_key.columns if c.name in row]
        found = conn.execute(sa.select(table).where(*where)).mappings().all()
        assert len(found) == 1, f"{name}: the seeded row is gone"
        for column, value in row.items():
            if column in found[0]:
                assert found[0][column] == value, f"{name}.{column}: {value!r} became {found[0][column]!r}"


@pytest.mark.slow  # every revision: an upgrade with a row in every table, a downgrade, an upgrade
@pytest.mark.parametrize("parent, revision", _revisions(), ids=[rev for _p, rev in _revisions()])
def test_each_revision_upgrades_with_data_in_place_and_downgrades_one_step(tmp_path, parent, revision):
    app = _fresh_app(tmp_path)
    before = parent or "base"
    try:
        with app.app_context():
            upgrade(revision=before)
            with db.engine.begin() as conn:
                seeded = _seed_every_table(conn)
            if parent is not None:
                assert seeded, f"no table to seed at {parent}"
            upgrade(revision=revision)
            with db.engine.connect() as conn:
                _assert_rows_kept(conn, seeded)
                assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == revision
            downgrade(revision=before)
            with db.engine.connect() as conn:
                _assert_rows_kept(conn, seeded)
            upgrade(revision=revision)
            with db.engine.connect() as conn:
                _assert_rows_kept(conn, seeded)
    finally:
        _dispose(app)
