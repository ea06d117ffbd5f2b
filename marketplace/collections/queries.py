"""Read side of collections. Functions return unexecuted ``Select`` objects where callers
paginate; ``showcase`` loads what the home and category pages show in a few queries.

The one activity rule lives here (and in ``Collection.state`` for a loaded row):
published, started (``starts_at <= now``) and not ended (``now < ends_at``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog import generation
from ..catalog import queries as cq
from ..catalog.cards import Card, cards_by_ids
from ..catalog.models import Product
from ..extensions import db
from ..sellers.models import Seller
from ..text import utcnow
from .models import Collection, CollectionItem, aware_utc

SHOWCASE_PRODUCTS = 8  # cards per home/category row
HERO_PRODUCTS = 4


def active_condition(now: datetime | sa.BindParameter | None = None) -> sa.ColumnElement[bool]:
    now = utcnow() if now is None else now
    return sa.and_(
        Collection.published.is_(True),
        sa.or_(Collection.starts_at.is_(None), Collection.starts_at <= now),
        sa.or_(Collection.ends_at.is_(None), Collection.ends_at > now),
    )


def ordered(stmt: sa.Select) -> sa.Select:
    return stmt.order_by(Collection.position, Collection.id)


def active_collections(placement: str | None = None, *, category_id: int | None = None,
                       now: datetime | sa.BindParameter | None = None) -> sa.Select:
    stmt = sa.select(Collection).where(active_condition(now))
    if placement is not None:
        stmt = stmt.where(Collection.placement == placement)
    if category_id is not None:
        stmt = stmt.where(Collection.category_id == category_id)
    return ordered(stmt).options(selectinload(Collection.category))


def collection_by_slug(slug: str) -> Collection | None:
    collection = db.session.scalars(
        sa.select(Collection).where(Collection.slug == slug).options(selectinload(Collection.category))
    ).first()
    if collection is not None:
        generation.depends(f"coll:{collection.id}", "members")  # its page: items and their count
    return collection


def active_by_slug(slug: str, now: datetime | None = None) -> Collection | None:
    return db.session.scalars(active_collections(now=now).where(Collection.slug == slug)).first()


def _public_items(collection_id: int, *columns) -> sa.Select:
    return (
        sa.select(*columns)
        .join(CollectionItem, CollectionItem.product_id == Product.id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(CollectionItem.collection_id == collection_id, cq.public_condition())
        .order_by(CollectionItem.position, CollectionItem.id)
    )


def public_item_products(collection_id: int) -> sa.Select:
    """The collection's publicly visible products, in the curated order (card data loaded)."""
    return cq.with_card_data(_public_items(collection_id, Product))


def public_item_ids(collection_id: int) -> sa.Select:
    """Ids of the collection's publicly visible products, in the curated order."""
    return _public_items(collection_id, Product.id)


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
    """One active collection as a page block: its first public products (cards) and
    their count."""

    collection: Collection
    product_ids: list[int]
    total: int
    products: list[Card] = field(default_factory=list)


