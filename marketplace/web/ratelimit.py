"""Fixed-window rate limits stored in the database, so they hold across processes.

``hit(key, limit, window_seconds)`` counts one event for ``key`` and says whether it is
within the limit. Keys hash the client address; raw IPs are never stored.
"""
from __future__ import annotations

import hashlib
import time
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, request
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class RateLimitCounter(db.Model):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    window_start: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


def client_fingerprint() -> str:
    """A salted hash of the client address (X-Forwarded-For is trusted only behind ProxyFix)."""
    raw = f"{current_app.config['SECRET_KEY']}|{request.remote_addr or '-'}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one event; True if still within ``limit`` per window. Commits its own
    counter in a separate connection so a later rollback of the request keeps it."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    window = int(time.time()) // window_seconds * window_seconds
    table = RateLimitCounter.__table__
    with db.engine.begin() as conn:
        updated = conn.execute(
            table.update()
            .where(table.c.key == key, table.c.window_start == window)
            .values(count=table.c.count + 1)
        ).rowcount
        if not updated:
            try:
                with conn.begin_nested():
                    conn.execute(table.insert().values(key=key, window_start=window, count=1))
            except sa.exc.IntegrityError:
                conn.execute(
                    table.update()
                    .where(table.c.key == key, table.c.window_start == window)
                    .values(count=table.c.count + 1)
                )
        count = conn.execute(
            sa.select(table.c.count).where(table.c.key == key, table.c.window_start == window)
        ).scalar_one()
        # Old windows are useless: drop them now and then.
        conn.execute(table.delete().where(table.c.window_start < window - 86400))
    return count <= limit
