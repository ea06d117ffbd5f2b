"""Issue 10 item 9: two browsers edit the same product; the second, stale form must not
silently revert the first one's change. The form carries the product version; a stale
save is refused with a Vietnamese message naming what differs (their value vs the
saved one), their input stays in the form, and a concurrent save that slips between
check and write is caught by the version check in the UPDATE itself."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from auth import log_in
from marketplace.catalog import services as catalog_services
from marketplace.catalog.models import Product
from marketplace.extensions import db

from factories import make_category, make_product, make_seller, make_user


@pytest.fixture
def editor(app):
    with app.app_context():
        seller = make_seller(name="HTX Hai Trình Duyệt")
        category = make_category(name="Đồ uống")
        user = make_user(role="seller", seller=seller)
        product = make_product(seller=seller, category=category, name="Chè búp Tân Cương", price_vnd=150_000,
                               unit="hộp 200 g", status="draft")
        db.session.commit()
        return {"user_id": user.id, "product_id": product.id, "category_id": category.id}


def browser(app, user_id):
    client = app.test_client()
    log_in(client, user_id)
    return client


def shown_form(client, product_id) -> dict:
    html = client.get(f"/dashboard/san-pham/{product_id}").get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html).group(1)
    return {"version": version, "name": "Chè búp Tân Cương", "code": "", "price_vnd": "150.000",
            "unit": "hộp 200 g", "description": "", "area_id": "", "rural_level": "", "rural_year": ""}


def test_the_stale_second_form_does_not_revert_the_first_save(app, editor):
    pid = editor["product_id"]
    first, second = browser(app, editor["user_id"]), browser(app, editor["user_id"])
    form_a, form_b = shown_form(first, pid), shown_form(second, pid)
    form_a["category_id"] = form_b["category_id"] = str(editor["category_id"])

    form_a["price_vnd"] = "180.000"
    assert first.post(f"/dashboard/san-pham/{pid}", data=form_a).status_code == 302

    form_b["unit"] = "hộp 250 g"  # still shows the old price
    response = second.post(f"/dashboard/san-pham/{pid}", data=form_b)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "vừa được lưu ở nơi khác" in html and "chưa được lưu" in html
    assert "bạn nhập “150.000 ₫”, bản đang lưu là “180.000 ₫”" in html  # field, theirs vs current
    assert "bạn nhập “hộp 250 g”, bản đang lưu là “hộp 200 g”" in html
    assert 'value="hộp 250 g"' in html  # their input is kept
    with app.app_context():
        product = db.session.get(Product, pid)
        assert (product.price_vnd, product.unit) == (180_000, "hộp 200 g")  # the first save stands

    # Saving again from the refreshed form (now carrying the current version) is deliberate.
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    form_b.update(version=new_version, price_vnd="180.000")
    assert second.post(f"/dashboard/san-pham/{pid}", data=form_b).status_code == 302
    with app.app_context():
        product = db.session.get(Product, pid)
        assert (product.price_vnd, product.unit) == (180_000, "hộp 250 g")


def test_a_save_racing_between_check_and_write_is_refused_by_the_update(app, editor):
    """Two sessions read version N; one commits; the other's UPDATE … WHERE version = N
    matches nothing: StaleDataError, nothing overwritten."""
    with app.app_context():
        stale = db.session.get(Product, editor["product_id"])
        version = stale.version
        with db.engine.begin() as conn:  # another request's committed save
            conn.execute(sa.update(Product).where(Product.id == stale.id).values(price_vnd=99_000, version=version + 1))
        with pytest.raises(StaleDataError):
            catalog_services.update_product(stale, {"price_vnd": "120.000"})
        db.session.rollback()
        assert db.session.get(Product, editor["product_id"]).price_vnd == 99_000


def test_every_save_moves_the_version(app, editor):
    with app.app_context():
        product = db.session.get(Product, editor["product_id"])
        before = product.version
        catalog_services.update_product(product, {"price_vnd": 123_000})
        db.session.commit()
        assert product.version == before + 1
