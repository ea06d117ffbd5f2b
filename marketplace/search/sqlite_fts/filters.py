"""The FTS5 engine's filters, facet counts and sorts.

``conditions`` is where a filter becomes SQL on ``f`` (``search_facets``) and, for
a facet filter, a predicate on the packed facet key's values (``facets.pack_facets``)
that the disjunctive counting uses; ``facet_counts`` turns those counts into the
``SearchResult.facets`` shape. A new filter: docs/search.md, "Adding a filter"."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from ...sellers.models import Seller
from ..base import SearchQuery
from ..facets import BAND_KEYS, disjunctive_counts, rolled_up, subtree_ids, tree

TreeRows = Callable[[], list]  # (id, parent_id, slug) rows of the category or area tree

# Parameters of the filters that are not facets (they narrow the grouped rows in SQL,
# so they are part of the grouped rows' cache key).
NON_FACET_PARAMS = ("today", "match", "seller", "min_price", "max_price", "season", "cert_day")

# Facets counted by a query of their own instead of the packed key: certification
# kinds (several per product, each valid until its own day) are read from the
# application's tables, which live in the same SQLite database as the index. The
# filter narrows the grouped rows in SQL (its kinds are in the condition's text, so
# in the cache key; ``cert_day`` too); a verification reindexes the seller's
# products, so the index generation moves with it.
SQL_COUNTED = ("cert",)
_VALID = ("c.verified_at IS NOT NULL AND c.issued_on <= :cert_day AND (c.expires_on IS NULL OR"
          " c.expires_on >= :cert_day) AND (c.kind <> 'ocop' OR c.stars IN (3, 4, 5))")
# (id, kind) of every product's valid certifications, once each.
CERT_PAIRS = (
    f"SELECT c.product_id AS id, c.kind AS kind FROM certifications c WHERE c.product_id IS NOT NULL AND {_VALID}"
    f" UNION SELECT p.id, c.kind FROM products p JOIN certifications c ON c.seller_id = p.seller_id"
    f" AND c.scope = 'seller' WHERE {_VALID}"
    f" UNION SELECT cp.product_id, c.kind FROM certification_products cp JOIN certifications c"
    f" ON c.id = cp.certification_id WHERE c.scope = 'products' AND {_VALID}"
)


def cert_condition(kinds: Sequence[str]) -> str:
    """``f`` holds a valid certification of one of ``kinds`` (known kinds only: they
    are written into the SQL as literals)."""
    from ...certifications.models import KINDS

    wanted = ", ".join(f"'{k}'" for k in KINDS if k in set(kinds)) or "NULL"
    return f"f.id IN (SELECT id FROM ({CERT_PAIRS}) AS certs WHERE kind IN ({wanted}))"


def cert_counts(session, where: str, params: dict, *, full_text: bool) -> dict[str, int]:
    """Matches per certification kind over ``FROM {where}`` (the search with every
    other filter applied: disjunctive).

    Browsing (no search words) starts from the matches: each branch looks up only the
    matched products' certifications, which makes a seller's or a category's page cheap
    (0.1 ms against 3–4 ms on the demo catalog); the matches are an inlined CTE, since a
    materialised one costs more than it saves. A full-text match would be run once per
    branch that way, so with ``full_text`` the matches join every product's pairs instead."""
    from ...certifications.models import KINDS

    if full_text:
        sql = (f"SELECT certs.kind, count(*) FROM (SELECT f.id AS id FROM {where}) AS m"
               f" JOIN ({CERT_PAIRS}) AS certs ON certs.id = m.id GROUP BY certs.kind")
    else:
        sql = (f"WITH m AS NOT MATERIALIZED (SELECT f.id AS id FROM {where})"
               f" SELECT kind, count(*) FROM ({_MATCHED_PAIRS}) AS certs GROUP BY kind")
    counts = {kind: 0 for kind in KINDS}
    counts.update({kind: int(n) for kind, n in session.execute(sa.text(sql), params).all()})
    return counts


# (id, kind) of the matches' (``m``) valid certifications, once each.
_MATCHED_PAIRS = (
    f"SELECT c.product_id AS id, c.kind AS kind FROM m JOIN certifications c ON c.product_id = m.id WHERE {_VALID}"
    f" UNION SELECT m.id, c.kind FROM m JOIN products p ON p.id = m.id JOIN certifications c"
    f" ON c.seller_id = p.seller_id AND c.scope = 'seller' WHERE {_VALID}"
    f" UNION SELECT m.id, c.kind FROM m JOIN certification_products cp ON cp.product_id = m.id"
    f" JOIN certifications c ON c.id = cp.certification_id WHERE c.scope = 'products' AND {_VALID}"
)

