"""Read-side queries for the catalog. Functions return unexecuted ``Select`` objects
where callers may paginate or refine them.

The visibility rule lives here, once: a product is public when it is published and
its seller is approved.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..sellers.models import Seller
from ..text import today_vn
from .models import Area, Category, OcopCertification, Product, RuralIndustryRecognition


def public_condition() -> sa.ColumnElement[bool]:
    """SQL condition for "visible to buyers" (needs Seller joined)."""
    return sa.and_(Product.status == "published", Seller.status == "approved")


def public_products() -> sa.Select:
    return sa.select(Product).join(Seller, Product.seller_id == Seller.id).where(public_condition())


def public_product_ids() -> sa.Select:
    return sa.select(Product.id).join(Seller, Product.seller_id == Seller.id).where(public_condition())


def valid_certificate_condition(on: date | None = None) -> sa.ColumnElement[bool]:
    """SQL twin of OcopCertification.is_valid (needs OcopCertification joined)."""
    on = on or today_vn()
    return sa.and_(
        OcopCertification.stars.in_((3, 4, 5)),
        OcopCertification.verified_at.is_not(None),
        OcopCertification.issued_on <= on,
        OcopCertification.expires_on >= on,
    )


def with_card_data(stmt: sa.Select) -> sa.Select:
    """Eager-load what a product card shows."""
    return stmt.options(
        selectinload(Product.seller),
        selectinload(Product.category),
        selectinload(Product.area),
        selectinload(Product.photos),
        selectinload(Product.certification),
        selectinload(Product.rural_industry),
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


def get_public_seller(slug: str) -> Seller | None:
    return db.session.scalars(
        sa.select(Seller).where(Seller.slug == slug, Seller.status == "approved")
    ).first()


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalars(sa.select(Category).where(Category.slug == slug)).first()


def area_by_slug(slug: str) -> Area | None:
    return db.session.scalars(sa.select(Area).where(Area.slug == slug)).first()


def category_descendant_ids(slugs: Sequence[str]) -> list[int]:
    """Ids of the named categories and all their descendants (the tree is small)."""
    rows = db.session.execute(sa.select(Category.id, Category.parent_id, Category.slug)).all()
    children: dict[int | None, list[int]] = {}
    for cid, parent, _ in rows:
        children.setdefault(parent, []).append(cid)
    found = [cid for cid, _, slug in rows if slug in set(slugs)]
    result: list[int] = []
    stack = list(found)
    while stack:
        cid = stack.pop()
        result.append(cid)
        stack.extend(children.get(cid, []))
    return result


def root_categories() -> sa.Select:
    return sa.select(Category).where(Category.parent_id.is_(None)).order_by(Category.position, Category.name)


def all_categories() -> sa.Select:
    return sa.select(Category).order_by(Category.position, Category.name)


def current_areas() -> sa.Select:
    return sa.select(Area).where(Area.is_current.is_(True), Area.kind != "province").order_by(Area.name)


def has_rural_industry() -> sa.Exists:
    return sa.exists().where(RuralIndustryRecognition.product_id == Product.id)
