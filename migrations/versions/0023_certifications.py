"""certifications of every kind: OCOP rows moved (ids kept) into one table

``ocop_certifications`` becomes ``certifications`` with a ``kind`` (ocop, vietgap,
globalgap, organic, geographical_indication, collective_mark, growing_area_code,
haccp_iso22000), the owning seller and a scope (seller, products, lots);
``decision_number``/``issuing_body`` are the generic ``number``/``issuer``; the OCOP-only
columns (stars, score, product group, issuing level, product) are NULL for other kinds.
Every row keeps its id, so audit entries and sent reminders still point at it.
``certification_products`` lists the products of a products-scoped certification.

Revision ID: 0023_certifications
Revises: 0022_related_index
Create Date: 2026-12-07 04:40:00

"""
from alembic import op
import sqlalchemy as sa

from marketplace.catalog import generation

# revision identifiers, used by Alembic.
revision = '0023_certifications'
down_revision = '0022_related_index'
branch_labels = None
depends_on = None

KINDS = ('ocop', 'vietgap', 'globalgap', 'organic', 'geographical_indication', 'collective_mark',
         'growing_area_code', 'haccp_iso22000')
OCOP_COLUMNS = ('id', 'product_id', 'stars', 'score', 'product_group', 'issued_on', 'expires_on', 'issuing_level',
                'scan_key', 'verified_at', 'verified_by_id', 'rejected_at', 'review_note')


def _pg_sequence(table: str) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


def _point_reminders_at(table: str, old: str) -> None:
    with op.batch_alter_table('certificate_reminders', schema=None) as batch_op:
        batch_op.drop_constraint(f'fk_certificate_reminders_certification_id_{old}', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f(f'fk_certificate_reminders_certification_id_{table}'), table,
                                    ['certification_id'], ['id'], ondelete='CASCADE')


def upgrade():
    op.create_table('certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('scheme', sa.String(length=100), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('scan_key', sa.String(length=120), nullable=True),
    sa.Column('stars', sa.SmallInteger(), nullable=True),
    sa.Column('score', sa.SmallInteger(), nullable=True),
    sa.Column('product_group', sa.String(length=30), nullable=True),
    sa.Column('issuing_level', sa.String(length=20), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.CheckConstraint(f"kind IN {KINDS!r}", name=op.f('ck_certifications_kind')),
    sa.CheckConstraint("scope IN ('seller', 'products', 'lots')", name=op.f('ck_certifications_scope')),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name=op.f('ck_certifications_stars_range')),
    sa.CheckConstraint('score IS NULL OR (score BETWEEN 0 AND 100)', name=op.f('ck_certifications_score_range')),
    sa.CheckConstraint("issuing_level IN ('district', 'province', 'central')",
                       name=op.f('ck_certifications_issuing_level')),
    sa.CheckConstraint('expires_on IS NULL OR expires_on > issued_on', name=op.f('ck_certifications_expiry_after_issue')),
    sa.CheckConstraint(
        "(kind = 'ocop' AND product_id IS NOT NULL AND stars IS NOT NULL AND product_group IS NOT NULL"
        " AND issuing_level IS NOT NULL AND expires_on IS NOT NULL)"
        " OR (kind <> 'ocop' AND product_id IS NULL AND stars IS NULL)",
        name=op.f('ck_certifications_ocop_columns')),
    sa.CheckConstraint("kind <> 'geographical_indication' OR expires_on IS NULL",
                       name=op.f('ck_certifications_gi_no_expiry')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_certifications_product_id_products'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_certifications_seller_id_sellers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_certifications_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certifications')),
    sa.UniqueConstraint('product_id', name=op.f('uq_certifications_product_id'))
    )
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.create_index('ix_certifications_seller_kind', ['seller_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_certifications_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_certifications_expires_on'), ['expires_on'], unique=False)

    op.create_table('certification_products',
    sa.Column('certification_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['certification_id'], ['certifications.id'],
                            name=op.f('fk_certification_products_certification_id_certifications'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'],
                            name=op.f('fk_certification_products_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('certification_id', 'product_id', name=op.f('pk_certification_products'))
    )
    with op.batch_alter_table('certification_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certification_products_product_id'), ['product_id'], unique=False)

    # Every OCOP row, id kept (audit entries and reminders refer to it).
    columns = ', '.join(OCOP_COLUMNS)
    op.execute(
        f"INSERT INTO certifications (kind, seller_id, scope, number, issuer, {columns})"
        f" SELECT 'ocop', p.seller_id, 'products', o.decision_number, o.issuing_body,"
        f" {', '.join('o.' + c for c in OCOP_COLUMNS)}"
        " FROM ocop_certifications o JOIN products p ON p.id = o.product_id"
    )
    _pg_sequence('certifications')
    _point_reminders_at('certifications', 'ocop_certifications')
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS cache_scopes_ocop_certifications ON ocop_certifications")
        op.execute("DROP FUNCTION IF EXISTS cache_scopes_ocop_certifications_fn()")
    op.drop_table('ocop_certifications')
    generation.create_triggers(bind)


def downgrade():
    # Only OCOP rows had a home before; the other kinds are dropped with the table.
    op.create_table('ocop_certifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.SmallInteger(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=True),
    sa.Column('product_group', sa.String(length=30), nullable=False),
    sa.Column('decision_number', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('issuing_level', sa.String(length=20), nullable=False),
    sa.Column('issuing_body', sa.String(length=200), nullable=False),
    sa.Column('scan_key', sa.String(length=120), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.CheckConstraint("issuing_level IN ('district', 'province', 'central')",
                       name=op.f('ck_ocop_certifications_issuing_level')),
    sa.CheckConstraint('expires_on > issued_on', name=op.f('ck_ocop_certifications_expiry_after_issue')),
    sa.CheckConstraint('score IS NULL OR (score BETWEEN 0 AND 100)', name=op.f('ck_ocop_certifications_score_range')),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name=op.f('ck_ocop_certifications_stars_range')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_ocop_certifications_product_id_products'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'],
                            name=op.f('fk_ocop_certifications_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ocop_certifications')),
    sa.UniqueConstraint('product_id', name=op.f('uq_ocop_certifications_product_id'))
    )
    columns = ', '.join(OCOP_COLUMNS)
    op.execute(f"INSERT INTO ocop_certifications (decision_number, issuing_body, {columns})"
               f" SELECT number, issuer, {columns} FROM certifications WHERE kind = 'ocop'")
    _pg_sequence('ocop_certifications')
    op.execute("DELETE FROM certificate_reminders WHERE certification_id IN"
               " (SELECT id FROM certifications WHERE kind <> 'ocop')")
    _point_reminders_at('ocop_certifications', 'certifications')
    bind = op.get_bind()
    for statement in generation.drop_ddl(bind.dialect.name, tuple(
            r for r in generation.RULES if r.table in ('certifications', 'certification_products'))):
        if 'catalog_scopes_version' not in statement:
            op.execute(statement)
    with op.batch_alter_table('certification_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certification_products_product_id'))
    op.drop_table('certification_products')
    with op.batch_alter_table('certifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certifications_expires_on'))
        batch_op.drop_index(batch_op.f('ix_certifications_kind'))
        batch_op.drop_index('ix_certifications_seller_kind')
    op.drop_table('certifications')
    # The OCOP table's triggers as 0017 made them (its product's page, cards and counts).
    for statement in generation.trigger_ddl(bind.dialect.name, generation.RETIRED_RULES):
        op.execute(statement)
