"""Production lots: a seller records a lot in a few fields, buyers scan its QR code and
read its page, edits stay visible as history, staff hide a lot; GTINs and GS1 Digital
Links; bad input refused in Vietnamese with nothing saved changed."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image

from auth import log_in
from factories import make_certification, make_lot, make_product, make_seller, make_user
from marketplace.analytics.models import TotalCount
from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.text import today_vn
from marketplace.traceability.models import Lot, LotRevision

BROWSER = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"
GTIN = "8930000000019"  # GS1 Vietnam prefix 893, valid check digit


@pytest.fixture
def shop(app):
    with app.app_context():
        seller = make_seller(name="HTX Chè Hoàng Bình", slug="htx-che-hoang-binh")
        other = make_seller(name="HTX Mật ong Đồng Hỷ")
        user = make_user(role="seller", seller=seller)
        other_user = make_user(role="seller", seller=other)
        staff = make_user(role="staff")
        tea = make_product(seller=seller, name="Chè móc câu Hoàng Bình", slug="che-moc-cau", code="CHE-01")
        make_certification(tea, stars=4)
        honey = make_product(seller=other, name="Mật ong rừng", slug="mat-ong-rung")
        lot = make_lot(tea, code="CHE-250601", harvested_on=today_vn() - timedelta(days=30))
        make_lot(tea, code="CHE-250501", harvested_on=today_vn() - timedelta(days=60))
        db.session.commit()
        return {"user": user.id, "other_user": other_user.id, "staff": staff.id, "tea": tea.id, "honey": honey.id,
                "lot": lot.id}


def form(shop, **overrides) -> dict:
    data = {"product_id": shop["tea"], "code": "", "harvested_on": (today_vn() - timedelta(days=2)).isoformat(),
            "quantity": "1.200", "unit": "kg", "origin": "VT-TN-0123"}
    data.update(overrides)
    return data


def lot_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Lot.id)))


def errors_of(html: str) -> str:
    return " ".join(re.findall(r'<ul class="field-errors"[^>]*>(.*?)</ul>', html, re.S))


# ------------------------------------------------------------------- recording


def test_a_seller_records_a_lot_in_six_fields_with_a_suggested_code(app, client, shop):
    log_in(client, shop["user"])
    page = client.get(f"/dashboard/lo-hang/moi?product={shop['tea']}").get_data(as_text=True)
    # The six fields in view; the optional ones folded in <details>.
    visible, folded = page.split("<details", 1)
    for name in ("product_id", "code", "harvested_on", "quantity", "unit", "origin"):
        assert f'name="{name}"' in visible
    for name in ("best_before", "packing_facility", "notes", "photo"):
        assert f'name="{name}"' in folded and f'name="{name}"' not in visible
    response = client.post("/dashboard/lo-hang/moi", data=form(shop))
    assert response.status_code == 302
    with app.app_context():
        lot = db.session.scalars(sa.select(Lot).order_by(Lot.id.desc())).first()
        day = today_vn() - timedelta(days=2)
        assert lot.code == f"CHE-01-{day:%y%m%d}"  # the product's code and the harvest day
        assert (lot.quantity, lot.unit, lot.origin, lot.status) == (1200, "kg", "VT-TN-0123", "published")
    scan = client.get(f"/truy-xuat/{lot.code}").get_data(as_text=True)
    assert "Chè móc câu Hoàng Bình" in scan and "1.200 kg" in scan and day.strftime("%d/%m/%Y") in scan


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"code": "LO 01"}, "code", "không có khoảng trắng"),
    ({"code": "LÔ-ĐẦU"}, "code", "chữ cái không dấu"),
    ({"code": "CHE-250601"}, "code", "đã được dùng"),
    ({"harvested_on": "2099-01-01"}, "harvested_on", "không thể sau hôm nay"),
    ({"harvested_on": "31/02/2025"}, "harvested_on", "không hợp lệ"),
    ({"quantity": "1,5"}, "quantity", "số nguyên dương"),
    ({"quantity": "0"}, "quantity", "số nguyên dương"),
    ({"origin": ""}, "origin", "vùng trồng"),
    ({"best_before": "2000-01-01"}, "best_before", "trước ngày thu hoạch"),
])
def test_bad_lot_input_is_refused_in_vietnamese_and_nothing_is_saved(app, client, shop, overrides, field, message):
    log_in(client, shop["user"])
    with app.app_context():
        before = lot_count()
    response = client.post("/dashboard/lo-hang/moi", data=form(shop, **overrides))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-err"' in html
    assert message in errors_of(html)
    with app.app_context():
        assert lot_count() == before


def test_a_seller_cannot_record_a_lot_of_another_sellers_product_or_open_its_lots(app, client, shop):
    log_in(client, shop["other_user"])
    response = client.post("/dashboard/lo-hang/moi", data=form(shop))
    assert response.status_code == 400 and "sản phẩm của cơ sở" in errors_of(response.get_data(as_text=True))
    assert client.get(f"/dashboard/lo-hang/{shop['lot']}").status_code == 404
    assert client.get(f"/dashboard/lo-hang/{shop['lot']}/nhan").status_code == 404
    assert client.get(f"/dashboard/lo-hang/{shop['lot']}/qr.png").status_code == 404


def test_a_lot_photo_goes_through_the_media_service(app, client, shop):
    log_in(client, shop["user"])
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 40)).save(buf, "JPEG")
    data = form(shop, code="CHE-ANH-1")
    data["photo"] = (io.BytesIO(buf.getvalue()), "lo.jpg")
    assert client.post("/dashboard/lo-hang/moi", data=data, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        lot = db.session.scalar(sa.select(Lot).where(Lot.code == "CHE-ANH-1"))
        assert lot.photo_key and (lot.photo_width, lot.photo_height) == (640, 480)
    scan = client.get("/truy-xuat/CHE-ANH-1").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)"', scan).group(1)
    with client.get(src) as image:
        assert image.status_code == 200 and image.mimetype == "image/webp"
    # Not a picture: a clear message, nothing saved.
    data = form(shop, code="CHE-ANH-2")
    data["photo"] = (io.BytesIO(b"not an image"), "lo.jpg")
    response = client.post("/dashboard/lo-hang/moi", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "không phải ảnh" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Lot).where(Lot.code == "CHE-ANH-2")) is None


# ---------------------------------------------------------------- history, hiding


def test_edits_after_recording_are_a_history_buyers_can_read(app, client, shop):
    log_in(client, shop["user"])
    edit = form(shop, quantity="150", origin="VT-TN-0456", harvested_on=(today_vn() - timedelta(days=30)).isoformat())
    response = client.post(f"/dashboard/lo-hang/{shop['lot']}", data=edit)
    assert response.status_code == 302
    # An unchanged form adds no history.
    client.post(f"/dashboard/lo-hang/{shop['lot']}", data=edit)
    with app.app_context():
        revisions = db.session.scalars(sa.select(LotRevision).where(LotRevision.lot_id == shop["lot"])).all()
        assert [r.changes for r in revisions] == [{"quantity": [120, 150], "origin": ["Xóm Hồng Thái, Tân Cương",
                                                                                     "VT-TN-0456"]}]
    client.get("/dang-xuat")
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
    anonymous = app.test_client()
    scan = anonymous.get("/truy-xuat/CHE-250601").get_data(as_text=True)
    assert "Lịch sử chỉnh sửa" in scan
    assert "Số lượng: 120 → 150" in scan and "Xóm Hồng Thái, Tân Cương → VT-TN-0456" in scan
    # Product and code never change once recorded (printed QR codes point at the code).
    log_in(client, shop["user"])
    response = client.post(f"/dashboard/lo-hang/{shop['lot']}", data={**edit, "harvested_on": "2099-01-01"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Lot, shop["lot"]).harvested_on == today_vn() - timedelta(days=30)


def test_staff_hide_a_lot_with_a_reason_and_the_seller_sees_it(app, client, shop):
    log_in(client, shop["staff"])
    response = client.post(f"/nhan-vien/lo-hang/{shop['lot']}/an", data={"reason": ""})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Lot, shop["lot"]).status == "published"  # no reason: nothing changes
    client.post(f"/nhan-vien/lo-hang/{shop['lot']}/an", data={"reason": "Mã vùng trồng không khớp hồ sơ"})
    with app.app_context():
        lot = db.session.get(Lot, shop["lot"])
        assert (lot.status, lot.hidden_reason) == ("hidden", "Mã vùng trồng không khớp hồ sơ")
    assert "CHE-250601" in client.get("/nhan-vien/lo-hang/?an=1").get_data(as_text=True)
    anonymous = app.test_client()
    response = anonymous.get("/truy-xuat/CHE-250601")
    assert response.status_code == 404 and "Không tìm thấy lô hàng CHE-250601" in response.get_data(as_text=True)
    seller = app.test_client()
    log_in(seller, shop["user"])
    assert "Mã vùng trồng không khớp hồ sơ" in seller.get(f"/dashboard/lo-hang/{shop['lot']}").get_data(as_text=True)
    client.post(f"/nhan-vien/lo-hang/{shop['lot']}/hien", data={})
    assert anonymous.get("/truy-xuat/CHE-250601").status_code == 200
    assert app.test_client().get("/nhan-vien/lo-hang/").status_code == 302  # login first


# --------------------------------------------------------------------- scan page


def test_the_scan_page_is_light_script_free_cached_and_counted(app, client, shop):
    first = client.get("/truy-xuat/CHE-250601", headers={"User-Agent": BROWSER})
    second = client.get("/truy-xuat/CHE-250601", headers={"User-Agent": BROWSER})
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("miss", "hit")
    html = second.get_data(as_text=True)
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    css = 0
    for href in stylesheets:
        with client.get(href) as sheet:
            assert sheet.status_code == 200
            css += len(sheet.data)
    assert len(second.data) + css < 30 * 1024, (len(second.data), css)  # HTML + CSS
    assert "<script" not in html and len(stylesheets) == 1
    for shown in ("Chè móc câu Hoàng Bình", "HTX Chè Hoàng Bình", "Xóm Hồng Thái, Tân Cương",
                  "openstreetmap.org/search?query=", "OCOP 4 sao", "Đã xác minh",
                  "Các lô khác của sản phẩm này", "/truy-xuat/CHE-250501"):
        assert shown in html, shown
    with app.app_context():
        scans = db.session.scalar(sa.select(TotalCount.views).where(TotalCount.kind == "lot",
                                                                    TotalCount.object_id == shop["lot"]))
        assert scans == 2
    # The product page lists its lots.
    product_page = client.get("/san-pham/che-moc-cau").get_data(as_text=True)
    assert 'href="/truy-xuat/CHE-250601"' in product_page and 'href="/truy-xuat/CHE-250501"' in product_page
    # A lower-case code (typed by hand) reaches the same page.
    assert client.get("/truy-xuat/che-250601").headers["Location"].endswith("/truy-xuat/CHE-250601")
    # The seller's list and the staff's show the scans.
    log_in(client, shop["user"])
    row = re.search(r"CHE-250601.*?</tr>", client.get("/dashboard/lo-hang").get_data(as_text=True), re.S).group(0)
    assert '<td class="num">2</td>' in row


def test_an_unverified_certificate_shows_as_such_on_the_scan_page(app, client, shop):
    with app.app_context():
        db.session.get(Product, shop["tea"]).certification.verified_at = None
        db.session.commit()
    html = client.get("/truy-xuat/CHE-250601").get_data(as_text=True)
    assert "Chưa được ban quản lý sàn xác minh" in html and "Đã xác minh" not in html


def test_lots_of_a_product_that_is_not_public_have_no_page(app, client, shop):
    with app.app_context():
        db.session.get(Product, shop["tea"]).status = "archived"
        db.session.commit()
    assert client.get("/truy-xuat/CHE-250601").status_code == 404


# ------------------------------------------------------------------- GTIN, GS1


def test_a_gtin_with_a_wrong_check_digit_is_refused_with_the_right_digit(app, client, shop):
    log_in(client, shop["user"])
    page = client.get(f"/dashboard/san-pham/{shop['tea']}")
    version = re.search(r'name="version"[^>]*value="(\d+)"', page.get_data(as_text=True)).group(1)
    data = {"name": "Chè móc câu Hoàng Bình", "category_id": "", "price_vnd": "150.000", "unit": "hộp 200 g",
            "description": "Sản phẩm dùng trong kiểm thử.", "code": "CHE-01", "version": version}
    with app.app_context():
        data["category_id"] = str(db.session.get(Product, shop["tea"]).category_id)
    response = client.post(f"/dashboard/san-pham/{shop['tea']}", data={**data, "gtin": "8930000000018"})
    assert response.status_code in (200, 400)
    assert "sai số kiểm tra (chữ số cuối phải là 9)" in response.get_data(as_text=True)
    response = client.post(f"/dashboard/san-pham/{shop['tea']}", data={**data, "gtin": "4006381333931"})
    assert "bắt đầu bằng 893" in response.get_data(as_text=True)
    with app.app_context():
        product = db.session.get(Product, shop["tea"])
        assert (product.gtin, product.price_vnd) == (None, 150_000)
    response = client.post(f"/dashboard/san-pham/{shop['tea']}", data={**data, "gtin": "893 0000 000019"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Product, shop["tea"]).gtin == "0" + GTIN


def _with_gtin(app, shop) -> None:
    with app.app_context():
        db.session.get(Product, shop["tea"]).gtin = "0" + GTIN
        db.session.commit()


def test_a_gs1_digital_link_resolves_to_the_lot_page_or_the_product_page(app, client, shop):
    _with_gtin(app, shop)
    response = client.get(f"/01/0{GTIN}/10/CHE-250601?17=271231")
    assert response.status_code == 307 and response.headers["Location"].endswith("/truy-xuat/CHE-250601")
    response = client.get(f"/01/{GTIN}/10/CHE-250601")  # GTIN-13 padded by the parser
    assert response.status_code == 307
    response = client.get(f"/01/0{GTIN}")
    assert response.status_code == 307 and response.headers["Location"].endswith("/san-pham/che-moc-cau")


@pytest.mark.parametrize(("path", "status", "message"), [
    (f"/01/0{GTIN}/10/KHONG-CO", 404, "Không tìm thấy lô KHONG-CO của sản phẩm có mã GTIN 8930000000019"),
    ("/01/08930000000026/10/CHE-250601", 404, "Không tìm thấy lô CHE-250601"),
    ("/01/08930000000026", 404, "Không tìm thấy sản phẩm có mã GTIN 8930000000026"),
    ("/01/08930000000018/10/CHE-250601", 400, "sai số kiểm tra"),
    (f"/01/0{GTIN}/21/SERI1/10/CHE-250601", 400, "không đúng thứ tự"),
    (f"/01/0{GTIN}/10/CHE-250601/21/SERI1", 400, "có thêm phần (21)"),
    (f"/01/0{GTIN}/10/CHE-250601?10=KHAC", 400, "hai lần"),
])
def test_unresolvable_digital_links_get_a_vietnamese_page(app, client, shop, path, status, message):
    _with_gtin(app, shop)
    response = client.get(path)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert message in html and 'lang="vi"' in html


# ---------------------------------------------------------------------- labels


def decode(png: bytes) -> str:
    """The text of the one QR code in ``png``, read by a real decoder (zxing-cpp)."""
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1 and results[0].format == zxingcpp.BarcodeFormat.QRCode
    return results[0].text


def follow(client, url: str):
    parts = urlsplit(url)
    assert parts.netloc == "localhost"
    return client.get(parts.path + (f"?{parts.query}" if parts.query else ""), follow_redirects=True)


def test_a_printed_lot_qr_without_gtin_opens_the_scan_page(app, client, shop):
    log_in(client, shop["user"])
    url = decode(client.get(f"/dashboard/lo-hang/{shop['lot']}/qr.png").data)
    assert url == "http://localhost/truy-xuat/CHE-250601"
    page = follow(app.test_client(), url)
    assert page.status_code == 200 and "CHE-250601" in page.get_data(as_text=True)


def test_a_printed_lot_qr_with_gtin_is_a_gs1_digital_link_that_opens_the_scan_page(app, client, shop):
    _with_gtin(app, shop)
    log_in(client, shop["user"])
    url = decode(client.get(f"/dashboard/lo-hang/{shop['lot']}/qr.png").data)
    assert url == f"http://localhost/01/0{GTIN}/10/CHE-250601"
    page = follow(app.test_client(), url)
    assert page.status_code == 200
    assert page.request.path == "/truy-xuat/CHE-250601"
    assert "Chè móc câu Hoàng Bình" in page.get_data(as_text=True)
    sheet = client.get(f"/dashboard/lo-hang/{shop['lot']}/nhan?so_ban=3").get_data(as_text=True)
    assert sheet.count('class="label"') == 3 and url in sheet and "GS1 Digital Link" in sheet


# ------------------------------------------------------------------------- API


def test_the_api_shows_a_lot_and_the_latest_lots_of_products(app, client, shop):
    _with_gtin(app, shop)
    log_in(client, shop["user"])
    client.post(f"/dashboard/lo-hang/{shop['lot']}",
                data=form(shop, quantity="150", harvested_on=(today_vn() - timedelta(days=30)).isoformat(),
                          origin="Xóm Hồng Thái, Tân Cương"))
    api = app.test_client()
    data = api.get("/api/v1/lots/che-250601").get_json()
    assert data["code"] == "CHE-250601" and data["quantity"] == 150 and data["unit"] == "kg"
    assert data["url"] == "http://localhost/truy-xuat/CHE-250601"
    assert data["digital_link"] == f"http://localhost/01/0{GTIN}/10/CHE-250601"
    assert data["product"]["gtin"] == GTIN and data["seller"]["slug"] == "htx-che-hoang-binh"
    assert data["certifications"][0]["kind"] == "ocop" and data["certifications"][0]["verified"] is True
    assert data["history"][0]["changes"] == {"quantity": {"before": 120, "after": 150}}
    product = api.get("/api/v1/products/che-moc-cau").get_json()
    assert [lot["code"] for lot in product["lots"]] == ["CHE-250601", "CHE-250501"]  # newest harvest first
    assert product["gtin"] == GTIN
    listed = {p["slug"]: p for p in api.get("/api/v1/products").get_json()["items"]}
    assert [lot["code"] for lot in listed["che-moc-cau"]["lots"]] == ["CHE-250601", "CHE-250501"]
    assert listed["mat-ong-rung"]["lots"] == []


@pytest.mark.parametrize(("code", "status"), [("LÔ-1", 400), ("LO%201", 400), ("KHONG-CO", 404)])
def test_the_lot_api_names_a_bad_code_and_404s_an_unknown_one(app, client, shop, code, status):
    response = client.get(f"/api/v1/lots/{code}")
    assert response.status_code == status
    body = response.get_json()
    assert body["status"] == status and body["error"]
    if status == 400:
        assert body["field"] == "code" and "không có khoảng trắng" in body["error"]


def test_the_lot_api_hides_hidden_lots(app, client, shop):
    with app.app_context():
        db.session.get(Lot, shop["lot"]).status = "hidden"
        db.session.commit()
    assert client.get("/api/v1/lots/CHE-250601").status_code == 404
    assert [lot["code"] for lot in client.get("/api/v1/products/che-moc-cau").get_json()["lots"]] == ["CHE-250501"]


# ---------------------------------------------------------------------- import


def _csv(*rows: str) -> bytes:
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


def _upload(client, data: bytes):
    return client.post("/dashboard/nhap-du-lieu", data={"file": (io.BytesIO(data), "lo.csv")},
                       content_type="multipart/form-data")


def test_lots_import_from_a_spreadsheet_with_preview_and_all_or_nothing_commit(app, client, shop):
    log_in(client, shop["user"])
    day = (today_vn() - timedelta(days=3)).strftime("%d/%m/%Y")
    good = _csv("ma_san_pham,ma_lo,ngay_thu_hoach,so_luong,don_vi,vung_trong,han_su_dung",
                f"CHE-01,CHE-NHAP-1,{day},200,kg,VT-TN-0001,",
                f"CHE-01,,{day},1.500,kg,Xóm Nam Đồng,")
    preview = _upload(client, good)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Tệp lô hàng" in html and "2 thêm mới" in html
    with app.app_context():
        assert lot_count() == 2  # a preview saves nothing
    token = re.search(r'name="token"[^>]*value="([^"]+)"', html).group(1)
    assert client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token}).status_code == 302
    with app.app_context():
        codes = set(db.session.scalars(sa.select(Lot.code)))
        day_code = (today_vn() - timedelta(days=3)).strftime("%y%m%d")
        assert {"CHE-NHAP-1", f"CHE-01-{day_code}"} <= codes and lot_count() == 4
    # One bad row: every problem listed, nothing saved (the good row neither).
    bad = _csv("ma_san_pham,ma_lo,ngay_thu_hoach,so_luong,don_vi,vung_trong",
               f"CHE-01,CHE-NHAP-2,{day},50,kg,VT-TN-0002",
               "CHE-01,LÔ 3,01/01/2099,abc,kg,VT-TN-0003",
               f"KHONG-CO,CHE-NHAP-4,{day},10,kg,VT")
    response = _upload(client, bad)
    html = response.get_data(as_text=True)
    assert "Chưa có gì được lưu" in html
    assert "không có khoảng trắng" in html and "không thể sau hôm nay" in html
    assert "số nguyên dương" in html and "Không có sản phẩm nào của bạn mang mã KHONG-CO" in html
    with app.app_context():
        assert lot_count() == 4
    # Re-importing an existing lot with a change updates it, into its public history.
    again = _csv("ma_san_pham,ma_lo,ngay_thu_hoach,so_luong,don_vi,vung_trong",
                 f"CHE-01,CHE-NHAP-1,{day},250,kg,VT-TN-0001")
    html = _upload(client, again).get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', html).group(1)
    client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token})
    with app.app_context():
        lot = db.session.scalar(sa.select(Lot).where(Lot.code == "CHE-NHAP-1"))
        assert lot.quantity == 250 and lot.revisions[0].changes == {"quantity": [200, 250]}


def test_scans_show_on_the_seller_and_staff_dashboards(app, client, shop):
    for _ in range(3):
        client.get("/truy-xuat/CHE-250601", headers={"User-Agent": BROWSER})
    client.get("/truy-xuat/CHE-250501", headers={"User-Agent": BROWSER})
    client.get("/truy-xuat/CHE-250501", headers={"User-Agent": "Googlebot/2.1"})  # bots do not count
    seller = app.test_client()
    log_in(seller, shop["user"])
    seller.get("/truy-xuat/CHE-250601", headers={"User-Agent": BROWSER})  # nor the seller itself
    html = seller.get("/dashboard/thong-ke/").get_data(as_text=True)
    section = html.split('id="quet-ma"', 1)[1]
    assert "4 lượt quét mã QR của 2 lô" in section
    assert re.search(r"CHE-250601</a></td><td class=\"num\">3<", section)
    staff = app.test_client()
    log_in(staff, shop["staff"])
    html = staff.get("/nhan-vien/thong-ke/").get_data(as_text=True)
    section = html.split("Lô hàng được quét mã QR nhiều nhất", 1)[1]
    assert re.search(r'href="/truy-xuat/CHE-250601">CHE-250601</a></td><td class="num">3<', section)
    csv = staff.get("/nhan-vien/thong-ke/xuat/lo-hang.csv").get_data(as_text=True)
    assert "CHE-250601" in csv and "CHE-250501" in csv
