"""Alerts people opt into (issue 19): double opt-in, one digest per address and day,
one-click unsubscribe (RFC 8058), signed links, bad input and abuse, and the job's
at-most-once sending when a run crashes. Real database, the real file mailer (.eml)."""
from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import built_app, make_test_config
from factories import make_category, make_product, make_seller
from marketplace.alerts import services
from marketplace.catalog.models import Category
from marketplace.alerts.models import AlertDigest, AlertSubscriber, AlertSubscription
from marketplace.extensions import db
from marketplace.seasons import months_to_mask
from marketplace.text import utcnow

DECEMBER = date(2026, 12, 7)


def take_mails(app) -> list:
    """The messages written since the last call (then removed), oldest first."""
    folder = Path(app.config["MAIL_FOLDER"])
    if not folder.exists():
        return []
    paths = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    mails = [message_from_bytes(p.read_bytes(), policy=default_policy) for p in paths]
    for p in paths:
        p.unlink()
    return mails


def link(mail, path: str) -> str:
    return re.search(rf"http://localhost({re.escape(path)}[^\s]+)", mail.get_content()).group(1)


@pytest.fixture
def floor(app):
    with app.app_context():
        noodles = make_category(name="Miến, bún", slug="mien-bun")
        tea = make_category(name="Chè (trà)", slug="che")
        seller = make_seller(name="HTX Miến Côn Minh")
        mien = make_product(name="Miến dong Côn Minh", seller=seller, category=noodles,
                            season_mask=months_to_mask([11, 12, 1]))
        na = make_product(name="Na dai Võ Nhai", seller=seller, category=noodles, season_mask=months_to_mask([8, 9]))
        old_tea = make_product(name="Chè móc câu cũ", seller=seller, category=tea)
        honey = make_product(name="Mật ong quanh năm", seller=seller, category=noodles, season_mask=4095)
        db.session.commit()
        return {"mien": mien.id, "na": na.id, "old_tea": old_tea.id, "honey": honey.id, "tea": tea.id,
                "seller": seller.id}


def subscribe(client, email="mua@example.vn", **fields):
    return client.post("/thong-bao/dang-ky", data={"email": email, **fields})


def confirm_from_mail(client, app) -> None:
    [mail] = take_mails(app)
    path = link(mail, "/thong-bao/xac-nhan/")
    page = client.get(path)
    assert page.status_code == 200 and "Xác nhận" in page.get_data(as_text=True)
    assert client.post(path).status_code == 200


def run_job(app, today=DECEMBER):
    with app.app_context():
        return services.send_digests(today)


def test_double_opt_in_then_one_digest_a_day_then_one_click_unsubscribe(app, client, floor):
    response = subscribe(client, product=str(floor["mien"]))
    assert response.status_code == 200
    assert "kiểm tra hộp thư" in response.get_data(as_text=True)
    [confirmation] = take_mails(app)
    assert confirmation["To"] == "mua@example.vn"
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://localhost/thong-bao/huy/[^>]+>", confirmation["List-Unsubscribe"])
    assert "/thong-bao/huy/" in confirmation.get_content()

    # Nothing is sent before the confirmation; a mail scanner's GET of the link confirms nothing.
    confirm_path = link(confirmation, "/thong-bao/xac-nhan/")
    assert client.get(confirm_path).status_code == 200
    assert run_job(app).sent == 0 and take_mails(app) == []
    assert client.post(confirm_path).status_code == 200

    report = run_job(app)
    assert report.sent == 1
    [digest] = take_mails(app)
    assert digest["To"] == "mua@example.vn"
    body = digest.get_content()
    assert "Miến dong Côn Minh" in body and "tháng 11 – tháng 1" in body
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = digest["List-Unsubscribe"].strip("<>")
    assert unsubscribe_url in body

    # The same day: nothing more, whatever runs. The next days: this season was told.
    assert run_job(app).sent == 0
    assert run_job(app, DECEMBER + timedelta(days=1)).sent == 0
    assert take_mails(app) == []

    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the header's URL.
    path = unsubscribe_url.removeprefix("http://localhost")
    assert client.get(path).status_code == 200  # a GET shows the button, changes nothing
    with app.app_context():
        assert db.session.scalar(sa.select(AlertSubscriber.unsubscribed_at)) is None
    response = client.post(path, data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "Đã hủy nhận thông báo" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(AlertSubscriber.unsubscribed_at)) is not None
        assert not db.session.scalar(sa.select(AlertSubscription.active))
    # Next season: nothing, the address unsubscribed.
    assert run_job(app, date(2027, 11, 2)).sent == 0
    assert take_mails(app) == []


