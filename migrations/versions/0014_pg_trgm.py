"""pg_trgm: trigram GIN index on products.search_text (PostgreSQL only)

The database search (SEARCH_BACKEND=database, and the degraded fallback) filters with
LIKE '%token%' and, for words nothing contains, word_similarity (the <% operator).
On PostgreSQL a GIN index with gin_trgm_ops serves both, so text filters do not scan
the table. SQLite has no trigram index: nothing to do there.

Revision ID: 0014_pg_trgm
Revises: 0013_search_ranking
Create Date: 2026-11-30 08:43:06

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_pg_trgm'
down_revision = '0013_search_ranking'
branch_labels = None
depends_on = None

INDEX = 'ix_products_search_text_trgm'


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    # A trusted extension since PostgreSQL 13: the database owner may create it.
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index(
        INDEX,
        'products',
        ['search_text'],
        unique=False,
        postgresql_using='gin',
        postgresql_ops={'search_text': 'gin_trgm_ops'},
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index(INDEX, table_name='products')
    # The extension stays: other objects may use it, and it costs nothing unused.
