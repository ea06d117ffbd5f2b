"""Outbox bound: after a rollup of N popularity rows, how long until a seller's edit is
searchable, and how long the popularity rows take to drain.

    .venv/bin/python bench/meili_outbox_bench.py                  # 10,000 products, SQLite
    .venv/bin/python bench/meili_outbox_bench.py --products 2000
    .venv/bin/python bench/meili_outbox_bench.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_meili

The "engine" is the STAND-IN of the tests (tests/search/meili_standin.py), NOT
Meilisearch: its tasks are applied by a Python thread in microseconds. The figures are
therefore our side's cost (database, documents, HTTP, waits) plus a toy engine's; on a
real engine each task adds its indexing time. What the bound shows regardless of the
engine: the seller's edit goes out in the first round after its commit, however many
popularity rows wait (before: behind them, 500 rows per delivery).

Prints figures, asserts only that the edit arrived. Wall and CPU time (``process_time``
of this process; the stand-in's thread counts too) are printed with the load average.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.catalog.models import Product  # noqa: E402
from marketplace.demo.factories import make_category, make_product, make_seller  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.search import get_search  # noqa: E402
from marketplace.search.indexing import indexing_suspended  # noqa: E402
from marketplace.search.outbox import SearchOutbox  # noqa: E402
from tests.search.meili_standin import StandInMeili  # noqa: E402


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="meili-outbox-bench-"))
    with StandInMeili() as engine:
        app = create_app({
            "SECRET_KEY": "bench", "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": args.db or f"sqlite:///{workdir / 'bench.sqlite'}",
            "SEARCH_BACKEND": "meilisearch", "MEILI_URL": engine.url, "MEILI_API_KEY": "stand-in",
            "UPLOAD_FOLDER": str(workdir / "uploads"), "PAGE_CACHE_DIR": str(workdir / "pagecache"),
        })
        with app.app_context():
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.create_all()
            with indexing_suspended():
                seller, category = make_seller(name="HTX Tân Cương"), make_category(name="Chè")
                for i in range(args.products):
                    make_product(name=f"Chè búp số {i}", seller=seller, category=category)
                    if i % 1000 == 999:
                        db.session.commit()
                db.session.commit()
            backend = get_search().primary
            _, build_ms, _ = timed(backend.rebuild)

            # What the rollup writes in one transaction: view counts and one popularity row each.
            ids = list(db.session.scalars(sa.select(Product.id).order_by(Product.id)))
            db.session.execute(sa.update(Product).values(view_count=Product.id % 97))
            get_search().update_popularity(db.session, {i: 0 for i in ids})
            db.session.commit()
            waiting = db.session.scalar(sa.select(sa.func.count()).where(SearchOutbox.delivered_at.is_(None)))

            product = db.session.get(Product, ids[len(ids) // 2])
            product.name = "Chè búp — giá mới"

            def commit_edit():
                db.session.commit()  # the after-commit delivery runs here
                return engine.state.indexes["products"]["docs"][product.id]["name"]

            name, edit_ms, edit_cpu = timed(commit_edit)
            assert name == "Chè búp — giá mới", name
            left = db.session.scalar(sa.select(sa.func.count()).where(SearchOutbox.delivered_at.is_(None)))
            _, drain_ms, drain_cpu = timed(get_search().deliver_pending)
            after = db.session.scalar(sa.select(sa.func.count()).where(SearchOutbox.delivered_at.is_(None)))
            dialect = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()

    print(f"machine: {platform.machine()} {os.cpu_count()} cpu, python {platform.python_version()}, "
          f"{dialect}, load {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("engine: the tests' STAND-IN (not Meilisearch)")
    print(f"reindex of {args.products} products: {build_ms:.0f} ms")
    print(f"popularity rows waiting: {waiting}")
    print(f"seller's edit: commit + its delivery {edit_ms:.0f} ms wall, {edit_cpu:.0f} ms CPU; "
          f"searchable after it; rows still pending: {left}")
    print(f"draining the rest (one deliver_pending): {drain_ms:.0f} ms wall, {drain_cpu:.0f} ms CPU; "
          f"rows still pending: {after}")


if __name__ == "__main__":
    main()
