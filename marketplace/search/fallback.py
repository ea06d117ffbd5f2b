"""Database search: works on any database through the folded ``search_text`` column.

It serves as the backend on PostgreSQL without Meilisearch, and as the degraded mode
when a configured engine is unreachable. Filters, facets and sorts are the same as the
engines'. Matching is by folded substrings (every query token must occur in
``search_text``, which holds the folded name, code, unit, category, seller, area and
its former names, and description); relevance is simpler than an engine's: names that
start with / contain the whole query first, then featured, then popularity, then id.

Every ordering ends with ``Product.id`` so that pages never overlap or skip rows.
Category and area filters include descendants, and their facet counts are rolled up
to every ancestor, so a facet's count equals the total you get by selecting it.
"""
from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from ..catalog import queries as cq
from ..catalog.models import Area, Category, OcopCertification, Product, RuralIndustryRecognition
from ..extensions import db
from ..sellers.models import Seller
from .analysis import like_tokens
from .base import (
    PRICE_BANDS,
    Health,
    SearchBackend,
    SearchQuery,
    SearchResult,
    Suggestion,
)
from .facets import rolled_up


def query_tokens(text: str | None) -> list[str]:
    """Folded word tokens of a user query, at most MAX_TOKENS (``analysis.like_tokens``:
    NFC first; ``\\w`` keeps letters, digits and ``_``, escaped before LIKE; anything
    else — punctuation, ``%``, control characters, NUL — only separates tokens)."""
    return like_tokens(text)


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


def _price_band_case() -> sa.Case:
    whens = []
    for key, low, high in PRICE_BANDS:
        cond = Product.price_vnd >= low
        if high is not None:
            cond = sa.and_(cond, Product.price_vnd < high)
        whens.append((cond, key))
    return sa.case(*whens, else_="other")


def filter_conditions(query: SearchQuery) -> dict[str, sa.ColumnElement[bool]]:
    """One SQL condition per filter, keyed by facet name (text and price range too)."""
    conds: dict[str, sa.ColumnElement[bool]] = {}
    for i, token in enumerate(query_tokens(query.text)):
        conds[f"text{i}"] = Product.search_text.like(f"%{_like_escape(token)}%", escape="\\")
    if query.categories:
        conds["category"] = Product.category_id.in_(cq.category_descendant_ids(query.categories))
    if query.areas:
        conds["area"] = Product.area_id.in_(area_descendant_ids(query.areas))
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
    return conds


def area_descendant_ids(slugs: Iterable[str]) -> list[int]:
    """Ids of the named areas and all their descendants (the area list is small)."""
    wanted = set(slugs)
    rows = db.session.execute(sa.select(Area.id, Area.parent_id, Area.slug)).all()
    children: dict[int | None, list[int]] = {}
    for aid, parent, _ in rows:
        children.setdefault(parent, []).append(aid)
    stack = [aid for aid, _, slug in rows if slug in wanted]
    result: set[int] = set()
    while stack:
        aid = stack.pop()
        if aid in result:
            continue
        result.add(aid)
        stack.extend(children.get(aid, []))
    return sorted(result)


