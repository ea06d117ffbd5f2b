"""The database search's SQL engine, for candidate sets too large to load
(``rows.MAX_ROWS_IN_MEMORY``): the total, the page and every disjunctive facet count
computed by the database."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ...certifications import queries as cert_queries
from ...certifications.models import KINDS as CERT_KINDS

from ...catalog import queries as cq
from ...catalog.models import Area, Category, OcopCertification, Product, RuralIndustryRecognition
from ...extensions import db
from ..base import PRICE_BANDS, SearchQuery
from .filters import price_band_case
from .terms import Term, relevance


def ordering(sort: str, terms: list[Term] | None = None) -> list:
    if sort == "price_asc":
        return [Product.price_vnd.asc(), Product.id.asc()]
    if sort == "price_desc":
        return [Product.price_vnd.desc(), Product.id.desc()]
    if sort == "newest":
        # NULLs sort differently on SQLite and PostgreSQL: put them last on both.
        return [Product.published_at.desc().nulls_last(), Product.id.desc()]
    if sort == "popular":
        return [Product.view_count.desc(), Product.id.desc()]
    return [
        *relevance(terms or []),
        Product.featured.desc(),
        Product.view_count.desc(),
        Product.published_at.desc().nulls_last(),
        Product.id.desc(),
    ]


def base(conds: Iterable[sa.ColumnElement[bool]]) -> sa.Select:
    return cq.public_product_ids().where(*conds)


def search_sql(query: SearchQuery, conds: dict, terms: list[Term]) -> tuple[int, list[int], dict]:
    stmt = base(conds.values())
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    ids = list(
        db.session.scalars(
            stmt.order_by(*ordering(query.sort, terms))
            .limit(query.per_page)
            .offset(query.offset)
        )
    )
    facets = facet_counts(conds) if query.with_facets else {}
    return total, ids, facets

def facet_counts(conds: dict[str, sa.ColumnElement[bool]]) -> dict[str, dict[str, int]]:
    """Disjunctive counts: each facet counted with every other filter applied."""

    def others(name: str) -> list[sa.ColumnElement[bool]]:
        return [c for key, c in conds.items() if key != name]

    def grouped(name: str, key_col, *joins) -> dict[str, int]:
        sub = base(others(name)).subquery()
        stmt = sa.select(key_col, sa.func.count()).select_from(Product).join(sub, sub.c.id == Product.id)
        for target, on in joins:
            stmt = stmt.join(target, on)
        return {str(k): n for k, n in db.session.execute(stmt.group_by(key_col)).all() if k is not None}

    leaf = grouped("category", Category.slug, (Category, Category.id == Product.category_id))
    category = roll_up(Category, leaf)
    area = roll_up(Area, grouped("area", Area.slug, (Area, Area.id == Product.area_id)))
    stars_sub = base(others("ocop_stars")).subquery()
    stars_stmt = (
        sa.select(OcopCertification.stars, sa.func.count())
        .join(stars_sub, stars_sub.c.id == OcopCertification.product_id)
        .where(cq.valid_certificate_condition())
        .group_by(OcopCertification.stars)
    )
    stars = {str(s): 0 for s in (3, 4, 5)}
    stars.update({str(s): n for s, n in db.session.execute(stars_stmt).all()})
    rural_sub = base(others("rural_industry")).subquery()
    rural_total = db.session.scalar(sa.select(sa.func.count()).select_from(rural_sub)) or 0
    rural_yes = (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RuralIndustryRecognition)
            .join(rural_sub, rural_sub.c.id == RuralIndustryRecognition.product_id)
        )
        or 0
    )
    band_col = price_band_case().label("band")
    bands = {key: 0 for key, _, _ in PRICE_BANDS}
    bands.update(grouped("price_band", band_col))
    bands.pop("other", None)
    cert_sub = base(others("cert")).subquery()
    pairs = cert_queries.valid_pairs().subquery()
    certs = {kind: 0 for kind in CERT_KINDS}
    certs.update({kind: n for kind, n in db.session.execute(
        sa.select(pairs.c.kind, sa.func.count()).join(cert_sub, cert_sub.c.id == pairs.c.product_id)
        .group_by(pairs.c.kind)).all()})
    return {
        "cert": certs,
        "category": category,
        "area": area,
        "ocop_stars": stars,
        "rural_industry": {"true": rural_yes, "false": rural_total - rural_yes},
        "price_band": bands,
    }

def roll_up(model, leaf: dict[str, int]) -> dict[str, int]:
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
