"""search: SQLite FTS5 index (embedded search engine)

Revision ID: 0005_search_fts
Revises: 0004_search_outbox
Create Date: 2026-11-29 09:50:00

Only on SQLite: the document table, the external-content FTS5 table kept in sync by
triggers, the vocabulary used for typo tolerance, and bookkeeping. Other databases
search through their own backend (Meilisearch or the folded-column fallback).
The statements are frozen copies of marketplace.search.sqlite_fts.SCHEMA at this
revision. Fill the index afterwards with `flask --app marketplace search reindex`.
"""
from alembic import op


revision = '0005_search_fts'
down_revision = '0004_search_outbox'
branch_labels = None
depends_on = None


SCHEMA = (
    """CREATE TABLE IF NOT EXISTS search_documents (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        display_name TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        seller TEXT NOT NULL,
        area TEXT NOT NULL,
        description TEXT NOT NULL
    )""",
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
        fkey INTEGER NOT NULL DEFAULT 0
    )""",
    'CREATE INDEX IF NOT EXISTS ix_search_facets_price ON search_facets (price)',
    'CREATE INDEX IF NOT EXISTS ix_search_facets_published ON search_facets (published)',
    'CREATE INDEX IF NOT EXISTS ix_search_facets_popular ON search_facets (featured, views)',
    'CREATE INDEX IF NOT EXISTS ix_search_facets_views ON search_facets (views)',
    'CREATE INDEX IF NOT EXISTS ix_search_facets_seller ON search_facets (seller_id)',
    'CREATE INDEX IF NOT EXISTS ix_search_facets_category ON search_facets (category_id)',
    'CREATE INDEX IF NOT EXISTS ix_search_facets_area ON search_facets (area_id)',
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
        name, category, seller, area, description,
        content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts (rowid, name, category, seller, area, description)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_au
        AFTER UPDATE OF name, category, seller, area, description ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description);
        INSERT INTO search_fts (rowid, name, category, seller, area, description)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description);
    END""",
    """CREATE TABLE IF NOT EXISTS search_terms (
        term TEXT PRIMARY KEY,
        head TEXT NOT NULL,
        len INTEGER NOT NULL,
        docs INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    'CREATE INDEX IF NOT EXISTS ix_search_terms_head_len ON search_terms (head, len)',
    'CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)',
    "INSERT OR IGNORE INTO search_meta (key, value) VALUES ('generation', '0')",
    "INSERT INTO search_fts (search_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 3.0, 3.0, 1.0)')",
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for statement in SCHEMA:
        bind.exec_driver_sql(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in ("search_documents_ai", "search_documents_ad", "search_documents_au",
                 "search_facets_ai", "search_facets_ad"):
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_fts")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_documents")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_facets")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_facet_counts")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_terms")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_meta")