def _relevance_columns(tokens: list[str]) -> list[sa.ColumnElement[int]]:
    """Text-match ranks for the database (higher first), from ``search_text``, which
    starts with the folded name: the name starts with the query; the name holds the
    whole query; the name holds every word; the whole query appears anywhere."""
    if not tokens:
        return []
    phrase = _like_escape(" ".join(tokens))
    # fold() does not lengthen Vietnamese text: the first len(name) characters cover the name.
    name_part = sa.func.substr(Product.search_text, 1, sa.func.length(Product.name))

    def flag(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.case((cond, 1), else_=0)

    return [
        flag(Product.search_text.like(f"{phrase}%", escape="\\")),
        flag(name_part.like(f"%{phrase}%", escape="\\")),
        flag(sa.and_(*(name_part.like(f"%{_like_escape(t)}%", escape="\\") for t in tokens))),
        flag(Product.search_text.like(f"%{phrase}%", escape="\\")),
    ]


def _relevance(tokens: list[str]) -> list:
    return [col.desc() for col in _relevance_columns(tokens)]


def _ordering(sort: str, tokens: list[str] | None = None) -> list:
    if sort == "price_asc":
        return [Product.price_vnd.asc(), Product.id.asc()]
    if sort == "price_desc":
        return [Product.price_vnd.desc(), Product.id.desc()]
    if sort == "newest":
        # NULLs sort differently on SQLite and PostgreSQL: put them last on both.
        return [Product.published_at.desc().nulls_last(), Product.id.desc()]
    if sort == "popular":
        return [Product.view_count.desc(), Product.id.desc()]
    return [*_relevance(tokens or []), Product.featured.desc(), Product.view_count.desc(), Product.id.desc()]


def _base(conds: Iterable[sa.ColumnElement[bool]]) -> sa.Select:
    return cq.public_product_ids().where(*conds)


# Filters that are also facets: applied in Python on the one-pass rows (see search()).
FACET_FILTERS = ("category", "area", "ocop_stars", "rural_industry", "price_band")
# Above this many candidate rows, counting in SQL beats loading them.
MAX_ROWS_IN_MEMORY = 20_000


class _Row(NamedTuple):
    id: int
    category_id: int
    area_id: int | None
    price: int
    stars: int | None  # of a valid certificate only
    rural_id: int | None
    featured: bool
    views: int
    published: datetime | None
    starts: int  # the _relevance_columns, in order
    name_phrase: int
    name_words: int
    contains: int


def _price_band_of(price: int) -> str | None:
    for key, low, high in PRICE_BANDS:
        if price >= low and (high is None or price < high):
            return key
    return None


def _sort_key(sort: str) -> Callable[[_Row], tuple]:
    """Python twin of _ordering (same keys, same tie-breakers)."""
    if sort == "price_asc":
        return lambda r: (r.price, r.id)
    if sort == "price_desc":
        return lambda r: (-r.price, -r.id)
    if sort == "newest":
        return lambda r: (r.published is None, -(r.published.timestamp() if r.published else 0), -r.id)
    if sort == "popular":
        return lambda r: (-(r.views or 0), -r.id)
    return lambda r: (
        -r.starts, -r.name_phrase, -r.name_words, -r.contains, -int(bool(r.featured)), -(r.views or 0), -r.id
    )


def _tree(model) -> tuple[dict[int, int | None], dict[int, str]]:
    rows = db.session.execute(sa.select(model.id, model.parent_id, model.slug)).all()
    return {i: parent for i, parent, _ in rows}, {i: slug for i, _, slug in rows}


class DatabaseSearch(SearchBackend):
    """Search over the folded ``search_text`` column of any database.

    One query loads the candidate rows (visibility, text, seller and price-range
    conditions in SQL) with the few columns facets and sorts need; the facet filters,
    the disjunctive facet counts, the order and the page are then computed in Python.
    That is one scan of ``search_text`` instead of one per facet (≈8). Above
    MAX_ROWS_IN_MEMORY candidates the same result is computed with SQL counting.
    """

    name = "database"
    needs_indexing = False  # the database is its own index

    def search(self, query: SearchQuery, *, degraded: bool = False) -> SearchResult:
        conds = filter_conditions(query)
        rows = self._candidate_rows(query, conds)
        if rows is None:
            total, ids, facets = self._search_sql(query, conds)
        else:
            total, ids, facets = self._search_rows(query, rows)
        return SearchResult(
            ids=ids,
            total=total,
            page=query.page,
            per_page=query.per_page,
            facets=facets,
            degraded=degraded,
            backend=self.name,
        )

    # --- one pass -----------------------------------------------------------------

    def _candidate_rows(self, query: SearchQuery, conds: dict) -> list[_Row] | None:
        tokens = query_tokens(query.text)
        if tokens and query.sort == "relevance":
            ranks = _relevance_columns(tokens)
        else:
            ranks = [sa.literal(0)] * 4
        # Only what the chosen sort reads: datetime parsing of every row is costly.
        published = Product.published_at if query.sort == "newest" else sa.null()
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
        # Core execution: plain tuples, no ORM row processing.
        rows = [_Row(*row) for row in db.session.connection().execute(stmt)]
        return None if len(rows) > MAX_ROWS_IN_MEMORY else rows

    def _predicates(self, query: SearchQuery) -> dict[str, Callable[[_Row], bool]]:
        preds: dict[str, Callable[[_Row], bool]] = {}
        if query.categories:
            cat_ids = frozenset(cq.category_descendant_ids(query.categories))
            preds["category"] = lambda r: r.category_id in cat_ids
        if query.areas:
            area_ids = frozenset(area_descendant_ids(query.areas))
            preds["area"] = lambda r: r.area_id in area_ids
        if query.ocop_stars:
            stars = frozenset(query.ocop_stars)
            preds["ocop_stars"] = lambda r: r.stars in stars
        if query.rural_industry is not None:
            wanted = bool(query.rural_industry)
            preds["rural_industry"] = lambda r: (r.rural_id is not None) is wanted
        if query.price_bands:
            bands = frozenset(query.price_bands)
            preds["price_band"] = lambda r: _price_band_of(r.price) in bands
        return preds

    def _search_rows(self, query: SearchQuery, rows: list[_Row]) -> tuple[int, list[int], dict]:
        preds = self._predicates(query)
        matched: list[_Row] = []
        # Rows failing exactly one facet filter still count in that facet (disjunctive).
        near: dict[str, list[_Row]] = {name: [] for name in FACET_FILTERS}
        for row in rows:
            failed = [name for name, pred in preds.items() if not pred(row)]
            if not failed:
                matched.append(row)
            elif len(failed) == 1:
                near[failed[0]].append(row)
        first = heapq.nsmallest(query.offset + query.per_page, matched, key=_sort_key(query.sort))
        ids = [r.id for r in first[query.offset :]]
        facets = self._facets_from_rows(matched, near) if query.with_facets else {}
        return len(matched), ids, facets

    def _facets_from_rows(self, matched: list[_Row], near: dict[str, list[_Row]]) -> dict[str, dict[str, int]]:
        def pool(name: str) -> Iterable[_Row]:
            return itertools.chain(matched, near[name])

        cat_parent, cat_slug = _tree(Category)
        area_parent, area_slug = _tree(Area)
        category = rolled_up(Counter(r.category_id for r in pool("category")), cat_parent, cat_slug)
        area = rolled_up(
            Counter(r.area_id for r in pool("area") if r.area_id is not None), area_parent, area_slug
        )
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
            band = _price_band_of(r.price)
            if band is not None:
                bands[band] += 1
        return {"category": category, "area": area, "ocop_stars": stars, "rural_industry": rural, "price_band": bands}

    # --- SQL counting (large candidate sets) ----------------------------------------

    def _search_sql(self, query: SearchQuery, conds: dict) -> tuple[int, list[int], dict]:
        stmt = _base(conds.values())
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
        ids = list(
            db.session.scalars(
                stmt.order_by(*_ordering(query.sort, query_tokens(query.text)))
                .limit(query.per_page)
                .offset(query.offset)
            )
        )
        facets = self.facets(conds) if query.with_facets else {}
        return total, ids, facets

    def facets(self, conds: dict[str, sa.ColumnElement[bool]]) -> dict[str, dict[str, int]]:
        """Disjunctive counts: each facet counted with every other filter applied."""

        def others(name: str) -> list[sa.ColumnElement[bool]]:
            return [c for key, c in conds.items() if key != name]

        def grouped(name: str, key_col, *joins) -> dict[str, int]:
            sub = _base(others(name)).subquery()
            stmt = sa.select(key_col, sa.func.count()).select_from(Product).join(sub, sub.c.id == Product.id)
            for target, on in joins:
                stmt = stmt.join(target, on)
            return {str(k): n for k, n in db.session.execute(stmt.group_by(key_col)).all() if k is not None}

        leaf = grouped("category", Category.slug, (Category, Category.id == Product.category_id))
        category = self._roll_up(Category, leaf)
        area = self._roll_up(Area, grouped("area", Area.slug, (Area, Area.id == Product.area_id)))
        stars_sub = _base(others("ocop_stars")).subquery()
        stars_stmt = (
            sa.select(OcopCertification.stars, sa.func.count())
            .join(stars_sub, stars_sub.c.id == OcopCertification.product_id)
            .where(cq.valid_certificate_condition())
            .group_by(OcopCertification.stars)
        )
        stars = {str(s): 0 for s in (3, 4, 5)}
        stars.update({str(s): n for s, n in db.session.execute(stars_stmt).all()})
        rural_sub = _base(others("rural_industry")).subquery()
        rural_total = db.session.scalar(sa.select(sa.func.count()).select_from(rural_sub)) or 0
        rural_yes = (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RuralIndustryRecognition)
                .join(rural_sub, rural_sub.c.id == RuralIndustryRecognition.product_id)
            )
            or 0
        )
        band_col = _price_band_case().label("band")
        bands = {key: 0 for key, _, _ in PRICE_BANDS}
        bands.update(grouped("price_band", band_col))
        bands.pop("other", None)
        return {
            "category": category,
            "area": area,
            "ocop_stars": stars,
            "rural_industry": {"true": rural_yes, "false": rural_total - rural_yes},
            "price_band": bands,
        }

    @staticmethod
    def _roll_up(model, leaf: dict[str, int]) -> dict[str, int]:
        """Add each count to the row's ancestors too (Category or Area tree)."""
        if not leaf:
            return {}
        rows = db.session.execute(sa.select(model.id, model.parent_id, model.slug)).all()
        by_id = {cid: (parent, slug) for cid, parent, slug in rows}
        slug_to_id = {slug: cid for cid, _, slug in rows}
        total: dict[str, int] = {}
        for slug, n in leaf.items():
            cid: int | None = slug_to_id.get(slug)
            seen: set[int] = set()
            while cid is not None and cid not in seen:
                seen.add(cid)
                parent, s = by_id[cid]
                total[s] = total.get(s, 0) + n
                cid = parent
        return total

    # Kept for callers of the old name.
    @classmethod
    def _roll_up_categories(cls, leaf: dict[str, int]) -> dict[str, int]:
        return cls._roll_up(Category, leaf)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        tokens = query_tokens(prefix)
        if not tokens or len("".join(tokens)) < 2:
            return []
        conds = [Product.search_text.like(f"%{_like_escape(t)}%", escape="\\") for t in tokens]
        stmt = (
            sa.select(Product.name, Product.slug)
            .join(Seller, Product.seller_id == Seller.id)
            .where(cq.public_condition(), *conds)
            .order_by(*_relevance(tokens), Product.view_count.desc(), Product.id.desc())
            .limit(limit)
        )
        return [Suggestion(text=name, slug=slug) for name, slug in db.session.execute(stmt).all()]

    # The database is its own index: nothing to maintain.
    def index_products(self, product_ids: Iterable[int]) -> None:
        return None

    def delete_products(self, product_ids: Iterable[int]) -> None:
        return None

    def rebuild(self, progress=None) -> int:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(_base([]).subquery())) or 0
        if progress:
            progress(count)
        return count

    def health(self) -> Health:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(_base([]).subquery())) or 0
        return Health(backend=self.name, ok=True, documents=count)
