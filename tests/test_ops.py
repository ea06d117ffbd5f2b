"""Production operation in-process: /healthz, request ids and the request log, HSTS,
the production secret rule, quiet CLI logging, a Vietnamese 503 when the database is
locked or down, and a full disk on upload."""
from __future__ import annotations

import errno
import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from auth import log_in
from marketplace import create_app
from marketplace.catalog.models import ProductPhoto
from marketplace.extensions import db
from marketplace.inquiries.models import Inquiry
from marketplace.media.storage import LocalStorage
from tests.conftest import built_app, make_test_config
from tests.factories import make_product, make_seller, make_user
from tests.live_server import ROOT, free_port

BUYER = {"name": "Nguyễn Thị Hoa", "phone": "0912 345 678", "email": "", "message": "", "quantity": "2"}


# --- /healthz ------------------------------------------------------------------------


def test_healthz_reports_database_and_search(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["search"]["ok"] is True and body["search"]["backend"] in ("sqlite", "database")
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    # Nothing listens on this port: every connection is refused.
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=url, SEARCH_BACKEND="database"))
    client = app.test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "down"
    assert response.get_json()["database"]["ok"] is False

    # The same outage on pages: a Vietnamese 503 page without any stack trace; JSON on the API.
    page = client.get("/san-pham?q=che")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    html = page.get_data(as_text=True)
    assert "Tạm thời gián đoạn" in html and "Vui lòng thử lại sau ít phút" in html
    assert "Traceback" not in html and "psycopg" not in html and "OperationalError" not in html
    api = client.get("/api/v1/products")
    assert api.status_code == 503
    assert api.get_json() == {"error": api.get_json()["error"], "status": 503}
    assert "thử lại" in api.get_json()["error"]
    with app.app_context():
        db.engine.dispose()


# --- request ids, the request log, HSTS ---------------------------------------------


def test_every_response_carries_a_request_id_and_one_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="marketplace.request")
    response = client.get("/san-pham?q=che", headers={"X-Request-ID": "lb-2f9c1e7a-0001"})
    assert response.headers["X-Request-ID"] == "lb-2f9c1e7a-0001"
    [record] = [r for r in caplog.records if r.name == "marketplace.request"]
    line = json.loads(record.getMessage())
    assert line == {"event": "request", "method": "GET", "path": "/san-pham", "status": 200,
                    "duration_ms": line["duration_ms"], "request_id": "lb-2f9c1e7a-0001"}
    assert line["duration_ms"] > 0


@pytest.mark.parametrize("incoming", ["", "short", "x" * 200, "abc def ghi jkl", "mã-yêu-cầu-0001", "id;rm -rf /;x", "<script>ab"])
def test_an_insane_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    rid = response.headers["X-Request-ID"]
    assert rid != incoming and len(rid) == 32 and rid.isalnum()


def test_two_requests_get_two_ids(client):
    assert client.get("/").headers["X-Request-ID"] != client.get("/").headers["X-Request-ID"]


def test_hsts_only_over_https(app):
    """Over https, or whenever SITE_URL is https (test_production_config.py)."""
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://san-ocop.example.vn")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    app.config["HSTS_SECONDS"] = 0
    assert "Strict-Transport-Security" not in client.get("/healthz", base_url="https://x.vn").headers


# --- configuration ---------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    config = make_test_config(tmp_path, APP_ENV="production", SECRET_KEY=None)
    with pytest.raises(RuntimeError, match="APP_ENV=production needs SECRET_KEY"):
        create_app(config)
    app = create_app(make_test_config(tmp_path, APP_ENV="production", SECRET_KEY="s" * 64))
    assert app.config["SECRET_KEY"] == "s" * 64


def _flask(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "marketplace", *args], cwd=ROOT,
                          env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # four `flask` subprocesses
