"""The database search's one-pass engine: one statement loads the candidate rows
(visibility, text, seller and price-range conditions in SQL) with the few columns
facets and sorts need; the facet filters, the disjunctive facet counts, the order
and the page are then computed in Python. One scan of ``search_text`` instead of one
per facet (≈8); above MAX_ROWS_IN_MEMORY candidates ``sql.py`` counts instead."""
from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from ...catalog import queries as cq
from ...catalog.models import Area, Category, OcopCertification, Product, RuralIndustryRecognition
from ...extensions import db
from ...sellers.models import Seller
from ..base import PRICE_BANDS, SearchQuery
from ..facets import rolled_up
from ...certifications import queries as cert_queries
from ...certifications.models import KINDS as CERT_KINDS
from .filters import FACET_FILTERS, Subtrees, predicates, price_band_of
from .terms import Term, relevance_columns

# Above this many candidate rows, counting in SQL beats loading them.
MAX_ROWS_IN_MEMORY = 20_000


class Row(NamedTuple):
    id: int
    category_id: int
    area_id: int | None
    price: int
    stars: int | None  # of a valid certificate only
    rural_id: int | None
    featured: bool
    views: int
    published: datetime | None
    name_phrase: int  # the _relevance_columns, in order
    starts: int
    name_words: int
    contains: int
    certs: frozenset = frozenset()  # kinds of its valid certifications (added after the load)


def top(sort: str, rows: list[Row], n: int) -> list[Row]:
    """The first ``n`` rows in the order of ``sql.ordering`` (Python twin: same keys, same
    tie-breakers). Keys are compared as they come (no per-row arithmetic or datetime
    conversion): descending orders take the largest keys; ``Product.id`` makes every
    key unique, so the result equals a full sort's first ``n`` rows."""
    if sort == "price_asc":
        return heapq.nsmallest(n, rows, key=lambda r: (r.price, r.id))
    if sort == "price_desc":
        return heapq.nlargest(n, rows, key=lambda r: (r.price, r.id))
    if sort == "newest":  # NULLs last
        return heapq.nlargest(n, rows, key=lambda r: (r.published is not None, r.published, r.id))
    if sort == "popular":
        return heapq.nlargest(n, rows, key=lambda r: (r.views or 0, r.id))
    return heapq.nlargest(
        n,
        rows,
        key=lambda r: (
            r.name_phrase,
            r.starts,
            r.name_words,
            r.contains,
            bool(r.featured),
            r.views or 0,
            r.published is not None,
            r.published,
            r.id,
        ),
    )


def _tree(model) -> tuple[dict[int, int | None], dict[int, str]]:
    rows = db.session.execute(sa.select(model.id, model.parent_id, model.slug)).all()
    return {i: parent for i, parent, _ in rows}, {i: slug for i, _, slug in rows}


def candidate_rows(query: SearchQuery, conds: dict, terms: list[Term]) -> list[Row] | None:
    if terms and query.sort == "relevance":
        ranks = relevance_columns(terms)
    else:
        ranks = [sa.literal(0)] * 4
    # Only what the chosen sort reads: datetime parsing of every row is costly.
    published = Product.published_at if query.sort in ("newest", "relevance") else sa.null()
    stmt = (
        sa.select(
            Product.id,
            Product.category_id,
            Product.area_id,
            Product.price_vnd,
            OcopCertification.stars,
            RuralIndustryRecognition.id,
            Product.featured,
            Product.view_count,
            published,
            *ranks,
        )
        .select_from(Product)
        .join(Seller, Product.seller_id == Seller.id)
        .outerjoin(
            OcopCertification,
            sa.and_(OcopCertification.product_id == Product.id, cq.valid_certificate_condition()),
        )
        .outerjoin(RuralIndustryRecognition, RuralIndustryRecognition.product_id == Product.id)
        .where(cq.public_condition(), *(c for key, c in conds.items() if key not in FACET_FILTERS))
        .limit(MAX_ROWS_IN_MEMORY + 1)
    )
    # Core execution: plain tuples, no ORM row processing; one fetchall (iterating
    # the result fetches row by row, a driver call each).
    rows = list(map(Row._make, (tuple(r) + (frozenset(),) for r in db.session.connection().execute(stmt).all())))
    if len(rows) > MAX_ROWS_IN_MEMORY:
        return None
    # The kinds of every product's valid certifications: one statement (a few thousand
    # pairs), attached to the rows that have some.
    kinds = cert_queries.valid_kinds_all()
    return [r._replace(certs=kinds[r.id]) if r.id in kinds else r for r in rows]


def search_rows(query: SearchQuery, rows: list[Row], trees: Subtrees) -> tuple[int, list[int], dict]:
    preds = predicates(query, trees)
    matched: list[Row] = []
    # Rows failing exactly one facet filter still count in that facet (disjunctive).
    near: dict[str, list[Row]] = {name: [] for name in FACET_FILTERS}
    for row in rows:
        failed = [name for name, pred in preds.items() if not pred(row)]
        if not failed:
            matched.append(row)
        elif len(failed) == 1:
            near[failed[0]].append(row)
    first = top(query.sort, matched, query.offset + query.per_page)
    ids = [r.id for r in first[query.offset :]]
    facets = facets_from_rows(matched, near) if query.with_facets else {}
    return len(matched), ids, facets

def facets_from_rows(matched: list[Row], near: dict[str, list[Row]]) -> dict[str, dict[str, int]]:
    def pool(name: str) -> Iterable[Row]:
        return itertools.chain(matched, near[name])

    # The trees are read only when something is counted (a search that found
    # nothing, e.g. before its typo or word-dropping retry, needs neither).
    by_category = Counter(r.category_id for r in pool("category"))
    category = rolled_up(by_category, *_tree(Category)) if by_category else {}
    by_area = Counter(r.area_id for r in pool("area") if r.area_id is not None)
    area = rolled_up(by_area, *_tree(Area)) if by_area else {}
    stars = {str(s): 0 for s in (3, 4, 5)}
    for r in pool("ocop_stars"):
        if r.stars is not None:
            key = str(r.stars)
            stars[key] = stars.get(key, 0) + 1
    rural = {"true": 0, "false": 0}
    for r in pool("rural_industry"):
        rural["true" if r.rural_id is not None else "false"] += 1
    bands = {key: 0 for key, _, _ in PRICE_BANDS}
    for r in pool("price_band"):
        band = price_band_of(r.price)
        if band is not None:
            bands[band] += 1
    certs = {kind: 0 for kind in CERT_KINDS}
    for r in pool("cert"):
        for kind in r.certs:
            certs[kind] += 1
    return {"category": category, "area": area, "ocop_stars": stars, "rural_industry": rural, "price_band": bands,
            "cert": certs}
