"""Issue 10 item 3: with SESSION_COOKIE_SECURE=1 the 365-day ``remember_token`` was not
Secure. Every cookie now takes Secure, HttpOnly and SameSite from the configuration."""
from __future__ import annotations

import pytest

from marketplace import create_app
from tests.conftest import make_test_config


@pytest.fixture
def app_config(tmp_path):
    return make_test_config(tmp_path, SESSION_COOKIE_SECURE=True)


def _attributes(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts[1:]}


def _assert_hardened(headers: list[str]) -> None:
    assert headers
    for header in headers:
        attrs = _attributes(header)
        assert "secure" in attrs, header
        assert "httponly" in attrs, header
        assert attrs.get("samesite", "").lower() == "lax", header


def test_every_cookie_is_secure_httponly_and_samesite(app, client, auth, buyer_account):
    response = auth.login(buyer_account.email, remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} >= {"session", "remember_token"}
    _assert_hardened(cookies)
    # The cookie that deletes remember_token on logout is hardened as well.
    logout = auth.logout()
    _assert_hardened(logout.headers.getlist("Set-Cookie"))


def test_a_cookie_set_by_any_view_is_hardened(app, client):
    """A future feature's cookie (language, cart …) gets the same attributes."""

    @app.get("/_cookie-probe")
    def probe():
        from flask import make_response

        response = make_response("ok")
        response.set_cookie("lang", "en")
        return response

    _assert_hardened(client.get("/_cookie-probe").headers.getlist("Set-Cookie"))


def test_secure_session_env_makes_remember_token_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "env-secret")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.delenv("SITE_URL", raising=False)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True and app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_an_https_site_url_makes_cookies_secure_by_default(tmp_path):
    config = make_test_config(tmp_path, SITE_URL="https://san-ocop.example.vn")
    config.pop("SESSION_COOKIE_SECURE", None)
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["REMEMBER_COOKIE_SECURE"] is True
