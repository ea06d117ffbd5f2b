"""search privacy: distinct visitors per query and day; stored search texts masked

Search texts are masked before they are stored (marketplace/analytics/privacy.py); the
texts stored before are masked here. ``analytics_search_daily.visitors`` counts the
distinct visitors of a query on a day (staff see a text only from
SEARCH_TEXT_MIN_VISITORS on), from ``analytics_search_visitors`` (one hashed
visitor-and-query pair per row, deleted when its day is over).

Revision ID: 0019_search_privacy
Revises: 0018_search_index_state
Create Date: 2026-12-07 02:20:00

"""
from alembic import op
import sqlalchemy as sa

from marketplace.analytics.privacy import scrub_stored_queries

# revision identifiers, used by Alembic.
revision = '0019_search_privacy'
down_revision = '0018_search_index_state'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'analytics_search_visitors',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('digest', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('day', 'digest', name=op.f('pk_analytics_search_visitors')),
    )
    with op.batch_alter_table('analytics_search_daily', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visitors', sa.Integer(), server_default='0', nullable=False))
    scrub_stored_queries(op.get_bind())


def downgrade():
    with op.batch_alter_table('analytics_search_daily', schema=None) as batch_op:
        batch_op.drop_column('visitors')
    op.drop_table('analytics_search_visitors')
