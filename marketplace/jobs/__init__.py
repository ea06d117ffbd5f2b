"""Periodic jobs that run by themselves: no cron, no systemd timer.

Every gunicorn worker of every instance starts a small runner thread
(``gunicorn.conf.py``: ``post_worker_init``). Every ``JOBS_TICK_SECONDS`` it looks for a
due job and tries to take its **lease**, a row of ``job_leases`` in the shared database,
with one conditional UPDATE::

    UPDATE job_leases SET owner = me, lease_until = now + lease
     WHERE name = :job AND <due> AND <nobody holds a live lease>

The database serialises the UPDATEs (SQLite's single writer, PostgreSQL's row lock
with the WHERE re-checked after a concurrent update), so exactly one runner, across all
workers and instances, sees ``rowcount == 1`` and runs the job; the others skip it. No
file lock: instances on different machines share nothing but the database.

* **Done**: the lease is released and ``next_run = finish + interval``: after downtime a
  job catches up once, not once per missed interval.
* **Failed**: the job's transaction is rolled back (a job commits only what is whole),
  the error is logged and recorded (``last_error``), and the job is retried with
  back-off (30 s, 60 s, … at most its interval).
* **Runner killed** (``kill -9``, a machine lost) mid-job: its lease simply runs out
  and the next runner takes the job over; nothing waits longer than the lease.
* **Unreadable row** (a lease or due time in the far future, NaN, text in a number
  column): treated as expired / due, so a damaged row heals at the next run; a missing
  row is created.

A new job (a fresh install) is first due one interval after its row is created.
``flask jobs status`` lists each job's last run, next run and last error; the staff home
warns when a job has not succeeded for more than twice its interval past its due time.
``flask jobs run NAME`` runs one now, under the same lease (an operator who prefers
cron sets ``JOBS=0`` and calls that).
"""
from __future__ import annotations

import importlib
import logging
import math
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from .models import JobLease, JobRun

log = logging.getLogger(__name__)

RUN_LOG_SECONDS = 7 * 86400
MAX_BACKOFF_STEPS = 10


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds between the end of one run and the next
    lease: float  # how long a runner may hold the job before another takes it over
    run: Callable[[], str | None]  # in an app context; commits its own work; returns a summary
    label: str = ""


# ------------------------------------------------------------------ the built-in jobs


def _search_deliver() -> str:
    from ..search.outbox import deliver_outbox

    report = deliver_outbox()
    if report.error or report.repair_error:
        raise RuntimeError(f"search engine: {report.error or report.repair_error} ({report.pending} pending)")
    return f"{report.delivered} delivered, {report.pending} pending" + (f"; {report.repaired}" if report.repaired else "")


def _analytics_rollup() -> str:
    from ..analytics.services import rollup
    from ..search import get_search

    report = rollup()
    db.session.commit()
    get_search().deliver_pending()
    return f"{report.products_changed} products, {sum(report.purged.values()) + report.daily_purged} rows purged"


def _certificates_remind() -> str:
    from ..staff.services import send_due_reminders
    from ..text import today_vn

    sent, skipped, failed = send_due_reminders(today_vn())
    if failed:
        raise RuntimeError(f"{failed} reminder(s) failed ({sent} sent)")
    return f"{sent} sent, {skipped} without e-mail"


def _demo_refresh() -> str:
    from ..demo.refresh import refresh_dates

    shifted = refresh_dates()
    db.session.commit()
    return f"{shifted} certificates re-dated"


def _alerts_digest() -> str:
    from ..alerts.services import send_digests

    report = send_digests()
    summary = f"{report.sent} sent, {report.skipped} already sent today"
    if report.stale:
        summary += f", {report.stale} claimed but never confirmed sent (not retried)"
    if report.failed:
        raise RuntimeError(f"{report.failed} digest(s) failed ({summary})")
    return summary


BUILT_IN: tuple[Job, ...] = (
    Job("search_deliver", 60, 120, _search_deliver, "Gửi thay đổi sang máy tìm kiếm"),
    Job("analytics_rollup", 300, 600, _analytics_rollup, "Độ phổ biến và dọn dữ liệu thống kê"),
    Job("certificates_remind", 86400, 1800, _certificates_remind, "Nhắc chứng nhận OCOP sắp hết hạn"),
    Job("demo_refresh", 86400, 600, _demo_refresh, "Giữ ngày của dữ liệu mẫu theo hôm nay"),
    Job("alerts_digest", 3600, 1800, _alerts_digest, "Gửi thư thông báo mùa vụ và sản phẩm mới"),
)


