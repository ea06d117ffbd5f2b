"""Seller onboarding and the seller dashboard: products, statuses, validation,
certificates with scans, rural-industry marks; nothing half-saved; CSRF."""
from __future__ import annotations

import gc
import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from auth import log_in
from conftest import make_test_config
from factories import make_area, make_category, make_certification, make_product, make_seller, make_user
from marketplace.accounts.models import User
from marketplace.catalog import services as cs
from marketplace.catalog.models import OcopCertification, Product, RuralIndustryRecognition
from marketplace.catalog.product_data import parse_price_vnd
from marketplace.catalog.queries import public_products
from marketplace.extensions import db
from marketplace.sellers.models import Seller

PRICE_MESSAGE = "Giá phải là số nguyên từ 1 đến 1.000.000.000 ₫"


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def world(app):
    """An approved seller with its member, a category tree and an area."""
    with app.app_context():
        area = make_area(name="xã Tân Cương")
        seller = make_seller(name="HTX Chè Tân Cương", slug="htx-tan-cuong", area=area, email="htx@example.vn")
        member = make_user(email="ban@example.vn", role="seller", seller_id=seller.id)
        food = make_category(name="Thực phẩm", slug="thuc-pham")
        tea = make_category(name="Chè", slug="che", parent_id=food.id)
        db.session.commit()
        ids = {"seller_id": seller.id, "user_id": member.id, "category_id": tea.id, "area_id": area.id}
    # Yield outside the app context: each request must get its own context (and g).
    yield ids


@pytest.fixture
def seller_client(app, client, world):
    with app.app_context():
        log_in(client, db.session.get(User, world["user_id"]))
    return client


def product_form(world, **overrides) -> dict:
    data = {"name": "Chè móc câu Tân Cương", "category_id": str(world["category_id"]), "price_vnd": "150.000",
            "unit": "hộp 200 g", "code": "CHE-01", "description": "Chè búp non.", "area_id": ""}
    data.update(overrides)
    return data


# --------------------------------------------------------------------- onboarding


