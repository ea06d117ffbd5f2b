"""The certificates that apply to a lot: picked from the seller's own in the lot form,
shown on the scan page and in the API with their verification state, kept in the lot's
public history; a verification renders the scan page anew."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from auth import log_in
from factories import make_certification, make_lot, make_product, make_seller, make_user
from marketplace.certifications.models import Certification
from marketplace.extensions import db
from marketplace.text import today_vn, utcnow
from marketplace.traceability.models import Lot

BROWSER = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"


def _cert(seller, kind: str, number: str, **kw) -> Certification:
    kw.setdefault("issued_on", today_vn() - timedelta(days=100))
    kw.setdefault("expires_on", today_vn() + timedelta(days=600))
    cert = Certification(kind=kind, seller_id=seller.id, scope=kw.pop("scope", "lots"), number=number,
                         issuer=kw.pop("issuer", "Trung tâm Chứng nhận Phù hợp"), **kw)
    db.session.add(cert)
    db.session.flush()
    return cert


@pytest.fixture
def shop(app):
    with app.app_context():
        seller = make_seller(name="HTX Chè Hoàng Bình")
        other = make_seller(name="HTX Khác")
        user = make_user(role="seller", seller=seller)
        tea = make_product(seller=seller, name="Chè móc câu Hoàng Bình", slug="che-moc-cau", code="CHE-01")
        make_certification(tea, stars=4)
        vietgap = _cert(seller, "vietgap", "VG-0123/2025", verified_at=utcnow())
        organic = _cert(seller, "organic", "HC-77", scheme="TCVN 11041")  # not verified yet
        expired = _cert(seller, "globalgap", "GG-1", issued_on=date(2020, 1, 1), expires_on=date(2021, 1, 1),
                        verified_at=utcnow())
        foreign = _cert(other, "vietgap", "VG-9999")
        lot = make_lot(tea, code="CHE-250601")
        db.session.commit()
        return {"user": user.id, "tea": tea.id, "lot": lot.id, "vietgap": vietgap.id, "organic": organic.id,
                "expired": expired.id, "foreign": foreign.id}


def test_the_lot_form_offers_the_sellers_own_usable_certificates(app, client, shop):
    log_in(client, shop["user"])
    html = client.get("/dashboard/lo-hang/moi").get_data(as_text=True)
    assert "VietGAP · VG-0123/2025 (đã xác minh)" in html
    assert "HC-77 (chờ xác minh)" in html
    assert "GG-1" not in html and "VG-9999" not in html  # expired; another seller's


def test_a_lot_links_certificates_and_the_scan_page_shows_their_state(app, client, shop):
    log_in(client, shop["user"])
    data = {"product_id": shop["tea"], "code": "CHE-LK-1", "harvested_on": (today_vn() - timedelta(days=1)).isoformat(),
            "quantity": "100", "unit": "kg", "origin": "VT-TN-0001",
            "certification_ids": [str(shop["vietgap"]), str(shop["organic"])]}
    assert client.post("/dashboard/lo-hang/moi", data=data).status_code == 302
    anonymous = app.test_client()
    html = anonymous.get("/truy-xuat/CHE-LK-1").get_data(as_text=True)
    assert "VietGAP · VG-0123/2025" in html and "Hữu cơ (TCVN 11041) · HC-77" in html
    assert "OCOP 4 sao" in html  # the product's own certificate applies to every lot
    section = html.split("VG-0123/2025", 1)[1]
    assert section.index("Đã xác minh") < section.index("HC-77") < section.index("Chưa được ban quản lý sàn xác minh")
    api = anonymous.get("/api/v1/lots/CHE-LK-1").get_json()
    kinds = {c["kind"]: c for c in api["certifications"]}
    assert kinds["vietgap"]["verified"] is True and kinds["vietgap"]["valid"] is True
    assert kinds["organic"]["verified"] is False and kinds["ocop"]["stars"] == 4
    # Unlinking one goes into the public history.
    with app.app_context():
        lot_id = db.session.scalar(sa.select(Lot.id).where(Lot.code == "CHE-LK-1"))
    data["certification_ids"] = [str(shop["vietgap"])]
    assert client.post(f"/dashboard/lo-hang/{lot_id}", data=data).status_code == 302
    html = anonymous.get("/truy-xuat/CHE-LK-1").get_data(as_text=True)
    assert "Chứng nhận áp dụng: VietGAP VG-0123/2025, Hữu cơ (TCVN 11041) HC-77 → VietGAP VG-0123/2025" in html


def test_another_sellers_certificate_is_refused_and_nothing_saved(app, client, shop):
    log_in(client, shop["user"])
    data = {"product_id": shop["tea"], "code": "CHE-LK-2", "harvested_on": today_vn().isoformat(),
            "quantity": "100", "unit": "kg", "origin": "VT", "certification_ids": [str(shop["foreign"])]}
    response = client.post("/dashboard/lo-hang/moi", data=data)
    assert response.status_code == 400
    assert "Chỉ chọn được chứng nhận của chính cơ sở" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Lot).where(Lot.code == "CHE-LK-2")) is None


def test_verifying_a_linked_certificate_renders_the_scan_page_anew(app, client, shop):
    with app.app_context():
        lot = db.session.get(Lot, shop["lot"])
        lot.certifications = [db.session.get(Certification, shop["organic"])]
        db.session.commit()
    get = lambda: client.get("/truy-xuat/CHE-250601", headers={"User-Agent": BROWSER})  # noqa: E731
    assert get().headers["X-Page-Cache"] == "miss"
    assert get().headers["X-Page-Cache"] == "hit"
    with app.app_context():
        db.session.get(Certification, shop["organic"]).verified_at = utcnow()
        db.session.commit()
    response = get()
    assert response.headers["X-Page-Cache"] == "miss"
    html = response.get_data(as_text=True)
    assert "Chưa được ban quản lý sàn xác minh" not in html.split("HC-77", 1)[1].split("</li>", 1)[0]
