"""The catalog generation: one number that changes with every write a public page can show.

Caches of public pages (``web/pagecache.py``) and of things every page shows (the header's
categories) are keyed by it, so a change is seen at once by every process, whatever made
the write: a view, the staff workspace, a CLI import, the analytics rollup, a raw SQL
statement in a shell. It is kept by **database triggers** on the catalog tables, in the
writer's own transaction, so a reader sees the new number exactly when it sees the new
rows, never before (a reader that read the old number and then newer rows only caches a
page under a number nobody will ask for again):

* SQLite: ``AFTER INSERT/UPDATE/DELETE … FOR EACH ROW`` (one writer at a time; a bulk
  write costs a one-row update per row, microseconds each).
* PostgreSQL: a deferred constraint trigger, so the bump runs at COMMIT, after every other
  lock the transaction takes — two transactions can never deadlock on the generation row
  (it is always the last lock taken) — and only once per transaction (a transaction-local
  setting remembers it was done).

Time moves pages too (a certificate valid until yesterday, a collection scheduled to
start at 08:00): the page cache adds today's date and the next schedule boundary
(``next_boundary``) to its keys; the generation is about writes only.

The same DDL serves the migration (``0015_catalog_generation``) and ``create_all`` (tests).
A later migration that rebuilds one of these tables on SQLite (Alembic's batch mode copies
the table) drops its triggers and must call ``create_triggers`` again; a test checks that
the migrated schema has every trigger.
"""
from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import BigInteger, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# Every table a public page (or a search result) is built from. Not here: accounts,
# inquiries, analytics counters (the footer figures are filled per request), audit
# entries, pending revisions (not public until applied to ``products``).
TABLES = (
    "categories",
    "areas",
    "area_aliases",
    "sellers",
    "products",
    "product_photos",
    "ocop_certifications",
    "rural_industry_recognitions",
    "collections",
    "collection_items",
    "search_synonyms",
    # Meilisearch is updated after commit through the outbox: a delivery (row removed or
    # marked) changes what searches return, so it moves the generation as well.
    "search_outbox",
)

ROW_ID = 1
_PG_FUNCTION = "catalog_generation_bump"


class CatalogGeneration(db.Model):
    __tablename__ = "catalog_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Random, set when the row is made: tells databases apart whose values may coincide
    # (a store shared by processes on one machine, tests recreating a database).
    epoch: Mapped[str] = mapped_column(String(32), nullable=False, default="")


def _trigger_name(table: str) -> str:
    return f"catalog_generation_{table}"


def trigger_ddl(dialect: str, tables: tuple[str, ...] = TABLES) -> list[str]:
    """CREATE statements of the triggers (and PostgreSQL's function) for ``tables``."""
    bump = f"UPDATE catalog_generation SET value = value + 1 WHERE id = {ROW_ID}"
    if dialect == "postgresql":
        statements = [
            f"""CREATE OR REPLACE FUNCTION {_PG_FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('marketplace.catalog_bumped', true), '') <> '1' THEN
        {bump};
        PERFORM set_config('marketplace.catalog_bumped', '1', true);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql"""
        ]
        for table in tables:
            statements.append(
                f"CREATE CONSTRAINT TRIGGER {_trigger_name(table)} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {_PG_FUNCTION}()"
            )
        return statements
    statements = []
    for table in tables:
        for op in ("INSERT", "UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {_trigger_name(table)}_{op.lower()} AFTER {op} ON {table}"
                f" BEGIN {bump}; END"
            )
    return statements


def drop_ddl(dialect: str, tables: tuple[str, ...] = TABLES) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {_trigger_name(t)} ON {t}" for t in tables] + [
            f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}()"
        ]
    return [f"DROP TRIGGER IF EXISTS {_trigger_name(t)}_{op}" for t in tables for op in ("insert", "update", "delete")]


def create_triggers(conn, tables: tuple[str, ...] = TABLES) -> None:  # noqa: ANN001
    """The generation row (if missing) and the triggers, on ``conn`` (a migration's or
    ``create_all``'s connection)."""
    dialect = conn.dialect.name
    exists = conn.execute(sa.text("SELECT 1 FROM catalog_generation WHERE id = :id"), {"id": ROW_ID}).first()
    if exists is None:
        conn.execute(sa.text("INSERT INTO catalog_generation (id, value, epoch) VALUES (:id, 0, :epoch)"),
                     {"id": ROW_ID, "epoch": secrets.token_hex(8)})
    if dialect == "postgresql":
        conn.execute(sa.text(f"DROP FUNCTION IF EXISTS {_PG_FUNCTION}() CASCADE"))
    for statement in trigger_ddl(dialect, tables):
        conn.exec_driver_sql(statement)


def installed_triggers(conn) -> set[str]:  # noqa: ANN001
    """Names of the tables that have the generation trigger(s) (for checks and tests)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(sa.text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE 'catalog_generation_%' AND NOT t.tgisinternal"
        ))
        return {r[0] for r in rows}
    rows = conn.execute(sa.text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
                                " AND name LIKE 'catalog_generation_%'"))
    names: dict[str, int] = {}
    for table, _name in rows:
        names[table] = names.get(table, 0) + 1
    return {t for t, n in names.items() if n == 3}


@event.listens_for(db.metadata, "after_create")
def _after_create(target, connection, **_kw) -> None:  # noqa: ANN001
    """``create_all`` (tests, a first run without migrations) installs them too."""
    if CatalogGeneration.__table__.name in target.tables:
        create_triggers(connection)


_READ = sa.text(f"SELECT value, epoch FROM catalog_generation WHERE id = {ROW_ID}")

Stamp = tuple[str, int]  # (epoch, value): equal stamps, equal catalog


def stamp(session=None) -> Stamp:  # noqa: ANN001
    """(epoch, generation) as this session's transaction sees them."""
    row = (session or db.session).execute(_READ).first()
    return (row[1], int(row[0])) if row is not None else ("", 0)


def current(session=None) -> int:  # noqa: ANN001
    """The generation as this session's transaction sees it (0 before the first write)."""
    return stamp(session)[1]


def of_request() -> Stamp:
    """The stamp as this request first read it: one statement per request for the page
    cache, the header's categories and the home figures together."""
    from flask import g

    if "catalog_generation" not in g:
        g.catalog_generation = stamp()
    return g.catalog_generation


def bump(conn) -> None:  # noqa: ANN001
    """Move it explicitly, for writes outside the trigger tables that change what pages
    show (a rebuild of the embedded search index)."""
    conn.execute(sa.text(f"UPDATE catalog_generation SET value = value + 1 WHERE id = {ROW_ID}"))


def move_past(conn, seen: int) -> None:  # noqa: ANN001
    """Set it above both ``seen`` and its current value (after a restore brought back an
    older number that running processes may have cached other pages under)."""
    conn.execute(sa.text(f"UPDATE catalog_generation SET value = :v WHERE id = {ROW_ID}"),
                 {"v": max(seen, current(conn)) + 1})


def next_boundary(session=None, now: datetime | None = None) -> datetime | None:  # noqa: ANN001
    """The next moment a scheduled collection starts or ends (pages that show collections
    change then without any write), or None. One statement."""
    from ..collections.models import Collection, aware_utc
    from ..text import utcnow

    now = now or utcnow()
    moments = sa.union_all(
        sa.select(Collection.starts_at.label("at")).where(Collection.starts_at > now),
        sa.select(Collection.ends_at.label("at")).where(Collection.ends_at > now),
    ).subquery()
    moment = (session or db.session).scalar(sa.select(sa.func.min(moments.c.at)))
    return aware_utc(moment) if moment is not None else None
