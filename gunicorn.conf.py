"""gunicorn settings shared by `make run` and production (gunicorn reads this file from
the working directory; command-line options win).

Workers: CPU count + 1, at most 8, unless WEB_CONCURRENCY says otherwise. A page here
is CPU work (SQL on a local database, Jinja rendering), not waiting on the network, so
workers beyond the cores add memory (about 70 MiB each) and context switches, not
throughput; the one extra keeps the cores busy while a worker waits on the disk or on
SQLite's single writer. Sync workers are right behind nginx, which buffers slow clients.
"""
import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min((os.cpu_count() or 1) + 1, 8))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
# Recycle workers now and then so memory growth stays bounded; jitter avoids all at once.
# Rarely: a recycled worker starts with an empty page cache (which is itself bounded by
# PAGE_CACHE_MAX_BYTES) and its first requests wait ~1 s for the app to load.
max_requests = 100_000
max_requests_jitter = 10_000
# gunicorn ≥ 25 opens a control socket in ~/.gunicorn/ by default, one path for every
# instance on the machine (and not writable under systemd's ProtectHome): not used here.
control_socket_disable = True
# The app writes one JSON line per request (logger marketplace.request); no second access log.
accesslog = None


# Periodic jobs (search delivery, analytics rollup and retention, certificate reminders,
# demo dates) run inside the workers: each worker has a runner thread, and a lease row in
# the database lets exactly one runner of all workers and instances run a given job at a
# time (marketplace/jobs). No cron needed; JOBS=0 turns it off.
def post_worker_init(worker):
    from marketplace.jobs import start_runner

    start_runner(worker.wsgi)


def worker_exit(server, worker):
    from marketplace.jobs import stop_runner

    stop_runner()
