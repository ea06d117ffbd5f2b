"""Read-side queries for the catalog. Functions return unexecuted ``Select`` objects
where callers may paginate or refine them.

The visibility rule lives here, once: a product is public when it is published and
its seller is approved.

Statements every buyer page runs are built once per process (``functools.cache``) with
bound parameters for what changes (today's date, a slug, ids): building a ``Select`` and
its cache key costs more than running it on SQLite. Only the statement is kept, never a
result.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..sellers.models import Seller
from ..text import today_vn
from . import generation
from .models import Area, AreaAlias, Category, OcopCertification, Product, RuralIndustryRecognition
from .trees import area_tree, category_tree


def public_condition() -> sa.ColumnElement[bool]:
    """SQL condition for "visible to buyers" (needs Seller joined)."""
    return sa.and_(Product.status == "published", Seller.status == "approved")


def public_products() -> sa.Select:
    return sa.select(Product).join(Seller, Product.seller_id == Seller.id).where(public_condition())


def public_product_ids() -> sa.Select:
    return sa.select(Product.id).join(Seller, Product.seller_id == Seller.id).where(public_condition())


# The day certificates are checked against, in statements built once (``TODAY_PARAM``).
TODAY_PARAM = "today"


def today_param() -> sa.BindParameter:
    return sa.bindparam(TODAY_PARAM, type_=sa.Date)


def valid_certificate_condition(on: date | sa.BindParameter | None = None) -> sa.ColumnElement[bool]:
    """SQL twin of OcopCertification.is_valid (needs OcopCertification joined); ``on``
    may be ``today_param()`` in a statement built once."""
    on = today_vn() if on is None else on
    return sa.and_(
        OcopCertification.stars.in_((3, 4, 5)),
        OcopCertification.verified_at.is_not(None),
        OcopCertification.issued_on <= on,
        OcopCertification.expires_on >= on,
    )


def with_card_data(stmt: sa.Select) -> sa.Select:
    """Eager-load what a product card shows: the to-one rows joined into the same
    statement (one query instead of one per relationship), the photos in one more."""
    return stmt.options(
        joinedload(Product.seller, innerjoin=True),
        joinedload(Product.category, innerjoin=True),
        joinedload(Product.area),
        joinedload(Product.certification),
        joinedload(Product.rural_industry),
        selectinload(Product.photos),
    )


def products_by_ids(ids: Sequence[int]) -> list[Product]:
    """Load products in the given (ranked) order, skipping ids that vanished."""
    if not ids:
        return []
    rows = db.session.scalars(with_card_data(sa.select(Product).where(Product.id.in_(ids)))).all()
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in ids if i in by_id]


def get_public_product(slug: str) -> Product | None:
    stmt = with_card_data(public_products().where(Product.slug == slug))
    return db.session.scalars(stmt).first()


@functools.cache
def _public_seller() -> sa.Select:
    return (sa.select(Seller).where(Seller.slug == sa.bindparam("slug"), Seller.status == "approved")
            .options(joinedload(Seller.area)))


def get_public_seller(slug: str) -> Seller | None:
    seller = db.session.scalars(_public_seller(), {"slug": slug}).first()
    if seller is not None:
        generation.depends(f"s:{seller.id}", f"ls:{seller.id}")  # its profile and its products
    return seller


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalars(sa.select(Category).where(Category.slug == slug)).first()


def area_by_slug(slug: str) -> Area | None:
    return db.session.scalars(sa.select(Area).where(Area.slug == slug)).first()


def category_descendant_ids(slugs: Sequence[str]) -> list[int]:
    """Ids of the named categories and all their descendants (the tree is small)."""
    return category_tree().descendant_ids(slugs)


def root_categories() -> sa.Select:
    return sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.position, Category.name)


def all_categories() -> sa.Select:
    return sa.select(Category).order_by(Category.position, Category.name)


def current_areas() -> sa.Select:
    return sa.select(Area).where(Area.is_current.is_(True), Area.kind != "province").order_by(Area.name)


def has_rural_industry() -> sa.Exists:
    return sa.exists().where(RuralIndustryRecognition.product_id == Product.id)


# --- Buyer pages (home, product detail, sitemap) ---------------------------------------


@functools.cache
def _public_product_detail() -> sa.Select:
    return public_products().where(Product.slug == sa.bindparam("slug")).options(
        joinedload(Product.seller, innerjoin=True).joinedload(Seller.area),
        joinedload(Product.category, innerjoin=True).joinedload(Category.parent),
        joinedload(Product.area),
        joinedload(Product.certification),
        joinedload(Product.rural_industry),
        # Joined too (a row per photo; a product has a few): a second SELECT … IN for
        # them cost more than the whole joined statement (~1 ms of a ~10 ms page).
        joinedload(Product.photos),
    )


def public_product_detail(slug: str) -> Product | None:
    """A public product with everything its page shows (seller's area, category parent)."""
    product = db.session.scalars(_public_product_detail(), {"slug": slug}).unique().first()
    if product is not None:
        generation.depends(f"p:{product.id}", f"s:{product.seller_id}")
    return product


def related_ranked(limit: int) -> sa.Subquery:
    """(id, rank, view_count) of the related products of the parameters ``product_id``,
    ``category_id`` and ``seller_id``: the same category's most viewed first, then the
    seller's other categories'. Two branches of ``limit`` rows each, so each reads an index
    in its order and stops (``ix_products_category_status_views``,
    ``ix_products_seller_status_category_area``), instead of sorting every public product
    of the category (1,168 rows for the demo's largest). Ordered by ``related_order``
    over both, it is ``ORDER BY category_id = :c DESC, view_count DESC, id DESC``."""
    def branch(rank: int, condition: sa.ColumnElement[bool]) -> sa.Subquery:
        return (
            public_product_ids()
            .add_columns(sa.literal(rank).label("rank"), Product.view_count)
            .where(Product.id != sa.bindparam("product_id"), condition)
            .order_by(Product.view_count.desc(), Product.id.desc())
            .limit(limit)
            .subquery()
        )

    category = sa.bindparam("category_id")
    same = branch(0, Product.category_id == category)
    other = branch(1, sa.and_(Product.seller_id == sa.bindparam("seller_id"), Product.category_id != category))
    return sa.union_all(*(sa.select(b.c.id, b.c.rank, b.c.view_count) for b in (same, other))).subquery()


def related_order(ranked: sa.Subquery) -> tuple:
    return ranked.c.rank, ranked.c.view_count.desc(), ranked.c.id.desc()


def related_params(product: Product) -> dict:
    """The parameters of ``related_ranked`` for ``product``; the page depends on its
    category's and seller's members and on popularity."""
    generation.depends(f"mc:{product.category_id}", f"ms:{product.seller_id}", "pop")
    return {"product_id": product.id, "category_id": product.category_id, "seller_id": product.seller_id}


@functools.cache
def _related_product_ids(limit: int) -> sa.Select:
    ranked = related_ranked(limit)
    return sa.select(ranked.c.id).order_by(*related_order(ranked)).limit(limit)


def related_product_ids(product: Product, limit: int = 4) -> list[int]:
    """Other public products of the same category (then same seller), most viewed first
    (the product page loads their cards at once: ``cards.related_cards``)."""
    return list(db.session.scalars(_related_product_ids(limit), related_params(product)))


@functools.cache
def _ocop_highlights(stars: int, limit: int) -> sa.Select:
    return (
        public_product_ids()
        .join(OcopCertification, OcopCertification.product_id == Product.id)
        .where(valid_certificate_condition(today_param()), OcopCertification.stars == stars)
        .order_by(Product.featured.desc(), Product.view_count.desc(), Product.id.desc())
        .limit(limit)
    )


def ocop_highlight_ids(stars: int, limit: int = 8) -> list[int]:
    """Ids of public products holding a valid OCOP certificate with this many stars."""
    generation.depends("members", "pop")
    return list(db.session.scalars(_ocop_highlights(stars, limit), {TODAY_PARAM: today_vn()}))


@functools.cache
def _newest_public(limit: int) -> sa.Select:
    # published_at IS NOT NULL: the same order on every database, and the index serves it.
    return (
        public_product_ids()
        .where(Product.published_at.is_not(None))
        .order_by(Product.published_at.desc(), Product.id.desc())
        .limit(limit)
    )


def newest_public_ids(limit: int = 8) -> list[int]:
    """Ids of the newest public products."""
    generation.depends("members")
    return list(db.session.scalars(_newest_public(limit)))


@functools.cache
def _ocop_star_counts() -> sa.Select:
    return (
        sa.select(OcopCertification.stars, sa.func.count())
        .join(Product, Product.id == OcopCertification.product_id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(public_condition(), valid_certificate_condition(today_param()))
        .group_by(OcopCertification.stars)
    )


def ocop_star_counts() -> dict[int, int]:
    """Number of public products per valid OCOP star level."""
    rows = db.session.execute(_ocop_star_counts(), {TODAY_PARAM: today_vn()}).all()
    return {int(stars): n for stars, n in rows}


@functools.cache
def _public_count_grid() -> sa.Select:
    return (
        sa.select(Product.category_id, Product.area_id, Product.seller_id, sa.func.count())
        .join(Seller, Product.seller_id == Seller.id)
        .where(public_condition())
        # Seller first: the order of ix_products_seller_status_category_area.
        .group_by(Product.seller_id, Product.category_id, Product.area_id)
    )


def public_count_grid() -> list[tuple[int, int | None, int, int]]:
    """(category id, area id, seller id, public products) in one scan: the home page's
    figures (products per category and area, sellers with a public product)."""
    return [(c, a, s, n) for c, a, s, n in db.session.execute(_public_count_grid()).all()]


def public_counts_by_category(grid: list[tuple[int, int | None, int, int]] | None = None) -> dict[int, int]:
    """Public products per category id, rolled up to every ancestor."""
    leaf: dict[int, int] = {}
    for cid, _aid, _sid, n in grid if grid is not None else public_count_grid():
        leaf[cid] = leaf.get(cid, 0) + n
    parents = {c.id: c.parent_id for c in category_tree().all}
    total: dict[int, int] = {}
    for cid, n in leaf.items():
        seen: set[int] = set()
        node: int | None = cid
        while node is not None and node not in seen:
            seen.add(node)
            total[node] = total.get(node, 0) + n
            node = parents.get(node)
    return total


def public_counts_by_area(grid: list[tuple[int, int | None, int, int]] | None = None) -> dict[int, int]:
    """Public products per area id (an area's own products plus its children's)."""
    leaf: dict[int, int] = {}
    for _cid, aid, _sid, n in grid if grid is not None else public_count_grid():
        if aid is not None:
            leaf[aid] = leaf.get(aid, 0) + n
    parents = {a.id: a.parent_id for a in area_tree().all}
    total: dict[int, int] = {}
    for aid, n in leaf.items():
        total[aid] = total.get(aid, 0) + n
        parent = parents.get(aid)
        if parent is not None:
            total[parent] = total.get(parent, 0) + n
    return total


def areas_by_ids(ids: Sequence[int]) -> list[Area]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Area).where(Area.id.in_(list(ids))).order_by(Area.name)))


