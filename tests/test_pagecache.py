"""The page cache for anonymous visitors (marketplace/web/pagecache.py): pages are served
from memory, yet every catalog change shows at once in every process, nothing of one
visitor reaches another, and every view is still counted."""
from __future__ import annotations

import os
import re
import time
import zlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.catalog import generation
from marketplace.extensions import db
from marketplace.text import utcnow
from marketplace.web import pagecache
from tests.conftest import make_test_config
from tests.factories import make_category, make_certification, make_collection, make_product, make_seller, make_user

MARKER = re.compile(r"_pc[0-9a-f]{16}_")  # a slot marker of any process
BROWSER = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"


def get(client, path: str, **kw):
    response = client.get(path, headers={"User-Agent": BROWSER}, **kw)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _eventually(check, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def hits(app) -> int:
    return pagecache.cache_of(app).hits


@pytest.fixture
def shop(app):
    with app.app_context():
        tea = make_category(name="Chè", slug="che", name_en="Tea")
        seller = make_seller(name="HTX Chè Tân Cương")
        product = make_product(name="Chè móc câu Tân Cương", seller=seller, category=tea, price_vnd=150_000)
        make_certification(product, stars=5)
        other = make_product(name="Mật ong rừng", seller=make_seller(), category=tea, price_vnd=80_000)
        db.session.commit()
        return {"product": product.slug, "product_id": product.id, "other": other.slug, "seller": seller.slug,
                "category": "che"}


def pages(shop) -> list[str]:
    return ["/", "/san-pham", "/san-pham?q=che", f"/san-pham/{shop['product']}", f"/co-so/{shop['seller']}",
            f"/danh-muc/{shop['category']}"]


def test_a_second_anonymous_visit_is_served_from_the_cache_with_the_same_page(app, client, shop):
    for path in pages(shop):
        first = get(client, path)
        before = hits(app)
        second = get(client, path)
        assert hits(app) == before + 1, path
        # The same page, but for the parts that change with each view (view figures,
        # search-click references).
        strip = lambda html: re.sub(r"(Lượt (truy cập|xem): )[\d.]+|ref=[\w-]+", "", html)  # noqa: E731
        assert strip(first) == strip(second), path
        assert not MARKER.search(second) and not MARKER.search(first)


def test_a_changed_or_hidden_product_changes_every_cached_page_at_once(app, client, shop):
    for path in pages(shop):
        get(client, path)
        assert "150.000 ₫" in get(client, path), path  # cached, with the price
    assert "150.000 ₫" in get(client, f"/san-pham/{shop['product']}")
    with app.app_context():
        from marketplace.catalog.models import Product

        product = db.session.get(Product, shop["product_id"])
        product.price_vnd = 175_000
        db.session.commit()
    for path in pages(shop):
        html = get(client, path)
        assert "150.000 ₫" not in html, path
    assert "175.000 ₫" in get(client, f"/san-pham/{shop['product']}")
    assert "175.000 ₫" in get(client, "/san-pham")

    with app.app_context():
        product = db.session.get(Product, shop["product_id"])
        product.status = "archived"
        db.session.commit()
    assert client.get(f"/san-pham/{shop['product']}").status_code == 404
    for path in ("/", "/san-pham", f"/danh-muc/{shop['category']}", f"/co-so/{shop['seller']}"):
        assert shop["product"] not in get(client, path), path


def test_a_write_made_outside_the_app_moves_the_generation_too(app, client, shop):
    """A raw SQL statement (a shell, another program) is seen: the triggers move it."""
    get(client, "/san-pham")
    with app.app_context():
        before = generation.current()
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE products SET name = 'Chè đổi tên bằng SQL' WHERE slug = :s"),
                         {"s": shop["product"]})
        assert generation.current() > before
    assert "Chè đổi tên bằng SQL" in get(client, "/san-pham")
    # The header's categories (kept per generation, outside the page cache too).
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE categories SET name = 'Chè và trà' WHERE slug = 'che'"))
    for path in ("/san-pham", f"/san-pham/{shop['product']}"):
        nav = get(client, path).split('class="category-nav"', 1)[1].split("</nav>", 1)[0]
        assert "Chè và trà" in nav, path


