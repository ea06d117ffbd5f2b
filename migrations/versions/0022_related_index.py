"""related-products index: products (category_id, status, view_count, id)

A product page shows the same category's most viewed public products. Without an index
in that order the database read and sorted every public product of the category (1,168
of the demo's 2,760 in its largest) on every rendered product page, ~1 ms of a ~10 ms
page; with it, it reads the first rows in order and stops.

Revision ID: 0022_related_index
Revises: 0021_audit_append_only
Create Date: 2026-12-07 01:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_related_index'
down_revision = '0021_audit_append_only'
branch_labels = None
depends_on = None

INDEX = 'ix_products_category_status_views'


def upgrade():
    op.create_index(INDEX, 'products', ['category_id', 'status', 'view_count', 'id'], unique=False)


def downgrade():
    op.drop_index(INDEX, table_name='products')
