"""One search document shape, used by every backend (FTS5, Meilisearch).

``product_to_document(product)`` turns a Product (with its seller, category, area,
certificate and rural-industry mark loaded or lazily loadable) into a plain dict of
JSON-safe values. Backends that keep non-public products out of their index check
``doc["is_public"]``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog.models import Area, Category, Product
from ..extensions import db
from ..text import fold
from .base import PRICE_BANDS


def price_band(price_vnd: int) -> str:
    """Key of the PRICE_BANDS entry the price falls in."""
    for key, low, high in PRICE_BANDS:
        if price_vnd >= low and (high is None or price_vnd < high):
            return key
    return PRICE_BANDS[-1][0]


def _timestamp(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite returns naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _category_chain(category: Category | None) -> list[Category]:
    """The category and its ancestors, leaf first."""
    chain: list[Category] = []
    seen: set[int] = set()
    while category is not None and category.id not in seen:
        seen.add(category.id)
        chain.append(category)
        category = category.parent
    return chain


def _area_chain(area: Area | None) -> list[Area]:
    chain: list[Area] = []
    seen: set[int] = set()
    while area is not None and area.id not in seen:
        seen.add(area.id)
        chain.append(area)
        area = area.parent
    return chain


def product_to_document(product: Product) -> dict:
    """The search document of one product.

    Keys:
      id, slug, name, name_folded, description,
      category_id, area_id | None, seller_id (database ids, for engines that filter on them),
      category {slug, name}, category_slugs [leaf + every ancestor], category_names,
      area {slug, name} | None, area_slugs [area + ancestors], area_aliases [former names],
      seller {slug, name, kind},
      ocop_stars 3|4|5 (valid certificate only) | None,
      ocop_expires_on ISO date of that certificate's expiry | None,
      rural_industry bool, rural_industry_level str | None,
      price_vnd int, price_band key, published_at unix seconds | None,
      view_count int, featured bool, is_public bool,
      season_months [1–12] — the months the product is *in season* (seasonal products
      only: [] when year-round or not stated; marketplace.seasons.in_season)
    """
    categories = _category_chain(product.category)
    areas = _area_chain(product.area)
    area = product.area
    seller = product.seller
    cert = product.valid_certification
    rural = product.rural_industry
    return {
        "id": product.id,
        "slug": product.slug,
        "name": product.name,
        "name_folded": fold(product.name),
        "description": product.description or "",
        "category_id": product.category_id,
        "area_id": product.area_id,
        "seller_id": product.seller_id,
        "category": {"slug": categories[0].slug, "name": categories[0].name} if categories else None,
        "category_slugs": [c.slug for c in categories],
        "category_names": [c.name for c in categories],
        "area": {"slug": area.slug, "name": area.name} if area is not None else None,
        "area_slugs": [a.slug for a in areas],
        "area_aliases": [alias.name for alias in area.aliases] if area is not None else [],
        "seller": {"slug": seller.slug, "name": seller.name, "kind": seller.kind},
        "ocop_stars": cert.stars if cert is not None else None,
        "ocop_expires_on": cert.expires_on.isoformat() if cert is not None else None,
        "rural_industry": rural is not None,
        "rural_industry_level": rural.level if rural is not None else None,
        "price_vnd": int(product.price_vnd),
        "price_band": price_band(int(product.price_vnd)),
        "published_at": _timestamp(product.published_at),
        "view_count": int(product.view_count or 0),
        "featured": bool(product.featured),
        "is_public": bool(product.status == "published" and seller.status == "approved"),
        "season_months": season_months(product),
    }


def season_months(product: Product) -> list[int]:
    """The months ``season=<month>`` finds the product in (the engines' shared rule)."""
    from ..seasons import is_year_round, months_of

    return [] if is_year_round(product.season_mask) else months_of(product)


def load_products_for_documents(product_ids: Iterable[int], session=None) -> list[Product]:
    """Products with everything a document needs, in one round trip per relation."""
    session = session if session is not None else db.session
    ids = sorted(set(int(i) for i in product_ids))
    if not ids:
        return []
    stmt = (
        sa.select(Product)
        .where(Product.id.in_(ids))
        .options(
            selectinload(Product.seller),
            selectinload(Product.category).selectinload(Category.parent),
            selectinload(Product.area).selectinload(Area.aliases),
            selectinload(Product.area).selectinload(Area.parent),
            selectinload(Product.certification),
            selectinload(Product.rural_industry),
        )
    )
    return list(session.scalars(stmt))


def documents_for(product_ids: Sequence[int], session=None) -> list[dict]:
    """Documents for the given ids (missing ids are skipped)."""
    return [product_to_document(p) for p in load_products_for_documents(product_ids, session)]
