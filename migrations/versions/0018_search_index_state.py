"""search index state: the live Meilisearch index's marker and pending repairs; outbox task uids

* ``search_index_state`` — per live index: the ``createdAt`` of the index the last
  reindex built (an index with another one is not ours), and the reindex / settings
  restore the job runner owes it.
* ``search_outbox.task_uid`` — the engine task a delivery stopped waiting for: the next
  delivery asks for that task instead of sending the change again.

A plain ADD COLUMN (no batch mode): on SQLite a table copy would drop the catalog
generation triggers on ``search_outbox``. ``task_uid`` is not a column the triggers
watch (only ``delivered_at`` is), so recording a task moves no cache scope.

Revision ID: 0018_search_index_state
Revises: 0017_cache_scopes
Create Date: 2026-12-07 02:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018_search_index_state'
down_revision = '0017_cache_scopes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_index_state',
        sa.Column('index_uid', sa.String(length=200), nullable=False),
        sa.Column('marker', sa.String(length=64), nullable=True),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reindex_requested_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reindex_reason', sa.Text(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('settings_requested_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('index_uid', name=op.f('pk_search_index_state')),
    )
    op.add_column('search_outbox', sa.Column('task_uid', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_column('task_uid')
    op.drop_table('search_index_state')
    if op.get_bind().dialect.name == "sqlite":  # the batch copy dropped its triggers
        from marketplace.catalog.generation import create_triggers

        create_triggers(op.get_bind())
