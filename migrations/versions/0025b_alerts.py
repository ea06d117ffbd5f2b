"""alerts: subscribers, subscriptions (season, saved search), digest log (issue 19)

Revision ID: 0025b_alerts
Revises: 0025_supply_seasons
Create Date: 2026-12-07 05:05:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025b_alerts'
down_revision = '0025_supply_seasons'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert_subscribers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_subscribers')),
        sa.UniqueConstraint('email', name=op.f('uq_alert_subscribers_email')),
    )
    op.create_table(
        'alert_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('query_text', sa.String(length=100), nullable=False),
        sa.Column('category_slug', sa.String(length=120), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cursor', sa.DateTime(timezone=True), nullable=True),
        sa.Column('notified_on', sa.Date(), nullable=True),
        sa.CheckConstraint("kind IN ('season', 'search')", name=op.f('ck_alert_subscriptions_kind')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_alert_subscriptions_product_id_products'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['alert_subscribers.id'],
                                name=op.f('fk_alert_subscriptions_subscriber_id_alert_subscribers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_subscriptions')),
        sa.UniqueConstraint('subscriber_id', 'key', name='uq_alert_subscriptions_subscriber_key'),
    )
    op.create_index(op.f('ix_alert_subscriptions_product_id'), 'alert_subscriptions', ['product_id'], unique=False)
    op.create_index(op.f('ix_alert_subscriptions_subscriber_id'), 'alert_subscriptions', ['subscriber_id'],
                    unique=False)
    op.create_table(
        'alert_digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('items', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('sending', 'sent', 'failed')", name=op.f('ck_alert_digests_status')),
        sa.ForeignKeyConstraint(['subscriber_id'], ['alert_subscribers.id'],
                                name=op.f('fk_alert_digests_subscriber_id_alert_subscribers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_digests')),
        sa.UniqueConstraint('subscriber_id', 'day', name='uq_alert_digests_subscriber_day'),
    )
    op.create_index(op.f('ix_alert_digests_subscriber_id'), 'alert_digests', ['subscriber_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_alert_digests_subscriber_id'), table_name='alert_digests')
    op.drop_table('alert_digests')
    op.drop_index(op.f('ix_alert_subscriptions_subscriber_id'), table_name='alert_subscriptions')
    op.drop_index(op.f('ix_alert_subscriptions_product_id'), table_name='alert_subscriptions')
    op.drop_table('alert_subscriptions')
    op.drop_table('alert_subscribers')
