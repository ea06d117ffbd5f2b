"""price scope: a price change that keeps a product in its price band moves only its own
scope and ``lprice`` (listings ordered or filtered by price), not every listing and search

The scope triggers are rebuilt from marketplace/catalog/generation.py (the products rule
gained its narrow case).

Revision ID: 0031_price_scope
Revises: 0026_sourcing
Create Date: 2026-12-07 05:30:00

"""
from alembic import op

from marketplace.catalog.generation import create_triggers

# revision identifiers, used by Alembic.
revision = '0031_price_scope'
down_revision = '0026_sourcing'
branch_labels = None
depends_on = None


def upgrade():
    create_triggers(op.get_bind())


def downgrade():
    # The triggers are the code's (0017 installs the same ones on a fresh database);
    # rebuilding them keeps a downgraded database consistent with whatever code runs it.
    create_triggers(op.get_bind())
