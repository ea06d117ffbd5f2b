"""Reads for the seller dashboard: always scoped to one seller."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog.models import PRODUCT_STATUSES, Product
from ..extensions import db
from ..sellers.models import Seller
from ..text import fold


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def own_products(seller: Seller, status: str | None = None, text: str = "") -> sa.Select:
    """The seller's products, newest change first; ``text`` matches folded name/code/…"""
    stmt = (
        sa.select(Product)
        .where(Product.seller_id == seller.id)
        .options(selectinload(Product.category), selectinload(Product.photos),
                 selectinload(Product.certification))
        .order_by(Product.updated_at.desc(), Product.id.desc())
    )
    if status in PRODUCT_STATUSES:
        stmt = stmt.where(Product.status == status)
    for token in fold(text[:200]).split()[:10]:
        stmt = stmt.where(Product.search_text.like(f"%{_like_escape(token)}%", escape="\\"))
    return stmt


def status_counts(seller: Seller) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Product.status, sa.func.count()).where(Product.seller_id == seller.id).group_by(Product.status)
    ).all()
    counts = {status: 0 for status in PRODUCT_STATUSES}
    counts.update({status: n for status, n in rows})
    return counts
