"""Reads about certifications, for every feature that shows or picks one.

The functions other features build on:

* ``seller_certifications(seller_id)``: a seller's own certifications, every kind
  (the lot form's "certificates that apply" picker; the seller's certificate page);
* ``for_product(product)`` / ``for_lot(lot_id, product)``: the certifications that
  apply to a product (its OCOP certificate, the seller-wide ones, the ones listing it)
  or to one production lot (those plus the ones the lot links in
  ``lot_certifications``), each a ``Certification`` whose ``state``
  (verified | expired | rejected | pending), ``is_valid()`` and ``expires_on`` say
  whether a buyer may trust it today (Vietnamese date);
* ``badges(product_ids)``: the kinds a buyer sees as badges on many product cards at
  once (verified and valid only);
* ``valid_condition`` / ``applies_to_product``: the SQL rules, for the searches.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..text import today_vn
from .models import CERTIFIED_STARS, KINDS, OCOP, Certification, CertificationProduct

C = Certification
CP = CertificationProduct
# Owned by the lots feature (its migration creates it); named here without a model so
# this module does not depend on that feature.
lot_certifications = sa.table("lot_certifications", sa.column("lot_id"), sa.column("certification_id"))
_KIND_ORDER = sa.case({kind: i for i, kind in enumerate(KINDS)}, value=C.kind)


def valid_condition(on: date | sa.BindParameter | None = None, cert=C) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """SQL twin of ``Certification.is_valid``: verified, issued, not expired on ``on``
    (a Vietnamese date; today by default), and 3–5★ for OCOP. ``cert``: an alias of
    ``Certification`` to test instead."""
    on = on if on is not None else today_vn()
    return sa.and_(
        cert.verified_at.is_not(None),
        cert.issued_on <= on,
        sa.or_(cert.expires_on.is_(None), cert.expires_on >= on),
        sa.or_(cert.kind != OCOP, cert.stars.in_(CERTIFIED_STARS)),
    )


def _on_param() -> sa.BindParameter:
    """The day (``on``) of the statements built once here."""
    return sa.bindparam("on", type_=sa.Date())


def valid_kind_columns(product, on: sa.BindParameter) -> tuple[sa.ScalarSelect, sa.ScalarSelect, sa.ScalarSelect]:  # noqa: ANN001
    """Three columns for a statement over ``product`` (``Product`` or an alias of it), each
    the comma-separated kinds of its certifications valid on ``on``: its own (OCOP), its
    seller's seller-wide ones, the products-scoped ones listing it. Correlated lookups on
    three indexes; ``kinds_of`` joins them. What ``valid_kinds_by_product`` gives, inside
    the statement that reads the product (no statement of its own)."""
    own, wide, listed = aliased(Certification), aliased(Certification), aliased(Certification)
    cp = aliased(CertificationProduct)
    return (
        sa.select(sa.func.aggregate_strings(own.kind, ","))
        .where(own.product_id == product.id, valid_condition(on, own)).correlate(product).scalar_subquery(),
        sa.select(sa.func.aggregate_strings(wide.kind, ","))
        .where(wide.scope == "seller", wide.seller_id == product.seller_id, valid_condition(on, wide))
        .correlate(product).scalar_subquery(),
        sa.select(sa.func.aggregate_strings(listed.kind, ","))
        .join(cp, cp.certification_id == listed.id)
        .where(cp.product_id == product.id, listed.scope == "products", valid_condition(on, listed))
        .correlate(product).scalar_subquery(),
    )


def kinds_of(*columns: str | None) -> set[str]:
    """The kinds named by the values of ``valid_kind_columns``."""
    return {kind for value in columns if value for kind in value.split(",")}


def applies_to_product(product_id, seller_id) -> sa.ColumnElement[bool]:  # noqa: ANN001
    """Certifications that apply to the product (``product_id``, ``seller_id`` may be
    columns, for a correlated subquery): its OCOP certificate, its seller's seller-wide
    ones, the products-scoped ones listing it."""
    return sa.or_(
        C.product_id == product_id,
        sa.and_(C.scope == "seller", C.seller_id == seller_id),
        sa.and_(C.scope == "products",
                C.id.in_(sa.select(CP.certification_id).where(CP.product_id == product_id))),
    )


def seller_certifications(seller_id: int, *, kinds: Iterable[str] | None = None,
                          usable_only: bool = False) -> sa.Select:
    """The seller's own certifications, every kind, kind order then newest first.
    ``usable_only``: not rejected and not expired today (a picker's choices)."""
    stmt = sa.select(C).where(C.seller_id == seller_id).options(selectinload(C.product), selectinload(C.products))
    if kinds is not None:
        stmt = stmt.where(C.kind.in_(list(kinds)))
    if usable_only:
        today = today_vn()
        stmt = stmt.where(C.rejected_at.is_(None), sa.or_(C.expires_on.is_(None), C.expires_on >= today))
    return stmt.order_by(_KIND_ORDER, C.issued_on.desc(), C.id.desc())


def seller_wide(seller_id: int) -> list[Certification]:
    """The seller's valid certifications covering all its products (its public profile)."""
    return _ordered(db.session.scalars(_seller_wide(), {"seller_id": seller_id, "on": today_vn()}))


@functools.cache
def _seller_wide() -> sa.Select:
    return sa.select(C).where(C.seller_id == sa.bindparam("seller_id"), C.scope == "seller",
                              valid_condition(_on_param()))


def _ordered(certs: Iterable[Certification]) -> list[Certification]:
    """Valid ones first, then by kind; one entry per certification."""
    seen: dict[int, Certification] = {c.id: c for c in certs}
    return sorted(seen.values(), key=lambda c: (not c.is_valid(), KINDS.index(c.kind), c.id))


def for_product(product, *, valid_only: bool = False) -> list[Certification]:  # noqa: ANN001
    """Every certification applying to the product (``valid_only``: what buyers see)."""
    stmt = sa.select(C).where(applies_to_product(product.id, product.seller_id))
    if valid_only:
        stmt = stmt.where(valid_condition())
    return _ordered(db.session.scalars(stmt))


def for_lot(lot_id: int, product, *, valid_only: bool = False) -> list[Certification]:  # noqa: ANN001
    """The certifications applying to a production lot: the product's, plus the ones
    the lot links (``lot_certifications``), with their state. Pages showing them
    should record the ``cert:ID`` page-cache scope of each (catalog/generation.py)."""
    linked = sa.select(lot_certifications.c.certification_id).where(lot_certifications.c.lot_id == lot_id)
    stmt = sa.select(C).where(sa.or_(applies_to_product(product.id, product.seller_id), C.id.in_(linked)))
    if valid_only:
        stmt = stmt.where(valid_condition())
    return _ordered(db.session.scalars(stmt))


def badges(products: Iterable) -> dict[int, list[Certification]]:
    """Product id → the valid certifications of other kinds than OCOP (whose stars the
    cards already show) for many products in one statement (the seller-wide ones and
    the products-scoped ones listing them), built once per process."""
    products = list(products)
    if not products:
        return {}
    by_product: dict[int, list[Certification]] = {p.id: [] for p in products}
    sellers: dict[int, list[int]] = {}
    for p in products:
        sellers.setdefault(p.seller_id, []).append(p.id)
    params = {"sellers": list(sellers), "ids": list(by_product), "on": today_vn()}
    for cert, pid in db.session.execute(_badges(), params):
        if cert.scope == "seller":
            for each in sellers.get(cert.seller_id, ()):
                by_product[each].append(cert)
        elif pid in by_product:
            by_product[pid].append(cert)
    return {pid: _ordered(certs) for pid, certs in by_product.items()}


@functools.cache
def _badges() -> sa.Select:
    """(certification, listed product id or None) of the valid seller-wide certifications
    of the ``sellers`` and the valid products-scoped ones listing one of the ``ids``: two
    branches, each reading its own index."""
    valid = valid_condition(_on_param())
    both = sa.union_all(
        sa.select(C, sa.cast(sa.null(), sa.Integer).label("listed"))
        .where(C.scope == "seller", C.seller_id.in_(sa.bindparam("sellers", expanding=True)), valid),
        sa.select(C, CP.product_id.label("listed")).join(CP, CP.certification_id == C.id)
        .where(CP.product_id.in_(sa.bindparam("ids", expanding=True)), C.scope == "products", valid),
    )
    return sa.select(C, sa.column("listed", sa.Integer)).from_statement(both)


def _applying(products: Iterable, condition: sa.ColumnElement[bool], session=None) -> dict[int, list[Certification]]:  # noqa: ANN001
    """Product id → the certifications meeting ``condition`` that apply to it (its OCOP
    certificate, the seller-wide ones, the products-scoped ones listing it), for any
    number of products in three statements; valid ones first."""
    session = session if session is not None else db.session
    products = list(products)
    by_product: dict[int, list[Certification]] = {p.id: [] for p in products}
    if not products:
        return by_product
    sellers: dict[int, list[int]] = {}
    for p in products:
        sellers.setdefault(p.seller_id, []).append(p.id)
    for cert in session.scalars(sa.select(C).where(C.product_id.in_(list(by_product)), condition)):
        by_product[cert.product_id].append(cert)
    for cert in session.scalars(sa.select(C).where(C.scope == "seller", C.seller_id.in_(list(sellers)), condition)):
        for pid in sellers[cert.seller_id]:
            by_product[pid].append(cert)
    for pid, cert in session.execute(
        sa.select(CP.product_id, C).join(C, C.id == CP.certification_id)
        .where(CP.product_id.in_(list(by_product)), C.scope == "products", condition)
    ):
        by_product[pid].append(cert)
    return {pid: _ordered(certs) for pid, certs in by_product.items()}


def shown_by_product(products: Iterable) -> dict[int, list[Certification]]:
    """Product id → the certifications a buyer is told about (the API's
    ``certifications``): every kind applying to it, not rejected and not expired today,
    each with its verification state; valid ones first."""
    today = today_vn()
    return _applying(products, sa.and_(C.rejected_at.is_(None), C.issued_on <= today,
                                       sa.or_(C.expires_on.is_(None), C.expires_on >= today)))


def valid_by_product(products: Iterable, session=None) -> dict[int, list[Certification]]:  # noqa: ANN001
    """Product id → its certifications valid today (every kind, OCOP 3–5★): the search
    documents' ``cert_kinds``, ``cert_until`` and words."""
    return _applying(products, valid_condition(), session)


def search_words_by_product(product_ids: Iterable[int], session=None) -> dict[int, str]:  # noqa: ANN001
    """Product id → the search words of its valid certifications (other kinds than
    OCOP), for the folded ``search_text`` and the search documents. Three statements.
    Validity is that of today: an expiry shows at the product's next reindex."""
    from ..catalog.models import Product

    session = session if session is not None else db.session
    ids = list(product_ids)
    words: dict[int, list[str]] = {pid: [] for pid in ids}
    if not ids:
        return {}
    valid = valid_condition()
    for pid, cert in session.execute(
        sa.select(Product.id, C).join(C, sa.and_(C.seller_id == Product.seller_id, C.scope == "seller"))
        .where(Product.id.in_(ids), valid)
    ):
        words[pid].append(cert.search_words)
    for pid, cert in session.execute(
        sa.select(CP.product_id, C).join(C, C.id == CP.certification_id)
        .where(CP.product_id.in_(ids), C.scope == "products", valid)
    ):
        words[pid].append(cert.search_words)
    return {pid: " ".join(dict.fromkeys(w for w in found if w)) for pid, found in words.items()}


def valid_kinds_by_product(product_ids: Iterable[int], on: date | None = None) -> dict[int, set[str]]:
    """Product id → the kinds of its valid certifications (OCOP included): what a card
    shows as chips, what a search document carries and ``cert=`` filters on. One
    statement whatever the number of products (``valid_kind_columns``)."""
    ids = list(product_ids)
    if not ids:
        return {}
    kinds: dict[int, set[str]] = {pid: set() for pid in ids}
    for pid, *columns in db.session.execute(_kinds_of_products(), {"ids": ids, "on": on or today_vn()}):
        kinds[pid] |= kinds_of(*columns)
    return kinds


@functools.cache
def _kinds_of_products() -> sa.Select:
    from ..catalog.models import Product

    return (sa.select(Product.id, *valid_kind_columns(Product, _on_param()))
            .where(Product.id.in_(sa.bindparam("ids", expanding=True))))


def valid_pairs(on: date | sa.BindParameter | None = None) -> sa.Select:
    """(product_id, kind) of every product's valid certifications, once each (any
    product status): the database search's certification counts."""
    from ..catalog.models import Product

    valid = valid_condition(on)
    return sa.union(
        sa.select(C.product_id.label("product_id"), C.kind.label("kind")).where(C.product_id.is_not(None), valid),
        sa.select(Product.id, C.kind).join(C, sa.and_(C.seller_id == Product.seller_id, C.scope == "seller"))
        .where(valid),
        sa.select(CP.product_id, C.kind).join(C, C.id == CP.certification_id).where(C.scope == "products", valid),
    )


def valid_kinds_all(on: date | None = None) -> dict[int, frozenset[str]]:
    """Product id → kinds of its valid certifications, for every product holding one."""
    kinds: dict[int, set[str]] = {}
    for pid, kind in db.session.execute(valid_pairs(on or today_vn())):
        kinds.setdefault(pid, set()).add(kind)
    return {pid: frozenset(k) for pid, k in kinds.items()}


def product_ids_with_kinds(kinds: Iterable[str], on: date | sa.BindParameter | None = None) -> sa.Select:
    """Ids of products (any status) holding a valid certification of one of ``kinds``."""
    from ..catalog.models import Product

    kinds = list(kinds)
    valid = valid_condition(on)
    return sa.union(
        sa.select(C.product_id.label("id")).where(C.kind.in_(kinds), C.product_id.is_not(None), valid),
        sa.select(Product.id).join(C, sa.and_(C.seller_id == Product.seller_id, C.scope == "seller"))
        .where(C.kind.in_(kinds), valid),
        sa.select(CP.product_id).join(C, C.id == CP.certification_id)
        .where(C.kind.in_(kinds), C.scope == "products", valid),
    )


def products_of(cert: Certification) -> sa.Select:
    """Ids of the products a certification applies to (search reindexing, page scopes)."""
    from ..catalog.models import Product

    if cert.product_id is not None:
        return sa.select(sa.literal(cert.product_id).label("id"))
    if cert.scope == "seller":
        return sa.select(Product.id).where(Product.seller_id == cert.seller_id)
    if cert.scope == "products":
        return sa.select(CP.product_id).where(CP.certification_id == cert.id)
    return sa.select(Product.id).where(sa.false())
