"""The full render path of buyer pages: cards from flat rows, URLs spliced from a
prefix, trees read once per transaction, the search generation read once per search.
Each shortcut must give exactly what the slower way gave."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import render_template_string, url_for
from markupsafe import Markup

from marketplace.catalog import queries
from marketplace.catalog.cards import cards_by_ids
from marketplace.catalog.models import Product, ProductPhoto
from marketplace.catalog.trees import area_tree, category_tree
from marketplace.extensions import db
from marketplace.text import today_vn
from marketplace.web.urls import url_builder, url_for_value
from tests.factories import (
    make_area,
    make_category,
    make_certification,
    make_product,
    make_rural_industry,
    make_seller,
    make_seller_certification,
)


@pytest.fixture
def catalog(app):
    """Products covering every card field: photos (stored out of order), valid, expired
    and unverified certificates, a rural mark, a hidden product, a hidden seller."""
    from datetime import timedelta

    with app.app_context():
        seller = make_seller(name="HTX Chè Tân Cương")
        tea = make_category(name="Chè", slug="che", name_en="Tea")
        full = make_product(name="Chè móc câu <đặc biệt>", seller=seller, category=tea, price_vnd=150_000,
                            unit="hộp 200 g")
        make_certification(full, stars=4)
        make_rural_industry(full, level="region", year=2022)
        db.session.add_all([
            ProductPhoto(product=full, key="b" * 32, width=800, height=1000, alt="", position=1),
            ProductPhoto(product=full, key="a" * 32, width=1200, height=900, alt="Hộp chè", position=0),
        ])
        bare = make_product(name="Chè xanh", seller=seller, category=tea, price_vnd=90_000, unit="")
        expired = make_product(name="Chè hết hạn", seller=seller, category=tea)
        make_certification(expired, stars=5, issued_on=today_vn() - timedelta(days=1200),
                           expires_on=today_vn() - timedelta(days=1))
        unverified = make_product(name="Chè chưa duyệt", seller=seller, category=tea)
        make_certification(unverified, stars=3, verified_at=None)
        draft = make_product(name="Chè nháp", seller=seller, category=tea, status="draft")
        hidden_seller = make_seller(name="Cơ sở bị khoá", status="suspended")
        of_hidden = make_product(name="Chè của cơ sở bị khoá", seller=hidden_seller, category=tea)
        db.session.commit()
        return {name: p.id for name, p in (("full", full), ("bare", bare), ("expired", expired),
                                           ("unverified", unverified), ("draft", draft), ("of_hidden", of_hidden))}


def test_cards_carry_what_the_product_shows(app, catalog):
    with app.test_request_context("/"):
        ids = [catalog[k] for k in ("bare", "full", "expired", "unverified", "draft", "of_hidden")]
        cards = cards_by_ids([*ids, catalog["full"], 999_999])  # a repeat and a vanished id
        assert [c.id for c in cards] == ids[:4]  # given order; hidden, repeated and vanished left out
        for card in cards:
            product = db.session.get(Product, card.id)
            assert (card.slug, card.name, card.price_vnd, card.unit) == (
                product.slug, product.name, product.price_vnd, product.unit)
            assert card.seller_name == product.seller.name
            cert = product.valid_certification
            assert card.stars == (cert.stars if cert else None)
            assert card.rural_industry is (product.rural_industry is not None)
            cover = product.cover
            if cover is None:
                assert card.cover is None
            else:
                assert (card.cover.key, card.cover.width, card.cover.height, card.cover.alt) == (
                    cover.key, cover.width, cover.height, cover.alt)
            assert card.url() == url_for("catalog.product", slug=product.slug)
            assert card.url("tok.3") == url_for("catalog.product", slug=product.slug, ref="tok.3")
        full = cards[1]
        assert (full.stars, full.rural_industry, full.cover.key) == (4, True, "a" * 32)  # position 0 is the cover
        assert cards[2].stars is None and cards[3].stars is None  # expired, unverified: no badge


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_card_picture_and_badges_match_the_product_macros(app, catalog, lang):
    """The grid renders a card's picture and OCOP chip with the same macros the product
    page uses for the full product: same markup in both languages."""
    product_side = ('{% from "macros/catalog.html" import picture, ocop_chip %}'
                    "{{ picture(p.cover, p.name) }}|{{ ocop_chip(p.valid_certification) }}")
    card_side = ('{% from "macros/catalog.html" import picture, ocop_stars_chip %}'
                 "{{ picture(c.cover, c.name) }}|"
                 "{% if c.stars %}{{ ocop_stars_chip(c.stars) }}{% endif %}")
    with app.test_request_context(f"/?lang={lang}"):
        for key in ("full", "bare", "expired"):
            product = db.session.get(Product, catalog[key])
            (card,) = cards_by_ids([product.id])
            assert render_template_string(card_side, c=card) == render_template_string(product_side, p=product)


@pytest.mark.parametrize("lang, chip, cnnt, no_photo", [
    ("vi", "Sản phẩm OCOP 4 sao", "CNNT", "Chưa có ảnh"),
    ("en", "OCOP 4-star products", "Rural industry", "No photo yet"),
])
def test_listing_card_shows_every_field_in_both_languages(client, catalog, lang, chip, cnnt, no_photo):
    html = client.get(f"/san-pham?lang={lang}").get_data(as_text=True)
    cards = dict(re.findall(r'<a class="card-link" href="/san-pham/([a-z0-9-]+)">(.*?)</a>', html, re.S))
    full = cards["che-moc-cau-dac-biet"]
    assert 'src="/media/' + "a" * 32 + '-320.webp"' in full
    key = "a" * 32
    assert f'srcset="/media/{key}-320.webp 320w, /media/{key}-800.webp 800w, /media/{key}-1600.webp 1600w"' in full
    assert 'height="240"' in full and 'alt="Hộp chè"' in full
    assert "Chè móc câu &lt;đặc biệt&gt;" in full  # escaped
    assert '<p class="price">150.000 ₫ <span class="unit">/ hộp 200 g</span></p>' in full
    assert f'title="{chip}"' in full and f'<span class="cnnt-chip">{cnnt}</span>' in full
    assert '<p class="card-seller">HTX Chè Tân Cương</p>' in full
    bare = cards["che-xanh"]
    assert f'alt="{no_photo}"' in bare and "placeholder.svg" in bare
    assert '<p class="price">90.000 ₫</p>' in bare  # no unit
    assert '<p class="card-badges"></p>' in bare
    assert "che-nhap" not in cards and "che-cua-co-so-bi-khoa" not in cards


def test_imported_macros_are_jinjas_module_and_see_an_importers_extra_globals(app):
    """The cheaper import check returns what Jinja's returns: the macro template's cached
    module when the importer has no globals it lacks, a module built with them when it has."""
    from jinja2 import DictLoader, Template

    env = app.jinja_env
    loader = env.loader
    env.loader = DictLoader({
        "m.html": "{% macro shout(x) %}{{ x|upper }}{{ extra|default('') }}{% endmacro %}",
        "page.html": "{% from 'm.html' import shout %}{{ shout(word) }}",
    })
    cache, env.cache = env.cache, {}  # the test's templates only, each loaded once
    try:
        with app.test_request_context("/"):
            macros = env.get_template("m.html")
            page = env.get_template("page.html")
            assert page.render(word="chè") == "CHÈ"
            cached = macros._module
            assert cached is not None and page.render(word="mật ong") == "MẬT ONG"
            assert macros._module is cached
            ctx = page.new_context({})
            assert macros._get_default_module(ctx) is cached is Template._get_default_module(macros, ctx)
            with_extra = env.get_template("page.html", globals={"extra": "!"})
            assert with_extra.render(word="gạo") == "GẠO!"  # a module built with the importer's global
            assert macros._get_default_module(with_extra.new_context({})) is not cached
    finally:
        env.loader, env.cache = loader, cache


def test_product_detail_loads_every_photo_in_order_in_one_statement(app, catalog):
    """The product page's query: photos (stored out of order, several rows per product
    once joined) come back complete, by position, one product; no lazy load afterwards."""
    statements = []
    with app.test_request_context("/"):
        slug = db.session.get(Product, catalog["full"]).slug
        db.session.expunge_all()

        def note(_conn, _cursor, statement, *_args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", note)
        try:
            product = queries.public_product_detail(slug)
            shown = ([p.key for p in product.photos], product.seller.name, product.category.slug,
                     product.valid_certification.stars, product.rural_industry.level)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", note)
    assert shown == (["a" * 32, "b" * 32], "HTX Chè Tân Cương", "che", 4, "region")
    assert len([s for s in statements if "FROM products" in s]) == 1
    assert not [s for s in statements if "FROM product_photos" in s and "products" not in s]


def test_url_for_value_gives_what_url_for_gives(app):
    cases = [
        ("catalog.product", "slug", "che-moc-cau", {}),
        ("catalog.product", "slug", "che-moc-cau", {"ref": "AbC_-9.12"}),
        ("catalog.product", "slug", "chè có dấu", {}),  # not URL-safe: url_for itself
        ("catalog.product", "slug", "che", {"ref": "a b&c"}),
        ("media.file", "name", "ab12-320.webp", {}),
        ("static", "filename", "img/placeholder.svg", {}),
        ("catalog.category", "slug", "thuc-pham", {"ref": None}),
    ]
    for base_url in ("http://localhost/", "http://example.vn/cho/"):  # with an application root
        with app.test_request_context("/", base_url=base_url):
            for endpoint, arg, value, query in cases:
                for external in (False, True):
                    expected = url_for(endpoint, _external=external, **{arg: value}, **query)
                    assert url_for_value(endpoint, arg, value, external=external, **query) == expected
                    if not query:
                        assert url_builder(endpoint, arg, external=external)(value) == expected


def test_related_cards_are_the_cards_of_the_related_ids_in_one_statement(app, catalog):
    """The product page reads its related products' cards with their ids (one statement):
    the same cards, in the same order, as loading the related ids' cards."""
    from marketplace.catalog import queries
    from marketplace.catalog.cards import related_cards
    from marketplace.catalog.models import Product
    from marketplace.certifications.models import Certification

    with app.app_context():
        other_seller = make_seller(name="HTX Mật ong Tam Đảo")
        honey = make_category(name="Mật ong", slug="mat-ong")
        tea = db.session.get(Product, catalog["full"]).category
        for i in range(7):  # more related products than a page shows, in both branches
            product = make_product(name=f"Chè thêm {i}", seller=other_seller, category=tea)
            product.view_count = (i * 37) % 11
        make_product(name="Mật ong rừng", seller=db.session.get(Product, catalog["full"]).seller, category=honey)
        make_seller_certification(other_seller, "vietgap")
        db.session.commit()
        ids = list(db.session.scalars(db.select(Product.id).where(Product.status == "published")))
        assert db.session.scalars(db.select(Certification).where(Certification.scope == "seller")).first()
    for pid in ids:
        with app.test_request_context("/"):
            product = db.session.get(Product, pid)
            statements = []

            def note(conn, cursor, statement, *args):  # noqa: ANN001
                statements.append(statement)

            sa.event.listen(db.engine, "before_cursor_execute", note)
            try:
                cards = related_cards(product)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", note)
            expected = cards_by_ids(queries.related_product_ids(product))
            assert cards == expected, product.name
            assert len(statements) == 1
    with app.test_request_context("/"):
        assert any(c.cert_kinds == ("vietgap",) for c in related_cards(db.session.get(Product, catalog["full"])))


