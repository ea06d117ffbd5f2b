"""The audit log: one entry per action with the right before/after, seller changes to
public data included, and the staff browser with its filters (read only)."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from PIL import Image

from factories import make_area, make_category, make_certification, make_product, make_seller, make_user
from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from tests.staff.helpers import audit_rows, client_as


@pytest.fixture
def world(app):
    with app.app_context():
        area = make_area(name="Phường Phan Đình Phùng", slug="phan-dinh-phung")
        category = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX Chè Sông Cầu", slug="htx-song-cau", area=area, email="songcau@example.vn")
        product = make_product(seller_id=seller.id, category_id=category.id, area_id=area.id,
                               name="Chè Sông Cầu", slug="che-song-cau", price_vnd=150_000)
        cert = make_certification(product, stars=4, decision_number="55/QĐ-UBND")
        ids = {"seller": seller.id, "product": product.id, "cert": cert.id, "category": category.id, "area": area.id,
               "owner": make_user(role="seller", seller_id=seller.id, email="chu@example.vn").id,
               "staff": make_user(role="staff", email="canbo@example.vn").id}
        db.session.commit()
    return ids


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_seller_changes_to_public_data_are_audited_once_each(app, world):
    owner = client_as(app, world["owner"])
    # A price edit: live, one entry with before/after of the changed field only.
    owner.post(f"/dashboard/san-pham/{world['product']}", data={
        "name": "Chè Sông Cầu", "category_id": str(world["category"]), "price_vnd": "165.000", "unit": "hộp 200 g",
        "code": "", "area_id": str(world["area"]), "description": "Sản phẩm dùng trong kiểm thử.",
        "rural_level": "", "rural_year": ""})
    # A photo.
    owner.post(f"/dashboard/san-pham/{world['product']}/anh",
               data={"photos": (io.BytesIO(_png()), "anh.png")}, content_type="multipart/form-data")
    # The certificate.
    owner.post(f"/dashboard/san-pham/{world['product']}/chung-nhan", data={
        "stars": "5", "score": "91", "product_group": "thuc-pham", "decision_number": "55/QĐ-UBND",
        "issued_on": "01/06/2024", "issuing_level": "central", "issuing_body": "Bộ Nông nghiệp và Môi trường"})
    # The profile.
    owner.post("/dashboard/ho-so", data={"kind": "cooperative", "name": "HTX Chè Sông Cầu", "address": "Xóm 2",
                                         "area_id": str(world["area"]), "phone": "0987 654 321",
                                         "email": "songcau@example.vn"})
    with app.app_context():
        entries = audit_rows(actor_id=world["owner"])
        assert [e.action for e in entries] == [
            "product.update", "product.photo_add", "certificate.update", "seller.update"]
        update, photo, cert, profile = entries
        assert update.changes == {"price_vnd": [150_000, 165_000]} and update.object_id == world["product"]
        assert photo.changes["photos"][0] == [] and len(photo.changes["photos"][1]) == 1
        assert cert.changes["stars"] == [4, 5] and cert.changes["verified_at"][1] is None
        assert profile.changes["phone"] == ["0912345678", "0987654321"]
        assert {"kind", "name", "email"}.isdisjoint(profile.changes)  # unchanged fields are not kept
        assert all(e.actor_role == "seller" for e in entries)


def test_a_failed_edit_records_nothing(app, world):
    owner = client_as(app, world["owner"])
    response = owner.post(f"/dashboard/san-pham/{world['product']}", data={
        "name": "Chè Sông Cầu", "category_id": str(world["category"]), "price_vnd": "12,5", "unit": "hộp 200 g"})
    assert response.status_code == 400
    with app.app_context():
        assert audit_rows() == []


def _entry(actor_id, action, object_type, object_id, created_at) -> None:
    db.session.add(AuditEntry(actor_id=actor_id, actor_role="staff" if actor_id else "system", action=action,
                              object_type=object_type, object_id=object_id, changes={"status": ["a", "b"]},
                              created_at=created_at))


def test_audit_browser_filters_by_user_object_action_and_vietnamese_dates(app, world):
    with app.app_context():
        # 31/03/2026 16:30 UTC = 31/03 23:30 in Hà Nội; 17:30 UTC = 01/04 00:30.
        _entry(world["staff"], "product.approve", "product", 7, datetime(2026, 3, 31, 16, 30, tzinfo=timezone.utc))
        _entry(world["staff"], "seller.suspend", "seller", 3, datetime(2026, 3, 31, 17, 30, tzinfo=timezone.utc))
        _entry(None, "product.reject", "product", 8, datetime(2026, 4, 2, 3, 0, tzinfo=timezone.utc))
        db.session.commit()
    staff = client_as(app, world["staff"])

    def shown(**args) -> set[str]:
        page = staff.get("/nhan-vien/nhat-ky", query_string=args).get_data(as_text=True)
        return {a for a in ("product.approve", "seller.suspend", "product.reject") if f"<code>{a}</code>" in page}

    assert shown() == {"product.approve", "seller.suspend", "product.reject"}
    assert shown(user="canbo@example.vn") == {"product.approve", "seller.suspend"}
    assert shown(user="nobody@example.vn") == set()
    assert shown(object_type="product") == {"product.approve", "product.reject"}
    assert shown(object_type="product", object_id="8") == {"product.reject"}
    assert shown(action="seller.suspend") == {"seller.suspend"}
    assert shown(since="31/03/2026", until="31/03/2026") == {"product.approve"}
    assert shown(since="01/04/2026", until="01/04/2026") == {"seller.suspend"}
    assert shown(since="01/04/2026") == {"seller.suspend", "product.reject"}
    page = staff.get("/nhan-vien/nhat-ky", query_string={"since": "31/13/2026"}).get_data(as_text=True)
    assert "Ngày không hợp lệ (dd/mm/yyyy)." in page
    assert "01/04/2026 00:30" in staff.get("/nhan-vien/nhat-ky").get_data(as_text=True)


def test_audit_browser_paginates_and_has_no_write_route(app, world):
    with app.app_context():
        for i in range(30):
            _entry(world["staff"], "product.approve", "product", 1000 + i, datetime(2026, 5, 1, tzinfo=timezone.utc))
        db.session.commit()
    staff = client_as(app, world["staff"])
    first = staff.get("/nhan-vien/nhat-ky").get_data(as_text=True)
    assert "Trang 1 / 2" in first and "product #1029" in first and "product #1004" not in first
    assert "product #1004" in staff.get("/nhan-vien/nhat-ky?page=2").get_data(as_text=True)
    audit_rules = [r for r in app.url_map.iter_rules() if "nhat-ky" in r.rule]
    assert [sorted(r.methods - {"HEAD", "OPTIONS"}) for r in audit_rules] == [["GET"]]
    assert staff.post("/nhan-vien/nhat-ky").status_code == 405
