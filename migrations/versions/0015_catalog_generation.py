"""catalog generation: one row moved by triggers on every catalog table (page cache keys)

See marketplace/catalog/generation.py: SQLite row triggers; PostgreSQL a deferred
constraint trigger that bumps once per transaction at COMMIT.

Revision ID: 0015_catalog_generation
Revises: 0014_pg_trgm
Create Date: 2026-11-30 12:50:00

"""
from alembic import op
import sqlalchemy as sa

from marketplace.catalog.generation import create_row, drop_legacy_ddl

# revision identifiers, used by Alembic.
revision = '0015_catalog_generation'
down_revision = '0014_pg_trgm'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'catalog_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('epoch', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_generation')),
    )
    # The triggers it installed then (one generation for every write) are replaced by
    # 0017_cache_scopes, which installs today's: a fresh database gets them there.
    create_row(op.get_bind())


def downgrade():
    bind = op.get_bind()
    for statement in drop_legacy_ddl(bind.dialect.name):
        op.execute(statement)
    op.drop_table('catalog_generation')
