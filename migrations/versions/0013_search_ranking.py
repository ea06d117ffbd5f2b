"""search ranking: marks column and 1-letter prefixes in the FTS5 index

Revision ID: 0013_search_ranking
Revises: 0012_product_version
Create Date: 2026-11-30 09:00:00

Only on SQLite (the embedded engine). ``search_documents`` gets a ``marks`` column
(the name's words with their marks spelled in ASCII, for the exactness rule) and
``search_fts`` is recreated with that column and a 1-character prefix index (the last
query word is a prefix whatever its length). The statements are frozen copies of
marketplace.search.sqlite_fts.SCHEMA at this revision. The FTS table is refilled from
the document table here; run `flask --app marketplace search reindex` afterwards to
fill ``marks`` (until then, searches work but cannot prefer matching marks).
"""
from alembic import op


revision = '0013_search_ranking'
down_revision = '0012_product_version'
branch_labels = None
depends_on = None


TRIGGERS = ("search_documents_ai", "search_documents_ad", "search_documents_au")

UPGRADE = (
    """CREATE VIRTUAL TABLE search_fts USING fts5(
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
    "INSERT INTO search_fts (search_fts) VALUES ('rebuild')",
)

DOWNGRADE = (
    """CREATE VIRTUAL TABLE search_fts USING fts5(
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
    "INSERT INTO search_fts (search_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 3.0, 3.0, 1.0)')",
    "INSERT INTO search_fts (search_fts) VALUES ('rebuild')",
)


def _drop_fts(bind):
    for name in TRIGGERS:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    bind.exec_driver_sql("DROP TABLE IF EXISTS search_fts")


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _drop_fts(bind)
    bind.exec_driver_sql("ALTER TABLE search_documents ADD COLUMN marks TEXT NOT NULL DEFAULT ''")
    for statement in UPGRADE:
        bind.exec_driver_sql(statement)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _drop_fts(bind)
    bind.exec_driver_sql("ALTER TABLE search_documents DROP COLUMN marks")
    for statement in DOWNGRADE:
        bind.exec_driver_sql(statement)