def test_every_process_sees_a_change_made_by_another(app, app_config, client, shop):
    """Two app instances on one database stand for two gunicorn workers: each has its
    own cache; a write through one changes the pages the other serves."""
    other_app = create_app(app_config)
    other = other_app.test_client()
    try:
        path = f"/danh-muc/{shop['category']}"
        for c in (client, other, client, other):
            assert "Mật ong rừng" in get(c, path)
        assert hits(other_app) >= 1
        with other_app.app_context():
            from marketplace.catalog.models import Product

            product = db.session.scalar(sa.select(Product).where(Product.slug == shop["other"]))
            product.name = "Mật ong hoa nhãn"
            db.session.commit()
        assert "Mật ong hoa nhãn" in get(client, path)
        assert "Mật ong rừng" not in get(client, path)
    finally:
        with other_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_per_visitor_parts_never_leak_between_visitors(app, shop):
    alice, bob = app.test_client(), app.test_client()
    product_path = f"/san-pham/{shop['product']}"
    get(alice, product_path)
    assert alice.post(f"/gio-hoi-hang/them/{shop['product']}").status_code == 302
    assert alice.post(f"/gio-hoi-hang/them/{shop['other']}").status_code == 302
    for path in ("/", product_path, "/", product_path):
        assert 'nav-cart__count">2<' in get(alice, path)
        assert 'nav-cart__count">0<' in get(bob, path)
    assert hits(app) >= 4


def test_csrf_tokens_on_cached_pages_are_each_visitors_own(tmp_path):
    from tests.conftest import built_app

    with built_app(make_test_config(tmp_path, WTF_CSRF_ENABLED=True)) as app:
        with app.app_context():
            product = make_product(name="Chè búp Tân Cương", seller=make_seller(), price_vnd=120_000)
            db.session.commit()
            slug = product.slug
        alice, bob = app.test_client(), app.test_client()
        token_of = lambda html: re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # noqa: E731
        alice_token = token_of(get(alice, f"/san-pham/{slug}"))
        before = hits(app)
        bob_token = token_of(get(bob, f"/san-pham/{slug}"))
        assert hits(app) == before + 1  # bob's page came from the cache…
        assert alice_token != bob_token  # …with bob's own token
        # Each token works for its own visitor only.
        assert bob.post(f"/gio-hoi-hang/them/{slug}", data={"csrf_token": alice_token}).status_code == 400
        assert bob.post(f"/gio-hoi-hang/them/{slug}", data={"csrf_token": bob_token}).status_code == 302
        assert alice.post(f"/gio-hoi-hang/them/{slug}", data={"csrf_token": alice_token}).status_code == 302


def test_every_form_on_a_cached_page_carries_the_visitors_own_token(tmp_path):
    """Not only the inquiry forms: the "tell me when it is in season" form of a seasonal
    product too. A token written into the page itself would be the first visitor's for
    everyone the page is served to, and their posts would fail."""
    from tests.conftest import built_app

    with built_app(make_test_config(tmp_path, WTF_CSRF_ENABLED=True)) as app:
        with app.app_context():
            product = make_product(name="Vải thiều Thanh Hà", seller=make_seller(), price_vnd=60_000,
                                   season_mask=0b000001100000)  # June and July: seasonal
            db.session.commit()
            slug, product_id = product.slug, product.id
        alice, bob = app.test_client(), app.test_client()
        tokens_of = lambda html: set(re.findall(  # noqa: E731
            r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html))
        alice_page = get(alice, f"/san-pham/{slug}")
        assert "season-alert" in alice_page
        before = hits(app)
        bob_page = get(bob, f"/san-pham/{slug}")
        assert hits(app) == before + 1
        (alice_token,), (bob_token,) = tokens_of(alice_page), tokens_of(bob_page)  # one token a page
        assert alice_token != bob_token
        response = bob.post("/thong-bao/dang-ky", data={"csrf_token": bob_token, "product": product_id,
                                                          "email": "bob@example.vn"})
        assert response.status_code in (200, 302), response.status_code


