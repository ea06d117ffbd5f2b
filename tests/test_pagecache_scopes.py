"""Invalidation in proportion: each kind of catalog write renders anew, at the next request
in every process, exactly the cached pages that show what it changed; every other page
stays a hit. Two app instances on one database stand for two workers here (each with its
own memory level); tests/test_pagecache_live.py runs real gunicorn workers."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.catalog.models import OcopCertification, Product
from marketplace.extensions import db
from marketplace.sellers.models import Seller
from marketplace.text import utcnow
from tests.factories import (
    make_area,
    make_category,
    make_certification,
    make_collection,
    make_lot,
    make_product,
    make_seller,
)

BROWSER = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"

PAGES = {
    "home": "/",
    "tea": "/san-pham/che-moc-cau-hoang-binh",
    "honey": "/san-pham/mat-ong-rung-dong-hy-1",
    "tea seller": "/co-so/htx-che-hoang-binh",
    "honey seller": "/co-so/co-so-mat-ong-dong-hy",
    "tea category": "/danh-muc/che",
    "honey category": "/danh-muc/mat-ong",
    "tea area": "/khu-vuc/xa-tan-cuong",
    "honey area": "/khu-vuc/xa-dong-hy",
    "listing": "/san-pham",
    "search": "/san-pham?q=mat+ong",
    "collection": "/bo-suu-tap/qua-mat-ong",
    "tea lot": "/truy-xuat/CHE-HB-01",
    "tea lot 2": "/truy-xuat/CHE-HB-02",
    "honey lot": "/truy-xuat/MO-DH-01",
}
# A lot's scan page shows its product (name, price, certificate), its seller and the
# product's other lots.
TEA_LOTS = {"tea lot", "tea lot 2"}


@pytest.fixture
def floor(app):
    with app.app_context():
        tea_cat = make_category(name="Chè", slug="che")
        honey_cat = make_category(name="Mật ong", slug="mat-ong")
        tan_cuong = make_area(name="xã Tân Cương", slug="xa-tan-cuong")
        dong_hy = make_area(name="xã Đồng Hỷ", slug="xa-dong-hy")
        tea_seller = make_seller(name="HTX Chè Hoàng Bình", slug="htx-che-hoang-binh", area=tan_cuong)
        honey_seller = make_seller(name="Cơ sở Mật ong Đồng Hỷ", slug="co-so-mat-ong-dong-hy", area=dong_hy)
        tea = make_product(name="Chè móc câu Hoàng Bình", slug="che-moc-cau-hoang-binh", seller=tea_seller,
                           category=tea_cat, price_vnd=150_000, published_at=utcnow() - timedelta(days=30))
        make_certification(tea, stars=4, verified_at=None)
        honeys = [make_product(name=f"Mật ong rừng Đồng Hỷ {i}", slug=f"mat-ong-rung-dong-hy-{i}",
                               seller=honey_seller, category=honey_cat, price_vnd=80_000 + i)
                  for i in range(1, 10)]  # nine newer products: the tea is not on the home page
        make_collection(honeys[:2], title="Quà mật ong", slug="qua-mat-ong")
        tea_lot = make_lot(tea, code="CHE-HB-01")
        make_lot(tea, code="CHE-HB-02")
        make_lot(honeys[0], code="MO-DH-01")
        db.session.commit()
        return {"tea": tea.id, "tea_seller": tea_seller.id, "honey": honeys[0].id, "tea_lot": tea_lot.id}


@pytest.fixture(params=["one machine", "two machines"])
def workers(request, app, app_config, tmp_path):
    """Two processes' worth of page caches on one database: two workers of one machine
    (one shared folder), or two instances on two machines (a folder each)."""
    config = dict(app_config)
    if request.param == "two machines":
        config["PAGE_CACHE_DIR"] = str(tmp_path / "other-machine")
    other = create_app(config)
    yield [app.test_client(), other.test_client()]
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def state(client, path: str) -> tuple[str, str]:
    response = client.get(path, headers={"User-Agent": BROWSER})
    return response.headers.get("X-Page-Cache", ""), response.get_data(as_text=True) if response.status_code == 200 \
        else str(response.status_code)


def warm(workers, pages: dict[str, str] = PAGES) -> None:
    for client in workers:
        for path in pages.values():
            state(client, path)
    for client in workers:
        for name, path in pages.items():
            assert state(client, path)[0] == "hit", name


def _same_page(html: str) -> str:
    return re.sub(r"(Lượt (truy cập|xem): )[\d.]+|ref=[\w-]+|value=\"[\w.-]{20,}\"", "", html)


def after_write(app, workers, write) -> dict[str, list[tuple[str, str]]]:
    """Warm every page on both workers, run ``write``, then (cache state, page) of each
    page on each worker at its next request."""
    warm(workers)
    with app.app_context():
        write()
        db.session.commit()
    return {name: [state(client, path) for client in workers] for name, path in PAGES.items()}


def rendered(states: dict[str, list[tuple[str, str]]]) -> set[str]:
    """The pages the first worker rendered anew. The second worker shows the same page:
    rendered itself, or the first worker's fresh render from the shared folder; a page
    the first worker still served from the cache is a hit on the second too."""
    for name, ((first_state, first), (second_state, second)) in states.items():
        assert _same_page(first) == _same_page(second), name
        if first_state == "hit":
            assert second_state == "hit", name
    return {name for name, ((first_state, _), _second) in states.items() if first_state != "hit"}


def test_a_product_edit_renders_its_pages_anew_and_nothing_else(app, workers, floor):
    def edit():
        db.session.get(Product, floor["tea"]).price_vnd = 175_000

    # The price stays in its band (100k–300k): the search for honey, which does not show
    # the tea, stays a hit (test below: it is what a render gives now).
    assert rendered(after_write(app, workers, edit)) == {
        "tea", "tea seller", "tea category", "tea area", "listing", *TEA_LOTS}
    for client in workers:
        assert "175.000 ₫" in state(client, PAGES["tea"])[1]
        assert "175.000 ₫" in state(client, PAGES["tea category"])[1]


BY_PRICE = {
    "by price": "/san-pham?sort=price_asc",
    "honey by price": "/san-pham?q=mat+ong&sort=price_desc",
    "from 100k": "/san-pham?min_price=100000",
    "honey under 100k": "/san-pham?price=under-100k&q=mat+ong",  # canonical order (as the cache renders it)
}


@pytest.mark.parametrize(("price", "moved"), [
    (175_000, {"tea", "tea seller", "tea category", "tea area", "listing", "by price", "honey by price",
               "from 100k", *TEA_LOTS}),
    (350_000, {"tea", "tea seller", "tea category", "tea area", "listing", "by price", "honey by price",
               "from 100k", "search", "honey under 100k", "honey category", "honey area", "honey seller",
               *TEA_LOTS}),
], ids=["within its price band", "into another band"])
def test_a_price_change_renders_the_pages_showing_it_or_ordered_by_price(app, app_config, workers, floor, price,
                                                                          moved):
    """Within its band a price change renders anew the pages showing the product's card
    and those ordered or filtered by price; every page kept is what a render gives now.
    Into another band it moves the price facet's counts: every listing and search."""
    pages = {**PAGES, **BY_PRICE}
    warm(workers, pages)
    with app.app_context():
        db.session.get(Product, floor["tea"]).price_vnd = price
        db.session.commit()
    states = {name: [state(client, path) for client in workers] for name, path in pages.items()}
    assert rendered(states) >= moved - {"honey category", "honey area", "honey seller"}
    if price == 175_000:
        assert rendered(states) == moved
    else:  # every listing and search over the whole catalog
        assert {"listing", "search", "by price", "honey by price", "from 100k", "honey under 100k"} <= rendered(states)
    uncached = create_app({**app_config, "PAGE_CACHE": False})
    fresh = uncached.test_client()
    try:
        for name, path in pages.items():
            assert _same_page(states[name][0][1]) == _same_page(state(fresh, path)[1]), name
    finally:
        with uncached.app_context():
            db.session.remove()
            db.engine.dispose()
    assert "175.000 ₫" in states["by price"][0][1] or price != 175_000


