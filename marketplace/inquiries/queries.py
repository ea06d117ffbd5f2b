"""Read-side queries for inquiries. Functions return unexecuted ``Select`` objects
where callers may paginate or refine them."""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog.models import Product
from ..catalog.queries import public_products
from ..extensions import db
from ..sellers.models import Seller
from .models import INQUIRY_STATUSES, Inquiry, InquiryItem


def _with_details(stmt: sa.Select) -> sa.Select:
    return stmt.options(
        selectinload(Inquiry.items).selectinload(InquiryItem.product),
        selectinload(Inquiry.seller),
        selectinload(Inquiry.status_changes),
    )


def inbox(seller: Seller, status: str | None = None) -> sa.Select:
    """The seller's inquiries, newest first, optionally of one status."""
    stmt = _with_details(sa.select(Inquiry).where(Inquiry.seller_id == seller.id))
    if status in INQUIRY_STATUSES:
        stmt = stmt.where(Inquiry.status == status)
    return stmt.order_by(Inquiry.created_at.desc(), Inquiry.id.desc())


def status_counts(seller: Seller) -> dict[str, int]:
    """``{"new": n, "contacted": n, "closed": n, "all": n}`` for the seller."""
    rows = db.session.execute(
        sa.select(Inquiry.status, sa.func.count()).where(Inquiry.seller_id == seller.id).group_by(Inquiry.status)
    ).all()
    counts = dict.fromkeys(INQUIRY_STATUSES, 0)
    counts.update({status: n for status, n in rows})
    counts["all"] = sum(counts[s] for s in INQUIRY_STATUSES)
    return counts


def count_new(seller: Seller) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Inquiry).where(Inquiry.seller_id == seller.id, Inquiry.status == "new")
    ) or 0


def owned_inquiry(seller: Seller, inquiry_id: int) -> sa.Select:
    return _with_details(sa.select(Inquiry).where(Inquiry.id == inquiry_id, Inquiry.seller_id == seller.id))


def inquiries_by_reference(reference: str) -> sa.Select:
    return _with_details(sa.select(Inquiry).where(Inquiry.reference == reference)).order_by(Inquiry.id)


def public_products_by_ids(ids: Sequence[int]) -> list[Product]:
    """Public products among ``ids``, in the given order (others silently left out)."""
    if not ids:
        return []
    rows = db.session.scalars(
        public_products().where(Product.id.in_(list(ids))).options(selectinload(Product.seller))
    ).all()
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in ids if i in by_id]