def test_a_token_written_into_a_page_is_stored_as_the_visitors_slot(app):
    """Whatever wrote the render's own token into the page (a template calling
    ``csrf_token()``, a WTForms hidden field), the stored page has the csrf slot there."""
    from flask import g

    from marketplace.web.pagecache import _own_token_as_slot
    from marketplace.web.pagecache.slots import fill

    with app.test_request_context("/"):
        g.csrf_token = "IjEyMzQ1Njc4OTAi.Z1Rm2w.abcdefghijklmnopqrstuvwxyz0"
        page = f'<input value="{g.csrf_token}"><b>{g.csrf_token}</b>'.encode()
        body, markers = _own_token_as_slot(page, ())
        assert g.csrf_token.encode() not in body and len(markers) == 1 and markers[0].endswith("_csrf_")
        assert fill(body, markers) == page  # filled with this request's token, as any visitor's
        untouched = b"<p>no token here</p>"
        assert _own_token_as_slot(untouched, ("x",)) == (untouched, ("x",))


def test_logged_in_visitors_get_their_own_page_and_it_is_never_cached(app, client, auth, shop):
    with app.app_context():
        make_user(email="mua@example.vn", password="mat-khau-123", name="Chị Lan")
        db.session.commit()
    product_path = f"/san-pham/{shop['product']}"
    anonymous = get(client, product_path)
    assert "Đăng nhập" in anonymous
    assert auth.login("mua@example.vn").status_code == 302
    before = hits(app)
    mine = get(client, product_path)
    assert hits(app) == before  # not served from the anonymous cache
    assert "Đăng xuất" in mine and 'value="Chị Lan"' in mine
    stranger = app.test_client()
    for _ in range(2):
        page = get(stranger, product_path)
        assert "Đăng xuất" not in page and "Chị Lan" not in page


def test_every_cached_view_is_counted_and_the_figures_move(app, client, shop):
    from marketplace.analytics.models import TotalCount

    product_path = f"/san-pham/{shop['product']}"
    shown = []
    for _ in range(4):
        html = get(client, product_path)
        shown.append(int(re.search(r"Lượt xem: ([\d.]+)", html).group(1).replace(".", "")))
    assert hits(app) >= 3
    assert shown == [shown[0], shown[0] + 1, shown[0] + 2, shown[0] + 3]
    with app.app_context():
        views = db.session.scalar(sa.select(TotalCount.views).where(
            TotalCount.kind == "product", TotalCount.object_id == shop["product_id"]))
    assert views == 4


def test_cached_search_pages_record_each_search_with_its_own_click_reference(app, client, shop):
    from marketplace.analytics.models import SearchEvent

    refs = []
    for _ in range(3):
        html = get(client, "/san-pham?q=che")
        refs.append(re.search(r'href="/san-pham/[\w-]+\?ref=([\w-]+)\.1"', html).group(1))
    assert hits(app) >= 2
    assert len(set(refs)) == 3
    with app.app_context():
        tokens = set(db.session.scalars(sa.select(SearchEvent.token)))
    assert set(refs) <= tokens
    # A click on a result of a cached page is credited to that page's own search.
    get(client, f"/san-pham/{shop['product']}?ref={refs[1]}.1")
    with app.app_context():
        clicks = dict(db.session.execute(sa.select(SearchEvent.token, SearchEvent.clicks)).all())
    assert [clicks[r] for r in refs] == [0, 1, 0]


def test_flashed_messages_are_shown_once_and_never_cached(app, client, shop):
    get(client, "/")
    get(client, "/")  # cached now
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Đã gửi yêu cầu hỏi hàng.")]
    assert "Đã gửi yêu cầu hỏi hàng." in get(client, "/")
    assert "Đã gửi yêu cầu hỏi hàng." not in get(client, "/")
    assert "Đã gửi yêu cầu hỏi hàng." not in get(app.test_client(), "/")