def test_url_for_kept_per_process_gives_what_building_gives(app):
    """``url_for`` keeps what it built (web/site.py); each call gives what the routing map
    builds for the same arguments, application root, blueprint and scheme."""
    from flask import Flask

    cases = [
        ("catalog.product", {"slug": "che-moc-cau"}),
        ("catalog.product", {"slug": "che-moc-cau", "ref": "a b&c"}),
        ("catalog.listing", {"q": "chè", "page": 2}),
        ("catalog.listing", {"page": 1}),
        ("catalog.listing", {"page": True}),  # equal to 1 as a key, another URL
        ("catalog.listing", {"page": 1.0}),
        ("catalog.listing", {"cert": ["vietgap", "organic"]}),  # unhashable: built each time
        ("catalog.category", {"slug": "thuc-pham", "_anchor": "san-pham"}),
        ("static", {"filename": "css/site.css"}),
        (".product", {"slug": "che"}),  # relative to the request's blueprint
    ]
    for base_url, path in (("http://localhost/", "/san-pham"), ("http://example.vn/cho/", "/san-pham"),
                           ("http://localhost/", "/api/v1/products")):
        for _ in range(2):  # built, then kept
            with app.test_request_context(path, base_url=base_url):
                for endpoint, values in cases:
                    for external in (False, True, None):
                        expected = Flask.url_for(app, endpoint, _external=external, **values)
                        assert url_for(endpoint, _external=external, **values) == expected, (base_url, endpoint)
    with app.test_request_context("/san-pham"):
        assert url_for(".product", slug="x") == "/san-pham/x"
    with app.test_request_context("/api/v1/products"):
        assert url_for(".product", slug="x") == "/api/v1/products/x"
    with app.test_request_context("/", base_url="http://example.vn/cho/"):
        assert url_for("catalog.product", slug="x") == "/cho/san-pham/x"


