"""Delivery: what goes into the Meilisearch index. Outbox rows (``search/outbox.py``)
are sent as documents or deletions after the commit, popularity as partial updates,
and a reindex fills a fresh index and swaps it in. docs/meilisearch.md.

A batch the engine refuses because of one document is bisected, so only the refused
documents stay pending (``outbox.DocumentsRejected``); a task that outlives the wait
keeps its uid on the rows and is asked for next time instead of being resent."""
from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...catalog import queries as cq
from ...catalog.models import Product
from ...extensions import db
from ...text import utcnow
from .. import index_state, outbox
from ..base import Progress, SearchUnavailable
from ..documents import load_products_for_documents
from .filters import strip_highlight_markers
from .settings import PRIMARY_KEY
from .tasks import ENGINE_FAILURE_CODES, EngineError, Waiter, engine_errors

log = logging.getLogger(__name__)

# A reindex may replay changes committed by transactions that began up to this long
# before it started (their outbox rows carry the time of the insert, not the commit).
REPLAY_MARGIN = timedelta(minutes=5)


def meili_document(product: Product) -> dict[str, Any]:
    """``product_to_document`` plus the numeric fields custom ranking rules need.

    The highlight tags (U+0002/U+0003) are stripped from every string: inside a name
    they would turn into ``<mark>`` in the results page."""
    from ..documents import product_to_document

    doc = strip_highlight_markers(product_to_document(product))
    doc["featured_rank"] = 1 if doc.get("featured") else 0
    doc["ocop_rank"] = int(doc.get("ocop_stars") or 0)
    expires = doc.get("ocop_expires_on") if doc.get("ocop_stars") else None
    doc["ocop_until"] = int(str(expires).replace("-", "")) if expires else 0
    return doc


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]



