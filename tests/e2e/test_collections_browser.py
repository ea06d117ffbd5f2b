"""Featured collections in a real Chromium, against a real server with CSRF on (issue 7's
browser test): a staff member signs in, approves a pending product from the moderation
queue, finds it and adds it to a home-row collection; an anonymous buyer on a 360 px
phone then sees it on the home page."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.e2e.conftest import fits_and_clean, screenshot, serve

pytestmark = pytest.mark.e2e

NEW_PRODUCT = "Hộp quà chè Tân Cương mùa xuân"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from marketplace.catalog.models import Category, Product
    from tests.factories import make_collection, make_product, make_user

    def prepare(data):
        make_user(email="nhanvien@example.vn", password="mat-khau-nhan-vien", role="staff")
        first = db.session.scalars(db.select(Product).where(Product.slug == data["products"][1])).one()
        # Submitted by its seller, waiting for staff approval: not public yet.
        tea = db.session.scalars(db.select(Category).where(Category.slug == "che")).one()
        make_product(name=NEW_PRODUCT, seller=first.seller, category=tea, price_vnd=350_000, unit="hộp 500 g",
                     status="pending")
        collection = make_collection([first], title="Gợi ý quà Tết")
        db.session.commit()
        data["collection_id"] = collection.id

    with serve(tmp_path_factory.mktemp("collections-e2e"), prepare=prepare) as info:
        yield info


def test_staff_approve_a_product_add_it_to_a_collection_and_a_buyer_sees_it(server, phone, browser):
    url = server["url"]
    # Before: the home page row does not show the new product.
    buyer = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, locale="vi-VN")
    home = buyer.new_page()
    home.problems = []
    home.on("console", lambda msg: home.problems.append(msg.text) if msg.type == "error" else None)
    home.goto(url + "/")
    row = home.locator("section.collection-row", has_text="Gợi ý quà Tết")
    assert row.count() == 1 and row.locator(".card-title", has_text=NEW_PRODUCT).count() == 0

    # Pending: not public yet.
    home.goto(url + "/san-pham?q=hop+qua+che+tan+cuong")
    assert home.locator(".card-title", has_text=NEW_PRODUCT).count() == 0

    # Staff, on a phone too, sign in and land on the queue of pending products.
    phone.goto(f"{url}/dang-nhap?next=/nhan-vien/san-pham?loai=pending")
    phone.fill("#email", "nhanvien@example.vn")
    phone.fill("#password", "mat-khau-nhan-vien")
    with phone.expect_navigation():
        phone.click("button:has-text('Đăng nhập')")
    assert "/nhan-vien/san-pham" in phone.url
    with phone.expect_navigation():
        phone.click(f".queue-item a:has-text('{NEW_PRODUCT}')")
    fits_and_clean(phone)
    # Approve it from its moderation page.
    with phone.expect_navigation():
        phone.click("form.decision-form button:has-text('Duyệt sản phẩm')")
    assert phone.locator(".flash", has_text="Đã duyệt sản phẩm").is_visible()
    assert phone.locator("a:has-text('Xem trang công khai')").count() == 1
    fits_and_clean(phone)

    # Then to the collections page and the home-row collection.
    phone.goto(f"{url}/nhan-vien/bo-suu-tap/")
    with phone.expect_navigation():
        phone.click("a.dash-product-name:has-text('Gợi ý quà Tết')")
    fits_and_clean(phone)
    # Search without diacritics, then "Thêm".
    phone.fill("#collection-q", "hop qua che tan cuong")
    with phone.expect_navigation():
        phone.click("form.dash-search button")
    result = phone.locator(".collection-results li", has_text=NEW_PRODUCT)
    assert result.count() == 1
    with phone.expect_navigation():
        result.locator("button:has-text('Thêm')").click()
    assert phone.locator(".flash", has_text="Đã thêm sản phẩm").is_visible()
    items = phone.locator(".collection-items ol .dash-product-name")
    assert items.count() == 2 and NEW_PRODUCT in items.nth(1).inner_text()
    # Move it to the top with the "Lên" button (plain form, no script needed).
    with phone.expect_navigation():
        phone.locator(".collection-items ol li").nth(1).locator("button:has-text('Lên')").click()
    assert NEW_PRODUCT in phone.locator(".collection-items ol .dash-product-name").first.inner_text()
    fits_and_clean(phone)
    screenshot(phone, "phone-staff-collection")

    # The anonymous buyer reloads the home page on a 360 px phone: first in the row.
    home.goto(url + "/")
    row = home.locator("section.collection-row", has_text="Gợi ý quà Tết")
    assert row.locator(".card-title").first.inner_text() == NEW_PRODUCT
    assert "350.000 ₫" in row.locator(".card .price").first.inner_text()
    fits_and_clean(home)
    screenshot(home, "phone-home-collection")
    # The collection page lists it too.
    with home.expect_navigation():
        row.locator("a:has-text('Xem tất cả')").click()
    assert home.locator("h1").inner_text() == "Gợi ý quà Tết"
    assert home.locator(".card-title").first.inner_text() == NEW_PRODUCT
    fits_and_clean(home)
    # Approved: search finds it too.
    home.goto(url + "/san-pham?q=hop+qua+che+tan+cuong")
    assert home.locator(".card-title", has_text=NEW_PRODUCT).count() == 1
    buyer.close()


def test_printable_catalogue_in_chromium_has_no_csp_problem(server, desktop):
    url = server["url"]
    desktop.goto(f"{url}/dang-nhap?next=/nhan-vien/bo-suu-tap/{server['collection_id']}/catalogue")
    problems = []
    desktop.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    desktop.fill("#email", "nhanvien@example.vn")
    desktop.fill("#password", "mat-khau-nhan-vien")
    with desktop.expect_navigation():
        desktop.click("button:has-text('Đăng nhập')")
    assert desktop.locator(".catalogue-item").count() >= 1
    qr = desktop.locator(".catalogue-item svg").first.bounding_box()
    assert qr is not None and qr["width"] > 80  # sized by the static stylesheet (32 mm)
    desktop.emulate_media(media="print")
    assert desktop.locator(".catalogue-controls").is_hidden()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    screenshot(desktop, "desktop-catalogue-print")