def _import(target: str) -> Callable[[], str | None]:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _parse_pairs(text: str, setting: str) -> dict[str, str]:
    pairs = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise RuntimeError(f"{setting}: {part.strip()!r} must look like name=value.")
        pairs[name.strip()] = value.strip()
    return pairs


def jobs(app: Flask) -> dict[str, Job]:
    """The jobs of this app: the built-in ones with ``JOBS_INTERVALS`` applied, plus
    ``JOBS_EXTRA`` ("name=module:function@seconds,…": an operator's own jobs)."""
    found = {job.name: job for job in BUILT_IN}
    for name, spec in _parse_pairs(app.config.get("JOBS_EXTRA") or "", "JOBS_EXTRA").items():
        target, _, seconds = spec.partition("@")
        try:
            interval = float(seconds or 3600)
            run = _import(target)
        except (ValueError, ImportError, AttributeError) as exc:
            raise RuntimeError(f"JOBS_EXTRA: {name}={spec!r} must look like module:function@seconds ({exc}).") from None
        if not interval > 0 or not callable(run):
            raise RuntimeError(f"JOBS_EXTRA: {name}={spec!r} must name a function and a number of seconds above 0.")
        found[name] = Job(name, interval, max(60.0, interval * 2), run, name)
    for name, seconds in _parse_pairs(app.config.get("JOBS_INTERVALS") or "", "JOBS_INTERVALS").items():
        if name not in found:
            raise RuntimeError(f"JOBS_INTERVALS: no job named {name!r} (jobs: {', '.join(sorted(found))}).")
        try:
            interval = float(seconds)
        except ValueError:
            interval = -1.0
        if not interval > 0:
            raise RuntimeError(f"JOBS_INTERVALS: {name}={seconds!r} must be a number of seconds above 0.")
        job = found[name]
        found[name] = Job(name, interval, job.lease, job.run, job.label)
    lease = app.config.get("JOBS_LEASE_SECONDS") or 0
    if lease:
        found = {n: Job(n, j.interval, float(lease), j.run, j.label) for n, j in found.items()}
    return found


def backoff(failures: int, interval: float) -> float:
    return min(interval, 30.0 * 2 ** min(max(failures - 1, 0), MAX_BACKOFF_STEPS))


# -------------------------------------------------------------------------- leases

_ENSURE = sa.text(
    "INSERT INTO job_leases (name, next_run, created, failures, runs) VALUES (:name, :next, :now, 0, 0)"
    " ON CONFLICT (name) DO NOTHING"
)
# Due, and nobody holds a live lease. A time further ahead than any interval or lease
# could put it (garbage, NaN — PostgreSQL sorts NaN above every number, SQLite text above
# every number) counts as due / expired: a damaged row heals instead of blocking.
_ACQUIRE = sa.text(
    "UPDATE job_leases SET owner = :me, lease_until = :until, last_started = :now"
    " WHERE name = :name"
    " AND (next_run IS NULL OR next_run <= :now OR next_run > :far)"
    " AND (owner IS NULL OR lease_until IS NULL OR lease_until < :now OR lease_until > :lease_far)"
)
_DONE = sa.text(
    "UPDATE job_leases SET owner = NULL, lease_until = NULL, last_finished = :now, last_ok = :now,"
    " last_error = NULL, failures = 0, runs = runs + 1, next_run = :next WHERE name = :name AND owner = :me"
)
_FAILED = sa.text(
    "UPDATE job_leases SET owner = NULL, lease_until = NULL, last_finished = :now, last_error = :error,"
    " failures = failures + 1, runs = runs + 1, next_run = :next WHERE name = :name AND owner = :me"
)


def owner_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{random.randrange(16**4):04x}"


def _ensure_rows(all_jobs: dict[str, Job], now: float) -> None:
    with db.engine.begin() as conn:
        for job in all_jobs.values():
            conn.execute(_ENSURE, {"name": job.name, "next": now + job.interval, "now": now})


