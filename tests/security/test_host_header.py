"""Issue 10 item 2 / issue 11 item 5: absolute URLs come from SITE_URL, never from the
request's Host header; X-Forwarded-For counts only behind TRUSTED_PROXIES.

Before the fix, ``POST /quen-mat-khau`` with ``Host: evil.example`` mailed
``http://evil.example/dat-lai-mat-khau/<token>``, and the sitemap, canonical links and
the API (cached ``public, max-age=60``) followed the forged Host."""
from __future__ import annotations

import re

import pytest

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import built_app, make_test_config
from tests.factories import make_product

from .mailbox import body, read_mails

SITE = "https://san-ocop.example.vn"
EVIL = {"Host": "evil.example"}


@pytest.fixture
def app_config(tmp_path):
    return make_test_config(tmp_path, SITE_URL=SITE + "/")


def test_password_reset_mail_links_to_site_url_whatever_the_host(app, client, buyer_account, tmp_path):
    response = client.post("/quen-mat-khau", data={"email": buyer_account.email}, headers=EVIL)
    assert response.status_code == 200
    [mail] = read_mails(tmp_path / "mail")
    text = body(mail)
    assert "evil.example" not in text
    links = re.findall(r"https?://\S+", text)
    assert links and all(link.startswith(f"{SITE}/dat-lai-mat-khau/") for link in links), links
    # The link works.
    path = links[0].removeprefix(SITE)
    assert client.get(path).status_code == 200


def test_sitemap_robots_canonical_and_api_use_site_url(client, product):
    sitemap = client.get("/sitemap.xml", headers=EVIL).get_data(as_text=True)
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert locs and all(loc.startswith(SITE + "/") for loc in locs), locs
    for part in locs:
        inner = client.get(part.removeprefix(SITE), headers=EVIL).get_data(as_text=True)
        assert "evil.example" not in inner
        assert all(loc.startswith(SITE + "/") for loc in re.findall(r"<loc>([^<]+)</loc>", inner))
    assert f"Sitemap: {SITE}/sitemap.xml" in client.get("/robots.txt", headers=EVIL).get_data(as_text=True)

    page = client.get(f"/san-pham/{product.slug}", headers=EVIL).get_data(as_text=True)
    assert f'<link rel="canonical" href="{SITE}/san-pham/{product.slug}">' in page
    assert "evil.example" not in page

    api = client.get(f"/api/v1/products/{product.slug}", headers=EVIL)
    assert "evil.example" not in api.get_data(as_text=True)
    assert api.get_json()["url"] == f"{SITE}/san-pham/{product.slug}"
    listing = client.get("/api/v1/products", headers=EVIL).get_data(as_text=True)
    assert "evil.example" not in listing and SITE in listing


def test_inquiry_mail_to_the_seller_links_to_site_url(app, client, product, tmp_path):
    response = client.post(f"/hoi-hang/{product.slug}", headers=EVIL, data={
        "name": "Nguyễn Văn Hỏi", "phone": "0912345678", "message": "Giá sỉ?", "quantity": "3"})
    assert response.status_code == 302
    [mail] = read_mails(tmp_path / "mail")
    assert "evil.example" not in body(mail) and f"{SITE}/dashboard/hoi-hang/" in body(mail)


def test_urls_outside_a_request_use_site_url(app):
    with app.app_context():
        from flask import url_for

        assert url_for("catalog.home", _external=True) == SITE + "/"


@pytest.mark.parametrize("bad", ["evil.example", "ftp://x.example", "https://x.example/shop", "https://"])
def test_a_malformed_site_url_stops_start_up(tmp_path, bad):
    with pytest.raises(RuntimeError, match="SITE_URL"):
        create_app(make_test_config(tmp_path, SITE_URL=bad))


def _inquiry(client, slug: str, forwarded_for: str) -> int:
    return client.post(f"/hoi-hang/{slug}", headers={"X-Forwarded-For": forwarded_for}, data={
        "name": "Nguyễn Văn Hỏi", "phone": "0912345678", "quantity": "1"}).status_code


def _inquiries(tmp_path, proxies: int, forwarded_fors: list[str]) -> list[int]:
    """Statuses of inquiries sent with these X-Forwarded-For headers (rate limit on)."""
    with built_app(make_test_config(tmp_path, RATELIMIT_ENABLED=True, TRUSTED_PROXIES=proxies)) as app:
        with app.app_context():
            slug = make_product().slug
            db.session.commit()
        client = app.test_client()
        return [_inquiry(client, slug, value) for value in forwarded_fors]


def test_spoofed_x_forwarded_for_is_ignored_without_a_trusted_proxy(tmp_path):
    statuses = _inquiries(tmp_path, 0, [f"203.0.113.{i}" for i in range(7)])
    assert statuses == [302] * 5 + [429, 429]  # every forged address is the same client


def test_behind_one_trusted_proxy_the_forwarded_address_is_the_client(tmp_path):
    # The client may prepend anything; only the address the proxy appended counts.
    statuses = _inquiries(tmp_path, 1, ["198.51.100.7"] * 6 + ["198.51.100.7, 203.0.113.9"])
    assert statuses == [302] * 5 + [429, 302]