# Where the tea product was public: what a take-down or its seller's suspension renders anew
# (the honey area page counts public products per area; the collection counts its items).
LISTED_TEA = {"home", "tea", "tea seller", "tea category", "tea area", "honey area", "listing", "search", "collection",
              *TEA_LOTS}


def _take_down(floor) -> None:
    db.session.get(Product, floor["tea"]).status = "archived"


def _suspend(floor) -> None:
    db.session.get(Seller, floor["tea_seller"]).status = "suspended"


@pytest.mark.parametrize(("write", "gone"), [(_take_down, "tea"), (_suspend, "tea seller")],
                         ids=["take-down", "seller suspension"])
def test_a_take_down_or_suspension_removes_the_product_everywhere_it_was_listed(app, workers, floor, write, gone):
    assert rendered(after_write(app, workers, lambda: write(floor))) == LISTED_TEA
    for client in workers:
        assert state(client, PAGES[gone])[1] == "404"
        for page in ("tea category", "listing", "home"):
            assert "Chè móc câu Hoàng Bình" not in state(client, PAGES[page])[1], page


def test_a_certificate_verified_shows_its_badge_where_the_product_is_shown(app, workers, floor):
    def verify():
        cert = db.session.scalar(sa.select(OcopCertification).where(OcopCertification.product_id == floor["tea"]))
        cert.verified_at = utcnow()

    before = state(workers[0], PAGES["tea"])[1]
    assert rendered(after_write(app, workers, verify)) == LISTED_TEA
    assert state(workers[1], PAGES["tea"])[1] != before


