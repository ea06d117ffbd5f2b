"""Relevance of each search backend on the judged query set (bench/relevance/).

    .venv/bin/python bench/relevance.py                       # sqlite + database on SQLite
    .venv/bin/python bench/relevance.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/x

Prints nDCG@10, precision@5 and the worst queries per backend. Grades come from
bench/relevance/grades.json (computed from the catalog by the rule in
bench/relevance/RULES.md, never from an engine). The demo catalog is seeded when the
database is missing or empty (the PostgreSQL one too: give it a database of its own).
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "relevance"))

import sqlalchemy as sa  # noqa: E402

from grade import DEFAULT_DB, ensure_demo, load_queries  # noqa: E402
from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402
from marketplace.search import SearchQuery, get_search  # noqa: E402

K = 10


def dcg(gains: list[float]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg(ranked: list[float], ideal: list[float], k: int = K) -> float:
    best = dcg(sorted(ideal, reverse=True)[:k])
    return dcg(ranked[:k]) / best if best else 1.0


def evaluate(app, grades: dict[str, dict[str, float]]) -> list[tuple[str, str, float, float]]:
    from marketplace.catalog.models import Product
    from marketplace.search.synonym_seed import seed_synonyms

    rows = []
    with app.app_context():
        if seed_synonyms():  # a demo catalog seeded before the seed synonyms existed
            db.session.commit()
        for query, kind, _ in load_queries():
            result = get_search().search(SearchQuery(text=query, per_page=K, with_facets=False))
            slugs = dict(db.session.execute(sa.select(Product.id, Product.slug).where(Product.id.in_(result.ids))).all())
            judged = grades.get(query, {})
            ranked = [judged.get(slugs.get(pid, ""), 0.0) for pid in result.ids]
            p5 = sum(1 for g in ranked[:5] if g >= 1) / 5
            rows.append((query, kind, ndcg(ranked, list(judged.values())), p5))
            db.session.remove()
    return rows


def report(label: str, rows) -> None:
    scores = [r[2] for r in rows]
    print(f"\n== {label}: {len(rows)} queries ==")
    print(f"mean nDCG@{K}: {statistics.mean(scores):.3f}   min: {min(scores):.3f}   "
          f"queries below 0.7: {sum(s < 0.7 for s in scores)}   mean precision@5: {statistics.mean(r[3] for r in rows):.3f}")
    kinds = sorted({r[1] for r in rows})
    print("by kind: " + ", ".join(
        f"{k} {statistics.mean(r[2] for r in rows if r[1] == k):.3f}" for k in kinds))
    print("worst:")
    for query, kind, score, p5 in sorted(rows, key=lambda r: r[2])[:8]:
        print(f"  {score:.3f}  P@5 {p5:.1f}  {query!r} ({kind})")


def app_for(url: str, backend: str, workdir: Path):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SEARCH_BACKEND": backend,
        "UPLOAD_FOLDER": str(workdir / "uploads"), "MAIL_FOLDER": str(workdir / "mail"),
    })


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite demo catalog (seeded when missing)")
    parser.add_argument("--pg-url", help="PostgreSQL URL: also run the database backend there")
    args = parser.parse_args(argv)
    grades = json.loads((HERE / "relevance" / "grades.json").read_text(encoding="utf-8"))
    ensure_demo(args.db)
    url = f"sqlite:///{args.db}"
    for backend in ("sqlite", "database"):
        app = app_for(url, backend, args.db.parent)
        if backend == "sqlite":
            with app.app_context():
                get_search().rebuild()  # the index as this code builds it
        report(f"{backend} (SQLite)", evaluate(app, grades))
    if args.pg_url:
        from flask_migrate import upgrade

        from marketplace.demo.cli import run_seed

        app = app_for(args.pg_url, "database", args.db.parent)
        with app.app_context():
            upgrade()
            run_seed(reset=False, if_empty=True, photos=False, echo=lambda *_: None)
        report("database (PostgreSQL)", evaluate(app, grades))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
