"""Accounts: registration, login/logout, remember-me, reset links, change password,
cookie flags, rate limit, CSRF, and the users/sellers/products CLI."""
from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from auth import PASSWORD, AuthActions
from conftest import make_test_config
from factories import make_category, make_product, make_seller, make_user
from marketplace.accounts.models import User
from marketplace.accounts.tokens import RESET_SALT, load_reset_token, make_reset_token
from marketplace.extensions import db
from marketplace.sellers.models import Seller


def user_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def read_mails(app) -> list:
    folder = Path(app.config["MAIL_FOLDER"])
    if not folder.exists():
        return []
    return [message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(folder.glob("*.eml"))]


# ---------------------------------------------------------------------- registration


def _confirm_link(app) -> str:
    mails = read_mails(app)
    assert mails, "no mail written"
    match = re.search(r"https?://[^/\s]+(/xac-nhan-email/\S+)", mails[-1].get_content())
    assert match, mails[-1].get_content()
    return match.group(1)


def test_register_creates_an_unconfirmed_buyer_confirmed_by_the_mailed_link(client, app, auth):
    response = client.post("/dang-ky", data={
        "name": "Nguyễn Thị Lan", "email": "Lan@Example.vn", "password": "tra-xanh-2024", "confirm": "tra-xanh-2024",
    })
    assert response.status_code == 200
    assert "Kiểm tra email của bạn" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(sa.select(User)).one()
        assert user.email == "lan@example.vn"
        assert user.role == "buyer" and not user.email_confirmed
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
        assert "tra-xanh-2024" not in user.password_hash
    assert client.get("/tai-khoan").status_code == 302  # not logged in before confirming
    refused = auth.login("lan@example.vn", "tra-xanh-2024")
    assert refused.status_code == 403 and "chưa được xác nhận" in refused.get_data(as_text=True)
    link = _confirm_link(app)
    assert client.get(link).status_code == 200  # a page with a button: opening the link confirms nothing
    with app.app_context():
        assert not db.session.scalars(sa.select(User)).one().email_confirmed
    wrong = client.post(link, data={"password": "khong-phai-mat-khau"})
    assert wrong.status_code == 400 and "Mật khẩu không đúng" in wrong.get_data(as_text=True)
    assert client.post(link, data={"password": "tra-xanh-2024"}).status_code == 302
    page = client.get("/tai-khoan")
    assert page.status_code == 200
    assert "lan@example.vn" in page.get_data(as_text=True)
    # The link logs in only once.
    other = app.test_client()
    again = other.post(link, data={"password": "tra-xanh-2024"})
    assert again.status_code == 302 and again.headers["Location"].startswith("/dang-nhap")
    assert other.get("/tai-khoan").status_code == 302


