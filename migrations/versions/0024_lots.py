"""production lots: lots, lot_revisions, products.gtin; page-cache triggers for lots

Revision ID: 0024_lots
Revises: 0023b_certification_place
Create Date: 2026-12-07 04:50:00

"""
from alembic import op
import sqlalchemy as sa

from marketplace.catalog.generation import create_triggers, drop_ddl, present_rules


# revision identifiers, used by Alembic.
revision = '0024_lots'
down_revision = '0023b_certification_place'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN, not batch mode: a batch copy of products would drop its triggers.
    op.add_column('products', sa.Column('gtin', sa.String(length=14), nullable=True))
    op.create_index('ix_products_gtin', 'products', ['gtin'], unique=True)
    op.create_table(
        'lots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('harvested_on', sa.Date(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=30), nullable=False),
        sa.Column('origin', sa.String(length=200), nullable=False),
        sa.Column('best_before', sa.Date(), nullable=True),
        sa.Column('packing_facility', sa.String(length=200), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('photo_key', sa.String(length=100), nullable=True),
        sa.Column('photo_width', sa.Integer(), nullable=True),
        sa.Column('photo_height', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('hidden_reason', sa.Text(), nullable=True),
        sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('hidden_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('is_demo', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='1', nullable=False),
        sa.CheckConstraint("status IN ('published', 'hidden')", name=op.f('ck_lots_status')),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_lots_quantity_positive')),
        sa.CheckConstraint('best_before IS NULL OR best_before >= harvested_on',
                           name=op.f('ck_lots_best_before_after_harvest')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_lots_product_id_products'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_lots_seller_id_sellers')),
        sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_lots_hidden_by_id_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lots_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lots')),
        sa.UniqueConstraint('code', name=op.f('uq_lots_code')),
    )
    op.create_index('ix_lots_product_status_harvested', 'lots', ['product_id', 'status', 'harvested_on'])
    op.create_index(op.f('ix_lots_seller_id'), 'lots', ['seller_id'])
    op.create_index(op.f('ix_lots_status'), 'lots', ['status'])
    op.create_index(op.f('ix_lots_created_at'), 'lots', ['created_at'])
    op.create_table(
        'lot_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_revisions_lot_id_lots'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_lot_revisions_changed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_revisions')),
    )
    op.create_index(op.f('ix_lot_revisions_lot_id'), 'lot_revisions', ['lot_id'])
    op.create_table(
        'lot_certifications',
        sa.Column('lot_id', sa.Integer(), nullable=False),
        sa.Column('certification_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['lot_id'], ['lots.id'], name=op.f('fk_lot_certifications_lot_id_lots'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'],
                                name=op.f('fk_lot_certifications_certification_id_certifications'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('lot_id', 'certification_id', name=op.f('pk_lot_certifications')),
    )
    op.create_index(op.f('ix_lot_certifications_certification_id'), 'lot_certifications', ['certification_id'])
    # The products trigger watches gtin now, and lots get theirs.
    create_triggers(op.get_bind())


def downgrade():
    op.drop_table('lot_certifications')
    op.drop_table('lot_revisions')
    op.drop_table('lots')
    bind = op.get_bind()
    # A trigger watching products.gtin would keep the column from being dropped (SQLite),
    # and a batch copy of products would break the triggers naming it: drop them, drop the
    # column in place, install them again for the schema as it is.
    for statement in drop_ddl(bind.dialect.name, present_rules(bind)):
        op.execute(statement)
    op.drop_index('ix_products_gtin', table_name='products')
    op.drop_column('products', 'gtin')
    create_triggers(bind)
