"""analytics: covering index (kind, day, object_id, views) on analytics_daily

The staff overview ranks the most viewed products, sellers, categories and areas of a
date range: ``WHERE kind = ? AND day BETWEEN ? AND ? GROUP BY object_id``. The primary
key starts with the day (every kind's rows of the range, then a table read per row) and
ix_analytics_daily_kind_object_day reads every day of the kind; this index reads only
the kind's rows of the range, without touching the table.

Revision ID: 0016_analytics_top_index
Revises: 0015_catalog_generation
Create Date: 2026-11-30 13:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_analytics_top_index'
down_revision = '0015_catalog_generation'
branch_labels = None
depends_on = None

INDEX = 'ix_analytics_daily_kind_day_views'


def upgrade():
    op.create_index(INDEX, 'analytics_daily', ['kind', 'day', 'object_id', 'views'], unique=False)


def downgrade():
    op.drop_index(INDEX, table_name='analytics_daily')
