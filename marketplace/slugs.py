"""Unique slugs for any table with a ``slug`` column (products, sellers), below the
features: ``text.slugify`` makes the slug, this finds the first one no row has."""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from .extensions import db
from .text import slugify


def slug_candidates(base: str, start: int = 1) -> Iterator[str]:
    """``base`` slugified, then with -2, -3… appended (from ``-start`` when start > 1)."""
    root = slugify(base) or "san-pham"
    if start <= 1:
        yield root
    n = max(start, 2)
    while True:
        yield f"{root[: 80 - len(str(n)) - 1]}-{n}"
        n += 1


def unique_slug(model, base: str, *, exclude_id: int | None = None, taken: set[str] | None = None) -> str:
    """``base`` slugified, with -2, -3… appended until no row (or ``taken``) has it."""
    for candidate in slug_candidates(base):
        stmt = sa.select(model.id).where(model.slug == candidate)
        if exclude_id is not None:
            stmt = stmt.where(model.id != exclude_id)
        if (taken is None or candidate not in taken) and db.session.scalar(stmt) is None:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover
