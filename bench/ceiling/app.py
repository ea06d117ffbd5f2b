"""The ceiling: a bare Flask app doing the least a catalog page can do.

One SQLite table of 2,700 products (name, price, image URL); ``GET /?page=N`` reads 24
rows with one query on a per-request connection and renders them through a Jinja
template that extends a ~50-line base layout, with a price filter. No ORM, no
sessions, no i18n, no CSRF: what the marketplace's pages are compared with in
``bench/http_bench.py``.

    CEILING_DB=/tmp/ceiling.sqlite gunicorn -w 2 --chdir bench/ceiling 'app:create_app()'
"""
from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

from flask import Flask, g, render_template, request

ROWS = 2_700
PER_PAGE = 24
WORDS = ("Chè", "Mật ong", "Miến dong", "Gạo nếp", "Rượu", "Nấm hương", "Măng khô", "Trà xanh",
         "Bánh chưng", "Cao dược liệu", "Giỏ mây tre", "Gốm men lam")
PLACES = ("Tân Cương", "Đồng Hỷ", "Phú Lương", "Định Hóa", "Võ Nhai", "Đại Từ", "Phổ Yên", "Bắc Kạn")


def build_database(path: Path) -> None:
    """The table, filled once with deterministic rows (Vietnamese names, VND prices)."""
    rng = random.Random(2700)
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                    "price INTEGER NOT NULL, image TEXT NOT NULL)")
        if con.execute("SELECT count(*) FROM products").fetchone()[0] < ROWS:
            con.execute("DELETE FROM products")
            con.executemany(
                "INSERT INTO products (id, name, price, image) VALUES (?, ?, ?, ?)",
                [
                    (i, f"{rng.choice(WORDS)} {rng.choice(PLACES)} loại {rng.randint(1, 3)} hộp {rng.choice((200, 500))} g",
                     rng.randrange(20, 1500) * 1000, f"/media/{i:032x}-320.webp")
                    for i in range(1, ROWS + 1)
                ],
            )
    con.close()


def vnd(value: int) -> str:
    return f"{value:,}".replace(",", ".") + " ₫"


def create_app() -> Flask:
    app = Flask(__name__)
    db_path = Path(os.environ.get("CEILING_DB", "/tmp/ceiling.sqlite"))
    build_database(db_path)
    app.add_template_filter(vnd, "vnd")

    def connection() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(db_path)
        return g.db

    @app.teardown_appcontext
    def close(_exc) -> None:
        con = g.pop("db", None)
        if con is not None:
            con.close()

    @app.get("/")
    def listing():
        try:
            page = max(1, min(int(request.args.get("page", 1)), ROWS // PER_PAGE))
        except ValueError:
            page = 1
        rows = connection().execute(
            "SELECT id, name, price, image FROM products ORDER BY id LIMIT ? OFFSET ?",
            (PER_PAGE, (page - 1) * PER_PAGE),
        ).fetchall()
        items = [{"id": r[0], "name": r[1], "price": r[2], "image": r[3]} for r in rows]
        return render_template("list.html", items=items, page=page, pages=ROWS // PER_PAGE)

    return app