def test_production_from_the_environment_and_quiet_cli(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}", "UPLOAD_FOLDER": str(tmp_path / "up"),
           "SECRET_KEY": "", "APP_ENV": "production"}
    refused = _flask(env, "search", "status")
    assert refused.returncode != 0 and "APP_ENV=production needs SECRET_KEY" in refused.stderr

    env["SECRET_KEY"] = "cli-secret"
    refused = _flask(env, "search", "status")
    assert refused.returncode != 0 and "APP_ENV=production needs SITE_URL" in refused.stderr
    env["SITE_URL"] = "https://san-ocop.example.vn"
    upgraded = _flask(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    status = _flask(env, "search", "status")
    assert status.returncode == 0, status.stderr
    assert "backend:    sqlite" in status.stdout
    # No library chatter on a CLI command (Alembic's plugin set-up used to print INFO lines).
    assert "alembic" not in status.stderr.lower() and "plugin" not in status.stderr.lower()
    assert status.stderr.strip() == ""


# --- database locked ---------------------------------------------------------------------


@pytest.fixture(params=[False, True], ids=["rollback-journal", "wal"])
def sqlite_app(request, tmp_path):
    """An app on its own SQLite file (also in the PostgreSQL run: locking is SQLite's)
    with a short busy timeout, so a lock shows up in a fraction of a second; with
    SQLite's rollback journal (a writer's lock blocks readers) and in WAL mode (readers
    go on while a writer holds the lock)."""
    config = make_test_config(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'locked.sqlite'}",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}},
        SQLITE_WAL=request.param,
    )
    with built_app(config) as app:
        yield app


def test_a_locked_database_gives_a_vietnamese_503_and_keeps_nothing_half_done(sqlite_app, tmp_path):
    app = sqlite_app
    with app.app_context():
        product = make_product(name="Chè búp Tân Cương")
        db.session.commit()
        slug = product.slug
    client = app.test_client()
    assert client.get(f"/san-pham/{slug}").status_code == 200

    holder = sqlite3.connect(tmp_path / "locked.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock (a long import)
    try:
        sent = client.post(f"/hoi-hang/{slug}", data=BUYER)
        page = client.get(f"/san-pham/{slug}")
        api = client.get("/api/v1/products")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    wal = app.config["SQLITE_WAL"]
    refused = [sent] if wal else [sent, page]
    for response in refused:
        assert response.status_code == 503
        html = response.get_data(as_text=True)
        assert "Traceback" not in html and "locked" not in html
        # The site-wide 503 page, or the inquiry form itself, input kept, saying why.
        assert "Tạm thời gián đoạn" in html or (
            response is sent and "Hệ thống đang bận" in html and BUYER["name"] in html)
    if wal:  # readers are not blocked by a writer in WAL mode: buyers keep browsing
        assert page.status_code == 200 and api.status_code == 200
    else:
        assert api.status_code == 503 and api.get_json()["status"] == 503

    # Lock released: the same inquiry goes through once, nothing left from the failed try.
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Inquiry)) == 0
    assert client.post(f"/hoi-hang/{slug}", data=BUYER).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Inquiry)) == 1


# --- disk full on upload -------------------------------------------------------------------


