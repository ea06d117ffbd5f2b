"""The database search's filters: one SQL condition per filter (``filter_conditions``)
and, for the facet filters, one Python predicate on a candidate row (``predicates``,
used by the one-pass engine in ``rows.py``). A new filter: docs/search.md, "Adding a
filter"."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

import sqlalchemy as sa

from ...catalog import queries as cq
from ...catalog.models import Area, OcopCertification, Product
from ...extensions import db
from ...seasons.months import season_mask_clause
from ...sellers.models import Seller
from ..base import PRICE_BANDS, SearchQuery
from ..facets import subtree_ids
from ..filters import FACET_NAMES
from .terms import Term, query_tokens, term_condition

if TYPE_CHECKING:
    from .rows import Row

# Filters that are also facets (search/filters.py): applied in Python on the one-pass
# rows (see rows.py).
FACET_FILTERS = FACET_NAMES


def _valid_stars_exists(stars: Iterable[int] | None = None) -> sa.Exists:
    cond = [OcopCertification.product_id == Product.id, cq.valid_certificate_condition()]
    if stars is not None:
        cond.append(OcopCertification.stars.in_(tuple(stars)))
    return sa.exists().where(*cond)


def _price_band_condition(keys: Iterable[str]) -> sa.ColumnElement[bool]:
    parts = []
    for key, low, high in PRICE_BANDS:
        if key in keys:
            cond = Product.price_vnd >= low
            if high is not None:
                cond = sa.and_(cond, Product.price_vnd < high)
            parts.append(cond)
    return sa.or_(*parts) if parts else sa.false()


def price_band_case() -> sa.Case:
    whens = []
    for key, low, high in PRICE_BANDS:
        cond = Product.price_vnd >= low
        if high is not None:
            cond = sa.and_(cond, Product.price_vnd < high)
        whens.append((cond, key))
    return sa.case(*whens, else_="other")


class Subtrees(NamedTuple):
    """Ids of the filtered categories and areas with all their descendants (None: no
    such filter), read once per search however many times it retries."""

    categories: list[int] | None
    areas: list[int] | None


def subtrees(query: SearchQuery) -> Subtrees:
    return Subtrees(
        cq.category_descendant_ids(query.categories) if query.categories else None,
        area_descendant_ids(query.areas) if query.areas else None,
    )


def filter_conditions(
    query: SearchQuery, terms: list[Term] | None = None, trees: Subtrees | None = None
) -> dict[str, sa.ColumnElement[bool]]:
    """One SQL condition per filter, keyed by facet name (text and price range too).

    ``terms`` (default: the query's words, exact) are the text conditions; ``trees``
    (default: read now) the category and area filters' ids."""
    conds: dict[str, sa.ColumnElement[bool]] = {}
    if terms is None:
        terms = [Term(t) for t in query_tokens(query.text)]
    if trees is None:
        trees = subtrees(query)
    for i, term in enumerate(terms):
        conds[f"text{i}"] = term_condition(term, Product.search_text)
    if trees.categories is not None:
        conds["category"] = Product.category_id.in_(trees.categories)
    if trees.areas is not None:
        conds["area"] = Product.area_id.in_(trees.areas)
    if query.ocop_stars:
        conds["ocop_stars"] = _valid_stars_exists(query.ocop_stars)
    if query.rural_industry is not None:
        has = cq.has_rural_industry()
        conds["rural_industry"] = has if query.rural_industry else ~has
    if query.seller:
        conds["seller"] = Seller.slug == query.seller
    if query.min_price is not None:
        conds["min_price"] = Product.price_vnd >= query.min_price
    if query.max_price is not None:
        conds["max_price"] = Product.price_vnd <= query.max_price
    if query.price_bands:
        conds["price_band"] = _price_band_condition(query.price_bands)
    if query.season is not None:  # issue 19: not a facet, so applied before counting
        conds["season"] = season_mask_clause(Product.season_mask, int(query.season))
    return conds


def area_descendant_ids(slugs: Iterable[str]) -> list[int]:
    """Ids of the named areas and all their descendants (the area list is small)."""
    return subtree_ids(db.session.execute(sa.select(Area.id, Area.parent_id, Area.slug)).all(), slugs)


def price_band_of(price: int) -> str | None:
    for key, low, high in PRICE_BANDS:
        if price >= low and (high is None or price < high):
            return key
    return None


def predicates(query: SearchQuery, trees: Subtrees) -> dict[str, Callable[[Row], bool]]:
    """The facet filters as predicates on a candidate row (``rows.Row``), keyed like
    ``filter_conditions``."""
    preds: dict[str, Callable[[Row], bool]] = {}
    if trees.categories is not None:
        cat_ids = frozenset(trees.categories)
        preds["category"] = lambda r: r.category_id in cat_ids
    if trees.areas is not None:
        area_ids = frozenset(trees.areas)
        preds["area"] = lambda r: r.area_id in area_ids
    if query.ocop_stars:
        stars = frozenset(query.ocop_stars)
        preds["ocop_stars"] = lambda r: r.stars in stars
    if query.rural_industry is not None:
        wanted = bool(query.rural_industry)
        preds["rural_industry"] = lambda r: (r.rural_id is not None) is wanted
    if query.price_bands:
        bands = frozenset(query.price_bands)
        preds["price_band"] = lambda r: price_band_of(r.price) in bands
    return preds
