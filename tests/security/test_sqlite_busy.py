"""Issue 10 item 1 (SQLite side): under concurrent writers SQLite may answer "database
is locked" once its busy timeout (``SQLITE_BUSY_TIMEOUT``) runs out. An inquiry is then
refused cleanly — a Vietnamese 503, the form still filled in, nothing stored — never a
500; sent again, it is stored."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.inquiries.models import Inquiry
from tests.conftest import built_app, make_test_config
from tests.factories import make_product


def test_a_locked_sqlite_database_refuses_the_inquiry_cleanly_and_keeps_the_input(tmp_path):
    """SQLite under concurrent writers: when the write lock cannot be had in time the
    buyer gets a Vietnamese 503 with the form still filled in, nothing half-stored; the
    same form sent again once the lock is free is stored."""
    import sqlite3

    config = make_test_config(tmp_path, RATELIMIT_ENABLED=True, SQLITE_BUSY_TIMEOUT=0.3)
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's database-level write lock; PostgreSQL locks rows")
    with built_app(config) as app:
        with app.app_context():
            slug = make_product().slug
            db.session.commit()
        client = app.test_client()
        data = {"name": "Nguyễn Văn Hỏi", "phone": "0912345678", "message": "Cần 50 hộp.", "quantity": "50"}
        other_writer = sqlite3.connect(config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
        other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock
        try:
            refused = client.post(f"/hoi-hang/{slug}", data=data)
        finally:
            other_writer.rollback()
            other_writer.close()
        html = refused.get_data(as_text=True)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert "Hệ thống đang bận nên yêu cầu chưa được gửi" in html
        assert 'value="Nguyễn Văn Hỏi"' in html and "Cần 50 hộp." in html
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Inquiry)) == 0
        assert client.post(f"/hoi-hang/{slug}", data=data).status_code == 302
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Inquiry)) == 1