def test_trees_are_read_once_per_transaction_and_follow_changes(app):
    with app.app_context():
        food = make_category(name="Thực phẩm", slug="thuc-pham", position=1)
        make_category(name="Chè", slug="che", parent=food)
        province = make_area(name="tỉnh Thái Nguyên", kind="province")
        make_area(name="xã Tân Cương", parent=province)
        db.session.commit()
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
        tree = category_tree()
        assert category_tree() is tree and area_tree() is area_tree()
        assert len(statements) == 2  # one read of each table
        assert [c.slug for c in tree.roots()] == ["thuc-pham"]
        assert [c.slug for c in tree.children(tree.by_slug["thuc-pham"].id)] == ["che"]
        assert [c.slug for c in tree.ancestors(tree.by_slug["che"])] == ["thuc-pham"]
        assert sorted(tree.by_id[i].slug for i in tree.descendant_ids(["thuc-pham"])) == ["che", "thuc-pham"]
        assert queries.category_descendant_ids(["che"]) == [tree.by_slug["che"].id]
        # A flushed change drops the copy in the same transaction...
        make_category(name="Mật ong", slug="mat-ong")
        assert "mat-ong" in category_tree().by_slug
        # ...an unflushed one too, and a commit starts over.
        from marketplace.catalog.models import Area

        db.session.add(Area(name="xã Đồng Hỷ", slug="xa-dong-hy", kind="commune", parent_id=province.id))
        assert "xa-dong-hy" in area_tree().by_slug
        db.session.commit()
        count = len(statements)
        assert "xa-dong-hy" in area_tree().by_slug and len(statements) == count + 1


