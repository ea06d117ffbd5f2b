"""Deadline closing through the job runner, rate limits per account and per address,
the state machine's refusals, and the response metrics."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from factories import make_user
from marketplace.accounts.models import User
from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from marketplace.inquiries.models import Inquiry, InquiryStatusChange
from marketplace.sellers.models import Seller
from marketplace.sourcing import queries, services
from marketplace.sourcing.models import SourcingMatch, SourcingOffer, SourcingRequest
from marketplace.text import today_vn, utcnow
from marketplace.validation import ValidationError

from .conftest import request_form
from .test_loop import _open_request, services_form


def _age(app, request_id: int, days: int) -> None:
    """Move a request's deadline ``days`` into the past (as if time had passed)."""
    with app.app_context():
        db.session.execute(sa.update(SourcingRequest).where(SourcingRequest.id == request_id)
                           .values(deadline=today_vn() - timedelta(days=days)))
        db.session.commit()


def test_the_job_closes_requests_past_their_deadline(app, client, world):
    from marketplace.jobs import jobs, run_job

    past, current = _open_request(app, world), _open_request(app, world, title="Chè còn hạn")
    _age(app, past, 1)
    # even before the job runs, the board and the offer form treat it as closed
    assert client.get(f"/tim-nguon-hang/{past}").status_code == 404
    with app.app_context():
        assert run_job(jobs(app)["sourcing_close"], "test", force=True) is True
        assert db.session.get(SourcingRequest, past).status == "closed"
        assert db.session.get(SourcingRequest, current).status == "open"
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "sourcing_request.expire")).one()
        assert entry.object_id == past and entry.actor_id is None and entry.changes["status"] == ["open", "closed"]
        # a second run changes nothing
        assert run_job(jobs(app)["sourcing_close"], "test", force=True) is True
        assert db.session.scalar(sa.select(sa.func.count()).where(
            AuditEntry.action == "sourcing_request.expire")) == 1


def test_no_offer_after_the_deadline_even_before_the_job(app, client, auth, world):
    request_id = _open_request(app, world)
    _age(app, request_id, 1)
    auth.log_in_as(world["star_user"])
    response = client.post(f"/dashboard/tim-nguon-hang/{request_id}",
                           data={"price_vnd": "1000", "quantity": "1",
                                 "first_delivery": (today_vn() + timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert "Yêu cầu đã hết hạn hoặc đã đóng" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SourcingOffer)) == 0


def test_state_machine_refusals(app, world):
    with app.app_context():
        buyer, staff = db.session.get(User, world["buyer"]), db.session.get(User, world["staff"])
        item = services.post_request(buyer, services_form(world), None)
        with pytest.raises(ValidationError, match="lý do"):
            services.reject(item, "  ", actor=staff)
        services.approve(item, actor=staff)
        with pytest.raises(ValidationError, match="đang chờ duyệt"):
            services.approve(item, actor=staff)
        with pytest.raises(ValidationError, match="đang chờ duyệt"):
            services.reject(item, "trùng", actor=staff)
        seller = db.session.get(Seller, world["star"])
        offer = services.make_offer(item, seller, buyer, {"price_vnd": "100", "quantity": "5",
                                                          "first_delivery": today_vn().isoformat()})
        with pytest.raises(ValidationError, match="đã gửi chào hàng"):
            services.make_offer(item, seller, buyer, {"price_vnd": "100", "quantity": "5",
                                                      "first_delivery": today_vn().isoformat()})
        services.decline_offer(offer, buyer)
        with pytest.raises(ValidationError, match="đã được trả lời"):
            services.accept_offer(offer, buyer)
        # an approval past the deadline is refused
        late = services.post_request(buyer, services_form(world), None)
        late.deadline = today_vn() - timedelta(days=1)
        with pytest.raises(ValidationError, match="đã qua"):
            services.approve(late, actor=staff)


@pytest.fixture
def app_config(tmp_path):
    from conftest import make_test_config

    return make_test_config(tmp_path, RATELIMIT_ENABLED=True)


def test_requests_are_rate_limited_per_account_and_keep_the_input(app, client, auth, world):
    auth.log_in_as(world["buyer"])
    for n in range(5):
        assert client.post("/tim-nguon-hang/moi", data=request_form(world, title=f"Chè lô {n}")).status_code == 302
    response = client.post("/tim-nguon-hang/moi", data=request_form(world, title="Chè lô thứ sáu"))
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Bạn đã đăng quá nhiều yêu cầu" in page and 'value="Chè lô thứ sáu"' in page
    # another account from another address is not affected
    other = client.application.test_client()
    auth.log_in_as(world["other_buyer"], client=other)
    response = other.post("/tim-nguon-hang/moi", data=request_form(world, title="Chè của người khác"),
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SourcingRequest)) == 6


