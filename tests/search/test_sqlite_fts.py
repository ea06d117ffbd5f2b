"""The embedded FTS5 engine: units (typo distance, packing, highlighting), its
ranking at scale, the degraded mode, the CLI and the suggest endpoint."""
from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from marketplace.catalog.models import Product
from marketplace.demo.factories import make_product
from marketplace.extensions import db
from marketplace.search import SearchQuery, get_search
from marketplace.search.indexing import indexing_suspended
from marketplace.text import fold
from marketplace.search.analysis import allowed_typos, fast_fold, osa_distance
from marketplace.search.facets import pack_facets, unpack_facets
from marketplace.search.sqlite_fts import highlight
from tests.search.search_catalog import ON_SQLITE, build_catalog
from tests.conftest import make_test_config

pytestmark = pytest.mark.skipif(not ON_SQLITE, reason="the FTS5 engine lives in a SQLite database")


# -- units ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("cuong", "cuong", 0),
        ("cuongg", "cuong", 1),  # insertion
        ("cuomg", "cuong", 1),  # substitution
        ("cuogn", "cuong", 1),  # transposition counts as one
        ("tna", "tan", 1),
        ("nguyeen", "nguyen", 1),
        ("cuong", "xyz", 2),  # capped at limit + 1
    ],
)
def test_osa_distance(a, b, expected):
    assert osa_distance(a, b, 1) == expected


@settings(max_examples=500, deadline=None)
@given(st.text())
@example("Chè Tân Cương ĐẶC BIỆT  nước\tđường")
def test_fast_fold_equals_fold(text):
    assert fast_fold(text) == fold(text)


def test_allowed_typos_follow_meilisearch_defaults():
    assert [allowed_typos("x" * n) for n in (1, 4, 5, 8, 9, 14)] == [0, 0, 1, 1, 2, 2]


@pytest.mark.parametrize("values", [(1, 2, 5, 1, 4), (37, None, None, 0, 0), (123456, 999_999, 3, 1, 2)])
def test_facet_key_round_trip(values):
    assert unpack_facets(pack_facets(*values)) == values


def test_highlight_escapes_and_marks_folded_words():
    html = highlight('Chè <Tân> Cương & "quà"', {"che"}, ["cuo"])
    assert isinstance(html, Markup)
    assert str(html) == "<mark>Chè</mark> &lt;Tân&gt; <mark>Cương</mark> &amp; &quot;quà&quot;"


# -- engine behaviour ------------------------------------------------------------------


@pytest.fixture
def cat(ctx):
    return build_catalog()


def ids(text="", **kw):
    return get_search().search(SearchQuery(text=text, **kw)).ids


class TestManyMatches:
    """Above SEARCH_SCAN_LIMIT candidate matches the ranking is computed tier by tier
    with an early stop instead of in one statement: the order must be identical and
    pages must join seamlessly."""

    @pytest.fixture
    def app_config(self, tmp_path):
        return make_test_config(tmp_path, SEARCH_BACKEND="sqlite", SEARCH_SCAN_LIMIT=0)

    def test_tiers_and_pages(self, cat):
        assert ids("tan cuong") == [cat.moc_cau, cat.bup, cat.mat_ong]
        pages = [ids("tan cuong", per_page=1, page=n) for n in (1, 2, 3, 4)]
        assert pages == [[cat.moc_cau], [cat.bup], [cat.mat_ong], []]
        assert ids("tan cuong", per_page=2, page=2) == [cat.mat_ong]

    def test_featured_first_within_a_tier(self, cat):
        p = db.session.get(Product, cat.bup)
        p.featured = True
        db.session.commit()
        assert ids("tan cuong")[:2] == [cat.bup, cat.moc_cau]

    def test_same_order_as_one_statement(self, app, cat):
        engine = get_search().primary
        engine.small_total = 0  # tier by tier even for this small catalog
        queries = ["tan cuong", "che", "chè tân", "mat ong", "c", "tra", "mien d", "hoa vàng"]
        tiered = {q: ids(q, per_page=50) for q in queries}
        engine.scan_limit = 10**9
        engine._facet_cache.clear()  # ranked pages are cached per generation
        single = {q: ids(q, per_page=50) for q in queries}
        assert tiered == single
        assert any(len(v) > 2 for v in single.values())

    def test_dense_tiers_same_order_walked_or_read_whole(self, app, cat):
        """A dense tier's page is found by probing the popularity index row by row,
        or, when the probes run out (a tier sparse among the filtered products), by
        reading the tier whole: the same products in the same order either way."""
        engine = get_search().primary
        queries = [("tan cuong", {}), ("che", {}), ("chè tân", {}), ("c", {}), ("tra", {}),
                   ("che", {"ocop_stars": (5,)}), ("che", {"per_page": 1, "page": 2}),
                   ("che", {"per_page": 2}), ("tan cuong", {"per_page": 2}), ("c", {"per_page": 3, "page": 2})]

        def run():
            engine._facet_cache.clear()  # ranked pages are cached per generation
            return {(q, tuple(kw.items())): ids(q, **{"per_page": 50, **kw}) for q, kw in queries}

        engine.scan_limit = 10**9
        single = run()
        engine.scan_limit, engine.small_total, engine.dense = 0, 0, 1  # tier by tier, every tier dense: walked
        walked = run()
        engine.walk_factor, engine.walk_extra = 0, 1  # probes run out: read whole
        whole = run()
        assert walked == single and whole == single
        assert any(len(v) > 2 for v in single.values())


