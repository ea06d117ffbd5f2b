"""A production configuration that refuses or warns, never guesses: SITE_URL required,
http warned about, a proxy the app ignores reported, HSTS and Secure cookies behind a
trusted TLS proxy."""
from __future__ import annotations

import logging

import pytest

from conftest import built_app, make_test_config
from marketplace import create_app


def test_production_refuses_to_start_without_site_url(tmp_path):
    config = make_test_config(tmp_path, APP_ENV="production", SECRET_KEY="s" * 64)
    del config["SITE_URL"]
    with pytest.raises(RuntimeError, match="APP_ENV=production needs SITE_URL") as refused:
        create_app(config)
    assert "http://127.0.0.1:5000" in str(refused.value) and "Secure" in str(refused.value)
    app = create_app({**config, "SITE_URL": "https://san-ocop.example.vn"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_warns_when_site_url_is_not_https(tmp_path, caplog):
    config = make_test_config(tmp_path, APP_ENV="production", SECRET_KEY="s" * 64, SITE_URL="http://san.example.vn")
    with caplog.at_level(logging.WARNING, logger="marketplace.config"), built_app(config) as app:
        assert "not https" in caplog.text
        assert "APP_ENV=production with a SITE_URL that is not https" in app.test_client().get("/healthz").json["warnings"]


def test_forwarded_headers_without_trusted_proxies_are_logged_once_and_reported(tmp_path, caplog):
    import marketplace.ops as ops

    ops._proxy_noted = False
    with built_app(make_test_config(tmp_path, SITE_URL="https://san.example.vn")) as app:
        client = app.test_client()
        assert client.get("/healthz").json["warnings"] == []
        with caplog.at_level(logging.WARNING, logger="marketplace.ops"):
            for _ in range(3):
                client.get("/", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert caplog.text.count("TRUSTED_PROXIES=0") == 1
        warnings = client.get("/healthz").json["warnings"]
        assert any("TRUSTED_PROXIES=0" in w for w in warnings), warnings
        # HSTS still goes out: SITE_URL is https (browsers ignore it over plain http).
        assert "max-age=31536000" in client.get("/").headers["Strict-Transport-Security"]
    ops._proxy_noted = False


def test_behind_a_trusted_tls_proxy_hsts_and_secure_cookies_hold(tmp_path):
    config = make_test_config(tmp_path, TRUSTED_PROXIES=1, SITE_URL="https://san.example.vn", WTF_CSRF_ENABLED=True)
    with built_app(config) as app:
        client = app.test_client()
        response = client.get("/dang-nhap", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        cookies = response.headers.getlist("Set-Cookie")
        assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies), cookies
        assert client.get("/healthz").json["warnings"] == []  # a trusted proxy is no warning