def test_a_listing_reads_the_search_generation_once(app, client, catalog):
    from marketplace.search import get_search

    statements = []
    with app.app_context():
        fts = get_search().name == "sqlite"  # the generation is the FTS5 engine's
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
    assert client.get("/san-pham?stars=4&sort=price_asc").status_code == 200
    reads = sum("FROM search_meta WHERE key = 'generation'" in s for s in statements)
    assert reads == (1 if fts else 0)
    with app.app_context():  # a change between two searches is seen by the next one
        product = db.session.get(Product, catalog["full"])
        product.price_vnd = 170_000
        db.session.commit()
    assert "170.000 ₫" in client.get("/san-pham?stars=4&sort=price_asc").get_data(as_text=True)


def test_a_rendered_card_is_kept_only_for_exactly_the_same_card(app, catalog):
    """card_html keeps a card's markup by everything it is made of: a changed field, the
    other language or a search highlight render anew."""
    from dataclasses import replace

    from marketplace.catalog.cards import card_html

    with app.test_request_context("/"):
        (card,) = cards_by_ids([catalog["full"]])
        first = card_html(card)
        assert card_html(card) is first  # kept
        cheaper = card_html(replace(card, price_vnd=card.price_vnd - 1000))
        assert cheaper is not first and "{:,}".format(card.price_vnd - 1000).replace(",", ".") in cheaper
        marked = card_html(card, Markup("<mark>Chè</mark> móc câu"))
        assert "<mark>Chè</mark>" in marked and "<mark>" not in first
        linked = card_html(card, None, "tok.2")
        assert "?ref=tok.2" in linked and "?ref=" not in first
    with app.test_request_context("/?lang=en"):
        english = card_html(card)
        assert english is not first


