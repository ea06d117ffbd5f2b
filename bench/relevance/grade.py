"""Grade every public demo product for every query of queries.tsv by the rule in
RULES.md and write grades.json. Reads the catalog only (no search engine).

    .venv/bin/python bench/relevance/grade.py [--db /tmp/relevance-demo.sqlite]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parent))

import sqlalchemy as sa  # noqa: E402

from marketplace.text import fold  # noqa: E402
from marketplace.search.analysis import words_of  # noqa: E402
from marketplace.search.synonym_seed import SEED_SYNONYMS  # noqa: E402

DEFAULT_DB = Path("/tmp/relevance-demo.sqlite")


def load_queries(path: Path = HERE / "queries.tsv") -> list[tuple[str, str, list[tuple[str, bool]]]]:
    """(query, kind, [(intended folded word, is prefix)])."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, kind, intended = (line.split("\t") + ["", ""])[:3]
        text = intended.strip() or fold(query)
        words = []
        for w in text.split():
            words.append((fold(w.rstrip("*")), w.endswith("*")))
        out.append((query, kind, words))
    return out


def synonym_table() -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    for a, b, _ in SEED_SYNONYMS:
        a, b = fold(a), fold(b)
        if " " not in a and " " not in b:  # the queries here use single-word ones only
            table.setdefault(a, set()).add(b)
            table.setdefault(b, set()).add(a)
    return table


def _has(tokens: list[str], word: str, prefix: bool, alts: set[str]) -> bool:
    for t in tokens:
        if t == word or (prefix and t.startswith(word)) or t in alts:
            return True
    return False


def _phrase(tokens: list[str], words, alts) -> bool:
    n = len(words)
    for i in range(len(tokens) - n + 1):
        if all(
            tokens[i + j] == w or (p and tokens[i + j].startswith(w)) or tokens[i + j] in alts[j]
            for j, (w, p) in enumerate(words)
        ):
            return True
    return False


def grade(fields: dict[str, list[str]], words, synonyms: dict[str, set[str]] | None) -> float:
    alts = [(synonyms or {}).get(w, set()) for w, _ in words]
    name = fields["name"]
    short = name + fields["category"] + fields["seller"] + fields["area"]
    every = short + fields["description"]
    if _phrase(name, words, alts):
        return 3
    if all(_has(name, w, p, a) for (w, p), a in zip(words, alts)):
        return 2
    # "every word in name, category, seller or area": each word in one of them
    if all(_has(short, w, p, a) for (w, p), a in zip(words, alts)):
        return 1
    if all(_has(every, w, p, a) for (w, p), a in zip(words, alts)):
        return 0.5
    return 0


def final_grade(fields, words, synonyms) -> float:
    own = grade(fields, words, None)
    with_synonyms = grade(fields, words, synonyms)
    return max(own, with_synonyms - 1 if with_synonyms > own else own)


def catalog(db_path: Path) -> dict[str, dict[str, list[str]]]:
    """slug → folded word lists per field, public products only."""
    engine = sa.create_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        cats = {i: (p, n) for i, p, n in conn.execute(sa.text("SELECT id, parent_id, name FROM categories"))}
        aliases: dict[int, list[str]] = {}
        for area_id, name in conn.execute(sa.text("SELECT area_id, name FROM area_aliases")):
            aliases.setdefault(area_id, []).append(name)
        rows = conn.execute(
            sa.text(
                "SELECT p.slug, p.name, p.description, p.category_id, s.name, a.id, a.name"
                " FROM products p JOIN sellers s ON s.id = p.seller_id LEFT JOIN areas a ON a.id = p.area_id"
                " WHERE p.status = 'published' AND s.status = 'approved'"
            )
        ).all()
    out = {}
    for slug, name, description, cat_id, seller, area_id, area in rows:
        cat_names = []
        while cat_id is not None and cat_id in cats and len(cat_names) < 10:
            cat_id, cname = cats[cat_id][0], cats[cat_id][1]
            cat_names.append(cname)
        area_text = " ".join([area or "", *aliases.get(area_id, [])])
        out[slug] = {
            "name": words_of(fold(name)),
            "category": words_of(fold(" ".join(cat_names))),
            "seller": words_of(fold(seller)),
            "area": words_of(fold(area_text)),
            "description": words_of(fold(description or "")),
        }
    return out


def ensure_demo(db_path: Path) -> None:
    if db_path.exists():
        return
    from search_bench import make_app, seed_demo

    seed_demo(make_app(db_path, "database"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="demo catalog (seeded when missing)")
    args = parser.parse_args(argv)
    ensure_demo(args.db)
    products = catalog(args.db)
    synonyms = synonym_table()
    grades = {}
    for query, _kind, words in load_queries():
        graded = {slug: final_grade(fields, words, synonyms) for slug, fields in products.items()}
        grades[query] = {slug: g for slug, g in sorted(graded.items()) if g > 0}
        best = max(grades[query].values(), default=0)
        print(f"{query!r}: {len(grades[query])} graded, best {best}")
    (HERE / "grades.json").write_text(json.dumps(grades, ensure_ascii=False, indent=0, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
