"""Reads of the staff workspace: the queues and their counts (Select objects)."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog.models import OcopCertification, Product, ProductRevision
from ..extensions import db
from ..sellers.models import Seller
from ..text import fold

EXPIRY_WINDOW_DAYS = 90
SELLER_QUEUES = ("pending", "rejected", "approved", "suspended")
PRODUCT_QUEUES = ("pending", "published", "rejected", "draft", "archived")
CERT_QUEUES = ("unverified", "expiring", "expired", "rejected", "verified")


def _like(text: str) -> list[str]:
    return [t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for t in fold(text[:200]).split()[:8]]


def sellers_queue(queue: str = "pending", text: str = "") -> sa.Select:
    """``pending`` waits for a decision; ``rejected`` is pending with a refusal the
    seller has not answered yet; the others are the status of that name."""
    stmt = sa.select(Seller)
    if queue == "pending":
        stmt = stmt.where(Seller.status == "pending", Seller.rejected_at.is_(None))
    elif queue == "rejected":
        stmt = stmt.where(Seller.status == "pending", Seller.rejected_at.is_not(None))
    else:
        stmt = stmt.where(Seller.status == queue)
    for token in _like(text):
        stmt = stmt.where(Seller.slug.like(f"%{token.replace(' ', '-')}%", escape="\\"))
    order = Seller.created_at.asc() if queue == "pending" else Seller.updated_at.desc()
    return stmt.options(selectinload(Seller.area)).order_by(order, Seller.id)


def products_queue(status: str = "pending", text: str = "", seller_id: int | None = None) -> sa.Select:
    """Products of one status, the oldest change first for ``pending`` (fair queue)."""
    stmt = (sa.select(Product).where(Product.status == status)
            .options(selectinload(Product.seller), selectinload(Product.category), selectinload(Product.photos)))
    if seller_id is not None:
        stmt = stmt.where(Product.seller_id == seller_id)
    for token in _like(text):
        stmt = stmt.where(Product.search_text.like(f"%{token}%", escape="\\"))
    order = Product.updated_at.asc() if status == "pending" else Product.updated_at.desc()
    return stmt.order_by(order, Product.id)


def revisions_queue(status: str = "pending") -> sa.Select:
    return (sa.select(ProductRevision).where(ProductRevision.status == status)
            .options(selectinload(ProductRevision.product).selectinload(Product.seller))
            .order_by(ProductRevision.updated_at.asc() if status == "pending" else ProductRevision.decided_at.desc(),
                      ProductRevision.id))


def certificates_queue(queue: str, today: date) -> sa.Select:
    """``unverified``: waiting for staff (not rejected); ``expiring``: verified, expiring
    within 90 days (today included); ``expired``: past their expiry; ``rejected``;
    ``verified``: verified and valid. Dates are Vietnamese dates."""
    C = OcopCertification  # every kind: the OCOP ones name their product
    unexpired = sa.or_(C.expires_on.is_(None), C.expires_on >= today)  # a GI never expires
    stmt = sa.select(C).options(selectinload(C.product).selectinload(Product.seller), selectinload(C.seller))
    if queue == "unverified":
        stmt = stmt.where(C.verified_at.is_(None), C.rejected_at.is_(None), unexpired)
        order = C.id.asc()
    elif queue == "expiring":
        stmt = stmt.where(C.verified_at.is_not(None), C.expires_on >= today,
                          C.expires_on <= today + timedelta(days=EXPIRY_WINDOW_DAYS))
        order = C.expires_on.asc()
    elif queue == "expired":
        stmt = stmt.where(C.expires_on < today)
        order = C.expires_on.desc()
    elif queue == "rejected":
        stmt = stmt.where(C.rejected_at.is_not(None), C.verified_at.is_(None))
        order = C.rejected_at.desc()
    else:
        stmt = stmt.where(C.verified_at.is_not(None), unexpired)
        order = C.expires_on.asc().nulls_last()
    return stmt.order_by(order, C.id)


def count(stmt: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0


def todo_counts(today: date) -> dict[str, int]:
    """What awaits staff, for the home page: every queue counted in one statement."""
    queues = {
        "sellers": sellers_queue("pending"),
        "products": products_queue("pending"),
        "revisions": revisions_queue("pending"),
        "unverified": certificates_queue("unverified", today),
        "expiring": certificates_queue("expiring", today),
        "expired": certificates_queue("expired", today),
    }
    counts = [
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()).scalar_subquery().label(name)
        for name, stmt in queues.items()
    ]
    row = db.session.execute(sa.select(*counts)).one()
    return {name: int(value or 0) for name, value in row._mapping.items()}
