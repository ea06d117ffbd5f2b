"""Anonymous buyers in Chromium on the app served as ``make run`` serves it: gunicorn,
3 workers sharing the page-cache folder (issue 15 item 2).

Each journey is repeated by new buyers (fresh browser contexts with a desktop Chrome
User-Agent, so analytics counts them) until a page one worker rendered has been served
by another — ``X-Page-Rendered-By`` ≠ ``X-Served-By`` (``PAGE_CACHE_PROCESS_HEADERS=1``)
— and asserts that it happened. Every page of every round must be whole: no unfilled
page-cache slot (``_pc…_``) anywhere in its body, the footer's visit counter a number.

* home → search → product → the inquiry sent from a product page another worker rendered;
* two products into the inquiry cart → the cart's inquiry sent;
* a season alert asked for from a product page another worker rendered;
* a search result click counted (the search row's clicks and its click row, as
  ``analytics.recording`` records them);
* the footer counter grows by exactly one per page view sent;
* after a restart (same database, same PAGE_CACHE_DIR) pages stored by the previous
  server's workers are served whole and their forms work.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from marketplace.analytics.models import SITE, SearchClick, SearchEvent, Setting, TotalCount
from marketplace.extensions import db
from tests.e2e.conftest import serve
from tests.live_server import BROWSER_UA, PLACEHOLDER, cross_served, placeholders

pytestmark = pytest.mark.e2e

ROUNDS = 15  # new buyers per journey at most; with 3 workers a crossing comes in 1-3
BASELINE = 1_234_000  # visits before the counter: the footer shows thousands separators
FIGURE = re.compile(r"Lượt truy cập: ([^<]*)</p>")
BUYER = {"#name": "Trần Văn Bình", "#phone": "0987 654 321", "#message": "Tôi muốn đặt hàng làm quà Tết."}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    def prepare(data):
        from marketplace.catalog.models import Product
        from marketplace.seasons import current_month, months_to_mask

        db.session.add(Setting(key="baseline", value=BASELINE))
        # A seasonal product (its page has the "tell me when it is in season" form).
        seasonal = db.session.scalars(db.select(Product).where(Product.slug == data["products"][1])).one()
        seasonal.season_mask = months_to_mask([current_month() % 12 + 1])  # next month only
        seasonal.min_order_qty, seasonal.volume_unit = 10, "kg"
        db.session.commit()

    with serve(tmp_path_factory.mktemp("journeys"), prepare=prepare, process_headers=True) as info:
        yield info


class Buyer:
    """One anonymous buyer (a fresh browser context). Every page it is sent is checked
    whole and kept as (path, headers, body)."""

    def __init__(self, browser, shop: dict, number: int = 1) -> None:
        self.number = number
        self.base = shop["url"]
        self.site = shop["site"]
        self.context = browser.new_context(user_agent=BROWSER_UA, locale="vi-VN",
                                           viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.seen: list[tuple[str, dict, str]] = []

    def open(self, path: str) -> str:
        return self._check(self.page.goto(self.base + path))

    def follow(self, action: Callable[[], object]) -> str:
        """The page a click or key press navigates to."""
        with self.page.expect_navigation() as navigation:
            action()
        return self._check(navigation.value)

    def _check(self, response) -> str:
        parts = urlsplit(response.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = response.headers
        body = response.text()
        where = f"buyer {self.number}, {path} (status {response.status}, rendered by {headers.get('x-page-rendered-by')}, " \
                f"served by {headers.get('x-served-by')})"
        marker = PLACEHOLDER.search(body)
        assert marker is None, f"{where}: unfilled placeholders {placeholders(body)} — the first in " \
                               f"…{body[max(marker.start() - 80, 0):marker.end() + 40]}…"
        assert response.status == 200, f"{where}: {body[:500]}"
        figure = FIGURE.search(body)
        if figure is not None:
            assert re.fullmatch(r"[1-9][0-9]{0,2}(\.[0-9]{3})*", figure.group(1)), f"{where}: counter {figure.group(1)!r}"
        served = headers.get("x-served-by")
        if served is not None:
            assert int(served) in self.site.server.worker_pids(), f"{where}: X-Served-By is not a worker"
        self.seen.append((path, headers, body))
        return body

    def crossed(self) -> list[str]:
        """Paths of the pages a worker served that another worker rendered."""
        return [path for path, headers, _body in self.seen if cross_served(headers)]

    def close(self) -> None:
        self.context.close()


def figure_of(body: str) -> int:
    return int(FIGURE.search(body).group(1).replace(".", ""))


def send_inquiry(buyer: Buyer) -> str:
    page = buyer.page
    page.fill("#quantity", "3")
    for field, value in BUYER.items():
        page.fill(field, value)
    return buyer.follow(lambda: page.click("form.inq-form button[type=submit]"))


def rounds(browser, shop, journey: Callable[[Buyer], bool]) -> list[list[str]]:
    """``journey(buyer)`` for new buyers until it returns True (it saw a crossing and
    finished); what each buyer saw cross; fails if no round got there."""
    crossings = []
    for number in range(1, ROUNDS + 1):
        buyer = Buyer(browser, shop, number)
        try:
            done = journey(buyer)
            crossings.append(buyer.crossed())
        finally:
            buyer.close()
        if done:
            print(f"{number} buyer(s); pages served by another worker than their renderer: {crossings}")
            return crossings
    pytest.fail(f"in {ROUNDS} rounds no page rendered by one worker was served by another "
                f"(X-Page-Rendered-By / X-Served-By): {crossings}")


def test_search_then_an_inquiry_from_a_product_page_another_worker_rendered(shop, browser):
    product = shop["products"][0]  # Chè móc câu Tân Cương đặc biệt hộp thiếc 200 g

    def journey(buyer: Buyer) -> bool:
        buyer.open("/")
        buyer.page.fill("#search-q", "chè tân cương")
        listing = buyer.follow(lambda: buyer.page.press("#search-q", "Enter"))
        assert "/san-pham?q=" in buyer.page.url and product in listing
        body = buyer.follow(lambda: buyer.page.locator(f"a[href*='/san-pham/{product}']").first.click())
        assert "Gửi yêu cầu hỏi hàng" in body
        path, headers, _body = buyer.seen[-1]
        if not cross_served(headers):
            return False  # the form must come from a page another worker rendered
        sent = send_inquiry(buyer)
        assert "/hoi-hang/da-gui/" in buyer.page.url
        assert "Đã gửi yêu cầu hỏi hàng" in sent and "Trần Văn Bình" in sent
        return True

    crossings = rounds(browser, shop, journey)
    assert any(f"/san-pham/{product}" in p for p in crossings[-1])


def test_a_season_alert_from_a_product_page_another_worker_rendered(shop, browser):
    """The season-alert form of a cached page carries this buyer's own CSRF token (a token
    written into the page once was the first visitor's for everyone: a 400)."""
    product = shop["products"][1]

    def journey(buyer: Buyer) -> bool:
        body = buyer.open(f"/san-pham/{product}")
        assert "season-alert" in body
        if not cross_served(buyer.seen[-1][1]):
            return False
        buyer.page.fill("#alert-email", f"mua-{buyer.number}@example.vn")
        sent = buyer.follow(lambda: buyer.page.click("form.season-alert button[type=submit]"))
        assert "Vui lòng kiểm tra hộp thư" in sent
        return True

    crossings = rounds(browser, shop, journey)
    assert any(f"/san-pham/{product}" in p for p in crossings[-1])


