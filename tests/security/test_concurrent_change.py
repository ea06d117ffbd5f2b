"""Optimistic locking (products.version) outside the seller's edit form: when another
request commits a change to the same product between this request's read and its
write, the write raises StaleDataError. Every such path (staff moderation, bulk
decisions, imports, photo covers, revision approval) must answer a clear Vietnamese
409 (JSON under /api) after a rollback — never a 500 — and keep nothing of the losing
request (no status change, no audit entry, no mail).

The race is real: two sessions on two connections. The request's session has loaded
the product; just before it flushes its change, another connection updates and commits
the same row (a seller's save); the request's UPDATE … WHERE version = N matches
nothing."""
from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from factories import make_category, make_product, make_seller
from marketplace.audit.models import AuditEntry
from marketplace.catalog.models import Product
from marketplace.extensions import db
from staff.helpers import client_as, mails


@contextlib.contextmanager
def a_concurrent_save_before_the_flush(app, product_id: int, price_vnd: int):
    """While active, the first flush that writes the product is preceded by another
    connection's committed UPDATE of that product (price and version)."""
    fired = []

    def before_flush(session, flush_context, instances):
        if fired or not any(isinstance(o, Product) and o.id == product_id for o in session.dirty):
            return
        fired.append(True)
        with db.engine.connect() as other:  # another request, its own connection and transaction
            other.execute(sa.update(Product.__table__).where(Product.__table__.c.id == product_id)
                          .values(price_vnd=price_vnd, version=Product.__table__.c.version + 1))
            other.commit()

    sa.event.listen(Session, "before_flush", before_flush)
    try:
        yield fired
    finally:
        sa.event.remove(Session, "before_flush", before_flush)


@pytest.fixture
def pending(app, staff_account):
    with app.app_context():
        seller = make_seller(name="HTX Chè Đua Nhau", email="htx-dua-nhau@example.vn")
        product = make_product(seller=seller, category=make_category(), name="Chè búp đua", status="pending",
                               price_vnd=150_000)
        db.session.commit()
        return {"product": product.id, "staff": staff_account.id}


def _audit_count(product_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.object_type == "product", AuditEntry.object_id == product_id))


def test_staff_approval_racing_a_seller_save_gets_a_409_page_not_a_500(app, pending):
    pid = pending["product"]
    staff = client_as(app, pending["staff"])
    with app.app_context():
        audits_before = _audit_count(pid)
    product_page = f"http://localhost/nhan-vien/san-pham/{pid}"

    with a_concurrent_save_before_the_flush(app, pid, price_vnd=180_000) as fired:
        response = staff.post(f"/nhan-vien/san-pham/{pid}/duyet", data={}, headers={"Referer": product_page})
    assert fired, "the concurrent save did not happen: the test proves nothing"

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Dữ liệu vừa được thay đổi ở nơi khác" in html
    assert f'href="{product_page}"' in html  # a way back to the product, to decide again
    with app.app_context():
        product = db.session.get(Product, pid)
        assert (product.status, product.price_vnd) == ("pending", 180_000)  # the seller's save stands
        assert _audit_count(pid) == audits_before  # the losing approval left no trace
    assert not [m for m in mails(app) if m["To"] == "htx-dua-nhau@example.vn"]  # nor a mail

    # The session was rolled back: the staff user can approve at once from the fresh page.
    assert staff.get(f"/nhan-vien/san-pham/{pid}").status_code == 200
    assert staff.post(f"/nhan-vien/san-pham/{pid}/duyet", data={}).status_code == 302
    with app.app_context():
        assert db.session.get(Product, pid).status == "published"


def test_a_racing_write_under_the_api_answers_json_409(app, pending):
    """The same rule for the JSON API (which has no product writes of its own yet): a
    route under /api whose product write loses the race."""
    from marketplace.staff import services as staff_services

    def approve(product_id: int):
        staff_services.approve_product(db.session.get(Product, product_id))
        db.session.commit()
        return {"ok": True}

    app.add_url_rule("/api/v1/thu-dua/<int:product_id>", "race_probe", approve, methods=["POST"])
    pid = pending["product"]
    with a_concurrent_save_before_the_flush(app, pid, price_vnd=175_000) as fired:
        response = app.test_client().post(f"/api/v1/thu-dua/{pid}")
    assert fired
    assert response.status_code == 409
    assert response.is_json
    assert response.get_json()["status"] == 409
    assert "Dữ liệu vừa được thay đổi ở nơi khác" in response.get_json()["error"]
    with app.app_context():
        assert db.session.get(Product, pid).status == "pending"
