"""The search outbox: index changes written in the same transaction as the data change.

With an external engine (Meilisearch) a product change must not be lost when the
engine is down or the process dies between the database commit and the HTTP call.
So, before the commit, ``enqueue(session, product_ids)`` inserts one ``SearchOutbox``
row per product into the *same* transaction: the rows exist if and only if the change
was committed. After the commit (and from ``flask search deliver``) ``deliver_pending``
sends them to the engine and marks them delivered once the engine's task has
*succeeded*; failures stay pending with ``attempts``, ``last_error`` and an
exponential ``next_attempt_at`` backoff.

Rows carry only the product id. What is sent is decided at delivery time from the
database (public → the fresh document, anything else or gone → delete), so deliveries
are idempotent and the order in which two rows are delivered does not matter.

A sender may deliver part of a batch: it raises ``DocumentsRejected`` naming the
products the engine refused (one bad document must not hold up its neighbours); only
those rows stay pending, each with its own error.

Delivered rows are kept for ``RETENTION`` (one day) and then purged: a reindex replays
every row written while it was building, delivered or not (see ``meili.rebuild``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from ..text import utcnow
from .base import SearchUnavailable

log = logging.getLogger(__name__)

# "popularity": only the product's view count changed (analytics rollup): a partial update.
OPS = ("upsert", "delete", "popularity")
RETENTION = timedelta(days=1)
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 3600
ERROR_MAX_CHARS = 1000

# SQLite only auto-increments an INTEGER primary key; PostgreSQL gets a BIGINT.
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class SearchOutbox(db.Model):
    """One pending (or recently delivered) index change of one product."""

    __tablename__ = "search_outbox"
    __table_args__ = (sa.CheckConstraint(f"op IN {OPS!r}", name="op"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    # No foreign key: a deleted product must still be delivered (as a delete).
    product_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    op: Mapped[str] = mapped_column(sa.String(10), default="upsert")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), index=True)

    def __repr__(self) -> str:
        state = "delivered" if self.delivered_at else f"pending×{self.attempts}"
        return f"<SearchOutbox {self.id} product={self.product_id} {self.op} {state}>"


def enqueue(session: Session, product_ids: Iterable[int], op: str = "upsert") -> int:
    """Insert outbox rows in ``session``'s current transaction; returns how many.

    Uses a Core insert on the session's connection, so it is safe from any session
    event (``before_commit``, ``after_flush``) and commits or rolls back with the
    caller's change.
    """
    if op not in OPS:
        raise ValueError(f"unknown outbox op {op!r}")
    ids = sorted({int(i) for i in product_ids})
    if not ids:
        return 0
    now = utcnow()
    session.connection().execute(
        sa.insert(SearchOutbox.__table__),
        [{"product_id": i, "op": op, "created_at": now, "attempts": 0} for i in ids],
    )
    return len(ids)


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: 5 s, 10 s, 20 s … ≤ 1 h."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(0, min(attempts - 1, 20))
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def pending_condition() -> sa.ColumnElement[bool]:
    return SearchOutbox.delivered_at.is_(None)


def due_condition(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        pending_condition(),
        sa.or_(SearchOutbox.next_attempt_at.is_(None), SearchOutbox.next_attempt_at <= now),
    )


@dataclass
class DeliveryReport:
    claimed: int = 0  # outbox rows taken in this run
    upserted: int = 0  # documents sent
    deleted: int = 0  # ids removed from the index
    failed: int = 0  # rows left pending because the engine failed
    error: str | None = None
    popularity: int = 0  # partial popularity updates sent


# Sends documents and deletions to the engine; raises SearchUnavailable on failure,
# DocumentsRejected when only some documents were refused.
Sender = Callable[[Session, list[int]], tuple[int, int]]


class DocumentsRejected(Exception):
    """The engine took everything except these products' documents."""

    def __init__(self, errors: dict[int, str], *, upserted: int = 0, deleted: int = 0) -> None:
        super().__init__(f"{len(errors)} document(s) refused")
        self.errors = errors
        self.upserted = upserted
        self.deleted = deleted


_failing = False  # per-process: log the first failure of a streak at WARNING, not every one