def test_a_lot_edit_or_hiding_renders_the_scan_pages_of_its_product_and_nothing_else(app, workers, floor):
    from marketplace.accounts.models import User
    from marketplace.traceability import services
    from marketplace.traceability.models import Lot
    from tests.factories import make_user

    def edit():
        services.update_lot(db.session.get(Lot, floor["tea_lot"]), {"quantity": "250", "origin": "VT-TN-0042"})

    # The tea's scan pages ("other lots") and its product page (its latest lots).
    assert rendered(after_write(app, workers, edit)) == {"tea", *TEA_LOTS}
    for client in workers:
        page = state(client, PAGES["tea lot"])[1]
        assert "250 kg" in page and "VT-TN-0042" in page and "Lịch sử chỉnh sửa" in page
        assert "Xóm Hồng Thái, Tân Cương → VT-TN-0042" in page

    with app.app_context():
        staff_id = make_user(role="staff").id
        db.session.commit()

    def hide():
        services.hide_lot(db.session.get(Lot, floor["tea_lot"]), "Ảnh chứng nhận không khớp",
                          actor=db.session.get(User, staff_id))

    assert rendered(after_write(app, workers, hide)) == {"tea", *TEA_LOTS}
    for client in workers:
        assert state(client, PAGES["tea lot"])[1] == "404"
        assert "CHE-HB-01" not in state(client, PAGES["tea"])[1]
        assert "CHE-HB-01" not in state(client, PAGES["tea lot 2"])[1]  # no longer among "other lots"


def test_a_vietgap_certificate_verified_shows_its_badge_where_the_sellers_products_are_shown(app, workers, floor):
    """A seller-wide certification of another kind: its verification renders anew the
    pages showing the seller's products (badges, chips, cert filters), nothing else."""
    from marketplace.certifications.models import Certification
    from tests.factories import make_seller_certification

    with app.app_context():
        cert_id = make_seller_certification(db.session.get(Seller, floor["tea_seller"]), "vietgap",
                                            number="VG-TN-0042", verified_at=None).id
        db.session.commit()

    def verify():
        db.session.get(Certification, cert_id).verified_at = utcnow()

    assert "VG-TN-0042" not in state(workers[0], PAGES["tea"])[1]
    assert rendered(after_write(app, workers, verify)) == LISTED_TEA
    for client in workers:
        assert "VG-TN-0042" in state(client, PAGES["tea"])[1]
        assert "cert-chip cert-vietgap" in state(client, PAGES["tea category"])[1]


def test_a_certificate_that_expires_stops_counting_the_next_day(app, client, floor, monkeypatch):
    from marketplace.web import pagecache

    with app.app_context():
        cert = db.session.scalar(sa.select(OcopCertification).where(OcopCertification.product_id == floor["tea"]))
        cert.verified_at = utcnow()
        cert.expires_on = pagecache.today_vn()
        db.session.commit()
    assert "/san-pham?stars=4" in state(client, "/")[1]
    tomorrow = pagecache.today_vn() + timedelta(days=1)
    for module in ("marketplace.web.pagecache", "marketplace.catalog.home", "marketplace.catalog.cards"):
        monkeypatch.setattr(f"{module}.today_vn", lambda: tomorrow)
    monkeypatch.setattr("marketplace.catalog.queries.today_vn", lambda: tomorrow)
    assert "/san-pham?stars=4" not in state(client, "/")[1]  # no 4-star row: the figure was kept per day


