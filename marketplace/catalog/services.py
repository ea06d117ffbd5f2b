"""Write-side rules for the catalog. Services flush, never commit; callers commit once."""
from __future__ import annotations

import calendar
from datetime import date

import sqlalchemy as sa

from ..extensions import db
from ..text import fold, slugify
from .models import Product

CERTIFICATE_MONTHS = 36


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (29/02 → 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certificate_expiry(issued_on: date) -> date:
    """An OCOP certificate is valid for 36 months from its decision date."""
    return add_months(issued_on, CERTIFICATE_MONTHS)


def build_search_text(product: Product) -> str:
    """Folded text the database search matches against (name first)."""
    parts = [product.name, product.code or "", product.unit]
    if product.category is not None:
        parts.append(product.category.name)
    if product.seller is not None:
        parts.append(product.seller.name)
    if product.area is not None:
        parts.append(product.area.name)
        parts.extend(alias.name for alias in product.area.aliases)
    parts.append(product.description)
    return fold(" ".join(p for p in parts if p))


def unique_slug(model, base: str, *, exclude_id: int | None = None, taken: set[str] | None = None) -> str:
    """``base`` slugified, with -2, -3… appended until no row (or ``taken``) has it."""
    root = slugify(base) or "san-pham"
    candidate, n = root, 1
    while True:
        stmt = sa.select(model.id).where(model.slug == candidate)
        if exclude_id is not None:
            stmt = stmt.where(model.id != exclude_id)
        if (taken is None or candidate not in taken) and db.session.scalar(stmt) is None:
            return candidate
        n += 1
        candidate = f"{root[: 80 - len(str(n)) - 1]}-{n}"
