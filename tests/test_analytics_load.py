"""Exact counting under load (marker ``load``, ``make test-load``): 50 concurrent
clients for 30 s against a real gunicorn with 4 workers; the recorded total equals
the number of countable requests that got their page. Mixed in: requests that must not
count (bots, HEAD, prefetch, 404, a page that is not counted). SQLite always;
PostgreSQL when ``TEST_DATABASE_URL`` is set. ``LOAD_SECONDS`` shortens it."""
from __future__ import annotations

import os
import random
import threading
import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from marketplace.analytics.models import DailyCount, SearchEvent, TotalCount
from marketplace.extensions import db
from tests.factories import make_category, make_product, make_seller
from tests.live_server import TEST_DATABASE_URL, Site

pytestmark = pytest.mark.load

CLIENTS = 50
SECONDS = float(os.environ.get("LOAD_SECONDS", "30"))
BROWSER = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"

COUNTED = [("/", "home"), ("/san-pham/che-tai-{n}", "product"), ("/danh-muc/che", "category"),
           ("/san-pham?q=che", "search"), ("/co-so/htx-tai", "seller")]
NOT_COUNTED = [("GET", "/", "curl/8.5.0", {}), ("HEAD", "/", BROWSER, {}),
               ("GET", "/", BROWSER, {"Sec-Purpose": "prefetch"}), ("GET", "/san-pham/khong-co", BROWSER, {}),
               ("GET", "/dang-nhap", BROWSER, {}), ("GET", "/", "Googlebot/2.1", {})]


def _request(base: str, method: str, path: str, ua: str, headers: dict) -> int:
    req = urllib.request.Request(base + path, method=method, headers={"User-Agent": ua, **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_recorded_total_equals_countable_requests_sent(tmp_path, database):
    if database == "postgresql" and not (TEST_DATABASE_URL or "").startswith("postgresql"):
        pytest.skip("PostgreSQL run needs TEST_DATABASE_URL")
    url = TEST_DATABASE_URL if database == "postgresql" else f"sqlite:///{tmp_path / 'load.sqlite'}"
    site = Site(tmp_path, database_url=url, workers=4, timeout=120)

    def build() -> list[int]:
        from marketplace.search import get_search

        category = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX Tài", slug="htx-tai")
        products = [make_product(name=f"Chè Tài {n}", slug=f"che-tai-{n}", seller_id=seller.id,
                                 category_id=category.id).id for n in range(5)]
        db.session.commit()
        get_search().rebuild()
        return products

    products = site.build(build)
    sent: dict[str, int] = {}
    lock = threading.Lock()
    with site.serving() as server:
        base = server.url
        stop = time.monotonic() + SECONDS

        def client(seed: int) -> None:
            rng = random.Random(seed)
            mine: dict[str, int] = {}
            while time.monotonic() < stop:
                if rng.random() < 0.8:
                    path, kind = rng.choice(COUNTED)
                    status = _request(base, "GET", path.format(n=rng.randrange(5)), BROWSER, {})
                    if status == 200:
                        mine[kind] = mine.get(kind, 0) + 1
                    else:
                        mine["failed"] = mine.get("failed", 0) + 1
                else:
                    method, path, ua, headers = rng.choice(NOT_COUNTED)
                    _request(base, method, path, ua, headers)
                    mine["excluded"] = mine.get("excluded", 0) + 1
            with lock:
                for k, v in mine.items():
                    sent[k] = sent.get(k, 0) + v

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    err = site.log.read_bytes()
    assert b"could not be recorded" not in err, err.decode()[-3000:]
    assert sent.get("failed", 0) == 0, sent
    countable = sum(v for k, v in sent.items() if k not in ("excluded", "failed"))
    print(f"{database}: {countable} countable + {sent.get('excluded', 0)} excluded requests in {SECONDS:.0f} s")
    assert countable > 50 and sent.get("excluded", 0) > 5
    with site.app():
        totals = dict(((k, o), v) for k, o, v in db.session.execute(
            sa.select(TotalCount.kind, TotalCount.object_id, TotalCount.views)))
        assert totals[("site", 0)] == countable
        for kind in ("home", "category", "search", "seller"):
            assert totals.get((kind, 0 if kind in ("home", "search") else 1), 0) == sent.get(kind, 0), kind
        assert sum(totals.get(("product", pid), 0) for pid in products) == sent.get("product", 0)
        daily = db.session.scalar(sa.select(sa.func.sum(DailyCount.views)).where(DailyCount.kind == "site"))
        assert daily == countable  # the test may cross midnight: the days add up
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchEvent)) == sent.get("search", 0)