def former_area_names(area_id: int) -> list[str]:
    """The former names of an area (abolished districts, merged communes)."""
    return list(db.session.scalars(
        sa.select(AreaAlias.name).where(AreaAlias.area_id == area_id).order_by(AreaAlias.id)
    ))


def sitemap_products() -> sa.Select:
    """(slug, last change) of every public product."""
    return (
        sa.select(Product.slug, Product.updated_at)
        .join(Seller, Product.seller_id == Seller.id)
        .where(public_condition())
        .order_by(Product.id)
    )


def sitemap_sellers() -> sa.Select:
    """(slug, last change) of approved sellers with at least one public product."""
    has_public = (
        sa.exists()
        .where(Product.seller_id == Seller.id, Product.status == "published")
    )
    return (
        sa.select(Seller.slug, Seller.updated_at)
        .where(Seller.status == "approved", has_public)
        .order_by(Seller.id)
    )


def public_product_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(public_product_ids().subquery())) or 0


def pending_revision_product_ids(product_ids: Sequence[int]) -> set[int]:
    """Which of these products have a change waiting for review."""
    from .models import ProductRevision

    if not product_ids:
        return set()
    return set(db.session.scalars(
        sa.select(ProductRevision.product_id)
        .where(ProductRevision.product_id.in_(list(product_ids)), ProductRevision.status == "pending")))


