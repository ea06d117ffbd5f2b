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

import re
from collections.abc import Iterable

import sqlalchemy as sa

from ..catalog import queries as cq
from ..catalog.models import Area, Category, OcopCertification, Product, RuralIndustryRecognition
from ..extensions import db
from ..sellers.models import Seller
from ..text import fold
from .base import (
    MAX_QUERY_CHARS,
    MAX_TOKENS,
    PRICE_BANDS,
    Health,
    SearchBackend,
    SearchQuery,
    SearchResult,
    Suggestion,
)

_TOKEN = re.compile(r"\w+")


def query_tokens(text: str | None) -> list[str]:
    """Folded word tokens of a user query, at most MAX_TOKENS.

    ``\\w`` keeps letters, digits and ``_`` (escaped before it reaches LIKE); anything
    else (punctuation, ``%``, control characters, NUL) only separates tokens.
    """
    if not text:
        return []
    return _TOKEN.findall(fold(text[:MAX_QUERY_CHARS]))[:MAX_TOKENS]


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


def _relevance(tokens: list[str]) -> list:
    """Text-match rank for the database: the folded name is the start of search_text."""
    if not tokens:
        return []
    phrase = _like_escape(" ".join(tokens))
    starts = sa.case((Product.search_text.like(f"{phrase}%", escape="\\"), 1), else_=0)
    contains = sa.case((Product.search_text.like(f"%{phrase}%", escape="\\"), 1), else_=0)
    return [starts.desc(), contains.desc()]


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


class DatabaseSearch(SearchBackend):
    name = "database"
    needs_indexing = False  # the database is its own index

    def search(self, query: SearchQuery, *, degraded: bool = False) -> SearchResult:
        conds = filter_conditions(query)
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
        return SearchResult(
            ids=ids,
            total=total,
            page=query.page,
            per_page=query.per_page,
            facets=facets,
            degraded=degraded,
            backend=self.name,
        )

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
            .order_by(Product.view_count.desc(), Product.id.desc())
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
