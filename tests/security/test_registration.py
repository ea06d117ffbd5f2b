"""Issue 10 item 11 (registration): registering had no rate limit and said "this e-mail
is already registered". Now every valid registration gets the same "check your mail"
answer — a new account a confirmation link, the owner of an existing one a notice —
and one client may register only a few times an hour."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.accounts.views import REGISTER_LIMIT
from marketplace.extensions import db
from tests.conftest import make_test_config
from tests.factories import make_user

from .mailbox import body, read_mails


@pytest.fixture
def app_config(tmp_path):
    return make_test_config(tmp_path, RATELIMIT_ENABLED=True)


@pytest.fixture
def existing(app):
    with app.app_context():
        make_user(email="chu@example.vn", password="mat-khau-cu-123")
        db.session.commit()


def _register(client, email, password="mat-khau-moi-456", environ=None):
    return client.post("/dang-ky", data={"name": "Khách", "email": email, "password": password,
                                         "confirm": password}, environ_base=environ or {})


def test_registration_does_not_reveal_that_an_email_has_an_account(app, existing, tmp_path, auth):
    new = _register(app.test_client(), "moi@example.vn", environ={"REMOTE_ADDR": "198.51.100.1"})
    old = _register(app.test_client(), "CHU@example.vn", environ={"REMOTE_ADDR": "198.51.100.2"})
    assert new.status_code == old.status_code == 200
    assert new.headers.get("Location") == old.headers.get("Location")
    new_html = new.get_data(as_text=True).replace("moi@example.vn", "EMAIL")
    old_html = old.get_data(as_text=True).replace("chu@example.vn", "EMAIL")
    assert new_html == old_html
    assert [c.split("=", 1)[0] for c in new.headers.getlist("Set-Cookie")] == \
        [c.split("=", 1)[0] for c in old.headers.getlist("Set-Cookie")]

    mails = {m["To"]: body(m) for m in read_mails(tmp_path / "mail")}
    assert set(mails) == {"moi@example.vn", "chu@example.vn"}
    assert "/xac-nhan-email/" in mails["moi@example.vn"]
    assert "đã có tài khoản" in mails["chu@example.vn"] and "/xac-nhan-email/" not in mails["chu@example.vn"]
    with app.app_context():
        owner = db.session.scalars(sa.select(User).where(User.email == "chu@example.vn")).one()
        assert owner.email_confirmed
    # The owner's password is untouched; the stranger's does not open the account.
    other_address = {"REMOTE_ADDR": "198.51.100.3"}
    assert auth.login("chu@example.vn", "mat-khau-moi-456", environ_base=other_address).status_code == 400
    assert auth.login("chu@example.vn", "mat-khau-cu-123", environ_base=other_address).status_code == 302


def test_registration_is_rate_limited_per_client(app):
    client = app.test_client()
    attacker = {"REMOTE_ADDR": "203.0.113.7"}
    statuses = [_register(client, f"a{i}@example.vn", environ=attacker).status_code for i in range(REGISTER_LIMIT + 1)]
    assert statuses == [200] * REGISTER_LIMIT + [429]
    assert "quá nhiều lần" in _register(client, "b@example.vn", environ=attacker).get_data(as_text=True)
    assert _register(app.test_client(), "c@example.vn", environ={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200


def test_bad_input_is_refused_the_same_way_for_new_and_existing_addresses(app, existing):
    client = app.test_client()
    new = _register(client, "moi@example.vn", password="ngan")
    old = _register(client, "chu@example.vn", password="ngan")
    assert new.status_code == old.status_code == 400
    assert "Mật khẩu phải dài từ 8 đến 128 ký tự." in old.get_data(as_text=True)
    assert "đã được đăng ký" not in old.get_data(as_text=True)


def test_an_address_registered_by_someone_else_first_cannot_be_taken_over(app, tmp_path, auth):
    """Pre-hijacking: an attacker registers the victim's address with their own password
    and waits for the victim to confirm it. The confirmation needs the password chosen at
    registration, so the victim cannot confirm the attacker's account by mistake; the
    victim takes the address back with a password reset, which confirms it."""
    import re

    attacker, victim = app.test_client(), app.test_client()
    assert _register(attacker, "nan-nhan@example.vn", password="mat-khau-ke-gian").status_code == 200
    assert _register(victim, "nan-nhan@example.vn", password="mat-khau-that-1").status_code == 200
    links = re.findall(r"http://localhost(/xac-nhan-email/\S+)", "\n".join(body(m) for m in read_mails(tmp_path / "mail")))
    assert len(links) == 2
    for link in links:  # the victim clicks whatever arrives, with their own password
        response = victim.post(link, data={"password": "mat-khau-that-1"})
        assert response.status_code == 400 and "lấy lại mật khẩu" in response.get_data(as_text=True)
    assert victim.get("/tai-khoan").status_code == 302
    # The attacker cannot log in either: the address was never confirmed.
    assert auth.login("nan-nhan@example.vn", "mat-khau-ke-gian", client=attacker).status_code == 403
    # The victim resets the password from the mailbox: confirmed, and only theirs.
    victim.post("/quen-mat-khau", data={"email": "nan-nhan@example.vn"})
    reset = re.search(r"http://localhost(/dat-lai-mat-khau/\S+)", body(read_mails(tmp_path / "mail")[-1])).group(1)
    assert victim.post(reset, data={"password": "mat-khau-that-2", "confirm": "mat-khau-that-2"}).status_code == 302
    assert auth.login("nan-nhan@example.vn", "mat-khau-that-2", client=victim).status_code == 302
    assert auth.login("nan-nhan@example.vn", "mat-khau-ke-gian").status_code == 400
