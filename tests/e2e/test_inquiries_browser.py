"""Inquiries in a real Chromium on a 360 px phone, against a real server with CSRF on:
product-page inquiry, the cart to two sellers, and the seller's inbox."""
from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.e2e.conftest import fits_and_clean, screenshot, serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from marketplace.sellers.models import Seller
    from tests.factories import make_user

    def prepare(data):
        for seller in db.session.scalars(db.select(Seller)):
            seller.email = f"{seller.slug}@example.vn"
        seller = db.session.scalars(db.select(Seller).where(Seller.slug == data["seller"])).one()
        make_user(email="chu-htx@example.vn", password="mat-khau-123", role="seller", seller_id=seller.id)
        db.session.commit()

    with serve(tmp_path_factory.mktemp("inquiries-e2e"), prepare=prepare) as info:
        yield info


def fill_contact(page, name="Trần Văn Bình", phone_number="0987 654 321") -> None:
    page.fill("#name", name)
    page.fill("#phone", phone_number)
    page.fill("#message", "Tôi muốn đặt hàng làm quà Tết.")


def test_product_inquiry_and_cart_on_a_phone(server, phone):
    url = server["url"]
    first, honey = server["products"][0], server["products"][3]  # two different sellers

    phone.goto(f"{url}/san-pham/{first}")
    assert phone.locator("#hoi-hang").is_visible()
    # The honeypot is rendered far outside the screen by CSS: people never see it.
    box = phone.locator("input[name=website]").bounding_box()
    assert box is None or box["x"] + box["width"] <= 0
    fits_and_clean(phone)
    phone.fill("#quantity", "15")
    fill_contact(phone, phone_number="12345")
    phone.click("#hoi-hang button:has-text('Gửi yêu cầu')")
    assert phone.locator("text=Số điện thoại không hợp lệ").is_visible()
    fits_and_clean(phone)
    screenshot(phone, "phone-inquiry-error")
    phone.fill("#phone", "0987 654 321")
    phone.click("form.inq-form button[type=submit]")
    phone.wait_for_url("**/hoi-hang/da-gui/**")
    assert phone.locator("text=Đã gửi yêu cầu hỏi hàng").first.is_visible()
    fits_and_clean(phone)
    screenshot(phone, "phone-inquiry-sent")

    # The cart: two products of two sellers, one submission.
    for slug in (first, honey):
        phone.goto(f"{url}/san-pham/{slug}")
        phone.click("text=Thêm vào giỏ hỏi hàng")
        phone.wait_for_url("**/gio-hoi-hang")
    assert "Giỏ hỏi hàng (2)" in phone.locator(".nav-cart").inner_text()
    phone.fill("#lines-1-quantity", "3")
    phone.click("text=Cập nhật số lượng")
    assert phone.locator("#lines-1-quantity").input_value() == "3"
    fits_and_clean(phone)
    screenshot(phone, "phone-inquiry-cart")
    fill_contact(phone)
    phone.fill("#phone", "09")
    phone.press("#name", "Enter")  # Enter sends (and is refused), it never removes a line
    assert phone.locator("text=Số điện thoại không hợp lệ").is_visible()
    assert phone.locator("li.inq-line").count() == 2
    phone.fill("#phone", "0987 654 321")
    phone.click("button.button:has-text('Gửi yêu cầu tới người bán')")
    phone.wait_for_url("**/hoi-hang/da-gui/**")
    assert phone.locator("section.inq-sent").count() == 2
    fits_and_clean(phone)
    assert "Giỏ hỏi hàng (0)" in phone.locator(".nav-cart").inner_text()


def test_seller_inbox_on_a_phone(server, phone):
    url = server["url"]
    phone.goto(f"{url}/san-pham/{server['products'][1]}")
    phone.fill("#quantity", "2")
    fill_contact(phone, name="Lê Thị Mai")
    phone.click("form.inq-form button[type=submit]")
    phone.wait_for_url("**/hoi-hang/da-gui/**")

    phone.goto(f"{url}/dang-nhap?next=/dashboard/hoi-hang")
    phone.fill("input[name=email]", "chu-htx@example.vn")
    phone.fill("input[name=password]", "mat-khau-123")
    phone.click("form button[type=submit]:has-text('Đăng nhập')")
    phone.wait_for_url("**/dashboard/hoi-hang")
    assert phone.locator("text=Lê Thị Mai").first.is_visible()
    fits_and_clean(phone)
    screenshot(phone, "phone-inquiry-inbox")

    phone.click("text=Lê Thị Mai")
    phone.select_option("#status", "contacted")
    phone.click("text=Cập nhật trạng thái")
    assert phone.locator(".inq-status--contacted").first.is_visible()
    assert phone.locator(".inq-history li").count() == 1
    fits_and_clean(phone)
    screenshot(phone, "phone-inquiry-detail")