def test_sessions_and_csrf_tokens_kept_serializers_follow_the_secret(tmp_path):
    """The session's and the CSRF token's signing serializers are made once per secret: a
    cookie signed with another secret is refused (a fresh session), one signed with a
    fallback key is read, and a page's token posts only with its own session."""
    from tests.conftest import built_app, make_test_config

    def app_with(secret: str, **extra):
        (tmp_path / secret).mkdir()
        return built_app(make_test_config(tmp_path / secret, SECRET_KEY=secret, WTF_CSRF_ENABLED=True, **extra))

    def visit(app) -> tuple[str, str]:
        client = app.test_client()
        with app.app_context():
            if db.session.scalar(sa.select(Product.id).where(Product.slug == "che-tan-cuong")) is None:
                make_product(name="Chè Tân Cương", slug="che-tan-cuong")
                db.session.commit()
        html = client.get("/san-pham/che-tan-cuong").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        return client.get_cookie("session").value, token

    with app_with("first") as first:
        cookie, token = visit(first)
        client = first.test_client()
        client.set_cookie("session", cookie)
        assert client.post("/gio-hoi-hang/them/che-tan-cuong", data={"csrf_token": token}).status_code == 302
    with app_with("second") as second:
        second_app = second
        client = second.test_client()
        client.set_cookie("session", cookie)  # signed with "first": not this app's session
        assert client.post("/gio-hoi-hang/them/che-tan-cuong", data={"csrf_token": token}).status_code == 400
        own_cookie, own_token = visit(second)  # this app's own token, signed with its own secret
        client.set_cookie("session", own_cookie)
        assert client.post("/gio-hoi-hang/them/che-tan-cuong", data={"csrf_token": own_token}).status_code == 302
    with app_with("third", SECRET_KEY_FALLBACKS=["first"]) as third:
        for app, readable in ((third, True), (second_app, False)):
            with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
                from flask import session

                assert bool(session.get("csrf_token")) is readable


def test_ensure_sync_remembers_plain_functions_only(app):
    """Hooks and views are asked once whether they are coroutine functions; a coroutine
    function is never taken for a plain one (Flask wraps it, or says asgiref is missing)."""
    def plain():
        return "plain"

    async def coroutine():
        return "coroutine"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    for _ in range(2):
        try:
            wrapped = app.ensure_sync(coroutine)
        except RuntimeError as exc:  # Flask without asgiref
            assert "async" in str(exc)
        else:
            assert wrapped is not coroutine and wrapped() == "coroutine"
