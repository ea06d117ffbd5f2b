"""Real gunicorn servers under concurrent load and faults (marker ``load``: `make test-load`,
run by CI; `make test` skips them). SQLite by default, PostgreSQL with TEST_DATABASE_URL."""
from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.catalog.models import ProductPhoto
from marketplace.extensions import db
from marketplace.inquiries.models import Inquiry, InquiryItem
from marketplace.media import get_storage
from marketplace.media.images import store_renditions
from tests.factories import make_category, make_product, make_seller
from tests.live_server import ROOT, Site

pytestmark = pytest.mark.load

BUYER = {"name": "Nguyễn Thị Hoa", "phone": "0912 345 678", "email": "", "message": "Cần 10 hộp"}


def build_catalog() -> dict:
    """Three sellers with three products each, one photo (``Site.build``)."""
    tea = make_category(name="Chè", slug="che")
    sellers, products = [], []
    for i in range(3):
        seller = make_seller(name=f"Hợp tác xã Chè Thử Tải {i}")
        sellers.append(seller)
        for j in range(3):
            products.append(make_product(name=f"Chè móc câu tải {i}-{j}", seller=seller, category=tea))
    key, w, h = store_renditions(get_storage(), Image.new("RGB", (640, 480), (70, 120, 50)))
    db.session.add(ProductPhoto(product=products[0], key=key, width=w, height=h, alt="ảnh"))
    db.session.commit()
    return {
        "products": [(p.id, p.slug, p.seller_id) for p in products],
        "sellers": [s.slug for s in sellers],
        "category": tea.slug,
        "photo": key,
    }


def count(site: Site, model) -> int:
    engine = sa.create_engine(site.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(model.__table__)).scalar()
    finally:
        engine.dispose()


def cart_form(products: list[tuple]) -> dict:
    data = dict(BUYER)
    for i, (pid, _slug, _seller) in enumerate(products):
        data[f"lines-{i}-product_id"] = str(pid)
        data[f"lines-{i}-quantity"] = "2"
    return data


def _csrf_session(server, path: str) -> tuple[str, str]:
    page = server.get(path)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    cookie = page.headers["set-cookie"].split(";", 1)[0]
    return token, cookie


class Buyers:
    """Cart submissions from ever new client addresses (``X-Forwarded-For`` through the
    one trusted proxy, ``TRUSTED_PROXIES=1``), so the inquiry rate limit — five per client
    per 10 minutes — does not stop a test that writes inquiries without pause; each
    carries a real CSRF token of one session."""

    def __init__(self, server, slug: str) -> None:
        self.token, self.cookie = _csrf_session(server, f"/hoi-hang/{slug}")
        self._next = itertools.count(1)
        self._lock = threading.Lock()

    def submit(self, server, products: list[tuple], **kw) -> int:
        with self._lock:
            n = next(self._next)
        address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        return server.post("/gio-hoi-hang/gui", {**cart_form(products), "csrf_token": self.token},
                           headers={"Cookie": self.cookie, "X-Forwarded-For": address}, **kw).status


