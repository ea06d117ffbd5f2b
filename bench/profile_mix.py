"""The realistic mix of ``bench/mixed.py``, in-process: CPU time per request and where it
goes, without HTTP, gunicorn or wrk — the figure a change of the request path moves, and
far less sensitive to other load on the machine than req/s.

    .venv/bin/python bench/profile_mix.py --instance /tmp/mix                 # warm and off
    .venv/bin/python bench/profile_mix.py --instance /tmp/mix --modes warm --profile cprofile --top 30
    .venv/bin/python bench/profile_mix.py --instance /tmp/mix --modes off --profile pyinstrument
    .venv/bin/python bench/profile_mix.py --instance /tmp/mix --modes writes

``--instance`` is a demo instance seeded by ``bench/mixed.py --instance`` (seeded here if
it is not yet). Each mode runs on a fresh copy of its database with an empty page-cache
folder, through Flask's test client with a phone browser's User-Agent and no cookie jar
(as wrk: every request an anonymous newcomer): the same URL set and Zipf sequence as
``bench/mixed.py`` (``--seed``), ``--warmup`` requests, then ``--requests`` measured.

Modes: ``warm`` (page cache on), ``writes`` (page cache on, a random public product's
price changed through ``catalog.services.update_product`` every ``--write-every``
requests), ``off`` (``PAGE_CACHE=0``). Prints CPU ms per request (``time.process_time``:
this process only) overall, for hits and misses, and per page kind; with ``--profile``
the profile of the measured requests. Asserts nothing.

CPU time on a shared VM drifts by ±10 % from one minute to the next; instruction counts
do not (the same count to 0.01 % run after run, whatever else the machine does), so a
change of the request path is best compared by them:

    PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.out \
        .venv/bin/python bench/profile_mix.py --instance /tmp/mix --modes warm --hits-only \
        --warmup 3000 --requests 300 --callgrind
    grep '^totals:' /tmp/cg.out        # ÷ the measured requests it printed

(about a minute a run: the warm-up runs uninstrumented; ``--code`` measures another
checkout with the same script.)
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if "--code" in sys.argv:  # another checkout's app (before/after comparisons), this script's bench
    CODE = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
    os.chdir(CODE)
else:
    CODE = ROOT
sys.path.insert(0, str(CODE))
sys.path.insert(0, str(ROOT / "bench"))

import mixed  # noqa: E402

MODES = ("warm", "writes", "off")


def kind_of(path: str) -> str:
    if path.startswith("/san-pham?q="):
        return "search"
    first = path.split("?")[0].split("/")[1] if path != "/" else ""
    if first == "san-pham":
        return "listing" if path.split("?")[0] == "/san-pham" else "product"
    return {"": "home", "danh-muc": "category", "khu-vuc": "area", "co-so": "seller",
            "bo-suu-tap": "collection"}.get(first, "other")


def make_app(env: dict[str, str], page_cache: bool):
    for key in mixed.NOT_INHERITED:
        os.environ.pop(key, None)
    os.environ.update(env)
    os.environ["PAGE_CACHE"] = "1" if page_cache else "0"
    from marketplace import create_app

    return create_app()


def urls_of(app, seed: Path, rng: random.Random) -> list[str]:
    """The URL set of ``bench/mixed.py`` (same seed, same draws)."""
    client = app.test_client(use_cookies=False)
    sitemap = client.get("/sitemap.xml").data
    kinds: dict[str, list[str]] = {}
    for loc in re.findall(rb"<loc>([^<]+)</loc>", sitemap):
        parts = urlsplit(loc.decode())
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        kinds.setdefault(kind_of(path), []).append(path)
    import sqlite3

    con = sqlite3.connect(seed / "marketplace.sqlite")
    collections = [r[0] for r in con.execute("SELECT slug FROM collections ORDER BY id")]
    con.close()
    for slug in collections:
        if client.get(f"/bo-suu-tap/{slug}", headers={"User-Agent": "bench-bot"}).status_code == 200:
            kinds.setdefault("collection", []).append(f"/bo-suu-tap/{slug}")
    kinds.setdefault("listing", []).extend(mixed.listing_urls(seed / "marketplace.sqlite"))
    from urllib.parse import quote

    kinds["search"] = ["/san-pham?q=" + quote(t) for t in mixed.search_terms(seed / "marketplace.sqlite",
                                                                             mixed.SEARCHES, rng)]
    return [u for v in kinds.values() for u in v]


def writer(app, rng: random.Random):
    import sqlalchemy as sa

    from marketplace.catalog import services
    from marketplace.catalog.models import Product
    from marketplace.extensions import db

    with app.app_context():
        ids = list(db.session.scalars(sa.select(Product.id).where(Product.status == "published")))

    def write() -> None:
        with app.test_request_context():
            product = db.session.get(Product, rng.choice(ids))
            services.update_product(product, {"price_vnd": product.price_vnd + rng.choice((-1, 1)) * 1000},
                                    review=False)
            db.session.commit()
    return write


class SqlRecorder:
    """Each statement's count and wall time (cursor execute to its return), by text."""

    def __init__(self) -> None:
        self.stats: dict[str, list[float]] = {}
        self._started: list[float] = []

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._started.append(time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        spent = time.perf_counter() - self._started.pop()
        entry = self.stats.setdefault(" ".join(statement.split()), [0, 0.0])
        entry[0] += 1
        entry[1] += spent

    def report(self, requests: int, top: int) -> None:
        total = sum(t for _, t in self.stats.values())
        count = sum(c for c, _ in self.stats.values())
        print(f"\n  SQL through SQLAlchemy: {count / requests:.2f} statements and "
              f"{1000 * total / requests:.3f} ms a request (driver's execute only)")
        for text, (c, t) in sorted(self.stats.items(), key=lambda kv: -kv[1][1])[:top]:
            print(f"  {1000 * t / requests:7.3f} ms/req {c / requests:6.2f}x  {1000000 * t / c:7.0f} µs  {text[:160]}")


def sql_recorder(app) -> SqlRecorder:
    import sqlalchemy as sa

    from marketplace.extensions import db

    recorder = SqlRecorder()
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", recorder.before)
    sa.event.listen(engine, "after_cursor_execute", recorder.after)
    return recorder


def run(mode: str, args, seed: Path, workdir: Path) -> None:
    env = mixed.mode_instance(seed, workdir / mode)
    app = make_app(env, page_cache=mode != "off")
    rng = random.Random(args.seed)
    urls = urls_of(app, seed, rng)
    sequence = mixed.zipf_sequence(urls, args.warmup + args.requests, rng)
    if args.hits_only:  # only URLs of the warm-up are measured (all hits when the cache is on)
        warmed = set(sequence[:args.warmup])
        sequence = sequence[:args.warmup] + [u for u in sequence[args.warmup:] if u in warmed]
    client = app.test_client(use_cookies=False)
    headers = {"User-Agent": mixed.USER_AGENT}
    write = writer(app, random.Random(args.seed + 1)) if mode == "writes" else None
    for i, path in enumerate(sequence[:args.warmup]):
        if write and i % args.write_every == 0:
            write()
        client.get(path, headers=headers)
    times: dict[str, list[float]] = {}
    status: dict[int, int] = {}
    profiler = None
    if args.profile == "cprofile":
        profiler = cProfile.Profile()
    elif args.profile == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    write_cpu = 0.0
    sql = sql_recorder(app) if args.sql else None
    if args.callgrind:  # run under valgrind --tool=callgrind --instr-atstart=no: count only what follows
        import subprocess

        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    started = time.process_time()
    if profiler:
        profiler.enable() if args.profile == "cprofile" else profiler.start()
    for i, path in enumerate(sequence[args.warmup:]):
        if write and i % args.write_every == 0:
            t = time.process_time()
            write()
            write_cpu += time.process_time() - t
        t = time.process_time()
        response = client.get(path, headers=headers)
        response.close()
        spent = time.process_time() - t
        status[response.status_code] = status.get(response.status_code, 0) + 1
        hit = response.headers.get("X-Page-Cache")
        times.setdefault(f"{kind_of(path)}", []).append(spent)
        times.setdefault(f"[{hit or 'rendered'}]", []).append(spent)
    if profiler:
        profiler.disable() if args.profile == "cprofile" else profiler.stop()
    total = time.process_time() - started - write_cpu
    if args.callgrind:
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
    n = len(sequence) - args.warmup
    print(f"\n== {mode}: {n} requests, {1000 * total / n:.3f} ms CPU per request (writes apart: "
          f"{1000 * write_cpu:.0f} ms); statuses {status}")
    for name in sorted(times, key=lambda k: -len(times[k])):
        values = times[name]
        print(f"  {name:<12} {len(values):>6} req  mean {1000 * statistics.fmean(values):6.3f} ms  "
              f"median {1000 * statistics.median(values):6.3f} ms  share {100 * sum(values) / total:5.1f} %")
    if sql is not None:
        sql.report(n, args.top)
    if args.profile == "cprofile":
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
        if args.dump:
            stats.dump_stats(args.dump)
    elif args.profile == "pyinstrument":
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        if args.html:
            Path(args.html).write_text(profiler.output_html())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", required=True, help="demo instance folder (as bench/mixed.py --instance)")
    parser.add_argument("--modes", default="warm,off")
    parser.add_argument("--warmup", type=int, default=4000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--write-every", type=int, default=500, help="requests between writes (writes mode)")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--hits-only", action="store_true", help="measure only URLs requested in the warm-up")
    parser.add_argument("--profile", choices=("cprofile", "pyinstrument"))
    parser.add_argument("--sort", default="tottime", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callgrind", action="store_true",
                        help="switch callgrind's instrumentation on for the measured requests only (run the "
                             "script under PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no; the "
                             "output's 'totals:' line divided by the requests is the instruction count of one)")
    parser.add_argument("--code", help="the checkout whose app is measured (default: this one)")
    parser.add_argument("--sql", action="store_true",
                        help="also list the statements run through SQLAlchemy, by total time")
    parser.add_argument("--html", help="pyinstrument: also write an HTML report here")
    parser.add_argument("--dump", help="cprofile: also write the stats here (pstats.Stats can read them back)")
    args = parser.parse_args()
    seed = mixed.seeded_instance(Path(args.instance))
    workdir = Path(tempfile.mkdtemp(prefix="profile-mix-"))
    try:
        for mode in args.modes.split(","):
            if mode not in MODES:
                parser.error(f"unknown mode {mode}")
            run(mode, args, seed, workdir)
            # One app per process is what create_app expects of module state (signals,
            # slot registry); a second mode reuses them, which is harmless here.
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
