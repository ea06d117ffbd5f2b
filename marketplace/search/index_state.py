"""What the database knows about an external engine's live index (Meilisearch).

One row per live index name:

* ``marker`` — the engine's ``createdAt`` of the index our last reindex built and swapped
  in. The engine keeps an index's creation date inside the index (it travels with the
  contents through a swap) and gives a new one to every index it creates, including one
  it creates implicitly when documents arrive for a missing name. So an index whose
  ``createdAt`` differs from the marker is not ours: deleted and recreated, lost with the
  engine's data, restored from an older snapshot or dump — whatever it holds, it cannot
  be trusted to be complete.
* ``reindex_requested_at`` / ``reindex_reason`` — a full reindex is needed; searches
  answer from the database until the job runner has done it. ``claimed_at``: a
  reindex is running since then (a lease of REINDEX_LEASE, so two runners do not
  rebuild at once, and no new request is raised meanwhile).
* ``settings_requested_at`` — the engine refused a query or write for want of our
  settings; the job runner re-applies them (never a buyer's request).

Writes run on their own short transaction (callers are searches, health checks and
deliveries after a commit). A newly raised request, a restore and a finished reindex
move the ``search`` cache scope (``catalog/generation.py``; what a Meilisearch delivery
moves), so pages cached from the broken index — or from the database meanwhile — are
not served again.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..text import utcnow

REASON_MAX_CHARS = 500
# A runner that claimed a reindex and died: another may take it over after this long.
REINDEX_LEASE = timedelta(hours=1)


class SearchIndexState(db.Model):
    __tablename__ = "search_index_state"

    index_uid: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    marker: Mapped[str | None] = mapped_column(sa.String(64))
    built_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reindex_requested_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reindex_reason: Mapped[str | None] = mapped_column(sa.Text)
    claimed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    settings_requested_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


_T = SearchIndexState.__table__
# A delivery in progress: its session. State written meanwhile joins the delivery's
# transaction (on SQLite a second writer would wait on the delivery's own lock).
_delivery: ContextVar = ContextVar("search_index_state_delivery", default=None)


@contextmanager
def during_delivery(session) -> Iterator[None]:  # noqa: ANN001
    token = _delivery.set(session)
    try:
        yield
    finally:
        _delivery.reset(token)


@contextmanager
def _writing() -> Iterator:
    session = _delivery.get()
    if session is not None:
        yield session.connection()  # committed with the delivery round
        return
    with db.engine.begin() as conn:
        yield conn


@dataclass(frozen=True)
class IndexState:
    marker: str | None = None
    reindex_requested_at: datetime | None = None
    reindex_reason: str | None = None
    settings_requested_at: datetime | None = None


def read(index_uid: str) -> IndexState:
    session = _delivery.get()
    stmt = sa.select(_T).where(_T.c.index_uid == index_uid)
    if session is not None:
        row = session.connection().execute(stmt).mappings().first()
    else:
        with db.engine.connect() as conn:
            row = conn.execute(stmt).mappings().first()
    if row is None:
        return IndexState()
    return IndexState(row["marker"], row["reindex_requested_at"], row["reindex_reason"], row["settings_requested_at"])


def _update(conn, index_uid: str, values: dict, *extra: sa.ColumnElement[bool]) -> int:  # noqa: ANN001
    result = conn.execute(sa.update(_T).where(_T.c.index_uid == index_uid, *extra).values(**values))
    return result.rowcount or 0


def _ensure_row(conn, index_uid: str) -> None:  # noqa: ANN001
    if conn.execute(sa.select(_T.c.index_uid).where(_T.c.index_uid == index_uid)).first() is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(_T).values(index_uid=index_uid))
        except sa.exc.IntegrityError:  # another process made it meanwhile
            pass


def request_reindex(index_uid: str, reason: str) -> bool:
    """Ask the job runner for a full reindex; True when this raised a new request."""
    with _writing() as conn:
        _ensure_row(conn, index_uid)
        now = utcnow()
        # Not while a reindex is running: its swap replaces whatever the live index holds.
        raised = _update(conn, index_uid, {"reindex_requested_at": now, "reindex_reason": reason[:REASON_MAX_CHARS]},
                         _T.c.reindex_requested_at.is_(None),
                         sa.or_(_T.c.claimed_at.is_(None), _T.c.claimed_at < now - REINDEX_LEASE))
        if raised:
            _search_results_change(conn)
    return bool(raised)


def _search_results_change(conn) -> None:  # noqa: ANN001
    from ..catalog import generation

    generation.bump_scopes(conn, ["search"])


def request_settings(index_uid: str) -> bool:
    with _writing() as conn:
        _ensure_row(conn, index_uid)
        raised = _update(conn, index_uid, {"settings_requested_at": utcnow()}, _T.c.settings_requested_at.is_(None))
        if raised:
            _search_results_change(conn)
    return bool(raised)


def claim_reindex(index_uid: str, now: datetime | None = None) -> bool:
    """Take the pending reindex request (a lease of REINDEX_LEASE); False when none is
    pending or another runner holds it."""
    now = now or utcnow()
    with db.engine.begin() as conn:
        return bool(_update(
            conn, index_uid, {"claimed_at": now},
            _T.c.reindex_requested_at.is_not(None),
            sa.or_(_T.c.claimed_at.is_(None), _T.c.claimed_at < now - REINDEX_LEASE),
        ))


def building(index_uid: str, started: datetime) -> None:
    """A reindex starts (``claimed_at``): no new request is raised while it runs."""
    with db.engine.begin() as conn:
        _ensure_row(conn, index_uid)
        _update(conn, index_uid, {"claimed_at": started})


def release(index_uid: str) -> None:
    """A reindex failed: the request (if any) is open to the next runner at once."""
    with db.engine.begin() as conn:
        _update(conn, index_uid, {"claimed_at": None})


def record_built(conn, index_uid: str, marker: str, started: datetime) -> None:  # noqa: ANN001
    """In ``conn``'s transaction, after a reindex swapped in the index created at
    ``marker``: remember it, and settle the requests raised before the reindex started
    (a later one stays: the reindex may not have seen its cause)."""
    _ensure_row(conn, index_uid)
    _update(conn, index_uid, {"marker": marker, "built_at": utcnow(), "claimed_at": None})
    _update(conn, index_uid, {"reindex_requested_at": None, "reindex_reason": None},
            _T.c.reindex_requested_at <= started)
    _update(conn, index_uid, {"settings_requested_at": None}, _T.c.settings_requested_at <= started)
    _search_results_change(conn)  # the index differs from the one pages were cached from


def settings_restored(index_uid: str, since: datetime) -> None:
    with db.engine.begin() as conn:
        if _update(conn, index_uid, {"settings_requested_at": None}, _T.c.settings_requested_at <= since):
            _search_results_change(conn)
