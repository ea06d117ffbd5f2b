"""Every staff page (``/nhan-vien``) and every seller page (``/dashboard``) on a 360 px
phone: the page itself never scrolls sideways (wide tables scroll inside their own box).

The pages are read from the app's URL map, so a new page is walked without a change here;
the data gives every table rows, with long search phrases in the analytics tables."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from marketplace import create_app
from marketplace.extensions import db
from scripts.screenshots import log_in
from tests.conftest import make_test_config
from tests.e2e.conftest import screenshot, serve

pytestmark = pytest.mark.e2e

LONG_QUERIES = [
    "che tan cuong loai dac biet hop qua tet 500g",
    "mat ong rung nguyen chat dong hy chai thuy tinh",
    "khongcotukhoanaotrongdanhmucnaycadaidaidai",
    "ruou chuoi hot",
]


def _sourcing_request(seller, product) -> int:
    """An open sourcing request with long words, the seller matched and its offer."""
    from marketplace.sourcing.models import BuyerProfile, SourcingMatch, SourcingOffer, SourcingRequest
    from marketplace.text import today_vn, utcnow
    from tests.factories import make_user

    buyer = make_user(email="mua@sieuthi.vn")
    db.session.add(BuyerProfile(user_id=buyer.id, buyer_type="exporter", organisation="Công ty CP Xuất khẩu Nông sản",
                                city="Thành phố Hồ Chí Minh", phone="0987654321"))
    item = SourcingRequest(buyer_id=buyer.id, title="Chè búp khô Tân Cương loại đặc biệt đóng bao 20 kg xuất khẩu",
                           details="Yêu cầu phiếu kiểm nghiệm dư lượng thuốc bảo vệ thực vật cho từng lô hàng.",
                           category_id=product.category_id, quantity=20_000, unit="kg", frequency="monthly",
                           required_certs=["ocop4", "rural_industry"], delivery_area="Cảng Hải Phòng",
                           deadline=today_vn() + timedelta(days=20), target_price_vnd=1_250_000, status="open",
                           buyer_type="exporter", buyer_city="Thành phố Hồ Chí Minh", approved_at=utcnow())
    item.matches.append(SourcingMatch(seller_id=seller.id, score=88, rank=1, notified_at=utcnow()))
    item.offers.append(SourcingOffer(seller_id=seller.id, price_vnd=1_200_000, quantity=20_000,
                                     first_delivery=today_vn() + timedelta(days=30),
                                     message="Cơ sở giao được hằng tháng, có phiếu kiểm nghiệm."))
    db.session.add(item)
    db.session.flush()
    return item.id


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from marketplace.analytics.models import DailyCount, SearchClick, SearchDaily, SearchEvent
    from marketplace.catalog.models import OcopCertification, Product
    from marketplace.catalog.services import propose_revision
    from marketplace.inquiries.services import Line, submit_inquiry
    from marketplace.sellers.models import Seller
    from marketplace.text import today_vn
    from tests.factories import make_collection, make_lot, make_user

    def prepare(data):
        seller = db.session.scalars(db.select(Seller).where(Seller.slug == data["seller"])).one()
        make_user(email="nhanvien@example.vn", password="mat-khau-nhan-vien", role="staff")
        make_user(email="chu-htx@example.vn", password="mat-khau-123", role="seller", seller_id=seller.id)
        products = db.session.scalars(db.select(Product).where(Product.seller_id == seller.id,
                                                               Product.status == "published")).all()
        propose_revision(products[0], {"name": products[0].name + " (hộp quà Tết phiên bản mới)"})
        [inquiry] = submit_inquiry({"name": "Trần Văn Bình", "phone": "0987 654 321",
                                    "message": "Tôi muốn đặt 20 hộp làm quà Tết cho công ty."},
                                   [Line(products[0], 20)])
        collection = make_collection(products[:3], title="Gợi ý quà Tết")
        today = today_vn()
        for back in range(30):
            day = today - timedelta(days=back)
            db.session.add(DailyCount(day=day, kind="site", object_id=0, views=1000 + back, visitors=300))
            for product in products:
                db.session.add(DailyCount(day=day, kind="product", object_id=product.id, views=12_345 + back))
            for i, query in enumerate(LONG_QUERIES):
                zero = 5 if i == 2 else 0
                # Searched by enough distinct visitors for staff to see the text (SEARCH_TEXT_MIN_VISITORS).
                db.session.add(SearchDaily(day=day, query=query, searches=1234, zero_results=zero, results=0 if zero else 17,
                                           clicked=300, clicks=456, visitors=250))
        event = SearchEvent(token="tok-1", day=today, query=LONG_QUERIES[0], results=17, clicks=1)
        db.session.add(event)
        db.session.flush()
        db.session.add(SearchClick(search_id=event.id, product_id=products[0].id, position=1, day=today))
        request_id = _sourcing_request(seller, products[0])
        db.session.commit()
        data.update(product_id=products[0].id, seller_id=seller.id, inquiry_id=inquiry.id,
                    collection_id=collection.id, request_id=request_id,
                    lot_id=make_lot(products[0], code="TC-WALK-01").id,
                    cert_id=db.session.scalars(db.select(OcopCertification.id)).first())

    folder = tmp_path_factory.mktemp("workspaces-e2e")
    with serve(folder, prepare=prepare) as info:
        # the URL map of the app the server runs (its pages are read from it)
        yield {**info, "app": create_app(make_test_config(folder / "url-map", SERVER_NAME=None))}


def _pages(app, prefix: str, ids: dict) -> list[str]:
    """Every GET page under ``prefix`` (downloads — CSV, PNG, SVG — left out), with the
    ids of the test data in its arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or "GET" not in rule.methods or re.search(r"\.(csv|png|svg)$", rule.rule):
            continue
        if rule.endpoint.endswith(("_scan", ".scan")):  # a certificate scan: an image or PDF, not a page
            continue
        urls.append(re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule.rule))
    return sorted(urls)


