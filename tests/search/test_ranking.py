"""Pinned orderings of the embedded engine (Meilisearch's rule order, ranking.py), the
shared query analysis, synonyms in both backends and the synonyms CLI.

The orderings are the clearest cases of issue 9; a later change must not undo them."""
from __future__ import annotations

import unicodedata

import pytest

from marketplace.extensions import db
from marketplace.search import SearchQuery, get_search
from marketplace.search.analysis import analyse, like_tokens, marks_code, query_words
from marketplace.search.synonyms import add_synonym
from tests.conftest import make_test_config
from tests.factories import make_area, make_category, make_product, make_seller
from tests.search.search_catalog import ON_SQLITE

fts = pytest.mark.skipif(not ON_SQLITE, reason="the FTS5 engine lives in a SQLite database")


def ids(text: str, **kw) -> list[int]:
    return get_search().search(SearchQuery(text=text, **kw)).ids


# -- analysis (every backend) ---------------------------------------------------------


def test_decomposed_input_is_one_word_per_syllable():
    nfd = unicodedata.normalize("NFD", "Chè Tân Cương")
    assert query_words(nfd) == ["Chè", "Tân", "Cương"]
    assert like_tokens(nfd) == ["che", "tan", "cuong"]
    assert [t.words for t in analyse(nfd).terms] == [("che",), ("tan",), ("cuong",)]


def test_marks_codes_keep_prefixes():
    assert marks_code("Vàng") == "va2ng" and marks_code("hóa") == "ho1a" and marks_code("hoa") == "hoa"
    assert marks_code("Đường").startswith("d9")
    assert marks_code("vàng").startswith(marks_code("và"))
    assert analyse("hoa vang").typed_marks is False and analyse("hoa vàng").typed_marks is True


def test_last_word_is_a_prefix_whatever_its_length():
    terms = analyse("mien d").terms
    assert [t.prefix for t in terms] == [False, True] and terms[-1].words == ("d",)


# -- orderings (FTS5) --------------------------------------------------------------------


@pytest.fixture
def app_config(tmp_path):
    # the orderings are FTS5's (skipped on PostgreSQL); the CLI runs on both
    return make_test_config(tmp_path, SEARCH_BACKEND="sqlite" if ON_SQLITE else "database")


@pytest.fixture
def shop(ctx):
    tea = make_category(name="Chè", slug="che")
    food = make_category(name="Thực phẩm", slug="thuc-pham")
    tan_cuong = make_area(name="xã Tân Cương", slug="tan-cuong")
    na_ri = make_area(name="xã Na Rì", slug="na-ri")
    htx = make_seller(name="HTX Sơn Dung", slug="htx-son-dung", area=na_ri)
    made = {
        # the phrase in the name — but few views
        "dinh": make_product(name="Chè Tân Cương đinh Hoàng Bình", category=tea, seller=htx, area=na_ri,
                             view_count=3, description="Búp nhỏ."),
        # Tân Cương only in the area, chè in the category: featured and popular
        "van_loc": make_product(name="Vạn lộc trà", category=tea, seller=htx, area=tan_cuong,
                                view_count=9000, featured=True, description="Trà ngon."),
        # the words near each other in the name, not a phrase
        "bup": make_product(name="Chè búp xanh Tân Cương", category=tea, seller=htx, area=na_ri,
                            view_count=50, description=""),
        "hoa": make_product(name="Trà hoa vàng Na Rì", category=tea, seller=htx, area=na_ri,
                            view_count=1, description=""),
        "hoa_marks": make_product(name="Chè hóa vàng", category=tea, seller=htx, area=na_ri,
                                  view_count=500, description=""),
        "mien": make_product(name="Miến dong Na Rì", category=food, seller=htx, area=na_ri,
                             view_count=2, description=""),
        "mien_khac": make_product(name="Miến gạo Na Rì", category=food, seller=htx, area=na_ri,
                                  view_count=700, description="Không phải dong."),
        # "mật ong" only in the description, featured and very popular
        "desc": make_product(name="Bánh gai lá", category=food, seller=htx, area=na_ri, view_count=99999,
                             featured=True, description="Nhân đỗ xanh, mật ong rừng."),
        "mat_ong": make_product(name="Mật ong rừng Na Rì", category=food, seller=htx, area=na_ri,
                                view_count=1, description=""),
    }
    db.session.commit()
    return {k: p.id for k, p in made.items()}