@functools.cache
def _first_public_rows(limit: int) -> sa.Select:
    order = (CollectionItem.position, CollectionItem.id)
    rank = sa.func.row_number().over(partition_by=CollectionItem.collection_id, order_by=order).label("rank")
    total = sa.func.count().over(partition_by=CollectionItem.collection_id).label("total")
    inner = (
        sa.select(CollectionItem.collection_id, CollectionItem.product_id, rank, total)
        .join(Product, Product.id == CollectionItem.product_id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(CollectionItem.collection_id.in_(sa.bindparam("ids", expanding=True)), cq.public_condition())
        .subquery()
    )
    return (
        sa.select(inner.c.collection_id, inner.c.product_id, inner.c.total).where(inner.c.rank <= limit)
        .order_by(inner.c.collection_id, inner.c.rank)
    )


def _first_public_ids(ids: list[int], limit: int) -> tuple[dict[int, list[int]], dict[int, int]]:
    """The ids of the first ``limit`` public products of each collection, in the curated
    order, and the number of public products of each (one statement, built once)."""
    first: dict[int, list[int]] = {}
    totals: dict[int, int] = {}
    for cid, pid, n in db.session.execute(_first_public_rows(limit), {"ids": ids}):
        first.setdefault(cid, []).append(pid)
        totals[cid] = int(n)
    return first, totals


def _showcase(collections: list[Collection], limits: dict[str, int]) -> list[Showcase]:
    """Each collection with the ids of its first public products and their count; a
    collection without any public product is left out. ``with_cards`` fills the cards.
    The page depends on which collections are shown, on each, and on which products are
    public (the counts include items beyond the first ones)."""
    generation.depends("colls")
    if not collections:
        return []
    generation.depends("members", *(f"coll:{c.id}" for c in collections))
    first, totals = _first_public_ids([c.id for c in collections], max(limits.values()))
    return [
        Showcase(c, first[c.id][: limits[c.placement]], totals[c.id])
        for c in collections
        if first.get(c.id)
    ]


def showcase_ids(blocks: list[Showcase]) -> list[int]:
    return [pid for block in blocks for pid in block.product_ids]


def with_cards(blocks: list[Showcase], cards: dict[int, Card] | None = None) -> list[Showcase]:
    """The blocks with their cards (from ``cards``, else loaded in one statement); a
    block whose products all went out of view is left out."""
    if cards is None:
        cards = {card.id: card for card in cards_by_ids(showcase_ids(blocks))}
    for block in blocks:
        block.products = [cards[pid] for pid in block.product_ids if pid in cards]
    return [block for block in blocks if block.products]


def showcase(placement: str, *, category_id: int | None = None, limit: int = SHOWCASE_PRODUCTS,
             now: datetime | None = None) -> list[Showcase]:
    """Active collections of one placement in order, as page blocks with their cards."""
    collections = list(db.session.scalars(active_collections(placement, category_id=category_id, now=now)))
    return with_cards(_showcase(collections, {placement: limit}))


@functools.cache
def _home_collections() -> sa.Select:
    return active_collections(now=sa.bindparam("now", type_=Collection.starts_at.type)).where(
        Collection.placement.in_(("home_hero", "home_row"))
    )


def home_showcase(now: datetime | None = None) -> list[Showcase]:
    """The home page's hero banners and collection rows, without their cards (the home
    page loads every card it shows in one statement; see ``with_cards``)."""
    collections = list(db.session.scalars(_home_collections(), {"now": now or utcnow()}))
    return _showcase(collections, {"home_hero": HERO_PRODUCTS, "home_row": SHOWCASE_PRODUCTS})


def split_home_showcase(blocks: list[Showcase]) -> dict[str, list[Showcase]]:
    return {
        "hero_collections": [b for b in blocks if b.collection.placement == "home_hero"],
        "row_collections": [b for b in blocks if b.collection.placement == "home_row"],
    }


def next_boundary(session=None, now: datetime | None = None) -> datetime | None:  # noqa: ANN001
    """The next moment a scheduled collection starts or ends (pages that show collections
    change then without any write), or None. One statement."""
    now = now or utcnow()
    moments = sa.union_all(
        sa.select(Collection.starts_at.label("at")).where(Collection.starts_at > now),
        sa.select(Collection.ends_at.label("at")).where(Collection.ends_at > now),
    ).subquery()
    moment = (session or db.session).scalar(sa.select(sa.func.min(moments.c.at)))
    return aware_utc(moment) if moment is not None else None


class CollectionShowcase:
    """The catalog's showcase provider (``catalog.showcase``): active collections on the
    home page and on category pages."""

    def home(self) -> list[Showcase]:
        return home_showcase()

    def card_ids(self, blocks: list[Showcase]) -> list[int]:
        return showcase_ids(blocks)

    def home_context(self, blocks: list[Showcase], cards: dict[int, Card]) -> dict[str, list[Showcase]]:
        return split_home_showcase(with_cards(blocks, cards))

    def category(self, category_id: int) -> list[Showcase]:
        return showcase("category", category_id=category_id)

    def next_boundary(self, session, now: datetime) -> datetime | None:  # noqa: ANN001
        return next_boundary(session, now)


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