def test_requests_are_rate_limited_per_address(app, client, world):
    from auth import log_in

    with app.app_context():
        buyers = [make_user(email=f"b{n}@example.vn").id for n in range(11)]
        db.session.commit()
    statuses = []
    for n, user_id in enumerate(buyers):
        c = app.test_client()
        log_in(c, user_id)
        statuses.append(c.post("/tim-nguon-hang/moi", data=request_form(world, title=f"Chè {n}")).status_code)
    assert statuses == [302] * 10 + [429]


# ------------------------------------------------------------------------- metrics

def test_seller_response_badge_and_staff_figures(app, client, auth, world):
    request_id = _open_request(app, world)
    now = utcnow()
    with app.app_context():
        star = db.session.get(Seller, world["star"])
        # three inquiries answered after 1, 2 and 30 hours; one offer 4 hours after the mail
        for hours in (1, 2, 30):
            inquiry = Inquiry(reference=f"R{hours}", seller=star, name="Khách", phone="0912345678",
                              created_at=now - timedelta(days=2))
            db.session.add(inquiry)
            db.session.flush()
            db.session.add(InquiryStatusChange(inquiry_id=inquiry.id, from_status="new", to_status="contacted",
                                               changed_at=inquiry.created_at + timedelta(hours=hours)))
        match = db.session.scalars(sa.select(SourcingMatch).where(SourcingMatch.seller_id == star.id)).one()
        match.notified_at = now - timedelta(hours=10)
        db.session.add(SourcingOffer(request_id=request_id, seller=star, price_vnd=1, quantity=1,
                                     first_delivery=today_vn(), created_at=now - timedelta(hours=6)))
        # an old inquiry (120 days) does not count
        db.session.add(Inquiry(reference="OLD", seller=star, name="Khách", phone="0912345678",
                               created_at=now - timedelta(days=120)))
        db.session.commit()
        response = queries.seller_response(star.id, now)
        assert response.answers == 4 and response.median_hours == pytest.approx(3.0)
        slug = star.slug
    page = client.get(f"/co-so/{slug}").get_data(as_text=True)
    assert "Thường trả lời trong 3 giờ" in page

    # staff figures: the request had an offer; another one, approved 4 days ago, none
    silent_id = _open_request(app, world, title="Chè không ai chào")
    with app.app_context():
        silent = db.session.get(SourcingRequest, silent_id)
        silent.approved_at = now - timedelta(days=4)
        for m in silent.matches:
            m.notified_at = now - timedelta(days=4)
        offer = db.session.scalars(sa.select(SourcingOffer)).one()
        offer.status = "accepted"
        db.session.commit()
        assert [r.id for r in queries.requests_without_offers(now)] == [silent_id]
        names = [s.seller.name for s in queries.silent_sellers(now)]
        assert "HTX chè Làng Nghề" in names and "HTX chè Bốn Sao" not in names
        conversion = queries.conversion(now)
        assert (conversion.approved, conversion.accepted) == (2, 1)
    auth.log_in_as(world["staff"])
    page = client.get("/nhan-vien/tim-nguon-hang/so-lieu").get_data(as_text=True)
    assert "50%" in page and "Chè không ai chào" in page and "HTX chè Làng Nghề" in page
    assert "<svg" in page