def test_register_wanting_to_sell_goes_to_the_seller_profile_form(client, app):
    client.post("/dang-ky", data={
        "email": "htx@example.vn", "password": "tra-xanh-2024", "confirm": "tra-xanh-2024", "wants_to_sell": "y",
    })
    response = client.post(_confirm_link(app), data={"password": "tra-xanh-2024"})
    assert response.headers["Location"].endswith("/dashboard/ho-so")
    assert "Đăng ký bán hàng" in client.get("/dashboard/ho-so").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"email": "khong-phai-email", "password": "tra-xanh-2024", "confirm": "tra-xanh-2024"}, "Địa chỉ email không hợp lệ."),
    ({"email": "a@example.vn", "password": "ngan", "confirm": "ngan"}, "Mật khẩu phải dài từ 8 đến 128 ký tự."),
    ({"email": "a@example.vn", "password": "tra-xanh-2024", "confirm": "khac-hoan-toan"}, "Hai mật khẩu không khớp."),
])
def test_register_rejects_bad_input_in_vietnamese_and_saves_nothing(client, app, data, message):
    response = client.post("/dang-ky", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert user_count() == 0


def test_register_with_an_existing_email_answers_the_same_and_mails_the_owner(client, app):
    with app.app_context():
        make_user(email="lan@example.vn")
        db.session.commit()
    response = client.post("/dang-ky", data={"email": "LAN@example.vn", "password": "tra-xanh-2024", "confirm": "tra-xanh-2024"})
    assert response.status_code == 200
    assert "Kiểm tra email của bạn" in response.get_data(as_text=True)
    with app.app_context():
        assert user_count() == 1
    [mail] = read_mails(app)
    assert mail["To"] == "lan@example.vn" and "đã có tài khoản" in mail.get_content()


# ------------------------------------------------------------------------ login/out


def test_login_logout_round_trip(client, app, buyer_account, auth):
    assert client.get("/tai-khoan").status_code == 302
    response = auth.login("MUA@example.vn")
    assert response.status_code == 302
    assert client.get("/tai-khoan").status_code == 200
    with app.app_context():
        assert db.session.scalars(sa.select(User)).one().last_login_at is not None
    # Logging out is a POST; a GET does nothing.
    assert client.get("/dang-xuat").status_code == 405
    assert auth.logout().status_code == 302
    assert client.get("/tai-khoan").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, app, buyer_account, auth):
    wrong = auth.login("mua@example.vn", "sai-mat-khau")
    unknown = auth.login("khong-co@example.vn", "sai-mat-khau")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Email hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert client.get("/tai-khoan").status_code == 302


def test_inactive_account_cannot_log_in(client, app, auth):
    with app.app_context():
        make_user(email="khoa@example.vn", active=False)
        db.session.commit()
    assert auth.login("khoa@example.vn").status_code == 400
    assert client.get("/tai-khoan").status_code == 302


def test_login_follows_only_local_next(client, app, buyer_account):
    ok = client.post("/dang-nhap?next=/tai-khoan/mat-khau", data={"email": "mua@example.vn", "password": PASSWORD})
    assert ok.headers["Location"] == "/tai-khoan/mat-khau"
    client.post("/dang-xuat")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/dang-nhap", query_string={"next": evil},
                               data={"email": "mua@example.vn", "password": PASSWORD})
        assert "evil" not in response.headers["Location"]
        client.post("/dang-xuat")