def deliver_pending(
    session: Session,
    send: Sender,
    *,
    limit: int = 500,
    force: bool = False,
    now: datetime | None = None,
    send_popularity: Callable[[Session, list[int]], int] | None = None,
) -> DeliveryReport:
    """Deliver up to ``limit`` due outbox rows (oldest first) through ``send``.

    ``send(session, product_ids)`` builds documents from the database and pushes
    them, returning ``(upserted, deleted)``; it raises ``SearchUnavailable`` when the
    engine is down or refuses. ``popularity`` rows go to ``send_popularity(session,
    product_ids)`` (partial updates) unless the same batch sends the whole document.
    ``force`` ignores the backoff schedule. Flushes; the caller commits (which also releases the row locks taken on PostgreSQL, where a
    second deliverer waits for the first instead of sending an older state after it).
    """
    global _failing
    now = now or utcnow()
    condition = pending_condition() if force else due_condition(now)
    stmt = sa.select(SearchOutbox).where(condition).order_by(SearchOutbox.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=SearchOutbox)
    rows = list(session.scalars(stmt))
    report = DeliveryReport(claimed=len(rows))
    if not rows:
        return report
    popular_only = send_popularity is not None
    product_ids = sorted({r.product_id for r in rows if r.op != "popularity" or not popular_only})
    popular_ids = sorted({r.product_id for r in rows if r.op == "popularity"} - set(product_ids)) if popular_only else []
    try:
        if product_ids:
            report.upserted, report.deleted = send(session, product_ids)
        if popular_ids:
            report.popularity = send_popularity(session, popular_ids)
    except sa.exc.SQLAlchemyError:
        raise  # the database itself failed: nothing can be recorded; rows stay as they were
    except DocumentsRejected as exc:
        report.upserted, report.deleted = exc.upserted, exc.deleted
        for row in rows:
            error = exc.errors.get(row.product_id)
            if error is None:
                row.delivered_at = now
                row.last_error = None
                continue
            row.attempts += 1
            row.last_error = error[:ERROR_MAX_CHARS] or "refused"
            row.next_attempt_at = now + backoff(row.attempts)
            report.failed += 1
            report.error = report.error or row.last_error
        log.warning("search outbox: %d document(s) refused by the engine: %s", len(exc.errors), report.error)
    except Exception as exc:  # noqa: BLE001 — engine down, task failed, or a document that cannot be built
        if not isinstance(exc, SearchUnavailable):
            log.exception("search outbox: building or sending documents failed")
        message = (f"{exc.__class__.__name__}: {exc}" if not isinstance(exc, SearchUnavailable) else str(exc))
        message = message[:ERROR_MAX_CHARS] or exc.__class__.__name__
        for row in rows:
            row.attempts += 1
            row.last_error = message
            row.next_attempt_at = now + backoff(row.attempts)
        report.failed = len(rows)
        report.error = message
        (log.debug if _failing else log.warning)(
            "search outbox: %d change(s) left pending, engine failed: %s", len(rows), message
        )
        _failing = True
    else:
        for row in rows:
            row.delivered_at = now
            row.last_error = None
        if _failing:
            log.info("search outbox: delivering again (%d change(s))", len(rows))
        _failing = False
    purge_delivered(session, now=now)
    session.flush()
    return report


PURGE_BATCH = 1000


def purge_delivered(session: Session, *, now: datetime | None = None) -> int:
    """Drop (up to PURGE_BATCH) rows delivered more than RETENTION ago.

    On PostgreSQL rows another deliverer is purging are skipped, so two processes
    never wait on (or deadlock over) the same old rows.
    """
    cutoff = (now or utcnow()) - RETENTION
    old = (
        sa.select(SearchOutbox.id)
        .where(SearchOutbox.delivered_at.is_not(None), SearchOutbox.delivered_at < cutoff)
        .limit(PURGE_BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        old = old.with_for_update(skip_locked=True)
    result = session.execute(
        sa.delete(SearchOutbox).where(SearchOutbox.id.in_(old.scalar_subquery())),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def missing_pending(session: Session, product_ids: Iterable[int]) -> list[int]:
    """The ids among ``product_ids`` without a pending outbox row."""
    ids = sorted({int(i) for i in product_ids})
    if not ids:
        return []
    have = set(
        session.scalars(
            sa.select(SearchOutbox.product_id).where(pending_condition(), SearchOutbox.product_id.in_(ids))
        )
    )
    return [i for i in ids if i not in have]


def replay_ids(session: Session, since: datetime) -> list[int]:
    """Product ids of every row written since ``since``, delivered or not."""
    return sorted(
        set(session.scalars(sa.select(SearchOutbox.product_id).where(SearchOutbox.created_at >= since)))
    )


@dataclass
class OutboxStats:
    pending: int
    failing: int  # pending rows that failed at least once
    last_error: str | None
    oldest_pending: datetime | None


def outbox_stats(session: Session) -> OutboxStats:
    pending = session.scalar(sa.select(sa.func.count()).where(pending_condition())) or 0
    failing = (
        session.scalar(sa.select(sa.func.count()).where(pending_condition(), SearchOutbox.attempts > 0)) or 0
    )
    last_error = session.scalar(
        sa.select(SearchOutbox.last_error)
        .where(pending_condition(), SearchOutbox.last_error.is_not(None))
        .order_by(SearchOutbox.id.desc())
        .limit(1)
    )
    oldest = session.scalar(sa.select(sa.func.min(SearchOutbox.created_at)).where(pending_condition()))
    return OutboxStats(pending=pending, failing=failing, last_error=last_error, oldest_pending=oldest)


@dataclass
class OutboxRun:
    delivered: int = 0
    pending: int = 0
    error: str | None = None
    has_outbox: bool = True


def deliver_outbox(*, force: bool = False, limit: int = 1000) -> OutboxRun:
    """Deliver every due outbox change in batches of ``limit``, each committed
    (``flask search deliver`` and the ``search_deliver`` job). Engines without an outbox
    (the index is written in the writer's transaction) have nothing to do."""
    from . import get_search

    backend = get_search()
    inner = getattr(backend, "primary", backend)
    if not hasattr(inner, "deliver"):
        return OutboxRun(has_outbox=False)
    run = OutboxRun()
    while True:
        report = inner.deliver(db.session, force=force, limit=limit)
        db.session.commit()
        run.delivered += report.claimed - report.failed
        if report.failed or report.claimed < limit:
            break
    run.pending = outbox_stats(db.session).pending
    run.error = report.error
    return run