def test_locale_and_date_are_part_of_the_key(app, client, shop, monkeypatch):
    assert "Sản phẩm" in get(client, "/san-pham")
    english = get(client, "/san-pham?lang=en")
    assert "Products" in english
    assert "Giỏ hỏi hàng" in get(app.test_client(), "/san-pham")  # another visitor, Vietnamese
    before = hits(app)
    tomorrow = pagecache.today_vn() + timedelta(days=1)
    monkeypatch.setattr(pagecache, "today_vn", lambda: tomorrow)
    get(client, "/san-pham?lang=en")
    assert hits(app) == before  # a new day renders again (certificates expire by date)


@pytest.mark.slow  # sleeps 1.6 s
def test_a_scheduled_collection_appears_when_its_start_passes(app, client, shop):
    with app.app_context():
        from marketplace.catalog.models import Product

        product = db.session.scalar(sa.select(Product).where(Product.slug == shop["other"]))
        make_collection([product], title="Quà Tết sắp mở", starts_at=utcnow() + timedelta(seconds=1.5))
        db.session.commit()
    assert "Quà Tết sắp mở" not in get(client, "/")
    assert "Quà Tết sắp mở" not in get(client, "/")
    time.sleep(1.6)
    assert "Quà Tết sắp mở" in get(client, "/")


def _entry(body: bytes = b"x", *, notes: dict | None = None, key_epoch: str = "e", as_of: int = 1):
    return pagecache.Entry(key_epoch, as_of, ("*",), body, [("Content-Type", "text/html")], notes or {}, None)


def test_the_cache_keeps_to_its_size_counting_keys_and_notes_dropping_the_least_recently_used(app):
    cache = pagecache.PageCache(max_bytes=4 * 2048)
    for i in range(10):
        cache.put(f"vi /p{i}", _entry(b"x" * 1000))
        cache.get("vi /p0")  # keep /p0 in use
    assert len(cache) < 10 and cache.bytes <= cache.max_bytes
    assert cache.get("vi /p0") is not None
    assert cache.get("vi /p1") is None
    # Long keys and big notes are counted too: a small body does not make an entry free.
    cache = pagecache.PageCache(max_bytes=64 * 1024)
    for i in range(200):
        cache.put("vi /san-pham?q=" + f"{i:04d}" * 300, _entry(notes={"analytics_search": {"query": "x" * 1000}}))
    assert cache.bytes <= cache.max_bytes and len(cache) < 30


def test_bodies_served_are_kept_uncompressed_within_the_bound(app):
    cache = pagecache.PageCache(max_bytes=64 * 1024)
    entries = {}
    for i in range(60):
        body = (f"<p>trang {i}</p>" * 80).encode()  # ~1.3 KB, compresses ~20×
        entries[i] = (_entry(zlib.compress(body)), body)
        cache.put(f"vi /p{i}", entries[i][0])
        assert cache.body(f"vi /p{i}", entries[i][0]) == body
        assert cache.bytes <= cache.max_bytes
        assert cache.plain_bytes <= cache.max_bytes // pagecache.store.PLAIN_SHARE
    assert cache.plain_bytes > 0 and len(cache) == 60  # the compressed entries all stay
    # Served again (kept or not), the same bytes.
    assert all(cache.body(f"vi /p{i}", entry) == body for i, (entry, body) in entries.items())
    # A page rendered again under the same key is what is served, not the body kept before.
    fresh = _entry(zlib.compress(b"<p>moi</p>"))
    cache.put("vi /p59", fresh)
    assert cache.body("vi /p59", fresh) == b"<p>moi</p>"
    # Dropped entries take their kept body with them.
    for i in range(60):
        cache.discard(f"vi /p{i}")
    assert cache.bytes == 0 and cache.plain_bytes == 0


def test_off_by_configuration(app, client, shop):
    app.config["PAGE_CACHE"] = False
    get(client, "/")
    get(client, "/")
    assert hits(app) == 0