def test_a_season_is_told_once_per_season_and_again_the_next_year(app, client, floor):
    subscribe(client, product=str(floor["mien"]))
    confirm_from_mail(client, app)
    assert run_job(app, date(2026, 11, 3)).sent == 1
    assert run_job(app, date(2027, 1, 15)).sent == 0  # the same season (November–January)
    assert run_job(app, date(2027, 5, 1)).sent == 0  # out of season
    assert run_job(app, date(2027, 11, 1)).sent == 1
    assert len(take_mails(app)) == 2


def test_saved_search_mails_new_matching_products_only(app, client, floor):
    subscribe(client, q="chè", category="che")
    confirm_from_mail(client, app)
    assert run_job(app).sent == 0  # the old tea was there before the confirmation
    with app.app_context():
        seller = make_seller(name="HTX Chè La Bằng")
        category = db.session.scalar(sa.select(Category).where(Category.slug == "che"))
        make_product(name="Chè búp La Bằng mới", seller=seller, category=category,
                     published_at=utcnow() + timedelta(seconds=1))
        db.session.commit()
    from marketplace.search import get_search

    with app.app_context():
        get_search().deliver_pending()
    assert run_job(app).sent == 1
    [digest] = take_mails(app)
    body = digest.get_content()
    assert "Chè búp La Bằng mới" in body and "Chè móc câu cũ" not in body
    assert run_job(app, DECEMBER + timedelta(days=1)).sent == 0  # told once


def test_one_digest_per_address_and_day_for_several_alerts(app, client, floor):
    subscribe(client, product=str(floor["mien"]))
    confirm_from_mail(client, app)
    subscribe(client, product=str(floor["na"]))
    confirm_from_mail(client, app)
    assert run_job(app, date(2026, 12, 1)).sent == 1
    assert len(take_mails(app)) == 1
    assert run_job(app, date(2027, 8, 1)).sent == 1  # custard apples come in: the next digest
    [august] = take_mails(app)
    assert "Na dai Võ Nhai" in august.get_content() and "Miến dong" not in august.get_content()


class Crash(BaseException):
    """A process dying mid-run (not an Exception: nothing catches it)."""


def test_a_crash_mid_run_sends_no_duplicates(app, client, floor, monkeypatch):
    for i in range(3):
        subscribe(client, email=f"nguoi{i}@example.vn", product=str(floor["mien"]))
        confirm_from_mail(client, app)
    mailer = app.extensions["mailer"]
    real_send = mailer.send
    sent = []

    def crash_on_second(message):
        if len(sent) == 1:
            raise Crash()
        real_send(message)
        sent.append(message["To"])

    monkeypatch.setattr(mailer, "send", crash_on_second)
    with pytest.raises(Crash):
        run_job(app)
    monkeypatch.setattr(mailer, "send", real_send)
    with app.app_context():
        db.session.rollback()
        db.session.remove()
    report = run_job(app)  # the next run (another process, after the restart)
    recipients = [m["To"] for m in take_mails(app)]
    assert len(recipients) == len(set(recipients))  # nobody twice
    assert len(recipients) == 2 and report.sent == 1  # the one claimed before the crash is not retried
    with app.app_context():
        statuses = sorted(db.session.scalars(sa.select(AlertDigest.status)))
    assert statuses == ["sending", "sent", "sent"]
    assert run_job(app, DECEMBER + timedelta(days=1)).stale == 1  # reported by the job


def test_two_runners_at_once_send_one_digest(app, client, floor, tmp_path):
    """Two processes racing for the same address: the unique (address, day) row lets one through."""
    subscribe(client, product=str(floor["mien"]))
    confirm_from_mail(client, app)
    with app.app_context():
        subscriber = db.session.scalar(sa.select(AlertSubscriber))
        # The other runner claimed today's digest between our check and our claim.
        db.session.add(AlertDigest(subscriber_id=subscriber.id, day=DECEMBER, status="sending", items=[]))
        db.session.commit()
    assert run_job(app).sent == 0
    assert take_mails(app) == []


def test_the_job_is_registered_and_runs_through_the_runner(app, client, floor):
    from marketplace.jobs import jobs, run_job as run

    subscribe(client, product=str(floor["mien"]))
    confirm_from_mail(client, app)
    with app.app_context():
        job = jobs(app)["alerts_digest"]
        assert run(job, "test", force=True) is True
    # Sent today (Asia/Ho_Chi_Minh) if the noodles are in season today; never twice.
    with app.app_context():
        again = run(jobs(app)["alerts_digest"], "test", force=True)
    assert again is True
    assert len(take_mails(app)) <= 1


# ------------------------------------------------------------------ bad input and abuse


