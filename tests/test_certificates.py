"""OCOP certificate rules: stars, verification and the 36-month validity."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import OcopCertification, Product
from marketplace.catalog.queries import valid_certificate_condition
from marketplace.catalog.services import certificate_expiry
from marketplace.extensions import db
from marketplace.text import add_months, today_vn
from tests.factories import make_certification, make_product


@pytest.mark.parametrize(
    "issued, expires",
    [
        (date(2023, 6, 26), date(2026, 6, 26)),
        (date(2024, 2, 29), date(2027, 2, 28)),  # leap day clamps to month end
        (date(2025, 1, 31), date(2028, 1, 31)),
    ],
)
def test_expiry_is_36_months_after_decision(issued, expires):
    assert certificate_expiry(issued) == expires


def test_add_months_across_year_end():
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


def _valid_ids():
    stmt = sa.select(Product.id).join(OcopCertification).where(valid_certificate_condition())
    return set(db.session.scalars(stmt))


@pytest.mark.parametrize("stars", [3, 4, 5])
def test_certified_stars_show(ctx, stars):
    product = make_product()
    cert = make_certification(product, stars=stars)
    assert cert.is_valid()
    assert product.valid_certification is cert
    assert _valid_ids() == {product.id}


@pytest.mark.parametrize("stars", [1, 2])
def test_one_and_two_stars_are_never_certified(ctx, stars):
    product = make_product()
    cert = make_certification(product, stars=stars)
    assert not cert.is_valid()
    assert product.valid_certification is None
    assert _valid_ids() == set()


def test_unverified_certificate_shows_no_badge(ctx):
    product = make_product()
    cert = make_certification(product, stars=4, verified_at=None)
    assert not cert.is_valid()
    assert _valid_ids() == set()


def test_expired_certificate_shows_no_badge(ctx):
    product = make_product()
    issued = today_vn() - timedelta(days=3 * 366 + 10)
    cert = make_certification(product, stars=5, issued_on=issued)
    assert cert.expires_on < today_vn()
    assert not cert.is_valid()
    assert _valid_ids() == set()


def test_certificate_valid_on_its_last_day(ctx):
    product = make_product()
    issued = add_months(today_vn(), -36)
    cert = make_certification(product, stars=3, issued_on=issued)
    assert cert.expires_on == today_vn()
    assert cert.is_valid()
    assert _valid_ids() == {product.id}
    assert not cert.is_valid(today_vn() + timedelta(days=1))


def test_schema_rejects_stars_out_of_range(ctx):
    product = make_product()
    with pytest.raises(sa.exc.IntegrityError):
        make_certification(product, stars=6)
    db.session.rollback()


def test_schema_rejects_negative_price(ctx):
    with pytest.raises(sa.exc.IntegrityError):
        make_product(price_vnd=-1)
    db.session.rollback()


def test_schema_rejects_duplicate_product_slug(ctx):
    make_product(slug="che-tan-cuong")
    with pytest.raises(sa.exc.IntegrityError):
        make_product(slug="che-tan-cuong")
    db.session.rollback()


def test_expiry_is_read_in_vietnamese_days_valid_through_the_expiry_day():
    from datetime import date

    from marketplace.catalog.models import OcopCertification

    cert = OcopCertification(expires_on=date(2027, 3, 31))
    assert not cert.is_expired(date(2027, 3, 31)) and cert.days_left(date(2027, 3, 31)) == 0
    assert cert.is_expired(date(2027, 4, 1)) and cert.days_left(date(2027, 3, 1)) == 30


def test_a_product_can_be_submitted_from_draft_rejected_and_archived_only():
    from marketplace.catalog.models import Product

    assert [s for s in ("draft", "pending", "published", "rejected", "archived")
            if Product(status=s).can_be_submitted] == ["draft", "rejected", "archived"]
