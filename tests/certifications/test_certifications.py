"""Certifications beyond OCOP: a seller declares one (a few fields and a scan), staff
verify it in the certificate queue, buyers see the badge only while it is verified and
valid, reminders before expiry, bad input refused with nothing saved changing."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from factories import make_area, make_category, make_product, make_seller, make_seller_certification, make_user
from marketplace.certifications import queries
from marketplace.certifications.models import Certification
from marketplace.extensions import db
from marketplace.staff import services as staff_services
from marketplace.text import today_vn
from media_samples import big_file, png_bytes
from tests.test_photos_views import multipart
from tests.staff.helpers import audit_rows, client_as, mail_texts


@pytest.fixture
def world(app):
    with app.app_context():
        area = make_area(name="Xã Tân Cương", slug="xa-tan-cuong")
        category = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX Chè Hảo Đạt", slug="htx-hao-dat", area=area, email="haodat@example.vn")
        tea = make_product(seller_id=seller.id, category_id=category.id, area_id=area.id,
                           name="Chè búp Tân Cương", slug="che-bup-tan-cuong")
        other = make_product(seller_id=seller.id, category_id=category.id, area_id=area.id,
                             name="Chè móc câu", slug="che-moc-cau")
        stranger = make_seller(name="HTX Khác", slug="htx-khac")
        foreign = make_product(seller_id=stranger.id, category_id=category.id, name="Mật ong", slug="mat-ong")
        ids = {"seller": seller.id, "tea": tea.id, "other": other.id, "foreign": foreign.id,
               "staff": make_user(role="staff").id, "owner": make_user(role="seller", seller_id=seller.id).id,
               "stranger": make_user(role="seller", seller_id=stranger.id).id}
        db.session.commit()
    return ids


def _form(**overrides) -> dict:
    issued = today_vn() - timedelta(days=100)
    data = {"kind": "vietgap", "number": "VietGAP-TT-19-12-0042", "issuer": "Trung tâm Kiểm nghiệm và Chứng nhận",
            "scheme": "", "issued_on": issued.strftime("%d/%m/%Y"),
            "expires_on": (issued + timedelta(days=3 * 365)).strftime("%d/%m/%Y"), "scope": "seller"}
    data.update(overrides)
    return data


def _product_page(client, slug: str) -> str:
    return client.get(f"/san-pham/{slug}").get_data(as_text=True)


def _badges(page: str) -> str:
    """The product's own certification section (related products' cards left out)."""
    start = page.find('<section class="cert-badges"')
    return page[start:page.index("</section>", start)] if start >= 0 else ""


def _api_certs(client, slug: str) -> list[dict]:
    return client.get(f"/api/v1/products/{slug}").get_json()["certifications"]


def test_seller_declares_staff_verify_buyers_see_the_badge(app, world):
    owner = client_as(app, world["owner"])
    data = _form() | {"scan": (io.BytesIO(png_bytes()), "vietgap.png")}
    response = owner.post("/dashboard/chung-nhan/moi", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        cert = db.session.scalars(sa.select(Certification).where(Certification.kind == "vietgap")).one()
        cert_id = cert.id
        assert cert.scan_key and cert.verified_at is None and cert.seller_id == world["seller"]
        (entry,) = audit_rows(object_type="certificate")
        assert entry.action == "certificate.create" and entry.actor_id == world["owner"]
    buyer = app.test_client()
    # Pending: the API says so, the page shows no badge.
    assert "VietGAP-TT-19-12-0042" not in _product_page(buyer, "che-bup-tan-cuong")
    (listed,) = _api_certs(buyer, "che-bup-tan-cuong")
    assert listed["kind"] == "vietgap" and listed["verified"] is False and listed["valid"] is False
    # Staff see it in the queue with its scan, and verify it.
    staff = client_as(app, world["staff"])
    assert "VietGAP" in staff.get("/nhan-vien/chung-nhan?loai=unverified").get_data(as_text=True)
    detail = staff.get(f"/nhan-vien/chung-nhan/{cert_id}").get_data(as_text=True)
    assert f"/dashboard/chung-nhan/{cert_id}/ban-quet" in detail and "VietGAP-TT-19-12-0042" in detail
    scan = staff.get(f"/dashboard/chung-nhan/{cert_id}/ban-quet")
    assert scan.status_code == 200 and scan.mimetype == "image/webp"
    scan.close()
    assert staff.post(f"/nhan-vien/chung-nhan/{cert_id}/xac-minh").status_code == 302
    # Seller-wide: every product of the seller carries it, on its page, its card and the API.
    for slug in ("che-bup-tan-cuong", "che-moc-cau"):
        page = _product_page(buyer, slug)
        assert "cert-badge cert-vietgap" in page and "VietGAP-TT-19-12-0042" in page
        (listed,) = _api_certs(buyer, slug)
        assert listed | {"id": 0} == {
            "id": 0, "kind": "vietgap", "label": "VietGAP", "number": "VietGAP-TT-19-12-0042",
            "issuer": "Trung tâm Kiểm nghiệm và Chứng nhận", "scheme": None, "place": None, "scope": "seller",
            "issued_on": (today_vn() - timedelta(days=100)).isoformat(),
            "valid_until": (today_vn() - timedelta(days=100) + timedelta(days=3 * 365)).isoformat(),
            "verified": True, "valid": True}
    listing = buyer.get("/api/v1/products").get_json()["items"]
    assert {i["slug"]: [c["kind"] for c in i["certifications"]] for i in listing}["che-moc-cau"] == ["vietgap"]
    assert "cert-chip cert-vietgap" in buyer.get("/co-so/htx-hao-dat").get_data(as_text=True)
    assert "cert-badges" not in _product_page(buyer, "mat-ong") and _api_certs(buyer, "mat-ong") == []
    assert any("đã được xác minh" in m for m in mail_texts(app, "haodat@example.vn"))


def test_a_products_scoped_certificate_shows_on_those_products_only(app, world):
    owner = client_as(app, world["owner"])
    response = owner.post("/dashboard/chung-nhan/moi", data=_form(
        kind="organic", scheme="TCVN 11041", number="HC-2025-118", scope="products", product_ids=[world["tea"]]))
    assert response.status_code == 302
    with app.app_context():
        cert = db.session.scalars(sa.select(Certification).where(Certification.kind == "organic")).one()
        staff_services.verify_certificate(cert, actor=None)
        db.session.commit()
    buyer = app.test_client()
    assert "Hữu cơ (TCVN 11041)" in _badges(_product_page(buyer, "che-bup-tan-cuong"))
    assert _badges(_product_page(buyer, "che-moc-cau")) == ""


def test_a_geographical_indication_has_no_expiry_and_stays_valid(app, world):
    owner = client_as(app, world["owner"])
    refused = owner.post("/dashboard/chung-nhan/moi", data=_form(
        kind="geographical_indication", number="00013", issuer="Cục Sở hữu trí tuệ", issued_on="01/06/2007",
        expires_on="01/06/2027"))
    assert refused.status_code == 400
    assert "Chỉ dẫn địa lý được bảo hộ không thời hạn" in refused.get_data(as_text=True)
    response = owner.post("/dashboard/chung-nhan/moi", data=_form(
        kind="geographical_indication", number="00013", issuer="Cục Sở hữu trí tuệ", issued_on="01/06/2007",
        expires_on=""))
    assert response.status_code == 302
    with app.app_context():
        cert = db.session.scalars(sa.select(Certification)).one()
        assert cert.expires_on is None
        staff = client_as(app, world["staff"])
        assert "Chỉ dẫn địa lý" in staff.get("/nhan-vien/chung-nhan?loai=unverified").get_data(as_text=True)
        staff_services.verify_certificate(cert, actor=None)
        db.session.commit()
        product = db.session.get(type(cert).product.property.mapper.class_, world["tea"])
        assert [c.kind for c in queries.for_product(product, valid_only=True)] == ["geographical_indication"]
    assert _api_certs(app.test_client(), "che-bup-tan-cuong")[0]["valid_until"] is None


@pytest.mark.parametrize("overrides, field, message", [
    ({"expires_on": "01/01/2020", "issued_on": "01/06/2021"}, "expires_on", "Ngày hết hạn phải sau ngày cấp."),
    ({"issued_on": "01/01/2099"}, "issued_on", "Ngày cấp không được sau hôm nay."),
    ({"issued_on": "31/02/2024"}, "issued_on", "Ngày cấp không hợp lệ (dd/mm/yyyy)."),
    ({"kind": "organic"}, "scheme", "Vui lòng ghi tiêu chuẩn hữu cơ"),
    ({"kind": "ocop"}, "kind", "Chứng nhận OCOP khai báo ở trang chứng nhận của từng sản phẩm."),
    ({"number": ""}, "number", "Vui lòng nhập số chứng nhận"),
    ({"expires_on": ""}, "expires_on", "Vui lòng nhập ngày hết hạn"),
    ({"scope": "products"}, "product_ids", "Chọn ít nhất một sản phẩm"),
])
def test_bad_input_is_refused_in_vietnamese_and_nothing_saved_changes(app, world, overrides, field, message):
    with app.app_context():
        kept = make_seller_certification(db.session.get(type(make_seller()), world["seller"]), "globalgap",
                                         number="GGN-4063061234567")
        kept_id, verified_at = kept.id, kept.verified_at
        db.session.commit()
    owner = client_as(app, world["owner"])
    for url in ("/dashboard/chung-nhan/moi", f"/dashboard/chung-nhan/{kept_id}"):
        response = owner.post(url, data=_form(**overrides))
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    with app.app_context():
        (cert,) = db.session.scalars(sa.select(Certification)).all()
        assert cert.number == "GGN-4063061234567" and cert.kind == "globalgap"
        assert cert.verified_at.replace(tzinfo=None) == verified_at.replace(tzinfo=None)


def test_another_sellers_product_or_certificate_is_refused(app, world):
    owner = client_as(app, world["owner"])
    response = owner.post("/dashboard/chung-nhan/moi", data=_form(scope="products", product_ids=[world["foreign"]]))
    assert response.status_code == 400
    with app.app_context():
        cert = make_seller_certification(db.session.get(type(make_seller()), world["seller"]), "vietgap")
        cert_id = cert.id
        db.session.commit()
    stranger = client_as(app, world["stranger"])
    assert stranger.get(f"/dashboard/chung-nhan/{cert_id}").status_code == 404
    assert stranger.post(f"/dashboard/chung-nhan/{cert_id}/xoa").status_code == 404
    assert stranger.get(f"/dashboard/chung-nhan/{cert_id}/ban-quet").status_code == 404


def test_a_40_mb_scan_is_refused_and_an_11_mb_one_named(app, world):
    with app.app_context():
        cert = make_seller_certification(db.session.get(type(make_seller()), world["seller"]), "vietgap",
                                         number="VG-1")
        cert_id = cert.id
        db.session.commit()
    owner = client_as(app, world["owner"])
    for size, status, message in ((40 * 1024 * 1024, 413, "Tệp tải lên quá lớn"),
                                  (11 * 1024 * 1024, 400, "Tệp quét chứng nhận tối đa 10 MB.")):
        body, content_type = multipart([("scan", "scan.jpg", big_file(size))], **_form(number="VG-2"))
        response = owner.post(f"/dashboard/chung-nhan/{cert_id}", data=body, content_type=content_type)
        assert response.status_code == status and message in response.get_data(as_text=True)
    with app.app_context():
        cert = db.session.get(Certification, cert_id)
        assert cert.number == "VG-1" and cert.scan_key is None and cert.verified_at is not None


def test_expired_certificate_shows_no_badge_the_vietnamese_day_after(app, world):
    with app.app_context():
        seller = db.session.get(type(make_seller()), world["seller"])
        make_seller_certification(seller, "haccp_iso22000", number="HACCP-77",
                                  issued_on=today_vn() - timedelta(days=400), expires_on=today_vn())
        db.session.commit()
    assert "HACCP-77" in _product_page(app.test_client(), "che-bup-tan-cuong")  # valid through its last day
    with app.app_context():
        cert = db.session.scalars(sa.select(Certification)).one()
        cert.expires_on = today_vn() - timedelta(days=1)
        db.session.commit()
    assert "HACCP-77" not in _product_page(app.test_client(), "che-bup-tan-cuong")
    assert _api_certs(app.test_client(), "che-bup-tan-cuong") == []


def test_reminders_before_expiry_for_every_kind_once(app, world):
    with app.app_context():
        seller = db.session.get(type(make_seller()), world["seller"])
        make_seller_certification(seller, "globalgap", number="GGN-1", issued_on=today_vn() - timedelta(days=700),
                                  expires_on=today_vn() + timedelta(days=30))
        make_seller_certification(seller, "geographical_indication", number="00013")  # never expires
        db.session.commit()
        assert staff_services.send_due_reminders(today_vn()) == (1, 0, 0)
        assert staff_services.send_due_reminders(today_vn()) == (0, 0, 0)
    (text,) = [m for m in mail_texts(app, "haodat@example.vn") if "sắp hết hạn" in m]
    assert "Chứng nhận GlobalGAP số GGN-1" in text and "còn 30 ngày" in text


def test_staff_reject_with_a_reason_the_seller_sees_and_an_edit_requeues(app, world):
    with app.app_context():
        seller = db.session.get(type(make_seller()), world["seller"])
        cert = make_seller_certification(seller, "collective_mark", number="4-0123456-000", verified_at=None)
        cert_id = cert.id
        db.session.commit()
    staff = client_as(app, world["staff"])
    staff.post(f"/nhan-vien/chung-nhan/{cert_id}/tu-choi", data={"reason": "Bản quét không đọc được."})
    owner = client_as(app, world["owner"])
    assert "Bản quét không đọc được." in owner.get(f"/dashboard/chung-nhan/{cert_id}").get_data(as_text=True)
    assert any("Bản quét không đọc được." in m for m in mail_texts(app, "haodat@example.vn"))
    assert owner.post(f"/dashboard/chung-nhan/{cert_id}", data=_form(
        kind="collective_mark", number="4-0123456-001", issuer="Cục Sở hữu trí tuệ")).status_code == 302
    with app.app_context():
        cert = db.session.get(Certification, cert_id)
        assert cert.rejected_at is None and cert.review_note is None
    assert "4-0123456-001" in staff.get("/nhan-vien/chung-nhan?loai=unverified").get_data(as_text=True)


def test_seller_certifications_and_for_product_queries(app, world):
    from marketplace.catalog.models import Product
    from factories import make_certification

    with app.app_context():
        seller = db.session.get(type(make_seller()), world["seller"])
        tea = db.session.get(Product, world["tea"])
        ocop = make_certification(tea, stars=4)
        vietgap = make_seller_certification(seller, "vietgap")
        pending = make_seller_certification(seller, "organic", products=[tea], verified_at=None)
        make_seller_certification(seller, "globalgap", expires_on=today_vn() - timedelta(days=1),
                                  issued_on=today_vn() - timedelta(days=900))
        db.session.commit()
        mine = db.session.scalars(queries.seller_certifications(seller.id)).all()
        assert [c.kind for c in mine] == ["ocop", "vietgap", "globalgap", "organic"]
        usable = db.session.scalars(queries.seller_certifications(seller.id, usable_only=True)).all()
        assert {c.id for c in usable} == {ocop.id, vietgap.id, pending.id}
        assert [(c.kind, c.state) for c in queries.for_product(tea)] == [
            ("ocop", "verified"), ("vietgap", "verified"), ("globalgap", "expired"), ("organic", "pending")]
        other = db.session.get(Product, world["other"])
        assert [c.kind for c in queries.for_product(other, valid_only=True)] == ["vietgap"]
        assert queries.valid_kinds_by_product([tea.id, other.id]) == {tea.id: {"ocop", "vietgap"},
                                                                        other.id: {"vietgap"}}
