"""A seller records a production lot on a 360 px phone, prints its label, and a buyer
scans the printed QR code: the label is screenshot in Chromium, its QR code read by a
real decoder (zxing-cpp) and the decoded GS1 Digital Link opened on a phone."""
from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from marketplace.extensions import db
from scripts.screenshots import log_in
from tests.e2e.conftest import fits_and_clean, screenshot, serve

pytestmark = pytest.mark.e2e

GTIN = "08930000000019"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from marketplace.catalog.models import Product
    from marketplace.sellers.models import Seller
    from tests.factories import make_user

    def prepare(data):
        seller = db.session.scalars(db.select(Seller).where(Seller.slug == data["seller"])).one()
        make_user(email="chu-htx@example.vn", password="mat-khau-123", role="seller", seller_id=seller.id)
        product = db.session.scalars(db.select(Product).where(Product.slug == data["products"][0])).one()
        product.gtin, product.code = GTIN, "MOC-CAU"
        db.session.commit()
        data.update(product_id=product.id, product_name=product.name)

    with serve(tmp_path_factory.mktemp("lots-e2e"), prepare=prepare) as info:
        yield info


def test_a_seller_records_a_lot_on_a_phone_and_a_buyer_scans_its_printed_label(server, browser, phone):
    url = server["url"]
    log_in(phone, url, "chu-htx@example.vn", "mat-khau-123")
    phone.goto(f"{url}/dashboard/lo-hang/moi")
    fits_and_clean(phone)
    phone.select_option("select[name=product_id]", str(server["product_id"]))
    phone.fill("input[name=harvested_on]", "2026-11-20")
    phone.fill("input[name=quantity]", "350")
    phone.fill("input[name=unit]", "kg")
    phone.fill("input[name=origin]", "VT-TN-0123, xóm Hồng Thái")
    with phone.expect_navigation():
        phone.click("form.lot-form button[type=submit]")
    assert "Đã ghi lô MOC-CAU-261120" in phone.content()
    screenshot(phone, "lot-recorded-phone")

    phone.click("text=In nhãn QR")
    phone.wait_for_selector(".label-qr")
    label = phone.locator(".label").first
    image = Image.open(io.BytesIO(label.screenshot()))
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == f"{url}/01/{GTIN}/10/MOC-CAU-261120"

    buyer = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                locale="vi-VN", java_script_enabled=False)  # the page needs no script
    page = buyer.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    response = page.goto(code.text)
    assert response.status == 200 and page.url == f"{url}/truy-xuat/MOC-CAU-261120"
    text = page.inner_text("main")
    for shown in (server["product_name"], "MOC-CAU-261120", "20/11/2026", "350 kg", "VT-TN-0123, xóm Hồng Thái",
                  "Xem trên bản đồ", "OCOP 5 sao", "Đã xác minh"):
        assert shown in text, shown
    fits_and_clean(page)
    # The page's stylesheet applied (a refused one would leave the browser's defaults).
    assert page.eval_on_selector("header", "e => getComputedStyle(e).backgroundColor") == "rgb(47, 107, 47)"
    screenshot(page, "lot-scan-phone")
    buyer.close()
