"""Pending revisions: a seller's change of name, description or category of a published
product waits for staff while the approved version stays public — and never leaks to
pages, the API, search results or suggestions."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from factories import make_area, make_category, make_product, make_seller, make_user
from marketplace.catalog.models import Product, ProductRevision
from marketplace.extensions import db
from tests.staff.helpers import audit_rows, client_as, mail_texts, search_ids, suggestion_texts

SECRET = "Xoàimaniac"  # a word found nowhere else, proposed in the pending revision


@pytest.fixture
def world(app):
    with app.app_context():
        area = make_area(name="Xã La Bằng", slug="xa-la-bang")
        tea = make_category(name="Chè", slug="che")
        honey = make_category(name="Mật ong", slug="mat-ong")
        seller = make_seller(name="HTX Chè La Bằng", slug="htx-la-bang", area=area, email="labang@example.vn")
        product = make_product(seller_id=seller.id, category_id=tea.id, area_id=area.id, name="Chè búp La Bằng",
                               slug="che-bup-la-bang", description="Chè búp hái tay.", price_vnd=200_000)
        draft = make_product(seller_id=seller.id, category_id=tea.id, area_id=area.id, status="draft",
                             name="Chè nháp La Bằng", slug="che-nhap-la-bang")
        ids = {"product": product.id, "draft": draft.id, "tea": tea.id, "honey": honey.id, "area": area.id,
               "owner": make_user(role="seller", seller_id=seller.id).id,
               "staff": make_user(role="staff").id}
        db.session.commit()
    return ids


def _form(world, **kw) -> dict:
    data = {"name": "Chè búp La Bằng", "category_id": str(world["tea"]), "price_vnd": "200.000",
            "unit": "hộp 200 g", "code": "", "area_id": str(world["area"]), "description": "Chè búp hái tay.",
            "rural_level": "", "rural_year": ""}
    data.update(kw)
    return data


def _assert_not_leaked(app, word: str) -> None:
    client = app.test_client()
    folded = "xoaimaniac"
    page = client.get("/san-pham/che-bup-la-bang")
    assert page.status_code == 200 and word not in page.get_data(as_text=True)
    assert word not in client.get("/api/v1/products/che-bup-la-bang").get_data(as_text=True)
    listing = client.get("/api/v1/products", query_string={"q": folded}).get_json()
    assert listing["items"] == [] and listing["total"] == 0
    assert word not in client.get("/san-pham", query_string={"q": folded}).get_data(as_text=True)
    assert word not in client.get("/danh-muc/mat-ong").get_data(as_text=True)
    assert "che-bup-la-bang" not in client.get("/danh-muc/mat-ong").get_data(as_text=True)
    assert not any(folded in s.lower() or word in s for s in suggestion_texts(client, "xoaim"))
    with app.app_context():
        assert search_ids(folded) == set()
        assert search_ids("", categories=("mat-ong",)) == set()


def test_pending_revision_never_leaks_and_the_approved_version_stays_public(app, world):
    owner = client_as(app, world["owner"])
    response = owner.post(f"/dashboard/san-pham/{world['product']}",
                          data=_form(world, name=f"Chè {SECRET} La Bằng", category_id=str(world["honey"]),
                                     description=f"Mô tả mới {SECRET}.", price_vnd="210.000"))
    assert response.status_code == 302
    with app.app_context():
        product = db.session.get(Product, world["product"])
        # Routine fields are live at once, reviewed ones wait.
        assert (product.name, product.category_id, product.price_vnd, product.status) == (
            "Chè búp La Bằng", world["tea"], 210_000, "published")
        (revision,) = db.session.scalars(sa.select(ProductRevision)).all()
        assert revision.fields == {"name": f"Chè {SECRET} La Bằng", "category_id": world["honey"],
                                   "description": f"Mô tả mới {SECRET}."}
        assert world["product"] in search_ids("che bup la bang")
    _assert_not_leaked(app, SECRET)

    # The seller sees the side-by-side, and the form shows what it proposed.
    page = owner.get(f"/dashboard/san-pham/{world['product']}").get_data(as_text=True)
    assert "Thay đổi đang chờ duyệt" in page and "Chè búp La Bằng" in page and f"Chè {SECRET} La Bằng" in page
    assert f'value="Chè {SECRET} La Bằng"' in page
    assert "Có thay đổi chờ duyệt" in owner.get("/dashboard/").get_data(as_text=True)
    # Staff see it too, in the queue and on the product.
    staff = client_as(app, world["staff"])
    queue = staff.get("/nhan-vien/ban-sua").get_data(as_text=True)
    assert "Đang hiển thị (đã duyệt)" in queue and f"Chè {SECRET} La Bằng" in queue and "Mật ong" in queue
    assert 'id="count-revisions">1<' in staff.get("/nhan-vien/").get_data(as_text=True)


def test_second_edit_updates_the_pending_revision_and_going_back_withdraws_it(app, world):
    owner = client_as(app, world["owner"])
    url = f"/dashboard/san-pham/{world['product']}"
    owner.post(url, data=_form(world, name="Chè búp La Bằng mới"))
    owner.post(url, data=_form(world, name="Chè búp La Bằng mới hơn", description="Mô tả khác."))
    with app.app_context():
        (revision,) = db.session.scalars(sa.select(ProductRevision)).all()
        assert revision.status == "pending"
        assert revision.fields == {"name": "Chè búp La Bằng mới hơn", "description": "Mô tả khác."}
        assert db.session.get(Product, world["product"]).name == "Chè búp La Bằng"
    owner.post(url, data=_form(world))  # back to the approved values
    with app.app_context():
        assert db.session.scalars(sa.select(ProductRevision)).all() == []
        assert [e.action for e in audit_rows(object_type="product")] == [
            "product.revision_propose", "product.revision_propose", "product.revision_withdraw"]


def test_approval_publishes_the_revision_everywhere(app, world):
    owner = client_as(app, world["owner"])
    owner.post(f"/dashboard/san-pham/{world['product']}",
               data=_form(world, name=f"Chè {SECRET} La Bằng", category_id=str(world["honey"])))
    with app.app_context():
        revision_id = db.session.scalar(sa.select(ProductRevision.id))
    staff = client_as(app, world["staff"])
    assert staff.post(f"/nhan-vien/ban-sua/{revision_id}/duyet").status_code == 302
    client = app.test_client()
    with app.app_context():
        product = db.session.get(Product, world["product"])
        assert (product.name, product.category_id, product.status) == (f"Chè {SECRET} La Bằng", world["honey"], "published")
        assert search_ids("xoaimaniac") == {product.id}
        assert search_ids("", categories=("mat-ong",)) == {product.id}
        slug = product.slug
        (entry,) = [e for e in audit_rows(object_type="product") if e.action == "product.revision_approve"]
        assert entry.changes == {"name": ["Chè búp La Bằng", f"Chè {SECRET} La Bằng"],
                                 "category_id": [world["tea"], world["honey"]]}
        assert db.session.get(ProductRevision, revision_id).status == "approved"
    assert SECRET in client.get(f"/san-pham/{slug}").get_data(as_text=True)
    assert client.get(f"/api/v1/products/{slug}").get_json()["name"] == f"Chè {SECRET} La Bằng"
    assert any(SECRET in s for s in suggestion_texts(client, "xoaim"))
    assert any("đã được duyệt" in m for m in mail_texts(app, "labang@example.vn"))
    # Deciding twice is refused.
    staff.post(f"/nhan-vien/ban-sua/{revision_id}/tu-choi", data={"reason": "Muộn."})
    with app.app_context():
        assert db.session.get(ProductRevision, revision_id).status == "approved"


def test_rejection_keeps_the_old_version_and_shows_the_reason(app, world):
    owner = client_as(app, world["owner"])
    owner.post(f"/dashboard/san-pham/{world['product']}", data=_form(world, name=f"Chè {SECRET} La Bằng"))
    with app.app_context():
        revision_id = db.session.scalar(sa.select(ProductRevision.id))
    staff = client_as(app, world["staff"])
    staff.post(f"/nhan-vien/ban-sua/{revision_id}/tu-choi", data={"reason": ""})
    with app.app_context():
        assert db.session.get(ProductRevision, revision_id).status == "pending"  # a reason is required
    staff.post(f"/nhan-vien/ban-sua/{revision_id}/tu-choi", data={"reason": "Tên không đúng nhãn đã đăng ký."})
    with app.app_context():
        assert db.session.get(Product, world["product"]).name == "Chè búp La Bằng"
        revision = db.session.get(ProductRevision, revision_id)
        assert (revision.status, revision.reason) == ("rejected", "Tên không đúng nhãn đã đăng ký.")
    _assert_not_leaked(app, SECRET)
    page = owner.get(f"/dashboard/san-pham/{world['product']}").get_data(as_text=True)
    assert "Thay đổi không được duyệt" in page and "Tên không đúng nhãn đã đăng ký." in page
    assert 'value="Chè búp La Bằng"' in page  # the form is back to the public version
    assert any("Tên không đúng nhãn đã đăng ký." in m for m in mail_texts(app, "labang@example.vn"))


def test_unpublished_products_are_edited_directly(app, world):
    owner = client_as(app, world["owner"])
    owner.post(f"/dashboard/san-pham/{world['draft']}",
               data=_form(world, name="Chè nháp đổi tên", description="Khác."))
    with app.app_context():
        product = db.session.get(Product, world["draft"])
        assert (product.name, product.description, product.status) == ("Chè nháp đổi tên", "Khác.", "draft")
        assert db.session.scalars(sa.select(ProductRevision)).all() == []
