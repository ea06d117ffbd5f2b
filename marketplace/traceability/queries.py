"""Reads for lots. Public means: the lot is not hidden and its product is public
(published, seller approved). Public reads note their page-cache scopes."""
from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..catalog import generation
from ..catalog.models import Product
from ..catalog.queries import public_condition
from ..extensions import db
from ..sellers.models import Seller
from .models import Lot

OTHER_LOTS = 12
LATEST_LOTS = 5


def public_lots() -> sa.Select:
    return (
        sa.select(Lot)
        .join(Product, Lot.product_id == Product.id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(Lot.status == "published", public_condition())
    )


def _note(lot: Lot) -> None:
    generation.depends(f"p:{lot.product_id}", f"s:{lot.product.seller_id}", f"lp:{lot.product_id}")


def public_lot(code: str) -> Lot | None:
    """A public lot by code with what its scan page shows; None otherwise."""
    lot = db.session.scalars(
        public_lots()
        .where(Lot.code == code)
        .options(
            joinedload(Lot.product).joinedload(Product.seller).joinedload(Seller.area),
            joinedload(Lot.product).joinedload(Product.area),
            joinedload(Lot.product).joinedload(Product.certification),
            joinedload(Lot.product).joinedload(Product.rural_industry),
            selectinload(Lot.revisions),
        )
    ).unique().first()
    if lot is not None:
        _note(lot)
    return lot


def lot_certifications(lot: Lot) -> list:
    """Every certification applying to the lot (the product's, the seller-wide ones, the
    ones the lot links), each with its state; the page depends on each."""
    from ..certifications.queries import for_lot

    certs = for_lot(lot.id, lot.product)
    generation.depends(*(f"cert:{c.id}" for c in certs))
    return certs


def public_lot_by_gtin(gtin: str, code: str) -> Lot | None:
    """The public lot ``code`` of the public product carrying ``gtin``."""
    return db.session.scalars(public_lots().where(Product.gtin == gtin, Lot.code == code)).first()


def public_product_by_gtin(gtin: str) -> Product | None:
    return db.session.scalars(
        sa.select(Product).join(Seller, Product.seller_id == Seller.id).where(Product.gtin == gtin, public_condition())
    ).first()


def product_lots(product_id: int, *, exclude_id: int | None = None, limit: int = OTHER_LOTS) -> list[Lot]:
    """A product's public lots, newest harvest first (the product itself is public)."""
    generation.depends(f"lp:{product_id}")
    params = {"product_id": product_id, "exclude_id": -1 if exclude_id is None else exclude_id, "limit": limit}
    return list(db.session.scalars(_product_lots(), params))


@functools.cache
def _product_lots() -> sa.Select:
    """Built once: every product page asks."""
    return (
        sa.select(Lot)
        .where(Lot.product_id == sa.bindparam("product_id"), Lot.status == "published",
               Lot.id != sa.bindparam("exclude_id"))
        .order_by(Lot.harvested_on.desc(), Lot.id.desc())
        .limit(sa.bindparam("limit"))
    )


def seller_lots(seller_id: int) -> sa.Select:
    """Every lot of a seller (hidden ones too), newest harvest first (the dashboard)."""
    return (
        sa.select(Lot)
        .where(Lot.seller_id == seller_id)
        .options(joinedload(Lot.product))
        .order_by(Lot.harvested_on.desc(), Lot.id.desc())
    )


def lot_scan_counts(lot_ids: list[int]) -> dict[int, int]:
    """All-time counted scans (views of the scan page) per lot."""
    from ..analytics.models import TotalCount

    if not lot_ids:
        return {}
    rows = db.session.execute(
        sa.select(TotalCount.object_id, TotalCount.views).where(TotalCount.kind == "lot",
                                                               TotalCount.object_id.in_(lot_ids))
    )
    return {oid: int(views or 0) for oid, views in rows}


def latest_public_lots(product_ids: list[int], limit: int = LATEST_LOTS) -> dict[int, list[Lot]]:
    """The newest ``limit`` public lots of each product (the products are public), in one
    statement (a window over each product's lots, newest harvest first)."""
    if not product_ids:
        return {}
    rank = sa.func.row_number().over(partition_by=Lot.product_id,
                                     order_by=(Lot.harvested_on.desc(), Lot.id.desc())).label("rank")
    ranked = (sa.select(Lot.id, rank).where(Lot.product_id.in_(product_ids), Lot.status == "published")
              .subquery())
    rows = db.session.scalars(
        sa.select(Lot).join(ranked, ranked.c.id == Lot.id).where(ranked.c.rank <= limit)
        .order_by(Lot.product_id, Lot.harvested_on.desc(), Lot.id.desc())
    ).all()
    found: dict[int, list[Lot]] = {pid: [] for pid in product_ids}
    for lot in rows:
        found[lot.product_id].append(lot)
    return found
