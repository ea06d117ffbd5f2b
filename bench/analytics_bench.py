"""What recording a page view adds to a page: p50 / p95 / max in milliseconds.

    .venv/bin/python bench/analytics_bench.py                       # SQLite file in a temp folder
    .venv/bin/python bench/analytics_bench.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_db

Builds a small catalog, then requests product, home, category and search pages through
the Flask test client (a fresh app context per request, as in production) with a
browser User-Agent and a new client address every 5th request (so new visitor marks are
written too). Two costs are timed inside the app, per request:

* recording — the ``after_request`` hook: end the view's read transaction, hash the
  visitor, and one transaction with the visitor mark, the daily and total UPSERTs (and
  the search row on search pages), committed;
* footer — the one query that reads the site total (and the product's count).

It prints both and their sum ("added"). It also times whole requests with recording
switched off and on (interleaved), for scale; on a shared machine that difference is
noisier than the direct timing. Asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def line(name: str, values: list[float]) -> str:
    return (f"{name:<28} p50 {statistics.median(values):6.2f}  p95 {pct(values, 0.95):6.2f}  "
            f"max {max(values):6.2f} ms  (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", help="SQLAlchemy URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    from marketplace import create_app
    from marketplace.analytics import recording
    from marketplace.extensions import db
    from marketplace.demo.factories import make_category, make_product, make_seller

    tmp = tempfile.mkdtemp(prefix="analytics-bench-")
    url = args.db or f"sqlite:///{tmp}/bench.sqlite"
    app = create_app({"TESTING": False, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_FOLDER": f"{tmp}/up", "MAIL_FOLDER": f"{tmp}/mail", "RATELIMIT_ENABLED": False})
    with app.app_context():
        import sqlalchemy as sa

        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        init = app.extensions.get("search_schema_init")
        if init:
            init()
        category = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX Bench", slug="htx-bench")
        for n in range(40):
            make_product(name=f"Chè bench {n}", slug=f"che-bench-{n}", seller_id=seller.id, category_id=category.id)
        db.session.commit()
        from marketplace.search import get_search

        get_search().rebuild()

    timings: dict[str, list[float]] = {"recording": [], "footer": []}
    hook = recording.after_request
    funcs = app.after_request_funcs[None]
    index = funcs.index(hook)

    def timed_hook(response):
        start = time.perf_counter()
        try:
            return hook(response)
        finally:
            timings["recording"].append((time.perf_counter() - start) * 1000)

    funcs[index] = timed_hook
    shown = app.jinja_env.globals["shown_views"]

    def timed_shown(*a, **kw):
        start = time.perf_counter()
        try:
            return shown(*a, **kw)
        finally:
            timings["footer"].append((time.perf_counter() - start) * 1000)

    app.jinja_env.globals["shown_views"] = timed_shown

    client = app.test_client()
    paths = [f"/san-pham/che-bench-{n}" for n in range(40)] + ["/", "/danh-muc/che", "/san-pham?q=che bench"]
    for i in range(50):  # warm-up
        client.get(paths[i % len(paths)], headers={"User-Agent": BROWSER})
    for key in timings:
        timings[key].clear()
    added: list[float] = []
    recorded: list[float] = []
    whole = {True: [], False: []}
    for i in range(args.requests):
        path = paths[i % len(paths)]
        addr = f"10.0.{i // 5 // 250}.{i // 5 % 250 + 1}"
        on = i % 2 == 0
        app.config["ANALYTICS_ENABLED"] = on
        before = (len(timings["recording"]), len(timings["footer"]))
        start = time.perf_counter()
        response = client.get(path, headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": addr})
        whole[on].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        if on:
            rec = sum(timings["recording"][before[0]:])
            foot = sum(timings["footer"][before[1]:])
            recorded.append(rec)
            added.append(rec + foot)
    with app.app_context():
        from marketplace.analytics.models import TotalCount

        total = db.session.scalar(sa.select(TotalCount.views).where(TotalCount.kind == "site"))
    print(f"analytics recording overhead · Python {platform.python_version()} · {url.split(':', 1)[0]} · "
          f"{os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f}")
    print(line("recording (after_request)", recorded))
    print(line("footer figure query", timings["footer"]))
    print(line("added per counted page", added))
    print(line("whole request, recording on", whole[True]))
    print(line("whole request, recording off", whole[False]))
    print(f"site total recorded: {total} (recording on for {len(whole[True])} requests + 50 warm-up)")


if __name__ == "__main__":
    main()
