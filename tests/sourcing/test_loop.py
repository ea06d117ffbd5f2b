"""The whole loop over HTTP on the real database: a buyer posts, staff approve, the
matching sellers are mailed, a seller offers, the buyer accepts and both sides see the
other's contact — and what each party may not see or do."""
from __future__ import annotations

from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import sqlalchemy as sa

from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from marketplace.sourcing import services
from marketplace.sourcing.models import SourcingMatch, SourcingOffer, SourcingRequest
from marketplace.text import today_vn

from .conftest import request_form


def _mails(app) -> list:
    folder = Path(app.config["MAIL_FOLDER"])
    parser = BytesParser(policy=policy.default)
    found = []
    for path in sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = parser.parsebytes(path.read_bytes())
        found.append((message["To"], message["Subject"], message.get_content()))
    return found


def _post(client, auth, world, **overrides):
    auth.log_in_as(world["buyer"])
    return client.post("/tim-nguon-hang/moi", data=request_form(world, **overrides))


def _only_request(app) -> SourcingRequest:
    with app.app_context():
        return db.session.scalars(sa.select(SourcingRequest)).one()


def test_post_approve_offer_accept(app, client, auth, world):
    response = _post(client, auth, world, required_certs="ocop4")
    assert response.status_code == 302
    item = _only_request(app)
    assert item.status == "pending"
    assert item.buyer_label == "siêu thị tại Hà Nội"
    # not public before approval
    assert "Chè búp khô" not in client.get("/tim-nguon-hang").get_data(as_text=True)
    assert client.get(f"/tim-nguon-hang/{item.id}").status_code == 404

    auth.log_in_as(world["staff"])
    assert client.post(f"/nhan-vien/tim-nguon-hang/{item.id}/duyet").status_code == 302
    with app.app_context():
        item = db.session.get(SourcingRequest, item.id)
        assert item.status == "open"
        # OCOP 4 stars required: only the four-star tea cooperative qualifies
        assert [m.seller_id for m in item.matches] == [world["star"]]
    mails = _mails(app)
    invited = [m for m in mails if "tìm nguồn hàng" in m[1].lower() and "Chè búp khô" in m[1]]
    assert {m[0] for m in invited} == {"bonsao@example.vn", "chu@bonsao.vn"}
    body = invited[0][2]
    assert f"/dashboard/tim-nguon-hang/{item.id}" in body
    assert "mua@sieuthi.vn" not in body and "0987" not in body and "Siêu thị Xanh" not in body

    # the public board: no contact details, only the buyer type
    client.get("/")  # any request; then log out
    client.post("/dang-xuat")
    board = client.get("/tim-nguon-hang").get_data(as_text=True)
    assert "Chè búp khô loại 1" in board and "siêu thị tại Hà Nội" in board
    for secret in ("mua@sieuthi.vn", "0987", "Siêu thị Xanh", "Nguyễn Thị Mua"):
        assert secret not in board
    detail = client.get(f"/tim-nguon-hang/{item.id}").get_data(as_text=True)
    assert "2.000 kg" in detail and "250.000 ₫" in detail
    for secret in ("mua@sieuthi.vn", "0987", "Siêu thị Xanh", "Nguyễn Thị Mua"):
        assert secret not in detail

    # the matched seller offers
    auth.log_in_as(world["star_user"])
    page = client.get(f"/dashboard/tim-nguon-hang/{item.id}")
    assert page.status_code == 200 and "mua@sieuthi.vn" not in page.get_data(as_text=True)
    first = (today_vn() + timedelta(days=10)).isoformat()
    response = client.post(f"/dashboard/tim-nguon-hang/{item.id}",
                           data={"price_vnd": "240.000", "quantity": "2000", "first_delivery": first,
                                 "message": "Chè vụ xuân, có VietGAP."})
    assert response.status_code == 302
    with app.app_context():
        offer = db.session.scalars(sa.select(SourcingOffer)).one()
        assert (offer.price_vnd, offer.quantity, offer.status) == (240_000, 2000, "pending")
    assert any(m[0] == "mua@sieuthi.vn" and "chào hàng mới" in m[1] for m in _mails(app))

    # the buyer sees the offer, without the seller's contact yet
    auth.log_in_as(world["buyer"])
    page = client.get(f"/tim-nguon-hang/cua-toi/{item.id}").get_data(as_text=True)
    assert "HTX chè Bốn Sao" in page and "240.000 ₫" in page
    assert "chu@bonsao.vn" not in page
    response = client.post(f"/tim-nguon-hang/cua-toi/{item.id}/chao-hang/{offer.id}/nhan")
    assert response.status_code == 302
    page = client.get(f"/tim-nguon-hang/cua-toi/{item.id}").get_data(as_text=True)
    assert "chu@bonsao.vn" in page and "0912345678" in page
    with app.app_context():
        assert db.session.get(SourcingRequest, item.id).status == "fulfilled"
        assert db.session.get(SourcingOffer, offer.id).status == "accepted"
    # the seller received the buyer's contact
    accepted = [m for m in _mails(app) if m[0] == "chu@bonsao.vn" and "đã nhận chào hàng" in m[1]]
    assert accepted and "0987 654 321" in accepted[0][2] and "Siêu thị Xanh" in accepted[0][2]
    auth.log_in_as(world["star_user"])
    page = client.get(f"/dashboard/tim-nguon-hang/{item.id}").get_data(as_text=True)
    assert "mua@sieuthi.vn" in page and "0987 654 321" in page

    # every state change audited
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["sourcing_request.submit", "sourcing_request.approve", "sourcing_request.match",
                       "sourcing_offer.create", "sourcing_offer.accept", "sourcing_request.fulfil"]


