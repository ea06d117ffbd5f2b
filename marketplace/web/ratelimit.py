"""Fixed-window rate limits stored in the database, so they hold across processes.

``hit(key, limit, window_seconds)`` counts one event for ``key`` and says whether it is
within the limit. Keys hash the client address; raw IPs are never stored.

The counter is written through the request's own session (one atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING``) and committed at once, before the view
does anything else: no second pool connection per request (a burst of requests each
holding one connection while waiting for another exhausted the pool), and a request
that later fails or rolls back has still been counted.

``failures``/``record_failure``/``clear`` keep a failure count per key for throttles
that grow a delay instead of locking (log-in per client and account).
"""
from __future__ import annotations

import hashlib
import time
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..text import utcnow

CLEANUP_AFTER = 86400  # windows older than a day are deleted when a new window opens


class RateLimitCounter(db.Model):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    window_start: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class PendingChangesError(RuntimeError):
    """``hit`` commits the request's session: it must be called before any write."""


def client_fingerprint() -> str:
    """A salted hash of the client address. ``request.remote_addr`` is the peer's
    address unless ``TRUSTED_PROXIES`` > 0 puts ProxyFix in front (then the address the
    trusted proxies saw); a spoofed X-Forwarded-For is ignored without one."""
    raw = f"{current_app.config['SECRET_KEY']}|{request.remote_addr or '-'}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _upsert(key: str, window: int) -> sa.Executable:
    table = RateLimitCounter.__table__
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:  # pragma: no cover — we run on SQLite and PostgreSQL only
        raise RuntimeError(f"rate limits need SQLite or PostgreSQL, not {dialect}")
    stmt = insert(table).values(key=key, window_start=window, count=1, updated_at=utcnow())
    return stmt.on_conflict_do_update(
        index_elements=[table.c.key, table.c.window_start],
        set_={"count": table.c.count + 1, "updated_at": stmt.excluded.updated_at},
    ).returning(table.c.count)


def _commit_counter(key: str, window: int) -> int:
    """Count one event in ``window`` and commit; the new count."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise PendingChangesError("rate limits are counted before the request writes anything")
    try:
        count = session.execute(_upsert(key, window)).scalar_one()
        if count == 1:  # a new window: old ones are useless now
            table = RateLimitCounter.__table__
            session.execute(table.delete().where(table.c.key == key,
                                                 table.c.window_start < window - CLEANUP_AFTER))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return count


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one event; True if still within ``limit`` per window. Commits the counter
    at once through the request's session (call it before the request writes)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    window = int(time.time()) // window_seconds * window_seconds
    return _commit_counter(key, window) <= limit


# --- failure counts for growing delays ------------------------------------------------

def failures(key: str, window_seconds: int) -> tuple[int, datetime | None]:
    """(failures counted for ``key`` in the current window, time of the last one)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0, None
    window = int(time.time()) // window_seconds * window_seconds
    row = db.session.execute(
        sa.select(RateLimitCounter.count, RateLimitCounter.updated_at)
        .where(RateLimitCounter.key == key, RateLimitCounter.window_start == window)
    ).first()
    if row is None:
        return 0, None
    last = row.updated_at
    if last is not None and last.tzinfo is None:  # SQLite drops the zone
        from datetime import timezone

        last = last.replace(tzinfo=timezone.utc)
    return row.count, last


def record_failure(key: str, window_seconds: int) -> int:
    """Count one failure for ``key`` (committed at once); the new count."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return 0
    window = int(time.time()) // window_seconds * window_seconds
    return _commit_counter(key, window)


def clear(key: str) -> None:
    """Forget the failures of ``key`` (after a success). Flushes; the caller commits."""
    table = RateLimitCounter.__table__
    db.session.execute(table.delete().where(table.c.key == key))
