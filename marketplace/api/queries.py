"""Read helpers of the API: counts over public products only (catalog.queries rule)."""
from __future__ import annotations

import sqlalchemy as sa

from ..catalog import queries as cq
from ..catalog.models import Area, Category, Product
from ..extensions import db
from ..sellers.models import Seller


def public_count_by(column) -> dict[int, int]:
    """Public products per value of ``column`` (a Product column such as category_id)."""
    sub = cq.public_product_ids().subquery()
    stmt = (
        sa.select(column, sa.func.count())
        .select_from(Product)
        .join(sub, sub.c.id == Product.id)
        .where(column.is_not(None))
        .group_by(column)
    )
    return {key: n for key, n in db.session.execute(stmt).all()}


def seller_public_product_count(seller_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(
        cq.public_product_ids().where(Product.seller_id == seller_id).subquery()
    )
    return db.session.scalar(stmt) or 0


def roll_up(rows: list[tuple[int, int | None]], own: dict[int, int]) -> dict[int, int]:
    """Counts including every descendant: each row's own count added to its ancestors."""
    parent_of = dict(rows)
    total = {rid: 0 for rid, _ in rows}
    for rid, n in own.items():
        seen: set[int] = set()
        node: int | None = rid
        while node is not None and node in parent_of and node not in seen:
            seen.add(node)
            total[node] += n
            node = parent_of[node]
    return total


def categories_with_counts() -> tuple[list[Category], dict[int, int]]:
    categories = list(db.session.scalars(cq.all_categories()))
    own = public_count_by(Product.category_id)
    return categories, roll_up([(c.id, c.parent_id) for c in categories], own)


def areas_with_counts() -> tuple[list[Area], dict[int, int]]:
    from sqlalchemy.orm import selectinload

    areas = list(
        db.session.scalars(
            sa.select(Area).options(selectinload(Area.aliases), selectinload(Area.parent)).order_by(Area.name, Area.id)
        )
    )
    own = public_count_by(Product.area_id)
    return areas, roll_up([(a.id, a.parent_id) for a in areas], own)


def get_public_seller(slug: str) -> Seller | None:
    return cq.get_public_seller(slug)
