"""One contract, every backend: the behaviours buyers notice, run against the SQLite FTS5
engine, the database search and (with MEILI_URL) Meilisearch.

Each test builds the small catalog of ``conftest.build_catalog`` with the factories,
commits — the session hooks index it — and searches through ``get_search()``.
Typo tolerance, name-first relevance and popularity tie-breaks hold for every backend
(the database search uses trigram similarity / one-edit patterns); highlights and the
"did you mean" text are engine features, parametrized over the engines only.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Category, Product
from marketplace.extensions import db
from marketplace.search import SearchQuery, get_search
from marketplace.sellers.models import Seller

from tests.search.search_catalog import BACKENDS, backend_config, build_catalog

# Engine features (highlights) are not claimed by the database search: those tests
# run on the engines only, by overriding app_config.
ENGINES = [b for b in BACKENDS if getattr(b, "values", (b,))[0] != "database"]
engines_only = pytest.mark.parametrize("app_config", ENGINES, indirect=True)
fts_only = pytest.mark.parametrize("app_config", ["sqlite"], indirect=True)


@pytest.fixture(params=BACKENDS)
def app_config(request, tmp_path):
    return backend_config(tmp_path, request.param)


@pytest.fixture
def cat(ctx):
    meili = ctx.config["SEARCH_BACKEND"] == "meilisearch"
    if meili:
        get_search().rebuild()  # a fresh index with its settings
    yield build_catalog()
    if meili:  # best effort: leave no test index behind on the server
        engine = get_search().primary
        try:
            engine.client.index(engine.index_uid).delete()
        except Exception:  # noqa: BLE001
            pass


def search(text: str = "", **kw):
    return get_search().search(SearchQuery(text=text, **kw))


def ids(text: str = "", **kw) -> list[int]:
    return search(text, **kw).ids


# -- text matching -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["che tan cuong", "Chè Tân Cương", "CHÈ TÂN CƯƠNG", "Tân Cương"])
def test_folding_finds_with_or_without_diacritics(cat, text):
    found = ids(text)
    assert {cat.bup, cat.moc_cau} <= set(found)
    assert cat.mien not in found and cat.che_xanh not in found
    assert cat.draft not in found and cat.hidden not in found


def test_d_with_stroke_folds_to_d(cat):
    assert ids("dai tu") == [cat.che_xanh]
    assert ids("Đại Từ") == [cat.che_xanh]


@pytest.mark.parametrize("text", ["tan cuo", "che moc ca", "mie"])
def test_prefix_as_you_type(cat, text):
    found = ids(text)
    assert found, text
    expected = {"tan cuo": cat.bup, "che moc ca": cat.moc_cau, "mie": cat.mien}[text]
    assert expected in found


def test_seller_category_and_area_alias_are_searchable(cat):
    assert set(ids("hao dat")) == {cat.bup, cat.moc_cau, cat.che_xanh}
    assert cat.mat_ong in ids("Đồng Hỷ")  # former district kept as an alias
    assert cat.mat_ong in ids("thuc pham")


def test_nothing_matches_nonsense(cat):
    result = search("qwxyzk")
    assert result.ids == [] and result.total == 0




def test_typo_tolerance(cat, ctx):
    assert set(ids("che tan cuongg")[:2]) == {cat.bup, cat.moc_cau}
    assert set(ids("tna cuong")[:2]) == {cat.bup, cat.moc_cau}
    assert cat.mat_ong in ids("mat ong rungg vo nhai")
    # short words get no edits beyond the 3-4 letter swap rule: "chw" is not "che"
    assert ids("chw") == []
    assert ids("mien dongg") == [cat.mien]


@fts_only
def test_corrected_text_offered(cat, ctx):
    assert search("che tan cuongg").corrected_text == "che tan cuong"
    assert search("che tan cuong").corrected_text is None


@engines_only
def test_highlights_are_escaped_marks(cat, ctx):
    p = db.session.get(Product, cat.moc_cau)
    p.name = "Chè <b>móc câu</b> Tân Cương & quà"
    db.session.commit()
    result = search("moc cau")
    html = result.highlights[cat.moc_cau]
    assert "<mark>móc</mark>" in html and "<mark>câu</mark>" in html
    assert "&lt;b&gt;" in html and "<b>" not in html and "&amp;" in html


# -- relevance -----------------------------------------------------------------------


def test_name_match_ranks_above_description_match(cat, ctx):
    found = ids("tan cuong")
    assert found.index(cat.bup) < found.index(cat.mat_ong)
    assert found.index(cat.moc_cau) < found.index(cat.mat_ong)


def test_popularity_breaks_ties(cat, ctx):
    htx = db.session.scalars(sa.select(Seller).where(Seller.slug == "htx-che-hao-dat")).one()
    che = db.session.scalars(sa.select(Category).where(Category.slug == "che")).one()
    from marketplace.demo.factories import make_product

    a = make_product(name="Trà hoa vàng", slug="tra-a", seller=htx, category=che, area=htx.area,
                     description="Hộp.", view_count=3)
    b = make_product(name="Trà hoa vàng", slug="tra-b", seller=htx, category=che, area=htx.area,
                     description="Hộp.", view_count=900)
    db.session.commit()
    assert ids("tra hoa vang")[:2] == [b.id, a.id]


# -- filters and facets ----------------------------------------------------------------


def test_category_filter_includes_descendants(cat):
    assert set(ids(categories=("do-uong",))) == {cat.bup, cat.moc_cau, cat.che_xanh}
    assert set(ids(categories=("thuc-pham",))) == {cat.mien, cat.mat_ong}


def test_filters(cat):
    assert ids(ocop_stars=(5,)) == [cat.bup]
    assert set(ids(ocop_stars=(3, 4))) == {cat.moc_cau, cat.mat_ong}
    assert set(ids(rural_industry=True)) == {cat.mien, cat.che_xanh}
    assert set(ids(rural_industry=False)) == {cat.bup, cat.moc_cau, cat.mat_ong}
    assert set(ids(areas=("tan-cuong",))) == {cat.bup, cat.moc_cau}
    assert set(ids(areas=("thai-nguyen",))) == cat.public  # a province includes its communes
    assert set(ids(seller="htx-che-hao-dat")) == {cat.bup, cat.moc_cau, cat.che_xanh}
    assert set(ids(min_price=100_000, max_price=300_000)) == {cat.moc_cau, cat.mat_ong}
    assert set(ids(price_bands=("under-100k", "1m-5m"))) == {cat.mien, cat.che_xanh}
    assert ids("che", ocop_stars=(4,)) == [cat.moc_cau]


def test_facets_are_disjunctive_and_count_the_whole_filtered_set(cat):
    result = search(ocop_stars=(5,), per_page=1)
    assert result.total == 1
    f = result.facets
    # the stars facet ignores its own filter...
    assert f["ocop_stars"] == {"3": 1, "4": 1, "5": 1}
    # ...every other facet is counted with it
    assert f["category"].get("che") == 1 and f["category"].get("do-uong") == 1
    assert not f["category"].get("thuc-pham")
    assert f["area"].get("tan-cuong") == 1
    assert f["price_band"]["300k-1m"] == 1 and f["price_band"]["under-100k"] == 0
    assert f["rural_industry"] == {"true": 0, "false": 1}

    everything = search(per_page=1).facets
    assert everything["category"]["do-uong"] == 3 and everything["category"]["thuc-pham"] == 2
    assert everything["rural_industry"] == {"true": 2, "false": 3}
    assert sum(everything["price_band"].values()) == 5

    two = search(ocop_stars=(5,), rural_industry=True).facets
    assert two["ocop_stars"] == {"3": 0, "4": 0, "5": 0}  # rural products have no stars
    assert two["rural_industry"] == {"true": 0, "false": 1}


def test_text_facets(cat):
    f = search("tan cuong", categories=("che",)).facets
    assert f["category"]["che"] == 2
    assert f["category"].get("thuc-pham") == 1  # mật ong mentions Tân Cương


# -- facet parity: every backend counts the same facets the same way -----------------------

ALL_AREAS = {"thai-nguyen": 5, "tan-cuong": 2, "na-ri": 1, "vo-nhai": 1, "dai-tu": 1}
ALL_CATEGORIES = {"do-uong": 3, "che": 3, "thuc-pham": 2, "mien-bun": 1}


def test_tree_facets_roll_up_to_every_ancestor(cat):
    """A commune's products count for its province too, as categories count for their
    parents: the count next to "tỉnh Thái Nguyên" is what selecting it returns."""
    facets = search(per_page=1).facets
    assert facets["area"] == ALL_AREAS
    assert facets["category"] == ALL_CATEGORIES
    text = search("tan cuong").facets
    assert text["area"] == {"thai-nguyen": 3, "tan-cuong": 2, "vo-nhai": 1}
    assert text["category"] == {"do-uong": 2, "che": 2, "thuc-pham": 1}
    # disjunctive: selecting a commune keeps every area's count (its own filter ignored)
    assert search(areas=("tan-cuong",)).facets["area"] == ALL_AREAS
    assert search(areas=("tan-cuong",)).facets["category"] == {"do-uong": 2, "che": 2}


FACET_PARITY_QUERIES = [
    {},
    {"text": "tan cuong"},
    {"text": "che"},
    {"areas": ("tan-cuong",)},
    {"areas": ("thai-nguyen",), "ocop_stars": (4, 5)},
    {"categories": ("do-uong",), "rural_industry": True},
    {"text": "che", "price_bands": ("300k-1m", "1m-5m")},
]


def _select(kw: dict, facet: str, value: str) -> dict:
    """``kw`` with facet ``facet`` narrowed to ``value`` (the other filters kept)."""
    kw = dict(kw)
    if facet == "category":
        kw["categories"] = (value,)
    elif facet == "area":
        kw["areas"] = (value,)
    elif facet == "ocop_stars":
        kw["ocop_stars"] = (int(value),)
    elif facet == "rural_industry":
        kw["rural_industry"] = value == "true"
    elif facet == "cert":
        kw["cert_kinds"] = (value,)
    else:
        kw["price_bands"] = (value,)
    return kw


@pytest.mark.parametrize("kw", FACET_PARITY_QUERIES, ids=lambda kw: ",".join(kw) or "all")
def test_every_facet_count_is_the_total_of_selecting_it(cat, kw):
    facets = search(**kw).facets
    assert set(facets) == {"category", "area", "ocop_stars", "rural_industry", "price_band", "cert"}
    for facet, counts in facets.items():
        for value, count in counts.items():
            total = search(**_select(kw, facet, value), with_facets=False).total
            assert total == count, (facet, value)


@engines_only
@pytest.mark.parametrize("kw", FACET_PARITY_QUERIES, ids=lambda kw: ",".join(kw) or "all")
def test_engine_facets_equal_the_database_search(cat, ctx, kw):
    """The engine and the database search (its degraded fallback) show the same counts."""
    from marketplace.search.fallback import DatabaseSearch

    def nonzero(facets: dict) -> dict:
        return {name: {k: n for k, n in counts.items() if n} for name, counts in facets.items()}

    query = SearchQuery(**kw)
    assert nonzero(get_search().search(query).facets) == nonzero(DatabaseSearch().search(query).facets)


# -- sorts and pages --------------------------------------------------------------------


def test_every_sort(cat):
    assert ids(sort="price_asc") == [cat.mien, cat.mat_ong, cat.moc_cau, cat.bup, cat.che_xanh]
    assert ids(sort="price_desc") == [cat.che_xanh, cat.bup, cat.moc_cau, cat.mat_ong, cat.mien]
    assert ids(sort="newest") == [cat.che_xanh, cat.mat_ong, cat.mien, cat.moc_cau, cat.bup]
    assert ids(sort="popular") == [cat.moc_cau, cat.bup, cat.mat_ong, cat.mien, cat.che_xanh]
    # mật ong's description mentions chè
    assert ids("che", sort="price_asc") == [cat.mat_ong, cat.moc_cau, cat.bup, cat.che_xanh]
    assert set(ids(sort="relevance")) == cat.public


def test_pagination_and_exact_totals(cat):
    seen: list[int] = []
    for page in (1, 2, 3):
        result = search(sort="price_asc", page=page, per_page=2)
        assert result.total == 5 and result.pages == 3
        seen += result.ids
    assert seen == [cat.mien, cat.mat_ong, cat.moc_cau, cat.bup, cat.che_xanh]
    beyond = search(sort="price_asc", page=9, per_page=2)
    assert beyond.ids == [] and beyond.total == 5
    text = search("tan cuong", per_page=1)
    assert text.total == 3 and len(text.ids) == 1
    bare = search("tan cuong", per_page=1, with_facets=False, ocop_stars=(4, 5))
    assert bare.total == 2 and len(bare.ids) == 1 and not any(bare.facets.values())


# -- the index is always true ----------------------------------------------------------


def test_update_visible_right_after_commit(cat):
    p = db.session.get(Product, cat.mien)
    p.name = "Bánh đa Bắc Kạn"
    p.description = "Bánh đa nem."
    p.price_vnd = 70_000
    db.session.commit()
    assert ids("banh da bac kan")[0] == cat.mien
    names = [s.text for s in get_search().suggest("mien dong")]
    assert "Miến dong Na Rì" not in names  # the old name is gone
    assert ids(min_price=65_000, max_price=75_000) == [cat.mien]


def test_new_product_found_right_after_commit(cat):
    from marketplace.demo.factories import make_product

    p = make_product(name="Gạo nếp cái hoa vàng Định Hóa", slug="gao-nep")
    db.session.commit()
    assert ids("gao nep dinh hoa") == [p.id]


@pytest.mark.parametrize("status", ["draft", "pending", "archived", "rejected"])
def test_unpublish_and_archive_are_gone(cat, status):
    p = db.session.get(Product, cat.bup)
    p.status = status
    db.session.commit()
    assert cat.bup not in ids("che bup tan cuong")
    assert cat.bup not in ids(ocop_stars=(5,))
    p.status = "published"
    db.session.commit()
    assert cat.bup in ids("che bup tan cuong")


def test_delete_is_gone(cat):
    db.session.delete(db.session.get(Product, cat.mat_ong))
    db.session.commit()
    assert cat.mat_ong not in ids("mat ong")
    assert search().total == 4


def test_rollback_leaves_the_index_unchanged(cat):
    p = db.session.get(Product, cat.mien)
    p.name = "Bánh chưng"
    db.session.flush()
    db.session.rollback()
    assert ids("mien dong") == [cat.mien]
    assert ids("banh chung") == []


def test_seller_rename_and_suspension_visible(cat):
    seller = db.session.scalars(sa.select(Seller).where(Seller.slug == "ho-lo-van-sang")).one()
    seller.name = "HTX Ong Mật Thần Sa"
    db.session.commit()
    assert ids("than sa") == [cat.mat_ong]
    seller.status = "suspended"
    db.session.commit()
    assert cat.mat_ong not in ids("mat ong")
    assert search().total == 4


def test_category_rename_visible(cat):
    category = db.session.scalars(sa.select(Category).where(Category.slug == "mien-bun")).one()
    category.name = "Đặc sản khô"
    db.session.commit()
    assert ids("dac san kho") == [cat.mien]


def test_certificate_change_visible(cat):
    p = db.session.get(Product, cat.moc_cau)
    p.certification.stars = 5
    db.session.commit()
    assert set(ids(ocop_stars=(5,))) == {cat.bup, cat.moc_cau}


# -- suggestions -----------------------------------------------------------------------


def test_suggest(cat):
    names = [s.text for s in get_search().suggest("tan cu")]
    assert "Chè búp Tân Cương đặc biệt" in names and "Chè móc câu Tân Cương" in names
    assert "Chè nháp Tân Cương" not in names and "Chè Tân Cương bị ẩn" not in names
    assert get_search().suggest("") == [] and get_search().suggest("c") == []