# The packed facet key with the stars digit zeroed unless the certificate is valid
# today (an expired certificate shows no badge and counts in no star facet).
VALID_FKEY = "fkey - CASE WHEN {until} >= :today THEN 0 ELSE (fkey / 100 % 10) * 100 END"


def conditions(session, query: SearchQuery, today: int, category_rows: TreeRows,
               area_rows: TreeRows) -> tuple[dict[str, str], dict, dict]:
    """SQL conditions on ``f`` (search_facets) keyed by filter name, their
    parameters, and Python predicates of the facet filters for unpacked facet keys
    ``(category_id, area_id, stars, rural, band)``."""
    conds: dict[str, str] = {}
    params: dict = {"today": today, "cert_day": f"{today // 10000:04d}-{today // 100 % 100:02d}-{today % 100:02d}"}
    preds: dict = {}

    def in_list(name: str, column: str, values: Sequence) -> str:
        keys = []
        for i, v in enumerate(values):
            key = f"{name}_{i}"
            params[key] = v
            keys.append(":" + key)
        return f"{column} IN ({', '.join(keys)})" if keys else "0"

    if query.categories:
        cats = subtree_ids(category_rows(), query.categories)
        conds["category"] = in_list("cat", "f.category_id", cats)
        preds["category"] = lambda row, s=frozenset(cats): row[0] in s
    if query.areas:
        areas = subtree_ids(area_rows(), query.areas)
        conds["area"] = in_list("area", "f.area_id", areas)
        preds["area"] = lambda row, s=frozenset(areas): row[1] in s
    if query.ocop_stars:
        stars = sorted({int(s) for s in query.ocop_stars})
        conds["ocop_stars"] = "(" + in_list("stars", "f.stars", stars) + " AND f.stars_until >= :today)"
        preds["ocop_stars"] = lambda row, s=frozenset(stars): row[2] in s
    if query.rural_industry is not None:
        want = 1 if query.rural_industry else 0
        params["rural"] = want
        conds["rural_industry"] = "f.rural = :rural"
        preds["rural_industry"] = lambda row, w=want: row[3] == w
    if query.price_bands:
        bands = [i for i, key in enumerate(BAND_KEYS) if key in set(query.price_bands)]
        conds["price_band"] = in_list("band", "f.band", bands)
        preds["price_band"] = lambda row, s=frozenset(bands): row[4] in s
    if query.cert_kinds:
        conds["cert"] = cert_condition(query.cert_kinds)
    if query.seller:
        seller_id = session.execute(sa.select(Seller.id).where(Seller.slug == query.seller)).scalar()
        params["seller"] = seller_id if seller_id is not None else -1
        conds["seller"] = "f.seller_id = :seller"
    if query.min_price is not None:
        params["min_price"] = int(query.min_price)
        conds["min_price"] = "f.price >= :min_price"
    if query.max_price is not None:
        params["max_price"] = int(query.max_price)
        conds["max_price"] = "f.price <= :max_price"
    if query.season is not None:  # issue 19: a non-facet filter (narrows before counting)
        params["season"] = 1 << (int(query.season) - 1)
        conds["season"] = "(f.season & :season) != 0"
    return conds, params, preds


def facet_counts(rows: dict[int, int], preds, category_rows: TreeRows,
                 area_rows: TreeRows) -> tuple[int, dict[str, dict[str, int]]]:
    """Exact total and disjunctive facet counts from the counts per packed facet
    key; category and area counts rolled up to every ancestor (``facets.py``)."""
    total, (by_cat, by_area, by_stars, by_rural, by_band) = disjunctive_counts(rows, preds)
    category = rolled_up(by_cat, *tree(category_rows())) if by_cat else {}
    area = rolled_up(by_area, *tree(area_rows())) if by_area else {}
    stars = {"3": 0, "4": 0, "5": 0}
    for s, n in by_stars.items():
        stars[str(s)] = stars.get(str(s), 0) + n
    return total, {
        "category": category,
        "area": area,
        "ocop_stars": stars,
        "rural_industry": {"true": by_rural.get(1, 0), "false": by_rural.get(0, 0)},
        "price_band": {key: by_band.get(i, 0) for i, key in enumerate(BAND_KEYS)},
    }


def order_by(sort: str) -> str:
    if sort == "price_asc":
        return "f.price ASC, f.id ASC"
    if sort == "price_desc":
        return "f.price DESC, f.id DESC"
    if sort == "newest":
        return "f.published DESC, f.id DESC"  # NULLs sort last in DESC
    if sort == "popular":
        return "f.views DESC, f.id DESC"
    return "f.featured DESC, f.views DESC, f.id DESC"