def test_two_products_into_the_cart_then_the_cart_inquiry_sent(shop, browser):
    first, honey = shop["products"][0], shop["products"][3]  # two sellers

    def journey(buyer: Buyer) -> bool:
        crossed = False
        for slug in (first, honey):
            buyer.open(f"/san-pham/{slug}")
            crossed = crossed or cross_served(buyer.seen[-1][1])
            cart = buyer.follow(lambda: buyer.page.click("form.inq-cart-add button[type=submit]"))
            assert buyer.page.url.endswith("/gio-hoi-hang") and "vào giỏ hỏi hàng" in cart
        home = buyer.open("/")  # a cached page: the header's count is this buyer's
        assert "Giỏ hỏi hàng (2)" in buyer.page.locator(".nav-cart").inner_text(), home[:300]
        if not crossed:
            return False
        buyer.open("/gio-hoi-hang")
        assert buyer.page.locator("li.inq-line").count() == 2
        for field, value in BUYER.items():
            buyer.page.fill(field, value)
        sent = buyer.follow(lambda: buyer.page.click("button.button:has-text('Gửi yêu cầu tới người bán')"))
        assert "/hoi-hang/da-gui/" in buyer.page.url
        assert buyer.page.locator("section.inq-sent").count() == 2, sent[:500]
        assert "Giỏ hỏi hàng (0)" in buyer.page.locator(".nav-cart").inner_text()
        return True

    rounds(browser, shop, journey)


