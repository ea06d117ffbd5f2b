"""OCOP certificate verification by staff, the badge's expiry across the Vietnamese
midnight, and the idempotent expiry reminders."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from factories import make_area, make_category, make_certification, make_product, make_seller, make_user
from marketplace.catalog.models import OcopCertification
from marketplace.catalog.services import store_certificate_scan
from marketplace.extensions import db
from marketplace.staff import queries, services
from marketplace.staff.models import CertificateReminder
from marketplace.text import to_local, today_vn
from tests.staff.helpers import audit_rows, client_as, mail_texts, mails, search_ids


@pytest.fixture
def world(app):
    with app.app_context():
        area = make_area(name="Xã Tân Cương", slug="xa-tan-cuong")
        category = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX Chè Tân Cương", slug="htx-tan-cuong", area=area, email="tancuong@example.vn")
        product = make_product(seller_id=seller.id, category_id=category.id, area_id=area.id,
                               name="Chè đặc sản Tân Cương", slug="che-dac-san-tan-cuong")
        cert = make_certification(product, stars=4, verified_at=None, decision_number="1234/QĐ-UBND")
        cert.scan_key = store_certificate_scan(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        ids = {"seller": seller.id, "product": product.id, "cert": cert.id, "category": category.id, "area": area.id,
               "staff": make_user(role="staff").id, "owner": make_user(role="seller", seller_id=seller.id).id}
        db.session.commit()
    return ids


def _badge_everywhere(app) -> bool:
    """The badge on the product page, the API's star facet and the star filter agree."""
    client = app.test_client()
    page = "ocop-badge" in client.get("/san-pham/che-dac-san-tan-cuong").get_data(as_text=True)
    facet = client.get("/api/v1/products").get_json()["facets"]["ocop_stars"]["4"]
    with app.app_context():
        filtered = search_ids("", ocop_stars=(4,))
    assert page == (facet == 1) == (len(filtered) == 1), (page, facet, filtered)
    return page


def test_verify_from_the_queue_shows_the_badge(app, world):
    assert not _badge_everywhere(app)
    staff = client_as(app, world["staff"])
    queue = staff.get("/nhan-vien/chung-nhan?loai=unverified").get_data(as_text=True)
    assert "Chè đặc sản Tân Cương" in queue
    page = staff.get(f"/nhan-vien/chung-nhan/{world['cert']}").get_data(as_text=True)
    # The scan beside the entered details.
    assert f"/dashboard/san-pham/{world['product']}/chung-nhan/ban-quet" in page and "1234/QĐ-UBND" in page
    scan = staff.get(f"/dashboard/san-pham/{world['product']}/chung-nhan/ban-quet")
    assert scan.status_code == 200 and scan.mimetype == "application/pdf"
    scan.close()
    assert staff.post(f"/nhan-vien/chung-nhan/{world['cert']}/xac-minh").status_code == 302
    assert _badge_everywhere(app)
    with app.app_context():
        (entry,) = audit_rows(object_type="certificate")
        assert entry.action == "certificate.verify" and entry.changes["verified_by_id"] == [None, world["staff"]]
    assert "Chè đặc sản Tân Cương" not in staff.get("/nhan-vien/chung-nhan?loai=unverified").get_data(as_text=True)
    assert any("đã được xác minh" in m for m in mail_texts(app, "tancuong@example.vn"))


def test_reject_needs_a_reason_the_seller_sees_and_an_edit_requeues_it(app, world):
    staff = client_as(app, world["staff"])
    staff.post(f"/nhan-vien/chung-nhan/{world['cert']}/tu-choi", data={"reason": ""})
    with app.app_context():
        assert db.session.get(OcopCertification, world["cert"]).rejected_at is None
    staff.post(f"/nhan-vien/chung-nhan/{world['cert']}/tu-choi", data={"reason": "Số quyết định không khớp bản quét."})
    assert not _badge_everywhere(app)
    owner = client_as(app, world["owner"])
    page = owner.get(f"/dashboard/san-pham/{world['product']}/chung-nhan").get_data(as_text=True)
    assert "Số quyết định không khớp bản quét." in page
    assert any("Số quyết định không khớp bản quét." in m for m in mail_texts(app, "tancuong@example.vn"))
    assert "Chè đặc sản" not in staff.get("/nhan-vien/chung-nhan?loai=unverified").get_data(as_text=True)
    # The seller corrects it: back in the queue, reason gone, one audited edit.
    owner.post(f"/dashboard/san-pham/{world['product']}/chung-nhan", data={
        "stars": "4", "score": "80", "product_group": "thuc-pham", "decision_number": "1243/QĐ-UBND",
        "issued_on": (today_vn() - timedelta(days=200)).strftime("%d/%m/%Y"), "issuing_level": "province",
        "issuing_body": "UBND tỉnh Thái Nguyên"})
    assert "Chè đặc sản" in staff.get("/nhan-vien/chung-nhan?loai=unverified").get_data(as_text=True)
    with app.app_context():
        assert [e.action for e in audit_rows(object_type="certificate")] == ["certificate.reject", "certificate.update"]
        edit = audit_rows(object_type="certificate")[-1]
        assert edit.actor_id == world["owner"]
        assert edit.changes["decision_number"] == ["1234/QĐ-UBND", "1243/QĐ-UBND"]