def latest_revision(product: Product):
    """The product's newest revision (pending, or the last decision), or None."""
    from .models import ProductRevision

    return db.session.scalars(
        sa.select(ProductRevision).where(ProductRevision.product_id == product.id)
        .order_by(ProductRevision.created_at.desc(), ProductRevision.id.desc())
    ).first()


def revision_changes(revision) -> list[dict]:
    """Side-by-side rows of a revision: field, public (approved) value, proposed value;
    categories by name."""
    product = revision.product
    rows = []
    for field in ("name", "category_id", "description"):
        if field not in revision.fields:
            continue
        current, proposed = getattr(product, field), revision.fields[field]
        if field == "category_id":
            current_cat = db.session.get(Category, current) if current else None
            proposed_cat = db.session.get(Category, proposed) if proposed else None
            current = current_cat.name if current_cat else ""
            proposed = proposed_cat.name if proposed_cat else ""
        rows.append({"field": field, "current": current or "", "proposed": proposed or ""})
    return rows


def category_choices() -> list[tuple[int, str]]:
    """(id, "Parent › Child") for every category, tree order."""
    rows = db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)).all()
    children: dict[int | None, list[Category]] = {}
    for c in rows:
        children.setdefault(c.parent_id, []).append(c)
    known = {c.id for c in rows}
    out: list[tuple[int, str]] = []

    def walk(parent_id: int | None, prefix: str) -> None:
        for c in children.get(parent_id, []):
            label = f"{prefix}{c.name}"
            out.append((c.id, label))
            walk(c.id, label + " › ")

    walk(None, "")
    # Orphans (parent missing) still selectable.
    for parent_id, items in children.items():
        if parent_id is not None and parent_id not in known:
            for c in items:
                out.append((c.id, c.name))
    return out


def area_choices() -> list[tuple[int, str]]:
    return [(a.id, a.name) for a in db.session.scalars(current_areas())]