def test_a_search_result_click_is_counted(shop, browser):
    engine = sa.create_engine(shop["site"].database_url)
    events, clicks = SearchEvent.__table__, SearchClick.__table__

    def journey(buyer: Buyer) -> bool:
        buyer.open("/san-pham?q=ch%C3%A8")
        search_crossed = cross_served(buyer.seen[-1][1])
        link = buyer.page.locator(".product-grid a[href*='ref=']").first
        href = link.get_attribute("href")
        ref = parse_qs(urlsplit(href).query)["ref"][0]
        token, position = ref.split(".")
        slug = urlsplit(href).path.rsplit("/", 1)[1]
        buyer.follow(link.click)
        with engine.connect() as conn:
            event = conn.execute(sa.select(events.c.id, events.c.clicks).where(events.c.token == token)).first()
            assert event is not None, f"no search row for the result link's token {ref!r}"
            assert event.clicks == 1
            click = conn.execute(sa.select(clicks.c.position, clicks.c.product_id)
                                 .where(clicks.c.search_id == event.id)).one()
            product_id = conn.execute(sa.text("SELECT id FROM products WHERE slug = :s"), {"s": slug}).scalar()
        assert (click.position, click.product_id) == (int(position), product_id)
        return search_crossed

    try:
        rounds(browser, shop, journey)
    finally:
        engine.dispose()


def test_the_footer_counter_is_a_number_and_grows_by_the_views_sent(shop, browser):
    paths = ["/", "/san-pham", f"/san-pham/{shop['products'][1]}", f"/co-so/{shop['seller']}",
             "/danh-muc/thuc-pham", "/san-pham?q=m%E1%BA%ADt+ong"]
    shown: list[int] = []

    def journey(buyer: Buyer) -> bool:
        for path in paths:
            shown.append(figure_of(buyer.open(path)))
        return bool(buyer.crossed())

    rounds(browser, shop, journey)
    # One more per page view sent, the view being shown included; the database agrees.
    assert shown[0] > BASELINE
    assert [b - a for a, b in zip(shown, shown[1:])] == [1] * (len(shown) - 1), shown
    with shop["site"].app():
        total = db.session.scalar(sa.select(TotalCount.views).where(TotalCount.kind == SITE,
                                                                     TotalCount.object_id == 0))
    assert BASELINE + total == shown[-1]


def test_after_a_restart_pages_stored_by_the_old_workers_are_whole_and_their_forms_work(shop, browser):
    site, product = shop["site"], shop["products"][2]
    paths = ["/", "/san-pham", "/san-pham?q=ch%C3%A8", f"/san-pham/{product}"]
    server = site.server
    for _ in range(3):  # stored in the shared folder by the workers of this server
        for path in paths:
            assert server.get(path, headers={"User-Agent": BROWSER_UA}).status == 200
    old = set(server.worker_pids())
    server = site.restart()
    assert not old & set(server.worker_pids())

    def journey(buyer: Buyer) -> bool:
        for path in paths:
            buyer.open(path)
        rendered = buyer.seen[-1][1].get("x-page-rendered-by")
        if rendered is None or int(rendered) not in old:
            return False  # the form must come from a page the stopped server stored
        sent = send_inquiry(buyer)
        assert "Đã gửi yêu cầu hỏi hàng" in sent
        return True

    rounds(browser, shop, journey)
