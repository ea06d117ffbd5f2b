"""Behind a reverse proxy, on the real gunicorn: with TRUSTED_PROXIES=1 each buyer is
told apart by the address the proxy forwards (unique visitors, and so rate limits, which
read the same ``request.remote_addr``); with TRUSTED_PROXIES=0 every buyer is the proxy,
and /healthz says so."""
from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from live_server import BROWSER_UA, Site

pytestmark = pytest.mark.load


def _site_visitors(site: Site) -> int:
    from marketplace.analytics.models import DailyCount
    from marketplace.extensions import db

    with site.app():
        return int(db.session.scalar(sa.select(sa.func.sum(DailyCount.visitors)).where(DailyCount.kind == "site")) or 0)


def _rate_limit_keys(site: Site, prefix: str) -> int:
    from marketplace.extensions import db
    from marketplace.web.ratelimit import RateLimitCounter

    with site.app():
        return len(set(db.session.scalars(sa.select(RateLimitCounter.key).where(
            RateLimitCounter.key.like(f"{prefix}%")))))


def _ask_reset(server, address: str) -> None:
    """The password-reset form, as a buyer behind the proxy fills it in (rate-limited
    per client address)."""
    headers = {"User-Agent": BROWSER_UA, "X-Forwarded-For": address}
    form = server.get("/quen-mat-khau", headers=headers)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    cookie = form.headers["set-cookie"].split(";", 1)[0]
    response = server.post("/quen-mat-khau", {"csrf_token": token.group(1), "email": "khach@example.vn"},
                           headers={**headers, "Cookie": cookie})
    assert response.status in (200, 302), response.status


@pytest.mark.parametrize("trusted, visitors", [("1", 5), ("0", 1)])
def test_visitors_and_rate_limits_behind_a_proxy(tmp_path, trusted, visitors):
    site = Site(tmp_path, env={"TRUSTED_PROXIES": trusted, "JOBS": "0"})
    site.build()
    with site.serving() as server:
        for n in range(5):  # what nginx sends: the buyer's address and the scheme
            for _ in range(2):
                response = server.get("/", headers={"User-Agent": BROWSER_UA, "X-Forwarded-For": f"203.0.113.{n + 1}",
                                                    "X-Forwarded-Proto": "https"})
                assert response.status == 200
        assert _site_visitors(site) == visitors
        health = server.get("/healthz")
        warned = any("TRUSTED_PROXIES=0" in w for w in json.loads(health.text)["warnings"])
        assert warned is (trusted == "0")
        if trusted == "1":
            assert "strict-transport-security" in response.headers
        for n in range(3):
            _ask_reset(server, f"198.51.100.{n + 1}")
        # One rate-limit counter per buyer behind a trusted proxy; one for all without.
        assert _rate_limit_keys(site, "reset:") == (3 if trusted == "1" else 1)