def test_writes_that_change_nothing_shown_move_nothing(app, workers, floor):
    def nothing_shown():
        seller = db.session.get(Seller, floor["tea_seller"])
        seller.name = seller.name  # a re-submitted unchanged form
        seller.email = "moi@example.vn"  # not shown on public pages
        seller.review_note = "ghi chú nội bộ"
        area = db.session.get(Seller, floor["tea_seller"]).area
        category = db.session.get(Product, floor["tea"]).category
        pending = make_seller(name="HTX Chờ Duyệt", status="pending", area=area)
        make_product(name="Chè nháp", seller=pending, status="draft", category=category)
        rejected = make_product(name="Chè bị từ chối", seller=db.session.get(Seller, floor["tea_seller"]),
                                status="rejected", category=category)
        db.session.flush()
        rejected.description = "Sửa lại mô tả"
        with db.session.no_autoflush:
            db.session.execute(sa.text("UPDATE products SET updated_at = :now, view_count = view_count + 0"),
                               {"now": utcnow()})

    assert rendered(after_write(app, workers, nothing_shown)) == set()


def test_popularity_moves_only_pages_ordered_by_it_and_only_when_the_order_changes(app, workers, floor):
    from marketplace.analytics import services

    def same_order():
        services.apply_popularity({floor["tea"]: 0})  # unchanged order (all at zero before)

    with app.app_context():
        services.apply_popularity({})
    assert rendered(after_write(app, workers, lambda: services.apply_popularity(
        {pid: 0 for pid in [floor["honey"]]}))) == set()
    moved = rendered(after_write(app, workers, lambda: services.apply_popularity({floor["tea"]: 500})))
    assert {"search", "tea", "honey"} <= moved  # relevance ties, related products
    assert not moved & {"tea category", "honey category", "listing", "collection"}  # newest first: no popularity


def test_a_synonym_change_renders_searches_anew_only(app, workers, floor):
    from marketplace.search.synonyms import add_synonym

    assert rendered(after_write(app, workers, lambda: add_synonym("mat ong", "honey"))) == {"search"}


def test_a_collection_edit_renders_the_pages_showing_it(app, workers, floor):
    from marketplace.collections.models import Collection

    def retitle():
        db.session.scalar(sa.select(Collection).where(Collection.slug == "qua-mat-ong")).title = "Quà Tết mật ong"

    assert rendered(after_write(app, workers, retitle)) == {"home", "collection"}
    assert "Quà Tết mật ong" in state(workers[1], "/")[1]


def test_a_search_engine_delivery_renders_result_pages_anew(app, workers, floor):
    """A Meilisearch delivery marks its outbox rows delivered (``search/outbox.py``); the
    trigger on that table is what moves the pages. No Meilisearch server runs here: the
    row is queued and marked delivered with SQL, as the delivery does."""
    with app.app_context():
        db.session.execute(sa.text("INSERT INTO search_outbox (product_id, op, created_at, attempts)"
                                   " VALUES (:p, 'upsert', :now, 0)"), {"p": floor["honey"], "now": utcnow()})
        db.session.commit()

    def deliver():
        db.session.execute(sa.text("UPDATE search_outbox SET delivered_at = :now"), {"now": utcnow()})

    assert rendered(after_write(app, workers, deliver)) == {
        "tea seller", "honey seller", "tea category", "honey category", "tea area", "honey area", "listing", "search"}


def test_a_page_rendered_while_a_write_commits_is_not_kept(app, client, floor, monkeypatch):
    """The write lands between the generation read before rendering and the end of the
    render: the page may hold either state, so it is served once and not stored."""
    from marketplace.catalog import listing as listing_module

    original = listing_module.run_listing

    def run_listing_with_a_write(*args, **kw):
        result = original(*args, **kw)
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE products SET price_vnd = 160000 WHERE id = :id"), {"id": floor["tea"]})
        return result

    monkeypatch.setattr("marketplace.catalog.views.run_listing", run_listing_with_a_write)
    assert state(client, "/danh-muc/che")[0] == "miss"
    monkeypatch.setattr("marketplace.catalog.views.run_listing", original)
    kind, html = state(client, "/danh-muc/che")
    assert kind == "miss" and "160.000 ₫" in html
    assert state(client, "/danh-muc/che")[0] == "hit"