def test_facet_counts_follow_every_change(cat):
    """Grouped counts are cached per index generation: a change shows at once."""
    before = get_search().search(SearchQuery(text="che"))
    p = db.session.get(Product, cat.bup)
    p.status = "archived"
    db.session.commit()
    after = get_search().search(SearchQuery(text="che"))
    assert after.total == before.total - 1
    assert after.facets["ocop_stars"]["5"] == before.facets["ocop_stars"]["5"] - 1


def test_expired_certificate_has_no_star(cat):
    from datetime import timedelta

    from marketplace.text import today_vn

    p = db.session.get(Product, cat.bup)
    p.certification.expires_on = today_vn() - timedelta(days=1)
    db.session.commit()
    result = get_search().search(SearchQuery(ocop_stars=(5,)))
    assert result.ids == [] and result.facets["ocop_stars"]["5"] == 0


def test_text_facets_count_a_certificate_valid_through_today_only(cat):
    """Counting over matches (not the browsing counters) drops the star of a
    certificate that expired yesterday, keeps one that expires today, and still
    counts the product everywhere else."""
    from datetime import timedelta

    from marketplace.text import today_vn

    before = get_search().search(SearchQuery(text="che"))
    p = db.session.get(Product, cat.bup)
    p.certification.expires_on = today_vn()
    db.session.commit()
    today = get_search().search(SearchQuery(text="che"))
    assert today.facets == before.facets and today.total == before.total
    p.certification.expires_on = today_vn() - timedelta(days=1)
    db.session.commit()
    after = get_search().search(SearchQuery(text="che"))
    assert after.total == before.total
    assert after.facets["ocop_stars"]["5"] == before.facets["ocop_stars"]["5"] - 1
    assert after.facets["category"] == before.facets["category"]
    assert after.facets["area"] == before.facets["area"]
    assert get_search().search(SearchQuery(text="che", ocop_stars=(5,))).total == before.facets["ocop_stars"]["5"] - 1


def test_bulk_load_with_indexing_suspended_then_rebuild(ctx):
    with indexing_suspended():
        p = make_product(name="Bánh chưng Bờ Đậu", slug="banh-chung")
        db.session.commit()
    assert ids("banh chung") == []  # not indexed yet: that is the point of suspending
    assert get_search().rebuild() == 1
    assert ids("banh chung") == [p.id]


def test_core_update_then_signal_reindexes(cat, app):
    """Core statements bypass the session hooks; the products_changed signal (sent
    after commit) brings the index up to date."""
    from marketplace.signals import products_changed

    db.session.execute(sa.update(Product).where(Product.id == cat.mien).values(view_count=10_000))
    db.session.commit()
    assert ids(sort="popular")[0] == cat.moc_cau  # index not told yet
    products_changed.send(app, product_ids=[cat.mien])
    assert ids(sort="popular")[0] == cat.mien


