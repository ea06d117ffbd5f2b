"""search_facets.season: the FTS5 index's in-season months (issue 19's season filter)

The embedded engine's narrow filter table gets a 12-bit mask of the months a product is
in season (0: year-round or not stated). Only where the FTS5 tables exist (SQLite); the
products' seasons are new in 0025_supply_seasons (all unstated), so the existing rows'
0 is already right.

Revision ID: 0025c_search_season
Revises: 0025b_alerts
Create Date: 2026-12-07 05:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025c_search_season'
down_revision = '0025b_alerts'
branch_labels = None
depends_on = None


def _columns(bind) -> set[str]:
    return {row[1] for row in bind.exec_driver_sql("PRAGMA table_info(search_facets)")}


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not _columns(bind):
        return
    if "season" not in _columns(bind):
        bind.exec_driver_sql("ALTER TABLE search_facets ADD COLUMN season INTEGER NOT NULL DEFAULT 0")


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and "season" in _columns(bind):
        bind.exec_driver_sql("ALTER TABLE search_facets DROP COLUMN season")
