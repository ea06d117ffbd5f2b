"""Read side of collections. Functions return unexecuted ``Select`` objects where callers
paginate; ``showcase`` loads what the home and category pages show in a few queries.

The one activity rule lives here (and in ``Collection.state`` for a loaded row):
published, started (``starts_at <= now``) and not ended (``now < ends_at``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog import queries as cq
from ..catalog.models import Product
from ..extensions import db
from ..sellers.models import Seller
from ..text import utcnow
from .models import Collection, CollectionItem

SHOWCASE_PRODUCTS = 8  # cards per home/category row
HERO_PRODUCTS = 4


def active_condition(now: datetime | None = None) -> sa.ColumnElement[bool]:
    now = now or utcnow()
    return sa.and_(
        Collection.published.is_(True),
        sa.or_(Collection.starts_at.is_(None), Collection.starts_at <= now),
        sa.or_(Collection.ends_at.is_(None), Collection.ends_at > now),
    )


def ordered(stmt: sa.Select) -> sa.Select:
    return stmt.order_by(Collection.position, Collection.id)


def active_collections(placement: str | None = None, *, category_id: int | None = None,
                       now: datetime | None = None) -> sa.Select:
    stmt = sa.select(Collection).where(active_condition(now))
    if placement is not None:
        stmt = stmt.where(Collection.placement == placement)
    if category_id is not None:
        stmt = stmt.where(Collection.category_id == category_id)
    return ordered(stmt).options(selectinload(Collection.category))


def collection_by_slug(slug: str) -> Collection | None:
    return db.session.scalars(
        sa.select(Collection).where(Collection.slug == slug).options(selectinload(Collection.category))
    ).first()


def active_by_slug(slug: str, now: datetime | None = None) -> Collection | None:
    return db.session.scalars(active_collections(now=now).where(Collection.slug == slug)).first()


def public_item_products(collection_id: int) -> sa.Select:
    """The collection's publicly visible products, in the curated order (card data loaded)."""
    return cq.with_card_data(
        sa.select(Product)
        .join(CollectionItem, CollectionItem.product_id == Product.id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(CollectionItem.collection_id == collection_id, cq.public_condition())
        .order_by(CollectionItem.position, CollectionItem.id)
    )


def public_item_counts(collection_ids: list[int]) -> dict[int, int]:
    if not collection_ids:
        return {}
    stmt = (
        sa.select(CollectionItem.collection_id, sa.func.count())
        .join(Product, Product.id == CollectionItem.product_id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(CollectionItem.collection_id.in_(collection_ids), cq.public_condition())
        .group_by(CollectionItem.collection_id)
    )
    return {cid: n for cid, n in db.session.execute(stmt).all()}


@dataclass
class Showcase:
    """One active collection as a page block: its first public products and their count."""

    collection: Collection
    products: list[Product]
    total: int


def _first_public_products(ids: list[int], limit: int) -> dict[int, list[Product]]:
    """The first ``limit`` public products of each collection, in the curated order."""
    rank = sa.func.row_number().over(
        partition_by=CollectionItem.collection_id, order_by=(CollectionItem.position, CollectionItem.id)
    ).label("rank")
    inner = (
        sa.select(CollectionItem.collection_id, CollectionItem.product_id, rank)
        .join(Product, Product.id == CollectionItem.product_id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(CollectionItem.collection_id.in_(ids), cq.public_condition())
        .subquery()
    )
    rows = db.session.execute(
        sa.select(inner.c.collection_id, inner.c.product_id).where(inner.c.rank <= limit)
        .order_by(inner.c.collection_id, inner.c.rank)
    ).all()
    by_id = {p.id: p for p in cq.products_by_ids(list(dict.fromkeys(pid for _, pid in rows)))}
    out: dict[int, list[Product]] = {}
    for cid, pid in rows:
        if pid in by_id:
            out.setdefault(cid, []).append(by_id[pid])
    return out


def _showcase(collections: list[Collection], limits: dict[str, int]) -> list[Showcase]:
    """Each collection with its first public products (one query for the items, one for
    the cards, one for the counts). A collection without any public product is left out."""
    if not collections:
        return []
    ids = [c.id for c in collections]
    first = _first_public_products(ids, max(limits.values()))
    counts = public_item_counts(ids)
    return [
        Showcase(c, first[c.id][: limits[c.placement]], counts.get(c.id, 0))
        for c in collections
        if first.get(c.id)
    ]


def showcase(placement: str, *, category_id: int | None = None, limit: int = SHOWCASE_PRODUCTS,
             now: datetime | None = None) -> list[Showcase]:
    """Active collections of one placement in order, as page blocks."""
    collections = list(db.session.scalars(active_collections(placement, category_id=category_id, now=now)))
    return _showcase(collections, {placement: limit})


def home_showcase(now: datetime | None = None) -> dict[str, list[Showcase]]:
    """The home page's hero banners and collection rows (one query when there are none)."""
    collections = list(db.session.scalars(
        active_collections(now=now).where(Collection.placement.in_(("home_hero", "home_row")))
    ))
    blocks = _showcase(collections, {"home_hero": HERO_PRODUCTS, "home_row": SHOWCASE_PRODUCTS})
    return {
        "hero_collections": [b for b in blocks if b.collection.placement == "home_hero"],
        "row_collections": [b for b in blocks if b.collection.placement == "home_row"],
    }


# --- staff -----------------------------------------------------------------------------


def staff_collections() -> sa.Select:
    """Every collection, grouped by placement, in display order."""
    return (
        sa.select(Collection)
        .options(selectinload(Collection.category))
        .order_by(Collection.placement, Collection.position, Collection.id)
    )


def item_counts(collection_ids: list[int]) -> dict[int, int]:
    if not collection_ids:
        return {}
    stmt = (
        sa.select(CollectionItem.collection_id, sa.func.count())
        .where(CollectionItem.collection_id.in_(collection_ids))
        .group_by(CollectionItem.collection_id)
    )
    return {cid: n for cid, n in db.session.execute(stmt).all()}


def staff_items(collection_id: int) -> sa.Select:
    """Every item (public or not) with its product, for the staff editor."""
    return (
        sa.select(CollectionItem)
        .where(CollectionItem.collection_id == collection_id)
        .options(
            selectinload(CollectionItem.product).selectinload(Product.seller),
            selectinload(CollectionItem.product).selectinload(Product.photos),
        )
        .order_by(CollectionItem.position, CollectionItem.id)
    )


def catalogue_products(collection_id: int) -> list[Product]:
    """The printable catalogue: the public products in the curated order."""
    return list(db.session.scalars(public_item_products(collection_id)))
