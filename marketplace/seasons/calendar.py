"""The harvest calendar: which public products are in season in a month, by category,
with their sellers, and what comes into season in the months after.

Read by the public page /mua-vu (seasons.views), the API (``GET /api/v1/calendar``) and
the alerts job. The rule is ``months.in_season`` (its SQL twin ``season_mask_clause``):
a seasonal product whose months include the month; year-round products are left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..catalog import generation
from ..catalog.models import Category, Product
from ..catalog.queries import public_condition
from ..extensions import db
from ..sellers.models import Seller
from .months import ALL_MONTHS_MASK, month_bit, next_months, season_mask_clause

AHEAD = 3  # months after the chosen one the page previews
PER_CATEGORY = 12  # product cards per category on the page (the listing link has them all)


@dataclass
class CategoryMonth:
    category_id: int
    slug: str
    name: str
    name_en: str
    product_ids: list[int] = field(default_factory=list)
    total: int = 0
    sellers: list[tuple[str, str]] = field(default_factory=list)  # (slug, name), distinct, in order


@dataclass
class MonthView:
    month: int
    categories: list[CategoryMonth]

    @property
    def total(self) -> int:
        return sum(c.total for c in self.categories)


@dataclass
class Upcoming:
    """A month after the chosen one: products coming into season (not in season the
    month before), per category name."""

    month: int
    starting: int
    by_category: list[tuple[str, str, int]]  # (slug, name, count)


def _in_season_rows(month: int):
    stmt = (
        sa.select(Product.id, Product.season_mask, Category.id, Category.slug, Category.name, Category.name_en,
                  Seller.slug, Seller.name)
        .join(Seller, Product.seller_id == Seller.id)
        .join(Category, Product.category_id == Category.id)
        .where(public_condition(), season_mask_clause(Product.season_mask, month))
        .order_by(Category.position, Category.name, Product.view_count.desc(), Product.id)
    )
    return db.session.execute(stmt).all()


def month_view(month: int, *, per_category: int = PER_CATEGORY) -> MonthView:
    """Products in season in ``month`` grouped by category (most viewed first)."""
    # The page shows which public products are in season: any visible change of a public
    # product (its months included) or a product entering or leaving the public catalog.
    generation.depends("lall", "members")
    by_category: dict[int, CategoryMonth] = {}
    for pid, _mask, cid, cslug, cname, cname_en, sslug, sname in _in_season_rows(month):
        group = by_category.get(cid)
        if group is None:
            group = by_category[cid] = CategoryMonth(cid, cslug, cname, cname_en or "")
        group.total += 1
        if len(group.product_ids) < per_category:
            group.product_ids.append(pid)
        if (sslug, sname) not in group.sellers:
            group.sellers.append((sslug, sname))
    return MonthView(month, list(by_category.values()))


def upcoming(month: int, ahead: int = AHEAD) -> list[Upcoming]:
    """For each of the ``ahead`` months after ``month``: products whose season starts then."""
    generation.depends("lall", "members")
    out = []
    for current in next_months(month % 12 + 1, ahead):
        previous = 12 if current == 1 else current - 1
        stmt = (
            sa.select(Category.slug, Category.name, sa.func.count(Product.id))
            .join(Seller, Product.seller_id == Seller.id)
            .join(Category, Product.category_id == Category.id)
            .where(public_condition(), season_mask_clause(Product.season_mask, current),
                   Product.season_mask.op("&")(month_bit(previous)) == 0)
            .group_by(Category.slug, Category.name, Category.position)
            .order_by(Category.position, Category.name)
        )
        rows = [(slug, name, int(n)) for slug, name, n in db.session.execute(stmt)]
        out.append(Upcoming(current, sum(n for _s, _n, n in rows), rows))
    return out


def in_season_counts() -> dict[int, int]:
    """Public seasonal products per month (1–12), for the month picker."""
    generation.depends("lall", "members")
    masks = db.session.execute(
        sa.select(Product.season_mask, sa.func.count())
        .join(Seller, Product.seller_id == Seller.id)
        .where(public_condition(), Product.season_mask.is_not(None), Product.season_mask != ALL_MONTHS_MASK)
        .group_by(Product.season_mask)
    ).all()
    counts = {m: 0 for m in range(1, 13)}
    for mask, n in masks:
        for m in range(1, 13):
            if mask & month_bit(m):
                counts[m] += int(n)
    return counts
