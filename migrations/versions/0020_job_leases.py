"""job leases: periodic jobs run by the app's own workers, one runner at a time

Revision ID: 0020_job_leases
Revises: 0019_search_privacy
Create Date: 2026-12-07 02:45:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0020_job_leases'
down_revision = '0019_search_privacy'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_leases',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('owner', sa.String(length=80), nullable=True),
        sa.Column('lease_until', sa.Float(), nullable=True),
        sa.Column('next_run', sa.Float(), nullable=True),
        sa.Column('created', sa.Float(), nullable=True),
        sa.Column('last_started', sa.Float(), nullable=True),
        sa.Column('last_finished', sa.Float(), nullable=True),
        sa.Column('last_ok', sa.Float(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('runs', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases')),
    )
    op.create_table(
        'job_runs',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('owner', sa.String(length=80), nullable=False),
        sa.Column('started', sa.Float(), nullable=False),
        sa.Column('finished', sa.Float(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_name_started', ['name', 'started'], unique=False)


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_name_started')
    op.drop_table('job_runs')
    op.drop_table('job_leases')
