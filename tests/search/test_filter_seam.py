"""The facet filters are declared once (search/filters.py) and every engine
translates each of them by name: adding a filter to the declaration without its
clause in one engine fails here (docs/search.md, "Adding a filter")."""
from __future__ import annotations

from dataclasses import replace

import pytest

from marketplace.search.base import SearchQuery
from marketplace.search.fallback import filter_conditions
from marketplace.search.fallback.filters import FACET_FILTERS as DATABASE_FACETS
from marketplace.search.fallback.filters import Subtrees, predicates
from marketplace.search.filters import FACET_FILTERS, FACET_NAMES, complete, empty_facets
from marketplace.search.meili import FACET_ATTRIBUTES, facet_counts, filter_groups
from marketplace.search.meili.settings import FILTERABLE_ATTRIBUTES
from marketplace.search.sqlite_fts.filters import SQL_COUNTED, conditions

# One selection per declared filter (SearchQuery field value); a new filter adds its own.
SAMPLES = {
    "category": ("che",),
    "area": ("dong-hy",),
    "ocop_stars": (4,),
    "rural_industry": True,
    "price_band": ("100k-300k",),
    "cert": ("vietgap",),
}
TREE = [(1, None, "che"), (2, None, "dong-hy")]  # (id, parent, slug) rows for the tree filters


def test_every_declared_filter_has_a_sample():
    assert set(SAMPLES) == set(FACET_NAMES)


@pytest.mark.parametrize("facet", FACET_FILTERS, ids=lambda f: f.name)
def test_every_engine_has_a_clause_for_each_declared_filter(facet):
    query = replace(SearchQuery(), **{facet.field: SAMPLES[facet.name]})
    # FTS5: an SQL condition and a predicate for the packed-key counting.
    sql, _params, preds = conditions(None, query, 20260101, lambda: TREE, lambda: TREE)
    # (or, for a facet the packed key cannot hold, a count query of its own: SQL_COUNTED)
    assert facet.name in sql and (facet.name in preds or facet.name in SQL_COUNTED)
    # Database: an SQL condition and a predicate for the one-pass rows.
    trees = Subtrees([1], [2])
    assert facet.name in filter_conditions(query, [], trees)
    assert facet.name in predicates(query, trees)
    assert facet.name in DATABASE_FACETS
    # Meilisearch: a filter group on a filterable attribute, counted as a facet.
    assert facet.name in filter_groups(query, today=20260101)
    assert FACET_ATTRIBUTES[facet.name] in FILTERABLE_ATTRIBUTES


def test_engines_count_exactly_the_declared_facets():
    assert list(FACET_ATTRIBUTES) == list(FACET_NAMES)
    assert set(facet_counts({})) == set(FACET_NAMES)
    assert set(empty_facets()) == set(FACET_NAMES)


def test_complete_facets_zero_fill_fixed_values_and_keep_open_ones():
    shaped = complete({"category": {"che": 3}, "ocop_stars": {"4": 2, "7": 1}})
    assert shaped["category"] == {"che": 3}
    assert shaped["area"] == {}
    assert shaped["ocop_stars"] == {"3": 0, "4": 2, "5": 0}
    assert shaped["rural_industry"] == {"true": 0, "false": 0}
    assert set(shaped) == set(FACET_NAMES)
