"""read indexes: analytics_daily (kind, day, object_id, views); products (seller_id, status, category_id, area_id)

* The staff overview ranks the most viewed products, sellers, categories and areas of a
  date range: ``WHERE kind = ? AND day BETWEEN ? AND ? GROUP BY object_id``. The primary
  key starts with the day (every kind's rows of the range, then a table read per row) and
  ix_analytics_daily_kind_object_day reads every day of the kind; the new index reads only
  the kind's rows of the range, without touching the table.
* The home page's figures count public products per category, area and seller (products
  of approved sellers): the new index answers that from the index alone, seller by
  seller, instead of reading every product row.

Revision ID: 0016_read_indexes
Revises: 0015_catalog_generation
Create Date: 2026-11-30 13:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016_read_indexes'
down_revision = '0015_catalog_generation'
branch_labels = None
depends_on = None

ANALYTICS = 'ix_analytics_daily_kind_day_views'
PRODUCTS = 'ix_products_seller_status_category_area'


def upgrade():
    op.create_index(ANALYTICS, 'analytics_daily', ['kind', 'day', 'object_id', 'views'], unique=False)
    op.create_index(PRODUCTS, 'products', ['seller_id', 'status', 'category_id', 'area_id'], unique=False)


def downgrade():
    op.drop_index(PRODUCTS, table_name='products')
    op.drop_index(ANALYTICS, table_name='analytics_daily')
