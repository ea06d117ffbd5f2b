"""Unit tests of the Meilisearch adapter's pure parts: the settings payload, the filter
builder (escaping, grouping), highlight formatting and facet shaping. No server."""
from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from marketplace.search.base import MAX_RESULT_WINDOW, PRICE_BANDS, SearchQuery
from marketplace.search.meili import (
    FACET_ATTRIBUTES,
    SORTS,
    MeiliSearch,
    build_filter,
    escape_filter_value,
    facet_counts,
    filter_groups,
    format_highlight,
    settings_differ,
    settings_payload,
)

INJECTION = 'Hợp tác xã "A" OR seller_id = 1'

# A quoted string literal as Meilisearch's filter grammar reads it: a double quote,
# then any run of (non-quote-non-backslash | backslash + any char), then a quote.
_LITERAL = r'"((?:[^"\\]|\\.)*)"'


def parse_equality(expr: str) -> tuple[str, str]:
    """Split ``attr = "literal"`` into (attr, unescaped value); fail on anything else."""
    match = re.fullmatch(r"([\w.]+) = " + _LITERAL, expr, flags=re.DOTALL)
    assert match, f"not a single equality with one literal: {expr!r}"
    return match.group(1), re.sub(r"\\(.)", r"\1", match.group(2), flags=re.DOTALL)


# -- settings --------------------------------------------------------------------


def test_ranking_rules_put_sort_after_words_and_popularity_after_relevance():
    rules = settings_payload()["rankingRules"]
    assert rules[:2] == ["words", "sort"]
    assert rules.index("exactness") < rules.index("featured_rank:desc") < rules.index("view_count:desc")
    assert "ocop_rank:desc" in rules
    # Custom rules need a number in every document: the adapter adds these fields.
    assert {r.split(":")[0] for r in rules if ":" in r} <= {"featured_rank", "ocop_rank", "view_count", "id"}


def test_searchable_attributes_rank_name_first_description_last():
    attrs = settings_payload()["searchableAttributes"]
    assert attrs[0] == "name"
    assert attrs[-1] == "description"
    assert {"category_names", "seller.name", "area.name", "area_aliases"} <= set(attrs[1:-1])


def test_every_attribute_the_adapter_filters_facets_or_sorts_on_is_declared():
    payload = settings_payload()
    filterable = set(payload["filterableAttributes"])
    query = SearchQuery(
        text="chè",
        categories=("che",),
        areas=("dong-hy",),
        ocop_stars=(4,),
        rural_industry=True,
        seller="htx-a",
        min_price=1,
        max_price=2,
        price_bands=("under-100k",),
        season=12,
    )
    used = set()
    for part in build_filter(query):
        for expr in [part] if isinstance(part, str) else part:
            used.add(expr.split(" ")[0])
    assert used <= filterable
    assert set(FACET_ATTRIBUTES.values()) <= filterable
    sortable = set(payload["sortableAttributes"])
    assert {rule.split(":")[0] for sort in SORTS.values() for rule in sort} <= sortable


def test_typo_tolerance_pagination_faceting_and_locale():
    payload = settings_payload()
    assert payload["typoTolerance"] == {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}}
    # Modest: no request reaches deeper than the app's result window (9(c)); exact
    # totals come from a facet distribution instead, whatever the catalog size.
    assert payload["pagination"]["maxTotalHits"] == MAX_RESULT_WINDOW == 10_000
    assert settings_payload(catalog_size=2_500_000)["pagination"]["maxTotalHits"] == MAX_RESULT_WINDOW
    assert payload["faceting"]["maxValuesPerFacet"] >= 200  # 92 communes + former names
    assert payload["localizedAttributes"] == [{"attributePatterns": ["*"], "locales": ["vie"]}]
    # A search-only key reads only what the page needs.
    assert payload["displayedAttributes"] == ["id", "slug", "name"]


def test_settings_differ_ignores_defaults_the_server_adds():
    wanted = settings_payload()
    current = {k: (dict(v) if isinstance(v, dict) else v) for k, v in wanted.items()}
    current["typoTolerance"] = {**wanted["typoTolerance"], "disableOnWords": [], "disableOnAttributes": []}
    current["stopWords"] = []
    current["filterableAttributes"] = sorted(wanted["filterableAttributes"])  # sets, sorted by the server
    current["sortableAttributes"] = sorted(wanted["sortableAttributes"])
    assert settings_differ(current, wanted) == []
    reordered = dict(current, searchableAttributes=list(reversed(wanted["searchableAttributes"])))
    assert settings_differ(reordered, wanted) == ["searchableAttributes"]  # order is rank here
    current["rankingRules"] = ["words", "typo"]
    current["pagination"] = {"maxTotalHits": 1000}
    assert sorted(settings_differ(current, wanted)) == ["pagination", "rankingRules"]
    assert set(settings_differ({}, wanted)) == set(wanted)


# -- filters ---------------------------------------------------------------------


def test_escape_filter_value_quotes_and_escapes():
    assert escape_filter_value("che-tan-cuong") == '"che-tan-cuong"'
    assert escape_filter_value('a"b') == '"a\\"b"'
    assert escape_filter_value("a\\b") == '"a\\\\b"'
    assert escape_filter_value('\\"') == '"\\\\\\""'
    assert escape_filter_value(5) == '"5"'