@pytest.mark.parametrize(("fields", "message"), [
    ({"email": "khong-phai-email", "product": "1"}, "Vui lòng nhập một địa chỉ email hợp lệ."),
    ({"email": "a" * 300 + "@example.vn", "product": "1"}, "Vui lòng nhập một địa chỉ email hợp lệ."),
    ({"email": "mua@example.vn", "product": "999999"}, "Không tìm thấy sản phẩm."),
    ({"email": "mua@example.vn", "product": "9" * 500}, "Không tìm thấy sản phẩm."),
    ({"email": "mua@example.vn", "product": "abc"}, "Không tìm thấy sản phẩm."),
    ({"email": "mua@example.vn", "q": ""}, "Vui lòng nhập từ khóa hoặc chọn danh mục"),
    ({"email": "mua@example.vn", "q": "chè" * 50}, "Từ khóa tìm kiếm tối đa 100 ký tự."),
    ({"email": "mua@example.vn", "category": "khong-co"}, "Không tìm thấy danh mục."),
])
def test_bad_subscriptions_get_a_vietnamese_message_and_save_nothing(app, client, floor, fields, message):
    if fields.get("product") == "1":
        fields = {**fields, "product": str(floor["mien"])}
    response = client.post("/thong-bao/dang-ky", data=fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertSubscription)) == 0
    assert take_mails(app) == []


def test_products_without_a_season_or_year_round_cannot_be_followed(app, client, floor):
    for pid, message in ((floor["old_tea"], "chưa ghi mùa vụ"), (floor["honey"], "có hàng quanh năm")):
        response = subscribe(client, product=str(pid))
        assert response.status_code == 400 and message in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["x", "a" * 1000, "eyJzIjoxfQ.forged.sig", "%00", "..%2f..%2fetc"])
def test_forged_or_garbled_links_are_refused_never_a_500(client, floor, token):
    for path in ("/thong-bao/xac-nhan/", "/thong-bao/huy/"):
        assert client.get(path + token).status_code in (404,)
        assert client.post(path + token).status_code in (404,)


def test_unsubscribe_links_cannot_be_guessed_from_another(app, client, floor):
    subscribe(client, email="a@example.vn", product=str(floor["mien"]))
    subscribe(client, email="b@example.vn", product=str(floor["mien"]))
    take_mails(app)
    with app.app_context():
        a, b = db.session.scalars(sa.select(AlertSubscriber).order_by(AlertSubscriber.id)).all()
        token_a = services.unsubscribe_token(a)
        # Same signature scheme, B's id, A's secret: refused. Another app secret: refused.
        forged = services._serializer(services.UNSUBSCRIBE_SALT).dumps({"s": b.id, "k": a.secret[:16]})
        assert services.subscriber_for_unsubscribe(forged) is None
        assert services.subscriber_for_unsubscribe(token_a).id == a.id
        assert services.subscriber_for_unsubscribe(token_a[:-2] + "xx") is None
    assert client.post("/thong-bao/huy/" + forged).status_code == 404


def test_subscribing_the_same_thing_twice_mails_once_and_never_reveals_the_address(app, client, floor):
    subscribe(client, product=str(floor["mien"]))
    confirm_from_mail(client, app)
    again = subscribe(client, product=str(floor["mien"]))
    assert again.status_code == 200
    assert take_mails(app) == []  # already running: no new confirmation mail
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertSubscription)) == 1


@pytest.fixture
def limited_app(tmp_path):
    with built_app(make_test_config(tmp_path, RATELIMIT_ENABLED=True)) as app:
        yield app


def test_subscriptions_are_rate_limited_per_address(limited_app):
    app = limited_app
    with app.app_context():
        category = make_category(name="Miến", slug="mien")
        seller = make_seller()
        ids = [make_product(name=f"Miến {i}", seller=seller, category=category,
                            season_mask=months_to_mask([12])).id for i in range(8)]
        db.session.commit()
    statuses = []
    for i, pid in enumerate(ids):
        # a new client each time: the per-address limit is what stops it
        client = app.test_client()
        response = client.post("/thong-bao/dang-ky", data={"email": "Nan.Nhan@Example.vn", "product": str(pid)},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert "Quá nhiều yêu cầu" in response.get_data(as_text=True)
    assert statuses == [200] * services.PER_ADDRESS[0] + [429] * (8 - services.PER_ADDRESS[0])
    assert len(take_mails(app)) == services.PER_ADDRESS[0]


def test_addresses_are_never_shown_to_sellers(app, client, floor, auth):
    from factories import make_user

    subscribe(client, email="bi-mat@example.vn", product=str(floor["mien"]))
    confirm_from_mail(client, app)
    with app.app_context():
        seller_user = make_user(role="seller", seller_id=floor["seller"])
        db.session.commit()
        uid = seller_user.id
    seller_client = app.test_client()
    from auth import log_in

    log_in(seller_client, uid)
    for path in ("/dashboard/", f"/dashboard/san-pham/{floor['mien']}"):
        page = seller_client.get(path).get_data(as_text=True)
        assert "bi-mat@example.vn" not in page