def test_a_degraded_search_page_is_not_kept_once_the_engine_is_back(app, client, shop, monkeypatch):
    from marketplace.search import ResilientSearch
    from marketplace.search.fallback import DatabaseSearch

    class Down(DatabaseSearch):
        def search(self, query, *, degraded=False):
            raise ConnectionError("search engine unreachable")

    real = app.extensions["search"]
    monkeypatch.setitem(app.extensions, "search", ResilientSearch(Down(), DatabaseSearch()))
    notice = "chế độ dự phòng"
    for _ in range(2):
        response = client.get("/san-pham?q=che", headers={"User-Agent": BROWSER})
        assert notice in response.get_data(as_text=True)
        assert response.headers["X-Page-Cache"] == "miss"
    app.extensions["search"] = real
    assert notice not in get(client, "/san-pham?q=che")
    assert client.get("/san-pham?q=che", headers={"User-Agent": BROWSER}).headers["X-Page-Cache"] == "hit"


def test_a_restore_never_brings_back_a_generation_pages_were_cached_under(app, client, shop, tmp_path):
    """The restored database's generation is older than the live one; were it reused, a
    process could serve pages cached for other content under the same number."""
    from marketplace.catalog.models import Product
    from marketplace.ops import backup as ops_backup

    with app.app_context():
        ops_backup.backup(tmp_path / "snapshot")
    path = f"/san-pham/{shop['product']}"
    with app.app_context():
        db.session.get(Product, shop["product_id"]).price_vnd = 199_000
        db.session.commit()
        live = generation.current()
    assert "199.000 ₫" in get(client, path) and "199.000 ₫" in get(client, path)
    with app.app_context():
        ops_backup.restore(tmp_path / "snapshot")
        db.session.remove()
        assert generation.current() > live
    html = get(client, path)
    assert "150.000 ₫" in html and "199.000 ₫" not in html


# --- the shared level (files shared by the worker processes of one machine) -----------------


def test_a_page_rendered_by_one_process_is_served_by_another_from_its_first_request(app, app_config, client, shop):
    path = f"/danh-muc/{shop['category']}"
    assert client.get(path, headers={"User-Agent": BROWSER}).headers["X-Page-Cache"] == "miss"
    other_app = create_app(app_config)
    try:
        response = other_app.test_client().get(path, headers={"User-Agent": BROWSER})
        assert response.headers["X-Page-Cache"] == "hit"
        assert "Mật ong rừng" in response.get_data(as_text=True)
        assert not MARKER.search(response.get_data(as_text=True))
        with app.app_context():
            from marketplace.catalog.models import Product

            db.session.scalar(sa.select(Product).where(Product.slug == shop["other"])).name = "Mật ong bạc hà"
            db.session.commit()
        response = other_app.test_client().get(path, headers={"User-Agent": BROWSER})
        assert response.headers["X-Page-Cache"] == "miss"
        assert "Mật ong bạc hà" in response.get_data(as_text=True)
    finally:
        with other_app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_another_database_never_reads_this_ones_pages(app, client, shop, tmp_path):
    """Same folder, same generation number, another database (its own random epoch)."""
    from tests.conftest import built_app

    get(client, "/san-pham")
    with app.app_context():
        value = generation.current()
    other = tmp_path / "other"
    other.mkdir()
    # A second SQLite database (also when the suite runs on PostgreSQL: the folder is what is shared).
    config = make_test_config(other, PAGE_CACHE_DIR=app.config["PAGE_CACHE_DIR"],
                              SQLALCHEMY_DATABASE_URI=f"sqlite:///{other / 'other.sqlite'}")
    with built_app(config) as other_app:
        with other_app.app_context():
            make_product(name="Miến dong Bình Liêu", seller=make_seller(), price_vnd=45_000)
            db.session.commit()
            db.session.execute(sa.text("UPDATE catalog_generation SET value = :v"), {"v": value})
            db.session.commit()
            assert generation.current() == value  # the same number as the first database's
        response = other_app.test_client().get("/san-pham", headers={"User-Agent": BROWSER})
        html = response.get_data(as_text=True)
        assert "Miến dong Bình Liêu" in html and "Chè móc câu Tân Cương" not in html
        assert response.headers["X-Page-Cache"] == "miss"


