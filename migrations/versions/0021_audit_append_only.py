"""audit log append-only in the database: triggers refuse UPDATE and DELETE (and
TRUNCATE on PostgreSQL) on audit_entries

Revision ID: 0021_audit_append_only
Revises: 0020_job_leases
Create Date: 2026-12-07 03:00:00

"""
from alembic import op

from marketplace.audit.models import DROP_APPEND_ONLY_DDL, create_append_only_triggers

# revision identifiers, used by Alembic.
revision = '0021_audit_append_only'
down_revision = '0020_job_leases'
branch_labels = None
depends_on = None


def upgrade():
    create_append_only_triggers(op.get_bind())


def downgrade():
    for statement in DROP_APPEND_ONLY_DDL.get(op.get_bind().dialect.name, []):
        op.execute(statement)
