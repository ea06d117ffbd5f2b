"""The factories the demo catalog is built on, re-exported for tests."""
from marketplace.demo.factories import *  # noqa: F401,F403
from marketplace.demo.factories import (  # noqa: F401
    make_area,
    make_category,
    make_certification,
    make_collection,
    make_lot,
    make_product,
    make_rural_industry,
    make_seller,
    make_seller_certification,
    make_user,
)
