"""Browser tests: the app served as ``make run`` serves it (gunicorn, 3 workers, the
shared page-cache folder: ``tests/live_server.py``) on a port from ``E2E_PORTS``, a
small catalog built with the factories into the database before the server starts
(SQLite, or PostgreSQL with TEST_DATABASE_URL), and Debian's Chromium driven by
Playwright."""
from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live_server import Site, free_port
from tests.shop_catalog import build_catalog

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def serve(folder: Path, *, catalog: Callable[[], dict] = build_catalog, prepare=None, **site_options):
    """The small catalog (and optional extra data from ``prepare(data)``) in a fresh
    database, then the app served by gunicorn as ``make run`` does; yields the catalog's
    data with ``url`` and ``site`` (a ``tests.live_server.Site``: restart, database)."""

    def build() -> dict:
        data = catalog()
        if prepare is not None:
            prepare(data)
        return data

    site = Site(folder, port=free_port("E2E_PORTS"), **site_options)
    data = site.build(build)
    with site.serving():
        yield {"url": site.url, "site": site, **data}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """Per module: on PostgreSQL every module's server shares TEST_DATABASE_URL, whose
    schema the next module's catalog replaces."""
    with serve(tmp_path_factory.mktemp("e2e")) as info:
        yield info


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A 360×740 phone page that records CSP violations and script errors."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="vi-VN")
    page = context.new_page()
    page.problems = []
    page.on("console", lambda msg: page.problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


NO_SCROLL = "document.documentElement.scrollWidth"


def fits_and_clean(page) -> None:
    """No horizontal scroll on a 360 px phone and no CSP refusal (``page.problems``)."""
    assert page.evaluate(NO_SCROLL) <= 360
    assert not [p for p in page.problems if "Content Security Policy" in p or "Refused" in p], page.problems


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
