"""Profile each page in-process: time, SQL statements, and where the time goes.

    .venv/bin/python bench/profile_pages.py                          # seeds a demo DB in a temp folder
    .venv/bin/python bench/profile_pages.py --db /tmp/demo.sqlite --requests 40 --top 10

Builds the app on a copy of a SQLite demo catalog (seeded with ``seed-demo --no-photos``
when ``--db`` does not exist; the copy is what gets changed) and, for each page kind
(home, listing, filtered listing, search, product, seller, category, area, and when
present a collection page and the staff pages as a staff user), measures through
Flask's test client, without HTTP or a server:

- *warm*: the median and p95 time of ``--requests`` requests in a row over a working set
  of up to 10 URLs per kind, each requested before (anonymous pages then come from the
  page cache);
- *first view*: the median time of a URL not requested before (rendered; nothing
  changed in the catalog);
- *after a change*: the median time of a request made right after a catalog change
  (one product's price changed and committed, which moves the search index
  generation and every cache keyed on it), repeated ``--changes`` times;
- SQL statements per request (SQLAlchemy ``before_cursor_execute`` events), median
  and max over the warm requests;
- with ``--top N`` (default 8), cProfile's top functions by own time over the warm
  requests, the app's and templates' top functions by cumulative time, and the own time per layer (Jinja, SQLAlchemy, SQLite, Babel, WTForms,
  Flask/Werkzeug, app code, other).

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))

from http_bench import QUERIES, USER_AGENT, pct, sample_slugs  # noqa: E402


LAYERS = (
    ("Jinja", ("jinja2/", "templates/", "markupsafe/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("SQLite", ("sqlite3.",)),
    ("Babel", ("babel/", "flask_babel/")),
    ("WTForms", ("wtforms/", "flask_wtf/")),
    ("Flask/Werkzeug", ("flask/", "werkzeug/", "flask_login/", "itsdangerous/")),
    ("app", ("marketplace/",)),
)


def layer(filename: str, func: str) -> str:
    """Which layer a profiled function belongs to (own time only)."""
    where = f"{filename} {func}"
    for name, marks in LAYERS:
        if any(mark in where for mark in marks):
            return name
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="SQLite demo database (created and seeded if missing; never changed)")
    parser.add_argument("--requests", type=int, default=40, help="warm requests per page kind")
    parser.add_argument("--changes", type=int, default=10, help="catalog changes per page kind")
    parser.add_argument("--top", type=int, default=8, help="cProfile functions shown per page kind (0: none)")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="render every page (PAGE_CACHE off): profile the rendering path")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="profile-pages-"))
    source = Path(args.db) if args.db else workdir / "seeded.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{source}", "SECRET_KEY": "bench",
           "UPLOAD_FOLDER": str(workdir / "uploads"), "MAIL_FOLDER": str(workdir / "mail"), "REQUEST_LOG": "0"}
    if not source.exists():
        print(f"seeding {source} …", flush=True)
        for cmd in (("db", "upgrade"), ("seed-demo", "--no-photos")):
            subprocess.run([str(BIN / "flask"), "--app", "marketplace", *cmd], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
    db_path = workdir / "demo.sqlite"
    shutil.copy(source, db_path)
    env["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.update(env)

    import sqlalchemy as sa
    from sqlalchemy import event

    from marketplace import create_app
    from marketplace.catalog.models import Product
    from marketplace.extensions import db

    app = create_app()
    if args.no_page_cache:
        app.config["PAGE_CACHE"] = False
    slugs = sample_slugs(db_path)
    rng = random.Random(3)
    pages = {
        "home": lambda: "/",
        "listing": lambda: f"/san-pham?page={rng.randint(1, 5)}",
        "filtered listing": lambda: f"/san-pham?stars={rng.choice('345')}&sort=price_asc&page={rng.randint(1, 3)}",
        "search": lambda: "/san-pham?q=" + quote(rng.choice(QUERIES)),
        "product": lambda: "/san-pham/" + rng.choice(slugs["product"]),
        "seller": lambda: "/co-so/" + rng.choice(slugs["seller"]),
        "category": lambda: "/danh-muc/" + rng.choice(slugs["category"]),
        "area": lambda: "/khu-vuc/" + rng.choice(slugs["area"]),
    }
    client = app.test_client()
    staff_client = None
    with app.app_context():
        rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ())]
        for rule in rules:
            if "collection" in rule.endpoint and set(rule.arguments) == {"slug"} and slugs["collection"] \
                    and not rule.rule.startswith(("/nhan-vien", "/dashboard", "/api")):
                from flask import url_for

                with app.test_request_context():
                    ok = [url_for(rule.endpoint, slug=s) for s in slugs["collection"]]
                ok = [u for u in ok if client.get(u).status_code == 200]
                if ok:
                    pages["collection"] = lambda ok=ok: rng.choice(ok)
                    break
        staff_rules = sorted((r.rule for r in rules if r.rule.startswith("/nhan-vien") and not r.arguments))
        if staff_rules:
            from marketplace.accounts.models import User

            staff = db.session.scalar(sa.select(User).where(User.role.in_(("staff", "admin"))).limit(1))
            if staff is None:
                from marketplace.accounts import services as account_services

                staff = account_services.create_user("profile-staff@example.vn", "profile-staff-2026", "staff")
                db.session.commit()
            staff_id = staff.get_id()
        product_ids = list(db.session.scalars(sa.select(Product.id).where(Product.status == "published")))
        db.session.remove()

    # Outside the app context above: requests made inside it would share its ``g``, where
    # Flask-Login caches the first request's (anonymous) user.
    if staff_rules:
        staff_client = app.test_client()
        with staff_client.session_transaction() as session:
            session["_user_id"] = staff_id
            session["_fresh"] = True
        wanted = [r for r in staff_rules if r in ("/nhan-vien/", "/nhan-vien/thong-ke/")]
        for path in wanted or staff_rules[:8]:  # staff home and analytics overview
            status = staff_client.get(path).status_code
            if status == 200:
                pages[f"staff {path}"] = lambda p=path: p
            else:
                print(f"  ! staff page {path}: {status}, left out")

    statements = 0

    @event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def count(*_args, **_kw):
        nonlocal statements
        statements += 1

    def fetch(name: str, path: str) -> float:
        c = staff_client if name.startswith("staff") else client
        started = time.perf_counter()
        response = c.get(path, headers={"User-Agent": USER_AGENT})  # a browser: the view is counted
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            print(f"  ! {path}: {response.status_code}")
        return elapsed

    def change_catalog() -> None:
        with app.app_context():
            product = db.session.get(Product, rng.choice(product_ids))
            product.price_vnd = product.price_vnd + 1000
            db.session.commit()
            db.session.remove()

    rows = []
    seen: set[str] = set()
    for name, make in pages.items():
        # The working set: up to 10 URLs of this kind, each requested before it is timed
        # (anonymous pages then come from the page cache, as a visited page does).
        working = list(dict.fromkeys(make() for _ in range(10)))
        for path in working * 2:
            fetch(name, path)
        seen.update(working)
        warm, sql = [], []
        for _ in range(args.requests):
            statements = 0
            warm.append(fetch(name, rng.choice(working)))
            sql.append(statements)
        # First views: URLs of this kind nobody requested yet (rendered, nothing changed).
        first, first_sql = [], []
        for _ in range(args.changes * 4):
            path = make()
            if path in seen:
                continue
            seen.add(path)
            statements = 0
            first.append(fetch(name, path))
            first_sql.append(statements)
            if len(first) == args.changes:
                break
        after = []
        for _ in range(args.changes):
            change_catalog()
            after.append(fetch(name, rng.choice(working)))
        rows.append((name, statistics.median(warm), pct(warm, .95),
                     statistics.median(first) if first else None, statistics.median(after),
                     statistics.median(sql), max(sql), statistics.median(first_sql) if first_sql else None))
        if args.top:
            profiler = cProfile.Profile()
            paths = [make() for _ in range(args.requests)]
            profiler.enable()
            for path in paths:
                fetch(name, path)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            total = sum(v[2] for v in stats.stats.values())
            print(f"\n== {name}: top {args.top} functions by own time over {len(paths)} requests "
                  f"({total / len(paths) * 1000:.1f} ms profiled per request)")
            shares: dict[str, float] = {}
            for (filename, _line, func), (_cc, _calls, tottime, _cum, _callers) in stats.stats.items():
                shares[layer(filename, func)] = shares.get(layer(filename, func), 0.0) + tottime
            print("  by layer: " + ", ".join(f"{k} {v / total * 100:.0f}%" for k, v in
                                            sorted(shares.items(), key=lambda kv: -kv[1])))
            top = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[: args.top]
            for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in top:
                short = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
                print(f"  {tottime / total * 100:5.1f}%  {calls / len(paths):7.1f} calls/req  {short}:{line} {func}")
            app_cum = sorted(((k, v) for k, v in stats.stats.items()
                              if "marketplace/" in k[0] or "templates/" in k[0]),
                             key=lambda kv: kv[1][3], reverse=True)[: args.top]
            print(f"  top {args.top} app/template functions by cumulative time:")
            for (filename, line, func), (_cc, calls, _tottime, cumtime, _callers) in app_cum:
                short = filename.replace(str(ROOT) + "/", "")
                print(f"  {cumtime / total * 100:5.1f}%  {calls / len(paths):7.1f} calls/req  {short}:{line} {func}")

    print(f"\nin-process (Flask test client), {len(product_ids)} published products, "
          f"load average {os.getloadavg()[0]:.2f} (2-core machine shared with other work)")
    print(f"page cache {'on' if app.config.get('PAGE_CACHE') else 'off'}; warm: a working set of up to 10 URLs "
          "per kind, each seen before; first view: a URL not requested before; after change: right after "
          "a product's price changed (every cache keyed on the catalog generation is stale)")
    header = (f"{'page':<26} {'warm p50':>9} {'warm p95':>9} {'first view p50':>15} {'after change p50':>17}"
              f" {'SQL warm':>9} {'SQL max':>8} {'SQL first':>10}")
    print(header)
    print("-" * len(header))
    for name, p50, p95, first, after, sql_median, sql_max, first_sql in rows:
        first_text = f"{first:>13.1f}ms" if first is not None else f"{'-':>15}"
        first_sql_text = f"{first_sql:>10.0f}" if first_sql is not None else f"{'-':>10}"
        print(f"{name:<26} {p50:>7.1f}ms {p95:>7.1f}ms {first_text} {after:>15.1f}ms {sql_median:>9.0f}"
              f" {sql_max:>8} {first_sql_text}")


if __name__ == "__main__":
    main()
