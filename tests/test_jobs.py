"""Periodic jobs under a database lease (SQLite and PostgreSQL): one runner at a time,
a dead runner's lease runs out, a damaged row heals, a failure rolls back and is retried
with back-off, downtime is caught up once. The real gunicorn topology: test_jobs_live.py."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.analytics.models import Setting
from marketplace.extensions import db
from marketplace.jobs import Job, backoff, run_job, status, try_acquire
from marketplace.jobs.models import JobLease, JobRun

CALLS: list[str] = []


def _work() -> str:
    CALLS.append("ran")
    return "ok"


def _half_then_fail() -> str:
    db.session.add(Setting(key="half", value=1))
    db.session.flush()
    raise RuntimeError("boom halfway")


@pytest.fixture(autouse=True)
def _clear():
    CALLS.clear()


def job(run=_work, interval: float = 60, lease: float = 30) -> Job:
    return Job("sample", interval, lease, run, "sample")


def lease_row() -> JobLease:
    db.session.expire_all()
    return db.session.get(JobLease, "sample")


def test_one_runner_at_a_time_and_next_run_after_finish(app):
    with app.app_context():
        assert run_job(job(), "a", force=True) is True
        assert run_job(job(), "b") is None  # not due: next_run = finish + interval
        row = lease_row()
        assert row.owner is None and row.runs == 1 and row.next_run == pytest.approx(row.last_finished + 60)
        # A live lease keeps every other runner out, even when the job is due.
        with db.engine.begin() as conn:
            conn.execute(sa.update(JobLease).values(next_run=0))
        assert try_acquire(job(), "a") is True
        assert try_acquire(job(), "b") is False and try_acquire(job(), "a") is False
        assert CALLS == ["ran"]


def test_racing_runners_get_exactly_one_lease(app):
    with app.app_context():
        run_job(job(), "seed", force=True)
        with db.engine.begin() as conn:
            conn.execute(sa.update(JobLease).values(next_run=0))
        won: list[str] = []
        barrier = threading.Barrier(6)

        def race(me: str) -> None:
            with app.app_context():
                barrier.wait()
                if try_acquire(job(), me):
                    won.append(me)

        threads = [threading.Thread(target=race, args=(f"r{i}",)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1


def test_a_dead_runners_lease_runs_out_and_another_takes_over(app):
    with app.app_context():
        now = time.time()
        run_job(job(), "seed", force=True)
        with db.engine.begin() as conn:  # what a runner killed mid-job leaves: its lease, live for 2 s more
            conn.execute(sa.update(JobLease).values(owner="dead:1", lease_until=now + 2, next_run=0))
        assert run_job(job(), "b") is None
        assert run_job(job(), "b", force=False) is None
        assert try_acquire(job(), "b", now=now + 3) is True  # past the lease


@pytest.mark.parametrize("damage", [
    {"lease_until": 1e300, "owner": "?"},  # a lease in the far future
    {"next_run": 1e300},  # a due time no interval could set
    {"lease_until": None, "owner": "half-written"},
])
def test_an_unreadable_lease_row_is_recovered(app, damage):
    with app.app_context():
        run_job(job(), "seed", force=True)
        with db.engine.begin() as conn:
            conn.execute(sa.update(JobLease).values(next_run=0))
            conn.execute(sa.update(JobLease).values(**damage))
        assert run_job(job(), "b") is True
        assert CALLS == ["ran", "ran"]
        assert status(app)[0].name == "search_deliver"  # status reads every row without failing


def test_garbage_in_a_number_column_is_recovered(app):
    """SQLite keeps text in a REAL column; PostgreSQL's double precision takes NaN."""
    with app.app_context():
        run_job(job(), "seed", force=True)
        junk = "'garbage'" if db.engine.dialect.name == "sqlite" else "'NaN'::float8"
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE job_leases SET lease_until = {junk}, owner = 'x', next_run = {junk},"
                                 f" last_ok = {junk}"))
        assert run_job(job(), "b") is True
        assert CALLS == ["ran", "ran"]


def test_a_failed_job_leaves_no_half_state_and_is_retried_with_backoff(app):
    with app.app_context():
        failing = job(_half_then_fail, interval=3600)
        assert run_job(failing, "a", force=True) is False
        assert db.session.get(Setting, "half") is None  # rolled back
        row = lease_row()
        assert row.owner is None and row.failures == 1 and "boom halfway" in row.last_error
        assert row.next_run == pytest.approx(row.last_finished + 30)
        with db.engine.begin() as conn:
            conn.execute(sa.update(JobLease).values(next_run=0))
        run_job(failing, "a")
        row = lease_row()
        assert row.failures == 2 and row.next_run == pytest.approx(row.last_finished + 60)
        assert [backoff(n, 3600) for n in (1, 2, 3, 12)] == [30, 60, 120, 3600]
        assert run_job(job(), "a", force=True) is True  # success clears the error
        row = lease_row()
        assert row.failures == 0 and row.last_error is None
        runs = db.session.scalars(sa.select(JobRun.ok).order_by(JobRun.id)).all()
        assert runs == [False, False, True]


def test_downtime_is_caught_up_once(app):
    with app.app_context():
        run_job(job(interval=60), "a", force=True)
        with db.engine.begin() as conn:  # the floor was down for a day: 1440 missed intervals
            conn.execute(sa.update(JobLease).values(next_run=time.time() - 86400))
        for _ in range(5):
            run_job(job(interval=60), "a")
        assert CALLS == ["ran", "ran"]


def test_status_command_and_the_staff_home_warn_about_a_late_job(app, client, auth):
    with app.app_context():
        for name in ("search_deliver", "analytics_rollup"):
            db.session.add(JobLease(name=name, next_run=time.time() + 30, created=time.time() - 7200,
                                    last_ok=time.time() - 30, last_error=None, failures=0, runs=3))
        db.session.get(JobLease, "analytics_rollup").last_ok = time.time() - 3600  # 5-minute job, 1 h ago
        db.session.get(JobLease, "analytics_rollup").last_error = "OperationalError: disk I/O error"
        db.session.commit()
        late = {s.name: s.late for s in status(app)}
        assert late["analytics_rollup"] is True and late["search_deliver"] is False
    output = app.test_cli_runner().invoke(args=["jobs", "status"]).output
    assert "analytics_rollup: mỗi 300 s" in output and "disk I/O error" in output and "TRỄ" in output
    auth.as_staff()
    html = client.get("/nhan-vien/").get_data(as_text=True)
    assert "Việc định kỳ bị trễ" in html and "analytics_rollup" in html and "disk I/O error" in html


def test_jobs_run_command(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run", "analytics_rollup"])
    assert result.exit_code == 0 and "xong" in result.output
    result = app.test_cli_runner().invoke(args=["jobs", "run", "nope"])
    assert result.exit_code != 0 and "không có việc" in result.output


@pytest.mark.parametrize("setting, value", [("JOBS_INTERVALS", "nope=5"), ("JOBS_INTERVALS", "search_deliver=0"),
                                            ("JOBS_INTERVALS", "search_deliver"), ("JOBS_TICK_SECONDS", "0"),
                                            ("JOBS_EXTRA", "x=nowhere:nothing@5"),
                                            ("JOBS_EXTRA", "x=job_samples:slow@soon")])
def test_bad_job_settings_are_refused_at_start(monkeypatch, tmp_path, setting, value):
    monkeypatch.setenv(setting, value)
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(RuntimeError, match=setting):
        create_app()
