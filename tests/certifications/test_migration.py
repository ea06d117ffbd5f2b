"""0023_certifications moves every OCOP row into the unified table without losing one."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from marketplace.extensions import db
from tests.test_migrations import _dispose, _fresh_app, _seed_every_table


def test_ocop_rows_keep_their_id_and_fields_and_reminders_follow(tmp_path):
    app = _fresh_app(tmp_path)
    try:
        with app.app_context():
            upgrade(revision="0022_related_index")
            with db.engine.begin() as conn:
                seeded = _seed_every_table(conn)
            ocop = seeded["ocop_certifications"]
            reminder = seeded["certificate_reminders"]
            assert reminder["certification_id"] == ocop["id"]
            upgrade(revision="0023_certifications")
            with db.engine.connect() as conn:
                certs = sa.Table("certifications", sa.MetaData(), autoload_with=conn)
                row = conn.execute(sa.select(certs).where(certs.c.id == ocop["id"])).mappings().one()
                seller = conn.execute(sa.text("SELECT seller_id FROM products WHERE id = :id"),
                                      {"id": ocop["product_id"]}).scalar()
                kept = conn.execute(sa.text("SELECT certification_id FROM certificate_reminders WHERE id = :id"),
                                    {"id": reminder["id"]}).scalar()
            assert row["kind"] == "ocop" and row["scope"] == "products" and row["seller_id"] == seller
            assert row["number"] == ocop["decision_number"] and row["issuer"] == ocop["issuing_body"]
            for column in ("product_id", "stars", "score", "product_group", "issued_on", "expires_on",
                           "issuing_level", "scan_key", "verified_at", "verified_by_id", "rejected_at", "review_note"):
                assert row[column] == ocop[column], column
            assert kept == ocop["id"]  # the reminder already sent is still known: not sent twice
            # A new certificate gets a fresh id after the copied ones (PostgreSQL's sequence moved).
            with db.engine.begin() as conn:
                new_id = conn.execute(sa.text(
                    "INSERT INTO certifications (kind, seller_id, scope, number, issuer, issued_on)"
                    " VALUES ('geographical_indication', :seller, 'seller', '00013', 'Cục Sở hữu trí tuệ',"
                    " '2007-01-01') RETURNING id"), {"seller": seller}).scalar()
            assert new_id > ocop["id"]
            downgrade(revision="0022_related_index")
            with db.engine.connect() as conn:
                old = sa.Table("ocop_certifications", sa.MetaData(), autoload_with=conn)
                back = conn.execute(sa.select(old).where(old.c.id == ocop["id"])).mappings().one()
                gone = conn.execute(sa.text("SELECT count(*) FROM certificate_reminders")).scalar()
            assert dict(back) == ocop
            assert gone == 1
    finally:
        _dispose(app)


def test_the_database_refuses_a_certificate_expiring_before_its_issue_and_a_gi_with_expiry(app):
    from tests.factories import make_product

    with app.app_context():
        product = make_product()
        seller_id = product.seller_id
        db.session.commit()
        for values in ("'vietgap', '2025-01-01', '2024-12-31'", "'geographical_indication', '2020-01-01', '2030-01-01'"):
            try:
                with db.engine.begin() as conn:
                    conn.execute(sa.text(
                        "INSERT INTO certifications (kind, seller_id, scope, number, issuer, issued_on, expires_on)"
                        f" VALUES ({values.split(',')[0]}, :s, 'seller', 'X', '', {','.join(values.split(',')[1:])})"),
                        {"s": seller_id})
            except sa.exc.IntegrityError:
                continue
            raise AssertionError(f"accepted: {values}")