class Delivery:
    """The ``MeiliSearch`` engine's writing half (its client, batch size and waits
    are the engine's)."""

    # -- writing: outbox -----------------------------------------------------------

    def enqueue(self, session, product_ids: Iterable[int]) -> None:
        """Before commit: outbox rows in the caller's transaction."""
        outbox.enqueue(session, product_ids)

    def index_products(self, product_ids: Iterable[int]) -> None:
        """After commit: deliver pending content rows (including these ids), in
        rounds, for at most ``wait_ms``; popularity rows are left to the job runner
        and the rollup, so a seller's save never waits behind them.

        Runs in its own session, so it may be called from an ``after_commit`` hook.
        Ids without a pending row (a caller that skipped ``enqueue``) get one first.
        Never raises for engine trouble: failed rows stay pending for retries.
        """
        with Session(db.engine) as session:
            missing = outbox.missing_pending(session, product_ids)
            if missing:
                outbox.enqueue(session, missing)
                session.commit()
            self.drain(session, popularity=False, budget_s=self.wait_ms / 1000)

    def delete_products(self, product_ids: Iterable[int]) -> None:
        """Removal is decided from the database at delivery (gone or not public)."""
        self.index_products(product_ids)

    def deliver(self, session: Session, *, force: bool = False, limit: int | None = None,
                popularity: bool = True) -> outbox.DeliveryReport:
        """One delivery round with ``session`` (content first); the caller commits,
        with the round's rows any repair request the round recorded."""
        with index_state.during_delivery(session):
            return outbox.deliver_pending(
                session, self._send_current, limit=limit or self.deliver_limit, force=force,
                send_popularity=self.send_popularity, task_status=self.task_statuses, popularity=popularity,
            )

    def drain(self, session: Session, *, force: bool = False, limit: int | None = None, popularity: bool = True,
              budget_s: float | None = None) -> outbox.DeliveryReport:
        """Delivery rounds, each committed, until nothing is due or the time budget
        (``deliver_budget_s`` unless given) is spent."""
        return outbox.drain(
            session, lambda: self.deliver(session, force=force, limit=limit, popularity=popularity),
            budget_seconds=self.deliver_budget_s if budget_s is None else budget_s,
        )

    def deliver_pending(self) -> None:
        """After the analytics rollup (and from the job runner): drain both lanes."""
        with Session(db.engine) as session:
            self.drain(session)

    def _send_current(self, session: Session, product_ids: list[int], index_uid: str | None = None) -> tuple[int, int]:
        """Send the current database state of these products: documents for the
        public ones, deletions for the rest. Waits for every task to succeed.

        To the live index only once it is checked to be ours (never to an index the
        engine would create implicitly): otherwise IndexUnusable, and the rows wait
        for the reindex the check requested. Raises ``outbox.DocumentsRejected`` when
        some documents were refused or their task had not finished in time."""
        if index_uid is not None:
            return self._send_documents(session, product_ids, index_uid, self.rebuild_wait_ms)
        self._require_live()
        try:
            return self._send_documents(session, product_ids, self.index_uid, self.wait_ms)
        except EngineError as exc:
            self._engine_refused(exc)
            raise

    def _public_documents(self, session: Session, product_ids: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
        """(product id, document) of the public ones among these products."""
        pairs = [(p.id, meili_document(p)) for p in load_products_for_documents(product_ids, session)]
        return [(pid, doc) for pid, doc in pairs if doc.get("is_public")]

    def _send_documents(self, session: Session, product_ids: list[int], uid: str, timeout: int) -> tuple[int, int]:
        index = self.client.index(uid)
        upserts = self._public_documents(session, product_ids)
        public = {pid for pid, _ in upserts}
        deletes = [i for i in product_ids if i not in public]
        deletions = []
        with engine_errors("indexing"):
            for batch in _chunks(deletes, self.batch_size):
                expr = f"id IN [{', '.join(str(int(i)) for i in batch)}]"
                deletions.append((batch, index.delete_documents(filter=expr)))
        waiter = Waiter(self, timeout)
        rejected = self._add_documents(uid, upserts, waiter)
        for batch, task in deletions:
            waiter.settle(task, batch)
        if rejected or waiter.waiting:
            raise outbox.DocumentsRejected(rejected, upserted=len(upserts) - len(rejected), deleted=len(deletes),
                                           waiting=waiter.waiting)
        return len(upserts), len(deletes)

    def _add_documents(self, uid: str, docs: Sequence[tuple[int, dict[str, Any]]], waiter: Waiter) -> dict[int, str]:
        """Add ``docs`` ((product id, document) pairs) in batches (never an empty one:
        the client would send ``null``, which the server refuses) and wait for each
        task. A batch whose task failed because of its documents is bisected and
        resent, so one bad document holds up only itself. Returns ``{id: error}`` of
        the refused ones; unfinished tasks are left in ``waiter.waiting``; engine-wide
        failures (``ENGINE_FAILURE_CODES``) raise."""
        index = self.client.index(uid)
        sent = []
        with engine_errors("indexing"):
            for batch in _chunks(list(docs), self.batch_size):
                sent.append((list(batch), index.add_documents([d for _, d in batch], primary_key=PRIMARY_KEY)))
        rejected: dict[int, str] = {}
        for batch, task in sent:
            rejected.update(self._settle(index, batch, task, waiter))
        return rejected

    def _settle(self, index: Any, batch: list[tuple[int, dict[str, Any]]], task: Any, waiter: Waiter) -> dict[int, str]:
        try:
            waiter.settle(task, [pid for pid, _ in batch])
            return {}
        except EngineError as exc:
            if exc.code is None or exc.code in ENGINE_FAILURE_CODES:
                raise
            if len(batch) == 1:
                return {batch[0][0]: str(exc)[: outbox.ERROR_MAX_CHARS]}
        rejected: dict[int, str] = {}
        mid = len(batch) // 2
        for half in (batch[:mid], batch[mid:]):
            with engine_errors("indexing"):
                retry = index.add_documents([d for _, d in half], primary_key=PRIMARY_KEY)
            rejected.update(self._settle(index, half, retry, waiter))
        return rejected

    # -- settings, rebuild, health -------------------------------------------------
    def rebuild(self, progress: Progress | None = None) -> int:
        """Zero-downtime rebuild: fill ``<index>_<stamp>`` (settings first, batches,
        every task awaited), replay outbox rows written meanwhile, swap it with the
        live index, re-apply the settings to the live index (a synonym changed during
        the build went to the index the swap retired), record the new index's
        ``createdAt`` as the marker of the live index, then enqueue the replayed ids
        (and any refused document) in the outbox and deliver them, under its row locks
        like any change, so an older state can never overwrite a newer one. Searches
        keep hitting the live index until the swap. Returns the number of documents
        indexed."""
        alias = self.index_uid
        started = utcnow()
        fresh = f"{alias}_{started:%Y%m%d%H%M%S}_{secrets.token_hex(2)}"
        index_state.building(alias, started)
        with Session(db.engine) as session:
            try:
                ids = list(session.scalars(cq.public_product_ids().order_by(Product.id)))
                with engine_errors("rebuild"):
                    self._wait(self.client.create_index(fresh, {"primaryKey": PRIMARY_KEY}), self.rebuild_wait_ms)
                marker = str((self._index_info(fresh) or {}).get("createdAt") or "")
                if not marker:
                    raise EngineError(f"Meilisearch index {fresh} has no createdAt", None)
                self.apply_settings(fresh, catalog_size=len(ids))
                count = 0
                rejected: dict[int, str] = {}
                for chunk in _chunks(ids, self.batch_size):
                    docs = self._public_documents(session, chunk)
                    # A chunk whose products all stopped being public meanwhile: no request.
                    refused = self._add_all(fresh, docs) if docs else {}
                    rejected.update(refused)
                    count += len(docs) - len(refused)
                    session.expunge_all()  # keep memory flat on large catalogs
                    if progress:
                        progress(len(chunk))
                since = started - REPLAY_MARGIN
                rejected.update(self._replay(session, fresh, since))
                if self._index_info(alias) is None:  # the swap needs both names
                    self.apply_settings(alias, catalog_size=len(ids), create=True)
                with engine_errors("swap"):
                    task = self.client.swap_indexes([{"indexes": [alias, fresh]}])
                self._wait(task, self.rebuild_wait_ms)
            except Exception:
                index_state.release(alias)
                self._drop_quietly(fresh)
                raise
            try:
                # The live name now holds the new index (its createdAt travelled with it).
                with db.engine.begin() as conn:
                    index_state.record_built(conn, alias, marker, started)
                    outbox.settled_by_reindex(conn, since)
                self.forget_checks()
                try:
                    self.apply_settings(alias, catalog_size=len(ids))
                except SearchUnavailable as exc:  # the job runner will: searches wait for it
                    log.warning("reindex: settings not re-applied after the swap (%s); restore requested", exc)
                    index_state.request_settings(alias)
                # Changes delivered to the old index during the build go through the
                # outbox once more (with the documents the engine refused, which then
                # wait there with their error).
                replay = set(outbox.replay_ids(session, since)) | set(rejected)
                outbox.enqueue(session, replay)
                session.commit()
                self.drain(session, force=True, budget_s=max(self.deliver_budget_s, 60.0))
            finally:
                self._drop_quietly(fresh)  # after the swap, this name holds the old index
        if rejected:
            log.warning("reindex: %d document(s) refused by Meilisearch, left pending in the outbox", len(rejected))
        return count

    def _add_all(self, uid: str, docs: Sequence[tuple[int, dict[str, Any]]]) -> dict[int, str]:
        """``_add_documents`` for a reindex: a task still unfinished after
        ``rebuild_wait_ms`` fails the reindex."""
        waiter = Waiter(self, self.rebuild_wait_ms)
        refused = self._add_documents(uid, docs, waiter)
        if waiter.waiting:
            raise EngineError(f"Meilisearch reindex: tasks {sorted(set(waiter.waiting.values()))} not finished "
                              f"after {self.rebuild_wait_ms} ms", None)
        return refused

    def _replay(self, session: Session, index_uid: str, since) -> dict[int, str]:
        """Send the current state of every product changed since ``since`` to the
        (not yet live) ``index_uid``; returns the documents it refused."""
        rejected: dict[int, str] = {}
        for chunk in _chunks(outbox.replay_ids(session, since), self.batch_size):
            try:
                self._send_current(session, list(chunk), index_uid=index_uid)
            except outbox.DocumentsRejected as exc:
                if exc.waiting:
                    raise EngineError(f"Meilisearch reindex: replay tasks not finished: {exc}", None) from exc
                rejected.update(exc.errors)
        return rejected

    def _drop_quietly(self, uid: str) -> None:
        try:
            with engine_errors("delete index"):
                self._wait(self.client.delete_index(uid), self.rebuild_wait_ms, ok_codes=("index_not_found",))
        except SearchUnavailable as exc:
            log.warning("could not delete index %s: %s", uid, exc)
    # -- popularity (analytics rollup): partial updates through the outbox ---------

    def update_popularity(self, session, counts: dict[int, int]) -> None:
        """Before commit: one ``popularity`` outbox row per product, in the caller's
        transaction; delivery sends ``{id, view_count}`` partial updates in batches."""
        outbox.enqueue(session, counts, op="popularity")

    def send_popularity(self, session: Session, product_ids: list[int]) -> int:
        """The view counts of the public products among these (the others are not in
        the index). A partial update of a document the index does not hold would
        create a stub ``{id, view_count}``, so the ids the index holds are looked up
        first: those get ``update_documents([{id, view_count}])``, the rest their full
        document. A document deleted between the look-up and the update (another
        deliverer unpublishing it) would still come back as a stub: after the
        updates, stubs among these ids (no ``is_public``) are looked for and deleted."""
        rows = session.execute(
            sa.select(Product.id, Product.view_count)
            .join(Product.seller)
            .where(Product.id.in_(product_ids), cq.public_condition())
            .order_by(Product.id)
        ).all()
        if not rows:
            return 0
        self._require_live()
        index = self.client.index(self.index_uid)
        try:
            held = self._held_ids(index, [pid for pid, _ in rows])
            partial = [{PRIMARY_KEY: pid, "view_count": int(n or 0)} for pid, n in rows if pid in held]
            waiter = Waiter(self, self.wait_ms)
            tasks = []
            with engine_errors("popularity"):
                for batch in _chunks(partial, self.batch_size):
                    tasks.append(([d[PRIMARY_KEY] for d in batch], index.update_documents(list(batch),
                                                                                         primary_key=PRIMARY_KEY)))
            done = [ids for ids, task in tasks if waiter.settle(task, ids)]
            self._delete_stubs(index, [pid for ids in done for pid in ids], waiter)
            full = self._public_documents(session, [pid for pid, _ in rows if pid not in held])
            rejected = self._add_documents(self.index_uid, full, waiter) if full else {}
        except EngineError as exc:
            self._engine_refused(exc)
            raise
        if rejected or waiter.waiting:
            raise outbox.DocumentsRejected(rejected, waiting=waiter.waiting)
        return len(partial) + len(full)

    def _held_ids(self, index: Any, ids: list[int], *extra: str) -> set[int]:
        """Which of ``ids`` the index holds (``POST /documents/fetch`` by filter)."""
        held: set[int] = set()
        with engine_errors("document lookup"):
            for batch in _chunks(ids, self.batch_size):
                found = index.get_documents({
                    "filter": [f"id IN [{', '.join(str(int(i)) for i in batch)}]", *extra],
                    "fields": [PRIMARY_KEY],
                    "limit": len(batch),
                })
                held.update(int(getattr(doc, PRIMARY_KEY)) for doc in found.results)
        return held

    def _delete_stubs(self, index: Any, ids: list[int], waiter: Waiter) -> None:
        stubs = sorted(self._held_ids(index, ids, "is_public NOT EXISTS")) if ids else []
        if not stubs:
            return
        log.warning("Meilisearch: %d stub document(s) left by popularity updates; deleting them", len(stubs))
        with engine_errors("popularity"):
            task = index.delete_documents(filter=f"id IN [{', '.join(map(str, stubs))}] AND is_public NOT EXISTS")
        waiter.settle(task, stubs)