def test_the_shared_folder_is_bounded_in_bytes_across_processes_and_keeps_one_database(tmp_path):
    """Two stores on one folder stand for two worker processes (the real topology is in
    tests/test_pagecache_live.py): the bound holds for the folder, whoever wrote it."""
    first = pagecache.SharedStore(tmp_path, "code1", max_bytes=200_000)
    second = pagecache.SharedStore(tmp_path, "code1", max_bytes=200_000)
    body = zlib.compress(os.urandom(8_000), 0)  # incompressible, ~8 KB a file
    for i in range(60):
        (first if i % 2 else second).save(f"vi 2026-12-07 /p{i}", _entry(body))
    # Each process sweeps after writing an eighth of the bound: between sweeps the folder
    # can hold at most that much more per writing process.
    assert _eventually(lambda: _folder_bytes(tmp_path) <= 200_000 + 2 * 25_000), _folder_bytes(tmp_path)
    # A sweep of our own, once no background sweep holds the lock (-1: one does).
    assert _eventually(lambda: 0 <= first.sweep() <= 200_000) and _folder_bytes(tmp_path) <= 200_000
    # The newest pages are kept, the oldest went.
    assert first.load("vi 2026-12-07 /p59", "e") is not None
    assert first.load("vi 2026-12-07 /p0", "e") is None
    entry = first.load("vi 2026-12-07 /p59", "e")
    assert entry.headers == [("Content-Type", "text/html")] and entry.scopes == ("*",)
    # Another database (another epoch) or another deploy (code): the old folder goes.
    second.save("vi 2026-12-07 /p0", _entry(key_epoch="other"))
    folders = lambda: sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))  # noqa: E731
    assert _eventually(lambda: folders() == ["code1-other"]), folders()
    deployed = pagecache.SharedStore(tmp_path, "code2", max_bytes=200_000)
    assert deployed.load("vi 2026-12-07 /p0", "other") is None


def test_a_shared_folder_removed_under_a_process_is_made_again_at_its_next_save(tmp_path):
    """The folder is made once per process, not at every save; when another process
    removed it (a purge by a newer deploy), the failed save makes it again next time."""
    import shutil

    store = pagecache.SharedStore(tmp_path, "code1", max_bytes=1_000_000)
    store.save("vi 2026-12-07 /a", _entry())
    assert store.load("vi 2026-12-07 /a", "e") is not None
    shutil.rmtree(tmp_path / "code1-e")
    store.save("vi 2026-12-07 /b", _entry())  # fails: the folder is gone
    store.save("vi 2026-12-07 /c", _entry())
    assert store.load("vi 2026-12-07 /c", "e") is not None


def _folder_bytes(root) -> int:
    total = 0
    for path in root.rglob("*"):
        try:
            if path.is_file() and path.name != ".sweep.lock":
                total += path.stat().st_size
        except FileNotFoundError:  # removed by a background sweep meanwhile
            continue
    return total


