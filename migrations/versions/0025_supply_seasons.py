"""supply capacity and season on products (issue 19)

Monthly volume and its unit, minimum order quantity, lead time in days, packaging
options, and the months the product is available (a 12-bit mask, see
marketplace/seasons). All optional: existing products keep NULL ("not stated").

The product page and cards show these columns, so the products cache-scope trigger now
watches them too (catalog/generation.py RULES): the triggers are recreated, which also
restores them on SQLite after the batch copy of the table.

Revision ID: 0025_supply_seasons
Revises: 0022_related_index
Create Date: 2026-12-07 04:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025_supply_seasons'
down_revision = '0022_related_index'
branch_labels = None
depends_on = None

COLUMNS = ('monthly_volume', 'volume_unit', 'min_order_qty', 'lead_time_days', 'packaging', 'season_mask')
CHECKS = {
    'season_mask_range': 'season_mask IS NULL OR (season_mask BETWEEN 1 AND 4095)',
    'monthly_volume_positive': 'monthly_volume IS NULL OR monthly_volume > 0',
    'min_order_qty_positive': 'min_order_qty IS NULL OR min_order_qty > 0',
    'lead_time_days_non_negative': 'lead_time_days IS NULL OR lead_time_days >= 0',
}


def upgrade():
    from marketplace.catalog.generation import drop_ddl

    # Other tables' triggers read products: off while SQLite's batch mode copies the table.
    bind = op.get_bind()
    for statement in drop_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('monthly_volume', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('volume_unit', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('min_order_qty', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lead_time_days', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('packaging', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('season_mask', sa.SmallInteger(), nullable=True))
        for name, condition in CHECKS.items():
            batch_op.create_check_constraint(name, condition)
    _recreate_triggers()


def _recreate_triggers():
    from marketplace.catalog.generation import create_triggers

    create_triggers(op.get_bind())


def downgrade():
    from marketplace.catalog.generation import drop_ddl

    bind = op.get_bind()
    for statement in drop_ddl(bind.dialect.name):
        bind.exec_driver_sql(statement)
    with op.batch_alter_table('products', schema=None) as batch_op:
        for name in CHECKS:
            batch_op.drop_constraint(name, type_='check')
        for column in COLUMNS:
            batch_op.drop_column(column)
    # create_triggers watches only the columns the table still has.
    _recreate_triggers()
