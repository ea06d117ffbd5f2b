"""certifications.place: the area a certification covers

A VietGAP or growing-area certificate covers one production area (hamlet, commune,
hectares); a geographical indication its communes ("Phúc Xuân, Phúc Trìu, Tân Cương").
Shown beside the badge and searched. A plain ADD COLUMN (no table rebuild on SQLite, so
the page-cache triggers stay).

Revision ID: 0023b_certification_place
Revises: 0023_certifications
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0023b_certification_place'
down_revision = '0023_certifications'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('certifications', sa.Column('place', sa.String(length=300), nullable=True))


def downgrade():
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_column('place')
