"""QR codes and the printable label sheet: valid SVG/PNG encoding the product's
canonical URL, the A4 sheet's content, ownership."""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import segno
from PIL import Image, ImageChops

from auth import is_login_redirect
from auth import log_in as login
from marketplace.extensions import db

from factories import make_certification, make_product, make_seller, make_user


@pytest.fixture
def shop(app):
    with app.app_context():
        seller = make_seller(name="HTX Chè La Bằng", slug="htx-che-la-bang")
        user = make_user(role="seller", seller=seller)
        tea = make_product(seller_id=seller.id, name="Chè La Bằng thượng hạng", slug="che-la-bang-thuong-hang", price_vnd=180000, unit="hộp 100 g")
        make_certification(tea, stars=4)
        expired = make_product(seller_id=seller.id, name="Chè xanh hết hạn", slug="che-xanh-het-han")
        make_certification(expired, stars=5, issued_on=__import__("datetime").date(2019, 1, 10))
        draft = make_product(seller_id=seller.id, name="Chè nháp", slug="che-nhap", status="draft")
        db.session.commit()
        return {"user_id": user.id, "tea": tea.id, "expired": expired.id, "draft": draft.id}


def expected_png(url: str) -> Image.Image:
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=10, border=4)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def test_png_qr_encodes_the_canonical_product_url(app, client, shop):
    login(client, shop["user_id"])
    response = client.get(f"/dashboard/san-pham/{shop['tea']}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    image.load()
    assert image.format == "PNG"
    # Pixel for pixel the QR code of the absolute product URL.
    url = "http://localhost/san-pham/che-la-bang-thuong-hang"
    assert ImageChops.difference(image.convert("L"), expected_png(url)).getbbox() is None
    assert ImageChops.difference(image.convert("L"), expected_png(url + "x")).getbbox() is not None


def test_svg_qr_is_valid_svg_and_can_be_downloaded(app, client, shop):
    login(client, shop["user_id"])
    response = client.get(f"/dashboard/san-pham/{shop['tea']}/qr.svg?tai=1")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert 'attachment; filename="qr-che-la-bang-thuong-hang.svg"' == response.headers["Content-Disposition"]
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Chè La Bằng thượng hạng"
    path = root.find("{http://www.w3.org/2000/svg}path")
    expected = segno.make("http://localhost/san-pham/che-la-bang-thuong-hang", error="m", micro=False)
    buf = io.BytesIO()
    expected.save(buf, kind="svg", scale=4, border=4)
    assert path.get("d") == ET.fromstring(buf.getvalue()).find("{http://www.w3.org/2000/svg}path").get("d")


def test_label_sheet_shows_published_products_with_name_seller_stars_and_qr(app, client, shop):
    login(client, shop["user_id"])
    response = client.get("/dashboard/nhan-qr")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sheet = html.split('class="label-sheet"', 1)[1]
    assert sheet.count('<article class="label">') == 2  # the two published products
    assert "Chè La Bằng thượng hạng" in sheet and "Chè xanh hết hạn" in sheet
    assert "Chè nháp" not in sheet
    assert sheet.count("HTX Chè La Bằng") == 2
    assert "OCOP ★★★★<" in sheet  # valid 4-star certificate
    assert "★★★★★" not in sheet  # the expired 5-star certificate shows no stars
    assert "180.000 ₫" in sheet
    assert sheet.count('<svg viewBox=') == 2
    assert "style=" not in html  # CSP: no inline styles
    assert "css/labels.css" in html and "js/labels.js" in html


def test_label_sheet_for_selected_products_and_copies(app, client, shop):
    login(client, shop["user_id"])
    html = client.get(f"/dashboard/nhan-qr?id={shop['draft']}&so_ban=3").get_data(as_text=True)
    sheet = html.split('class="label-sheet"', 1)[1]
    assert sheet.count('<article class="label">') == 3
    assert "Chè nháp" in sheet
    assert "chưa công khai" in html  # the seller is warned the QR won't open yet


def test_other_sellers_cannot_get_qr_codes_or_labels_of_my_products(app, shop):
    with app.app_context():
        other = make_user(role="seller", seller=make_seller(name="HTX Khác"))
        buyer = make_user(role="buyer")
        db.session.commit()
        other_id, buyer_id = other.id, buyer.id
    for who in (other_id, buyer_id):
        client = app.test_client()
        login(client, who)
        assert client.get(f"/dashboard/san-pham/{shop['tea']}/qr.png").status_code == 404
        assert client.get(f"/dashboard/san-pham/{shop['tea']}/qr.svg").status_code == 404
    client = app.test_client()
    login(client, other_id)
    html = client.get(f"/dashboard/nhan-qr?id={shop['tea']}").get_data(as_text=True)
    assert "Chè La Bằng" not in html  # someone else's id is simply not on their sheet
    anonymous = app.test_client()
    assert is_login_redirect(anonymous.get("/dashboard/nhan-qr"), "/dashboard/nhan-qr")
    buyer = app.test_client()
    login(buyer, buyer_id)
    assert buyer.get("/dashboard/nhan-qr").status_code == 404
