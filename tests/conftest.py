"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when
TEST_DATABASE_URL is set (CI does both)."""
from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


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
def auth(client):
    """``auth.login(user_or_id)``: the client logged in (see tests/auth.py)."""
    from auth import AuthActions

    return AuthActions(client)


@pytest.fixture
def ctx(app):
    """An application context for tests that touch models directly."""
    with app.app_context():
        yield app