def test_vietnamese_midnight_decides_the_calendar_day():
    """The badge works on Vietnamese dates: 16:59 UTC is still 31/03 in Hà Nội, 17:00 is 01/04."""
    assert to_local(datetime(2026, 3, 31, 16, 59, 59, tzinfo=timezone.utc)).date() == date(2026, 3, 31)
    assert to_local(datetime(2026, 3, 31, 17, 0, 0, tzinfo=timezone.utc)).date() == date(2026, 4, 1)
    cert = OcopCertification(stars=4, issued_on=date(2023, 3, 31), expires_on=date(2026, 3, 31),
                             verified_at=datetime(2023, 4, 2, tzinfo=timezone.utc))
    assert cert.is_valid(on=date(2026, 3, 31))  # expires "today": still valid all day
    assert not cert.is_valid(on=date(2026, 4, 1))  # the Vietnamese day after: no badge


@pytest.mark.parametrize("days_left, badge", [(0, True), (-1, False)])
def test_certificate_expiring_today_shows_the_badge_the_day_after_not(app, world, days_left, badge):
    with app.app_context():
        cert = db.session.get(OcopCertification, world["cert"])
        cert.expires_on = today_vn() + timedelta(days=days_left)
        cert.verified_at = datetime.now(timezone.utc)
        db.session.commit()
    assert _badge_everywhere(app) is badge


def test_queues_classify_by_vietnamese_date(app, world):
    today = date(2026, 6, 15)
    with app.app_context():
        cert = db.session.get(OcopCertification, world["cert"])
        cert.verified_at = datetime(2026, 1, 1, tzinfo=timezone.utc)

        def queue_of(expires: date) -> set[str]:
            cert.expires_on = expires
            db.session.flush()
            return {q for q in queries.CERT_QUEUES if db.session.scalars(queries.certificates_queue(q, today)).all()}

        assert queue_of(date(2026, 6, 15)) == {"expiring", "verified"}  # last valid day
        assert queue_of(date(2026, 9, 13)) == {"expiring", "verified"}  # day 90
        assert queue_of(date(2026, 9, 14)) == {"verified"}  # day 91
        assert queue_of(date(2026, 6, 14)) == {"expired"}  # yesterday
        db.session.rollback()


def _make_cert(seller_id, category_id, expires: date, email_ok=True, **kw) -> int:
    product = make_product(seller_id=seller_id, category_id=category_id)
    return make_certification(product, issued_on=expires - timedelta(days=1000), expires_on=expires, **kw).id


def test_reminders_90_and_30_days_before_once_each(app, world):
    today = date(2026, 6, 15)
    with app.app_context():
        db.session.delete(db.session.get(OcopCertification, world["cert"]))
        s, c = world["seller"], world["category"]
        at_90 = _make_cert(s, c, today + timedelta(days=90))
        at_91 = _make_cert(s, c, today + timedelta(days=91))
        at_30 = _make_cert(s, c, today + timedelta(days=30))
        late = _make_cert(s, c, today + timedelta(days=10))  # first run already inside 30 days
        _make_cert(s, c, today - timedelta(days=1))  # expired: no reminder
        _make_cert(s, c, today + timedelta(days=20), stars=2)  # never certified: no reminder
        no_mail_seller = make_seller(email="")
        _make_cert(no_mail_seller.id, c, today + timedelta(days=30))
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["certificates", "remind", "--date", "15/06/2026"])
    assert first.exit_code == 0, first.output
    assert "3 reminder(s) sent, 1 seller(s) without e-mail" in first.output
    texts = mail_texts(app, "tancuong@example.vn")
    assert len(texts) == 3
    assert sum("còn 90 ngày" in t for t in texts) == 1 and sum("còn 30 ngày" in t for t in texts) == 1
    assert sum("còn 10 ngày" in t for t in texts) == 1
    second = runner.invoke(args=["certificates", "remind", "--date", "15/06/2026"])
    assert second.exit_code == 0 and "0 reminder(s) sent" in second.output
    assert len(mails(app)) == 3
    # Next day: the 91-day one reaches 90; the others are not mailed again.
    third = runner.invoke(args=["certificates", "remind", "--date", "16/06/2026"])
    assert "1 reminder(s) sent" in third.output
    # 60 days later the 90-day one reaches its 30-day mark: one more mail for it.
    runner.invoke(args=["certificates", "remind", "--date", "14/08/2026"])
    with app.app_context():
        sent = {(r.certification_id, r.days_before) for r in db.session.query(CertificateReminder)}
        assert {(at_90, 90), (at_90, 30), (at_91, 90), (at_30, 30), (late, 30), (late, 90)} <= sent
    assert len(mails(app)) == 5
    assert runner.invoke(args=["certificates", "remind", "--date", "31/02/2026"]).exit_code != 0


def test_reminder_due_computation_uses_the_given_day(app, world):
    with app.app_context():
        cert = db.session.get(OcopCertification, world["cert"])
        cert.expires_on = date(2026, 9, 13)
        db.session.flush()
        assert [(c.id, d) for c, d in services.due_reminders(date(2026, 6, 15))] == [(cert.id, 90)]
        assert services.due_reminders(date(2026, 6, 14)) == []
        db.session.rollback()