def test_a_rebuild_of_the_embedded_search_index_renders_cached_pages_anew(app, client, shop):
    """A rebuild writes only the engine's own tables (no trigger there): it moves the
    generation itself, so a results page cached from a stale index is not kept."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the embedded FTS5 engine runs on SQLite only")
    from marketplace.search import get_search

    get(client, "/san-pham?q=che")
    assert client.get("/san-pham?q=che", headers={"User-Agent": BROWSER}).headers["X-Page-Cache"] == "hit"
    with app.app_context():
        before = generation.current()
        get_search().rebuild()
        assert generation.current() == before + 1
    assert client.get("/san-pham?q=che", headers={"User-Agent": BROWSER}).headers["X-Page-Cache"] == "miss"


# --- slots: filled by whichever process serves the page, never planted ----------------------


def test_a_page_stored_by_another_process_is_filled_with_this_visitors_values(app, client, shop):
    """A stored page made by a process with another nonce (another worker, or one that
    no longer exists): this process fills exactly the markers that render made."""
    from marketplace.catalog import generation as gen

    path = f"/san-pham/{shop['product']}"
    first = client.get(path, headers={"User-Agent": BROWSER})
    assert first.headers["X-Page-Cache"] == "miss"
    cache = pagecache.cache_of(app)
    key = next(iter(cache._entries))
    entry = cache._entries[key]
    own = entry.markers[0][:20]  # "_pc<16 hex>_"
    foreign = "_pc0123456789abcdef_"
    assert own != foreign
    body = entry.body.replace(own.encode(), foreign.encode())
    stored = pagecache.Entry(entry.epoch, entry.as_of, entry.scopes, zlib.compress(body), entry.headers, entry.notes,
                             None, tuple(m.replace(own, foreign) for m in entry.markers), renderer=1)
    cache.discard(key)
    cache.shared.save(key, stored)
    with app.app_context():
        assert not gen.changed_since(stored.as_of, stored.scopes)
    second = client.get(path, headers={"User-Agent": BROWSER})
    html = second.get_data(as_text=True)
    assert second.headers["X-Page-Cache"] == "hit"
    assert not MARKER.search(html) and "_pc0123456789abcdef_" not in html
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert token is None or not token.group(1).startswith("_pc")
    assert re.search(r"Lượt xem: [\d.]+", html) and re.search(r"Lượt truy cập: [\d.]+", html)


def test_marker_like_text_typed_by_a_visitor_or_a_seller_is_shown_as_typed(app, client, shop):
    """A search or a seller's story holding marker-shaped text (even this process's own
    nonce, which never leaves the server) is never replaced, and never breaks a page."""
    from marketplace.web.pagecache import slots

    with app.test_request_context("/"):
        own = slots.prefix()  # a nonce drawn like a render's
    planted = [f"{own}views-a-{'9' * 30}_", f"{own}cart_", "_pc0123456789abcdef_csrf_", f"{own}views-product-1_"]
    with app.app_context():
        from marketplace.sellers.models import Seller

        seller = db.session.scalar(sa.select(Seller).where(Seller.slug == shop["seller"]))
        seller.story = " ".join(planted)
        db.session.commit()
    for path in [f"/san-pham?q={planted[0]}", f"/san-pham?q={planted[1]}", f"/co-so/{shop['seller']}"]:
        for _ in range(2):  # rendered, then from the cache
            response = client.get(path, headers={"User-Agent": BROWSER})
            assert response.status_code == 200, path
    html = client.get(f"/co-so/{shop['seller']}", headers={"User-Agent": BROWSER}).get_data(as_text=True)
    for text in planted:
        assert text in html  # shown as the seller typed it


def test_a_filler_never_fails_the_page(app):
    from marketplace.web.pagecache import slots

    with app.test_request_context("/"):
        huge = slots.slot("views", "product", "9" * 30)
        unknown = slots.slot("nosuchslot", "1")
        broken = slots.slot("views", "nosuchkind", "1")
        body = f"<p>{huge}|{unknown}|{broken}</p>".encode()
        assert slots.fill(body, slots.made()) == b"<p>||</p>"


def test_every_marker_of_a_page_is_filled_and_nothing_else_is_touched(app):
    from marketplace.web.pagecache import slots

    slots.register_slot("testecho", lambda *args: "<" + "+".join(args) + ">")
    with app.test_request_context("/"):
        one = slots.slot("testecho", "a", "1")
        two = slots.slot("testecho")
        prefix = one[:slots.PREFIX_LENGTH]
        # The prefix followed by no marker of this page (as a seller could type it, had they
        # guessed the nonce), an underscore-less tail, and markers repeated and adjacent.
        body = f"{one}x{two}{two}|{prefix}nosuch_|{prefix}|{one}_pc_".encode()
        filled = slots.fill(body, slots.made())
    assert filled == f"&lt;a+1&gt;x&lt;&gt;&lt;&gt;|{prefix}nosuch_|{prefix}|&lt;a+1&gt;_pc_".encode()
    with app.test_request_context("/"):  # markers of two renders (not one page's): each replaced
        other = slots.slot("testecho", "b")
    assert slots.fill(f"{one}/{other}".encode(), (one, other)) == b"&lt;a+1&gt;/&lt;b&gt;"
    with pytest.raises(ValueError):
        slots.register_slot("two_words", lambda: "")


def test_a_newcomers_session_and_token_are_standard_signed_values(app, client, shop):
    from itsdangerous import URLSafeTimedSerializer

    from marketplace.web.site import ShortPayloadSerializer

    response = client.get(f"/san-pham/{shop['product']}", headers={"User-Agent": BROWSER})
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    value = cookie.split(";")[0].split("=", 1)[1]
    assert not value.startswith(".")  # a short payload is not compressed
    standard = URLSafeTimedSerializer(app.secret_key, salt="cookie-session",
                                      signer_kwargs={"key_derivation": "hmac", "digest_method": __import__("hashlib").sha1})
    token = standard.loads(value)["csrf_token"]
    assert len(token) == 40
    # A long payload still is (and reads back the same).
    serializer = ShortPayloadSerializer("k", salt="s")
    data = {"cart": list(range(200))}
    dumped = serializer.dumps(data)
    assert dumped.startswith(".") and URLSafeTimedSerializer("k", salt="s").loads(dumped) == data


# --- keys: one entry per page, whatever the query string adds ---------------------------------


def test_unread_repeated_or_reordered_parameters_give_one_entry(app, client, shop):
    cache = pagecache.cache_of(app)
    assert client.get("/san-pham?q=che&stars=5&stars=4", headers={"User-Agent": BROWSER}).headers[
        "X-Page-Cache"] == "miss"
    for variant in ("/san-pham?stars=4&q=che&stars=5", "/san-pham?stars=5&q=che&stars=4&stars=5&utm_source=zalo",
                    "/san-pham?q=che&q=tra&stars=4&stars=5&fbclid=abc&page=", "/san-pham?stars=4&stars=5&q=che&x=1"):
        assert client.get(variant, headers={"User-Agent": BROWSER}).headers["X-Page-Cache"] == "hit", variant
    product = f"/san-pham/{shop['product']}"
    get(client, product)
    html = client.get(f"{product}?utm_campaign=tet&ref=abc.1", headers={"User-Agent": BROWSER})
    assert html.headers["X-Page-Cache"] == "hit"
    assert "utm_campaign" not in html.get_data(as_text=True)  # links are those of the canonical page
    assert len(cache) == 2


def test_long_urls_and_odd_parameters_get_a_normal_page_and_are_not_stored(app, client, shop):
    cache = pagecache.cache_of(app)
    long_q = "/san-pham?q=" + "chè " * 600
    for path in (long_q, "/san-pham?page=99999999999999999999", "/san-pham?sort=%00&stars=9&min_price=-1",
                 f"/co-so/{shop['seller']}?page=-4&area=%%%", "/?lang=xx&lang=en"):
        for _ in range(2):
            response = client.get(path, headers={"User-Agent": BROWSER})
            assert response.status_code == 200, (path, response.status_code)  # the page, odd parameters ignored
    assert all(len(key) < 2200 for key in cache._entries)


def test_a_marker_shaped_search_kept_in_analytics_never_breaks_the_staff_pages(app, client, shop, auth):
    """Once a marker-shaped query sat in search analytics, the staff's search report
    answered 500 (the filler ran on it): staff pages fill only what their render made.
    Three distinct visitors search it (a text is shown from SEARCH_TEXT_MIN_VISITORS on),
    and its digits stay under the 7 that analytics masks as a personal number."""
    planted = f"_pc{'ab' * 8}_views-a-{'9' * 6}_"
    for visitor in range(3):
        get(client, f"/san-pham?q={planted}", environ_base={"REMOTE_ADDR": f"203.0.113.{visitor + 1}"})
    auth.as_staff()
    for _ in range(3):
        response = client.get("/nhan-vien/thong-ke/tim-kiem")
        assert response.status_code == 200
        assert planted in response.get_data(as_text=True)
