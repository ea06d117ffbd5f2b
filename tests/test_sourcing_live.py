"""Sourcing on the topology ``make run`` starts (gunicorn, several workers, one
database): the deadline is enforced by the workers' own job runner, and the rate limit
on posting requests holds across workers (the database counters), with CSRF on."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from live_server import Site

pytestmark = pytest.mark.load

PASSWORD = "mat-khau-123"


def _build() -> dict:
    from marketplace.extensions import db
    from marketplace.sourcing.models import BuyerProfile, SourcingRequest
    from marketplace.text import today_vn, utcnow
    from tests.factories import make_category, make_user

    tea = make_category(name="Chè", slug="che")
    buyer = make_user(email="mua@sieuthi.vn", password=PASSWORD)
    db.session.add(BuyerProfile(user_id=buyer.id, buyer_type="supermarket", organisation="Siêu thị Xanh",
                                city="Hà Nội", phone="0987654321"))
    ids = {}
    for name, days in (("expired", -1), ("current", 10)):
        item = SourcingRequest(buyer_id=buyer.id, title=f"Chè {name}", category_id=tea.id, quantity=100, unit="kg",
                               frequency="once", required_certs=[], delivery_area="Hà Nội",
                               deadline=today_vn() + timedelta(days=days), status="open",
                               buyer_type="supermarket", buyer_city="Hà Nội", approved_at=utcnow())
        db.session.add(item)
        db.session.flush()
        ids[name] = item.id
    db.session.commit()
    return {"category": tea.id, **ids}


def _token(page) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)


def _cookie(response, fallback: str = "") -> str:
    header = response.headers.get("set-cookie")
    return header.split(";", 1)[0] if header else fallback


def test_deadline_job_and_rate_limit_across_workers(tmp_path):
    from marketplace.audit.models import AuditEntry
    from marketplace.extensions import db
    from marketplace.sourcing.models import SourcingRequest
    from marketplace.text import today_vn

    site = Site(tmp_path, env={"JOBS_TICK_SECONDS": "0.3", "JOBS_INTERVALS": "sourcing_close=1"})
    data = site.build(_build)
    with site.serving() as server:
        # The workers' runner closes the expired request by itself.
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            with site.app():
                status = db.session.get(SourcingRequest, data["expired"]).status
            if status == "closed":
                break
            time.sleep(0.5)
        assert status == "closed", server.log_tail()
        with site.app():
            assert db.session.get(SourcingRequest, data["current"]).status == "open"
            entry = db.session.scalars(sa.select(AuditEntry).where(
                AuditEntry.action == "sourcing_request.expire")).one()
            assert entry.object_id == data["expired"] and entry.actor_id is None

        # Log in through the form (CSRF on), then post: five pass, the sixth is refused
        # whichever worker serves it.
        page = server.get("/dang-nhap")
        cookie = _cookie(page)
        response = server.post("/dang-nhap", {"csrf_token": _token(page), "email": "mua@sieuthi.vn",
                                              "password": PASSWORD}, headers={"Cookie": cookie})
        assert response.status == 302, response.status
        cookie = _cookie(response, cookie)
        statuses = []
        for n in range(6):
            form = server.get("/tim-nguon-hang/moi", headers={"Cookie": cookie})
            assert form.status == 200
            response = server.post("/tim-nguon-hang/moi", {
                "csrf_token": _token(form), "title": f"Chè lô {n}", "category_id": str(data["category"]),
                "quantity": "500", "unit": "kg", "frequency": "once", "delivery_area": "Hà Nội",
                "deadline": (today_vn() + timedelta(days=20)).isoformat(), "buyer_type": "supermarket",
                "organisation": "Siêu thị Xanh", "city": "Hà Nội", "phone": "0987654321",
            }, headers={"Cookie": cookie})
            statuses.append(response.status)
            if response.status == 429:
                assert "Bạn đã đăng quá nhiều yêu cầu" in response.text and "Chè lô 5" in response.text
        assert statuses == [302] * 5 + [429]
        assert len({pid for pid in server.worker_pids()}) > 1
        with site.app():
            assert db.session.scalar(sa.select(sa.func.count()).where(SourcingRequest.status == "pending")) == 5