def test_only_shown_seller_fields_reindex(cat):
    """A seller's phone number is not in any document: no reindex (no new generation)."""
    from marketplace.sellers.models import Seller

    generation = lambda: db.session.execute(  # noqa: E731
        sa.text("SELECT value FROM search_meta WHERE key = 'generation'")
    ).scalar()
    seller = db.session.scalars(sa.select(Seller).where(Seller.slug == "htx-che-hao-dat")).one()
    before = generation()
    seller.phone = "0987654321"
    db.session.commit()
    assert generation() == before
    seller.name = "HTX Chè Hảo Đạt Tân Cương"
    db.session.commit()
    assert generation() != before


def test_rollback_of_a_failed_commit_keeps_index_and_data_together(cat):
    p = db.session.get(Product, cat.mien)
    p.name = "Bánh giầy Bờ Đậu"
    p.price_vnd = -1  # violates the CHECK constraint: the whole commit fails
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert ids("banh giay bo dau") == []
    assert ids("mien dong") == [cat.mien]


# -- degraded mode ---------------------------------------------------------------------


def _drop_fts():
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE search_fts")


def test_missing_index_degrades_to_database_and_logs_once(cat, caplog):
    _drop_fts()
    with caplog.at_level(logging.ERROR, logger="marketplace.search"):
        first = get_search().search(SearchQuery(text="che tan cuong"))
        second = get_search().search(SearchQuery(text="mien"))
    assert first.degraded and second.degraded
    assert {cat.bup, cat.moc_cau} <= set(first.ids)
    assert second.ids == [cat.mien]
    assert sum("unavailable" in r.getMessage() for r in caplog.records) == 1
    assert [s.text for s in get_search().suggest("mien d")] == ["Miến dong Na Rì"]
    health = get_search().health()
    assert not health.ok and "search_fts" in (health.last_error or "")


def test_writes_still_commit_while_the_index_is_broken(cat):
    _drop_fts()
    p = db.session.get(Product, cat.mien)
    p.name = "Miến dong đặc sản"
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Product, cat.mien).name == "Miến dong đặc sản"
    # the database search (the degraded answer) sees the change
    result = get_search().search(SearchQuery(text="mien dong dac san"))
    assert result.degraded and result.ids == [cat.mien]


def test_pages_and_api_say_degraded(cat, client):
    _drop_fts()
    api = client.get("/api/v1/products?q=che+tan+cuong")
    assert api.status_code == 200 and api.get_json()["degraded"] is True
    page = client.get("/san-pham?q=che+tan+cuong")
    assert page.status_code == 200
    assert "Chè búp Tân Cương" in page.get_data(as_text=True)
    assert client.get("/goi-y?q=tan+cu").status_code == 200


def test_reindex_repairs_a_broken_index(cat, runner):
    _drop_fts()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 5 products" in result.output
    fresh = get_search().search(SearchQuery(text="che tan cuong"))
    assert not fresh.degraded and {cat.bup, cat.moc_cau} <= set(fresh.ids)


# -- CLI and endpoint ------------------------------------------------------------------


def test_status_command(cat, runner):
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    assert "backend:    sqlite" in result.output
    assert "documents:  5" in result.output
    assert "pending:    0" in result.output
    _drop_fts()
    broken = runner.invoke(args=["search", "status"])
    assert broken.exit_code == 1 and "ok:         NO" in broken.output


def test_suggest_endpoint(cat, client):
    response = client.get("/goi-y?q=tan+cu")
    assert response.status_code == 200
    data = response.get_json()
    texts = [s["text"] for s in data["suggestions"]]
    assert texts[:2] == ["Chè móc câu Tân Cương", "Chè búp Tân Cương đặc biệt"]  # most viewed first
    first = data["suggestions"][0]
    assert first["slug"] == "che-moc-cau" and first["url"].endswith("/san-pham/che-moc-cau")
    assert client.get("/goi-y?q=c").get_json() == {"suggestions": []}
    assert client.get("/goi-y").get_json() == {"suggestions": []}
