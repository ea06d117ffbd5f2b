"""The jobs' lease rows and their run log (marketplace/jobs/__init__.py)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class JobLease(db.Model):
    """One row per periodic job: who holds it (``owner`` until ``lease_until``), when it
    is due, and how its last runs went. Times are Unix seconds (the same arithmetic on
    SQLite and PostgreSQL, no time zone to get wrong)."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    owner: Mapped[str | None] = mapped_column(sa.String(80))
    lease_until: Mapped[float | None] = mapped_column(sa.Float)
    next_run: Mapped[float | None] = mapped_column(sa.Float)
    created: Mapped[float | None] = mapped_column(sa.Float)
    last_started: Mapped[float | None] = mapped_column(sa.Float)
    last_finished: Mapped[float | None] = mapped_column(sa.Float)
    last_ok: Mapped[float | None] = mapped_column(sa.Float)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    failures: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    runs: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class JobRun(db.Model):
    """One finished (or failed) run; kept 7 days."""

    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    owner: Mapped[str] = mapped_column(sa.String(80))
    started: Mapped[float] = mapped_column(sa.Float)
    finished: Mapped[float] = mapped_column(sa.Float)
    ok: Mapped[bool] = mapped_column(sa.Boolean)
    error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (sa.Index("ix_job_runs_name_started", "name", "started"),)
