"""Automatic index maintenance through SQLAlchemy session events.

Like microblog's SearchableMixin, but per session and for every row a search
document shows:

* ``after_flush`` collects, in ``session.info``, the ids of products created, changed
  or deleted, and of the sellers, categories, areas (and aliases), certificates,
  rural-industry marks and photos changed — which are resolved to product ids later.
* ``before_commit`` flushes, resolves those ids, and calls
  ``backend.enqueue(session, ids)`` so the backend can write in the SAME transaction
  (the SQLite FTS5 index itself, or the Meilisearch outbox).
* ``after_commit`` calls ``backend.index_products(ids)`` (Meilisearch: deliver the
  outbox) unless the backend already indexed inside the transaction.
* ``after_rollback`` forgets everything collected.

Nobody else has to remember to index. Bulk loads wrap their work in
``with indexing_suspended():`` and call ``get_search().rebuild()`` at the end.
Core ``UPDATE``/``INSERT`` statements bypass the ORM and so bypass these hooks too.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..catalog.models import (
    Area,
    AreaAlias,
    Category,
    OcopCertification,
    Product,
    ProductPhoto,
    RuralIndustryRecognition,
)
from ..sellers.models import Seller
from .facets import descendants

log = logging.getLogger(__name__)

_KEY = "search_pending"
_suspended: ContextVar[bool] = ContextVar("search_indexing_suspended", default=False)
_installed = False


@contextmanager
def indexing_suspended() -> Iterator[None]:
    """Skip per-commit indexing (bulk loads); call ``rebuild()`` afterwards."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


def _active() -> bool:
    return has_app_context() and "search" in current_app.extensions and not _suspended.get()


def _backend():
    """The engine to feed, or None when the database search is the backend."""
    if not has_app_context():
        return None
    search = current_app.extensions.get("search")
    if search is None:
        return None
    inner = getattr(search, "primary", search)
    if not getattr(inner, "needs_indexing", True) or getattr(inner, "name", "") == "database":
        return None
    return inner


def _pending(session: Session) -> dict[str, set[int]]:
    return session.info.setdefault(
        _KEY, {"products": set(), "sellers": set(), "categories": set(), "areas": set()}
    )


# Attributes of related rows that a search document shows (other edits — a seller's
# phone number, say — do not reindex all of their products).
_SHOWN = {
    Seller: ("name", "slug", "kind", "status", "area_id"),
    Category: ("name", "slug", "parent_id"),
    Area: ("name", "slug", "parent_id"),
}


def _shown_change(session: Session, obj) -> bool:
    if obj in session.new or obj in session.deleted:
        return True
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _SHOWN[type(obj)])


def _collect(session: Session, flush_context) -> None:
    if not _active():
        return
    pending = _pending(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Product):
            if obj.id is not None:
                pending["products"].add(obj.id)
        elif isinstance(obj, OcopCertification) and obj.product_id is None and obj.product is None:
            # A certification of another kind: its words and kind are in the documents of
            # the seller's products (all of them: a superset of its scope, links included).
            if obj.seller_id is not None:
                pending["sellers"].add(obj.seller_id)
        elif isinstance(obj, (OcopCertification, RuralIndustryRecognition, ProductPhoto)):
            if obj.product_id is not None:
                pending["products"].add(obj.product_id)
            elif obj.product is not None and obj.product.id is not None:
                pending["products"].add(obj.product.id)
        elif isinstance(obj, Seller):
            if obj.id is not None and _shown_change(session, obj):
                pending["sellers"].add(obj.id)
        elif isinstance(obj, Category):
            session.info.pop("_search_category_rows", None)  # the search's per-transaction memo
            if obj.id is not None and _shown_change(session, obj):
                pending["categories"].add(obj.id)
        elif isinstance(obj, Area):
            session.info.pop("_search_area_rows", None)
            if obj.id is not None and _shown_change(session, obj):
                pending["areas"].add(obj.id)
        elif isinstance(obj, AreaAlias):
            if obj.area_id is not None:
                pending["areas"].add(obj.area_id)


def _descendants(session: Session, model, ids: set[int]) -> set[int]:
    return descendants(session.execute(sa.select(model.id, model.parent_id)).all(), ids)


def _resolve(session: Session, pending: dict[str, set[int]]) -> set[int]:
    ids = set(pending["products"])
    with session.no_autoflush:
        if pending["sellers"]:
            ids.update(session.scalars(sa.select(Product.id).where(Product.seller_id.in_(pending["sellers"]))))
        if pending["categories"]:
            cats = _descendants(session, Category, pending["categories"])
            ids.update(session.scalars(sa.select(Product.id).where(Product.category_id.in_(cats))))
        if pending["areas"]:
            areas = _descendants(session, Area, pending["areas"])
            ids.update(session.scalars(sa.select(Product.id).where(Product.area_id.in_(areas))))
    return ids