def _open_request(app, world, **overrides) -> int:
    with app.app_context():
        from marketplace.accounts.models import User

        buyer = db.session.get(User, world["buyer"])
        staff = db.session.get(User, world["staff"])
        item = services.post_request(buyer, services_form(world, **overrides), None)
        services.approve(item, actor=staff)
        db.session.commit()
        return item.id


def services_form(world, **overrides) -> dict:
    data = request_form(world, **overrides)
    data["required_certs"] = overrides.get("required_certs", [])
    return data


def test_unmatched_seller_cannot_see_or_answer(app, client, auth, world):
    request_id = _open_request(app, world, required_certs=["ocop4"])
    auth.log_in_as(world["farmer_user"])  # rice: never matched
    assert client.get(f"/dashboard/tim-nguon-hang/{request_id}").status_code == 404
    first = (today_vn() + timedelta(days=3)).isoformat()
    response = client.post(f"/dashboard/tim-nguon-hang/{request_id}",
                           data={"price_vnd": "1000", "quantity": "1", "first_delivery": first})
    assert response.status_code == 404
    assert f"/dashboard/tim-nguon-hang/{request_id}" not in client.get("/dashboard/tim-nguon-hang").get_data(
        as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SourcingOffer)) == 0

    # staff open it to all sellers: now any approved seller may answer
    auth.log_in_as(world["staff"])
    client.post(f"/nhan-vien/tim-nguon-hang/{request_id}/mo-cho-tat-ca", data={"value": "1"})
    auth.log_in_as(world["farmer_user"])
    assert client.get(f"/dashboard/tim-nguon-hang/{request_id}").status_code == 200
    response = client.post(f"/dashboard/tim-nguon-hang/{request_id}",
                           data={"price_vnd": "1000", "quantity": "1", "first_delivery": first})
    assert response.status_code == 302


def test_buyer_cannot_see_other_buyers_requests_or_offers(app, client, auth, world):
    request_id = _open_request(app, world)
    auth.log_in_as(world["other_buyer"])
    assert client.get(f"/tim-nguon-hang/cua-toi/{request_id}").status_code == 404
    with app.app_context():
        from marketplace.accounts.models import User
        from marketplace.sellers.models import Seller

        item = db.session.get(SourcingRequest, request_id)
        seller = db.session.get(Seller, world["rural"])
        offer = services.make_offer(item, seller, db.session.get(User, world["star_user"]),
                                    {"price_vnd": 5, "quantity": 5,
                                     "first_delivery": today_vn() + timedelta(days=1)})
        db.session.commit()
        offer_id = offer.id
    assert client.post(f"/tim-nguon-hang/cua-toi/{request_id}/chao-hang/{offer_id}/nhan").status_code == 404
    assert client.post(f"/tim-nguon-hang/cua-toi/{request_id}/chao-hang/{offer_id}/tu-choi").status_code == 404
    with app.app_context():
        assert db.session.get(SourcingOffer, offer_id).status == "pending"


