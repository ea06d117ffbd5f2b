"""DatabaseSearch (search/fallback/): the database backend and the degraded mode.

Called directly (not through get_search()), on the real test database.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from marketplace.catalog.models import AreaAlias
from marketplace.extensions import db
from marketplace.search.base import MAX_TOKENS, SearchQuery
from marketplace.search.fallback import rows as fallback_rows
from marketplace.search.fallback import DatabaseSearch, filter_conditions, query_tokens
from marketplace.text import fold, today_vn
from tests.factories import (
    make_area,
    make_category,
    make_certification,
    make_product,
    make_rural_industry,
    make_seller,
)


@pytest.fixture(params=["one-pass", "sql-counting"])
def search(request, ctx, monkeypatch):
    """Both code paths: rows counted in Python (normal) and SQL counting (large sets)."""
    if request.param == "sql-counting":
        monkeypatch.setattr(fallback_rows, "MAX_ROWS_IN_MEMORY", 0)
    return DatabaseSearch()


def run(search, **kw):
    return search.search(SearchQuery(**kw))


def _names(ids: list[int]) -> list[str]:
    from marketplace.catalog.queries import products_by_ids

    return [p.name for p in products_by_ids(ids)]


# --- query_tokens -----------------------------------------------------------------

def test_query_tokens_fold_and_split():
    assert query_tokens("Chè TÂN-Cương, đặc biệt!") == ["che", "tan", "cuong", "dac", "biet"]
    assert query_tokens("ĐỒNG hỷ") == ["dong", "hy"]
    assert query_tokens("") == [] and query_tokens(None) == []
    assert query_tokens("50% off") == ["50", "off"]
    assert query_tokens("a\x00b\x07c") == ["a", "b", "c"]


def test_query_tokens_are_bounded():
    assert len(query_tokens(" ".join(f"w{i}" for i in range(50)))) == MAX_TOKENS
    assert query_tokens("a" * 1000) == ["a" * 200]


# --- text matching ----------------------------------------------------------------

def test_folding_finds_vietnamese_names(search):
    make_product(name="Chè búp Tân Cương đặc biệt")
    make_product(name="Gạo nếp cái hoa vàng")
    db.session.commit()
    for q in ("che tan cuong", "Chè Tân Cương", "CHE TAN CUONG", "tân cương chè", "tan cuo"):
        assert _names(run(search, text=q).ids) == ["Chè búp Tân Cương đặc biệt"], q
    assert _names(run(search, text="nếp").ids) == ["Gạo nếp cái hoa vàng"]


def test_d_stroke_equals_d(search):
    make_product(name="Miến dong Đồng Tâm")
    db.session.commit()
    assert run(search, text="dong tam").total == 1
    assert run(search, text="ĐỒNG").total == 1
    assert run(search, text="đông").total == 1


def test_area_alias_finds_products(search):
    area = make_area(name="xã Quang Sơn", slug="quang-son")
    db.session.add(AreaAlias(area=area, name="huyện Đồng Hỷ", folded=fold("huyện Đồng Hỷ"), kind="former_district"))
    db.session.flush()
    seller = make_seller(area=area, name="HTX Rượu Núi")
    make_product(name="Rượu ba kích", seller=seller)
    make_product(name="Rượu ngô")  # another area
    db.session.commit()
    assert _names(run(search, text="Đồng Hỷ").ids) == ["Rượu ba kích"]
    assert _names(run(search, text="dong hy ruou").ids) == ["Rượu ba kích"]


def test_every_token_must_match(search):
    make_product(name="Chè xanh Thái Nguyên")
    make_product(name="Chè đen")
    db.session.commit()
    assert _names(run(search, text="chè xanh").ids) == ["Chè xanh Thái Nguyên"]
    assert run(search, text="chè").total == 2
    # Like the engines (matchingStrategy "last"): a word no product contains is
    # dropped rather than emptying the page; nonsense alone still finds nothing.
    assert run(search, text="chè tím").total == 2
    assert run(search, text="qwxyzk").total == 0


def test_trailing_words_dropped_while_nothing_matches(search):
    make_product(name="Chè xanh Thái Nguyên", description="")
    make_product(name="Gạo nếp", description="")
    db.session.commit()
    # every word exists somewhere, never together: the last ones go
    assert _names(run(search, text="chè xanh gạo nếp").ids) == ["Chè xanh Thái Nguyên"]


def test_like_wildcards_are_literal(search):
    # Named seller, area and category: the factories' numbered defaults ("Thử Nghiệm 50")
    # would otherwise match "50" depending on how many objects earlier tests made.
    area = make_area(name="xã Phú Xuyên")
    seller = make_seller(name="HTX Bánh Trà", area=area)
    category = make_category(name="Đặc sản")
    for name in ("Trà abc", "Trà a_c đặc biệt", "Bánh giảm 50% giá", "Bánh 500 gam"):
        make_product(name=name, seller=seller, category=category, description="")
    db.session.commit()
    assert _names(run(search, text="a_c").ids) == ["Trà a_c đặc biệt"]
    assert run(search, text="%").total == 4  # "%" is no token: no text filter at all
    assert sorted(_names(run(search, text="50%").ids)) == ["Bánh 500 gam", "Bánh giảm 50% giá"]
    assert run(search, text="\\").total == 4


def test_relevance_puts_name_matches_first(search):
    seller = make_seller(name="HTX Nông Sản")
    popular = make_product(name="Bánh chưng", description="Gói bằng lá dong, nhân đậu và thịt, ăn với dưa xanh.",
                           seller=seller, view_count=500, featured=True)
    in_description = make_product(name="Bánh tẻ", description="Nhân đậu xanh.", seller=seller, view_count=90)
    words = make_product(name="Xanh ngọc đậu phụ", seller=seller, view_count=3)
    named = make_product(name="Đậu xanh cà", seller=seller, view_count=1)
    middle = make_product(name="Chè đậu xanh", seller=seller, view_count=2)
    db.session.commit()
    result = run(search, text="đậu xanh")
    # name starts with the query > name holds the phrase > name holds the words >
    # phrase in the description > words anywhere; then featured, popularity, id.
    assert result.ids == [named.id, middle.id, words.id, in_description.id, popular.id]
    # Without text, relevance is featured → popularity → id.
    assert run(search).ids[0] == popular.id


def test_popularity_breaks_relevance_ties(search):
    seller = make_seller()
    quiet = make_product(name="Trà hoa vàng", seller=seller, view_count=3)
    loved = make_product(name="Trà hoa vàng hộp", seller=seller, view_count=900)
    db.session.commit()
    assert run(search, text="tra hoa vang").ids == [loved.id, quiet.id]


# --- filters ----------------------------------------------------------------------

@pytest.fixture
def catalog(ctx):
    food = make_category(name="Thực phẩm", slug="thuc-pham")
    tea = make_category(name="Chè", slug="che", parent=food)
    green = make_category(name="Chè xanh", slug="che-xanh", parent=tea)
    tools = make_category(name="Công cụ", slug="cong-cu")
    province = make_area(name="tỉnh Thái Nguyên", slug="thai-nguyen", kind="province")
    ward = make_area(name="phường Tân Cương", slug="tan-cuong", kind="ward", parent=province)
    commune = make_area(name="xã Phú Đô", slug="phu-do", parent=province)
    s1 = make_seller(name="HTX Một", slug="htx-mot", area=ward)
    s2 = make_seller(name="HTX Hai", slug="htx-hai", area=commune)
    p = {}
    p["a"] = make_product(name="Sản phẩm A", seller=s1, category=green, price_vnd=99_999, view_count=5)
    make_certification(p["a"], stars=5)
    make_rural_industry(p["a"])
    p["b"] = make_product(name="Sản phẩm B", seller=s1, category=tea, price_vnd=100_000, view_count=5)
    make_certification(p["b"], stars=4)
    p["c"] = make_product(name="Sản phẩm C", seller=s2, category=food, price_vnd=300_000, view_count=9)
    make_certification(p["c"], stars=3)
    p["d"] = make_product(name="Sản phẩm D", seller=s2, category=tools, price_vnd=5_000_000, view_count=1)
    make_rural_industry(p["d"])
    p["e"] = make_product(name="Sản phẩm E", seller=s2, category=green, price_vnd=1_000_000, view_count=0)
    make_certification(p["e"], stars=5, issued_on=today_vn() - timedelta(days=3 * 366))  # expired
    # Hidden rows that match everything the public ones do.
    pending = make_seller(name="HTX Chờ", slug="htx-cho", status="pending", area=ward)
    for status, seller in (("draft", s1), ("pending", s1), ("rejected", s2), ("archived", s2), ("published", pending)):
        h = make_product(name=f"Sản phẩm ẩn {status}", seller=seller, category=green, price_vnd=150_000,
                         status=status, view_count=1000, featured=True)
        make_certification(h, stars=5)
        make_rural_industry(h)
    db.session.commit()
    return {k: v.id for k, v in p.items()}


def ids_of(catalog, *keys) -> set[int]:
    return {catalog[k] for k in keys}


@pytest.mark.parametrize("kw, expected", [
    ({}, "abcde"),
    ({"text": "san pham"}, "abcde"),
    ({"categories": ("che-xanh",)}, "ae"),
    ({"categories": ("che",)}, "abe"),
    ({"categories": ("thuc-pham",)}, "abce"),
    ({"categories": ("che-xanh", "cong-cu")}, "ade"),
    ({"categories": ("khong-co",)}, ""),
    ({"areas": ("tan-cuong",)}, "ab"),
    ({"areas": ("thai-nguyen",)}, "abcde"),
    ({"areas": ("phu-do", "tan-cuong")}, "abcde"),
    ({"areas": ("khong-co",)}, ""),
    ({"ocop_stars": (5,)}, "a"),  # e's certificate expired
    ({"ocop_stars": (3, 4)}, "bc"),
    ({"rural_industry": True}, "ad"),
    ({"rural_industry": False}, "bce"),
    ({"seller": "htx-hai"}, "cde"),
    ({"seller": "htx-cho"}, ""),  # pending seller: nothing
    ({"min_price": 100_000}, "bcde"),
    ({"max_price": 100_000}, "ab"),
    ({"min_price": 100_000, "max_price": 1_000_000}, "bce"),
    ({"price_bands": ("under-100k",)}, "a"),
    ({"price_bands": ("100k-300k", "over-5m")}, "bd"),  # 5,000,000 is "over-5m" (lower bound inclusive)
    ({"categories": ("che",), "ocop_stars": (4, 5), "areas": ("tan-cuong",)}, "ab"),
])
def test_filters(search, catalog, kw, expected):
    result = run(search, per_page=100, **kw)
    assert set(result.ids) == ids_of(catalog, *expected)
    assert result.total == len(expected)


def test_filter_conditions_are_keyed_by_facet(ctx):
    query = SearchQuery(text="chè xanh", categories=("a",), areas=("b",), ocop_stars=(5,), rural_industry=False,
                        seller="s", min_price=1, max_price=2, price_bands=("under-100k",))
    assert set(filter_conditions(query)) == {"text0", "text1", "category", "area", "ocop_stars", "rural_industry",
                                             "seller", "min_price", "max_price", "price_band"}
    assert filter_conditions(SearchQuery()) == {}


# --- facets -----------------------------------------------------------------------

def test_facets_without_filters_count_public_products_only(search, catalog):
    f = run(search).facets
    assert f["category"] == {"che-xanh": 2, "che": 3, "thuc-pham": 4, "cong-cu": 1}  # rolled up to ancestors
    assert f["area"] == {"tan-cuong": 2, "phu-do": 3, "thai-nguyen": 5}
    assert f["ocop_stars"] == {"3": 1, "4": 1, "5": 1}
    assert f["rural_industry"] == {"true": 2, "false": 3}
    assert f["price_band"] == {"under-100k": 1, "100k-300k": 1, "300k-1m": 1, "1m-5m": 1, "over-5m": 1}


def test_facets_are_disjunctive(search, catalog):
    f = run(search, categories=("che",), ocop_stars=(5,)).facets
    # category facet: counted with the stars filter only
    assert f["category"] == {"che-xanh": 1, "che": 1, "thuc-pham": 1}
    # stars facet: counted with the category filter only (expired 5★ of e excluded)
    assert f["ocop_stars"] == {"3": 0, "4": 1, "5": 1}
    # others: counted with both
    assert f["rural_industry"] == {"true": 1, "false": 0}
    assert f["area"] == {"tan-cuong": 1, "thai-nguyen": 1}


def test_facet_count_equals_total_when_selected(search, catalog):
    """For every value shown, choosing it yields exactly its count."""
    base = {"rural_industry": False}
    facets = run(search, **base).facets
    for slug, n in facets["category"].items():
        assert run(search, categories=(slug,), **base).total == n, slug
    for slug, n in facets["area"].items():
        assert run(search, areas=(slug,), **base).total == n, slug
    for star, n in facets["ocop_stars"].items():
        assert run(search, ocop_stars=(int(star),), **base).total == n, star
    for band, n in facets["price_band"].items():
        assert run(search, price_bands=(band,), **base).total == n, band


def test_no_facets_when_not_asked(search, catalog):
    assert run(search, with_facets=False).facets == {}


# --- sorts, pagination, totals ----------------------------------------------------

def test_sorts(search, catalog):
    order = lambda **kw: [next(k for k, v in catalog.items() if v == i) for i in run(search, **kw).ids]  # noqa: E731
    assert order(sort="price_asc") == list("abced")
    assert order(sort="price_desc") == list("decba")
    assert order(sort="popular") == ["c", "b", "a", "d", "e"]  # a/b tie on views: higher id first


def test_newest_puts_missing_dates_last(search, ctx):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    old = make_product(name="Cũ", published_at=base)
    new = make_product(name="Mới", published_at=base + timedelta(days=1))
    undated = make_product(name="Không ngày")
    undated.published_at = None
    db.session.commit()
    assert run(search, sort="newest").ids == [new.id, old.id, undated.id]


def test_ties_are_broken_by_id_so_pages_never_overlap(search, ctx):
    seller = make_seller()
    ids = [make_product(name=f"Hộp quà {i}", seller=seller, price_vnd=100_000, view_count=7).id for i in range(7)]
    db.session.commit()
    for sort in ("relevance", "price_asc", "price_desc", "newest", "popular"):
        seen: list[int] = []
        for page in (1, 2, 3, 4):
            result = run(search, sort=sort, per_page=2, page=page, text="hop qua")
            assert result.total == 7
            seen += result.ids
        assert sorted(seen) == sorted(ids), sort
        assert len(seen) == 7


def test_page_past_the_end(search, catalog):
    result = run(search, page=50, per_page=10)
    assert result.ids == [] and result.total == 5 and result.pages == 1


# --- suggest, health --------------------------------------------------------------

def test_suggest_only_public_products(search, catalog):
    suggestions = search.suggest("san pham", limit=20)
    assert {s.text for s in suggestions} == {"Sản phẩm A", "Sản phẩm B", "Sản phẩm C", "Sản phẩm D", "Sản phẩm E"}
    assert search.suggest("s") == []


def test_suggest_prefers_names_that_start_with_the_text(search):
    seller = make_seller(name="HTX Mật Ong Rừng")
    make_product(name="Sáp ong", seller=seller, view_count=900)  # "mat ong" only in the seller's name
    make_product(name="Rượu mật ong", seller=seller, view_count=50)
    make_product(name="Mật ong rừng Võ Nhai", seller=seller, view_count=1)
    db.session.commit()
    assert [s.text for s in search.suggest("mật ong")] == ["Mật ong rừng Võ Nhai", "Rượu mật ong", "Sáp ong"]
    assert search.suggest("mat ong", limit=1)[0].slug == "mat-ong-rung-vo-nhai"


def test_health_counts_public_products(search, catalog):
    health = search.health()
    assert health.ok and health.documents == 5 and health.backend == "database"


# --- typo tolerance (one-edit variants: a trigram-indexed regex on PostgreSQL, LIKE patterns elsewhere) ---


def test_edit_patterns_cover_one_edit():
    from marketplace.search.fallback import edit_patterns

    patterns = edit_patterns("dongg")
    assert "dong" in patterns  # deletion
    assert "do_gg" in patterns  # substitution ("_" is LIKE's one-character wildcard)
    assert "don_gg" in patterns  # insertion
    assert "odngg" in patterns  # adjacent swap
    assert edit_patterns("tna") == ["nta", "tan"]  # short words: swaps only
    assert "a\\_cd" in edit_patterns("a_cde")  # the user's own "_" stays literal


@pytest.fixture
def typo_catalog(ctx):
    area = make_area(name="xã Na Rì")
    seller = make_seller(name="Công ty Nông sản Bắc Kạn", area=area)
    other = make_seller(name="HTX Hảo Đạt", area=make_area(name="xã Tân Cương"))
    category = make_category(name="Đặc sản")
    mien = make_product(name="Miến dong Na Rì", seller=seller, category=category, area=area,
                        description="Làm từ củ dong riềng.", view_count=1)
    bup = make_product(name="Chè búp Tân Cương", seller=other, category=category, view_count=5,
                       description="Búp non.")
    honey = make_product(name="Mật ong rừng", seller=other, category=category, view_count=900,
                         description="Hợp pha với chè Tân Cương.")
    db.session.commit()
    return mien, bup, honey


def test_a_typo_in_a_word_nothing_contains_still_finds_it(search, typo_catalog):
    mien, bup, honey = typo_catalog
    assert run(search, text="mien dong").ids == [mien.id]
    assert run(search, text="mien dongg").ids == [mien.id]  # 0 results before
    assert run(search, text="mein dong").ids == [mien.id]  # swapped letters
    assert run(search, text="mieen dong").ids == [mien.id]
    # typo-matched words still rank name matches first (not popularity)
    assert run(search, text="che tan cuongg").ids == [bup.id, honey.id]
    assert run(search, text="tna cuong").ids[0] == bup.id  # 3-letter swap, like the engines
    # short words get no typos; nonsense finds nothing
    assert run(search, text="chw").ids == []
    assert run(search, text="qwxyzk").total == 0


@pytest.mark.skipif(
    not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
    reason="the trigram index exists on PostgreSQL only",
)
def test_text_filters_use_the_trigram_index_on_postgresql(ctx, typo_catalog):
    """EXPLAIN: the LIKE filter and a typo's one-edit regular expression are served by
    the pg_trgm GIN index declared on Product (seq scans off, so the tiny test table
    cannot hide it)."""
    import sqlalchemy as sa

    from marketplace.catalog.models import Product
    from marketplace.search.fallback import Term, term_condition

    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    for term in (Term("dong"), Term("dongg", fuzzy=True)):
        stmt = sa.select(Product.id).where(term_condition(term, Product.search_text))
        compiled = stmt.compile(db.engine)
        rows = db.session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        plan = "\n".join(row[0] for row in rows)
        assert "ix_products_search_text_trgm" in plan, plan
        assert "Seq Scan" not in plan, plan
    assert DatabaseSearch().search(SearchQuery(text="mien dongg")).ids == [typo_catalog[0].id]
    db.session.rollback()