def test_buyer_registers_a_seller_profile_that_stays_hidden_until_approved(app, client, runner):
    with app.app_context():
        area = make_area(name="phường Phan Đình Phùng")
        buyer = make_user(email="chu-ho@example.vn")
        category = make_category(name="Mật ong")
        db.session.commit()
        log_in(client, buyer)
        area_id, category_id = area.id, category.id
    assert client.get("/dashboard/").headers["Location"].endswith("/dashboard/ho-so")
    response = client.post("/dashboard/ho-so", data={
        "kind": "household", "name": "Hộ kinh doanh Mật ong Bà Hoa", "address": "Tổ 5", "area_id": str(area_id),
        "phone": "+84 912 345 678", "email": "bahoa@example.vn", "story": "Nuôi ong từ 1998.",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        seller = db.session.scalars(sa.select(Seller)).one()
        user = db.session.scalars(sa.select(User)).one()
        assert (seller.status, seller.kind, seller.phone) == ("pending", "household", "0912345678")
        assert seller.slug == "ho-kinh-doanh-mat-ong-ba-hoa"
        assert (user.role, user.seller_id) == ("seller", seller.id)
    home = client.get("/dashboard/").get_data(as_text=True)
    assert "Hồ sơ cơ sở đang chờ duyệt" in home
    # A product the seller makes and staff publish is still hidden: the seller is pending.
    client.post("/dashboard/san-pham/moi", data={"name": "Mật ong rừng", "category_id": str(category_id),
                                                "price_vnd": "250000", "unit": "chai 500 ml"})
    with app.app_context():
        product = db.session.scalars(sa.select(Product)).one()
        cs.publish_product(product)
        db.session.commit()
        assert db.session.scalars(public_products()).all() == []
    assert runner.invoke(args=["sellers", "approve", "ho-kinh-doanh-mat-ong-ba-hoa"]).exit_code == 0
    with app.app_context():
        assert [p.name for p in db.session.scalars(public_products())] == ["Mật ong rừng"]


@pytest.mark.parametrize("phone, ok", [
    ("0912345678", True), ("091 234 5678", True), ("+84912345678", True), ("84 912 345 678", True),
    ("0208 3855 123", True), ("12345", False), ("0912-34-567", False), ("01234567890", False), ("abc", False),
])
def test_profile_phone_validation(app, client, phone, ok):
    with app.app_context():
        area = make_area()
        buyer = make_user()
        db.session.commit()
        log_in(client, buyer)
        area_id = area.id
    response = client.post("/dashboard/ho-so", data={"kind": "cooperative", "name": "HTX Thử", "address": "Xóm 2",
                                                      "area_id": str(area_id), "phone": phone})
    with app.app_context():
        assert count(Seller) == (1 if ok else 0)
        if not ok:
            assert response.status_code == 400
            assert "Số điện thoại không hợp lệ" in response.get_data(as_text=True)
            assert db.session.scalars(sa.select(User)).one().role == "buyer"


def test_profile_edit_keeps_slug_and_status_and_stores_a_webp_logo(app, seller_client, world):
    image = Image.new("RGB", (400, 300), (40, 120, 40))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    response = seller_client.post("/dashboard/ho-so", data={
        "kind": "cooperative", "name": "HTX Chè Tân Cương Thái Nguyên", "address": "Xóm Nam Đồng",
        "area_id": str(world["area_id"]), "phone": "0912 000 111", "website": "https://chetancuong.vn",
        "logo": (io.BytesIO(buf.getvalue()), "logo.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        seller = db.session.get(Seller, world["seller_id"])
        assert seller.name == "HTX Chè Tân Cương Thái Nguyên"
        assert seller.slug == "htx-tan-cuong" and seller.status == "approved"
        assert seller.logo_key
        from marketplace.media import get_storage

        with Image.open(get_storage().open_path(f"{seller.logo_key}-320.webp")) as logo:
            assert logo.format == "WEBP"


def test_profile_logo_that_is_not_an_image_is_refused_and_nothing_changes(app, seller_client, world):
    response = seller_client.post("/dashboard/ho-so", data={
        "kind": "cooperative", "name": "Tên mới hoàn toàn", "address": "Xóm Nam Đồng",
        "area_id": str(world["area_id"]), "phone": "0912000111",
        "logo": (io.BytesIO(b"<?php echo 1; ?>"), "logo.png"),
    }, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Logo phải là ảnh JPEG, PNG hoặc WebP" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Seller, world["seller_id"]).name == "HTX Chè Tân Cương"


# ----------------------------------------------------------------------- products


def test_create_product_as_draft_with_folded_slug_and_search_text(app, seller_client, world):
    response = seller_client.post("/dashboard/san-pham/moi", data=product_form(world))
    assert response.status_code == 302
    with app.app_context():
        product = db.session.scalars(sa.select(Product)).one()
        assert response.headers["Location"].endswith(f"/dashboard/san-pham/{product.id}")
        assert (product.status, product.price_vnd, product.slug) == ("draft", 150_000, "che-moc-cau-tan-cuong")
        assert product.area_id == world["area_id"]  # defaults to the seller's area
        assert "che moc cau tan cuong" in product.search_text and "htx che tan cuong" in product.search_text
        assert db.session.scalars(public_products()).all() == []  # drafts are never public
    page = seller_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bản nháp" in page and 'value="150.000"' in page


@pytest.mark.parametrize("field, value, message", [
    ("price_vnd", "150.5", PRICE_MESSAGE),
    ("price_vnd", "1,5", PRICE_MESSAGE),
    ("price_vnd", "-5000", PRICE_MESSAGE),
    ("price_vnd", "0", PRICE_MESSAGE),
    ("price_vnd", "1.000.000.001", PRICE_MESSAGE),
    ("price_vnd", "một trăm", PRICE_MESSAGE),
    ("name", "Ab", "Tên sản phẩm phải dài từ 3 đến 200 ký tự."),
    ("name", "C" * 201, "Tên sản phẩm phải dài từ 3 đến 200 ký tự."),
    ("category_id", "", "Vui lòng chọn danh mục."),
    ("category_id", "999999", "Vui lòng chọn danh mục."),
    ("unit", "", "Vui lòng nhập đơn vị tính"),
])
def test_product_form_rejects_bad_input_with_vietnamese_messages(app, seller_client, world, field, value, message):
    response = seller_client.post("/dashboard/san-pham/moi", data=product_form(world, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert count(Product) == 0


@pytest.mark.parametrize("typed, stored", [("150.000", 150_000), ("150000", 150_000), ("1 500 000", 1_500_000),
                                           ("45.000 ₫", 45_000), ("1", 1), ("1.000.000.000", 1_000_000_000)])
def test_price_accepts_what_people_type(typed, stored):
    assert parse_price_vnd(typed) == stored


def test_duplicate_code_for_the_same_seller_is_refused(app, seller_client, world):
    assert seller_client.post("/dashboard/san-pham/moi", data=product_form(world)).status_code == 302
    response = seller_client.post("/dashboard/san-pham/moi", data=product_form(world, name="Chè búp"))
    assert response.status_code == 400
    assert "Mã sản phẩm CHE-01 đã được dùng" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Product) == 1
        # Another seller may use the same code.
        other = make_seller()
        cs.create_product(other, {**product_form(world), "category_id": world["category_id"]})
        db.session.commit()
        assert count(Product) == 2


def test_failed_rural_industry_after_a_valid_product_saves_nothing(app, seller_client, world):
    response = seller_client.post("/dashboard/san-pham/moi",
                                  data=product_form(world, rural_level="province", rural_year="1890"))
    assert response.status_code == 400
    assert "Năm công nhận phải từ 2000" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Product) == 0 and count(RuralIndustryRecognition) == 0


def test_rural_industry_recognition_set_and_removed(app, seller_client, world):
    seller_client.post("/dashboard/san-pham/moi", data=product_form(world, rural_level="region", rural_year="2023"))
    with app.app_context():
        product = db.session.scalars(sa.select(Product)).one()
        assert (product.rural_industry.level, product.rural_industry.year) == ("region", 2023)
        product_id = product.id
    seller_client.post(f"/dashboard/san-pham/{product_id}", data=product_form(world, rural_level=""))
    with app.app_context():
        assert count(RuralIndustryRecognition) == 0


def _own_product(app, world, **kw) -> int:
    with app.app_context():
        kw.setdefault("category_id", world["category_id"])
        kw.setdefault("area_id", world["area_id"])
        # seller_id, not seller=: a backref append on a loaded seller would autoflush early.
        product = make_product(seller_id=world["seller_id"], name=kw.pop("name", "Chè đinh"), **kw)
        db.session.commit()
        return product.id


def test_editing_a_published_name_waits_as_a_revision_but_a_price_change_is_live(app, seller_client, world):
    product_id = _own_product(app, world, status="published", code="DINH", unit="hộp 100 g", price_vnd=300_000)
    base = product_form(world, name="Chè đinh", code="DINH", unit="hộp 100 g", description="Sản phẩm dùng trong kiểm thử.",
                        area_id=str(world["area_id"]))
    response = seller_client.post(f"/dashboard/san-pham/{product_id}", data={**base, "price_vnd": "320.000"})
    assert response.status_code == 302
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert (product.status, product.price_vnd) == ("published", 320_000)
    response = seller_client.post(f"/dashboard/san-pham/{product_id}", data={**base, "price_vnd": "320.000",
                                                                            "name": "Chè đinh thượng hạng"})
    assert response.status_code == 302
    with app.app_context():
        # The approved version stays public; the new name waits in a pending revision.
        product = db.session.get(Product, product_id)
        assert (product.status, product.name, product.slug) == ("published", "Chè đinh", "che-dinh")
        assert [p.id for p in db.session.scalars(public_products())] == [product_id]
        from marketplace.catalog.services import pending_revision

        assert pending_revision(product).fields == {"name": "Chè đinh thượng hạng"}
    page = seller_client.get(f"/dashboard/san-pham/{product_id}").get_data(as_text=True)
    assert "Thay đổi đang chờ duyệt" in page and "Chè đinh thượng hạng" in page


def test_failed_edit_changes_nothing(app, seller_client, world):
    product_id = _own_product(app, world, status="published", price_vnd=300_000)
    response = seller_client.post(f"/dashboard/san-pham/{product_id}",
                                  data=product_form(world, name="Tên mới", price_vnd="12,5"))
    assert response.status_code == 400
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert (product.name, product.price_vnd, product.status) == ("Chè đinh", 300_000, "published")


def test_duplicate_archive_and_submit(app, seller_client, world):
    product_id = _own_product(app, world, status="published", code="DINH")
    with app.app_context():
        make_certification(db.session.get(Product, product_id))
        db.session.commit()
    response = seller_client.post(f"/dashboard/san-pham/{product_id}/nhan-ban")
    assert response.status_code == 302
    with app.app_context():
        copy = db.session.scalars(sa.select(Product).where(Product.id != product_id)).one()
        assert response.headers["Location"].endswith(f"/dashboard/san-pham/{copy.id}")
        assert (copy.name, copy.status, copy.code, copy.certification) == ("Chè đinh (bản sao)", "draft", None, None)
        assert copy.slug != "che-dinh"
        copy_id = copy.id
    assert seller_client.post(f"/dashboard/san-pham/{product_id}/luu-tru").status_code == 302
    with app.app_context():
        assert db.session.get(Product, product_id).status == "archived"
        assert db.session.scalars(public_products()).all() == []
    assert seller_client.post(f"/dashboard/san-pham/{copy_id}/gui-duyet").status_code == 302
    with app.app_context():
        assert db.session.get(Product, copy_id).status == "pending"
    # Submitting a published product is refused with a message, nothing changes.
    published_id = _own_product(app, world, name="Chè búp", status="published")
    response = seller_client.post(f"/dashboard/san-pham/{published_id}/gui-duyet", follow_redirects=True)
    assert "không cần gửi duyệt lại" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Product, published_id).status == "published"


def test_home_lists_own_products_with_counts_filter_and_search(app, seller_client, world):
    _own_product(app, world, name="Chè móc câu", status="published")
    _own_product(app, world, name="Chè búp", status="draft")
    _own_product(app, world, name="Trà hoa vàng", status="draft")
    with app.app_context():
        make_product(name="Sản phẩm của người khác", category_id=world["category_id"])
        db.session.commit()
    page = seller_client.get("/dashboard/").get_data(as_text=True)
    assert "Chè móc câu" in page and "Chè búp" in page and "Trà hoa vàng" in page
    assert "Sản phẩm của người khác" not in page
    assert 'class="count-draft">2<' in page and 'class="count-published">1<' in page
    drafts = seller_client.get("/dashboard/?status=draft").get_data(as_text=True)
    assert "Chè búp" in drafts and "Chè móc câu" not in drafts
    found = seller_client.get("/dashboard/?q=CHE BUP").get_data(as_text=True)  # folded, case-insensitive
    assert "Chè búp" in found and "Trà hoa vàng" not in found
    assert seller_client.get("/dashboard/?status=bogus&page=abc").status_code == 200


# -------------------------------------------------------------------- certificates


def _cert_form(**overrides) -> dict:
    data = {"stars": "4", "score": "78", "product_group": "thuc-pham", "decision_number": "1234/QĐ-UBND",
            "issued_on": "2024-03-15", "issuing_level": "province", "issuing_body": "UBND tỉnh Thái Nguyên"}
    data.update(overrides)
    return data


def test_certificate_saved_with_expiry_and_seller_edit_clears_verification(app, seller_client, world):
    product_id = _own_product(app, world)
    with app.app_context():
        make_certification(db.session.get(Product, product_id))  # verified by staff
        db.session.commit()
        assert db.session.get(Product, product_id).valid_certification is not None
    response = seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan", data=_cert_form())
    assert response.status_code == 302
    with app.app_context():
        cert = db.session.scalars(sa.select(OcopCertification)).one()
        assert (cert.stars, cert.decision_number, str(cert.expires_on)) == (4, "1234/QĐ-UBND", "2027-03-15")
        assert cert.verified_at is None  # needs re-verification: no badge until then
        assert db.session.get(Product, product_id).valid_certification is None
    page = seller_client.get(f"/dashboard/san-pham/{product_id}/chung-nhan").get_data(as_text=True)
    assert "Chờ cán bộ xác minh" in page and "15/03/2027" in page


def test_certificate_date_typed_dd_mm_yyyy_is_accepted(app, seller_client, world):
    product_id = _own_product(app, world)
    response = seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan", data=_cert_form(issued_on="29/02/2024"))
    assert response.status_code == 302
    with app.app_context():
        cert = db.session.scalars(sa.select(OcopCertification)).one()
        assert (str(cert.issued_on), str(cert.expires_on)) == ("2024-02-29", "2027-02-28")


def test_certificate_two_stars_is_data_but_never_a_badge(app, seller_client, world):
    product_id = _own_product(app, world)
    assert seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan", data=_cert_form(stars="2")).status_code == 302
    with app.app_context():
        cert = db.session.scalars(sa.select(OcopCertification)).one()
        from marketplace.certifications.services import verify

        verify(cert, None)
        db.session.commit()
        assert cert.stars == 2 and db.session.get(Product, product_id).valid_certification is None


@pytest.mark.parametrize("field, value, message", [
    ("stars", "6", "Số sao phải từ 1 đến 5."),
    ("score", "101", "Điểm phải là số nguyên từ 0 đến 100."),
    ("decision_number", "", "Vui lòng nhập số quyết định"),
    ("issued_on", "15/03/2024x", "Ngày quyết định không hợp lệ"),
    ("issuing_level", "village", "Vui lòng chọn cấp công nhận."),
    ("product_group", "hai-san", "Vui lòng chọn nhóm sản phẩm OCOP."),
    ("score", "tám mươi", "Điểm phải là số nguyên từ 0 đến 100."),
    ("issued_on", "", "Ngày quyết định không hợp lệ"),
    ("issued_on", "2010-01-01", "Ngày quyết định không hợp lệ"),
])
def test_certificate_bad_input_saves_nothing(app, seller_client, world, field, value, message):
    product_id = _own_product(app, world)
    response = seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan", data=_cert_form(**{field: value}))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body
    assert "Not a valid" not in body  # no untranslated WTForms message
    assert body.count(message) == 1
    with app.app_context():
        assert count(OcopCertification) == 0


def _pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 180, 40)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.mark.parametrize("name, maker, mimetype", [("giay-cn.pdf", _pdf_bytes, "application/pdf"),
                                                   ("giay-cn.jpg", _jpeg_bytes, "image/webp")])
def test_certificate_scan_is_stored_and_only_owner_and_staff_see_it(app, seller_client, world, name, maker, mimetype):
    product_id = _own_product(app, world)
    response = seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan",
                                  data={**_cert_form(), "scan": (io.BytesIO(maker()), name)},
                                  content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    url = f"/dashboard/san-pham/{product_id}/chung-nhan/ban-quet"
    with seller_client.get(url) as scan:
        assert scan.status_code == 200 and scan.mimetype == mimetype
        assert "no-store" in scan.headers["Cache-Control"]
        if mimetype == "application/pdf":
            assert scan.data == _pdf_bytes()
        else:
            assert Image.open(io.BytesIO(scan.data)).format == "WEBP"  # re-encoded, not what was sent
    with app.app_context():
        staff = make_user(role="staff")
        other = make_user(role="seller", seller_id=make_seller().id)
        buyer = make_user()
        db.session.commit()
        clients = {}
        for label, user in (("staff", staff), ("other", other), ("buyer", buyer)):
            clients[label] = app.test_client()
            log_in(clients[label], user)
    with clients["staff"].get(url) as staff_view:
        assert staff_view.status_code == 200
    assert clients["other"].get(url).status_code == 404
    assert clients["buyer"].get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302


@pytest.mark.parametrize("payload", [b"GIF89a" + b"\0" * 100, b"just text", b"\xff\xd8\xff\xe0" + b"\0" * 50])
def test_certificate_scan_that_is_neither_image_nor_pdf_is_refused(app, seller_client, world, payload):
    product_id = _own_product(app, world)
    response = seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan",
                                  data={**_cert_form(), "scan": (io.BytesIO(payload), "scan.pdf")},
                                  content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Tệp quét phải là ảnh JPEG, PNG, WebP hoặc tệp PDF." in response.get_data(as_text=True)
    with app.app_context():
        assert count(OcopCertification) == 0


# Werkzeug's test client spools a body this big to a temporary file it never closes.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_certificate_scan_over_10_mb_is_refused(app, seller_client, world):
    product_id = _own_product(app, world)
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 10)
    response = seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan",
                                  data={**_cert_form(), "scan": (io.BytesIO(big), "scan.pdf")},
                                  content_type="multipart/form-data")
    assert response.status_code == 400
    assert "tối đa 10 MB" in response.get_data(as_text=True)
    with app.app_context():
        assert count(OcopCertification) == 0
    response.request.environ["wsgi.input"].close()  # the test client's spooled body
    del response
    gc.collect()


def test_certificate_can_be_removed(app, seller_client, world):
    product_id = _own_product(app, world)
    with app.app_context():
        make_certification(db.session.get(Product, product_id))
        db.session.commit()
    assert seller_client.post(f"/dashboard/san-pham/{product_id}/chung-nhan/xoa").status_code == 302
    with app.app_context():
        assert count(OcopCertification) == 0


# ------------------------------------------------------------------ service layer


def test_services_validate_every_field_at_once(app, world):
    with app.app_context():
        seller = db.session.get(Seller, world["seller_id"])
        with pytest.raises(cs.ValidationError) as info:
            cs.create_product(seller, {"name": "x", "category_id": None, "price_vnd": 1.5, "unit": ""})
        assert set(info.value.errors) == {"name", "category_id", "price_vnd", "unit"}
        assert info.value.field == "name"
        # Partial update: only the keys given are checked and changed.
        product = cs.create_product(seller, {"name": "Miến dong", "category_id": world["category_id"],
                                             "price_vnd": 60000, "unit": "gói 500 g"})
        cs.update_product(product, {"price_vnd": "65.000"})
        assert (product.price_vnd, product.name) == (65_000, "Miến dong")
        db.session.rollback()


# ---------------------------------------------------------------------------- CSRF


class TestCsrf:
    @pytest.fixture
    def app_config(self, tmp_path):
        return make_test_config(tmp_path, WTF_CSRF_ENABLED=True)

    def test_product_post_without_token_fails_and_saves_nothing(self, app, seller_client, world):
        response = seller_client.post("/dashboard/san-pham/moi", data=product_form(world))
        assert response.status_code == 400
        with app.app_context():
            assert count(Product) == 0
        page = seller_client.get("/dashboard/san-pham/moi").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        ok = seller_client.post("/dashboard/san-pham/moi", data={**product_form(world), "csrf_token": token})
        assert ok.status_code == 302
        with app.app_context():
            assert count(Product) == 1

    def test_archive_without_token_changes_nothing(self, app, seller_client, world):
        product_id = _own_product(app, world, status="published")
        assert seller_client.post(f"/dashboard/san-pham/{product_id}/luu-tru").status_code == 400
        with app.app_context():
            assert db.session.get(Product, product_id).status == "published"


# ------------------------------------------------------------------- price parsing

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from marketplace.text import format_vnd  # noqa: E402


@given(st.integers(min_value=1, max_value=1_000_000_000))
def test_any_price_shown_with_dots_parses_back(amount):
    shown = format_vnd(amount)  # "150.000 ₫"
    assert parse_price_vnd(shown) == amount
    assert parse_price_vnd(shown.replace(" ₫", "").replace(".", "")) == amount


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=1_000_000_001)))
def test_prices_outside_the_range_are_refused(amount):
    with pytest.raises(ValueError):
        parse_price_vnd(str(amount))


@given(st.integers(min_value=1, max_value=999_999), st.integers(min_value=1, max_value=99))
def test_decimal_prices_are_refused(whole, cents):
    # Two decimal places never look like a thousands group.
    for text in (f"{whole},{cents:02d}", f"{whole}.{cents:02d}", f"-{whole}"):
        with pytest.raises(ValueError):
            parse_price_vnd(text)
