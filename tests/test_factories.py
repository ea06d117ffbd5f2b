import sqlalchemy as sa
from marketplace.extensions import db
from marketplace.sellers.models import Seller
from tests.factories import make_product, make_seller


def test_make_product_accepts_a_seller_loaded_from_the_database(ctx):
    make_seller(slug="s1")
    db.session.commit()
    seller = db.session.scalars(sa.select(Seller)).first()
    p = make_product(seller=seller)
    assert p.seller is seller
