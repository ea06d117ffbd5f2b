"""products.version (optimistic locking of product edits) and upload_events (hourly
per-account upload quota, counted in the database).

SQLite: ADD COLUMN with a constant default needs no table rebuild.

Revision ID: 0012_product_version
Revises: 0011_session_version
Create Date: 2026-11-30 09:12:10.896461

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_product_version'
down_revision = '0011_session_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('upload_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_upload_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload_events'))
    )
    with op.batch_alter_table('upload_events', schema=None) as batch_op:
        batch_op.create_index('ix_upload_events_user_created', ['user_id', 'created_at'], unique=False)

    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))



def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('version')

    with op.batch_alter_table('upload_events', schema=None) as batch_op:
        batch_op.drop_index('ix_upload_events_user_created')

    op.drop_table('upload_events')
