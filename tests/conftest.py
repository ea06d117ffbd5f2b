"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
TEST_DATABASE_URL is set (CI does both)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
MIDNIGHT_MARGIN = 60  # seconds: longer than any one test but the load and browser runs


def make_test_config(tmp_path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite'}",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAIL_FOLDER": str(tmp_path / "mail"),
        "DEMO_ACCOUNTS_FILE": str(tmp_path / "demo-accounts.txt"),
        "RATELIMIT_ENABLED": False,
        "SITE_URL": "http://localhost",  # the test client's host, so absolute URLs read naturally
        "PAGE_CACHE_DIR": str(tmp_path / "pagecache"),  # the shared level, per test
    }
    config.update(overrides)
    return config


def reset_schema() -> None:
    """Fresh tables for one test. PostgreSQL: drop and recreate everything."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.create_all()
    from flask import current_app

    # Backends with their own structures (the FTS5 index) create them here.
    init = current_app.extensions.get("search_schema_init")
    if init:
        init()


@pytest.fixture(autouse=True)
def _not_across_vietnamese_midnight():
    """Pages, counters and certificate validity follow the Vietnamese day, and the page
    cache keys pages by it: a test running over 00:00 Asia/Ho_Chi_Minh (17:00 UTC) sees
    every page become a miss half-way, as a buyer would. Tests assume one day, so one
    that would start in the last ``MIDNIGHT_MARGIN`` seconds of it waits for the next."""
    from datetime import datetime, timedelta
    import time

    from marketplace.text import VN_TZ

    now = datetime.now(VN_TZ)
    left = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), VN_TZ) - now).total_seconds()
    if left < MIDNIGHT_MARGIN:
        time.sleep(left + 0.5)


@pytest.fixture
def app_config(tmp_path) -> dict:
    """Override in a test module to change the configuration."""
    return make_test_config(tmp_path)


@contextmanager
def built_app(config: dict):
    """An app with a fresh schema; its connections are closed afterwards (a connection
    left to the garbage collector fails a later test with a ResourceWarning)."""
    app = create_app(config)
    with app.app_context():
        reset_schema()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_config):
    with built_app(app_config) as app:
        yield app


@pytest.fixture
def csrf_app(tmp_path):
    """An app with CSRF protection on, for the tests that prove it."""
    with built_app(make_test_config(tmp_path, WTF_CSRF_ENABLED=True)) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client, request):
    """``auth.login(email, password)``, ``auth.logout()``, ``auth.log_in_as(user)`` and
    ``auth.as_buyer()`` / ``as_seller()`` / ``as_staff()`` (see tests/auth.py)."""
    from auth import AuthActions

    return AuthActions(client, request)


# ---------------------------------------------------------------- shared accounts and catalog
# Ids, not ORM objects: tests use them across app contexts and test clients.


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    seller_id: int | None = None
    seller_slug: str | None = None


@dataclass(frozen=True)
class Listing:
    id: int
    slug: str
    name: str
    seller_id: int
    category_id: int
    owner_id: int  # the seller's account


def _account(**kw) -> Account:
    from factories import make_user

    password = kw.pop("password", "mat-khau-123")
    user = make_user(password=password, **kw)
    db.session.commit()
    seller = user.seller
    return Account(user.id, user.email, password, seller.id if seller else None, seller.slug if seller else None)


@pytest.fixture
def buyer_account(app) -> Account:
    with app.app_context():
        return _account(email="mua@example.vn", name="Người Mua", role="buyer")


@pytest.fixture
def staff_account(app) -> Account:
    with app.app_context():
        return _account(email="nhan-vien@example.vn", name="Cán bộ Xúc tiến", role="staff")


@pytest.fixture
def area_id(app) -> int:
    """xã Tân Cương, tỉnh Thái Nguyên."""
    from factories import make_area

    with app.app_context():
        area = make_area(name="xã Tân Cương", parent=make_area(name="tỉnh Thái Nguyên", kind="province"))
        db.session.commit()
        return area.id


@pytest.fixture
def category_id(app) -> int:
    """Chè, in the OCOP food group."""
    from factories import make_category

    with app.app_context():
        category = make_category(name="Chè", slug="che", ocop_group="thuc-pham", name_en="Tea")
        db.session.commit()
        return category.id


@pytest.fixture
def seller_account(app, area_id) -> Account:
    """An approved cooperative in Tân Cương and its owner's account."""
    from factories import make_seller

    with app.app_context():
        seller = make_seller(name="HTX Chè Tân Cương", slug="htx-che-tan-cuong", area_id=area_id,
                             email="htx-che@example.vn")
        return _account(email="chu-htx@example.vn", name="Chủ HTX", role="seller", seller=seller)


def _seller(account: Account):
    from marketplace.sellers.models import Seller

    return db.session.get(Seller, account.seller_id)


@pytest.fixture
def product(app, seller_account, category_id) -> Listing:
    """The seller's published product with a verified 4-star OCOP certificate."""
    from factories import make_certification, make_product

    with app.app_context():
        item = make_product(name="Chè móc câu Tân Cương", seller=_seller(seller_account),
                            category_id=category_id, price_vnd=150_000, unit="hộp 200 g")
        make_certification(item, stars=4)
        db.session.commit()
        return Listing(item.id, item.slug, item.name, item.seller_id, item.category_id, seller_account.id)


@pytest.fixture
def draft_product(app, seller_account, category_id) -> Listing:
    """A draft of the same seller, not yet sent for review."""
    from factories import make_product

    with app.app_context():
        item = make_product(name="Chè búp bản nháp", seller=_seller(seller_account),
                            category_id=category_id, status="draft")
        db.session.commit()
        return Listing(item.id, item.slug, item.name, item.seller_id, item.category_id, seller_account.id)


@pytest.fixture
def ctx(app):
    """An application context for tests that touch models directly."""
    with app.app_context():
        yield app