@fts
def test_phrase_in_name_beats_scattered_and_area_only(shop):
    found = ids("che tan cuong")
    assert found.index(shop["dinh"]) < found.index(shop["bup"]) < found.index(shop["van_loc"])


@fts
def test_featured_and_popular_never_beat_a_better_match(shop):
    assert ids("mat ong rung")[0] == shop["mat_ong"]
    assert ids("mat ong")[:2] == [shop["mat_ong"], shop["desc"]]


@fts
def test_typed_marks_prefer_the_same_marks(shop):
    assert ids("hoa vàng")[0] == shop["hoa"]
    assert ids("hóa vàng")[0] == shop["hoa_marks"]
    # without marks both match equally: popularity decides
    assert ids("hoa vang")[0] == shop["hoa_marks"]


@fts
def test_one_letter_prefix(shop):
    assert ids("mien d") == [shop["mien"], shop["mien_khac"]]  # "dong" in the name first
    assert ids("Miến d")[0] == shop["mien"]


@fts
def test_decomposed_query_finds_the_same(shop):
    assert ids(unicodedata.normalize("NFD", "Chè Tân Cương")) == ids("Chè Tân Cương") != []


@fts
def test_synonym_matches_rank_after_the_word_itself(shop):
    assert shop["dinh"] not in ids("tra")
    add_synonym("chè", "trà")
    db.session.commit()
    found = ids("tra")
    # "Trà …" in the name first, then "Chè …" (synonym) in the name, then the rest
    assert found[:2] == [shop["van_loc"], shop["hoa"]]
    assert {shop["dinh"], shop["bup"], shop["hoa_marks"]} <= set(found[2:5])
    assert get_search().search(SearchQuery(text="tra")).total == 5


@fts
def test_area_facet_rolls_up_to_the_province(ctx):
    province = make_area(name="tỉnh Thái Nguyên", slug="thai-nguyen", kind="province")
    commune = make_area(name="xã Tân Cương", slug="tan-cuong", parent=province)
    make_product(name="Chè móc câu", area=commune)
    db.session.commit()
    facets = get_search().search(SearchQuery(text="che")).facets
    assert facets["area"] == {"tan-cuong": 1, "thai-nguyen": 1}


# -- CLI -------------------------------------------------------------------------------


def test_synonyms_cli(runner, ctx):
    out = runner.invoke(args=["search", "synonyms", "add", "Chè", "trà"])
    assert out.exit_code == 0 and "che -> tra" in out.output and "tra -> che" in out.output
    assert runner.invoke(args=["search", "synonyms", "list"]).output.split("\n")[:2] == ["che -> tra", "tra -> che"]
    again = runner.invoke(args=["search", "synonyms", "add", "che", "tra"])
    assert again.exit_code == 0 and "nothing added" in again.output
    bad = runner.invoke(args=["search", "synonyms", "add", "che", "chè"])
    assert bad.exit_code != 0 and "SYNONYM" in bad.output
    missing = runner.invoke(args=["search", "synonyms", "remove", "mit", "na"])
    assert missing.exit_code != 0 and "No such synonym" in missing.output
    assert runner.invoke(args=["search", "synonyms", "remove", "tra", "che"]).exit_code == 0
    assert "No synonyms." in runner.invoke(args=["search", "synonyms", "list"]).output
    seeded = runner.invoke(args=["search", "synonyms", "seed"])
    assert seeded.exit_code == 0 and "che -> tra" in runner.invoke(args=["search", "synonyms", "list"]).output
