"""sourcing requests: buyer profiles, requests, matched sellers, offers (issue 19, item 3)

A buyer's request waits for staff (pending), is open on the board once approved, and
ends fulfilled (an offer accepted), rejected or closed (deadline, buyer). Matches keep a
removed seller's row (removed_at) so the record stays whole.

Revision ID: 0026_sourcing
Revises: 0024_lots
Create Date: 2026-12-07 04:20:59.990708

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_sourcing'
down_revision = '0024_lots'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('buyer_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('buyer_type', sa.String(length=20), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("buyer_type IN ('supermarket', 'restaurant', 'exporter', 'tea_shop', 'processor', 'distributor', 'other')", name=op.f('ck_buyer_profiles_buyer_type')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_buyer_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_buyer_profiles'))
    )
    op.create_table('sourcing_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('required_certs', sa.JSON(), nullable=False),
    sa.Column('delivery_area', sa.String(length=120), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('target_price_vnd', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('open_to_all', sa.Boolean(), nullable=False),
    sa.Column('buyer_type', sa.String(length=20), nullable=False),
    sa.Column('buyer_city', sa.String(length=100), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("buyer_type IN ('supermarket', 'restaurant', 'exporter', 'tea_shop', 'processor', 'distributor', 'other')", name=op.f('ck_sourcing_requests_buyer_type')),
    sa.CheckConstraint("frequency IN ('once', 'monthly')", name=op.f('ck_sourcing_requests_frequency')),
    sa.CheckConstraint("status IN ('pending', 'open', 'rejected', 'fulfilled', 'closed')", name=op.f('ck_sourcing_requests_status')),
    sa.CheckConstraint('quantity BETWEEN 1 AND 10000000', name=op.f('ck_sourcing_requests_quantity_range')),
    sa.CheckConstraint('target_price_vnd IS NULL OR target_price_vnd BETWEEN 1 AND 1000000000', name=op.f('ck_sourcing_requests_target_price_range')),
    sa.ForeignKeyConstraint(['buyer_id'], ['users.id'], name=op.f('fk_sourcing_requests_buyer_id_users')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_sourcing_requests_category_id_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sourcing_requests'))
    )
    with op.batch_alter_table('sourcing_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sourcing_requests_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sourcing_requests_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sourcing_requests_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sourcing_requests_status'), ['status'], unique=False)
        batch_op.create_index('ix_sourcing_requests_status_deadline', ['status', 'deadline'], unique=False)

    op.create_table('sourcing_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('auto', 'staff')", name=op.f('ck_sourcing_matches_source')),
    sa.ForeignKeyConstraint(['request_id'], ['sourcing_requests.id'], name=op.f('fk_sourcing_matches_request_id_sourcing_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_sourcing_matches_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sourcing_matches')),
    sa.UniqueConstraint('request_id', 'seller_id', name='uq_sourcing_matches_request_seller')
    )
    with op.batch_alter_table('sourcing_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sourcing_matches_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sourcing_matches_seller_id'), ['seller_id'], unique=False)

    op.create_table('sourcing_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('price_vnd', sa.BigInteger(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('first_delivery', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')", name=op.f('ck_sourcing_offers_status')),
    sa.CheckConstraint('price_vnd BETWEEN 1 AND 1000000000', name=op.f('ck_sourcing_offers_price_range')),
    sa.CheckConstraint('quantity BETWEEN 1 AND 10000000', name=op.f('ck_sourcing_offers_quantity_range')),
    sa.ForeignKeyConstraint(['request_id'], ['sourcing_requests.id'], name=op.f('fk_sourcing_offers_request_id_sourcing_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_sourcing_offers_seller_id_sellers')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sourcing_offers_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sourcing_offers')),
    sa.UniqueConstraint('request_id', 'seller_id', name='uq_sourcing_offers_request_seller')
    )
    with op.batch_alter_table('sourcing_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sourcing_offers_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sourcing_offers_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sourcing_offers_seller_id'), ['seller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sourcing_offers_status'), ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('sourcing_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sourcing_offers_status'))
        batch_op.drop_index(batch_op.f('ix_sourcing_offers_seller_id'))
        batch_op.drop_index(batch_op.f('ix_sourcing_offers_request_id'))
        batch_op.drop_index(batch_op.f('ix_sourcing_offers_created_at'))

    op.drop_table('sourcing_offers')
    with op.batch_alter_table('sourcing_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sourcing_matches_seller_id'))
        batch_op.drop_index(batch_op.f('ix_sourcing_matches_request_id'))

    op.drop_table('sourcing_matches')
    with op.batch_alter_table('sourcing_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_sourcing_requests_status_deadline')
        batch_op.drop_index(batch_op.f('ix_sourcing_requests_status'))
        batch_op.drop_index(batch_op.f('ix_sourcing_requests_created_at'))
        batch_op.drop_index(batch_op.f('ix_sourcing_requests_category_id'))
        batch_op.drop_index(batch_op.f('ix_sourcing_requests_buyer_id'))

    op.drop_table('sourcing_requests')
    op.drop_table('buyer_profiles')