class NearlyFullStorage(LocalStorage):
    """A STAND-IN for a full disk, used only where a small tmpfs cannot be mounted
    (not root): the first ``room`` files fit, then every write fails with ENOSPC the way
    the kernel reports it, going through LocalStorage's own clean-up."""

    def __init__(self, root: str, room: int) -> None:
        super().__init__(root)
        self.room = room

    def save(self, name: str, data: bytes) -> None:
        if self.room <= 0:
            real_open = os.fdopen

            def full_disk(fd, *args, **kwargs):
                handle = real_open(fd, *args, **kwargs)

                class Full:
                    def __enter__(self):
                        return self

                    def __exit__(self, *exc):
                        handle.close()

                    def write(self, chunk):
                        handle.write(chunk[: len(chunk) // 2])
                        handle.flush()
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

                return Full()

            import marketplace.media.storage as storage_module

            storage_module.os.fdopen = full_disk
            try:
                return super().save(name, data)
            finally:
                storage_module.os.fdopen = real_open
        self.room -= 1
        return super().save(name, data)


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs as the upload folder (a real ENOSPC from the kernel) when mounting
    is allowed (root); otherwise None and the test uses NearlyFullStorage."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        yield mount, False
        return
    try:
        yield mount, True
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _noise_jpeg(size=(1600, 1200)) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _upload(client, product_id: int, content: bytes):
    values = MultiDict({"alt": ""})
    values.add("photos", FileStorage(io.BytesIO(content), filename="anh.jpg"))
    boundary, body = encode_multipart(values)
    return client.post(f"/dashboard/san-pham/{product_id}/anh", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


@contextmanager
def app_on_small_disk(tmp_path, small_disk, room: int):
    """(app, seller's client, product id, mount, real_disk) with uploads on the small disk."""
    mount, real_disk = small_disk
    with built_app(make_test_config(tmp_path, UPLOAD_FOLDER=str(mount))) as app:
        if not real_disk:
            app.extensions["storage"] = NearlyFullStorage(str(mount), room=room)
        client, product_id = _seller_client(app)
        yield app, client, product_id, mount, real_disk


def _seller_client(app) -> tuple:
    with app.app_context():
        seller = make_seller(name="HTX Chè Tân Cương")
        user = make_user(role="seller", seller=seller)
        product = make_product(seller=seller, name="Chè búp đặc biệt")
        db.session.commit()
        user_id, product_id = user.id, product.id
    client = app.test_client()
    log_in(client, user_id)
    return client, product_id


def test_a_full_disk_refuses_the_upload_clearly_and_leaves_no_file(tmp_path, small_disk):
    with app_on_small_disk(tmp_path, small_disk, room=1) as (app, client, product_id, mount, real_disk):

        big = _noise_jpeg()  # its 1600 px WebP alone is larger than the whole disk
        response = _upload(client, product_id, big)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert "Máy chủ đã hết chỗ lưu trữ nên tệp chưa được lưu" in html
        assert "Traceback" not in html
        # No half-written file under any name, no rendition of the refused photo, no row.
        assert [p for p in mount.rglob("*") if p.is_file()] == []
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductPhoto)) == 0

        # The disk is usable again for what fits: a small photo is stored whole.
        small = io.BytesIO()
        Image.new("RGB", (400, 300), (70, 120, 50)).save(small, "JPEG")
        if not real_disk:
            app.extensions["storage"].room = 3
        assert _upload(client, product_id, small.getvalue()).status_code == 302
        with app.app_context():
            [photo] = db.session.scalars(sa.select(ProductPhoto)).all()
        files = sorted(p.name for p in mount.rglob("*") if p.is_file())
        assert files == sorted(f"{photo.key}-{w}.webp" for w in (320, 800, 1600))


def test_a_full_disk_on_any_other_upload_gives_a_vietnamese_507_and_saves_nothing(tmp_path, small_disk):
    """Uploads without their own message (here a certificate scan, a 2 MB PDF) go through
    the app-wide handler: 507 with the same Vietnamese message, nothing stored."""
    from marketplace.catalog.models import OcopCertification

    with app_on_small_disk(tmp_path, small_disk, room=0) as (app, client, product_id, mount, _real_disk):
        scan = b"%PDF-1.4\n" + os.urandom(2 * 1024 * 1024) + b"\n%%EOF\n"
        values = MultiDict({"stars": "4", "score": "78", "product_group": "thuc-pham",
                            "decision_number": "1234/QĐ-UBND", "issued_on": "2024-03-15",
                            "issuing_level": "province", "issuing_body": "UBND tỉnh Thái Nguyên"})
        values.add("scan", FileStorage(io.BytesIO(scan), filename="giay-chung-nhan.pdf"))
        boundary, body = encode_multipart(values)  # encoded up front: no spooled temporary file left open
        response = client.post(f"/dashboard/san-pham/{product_id}/chung-nhan", data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
        assert response.status_code == 507
        html = response.get_data(as_text=True)
        assert "Máy chủ đã hết chỗ lưu trữ nên tệp chưa được lưu" in html and "Traceback" not in html
        assert [p for p in mount.rglob("*") if p.is_file()] == []
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(OcopCertification)) == 0
