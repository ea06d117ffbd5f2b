"""Do buyer pages read the same after a change? Snapshots of rendered HTML, then a diff.

    .venv/bin/python bench/same_pages.py --db /tmp/mix/marketplace.sqlite --out /tmp/pages-before
    (change the code, or run the other checkout's copy of this script)
    .venv/bin/python bench/same_pages.py --db /tmp/mix/marketplace.sqlite --out /tmp/pages-after \\
        --compare /tmp/pages-before

Builds the app of the checkout this script lives in (``flask db upgrade`` applied to a
copy of ``--db``, a seeded demo database; the copy is what gets changed), the page cache
off, and requests through Flask's test client a fixed set of buyer URLs with a browser
User-Agent: home, every listing variant and category page of ``bench/mixed.py``, up to
``--per-kind`` products, sellers, areas and searches (the same ones for the same
database). Each page is written to ``--out`` with its CSRF and click tokens replaced by
placeholders; with ``--compare``, pages that differ from the other snapshot are listed
with the first lines of their diff. Exit status 1 when any page differs.
"""
from __future__ import annotations

import argparse
import difflib
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from mixed import USER_AGENT, listing_urls, search_terms  # noqa: E402

TOKENS = (
    (re.compile(r'(name="csrf_token"[^>]*value=")[^"]*"'), r'\1CSRF"'),
    (re.compile(r'(\?ref=)[A-Za-z0-9_-]+(\.\d+)'), r'\1REF\2'),
)


def normalised(html: str) -> str:
    for pattern, replacement in TOKENS:
        html = pattern.sub(replacement, html)
    return html


def urls(db_path: Path, per_kind: int) -> dict[str, list[str]]:
    rng = random.Random(15)
    con = sqlite3.connect(db_path)
    public = ("SELECT p.slug FROM products p JOIN sellers s ON s.id = p.seller_id "
              "WHERE p.status = 'published' AND s.status = 'approved' ORDER BY p.id")
    products = [r[0] for r in con.execute(public)]
    sellers = [r[0] for r in con.execute("SELECT slug FROM sellers WHERE status = 'approved' ORDER BY id")]
    categories = [r[0] for r in con.execute("SELECT slug FROM categories ORDER BY id")]
    areas = [r[0] for r in con.execute(
        "SELECT DISTINCT a.slug FROM areas a JOIN products p ON p.area_id = a.id ORDER BY a.slug")]
    con.close()
    return {
        "home": ["/"],
        "listing": ["/san-pham", *listing_urls(db_path)],
        "category": [f"/danh-muc/{s}" for s in categories],
        "area": [f"/khu-vuc/{s}" for s in areas[:per_kind]],
        "product": [f"/san-pham/{s}" for s in rng.sample(products, min(per_kind, len(products)))],
        "seller": [f"/co-so/{s}" for s in rng.sample(sellers, min(per_kind, len(sellers)))],
        "search": ["/san-pham?q=" + quote(t) for t in search_terms(db_path, per_kind, rng)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="a seeded demo SQLite database (never changed)")
    parser.add_argument("--out", required=True, help="folder for this snapshot (emptied first)")
    parser.add_argument("--compare", help="an earlier snapshot folder to compare with")
    parser.add_argument("--per-kind", type=int, default=60)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="same-pages-"))
    db_path = workdir / "marketplace.sqlite"
    shutil.copy(args.db, db_path)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "same-pages", "PAGE_CACHE": "0",
           "PAGE_CACHE_DIR": "off", "REQUEST_LOG": "0", "UPLOAD_FOLDER": str(Path(args.db).parent / "uploads"),
           "MAIL_FOLDER": str(workdir / "mail")}
    subprocess.run([sys.executable, "-m", "flask", "--app", "marketplace", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    os.environ.update(env)
    from marketplace import create_app

    app = create_app()
    client = app.test_client(use_cookies=False)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    count = 0
    for kind, paths in urls(db_path, args.per_kind).items():
        for i, path in enumerate(paths):
            response = client.get(path, headers={"User-Agent": USER_AGENT})
            text = f"{path}\n{response.status_code}\n" + normalised(response.get_data(as_text=True))
            (out / f"{kind}-{i:03d}.html").write_text(text)
            count += 1
    print(f"{count} pages written to {out}")
    shutil.rmtree(workdir, ignore_errors=True)
    if not args.compare:
        return
    other = Path(args.compare)
    differ = 0
    for page in sorted(out.iterdir()):
        before = (other / page.name).read_text() if (other / page.name).exists() else ""
        if before != page.read_text():
            differ += 1
            diff = difflib.unified_diff(before.splitlines(), page.read_text().splitlines(), lineterm="", n=0)
            print(f"--- {page.name} differs:\n" + "\n".join(list(diff)[2:10]))
    print(f"{differ} of {count} pages differ from {other}")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