def test_a_burst_of_50_concurrent_requests_of_every_kind_gives_no_500(tmp_path):
    site = Site(tmp_path)  # CSRF and rate limits on, as in production
    catalog = site.build(build_catalog)
    slug = catalog["products"][1][1]
    gets = [
        "/", "/san-pham", "/san-pham?stars=4&sort=price_asc", "/san-pham?q=che+moc+cau", f"/san-pham/{slug}",
        f"/co-so/{catalog['sellers'][0]}", f"/danh-muc/{catalog['category']}", "/api/v1/products?q=che",
        f"/api/v1/products/{slug}", "/goi-y?q=che", "/healthz", "/sitemap.xml", "/gio-hoi-hang",
        f"/media/{catalog['photo']}-320.webp", "/khong-co-trang-nay", "/san-pham?page=99999&q=%00%ff",
        "/dang-nhap",
    ]
    with site.serving() as server:
        posts = []  # (path, data, cookie) with a real CSRF token each: inquiries, cart, login
        for i in range(12):
            token, cookie = _csrf_session(server, f"/hoi-hang/{slug}")
            posts.append((f"/hoi-hang/{slug}", {**BUYER, "quantity": "3", "csrf_token": token}, cookie))
        for i in range(4):
            token, cookie = _csrf_session(server, "/dang-nhap")
            posts.append(("/dang-nhap", {"email": f"nobody{i}@example.vn", "password": "sai mật khẩu",
                                         "csrf_token": token}, cookie))
            posts.append((f"/gio-hoi-hang/them/{slug}", {"quantity": "1", "csrf_token": token}, cookie))
        posts.append((f"/hoi-hang/{slug}", {**BUYER, "quantity": "1"}, ""))  # no CSRF token: 400
        jobs = [("POST", *post) for post in posts] + [("GET", path, None, "") for path in gets]
        rng = random.Random(11)
        while len(jobs) < 50:
            jobs.append(("GET", rng.choice(gets), None, ""))
        assert len(jobs) == 50

        barrier = threading.Barrier(len(jobs))
        results: list[tuple[str, str, int | str]] = []
        lock = threading.Lock()

        def fire(method, path, data, cookie):
            barrier.wait()
            try:
                status = server.request(method, path, data=data, headers={"Cookie": cookie} if cookie else {}).status
            except OSError as exc:  # a refused or dropped connection is a failure too
                status = repr(exc)
            with lock:
                results.append((method, path, status))

        threads = [threading.Thread(target=fire, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

    assert len(results) == 50
    bad = [r for r in results if not isinstance(r[2], int) or r[2] >= 500]
    assert bad == []
    statuses = {(m, p.split("?")[0]): s for m, p, s in results}
    assert statuses[("GET", "/")] == 200 and statuses[("GET", "/healthz")] == 200
    inquiry_posts = [s for m, p, s in results if m == "POST" and p.startswith("/hoi-hang/")]
    # Five per client per 10 minutes: the limiter held under the burst (all from 127.0.0.1).
    assert inquiry_posts.count(302) == 5
    assert sorted(set(inquiry_posts)) == [302, 400, 429]
    assert count(site, Inquiry) == 5


def test_backup_while_the_app_writes_then_restore(tmp_path):
    site = Site(tmp_path, env={"TRUSTED_PROXIES": "1"})
    catalog = site.build(build_catalog)
    env = dict(site.env)
    flask = [sys.executable, "-m", "flask", "--app", "marketplace"]
    dest = tmp_path / "backup-1"
    stop = threading.Event()
    sent: list[int] = []

    with site.serving() as server:
        buyers = Buyers(server, catalog["products"][0][1])

        def writer():
            products = catalog["products"]
            while not stop.is_set():
                sent.append(buyers.submit(server, products[:4]))

        thread = threading.Thread(target=writer)
        thread.start()
        while len(sent) < 3:
            time.sleep(0.05)
        result = subprocess.run([*flask, "backup", str(dest)], cwd=ROOT, env=env, capture_output=True, text=True)
        written_during = len(sent)
        while len(sent) < written_during + 3:  # the app keeps serving after the snapshot
            time.sleep(0.05)
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert "Backup written to" in result.stdout
    assert "alembic" not in result.stderr.lower()
    assert set(sent) == {302}

    manifest = json.loads((dest / "manifest.json").read_text())
    in_backup = manifest["row_counts"]["inquiries"]
    total = count(site, Inquiry)
    assert 0 < in_backup < total  # a snapshot taken while inquiries kept arriving
    assert in_backup % 2 == 0  # each cart went to two sellers: never half of one in the snapshot
    assert manifest["uploads"]["files"] == 3  # the photo's three renditions (320, 800, 1600 names)
    if manifest["dialect"] == "sqlite":
        con = sqlite3.connect(dest / "database.sqlite")
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM inquiries").fetchone()[0] == in_backup
        con.close()

    # Restore: on SQLite into a fresh file and a fresh uploads folder; on PostgreSQL over
    # the same database (which has moved on since).
    restored = dict(env)
    if manifest["dialect"] == "sqlite":
        restored["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored.sqlite'}"
        restored["UPLOAD_FOLDER"] = str(tmp_path / "restored-uploads")
    else:
        for f in Path(env["UPLOAD_FOLDER"]).rglob("*.webp"):
            f.unlink()
    refused = subprocess.run([*flask, "restore", str(dest)], cwd=ROOT, env=restored, capture_output=True,
                             text=True, input="n\n")
    assert refused.returncode != 0 and "Aborted" in refused.stderr + refused.stdout
    done = subprocess.run([*flask, "restore", str(dest), "--yes"], cwd=ROOT, env=restored, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    restored_site = Site(tmp_path / "restored-site", database_url=restored["DATABASE_URL"],
                         env={"UPLOAD_FOLDER": restored["UPLOAD_FOLDER"]})
    assert count(restored_site, Inquiry) == in_backup
    with restored_site.serving() as server:
        slug = catalog["products"][0][1]
        assert server.get(f"/san-pham/{slug}").status == 200
        photo = server.get(f"/media/{catalog['photo']}-320.webp")
        assert photo.status == 200 and photo.body[:4] == b"RIFF"
        assert server.get("/san-pham?q=che+moc+cau").status == 200


def test_kill_9_of_workers_mid_request_leaves_every_transaction_whole(tmp_path):
    site = Site(tmp_path, env={"TRUSTED_PROXIES": "1"})
    catalog = site.build(build_catalog)
    products = catalog["products"]
    cart = [products[0], products[3], products[6]]  # three sellers: three inquiries per submission
    stop = threading.Event()
    outcomes: list[int | str] = []
    kills = 0

    with site.serving() as server:
        buyers = Buyers(server, cart[0][1])

        def client():
            while not stop.is_set():
                try:
                    outcomes.append(buyers.submit(server, cart, timeout=30))
                except (OSError, http.client.HTTPException) as exc:
                    outcomes.append(type(exc).__name__)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        rng = random.Random(5)
        deadline = time.monotonic() + 60
        while kills < 8 and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.2, 0.6))
            pids = server.worker_pids()
            if pids:
                os.kill(rng.choice(pids), signal.SIGKILL)  # the master starts a new worker
                kills += 1
        time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        after = server.get("/").status  # the server still serves

    assert after == 200
    assert kills == 8
    interrupted = [o for o in outcomes if not isinstance(o, int)]
    assert interrupted, "no request was cut off by a kill: the test proved nothing"
    assert set(o for o in outcomes if isinstance(o, int)) <= {302}

    engine = sa.create_engine(site.database_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            per_reference = conn.execute(
                sa.select(Inquiry.reference, sa.func.count()).group_by(Inquiry.reference)
            ).all()
            items = conn.execute(
                sa.select(InquiryItem.inquiry_id, sa.func.count()).group_by(InquiryItem.inquiry_id)
            ).all()
            inquiries = conn.execute(sa.select(sa.func.count()).select_from(Inquiry)).scalar()
    finally:
        engine.dispose()
    # All or nothing: every submission that was stored has its three inquiries, each
    # with its one line; a killed one left no part of itself behind.
    assert per_reference and all(n == 3 for _ref, n in per_reference)
    assert len(items) == inquiries and all(n == 1 for _id, n in items)
    assert len(per_reference) >= outcomes.count(302)


def test_search_engine_down_then_back_pages_degrade_and_the_outbox_drains(tmp_path):
    from tests.live_server import free_port
    from tests.search.meili_standin import StandInMeili

    engine_port = free_port()  # nothing listens there yet: the engine is down
    site = Site(tmp_path, env={"SEARCH_BACKEND": "meilisearch", "MEILI_URL": f"http://127.0.0.1:{engine_port}",
                               "MEILI_API_KEY": "stand-in-master-key"})
    catalog = site.build(build_catalog)  # nine products committed while the engine is down
    from marketplace.search.outbox import SearchOutbox

    pending = sa.select(sa.func.count()).select_from(SearchOutbox).where(SearchOutbox.delivered_at.is_(None))

    def outbox() -> int:
        engine = sa.create_engine(site.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(pending).scalar()
        finally:
            engine.dispose()

    assert outbox() == 9
    with site.serving() as server:
        page = server.get("/san-pham?q=che+moc+cau")
        assert page.status == 200
        assert "chế độ dự phòng" in page.text and "Chè móc câu tải 0-0" in page.text
        api = json.loads(server.get("/api/v1/products?q=che").body)
        assert api["degraded"] is True and len(api["items"]) == 9
        assert server.get("/goi-y?q=che").status == 200
        assert server.get(f"/danh-muc/{catalog['category']}").status == 200
        health = server.get("/healthz")
        assert health.status == 200  # the site still serves from the database
        assert json.loads(health.body)["status"] == "degraded"
        assert json.loads(health.body)["search"]["ok"] is False

        with StandInMeili(port=engine_port) as standin:  # the engine is back
            deliver = subprocess.run([sys.executable, "-m", "flask", "--app", "marketplace", "search", "deliver",
                                      "--all"], cwd=ROOT, env=site.env, capture_output=True, text=True, timeout=120)
            assert deliver.returncode == 0, deliver.stderr
            assert "0 still pending" in deliver.stdout
            assert outbox() == 0
            docs = standin.state.indexes["products"]["docs"]
            assert sorted(docs) == sorted(pid for pid, _slug, _seller in catalog["products"])
            recovered = json.loads(server.get("/healthz").body)
            assert recovered["status"] == "ok" and recovered["search"]["pending"] == 0