def test_dashboard_redirects_anonymous_to_login_with_vietnamese_message(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dang-nhap?next=")
    page = client.get(response.headers["Location"])
    assert "Vui lòng đăng nhập để tiếp tục." in page.get_data(as_text=True)


def test_remember_me_sets_a_persistent_httponly_cookie(client, app, buyer_account, auth):
    response = auth.login("mua@example.vn", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember, cookies
    assert "HttpOnly" in remember[0] and "Expires=" in remember[0] and "SameSite=Lax" in remember[0]
    # Without the session cookie, the remember cookie alone logs the user back in.
    client.delete_cookie("session")
    assert client.get("/tai-khoan").status_code == 200


def test_without_remember_me_no_remember_cookie(client, app, buyer_account, auth):
    response = auth.login("mua@example.vn")
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]


def test_session_cookie_is_httponly_lax(client, app, buyer_account, auth):
    cookie = [c for c in auth.login("mua@example.vn").headers.getlist("Set-Cookie") if c.startswith("session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in development


def test_session_cookie_secure_behind_https(tmp_path, monkeypatch):
    from marketplace import create_app

    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "s")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.fixture
def limited_config(tmp_path):
    return make_test_config(tmp_path, RATELIMIT_ENABLED=True)


def test_login_is_rate_limited_with_a_vietnamese_429(tmp_path):
    from marketplace import create_app
    from conftest import reset_schema

    app = create_app(make_test_config(tmp_path, RATELIMIT_ENABLED=True))
    with app.app_context():
        reset_schema()
        make_user(email="mua@example.vn")
        db.session.commit()
    client = app.test_client()
    auth = AuthActions(client)
    for _ in range(5):
        assert auth.login("mua@example.vn", "sai-mat-khau").status_code == 400
    assert auth.login("mua@example.vn", "sai-mat-khau").status_code == 429  # now a delay
    blocked = auth.login("mua@example.vn")  # even the right password is refused during it
    assert blocked.status_code == 429
    assert "Bạn đã đăng nhập sai quá nhiều lần" in blocked.get_data(as_text=True)
    assert client.get("/tai-khoan").status_code == 302
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------ password reset


def _reset_link(app) -> str:
    mails = read_mails(app)
    assert mails, "no mail written"
    body = mails[-1].get_content()
    match = re.search(r"https?://\S+/dat-lai-mat-khau/\S+", body)
    assert match, body
    return match.group(0).split("://", 1)[1].split("/", 1)[1]


def test_password_reset_by_mailed_link_works_once(client, app, buyer_account, auth):
    response = client.post("/quen-mat-khau", data={"email": "mua@example.vn"})
    assert response.status_code == 200
    assert "Kiểm tra email" in response.get_data(as_text=True)
    mails = read_mails(app)
    assert len(mails) == 1 and mails[0]["To"] == "mua@example.vn"
    assert mails[0]["Subject"] == "Đặt lại mật khẩu"
    path = "/" + _reset_link(app)
    assert client.get(path).status_code == 200
    done = client.post(path, data={"password": "mat-khau-moi-456", "confirm": "mat-khau-moi-456"})
    assert done.status_code == 302
    # The link is spent: the password fingerprint in it no longer matches.
    again = client.get(path)
    assert again.status_code == 400
    assert "không hợp lệ, đã hết hạn hoặc đã được sử dụng" in again.get_data(as_text=True)
    assert auth.login("mua@example.vn", PASSWORD).status_code == 400
    assert auth.login("mua@example.vn", "mat-khau-moi-456").status_code == 302


def test_reset_for_unknown_email_looks_the_same_and_sends_nothing(client, app):
    response = client.post("/quen-mat-khau", data={"email": "khong-co@example.vn"})
    assert response.status_code == 200
    assert "Kiểm tra email" in response.get_data(as_text=True)
    assert read_mails(app) == []


def test_reset_token_expires_after_an_hour_and_rejects_forgeries(app):
    with app.app_context():
        user = make_user(email="mua@example.vn")
        db.session.commit()
        token = make_reset_token(user)
        assert load_reset_token(token).id == user.id
        assert load_reset_token(token, max_age=-1) is None  # expired
        assert load_reset_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
        forged = URLSafeTimedSerializer("another-secret", salt=RESET_SALT).dumps({"uid": user.id, "fp": user.password_fingerprint})
        assert load_reset_token(forged) is None


def test_reset_page_with_garbage_token_is_a_friendly_400(client):
    response = client.get("/dat-lai-mat-khau/khong-hop-le")
    assert response.status_code == 400
    assert "Yêu cầu liên kết mới" in response.get_data(as_text=True)


# ----------------------------------------------------------------- change password


def test_change_password_logs_out_other_sessions(app, buyer_account, auth):
    phone, laptop = app.test_client(), app.test_client()
    auth.login("mua@example.vn", client=phone)
    auth.login("mua@example.vn", client=laptop)
    wrong = laptop.post("/tai-khoan/mat-khau", data={
        "current_password": "sai", "new_password": "mat-khau-moi-456", "confirm": "mat-khau-moi-456"})
    assert wrong.status_code == 400
    assert "Mật khẩu hiện tại không đúng." in wrong.get_data(as_text=True)
    ok = laptop.post("/tai-khoan/mat-khau", data={
        "current_password": PASSWORD, "new_password": "mat-khau-moi-456", "confirm": "mat-khau-moi-456"})
    assert ok.status_code == 302
    assert laptop.get("/tai-khoan").status_code == 200  # this browser stays logged in
    assert phone.get("/tai-khoan").status_code == 302  # the other one is logged out


# ---------------------------------------------------------------------------- CSRF


@pytest.fixture
def csrf_config(tmp_path):
    return make_test_config(tmp_path, WTF_CSRF_ENABLED=True)


class TestCsrf:
    @pytest.fixture
    def app_config(self, csrf_config):
        return csrf_config

    def test_register_without_token_fails_and_saves_nothing(self, client, app):
        response = client.post("/dang-ky", data={"email": "a@example.vn", "password": "tra-xanh-2024", "confirm": "tra-xanh-2024"})
        assert response.status_code == 400
        with app.app_context():
            assert user_count() == 0

    def test_login_and_logout_need_the_token(self, client, app, buyer_account, auth):
        assert auth.login("mua@example.vn").status_code == 400
        page = client.get("/dang-nhap").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert auth.login("mua@example.vn", csrf_token=token).status_code == 302
        assert client.post("/dang-xuat").status_code == 400  # no token: still logged in
        assert client.get("/tai-khoan").status_code == 200
        account = client.get("/tai-khoan").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', account).group(1)
        assert client.post("/dang-xuat", data={"csrf_token": token}).status_code == 302
        assert client.get("/tai-khoan").status_code == 302


# ----------------------------------------------------------------------------- CLI


def test_cli_users_create_every_role(runner, app, auth):
    with app.app_context():
        make_seller(slug="htx-tan-cuong")
        db.session.commit()
    result = runner.invoke(args=["users", "create", "ban@example.vn", "--role", "seller", "--seller", "htx-tan-cuong",
                                 "--password", "tra-xanh-2024"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "create", "canbo@example.vn", "--role", "staff", "--password", "tra-xanh-2024"])
    assert result.exit_code == 0, result.output
    # Password prompted (hidden) when omitted.
    result = runner.invoke(args=["users", "create", "mua@example.vn"], input="tra-xanh-2024\ntra-xanh-2024\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        users = {u.email: u for u in db.session.scalars(sa.select(User))}
        assert users["ban@example.vn"].role == "seller" and users["ban@example.vn"].seller.slug == "htx-tan-cuong"
        assert users["canbo@example.vn"].role == "staff" and users["canbo@example.vn"].seller_id is None
        assert users["mua@example.vn"].role == "buyer"
    assert auth.login("ban@example.vn", "tra-xanh-2024").headers["Location"] == "/dashboard/"


@pytest.mark.parametrize("args, message", [
    (["users", "create", "x@example.vn", "--role", "seller", "--password", "tra-xanh-2024"], "--seller"),
    (["users", "create", "x@example.vn", "--role", "seller", "--seller", "khong-co", "--password", "tra-xanh-2024"], "khong-co"),
    (["users", "create", "x@example.vn", "--role", "god", "--password", "tra-xanh-2024"], "god"),
    (["users", "create", "x@example.vn", "--password", "ngan"], "8"),
])
def test_cli_users_create_refuses_bad_input(runner, app, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert user_count() == 0


def test_cli_sellers_approve_makes_published_products_public(runner, app, client):
    with app.app_context():
        seller = make_seller(slug="htx-moi", status="pending")
        make_product(seller=seller, slug="che-moi", name="Chè mới")
        db.session.commit()
    result = runner.invoke(args=["sellers", "approve", "htx-moi"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Seller)).one().status == "approved"
    assert runner.invoke(args=["sellers", "approve", "khong-co"]).exit_code != 0


def test_cli_products_publish(runner, app):
    with app.app_context():
        product = make_product(status="pending", category=make_category())
        db.session.commit()
        product_id = product.id
    result = runner.invoke(args=["products", "publish", str(product_id)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        product = db.session.get(type(product), product_id)
        assert product.status == "published" and product.published_at is not None
    assert runner.invoke(args=["products", "publish", "999999"]).exit_code != 0


class _UnreachableMailer:
    """Stands in for an SMTP server that cannot be reached (no mail server here)."""

    def send(self, message):
        raise ConnectionRefusedError("smtp down")


def test_reset_when_the_mail_server_is_down_says_so_instead_of_500(client, app, buyer_account):
    app.extensions["mailer"] = _UnreachableMailer()
    response = client.post("/quen-mat-khau", data={"email": "mua@example.vn"})
    assert response.status_code == 503
    assert "Hiện không gửi được thư" in response.get_data(as_text=True)