def try_acquire(job: Job, me: str, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    with db.engine.begin() as conn:
        result = conn.execute(_ACQUIRE, {
            "me": me, "until": now + job.lease, "now": now, "name": job.name,
            "far": now + max(job.interval, job.lease) * 4 + 60, "lease_far": now + job.lease * 4 + 60,
        })
        return result.rowcount == 1


def run_job(job: Job, me: str, *, force: bool = False, ensure: bool = True) -> bool | None:
    """Run ``job`` if this runner gets its lease (``force``: even if not yet due, still
    never beside a live lease). None: not run; True/False: succeeded/failed. ``ensure``:
    create the job's row if missing (the runner does it once per tick for all)."""
    now = time.time()
    if ensure:
        _ensure_rows({job.name: job}, now)
    if force:
        with db.engine.begin() as conn:
            conn.execute(sa.update(JobLease).where(JobLease.name == job.name).values(next_run=None))
    if not try_acquire(job, me, now):
        return None
    started = time.time()
    error = None
    summary = None
    try:
        summary = job.run()
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 — a failed job is recorded and retried, never fatal
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        log.exception("job %s failed", job.name)
    finally:
        db.session.remove()
    finished = time.time()
    with db.engine.begin() as conn:
        failures = conn.execute(sa.select(JobLease.failures).where(JobLease.name == job.name)).scalar() or 0
        if error is None:
            released = conn.execute(_DONE, {"now": finished, "next": finished + job.interval, "name": job.name,
                                            "me": me}).rowcount
        else:
            released = conn.execute(_FAILED, {"now": finished, "error": error, "name": job.name, "me": me,
                                              "next": finished + backoff(_as_int(failures) + 1, job.interval)}).rowcount
        if not released:
            log.warning("job %s: lease lost while running (ran %.1f s, lease %.0f s)", job.name,
                        finished - started, job.lease)
        conn.execute(sa.insert(JobRun).values(name=job.name, owner=me, started=started, finished=finished,
                                              ok=error is None, error=error))
        conn.execute(sa.delete(JobRun).where(JobRun.started < finished - RUN_LOG_SECONDS))
    if error is None:
        log.info("job %s done in %.2f s: %s", job.name, finished - started, summary)
    return error is None


def _as_int(value: object) -> int:
    try:
        return max(0, int(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


# -------------------------------------------------------------------------- status


@dataclass
class JobStatus:
    name: str
    label: str
    interval: float
    last_started: float | None
    last_finished: float | None
    last_ok: float | None
    next_run: float | None
    last_error: str | None
    failures: int
    runs: int
    owner: str | None
    late: bool


def _as_time(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def status(app: Flask, now: float | None = None) -> list[JobStatus]:
    """Each job's row as read (unreadable values as None). ``late``: no success for more
    than twice its interval past when it was due."""
    now = time.time() if now is None else now
    all_jobs = jobs(app)
    rows = {r.name: r for r in db.session.execute(sa.select(JobLease.__table__)).all()}
    out = []
    for job in all_jobs.values():
        row = rows.get(job.name)
        last_ok = _as_time(row.last_ok) if row else None
        since = last_ok if last_ok is not None else (_as_time(row.created) if row else None)
        late = since is not None and now - since > 3 * job.interval
        out.append(JobStatus(
            job.name, job.label, job.interval,
            _as_time(row.last_started) if row else None, _as_time(row.last_finished) if row else None, last_ok,
            _as_time(row.next_run) if row else None, row.last_error if row else None,
            _as_int(row.failures) if row else 0, _as_int(row.runs) if row else 0,
            row.owner if row else None, late,
        ))
    return out


# -------------------------------------------------------------------------- runner


class Runner(threading.Thread):
    """The runner thread of one process: every tick, each due job whose lease it gets."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="jobs-runner", daemon=True)
        self.app = app
        self.me = owner_id()
        self.stopping = threading.Event()
        self.tick = float(app.config.get("JOBS_TICK_SECONDS") or 15)

    def run(self) -> None:
        # Workers start together: spread their first looks over one tick.
        if self.stopping.wait(random.uniform(0, min(self.tick, 5.0))):
            return
        with self.app.app_context():
            all_jobs = jobs(self.app)
        while not self.stopping.is_set():
            with self.app.app_context():
                try:
                    _ensure_rows(all_jobs, time.time())
                    for job in all_jobs.values():
                        if self.stopping.is_set():
                            break
                        run_job(job, self.me, ensure=False)
                except sa.exc.OperationalError as exc:  # locked or unreachable: try again next tick
                    log.warning("jobs runner: database unavailable (%s); next look in %.0f s",
                                type(exc.orig or exc).__name__, self.tick)
                except Exception:  # noqa: BLE001 — never let the thread die
                    log.exception("jobs runner: a tick failed")
                finally:
                    db.session.remove()
            self.stopping.wait(self.tick * random.uniform(0.8, 1.2))

    def stop(self) -> None:
        self.stopping.set()


_runner: Runner | None = None


def start_runner(app: Flask) -> Runner | None:
    """Start this process's runner (once) unless ``JOBS`` is off."""
    global _runner
    if not app.config.get("JOBS", True) or _runner is not None:
        return _runner
    _runner = Runner(app)
    _runner.start()
    return _runner


def stop_runner() -> None:
    if _runner is not None:
        _runner.stop()


def init_jobs(app: Flask) -> None:
    jobs(app)  # a bad JOBS_INTERVALS / JOBS_EXTRA stops the start with its message
    from .cli import register

    register(app)