def test_injection_stays_one_literal_and_one_and_group():
    query = SearchQuery(seller=INJECTION)
    filt = build_filter(query)
    assert filt[0] == "is_public = true"
    assert len(filt) == 2 and isinstance(filt[1], str)  # one AND-ed condition, not an OR list
    attr, value = parse_equality(filt[1])
    assert (attr, value) == ("seller.slug", INJECTION)
    # The literal spans to the end: nothing after it can be read as "OR seller_id = 1".
    assert filt[1].endswith('OR seller_id = 1"')


def test_trailing_backslash_cannot_eat_the_closing_quote():
    attr, value = parse_equality(build_filter(SearchQuery(categories=('che\\',)))[1])
    assert value == "che\\"


@given(st.text(max_size=60))
def test_any_text_round_trips_through_escaping(text):
    attr, value = parse_equality(f"seller.slug = {escape_filter_value(text)}")
    assert value == text


def test_outer_and_inner_or_for_each_filter():
    query = SearchQuery(
        categories=("che", "mien"),
        areas=("dong-hy",),
        ocop_stars=(4, 5),
        rural_industry=False,
        seller="htx-tan-cuong",
        min_price=100_000,
        max_price=500_000,
        price_bands=("100k-300k", "300k-1m"),
    )
    assert build_filter(query, today=20261129) == [
        "is_public = true",
        ['category_slugs = "che"', 'category_slugs = "mien"'],
        'area_slugs = "dong-hy"',
        ["ocop_stars = 4", "ocop_stars = 5"],
        "ocop_until >= 20261129",  # an expired certificate shows no stars
        "rural_industry = false",
        'seller.slug = "htx-tan-cuong"',
        "price_vnd >= 100000",
        "price_vnd <= 500000",
        ['price_band = "100k-300k"', 'price_band = "300k-1m"'],
    ]
    assert build_filter(SearchQuery(rural_industry=True))[1] == "rural_industry = true"


def test_no_filters_still_only_public():
    assert build_filter(SearchQuery()) == ["is_public = true"]
    assert build_filter(SearchQuery(text='"OR 1 = 1')) == ["is_public = true"]  # text never enters filters


def test_without_removes_only_that_group():
    query = SearchQuery(categories=("che",), ocop_stars=(4,))
    assert build_filter(query, without="category", today=20261129) == [
        "is_public = true",
        "ocop_stars = 4",
        "ocop_until >= 20261129",
    ]
    assert build_filter(query, without="ocop_stars") == ["is_public = true", 'category_slugs = "che"']


def test_unknown_price_band_matches_nothing_like_the_database():
    assert filter_groups(SearchQuery(price_bands=("bogus",)))["price_band"] == ["id < 0"]
    assert filter_groups(SearchQuery(price_bands=("bogus", "over-5m")))["price_band"] == ['price_band = "over-5m"']


def test_facet_requests_remove_only_their_own_filter():
    backend = MeiliSearch(client=None, index_uid="products")
    query = SearchQuery(text="chè", categories=("che",), areas=("dong-hy",), sort="price_asc", page=2, per_page=12)
    queries, groups = backend.search_requests(query, today=20261129)
    main = queries[0]
    assert main["filter"] == ["is_public = true", 'category_slugs = "che"', 'area_slugs = "dong-hy"']
    assert (main["page"], main["hitsPerPage"], main["sort"]) == (2, 12, ["price_vnd:asc", "id:asc"])
    assert main["locales"] == ["vie"] and "ocop_stars" not in main["facets"]
    assert groups == ["category", "area", "ocop_stars"]
    by_group = dict(zip(groups, queries[1:]))
    assert by_group["category"]["filter"] == ["is_public = true", 'area_slugs = "dong-hy"']
    assert by_group["area"]["filter"] == ["is_public = true", 'category_slugs = "che"']
    assert by_group["ocop_stars"]["filter"][-1] == "ocop_until >= 20261129"
    assert all(q["hitsPerPage"] == 0 and q["q"] == "chè" for q in queries[1:])


# -- highlights and facets ---------------------------------------------------------


def test_highlight_escapes_html_then_marks():
    out = format_highlight("\u0002Chè\u0003 <script>alert(1)</script> & \u0002Tân\u0003")
    assert isinstance(out, Markup)
    assert out == "<mark>Chè</mark> &lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>Tân</mark>"


def test_facets_shaped_like_the_database_backend():
    shaped = facet_counts(
        {
            "category_slugs": {"do-uong": 7, "che": 5},
            "area_slugs": {"dong-hy": 2},
            "ocop_stars": {"4": 3, "5.0": 1},
            "rural_industry": {"true": 2},
            "price_band": {"100k-300k": 6, "unknown": 9},
        }
    )
    assert shaped == {
        "category": {"do-uong": 7, "che": 5},
        "area": {"dong-hy": 2},
        "ocop_stars": {"3": 0, "4": 3, "5": 1},
        "rural_industry": {"true": 2, "false": 0},
        "price_band": {key: (6 if key == "100k-300k" else 0) for key, _, _ in PRICE_BANDS},
    }
