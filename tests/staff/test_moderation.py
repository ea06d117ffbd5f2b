"""Staff moderation of sellers and products: decisions, reasons the seller sees and is
mailed, their effect on public pages, the API and search, and the audit log."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from factories import make_area, make_category, make_product, make_seller, make_user
from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.sellers.models import Seller
from tests.staff.helpers import audit_rows, client_as, mail_texts, search_ids


@pytest.fixture
def world(app):
    with app.app_context():
        area = make_area(name="Xã Tân Cương", slug="xa-tan-cuong")
        category = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX Chè Hảo Đạt", slug="htx-hao-dat", area=area, email="haodat@example.vn")
        pending_seller = make_seller(name="HTX Mới Đăng Ký", slug="htx-moi", area=area, status="pending",
                                     email="moi@example.vn")
        ids = {
            "seller": seller.id,
            "pending_seller": pending_seller.id,
            "category": category.id,
            "published": make_product(seller_id=seller.id, category_id=category.id, area_id=area.id,
                                      name="Chè móc câu Hảo Đạt", slug="che-moc-cau-hao-dat").id,
            "published2": make_product(seller_id=seller.id, category_id=category.id, area_id=area.id,
                                       name="Chè nõn tôm Hảo Đạt", slug="che-non-tom-hao-dat").id,
            "pending": make_product(seller_id=seller.id, category_id=category.id, area_id=area.id, status="pending",
                                    name="Chè búp xuân Hảo Đạt", slug="che-bup-xuan-hao-dat").id,
            "pending2": make_product(seller_id=seller.id, category_id=category.id, area_id=area.id, status="pending",
                                     name="Chè đinh ngọc Hảo Đạt", slug="che-dinh-ngoc-hao-dat").id,
            "draft": make_product(seller_id=seller.id, category_id=category.id, area_id=area.id, status="draft",
                                  name="Chè thử nghiệm nháp", slug="che-thu-nghiem-nhap").id,
            "rejected": make_product(seller_id=seller.id, category_id=category.id, area_id=area.id,
                                     status="rejected", name="Chè bị từ chối trước", slug="che-bi-tu-choi").id,
            "new_seller_product": make_product(seller_id=pending_seller.id, category_id=category.id, area_id=area.id,
                                               name="Mật ong rừng Võ Nhai", slug="mat-ong-rung-vo-nhai").id,
        }
        ids["staff"] = make_user(role="staff", email="canbo@example.vn").id
        ids["owner"] = make_user(role="seller", seller_id=seller.id).id
        ids["new_owner"] = make_user(role="seller", seller_id=pending_seller.id).id
        db.session.commit()
    return ids


def _public_page_ok(client, slug: str) -> bool:
    page = client.get(f"/san-pham/{slug}").status_code
    api = client.get(f"/api/v1/products/{slug}").status_code
    assert (page == 200) == (api == 200), (page, api)
    return page == 200


def test_home_counts_link_to_queues(app, world):
    staff = client_as(app, world["staff"])
    page = staff.get("/nhan-vien/").get_data(as_text=True)
    assert 'id="count-sellers">1<' in page and 'id="count-products">2<' in page
    assert 'href="/nhan-vien/co-so?loai=pending"' in page and 'href="/nhan-vien/san-pham?loai=pending"' in page
    queue = staff.get("/nhan-vien/san-pham?loai=pending").get_data(as_text=True)
    assert "Chè búp xuân Hảo Đạt" in queue and "Chè móc câu Hảo Đạt" not in queue
    assert 'name="ids"' in queue and 'name="csrf_token"' in queue


def test_approve_pending_seller_makes_its_products_public_and_mails_it(app, world):
    client = app.test_client()
    assert not _public_page_ok(client, "mat-ong-rung-vo-nhai")
    staff = client_as(app, world["staff"])
    response = staff.post(f"/nhan-vien/co-so/{world['pending_seller']}/duyet")
    assert response.status_code == 302
    assert _public_page_ok(client, "mat-ong-rung-vo-nhai")
    with app.app_context():
        assert world["new_seller_product"] in search_ids("mat ong vo nhai")
        (entry,) = audit_rows(object_type="seller", object_id=world["pending_seller"])
        assert (entry.action, entry.actor_id, entry.changes["status"]) == (
            "seller.approve", world["staff"], ["pending", "approved"])
    (mail,) = mail_texts(app, "moi@example.vn")
    assert "đã được duyệt" in mail


def test_reject_seller_needs_a_reason_which_the_seller_sees_and_receives(app, world):
    staff = client_as(app, world["staff"])
    url = f"/nhan-vien/co-so/{world['pending_seller']}/tu-choi"
    response = staff.post(url, data={"reason": "  "}, follow_redirects=True)
    assert "Vui lòng ghi lý do" in response.get_data(as_text=True)
    with app.app_context():
        assert audit_rows(object_type="seller") == []
        assert db.session.get(Seller, world["pending_seller"]).rejected_at is None
    assert mail_texts(app, "moi@example.vn") == []

    staff.post(url, data={"reason": "Thiếu giấy đăng ký kinh doanh."})
    with app.app_context():
        seller = db.session.get(Seller, world["pending_seller"])
        assert (seller.status, seller.review_note) == ("pending", "Thiếu giấy đăng ký kinh doanh.")
        (entry,) = audit_rows(object_type="seller")
        assert entry.action == "seller.reject" and entry.reason == "Thiếu giấy đăng ký kinh doanh."
    # Out of the pending queue, in the "rejected" one.
    assert "HTX Mới Đăng Ký" not in staff.get("/nhan-vien/co-so?loai=pending").get_data(as_text=True)
    assert "HTX Mới Đăng Ký" in staff.get("/nhan-vien/co-so?loai=rejected").get_data(as_text=True)
    (mail,) = mail_texts(app, "moi@example.vn")
    assert "Thiếu giấy đăng ký kinh doanh." in mail
    dashboard = client_as(app, world["new_owner"]).get("/dashboard/").get_data(as_text=True)
    assert "Thiếu giấy đăng ký kinh doanh." in dashboard


def test_bulk_approve_and_reject_products(app, world):
    staff = client_as(app, world["staff"])
    ids = [world["pending"], world["pending2"]]
    # Rejecting needs a reason: the whole batch is refused without one.
    staff.post("/nhan-vien/san-pham/hang-loat", data={"ids": ids, "decision": "reject", "reason": ""})
    with app.app_context():
        assert {db.session.get(Product, i).status for i in ids} == {"pending"}
    response = staff.post("/nhan-vien/san-pham/hang-loat", data={"ids": ids, "decision": "approve"})
    assert response.status_code == 302
    client = app.test_client()
    assert _public_page_ok(client, "che-bup-xuan-hao-dat") and _public_page_ok(client, "che-dinh-ngoc-hao-dat")
    with app.app_context():
        assert set(ids) <= search_ids("hao dat")
        assert [e.action for e in audit_rows(object_type="product")] == ["product.approve", "product.approve"]
        assert {e.object_id for e in audit_rows(object_type="product")} == set(ids)
    assert len(mail_texts(app, "haodat@example.vn")) == 2
    # A second bulk on the same (now published) rows decides nothing and says why.
    page = staff.post("/nhan-vien/san-pham/hang-loat", data={"ids": ids, "decision": "approve"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Đã xử lý 0 mục." in page and "Chỉ duyệt được sản phẩm đang chờ duyệt." in page


def test_bulk_reject_with_reason_reaches_the_seller(app, world):
    staff = client_as(app, world["staff"])
    staff.post("/nhan-vien/san-pham/hang-loat",
               data={"ids": [world["pending"]], "decision": "reject", "reason": "Ảnh không rõ nhãn mác."})
    with app.app_context():
        product = db.session.get(Product, world["pending"])
        assert (product.status, product.review_note) == ("rejected", "Ảnh không rõ nhãn mác.")
    owner = client_as(app, world["owner"])
    assert "Ảnh không rõ nhãn mác." in owner.get(f"/dashboard/san-pham/{world['pending']}").get_data(as_text=True)
    assert any("Ảnh không rõ nhãn mác." in m for m in mail_texts(app, "haodat@example.vn"))


def test_take_down_hides_at_once_everywhere(app, world):
    client = app.test_client()
    assert _public_page_ok(client, "che-moc-cau-hao-dat")
    staff = client_as(app, world["staff"])
    staff.post(f"/nhan-vien/san-pham/{world['published']}/go-xuong", data={"reason": "Sai thông tin xuất xứ."})
    assert not _public_page_ok(client, "che-moc-cau-hao-dat")
    with app.app_context():
        assert world["published"] not in search_ids("moc cau")
        (entry,) = audit_rows(object_type="product", object_id=world["published"])
        assert entry.action == "product.take_down"
        assert entry.changes == {"status": ["published", "rejected"], "review_note": [None, "Sai thông tin xuất xứ."]}
    api = client.get("/api/v1/products", query_string={"q": "moc cau"}).get_json()
    assert all(item["slug"] != "che-moc-cau-hao-dat" for item in api["items"])
    assert any("Sai thông tin xuất xứ." in m for m in mail_texts(app, "haodat@example.vn"))


def test_suspend_hides_every_product_and_reinstate_restores_exactly_the_previous_set(app, world):
    client = app.test_client()
    with app.app_context():
        statuses_before = dict(db.session.execute(
            sa.select(Product.id, Product.status).where(Product.seller_id == world["seller"])).all())
        visible_before = search_ids("", seller="htx-hao-dat")
    assert visible_before == {world["published"], world["published2"]}
    staff = client_as(app, world["staff"])
    # A reason is required.
    staff.post(f"/nhan-vien/co-so/{world['seller']}/tam-ngung", data={"reason": ""})
    assert _public_page_ok(client, "che-moc-cau-hao-dat")
    staff.post(f"/nhan-vien/co-so/{world['seller']}/tam-ngung", data={"reason": "Khiếu nại về chất lượng."})
    for slug in ("che-moc-cau-hao-dat", "che-non-tom-hao-dat"):
        assert not _public_page_ok(client, slug)
    assert client.get("/co-so/htx-hao-dat").status_code == 404
    with app.app_context():
        assert search_ids("hao dat") == set()
        assert search_ids("", seller="htx-hao-dat") == set()
    assert "Khiếu nại về chất lượng." in client_as(app, world["owner"]).get("/dashboard/").get_data(as_text=True)

    staff.post(f"/nhan-vien/co-so/{world['seller']}/khoi-phuc", data={"reason": ""})
    with app.app_context():
        statuses_after = dict(db.session.execute(
            sa.select(Product.id, Product.status).where(Product.seller_id == world["seller"])).all())
        assert statuses_after == statuses_before  # no product status was touched
        assert search_ids("", seller="htx-hao-dat") == visible_before
        assert [e.action for e in audit_rows(object_type="seller", object_id=world["seller"])] == [
            "seller.suspend", "seller.reinstate"]
    assert _public_page_ok(client, "che-moc-cau-hao-dat") and _public_page_ok(client, "che-non-tom-hao-dat")
    for slug in ("che-bup-xuan-hao-dat", "che-thu-nghiem-nhap", "che-bi-tu-choi"):
        assert not _public_page_ok(client, slug)
    texts = mail_texts(app, "haodat@example.vn")
    assert len(texts) == 2 and "tạm ngừng" in texts[0] and "khôi phục" in texts[1]


def test_edit_on_behalf_is_applied_at_once_and_recorded_as_such(app, world):
    staff = client_as(app, world["staff"])
    data = {"name": "Chè móc câu Hảo Đạt loại 1", "category_id": str(world["category"]), "price_vnd": "280.000",
            "unit": "hộp 200 g", "code": "", "area_id": "", "description": "Sản phẩm dùng trong kiểm thử.",
            "rural_level": "", "rural_year": "", "reason": "Người bán nhờ sửa qua điện thoại."}
    response = staff.post(f"/nhan-vien/san-pham/{world['published']}/sua", data=data)
    assert response.status_code == 302
    with app.app_context():
        product = db.session.get(Product, world["published"])
        assert (product.name, product.price_vnd, product.status) == ("Chè móc câu Hảo Đạt loại 1", 280_000, "published")
        (entry,) = audit_rows(object_type="product", object_id=product.id)
        assert (entry.action, entry.actor_id, entry.actor_role) == ("product.edit_on_behalf", world["staff"], "staff")
        assert entry.changes["name"] == ["Chè móc câu Hảo Đạt", "Chè móc câu Hảo Đạt loại 1"]
        assert entry.changes["price_vnd"] == [150_000, 280_000]
        assert entry.reason == "Người bán nhờ sửa qua điện thoại."
        assert world["published"] in search_ids("loai 1 hao dat")
    # Bad input: a Vietnamese message, nothing saved.
    response = staff.post(f"/nhan-vien/san-pham/{world['published']}/sua", data={**data, "price_vnd": "12,5"})
    assert response.status_code == 400 and "Giá phải là số nguyên" in response.get_data(as_text=True)


def test_wrong_state_decision_is_refused_without_change(app, world):
    staff = client_as(app, world["staff"])
    page = staff.post(f"/nhan-vien/san-pham/{world['draft']}/duyet", follow_redirects=True).get_data(as_text=True)
    assert "Chỉ duyệt được sản phẩm đang chờ duyệt." in page
    with app.app_context():
        assert db.session.get(Product, world["draft"]).status == "draft"
        assert audit_rows() == []
    assert staff.post("/nhan-vien/san-pham/999999/duyet").status_code == 404


def test_cli_stand_ins_use_the_same_services(app, world):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["sellers", "approve", "htx-moi"]).exit_code == 0
    assert runner.invoke(args=["products", "publish", str(world["pending"])]).exit_code == 0
    result = runner.invoke(args=["products", "reject", str(world["pending2"]), "--reason", "Thiếu ảnh."])
    assert result.exit_code == 0, result.output
    # The same state rules as the staff pages.
    result = runner.invoke(args=["products", "publish", str(world["draft"])])
    assert result.exit_code != 0 and "Chỉ duyệt được" in result.output
    with app.app_context():
        assert [(e.action, e.actor_id, e.actor_role) for e in audit_rows()] == [
            ("seller.approve", None, "system"), ("product.approve", None, "system"), ("product.reject", None, "system")]
        assert db.session.get(Product, world["pending2"]).review_note == "Thiếu ảnh."
    assert len(mail_texts(app, "moi@example.vn")) == 1
    assert len(mail_texts(app, "haodat@example.vn")) == 2


def test_staff_pages_speak_english_on_request(app, world):
    staff = client_as(app, world["staff"])
    page = staff.get("/nhan-vien/?lang=en").get_data(as_text=True)
    assert "products awaiting review" in page and "Pending revisions" in page and "Audit log" in page
    page = staff.get(f"/nhan-vien/san-pham/{world['published']}").get_data(as_text=True)
    assert "Take down now" in page and "Edit on the seller" in page


def test_decisions_need_the_csrf_token(csrf_app):
    with csrf_app.app_context():
        seller = make_seller(status="pending")
        product = make_product(seller_id=seller.id, status="pending")
        staff_id = make_user(role="staff").id
        db.session.commit()
        ids = (seller.id, product.id)
    staff = client_as(csrf_app, staff_id)
    assert staff.post(f"/nhan-vien/co-so/{ids[0]}/duyet").status_code == 400
    assert staff.post("/nhan-vien/san-pham/hang-loat", data={"ids": [ids[1]], "decision": "approve"}).status_code == 400
    with csrf_app.app_context():
        assert db.session.get(Seller, ids[0]).status == "pending"
        assert db.session.get(Product, ids[1]).status == "pending"
        assert audit_rows() == []
