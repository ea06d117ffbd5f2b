"""Periodic jobs on the real topology: two gunicorn instances of three workers each on
one database (SQLite file, or PostgreSQL with TEST_DATABASE_URL), every worker running
its jobs runner. A job never runs twice at once across the six workers; a worker killed
with ``kill -9`` mid-job holds the job no longer than its lease."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from live_server import Site

pytestmark = pytest.mark.load

LEASE = 5.0
SLEEP = 1.5
ENV = {
    "JOBS_TICK_SECONDS": "0.3",
    "JOBS_INTERVALS": "search_deliver=1,analytics_rollup=1",
    "JOBS_EXTRA": "sample=job_samples:slow@0.5",
    "JOBS_LEASE_SECONDS": str(int(LEASE)),
    "JOB_SAMPLE_SECONDS": str(SLEEP),
    "PYTHONPATH": str(Path(__file__).resolve().parent),
}


def _runs(site: Site, name: str) -> list:
    from marketplace.extensions import db
    from marketplace.jobs.models import JobRun

    with site.app():
        return db.session.execute(sa.select(JobRun.owner, JobRun.started, JobRun.finished, JobRun.ok)
                                  .where(JobRun.name == name).order_by(JobRun.started)).all()


def _lease(site: Site, name: str):
    from marketplace.extensions import db
    from marketplace.jobs.models import JobLease

    with site.app():
        return db.session.execute(sa.select(JobLease.owner, JobLease.lease_until)
                                  .where(JobLease.name == name)).first()


def _no_overlap(runs) -> None:
    for before, after in zip(runs, runs[1:]):
        assert after.started >= before.finished, (before, after)


def test_two_instances_run_each_job_once_at_a_time_and_a_killed_runner_loses_the_job(tmp_path):
    first = Site(tmp_path / "a", env=ENV)
    first.build()
    second = Site(tmp_path / "b", database_url=first.database_url, env=ENV)
    with first.serving() as a, second.serving() as b:
        pids = {p: "a" for p in a.worker_pids()} | {p: "b" for p in b.worker_pids()}
        deadline = time.monotonic() + 30
        while len(_runs(first, "sample")) < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        runs = _runs(first, "sample")
        assert len(runs) >= 4, a.log_tail()
        _no_overlap(runs)
        for name in ("search_deliver", "analytics_rollup"):
            done = _runs(first, name)
            assert done and all(r.ok for r in done), (name, a.log_tail())
            _no_overlap(done)
        # Kill the worker that holds the sample job, mid-job.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            row = _lease(first, "sample")
            holder = int(row.owner.split(":")[1]) if row and row.owner else None
            if holder in pids:
                break
            time.sleep(0.05)
        assert holder in pids
        killed_at = time.time()
        os.kill(holder, signal.SIGKILL)
        lease_until = row.lease_until
        deadline = time.monotonic() + LEASE + 15
        taken = []
        while time.monotonic() < deadline and not taken:
            taken = [r for r in _runs(first, "sample") if r.started > killed_at]
            time.sleep(0.3)
        assert taken, "no runner took the job over after the lease"
        assert taken[0].owner.split(":")[1] != str(holder)
        # Nobody ran it beside the killed runner: not before its lease ran out …
        assert taken[0].started >= lease_until - 0.01
        # … and not much later either (a tick and a job's length).
        assert taken[0].started <= lease_until + 3
        assert sum(1 for r in _runs(first, "sample") if r.owner.split(":")[1] == str(holder)
                   and r.started >= killed_at - SLEEP) == 0
        _no_overlap(_runs(first, "sample"))
        assert "Traceback" not in a.log_tail(20000) + b.log_tail(20000)
