"""Browser tests: a real server (werkzeug in a thread) on a free port, a temporary SQLite
catalog built with the factories, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import make_test_config, reset_schema

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


def _free_port() -> int:
    """A free loopback port: from E2E_PORTS ("5550-5599", for machines where each
    worker owns a range), else any the system gives."""
    low, _, high = os.environ.get("E2E_PORTS", "").partition("-")
    candidates = range(int(low), int(high or low) + 1) if low else [0]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in E2E_PORTS={os.environ['E2E_PORTS']}")


def _photo(color: tuple[int, int, int], size=(1200, 900)) -> Image.Image:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=(250, 245, 230))
    return image


def build_catalog() -> dict:
    from marketplace.catalog.models import ProductPhoto
    from marketplace.media import get_storage
    from marketplace.media.images import store_renditions
    from tests.factories import (
        make_area,
        make_category,
        make_certification,
        make_product,
        make_rural_industry,
        make_seller,
    )

    food = make_category(name="Thực phẩm", slug="thuc-pham", ocop_group="thuc-pham", position=1, name_en="Food")
    tea = make_category(name="Chè", slug="che", parent=food, ocop_group="thuc-pham", name_en="Tea")
    drinks = make_category(name="Đồ uống", slug="do-uong", ocop_group="do-uong", position=2, name_en="Beverages")
    herbs = make_category(name="Dược liệu và sản phẩm từ dược liệu", slug="duoc-lieu", ocop_group="duoc-lieu", position=3)
    crafts = make_category(name="Hàng thủ công mỹ nghệ", slug="thu-cong-my-nghe", ocop_group="thu-cong-my-nghe", position=4)
    province = make_area(name="tỉnh Thái Nguyên", kind="province")
    tan_cuong = make_area(name="xã Tân Cương", parent=province)
    dong_hy = make_area(name="xã Đồng Hỷ", parent=province)
    tea_coop = make_seller(name="Hợp tác xã Chè Đặc sản Tân Cương Hoàng Bình", area=tan_cuong, verified=True,
                           story="Ba thế hệ gắn bó với cây chè Tân Cương.")
    honey_house = make_seller(name="Cơ sở Mật ong Đồng Hỷ", area=dong_hy, kind="household")
    storage = get_storage()
    specs = [
        ("Chè móc câu Tân Cương đặc biệt hộp thiếc 200 g", tea_coop, tea, 150_000, 5, (70, 120, 50)),
        ("Chè búp Tân Cương loại 1", tea_coop, tea, 220_000, 4, (90, 140, 60)),
        ("Chè nõn tôm thượng hạng", tea_coop, tea, 450_000, 5, (60, 100, 40)),
        ("Mật ong rừng nguyên chất Đồng Hỷ chai 500 ml", honey_house, drinks, 180_000, 4, (200, 150, 40)),
        ("Rượu chuối hột", honey_house, drinks, 120_000, 3, (160, 110, 60)),
        ("Cao chè dây", honey_house, herbs, 95_000, None, (100, 80, 60)),
        ("Giỏ mây tre đan thủ công", tea_coop, crafts, 65_000, 3, (180, 140, 90)),
        ("Bộ ấm chén gốm men lam", tea_coop, crafts, 1_250_000, None, (40, 80, 160)),
    ]
    slugs = []
    for i, (name, seller, cat, price, stars, color) in enumerate(specs):
        product = make_product(name=name, seller=seller, category=cat, price_vnd=price,
                               description=f"{name}: sản phẩm đặc trưng của Thái Nguyên.")
        if i != 5:  # one product without photo: the placeholder
            key, w, h = store_renditions(storage, _photo(color))
            db.session.add(ProductPhoto(product=product, key=key, width=w, height=h, alt=name))
        if i == 0:  # a second photo for the gallery
            key2, w2, h2 = store_renditions(storage, _photo((150, 60, 40), size=(900, 1200)))
            db.session.add(ProductPhoto(product=product, key=key2, width=w2, height=h2, alt="Hộp thiếc", position=1))
        if stars:
            make_certification(product, stars=stars)
        if i in (0, 6):
            make_rural_industry(product, level="province", year=2023)
        slugs.append(product.slug)
    make_product(name="Chè nháp chưa đăng", seller=tea_coop, category=tea, status="draft")
    db.session.commit()
    return {"products": slugs, "seller": tea_coop.slug}


@contextmanager
def serve(app, *, catalog=build_catalog, prepare=None):
    """Serve ``app`` from a real werkzeug server on a free loopback port, with a fresh
    schema, the small catalog and optional extra data from ``prepare(data)``."""
    with app.app_context():
        reset_schema()
        data = catalog()
        if prepare is not None:
            prepare(data)
    port = _free_port()
    app.config["SITE_URL"] = f"http://127.0.0.1:{port}"  # absolute URLs point at this server
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{port}", "app": app, **data}
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    app = create_app(make_test_config(tmp_path_factory.mktemp("e2e"), SERVER_NAME=None))
    with serve(app) as info:
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
