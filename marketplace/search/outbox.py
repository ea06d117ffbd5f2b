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

Two lanes: content rows (``upsert``/``delete``) are claimed and sent first in every
round; ``popularity`` rows (the analytics rollup) fill the rest, each lane acknowledged
by what its own engine tasks reported. ``drain`` runs rounds until nothing is due or a
time budget is spent.

A sender may deliver part of a batch: it raises ``DocumentsRejected`` naming the
products the engine refused (one bad document must not hold up its neighbours) and
those whose task had not finished when the wait ended; only those rows stay pending,
each with its own error — the unfinished ones with the task's ``task_uid``, which the
next delivery asks for instead of sending the change again.

Delivered rows are kept for ``RETENTION`` (one day) and then purged: a reindex replays
every row written while it was building, delivered or not (see ``meili.rebuild``).
"""
from __future__ import annotations

import logging
import time
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
    # The engine task a delivery stopped waiting for (a timeout): the next delivery asks
    # for its status instead of sending the change again.
    task_uid: Mapped[int | None] = mapped_column(sa.BigInteger)

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
    failed: int = 0  # rows left pending because the engine failed or refused
    error: str | None = None
    popularity: int = 0  # popularity updates sent
    waiting: int = 0  # rows whose engine task had not finished when the wait ended

    @property
    def delivered(self) -> int:
        return self.claimed - self.failed - self.waiting

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "upserted", "deleted", "failed", "popularity", "waiting"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.error = other.error or self.error


# Sends documents and deletions to the engine; raises SearchUnavailable on failure,
# DocumentsRejected when only some products were taken.
Sender = Callable[[Session, list[int]], tuple[int, int]]
# Status of engine tasks by uid ("succeeded", "failed", "enqueued", ...; None: unknown).
TaskStatus = Callable[[list[int]], dict[int, str | None]]


class DocumentsRejected(Exception):
    """The engine took everything except these products: ``errors`` it refused,
    ``waiting`` (product id → task uid) it had not finished processing when the wait
    ended — the task is still queued there, so those changes are not sent again."""

    def __init__(self, errors: dict[int, str], *, upserted: int = 0, deleted: int = 0,
                 waiting: dict[int, int] | None = None) -> None:
        self.waiting = dict(waiting or {})
        super().__init__(f"{len(errors)} document(s) refused, {len(self.waiting)} waiting on the engine")
        self.errors = errors
        self.upserted = upserted
        self.deleted = deleted


_failing = False  # per-process: log the first failure of a streak at WARNING, not every one


def _claim(session: Session, *conditions: sa.ColumnElement[bool], limit: int | None = None) -> list[SearchOutbox]:
    stmt = sa.select(SearchOutbox).where(*conditions).order_by(SearchOutbox.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=SearchOutbox)
    return list(session.scalars(stmt))


def _fail(row: SearchOutbox, message: str, now: datetime) -> None:
    row.attempts += 1
    row.last_error = message[:ERROR_MAX_CHARS] or "failed"
    row.next_attempt_at = now + backoff(row.attempts)


def _resolve_tasks(rows: list[SearchOutbox], task_status: TaskStatus | None, now: datetime,
                   report: DeliveryReport) -> list[SearchOutbox]:
    """Rows whose earlier delivery stopped waiting on an engine task: acknowledged by
    that task (succeeded → delivered; still queued → left waiting, nothing resent;
    failed or unknown → sent again). Returns the rows left to send."""
    tracked = sorted({r.task_uid for r in rows if r.task_uid is not None})
    if not tracked or task_status is None:
        return rows
    statuses = task_status(tracked)
    to_send = []
    for row in rows:
        status = statuses.get(row.task_uid) if row.task_uid is not None else None
        if status == "succeeded":
            row.delivered_at, row.last_error, row.task_uid = now, None, None
        elif status in ("enqueued", "processing"):
            row.next_attempt_at = now + backoff(max(1, row.attempts))
            report.waiting += 1
        else:
            row.task_uid = None
            to_send.append(row)
    return to_send


def _acknowledge(rows: list[SearchOutbox], send: Callable[[list[int]], None], now: datetime,
                 report: DeliveryReport) -> None:
    """Send the rows' products through ``send`` and record, row by row, what the
    engine reported: delivered, refused (pending with its error), or still queued
    (pending with the task's uid)."""
    global _failing
    if not rows:
        return
    try:
        send(sorted({r.product_id for r in rows}))
    except sa.exc.SQLAlchemyError:
        raise  # the database itself failed: nothing can be recorded; rows stay as they were
    except DocumentsRejected as exc:
        report.upserted += exc.upserted
        report.deleted += exc.deleted
        for row in rows:
            error = exc.errors.get(row.product_id)
            task = exc.waiting.get(row.product_id)
            if error is not None:
                _fail(row, error or "refused", now)
                report.failed += 1
                report.error = report.error or row.last_error
            elif task is not None:
                _fail(row, f"timeout: engine task {task} not finished yet; it is awaited, not resent", now)
                row.task_uid = task
                report.waiting += 1
            else:
                row.delivered_at, row.last_error, row.task_uid = now, None, None
        if exc.errors:
            log.warning("search outbox: %d document(s) refused by the engine: %s", len(exc.errors), report.error)
    except Exception as exc:  # noqa: BLE001 — engine down, task failed, or a document that cannot be built
        if not isinstance(exc, SearchUnavailable):
            log.exception("search outbox: building or sending documents failed")
        message = (f"{exc.__class__.__name__}: {exc}" if not isinstance(exc, SearchUnavailable) else str(exc))
        message = message[:ERROR_MAX_CHARS] or exc.__class__.__name__
        for row in rows:
            _fail(row, message, now)
        report.failed += len(rows)
        report.error = message
        (log.debug if _failing else log.warning)(
            "search outbox: %d change(s) left pending, engine failed: %s", len(rows), message
        )
        _failing = True
    else:
        for row in rows:
            row.delivered_at, row.last_error, row.task_uid = now, None, None
        if _failing:
            log.info("search outbox: delivering again (%d change(s))", len(rows))
        _failing = False


def deliver_pending(
    session: Session,
    send: Sender,
    *,
    limit: int = 500,
    force: bool = False,
    now: datetime | None = None,
    send_popularity: Callable[[Session, list[int]], int] | None = None,
    task_status: TaskStatus | None = None,
    popularity: bool = True,
) -> DeliveryReport:
    """One round: deliver up to ``limit`` due outbox rows through ``send``.

    Two lanes. **Content** rows (``upsert``/``delete``: sellers' and staff changes)
    are claimed and sent first, oldest first; popularity rows of the same products
    ride along, since the full document carries the view count. **Popularity** rows
    (``send_popularity``: partial updates) fill the rest of the round's ``limit``,
    unless ``popularity`` is False — so however many popularity rows wait, a content
    row is in the next round. Each lane is acknowledged by what its own send
    reported, so a refused document never marks another product's popularity as
    delivered.

    ``send(session, product_ids)`` builds documents from the database and pushes
    them, returning ``(upserted, deleted)``; it raises ``SearchUnavailable`` when the
    engine is down or refuses, ``DocumentsRejected`` for a partial result. Rows that
    carry a ``task_uid`` are first settled by that task's status (``task_status``).
    ``force`` ignores the backoff schedule. Flushes; the caller commits (which also
    releases the row locks taken on PostgreSQL, where a second deliverer waits for the
    first instead of sending an older state after it).
    """
    now = now or utcnow()
    due = pending_condition() if force else due_condition(now)
    report = DeliveryReport()
    if send_popularity is None:  # no partial updates: every row sends the whole document
        rows = _claim(session, due, limit=limit)
        content, popular = rows, []
    else:
        content = _claim(session, due, SearchOutbox.op != "popularity", limit=limit)
        room = limit - len(content)
        if content:
            ids = sorted({r.product_id for r in content})
            content += _claim(session, due, SearchOutbox.op == "popularity", SearchOutbox.product_id.in_(ids))
        popular = []
        if popularity and room > 0:
            taken = [r.id for r in content]
            popular = _claim(session, due, SearchOutbox.op == "popularity", SearchOutbox.id.not_in(taken), limit=room)
    report.claimed = len(content) + len(popular)
    if not report.claimed:
        return report

    def send_content(ids: list[int]) -> None:
        report.upserted, report.deleted = send(session, ids)

    def send_views(ids: list[int]) -> None:
        report.popularity = send_popularity(session, ids)

    try:
        content_left = _resolve_tasks(content, task_status, now, report)
        popular_left = _resolve_tasks(popular, task_status, now, report)
    except SearchUnavailable as exc:  # the engine cannot even say how its tasks went
        for row in content + popular:
            _fail(row, str(exc), now)
        report.failed, report.error = report.claimed, str(exc)[:ERROR_MAX_CHARS]
    else:
        _acknowledge(content_left, send_content, now, report)
        _acknowledge(popular_left, send_views, now, report)
    purge_delivered(session, now=now)
    session.flush()
    return report


def drain(session: Session, deliver_round: Callable[[], DeliveryReport], *, budget_seconds: float) -> DeliveryReport:
    """Run delivery rounds, committing after each, until the outbox has nothing due,
    a round delivers nothing (only rows that keep failing are left), or
    ``budget_seconds`` (monotonic) are spent. Returns the sum of the rounds."""
    total = DeliveryReport()
    deadline = time.monotonic() + budget_seconds
    while True:
        report = deliver_round()
        session.commit()
        total.add(report)
        if report.claimed == 0 or report.delivered <= 0 or time.monotonic() >= deadline:
            return total


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


def settled_by_reindex(conn, since: datetime) -> None:  # noqa: ANN001
    """After a reindex swapped in an index loaded from the database after ``since``:
    pending rows written before then are delivered (the load read their changes; the
    engine reported every task of it succeeded). Rows written later are replayed by
    the reindex itself. Tasks still awaited belong to the retired index (or, after a
    data loss, are unrelated tasks under reused uids): forgotten, those rows are sent."""
    table = SearchOutbox.__table__
    pending = table.c.delivered_at.is_(None)
    conn.execute(sa.update(table).where(pending, table.c.created_at < since)
                 .values(delivered_at=utcnow(), last_error=None, task_uid=None))
    conn.execute(sa.update(table).where(pending, table.c.task_uid.is_not(None)).values(task_uid=None))


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