def _before_commit(session: Session) -> None:
    if _suspended.get():
        session.info.pop(_KEY, None)
        return
    if not _active() or session.info.get("search_in_hook"):
        return
    session.info["search_in_hook"] = True
    try:
        session.flush()
        pending = session.info.get(_KEY)
        if not pending:
            return
        ids = _resolve(session, pending)
        if not ids:
            return
        # The folded column is the database search's index (and the degraded mode's).
        # Like the engine's index, a failure here must never cost the change itself.
        try:
            with session.begin_nested():
                _refresh_search_text(session, ids)
        except Exception as exc:  # noqa: BLE001 — logged; `search reindex` does not fix it, a re-save does
            log.error("search_text refresh failed for %d products: %s", len(ids), exc)
        backend = _backend()
        if backend is not None:
            session.info["search_ids"] = ids
            _enqueue(session, backend, ids)
    finally:
        session.info.pop("search_in_hook", None)


def _refresh_search_text(session: Session, ids: set[int]) -> None:
    """Recompute ``Product.search_text`` for these products inside the transaction
    (a renamed seller, category or area changes it too)."""
    from ..catalog.product_data import build_search_text
    from ..certifications.queries import search_words_by_product
    from .documents import load_products_for_documents

    conn = session.connection()
    changes = []
    with Session(bind=conn, join_transaction_mode="rollback_only", autoflush=False) as reader:
        words = search_words_by_product(ids, session=reader)
        for product in load_products_for_documents(ids, session=reader):
            text = build_search_text(product, cert_words=words.get(product.id, ""))
            if text != product.search_text:
                changes.append({"pid": product.id, "text": text})
    if changes:
        conn.execute(
            sa.update(Product.__table__)
            .where(Product.__table__.c.id == sa.bindparam("pid"))
            .values(search_text=sa.bindparam("text")),
            changes,
        )


def _enqueue(session: Session, backend, ids: set[int]) -> None:
    if not backend.indexes_in_transaction:
        backend.enqueue(session, ids)  # outbox rows: must succeed with the change itself
        return
    # The embedded index: an index failure must never cost the product change.
    nested = session.begin_nested()
    try:
        backend.enqueue(session, ids)
        nested.commit()
    except Exception as exc:  # noqa: BLE001 — logged, recorded, search degrades
        nested.rollback()
        log.error("search index update failed for %d products: %s", len(ids), exc)
        record = getattr(backend, "record_error", None)
        if record:
            session.info["search_error"] = str(exc)


def _after_commit(session: Session) -> None:
    ids = session.info.pop("search_ids", None)
    session.info.pop(_KEY, None)
    error = session.info.pop("search_error", None)
    backend = _backend()
    if backend is None:
        return
    if error:
        backend.record_error(error)
    if not ids or backend.indexes_in_transaction:
        return
    try:
        backend.index_products(ids)
    except Exception as exc:  # noqa: BLE001 — the outbox keeps the work; never fail the request
        log.error("search delivery failed for %d products: %s", len(ids), exc)


def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop("search_ids", None)
    session.info.pop("search_error", None)


def _on_signal(sender, product_ids=(), seller_ids=(), category_ids=(), **_kw) -> None:
    """For changes made with Core statements (which bypass the session hooks): the
    ``products_changed``/``sellers_changed``/``categories_changed`` signals, sent
    after commit, reindex the products concerned."""
    backend = _backend()
    if backend is None or _suspended.get():
        return
    pending = {
        "products": {int(i) for i in product_ids or ()},
        "sellers": {int(i) for i in seller_ids or ()},
        "categories": {int(i) for i in category_ids or ()},
        "areas": set(),
    }
    from ..extensions import db

    with Session(db.engine) as session:
        ids = _resolve(session, pending)
    if ids:
        try:
            backend.index_products(ids)
        except Exception as exc:  # noqa: BLE001 — logged; `search reindex` repairs
            log.error("search indexing after a signal failed for %d products: %s", len(ids), exc)


def install_listeners() -> None:
    """Attach the session hooks (all Session instances) and the catalog signals,
    once per process."""
    global _installed
    if _installed:
        return
    from .. import signals

    event.listen(Session, "after_flush", _collect)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)
    signals.products_changed.connect(_on_signal)
    signals.sellers_changed.connect(_on_signal)
    signals.categories_changed.connect(_on_signal)
    _installed = True
