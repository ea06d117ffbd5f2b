"""cache scopes: what a catalog write touched, for page caches that invalidate in proportion

The generation triggers of 0015 moved one number with every catalog write, so any write
(a pending seller's draft, an unchanged form, the popularity rollup) emptied every cached
page. Now each write that changes what a public page shows moves only the scopes it
touched (marketplace/catalog/generation.py): its product, seller, category and area
listings, collections, synonyms, search deliveries.

Revision ID: 0017_cache_scopes
Revises: 0016_read_indexes
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa

from marketplace.catalog.generation import create_triggers, drop_ddl, drop_legacy_ddl

# revision identifiers, used by Alembic.
revision = '0017_cache_scopes'
down_revision = '0016_read_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_scopes',
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_cache_scopes')),
    )
    bind = op.get_bind()
    for statement in drop_legacy_ddl(bind.dialect.name):
        op.execute(statement)
    create_triggers(bind)


def downgrade():
    bind = op.get_bind()
    for statement in drop_ddl(bind.dialect.name):
        op.execute(statement)
    op.drop_table('cache_scopes')