def test_bad_input_is_refused_in_vietnamese_and_kept(app, client, auth, world):
    yesterday = (today_vn() - timedelta(days=1)).isoformat()
    response = _post(client, auth, world, deadline=yesterday, quantity="99999999999", target_price_vnd="-5",
                     title="Chè đặc sản vùng cao")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Hạn nhận chào hàng đã qua" in page
    assert "Số lượng là số nguyên từ 1 đến 10.000.000" in page
    assert "Giá mong muốn là số nguyên" in page
    assert 'value="Chè đặc sản vùng cao"' in page  # what was typed is still there
    response = _post(client, auth, world, quantity="1e3", category_id="abc", unit="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Vui lòng chọn danh mục." in page and "Đơn vị tính cần từ 1" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SourcingRequest)) == 0

    request_id = _open_request(app, world)
    auth.log_in_as(world["star_user"])
    response = client.post(f"/dashboard/tim-nguon-hang/{request_id}",
                           data={"price_vnd": "0", "quantity": "10000001", "first_delivery": yesterday,
                                 "message": "Giữ lời nhắn này"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Giá chào là số nguyên từ 1" in page and "Ngày giao đầu tiên đã qua" in page
    assert "Giữ lời nhắn này" in page


def test_seller_and_staff_accounts_cannot_post(client, auth, world):
    auth.log_in_as(world["star_user"])
    response = client.post("/tim-nguon-hang/moi", data=request_form(world))
    assert response.status_code == 403
    assert "Chỉ tài khoản người mua" in response.get_data(as_text=True)


def test_staff_add_and_remove_sellers(app, client, auth, world):
    request_id = _open_request(app, world)
    with app.app_context():
        matched = db.session.scalars(sa.select(SourcingMatch.seller_id).where(
            SourcingMatch.request_id == request_id)).all()
    # tea category and its child: the three tea sellers, ranked (4 stars first), no rice
    assert matched[0] == world["star"] and set(matched) == {world["star"], world["rural"], world["plain"]}
    auth.log_in_as(world["staff"])
    client.post(f"/nhan-vien/tim-nguon-hang/{request_id}/go-co-so", data={"seller": str(world["plain"])})
    client.post(f"/nhan-vien/tim-nguon-hang/{request_id}/them-co-so", data={"seller": "htx-gao-dong-xanh"})
    with app.app_context():
        item = db.session.get(SourcingRequest, request_id)
        assert {m.seller_id for m in services.active_matches(item)} == {world["star"], world["rural"],
                                                                        world["farmer"]}
    assert any(m[0] == "gao@example.vn" for m in _mails(app))
    auth.log_in_as(world["plain_user"])
    assert client.get(f"/dashboard/tim-nguon-hang/{request_id}").status_code == 404
    # a seller that already offered cannot be removed (its offer is kept)
    auth.log_in_as(world["farmer_user"])
    client.post(f"/dashboard/tim-nguon-hang/{request_id}",
                data={"price_vnd": "100000", "quantity": "10",
                      "first_delivery": (today_vn() + timedelta(days=5)).isoformat()})
    auth.log_in_as(world["staff"])
    response = client.post(f"/nhan-vien/tim-nguon-hang/{request_id}/go-co-so", data={"seller": str(world["farmer"])},
                           follow_redirects=True)
    assert "đã gửi chào hàng nên không thể gỡ" in response.get_data(as_text=True)


def test_match_limit(app, world):
    with app.app_context():
        app.config["SOURCING_MAX_MATCHES"] = 2
    request_id = _open_request(app, world)
    with app.app_context():
        item = db.session.get(SourcingRequest, request_id)
        assert [m.seller_id for m in item.matches] == [world["star"], world["rural"]]


def test_api_lists_open_requests_with_public_fields_only(app, client, auth, world):
    open_id = _open_request(app, world, title="Chè xanh cho chuỗi siêu thị")
    auth.log_in_as(world["buyer"])
    client.post("/tim-nguon-hang/moi", data=request_form(world, title="Chè chưa duyệt"))  # pending
    client.post("/dang-xuat")
    with app.app_context():
        from marketplace.sourcing.models import SourcingRequest as R

        closed = db.session.get(R, _open_request(app, world, title="Chè đã đóng"))
        closed.status = "closed"
        db.session.commit()
    body = client.get("/api/v1/sourcing-requests").get_json()
    assert [item["id"] for item in body["items"]] == [open_id]
    item = body["items"][0]
    assert item["buyer"] == "siêu thị tại Hà Nội" and item["buyer_type"] == "supermarket" and item["quantity"] == 2000 and item["unit"] == "kg"
    assert item["url"].endswith(f"/tim-nguon-hang/{open_id}")
    text = str(body)
    for secret in ("mua@sieuthi.vn", "0987", "Siêu thị Xanh", "Nguyễn Thị Mua"):
        assert secret not in text
    assert client.get("/api/v1/sourcing-requests?category=che").get_json()["total"] == 1
    assert client.get("/api/v1/sourcing-requests?category=gao").get_json()["total"] == 0
    bad = client.get("/api/v1/sourcing-requests?category=%00x")
    assert bad.status_code == 400 and bad.get_json()["field"] == "category"
    assert client.get("/api/v1/sourcing-requests?per_page=1000").get_json()["field"] == "per_page"


def test_staff_home_counts_requests_awaiting_review_and_pages_render_in_english(app, client, auth, world):
    auth.log_in_as(world["buyer"])
    client.post("/tim-nguon-hang/moi", data=request_form(world))
    auth.log_in_as(world["staff"])
    home = client.get("/nhan-vien/").get_data(as_text=True)
    assert 'id="count-sourcing">1<' in home
    open_id = _open_request(app, world)
    english = client.get("/tim-nguon-hang?lang=en").get_data(as_text=True)
    assert "Sourcing" in english and "supermarket in Hà Nội" in english
    assert "Offers until" in english
    staff_page = client.get(f"/nhan-vien/tim-nguon-hang/{open_id}").get_data(as_text=True)
    assert "Sellers told" in staff_page


def test_the_board_is_never_served_from_the_page_cache(app, client, world):
    """Approving, offering or a passing deadline moves no catalog scope: a cached board
    would go stale, so it is always rendered."""
    open_id = _open_request(app, world)
    for _ in range(2):
        response = client.get("/tim-nguon-hang")
        assert "X-Page-Cache" not in response.headers
    with app.app_context():
        db.session.get(SourcingRequest, open_id).status = "closed"
        db.session.commit()
    assert "Chè búp khô loại 1" not in client.get("/tim-nguon-hang").get_data(as_text=True)


def test_mail_is_vietnamese_and_refusals_follow_the_page_language(app, client, auth, world):
    auth.log_in_as(world["buyer"])
    client.get("/tim-nguon-hang?lang=en")
    yesterday = (today_vn() - timedelta(days=1)).isoformat()
    page = client.post("/tim-nguon-hang/moi", data=request_form(world, deadline=yesterday)).get_data(as_text=True)
    assert "The offer deadline has passed" in page
    assert client.post("/tim-nguon-hang/moi", data=request_form(world)).status_code == 302
    item = _only_request(app)
    auth.log_in_as(world["staff"])
    client.get("/nhan-vien/?lang=en")
    client.post(f"/nhan-vien/tim-nguon-hang/{item.id}/duyet")
    subjects = {m[1] for m in _mails(app)}
    assert any("Người mua đang tìm nguồn hàng" in s for s in subjects)
    assert any("Yêu cầu tìm nguồn hàng đã được duyệt" in s for s in subjects)
    assert not any("looking for" in s or "approved" in s for s in subjects)
