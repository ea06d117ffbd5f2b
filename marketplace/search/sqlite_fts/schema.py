"""The FTS5 engine's tables: documents (folded text), narrow facet rows, the FTS5
index over the documents, trigger-maintained facet counters, the vocabulary
(typo corrections) and bookkeeping. Written by ``writer.py``; docs/search.md,
"The embedded engine"."""
from __future__ import annotations

import sqlalchemy as sa

from .. import ranking

TEXT_COLUMNS = ranking.ATTRIBUTES  # name, category, seller, area, description
FTS_COLUMNS = (*TEXT_COLUMNS, "marks")
DOC_COLUMNS = ("id", "slug", "display_name", *FTS_COLUMNS)
FACET_COLUMNS = (
    "id",
    "category_id",
    "area_id",
    "seller_id",
    "stars",
    "stars_until",
    "rural",
    "band",
    "price",
    "views",
    "featured",
    "published",
    "fkey",
    "season",
)


SCHEMA: tuple[str, ...] = (
    # Text, folded, as the FTS5 table indexes it (external content), plus display data.
    """CREATE TABLE IF NOT EXISTS search_documents (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        display_name TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        seller TEXT NOT NULL,
        area TEXT NOT NULL,
        description TEXT NOT NULL,
        marks TEXT NOT NULL DEFAULT ''
    )""",
    # Narrow filter/facet/sort columns: small rows, so scanning matches stays cheap.
    """CREATE TABLE IF NOT EXISTS search_facets (
        id INTEGER PRIMARY KEY,
        category_id INTEGER,
        area_id INTEGER,
        seller_id INTEGER,
        stars INTEGER,
        stars_until INTEGER,
        rural INTEGER NOT NULL DEFAULT 0,
        band INTEGER NOT NULL,
        price INTEGER NOT NULL,
        views INTEGER NOT NULL DEFAULT 0,
        featured INTEGER NOT NULL DEFAULT 0,
        published INTEGER,
        fkey INTEGER NOT NULL DEFAULT 0,
        season INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_price ON search_facets (price)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_published ON search_facets (published)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_popular ON search_facets (featured, views)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_views ON search_facets (views)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_seller ON search_facets (seller_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_category ON search_facets (category_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_area ON search_facets (area_id)",
    # Facet groups of the whole index, kept exact by triggers: browsing without text
    # reads a few thousand counters instead of grouping every document.
    """CREATE TABLE IF NOT EXISTS search_facet_counts (
        fkey INTEGER NOT NULL,
        stars_until INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (fkey, stars_until)
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_facets_ai AFTER INSERT ON search_facets BEGIN
        INSERT INTO search_facet_counts (fkey, stars_until, n)
        VALUES (new.fkey, coalesce(new.stars_until, 0), 1)
        ON CONFLICT (fkey, stars_until) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_facets_ad AFTER DELETE ON search_facets BEGIN
        UPDATE search_facet_counts SET n = n - 1
        WHERE fkey = old.fkey AND stars_until = coalesce(old.stars_until, 0);
    END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        name, category, seller, area, description, marks,
        content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts (rowid, name, category, seller, area, description, marks)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description, new.marks);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description, marks)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description, old.marks);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_au
        AFTER UPDATE OF name, category, seller, area, description, marks ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description, marks)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description, old.marks);
        INSERT INTO search_fts (rowid, name, category, seller, area, description, marks)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description, new.marks);
    END""",
    """CREATE TABLE IF NOT EXISTS search_terms (
        term TEXT PRIMARY KEY,
        head TEXT NOT NULL,
        len INTEGER NOT NULL,
        docs INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_search_terms_head_len ON search_terms (head, len)",
    "CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)",
    "INSERT OR IGNORE INTO search_meta (key, value) VALUES ('generation', '0')",
)

TRIGGER_NAMES = (
    "search_documents_ai",
    "search_documents_ad",
    "search_documents_au",
    "search_facets_ai",
    "search_facets_ad",
)


def drop_schema(bind: sa.engine.Connection) -> None:
    """Drop every FTS object (the rebuild recreates them)."""
    for name in TRIGGER_NAMES:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("search_fts", "search_documents", "search_facets", "search_facet_counts", "search_terms"):
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def create_schema(bind: sa.engine.Connection) -> None:
    """Create the FTS objects (idempotent) on a SQLite connection."""
    for statement in SCHEMA:
        bind.exec_driver_sql(statement)