# The outermost elements reaching past the right edge, outside any scrolling box: what to
# fix when a page is too wide.
WIDE_JS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 361 && !(e.parentElement.getBoundingClientRect().right > 361))
  .filter(e => { for (let a = e.parentElement; a; a = a.parentElement) if (getComputedStyle(a).overflowX !== 'visible') return false; return true; })
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))"""


def _walk(server, phone, prefix: str, email: str, password: str) -> dict[str, int]:
    """Page → document width (and, when too wide, the elements that stick out)."""
    log_in(phone, server["url"], email, password)
    widths = {}
    for path in _pages(server["app"], prefix, server):
        response = phone.goto(server["url"] + path)
        assert response.status == 200, path
        widths[path] = phone.evaluate("document.documentElement.scrollWidth")
        if widths[path] > 360:
            widths[path] = (widths[path], phone.evaluate(WIDE_JS))
        screenshot(phone, "phone" + re.sub(r"\W+", "-", path).rstrip("-"))
    return widths


def test_every_staff_page_fits_a_360px_phone(server, phone):
    widths = _walk(server, phone, "/nhan-vien", "nhanvien@example.vn", "mat-khau-nhan-vien")
    assert len(widths) >= 14, widths  # the walk reached the pages (home, queues, analytics, collections…)
    assert {path: w for path, w in widths.items() if isinstance(w, tuple)} == {}
    # The search phrases stay readable at 360 px (they once wrapped one letter per line).
    phone.goto(server["url"] + "/nhan-vien/thong-ke/tim-kiem")
    cells = phone.locator(".data-table td.query")
    assert cells.count() >= len(LONG_QUERIES)
    assert min(cells.evaluate_all("cells => cells.map(c => c.getBoundingClientRect().width)")) >= 100


def test_every_seller_page_fits_a_360px_phone(server, phone):
    widths = _walk(server, phone, "/dashboard", "chu-htx@example.vn", "mat-khau-123")
    assert len(widths) >= 9, widths
    assert {path: w for path, w in widths.items() if isinstance(w, tuple)} == {}
