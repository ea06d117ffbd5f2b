"""Spreadsheet import benchmark: 5,000 new rows through the real import path.

    .venv/bin/python bench/import_bench.py                # CSV, 5,000 rows, 3 passes
    .venv/bin/python bench/import_bench.py --rows 5000 --passes 3 --existing 2700 --xlsx
    .venv/bin/python bench/import_bench.py --profile      # cProfile of one preview pass

It prints figures; it asserts nothing (target: ≤ 5 s per pass for 5,000 new rows on
SQLite, the embedded FTS5 search on). Each pass uses a fresh SQLite database in a
temporary folder holding ``--existing`` products of the same seller with the same names
(so slugs collide and must be numbered), and measures:

* preview — ``read_table`` + ``apply_import`` + rollback (what the upload page does);
* commit  — ``read_table`` + ``apply_import`` + commit, including the search index
  update for the new products in the same transaction (what "Lưu tất cả" does).

Also prints the load average: the figures mean little on a busy machine.
"""
from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402

NAMES = (
    "Chè búp Tân Cương đặc biệt", "Miến dong Na Rì", "Mật ong rừng Võ Nhai", "Gạo nếp vải Phú Lương",
    "Bánh chưng Bờ Đậu", "Măng khô Định Hóa", "Nấm hương rừng", "Rượu ngô men lá",
    "Trà hoa vàng Ba Bể", "Tinh dầu quế", "Hồng không hạt Bắc Kạn", "Thịt trâu gác bếp",
)
UNITS = ("hộp 200 g", "gói 500 g", "chai 500 ml", "túi 1 kg")


def make_world(app, existing: int) -> int:
    from marketplace.catalog.models import Area, Category, Product
    from marketplace.sellers.models import Seller
    from marketplace.text import fold, slugify

    with app.app_context():
        db.create_all()
        init = app.extensions.get("search_schema_init")
        if init:
            init()
        for name in ("Đồ uống", "Thực phẩm", "Dược liệu"):
            db.session.add(Category(name=name, slug=slugify(name)))
        area = Area(name="phường Tân Cương", slug="phuong-tan-cuong", kind="commune")
        db.session.add(area)
        db.session.flush()
        seller = Seller(name="HTX Chè Tân Cương", slug="htx-che-tan-cuong", kind="cooperative",
                        status="approved", phone="0912345678", area_id=area.id)
        db.session.add(seller)
        db.session.commit()
        category_id = db.session.scalar(sa.select(Category.id).limit(1))
        if existing:
            rows = []
            for i in range(existing):
                name = f"{NAMES[i % len(NAMES)]} {i // len(NAMES) % 50}"
                slug = slugify(name) if i < 600 else f"{slugify(name)}-{i}"
                rows.append(dict(seller_id=seller.id, category_id=category_id, area_id=area.id,
                                 code=f"OLD-{i}", name=name, slug=slug, description="", price_vnd=10000,
                                 unit="hộp", status="published", search_text=fold(name)))
            db.session.execute(sa.insert(Product), rows)
            db.session.commit()
            from marketplace.search import get_search

            get_search().rebuild()
            db.session.commit()
        return seller.id


def spreadsheet(rows: int, xlsx: bool) -> bytes:
    header = ["ma_san_pham", "ten_san_pham", "danh_muc", "gia", "don_vi", "mo_ta", "khu_vuc"]
    data = [header]
    for i in range(rows):
        data.append([f"NEW-{i:05d}", f"{NAMES[i % len(NAMES)]} {i // len(NAMES) % 50}", "Đồ uống",
                     f"{(i % 90 + 10) * 1000:,}".replace(",", "."), UNITS[i % len(UNITS)],
                     f"Sản phẩm số {i}, làm thủ công.", "Tân Cương"])
    if xlsx:
        from openpyxl import Workbook

        wb = Workbook()
        for row in data:
            wb.active.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()
    buf = io.StringIO()
    csv.writer(buf).writerows(data)
    return buf.getvalue().encode("utf-8")


def one_pass(workdir: Path, n: int, args, content: bytes, profile: bool = False) -> dict:
    from marketplace.catalog.models import Product
    from marketplace.imports.services import apply_import
    from marketplace.imports.spreadsheet import read_table
    from marketplace.sellers.models import Seller

    path = workdir / f"pass{n}.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "UPLOAD_FOLDER": str(workdir / "uploads"), "MAIL_FOLDER": str(workdir / "mail")})
    seller_id = make_world(app, args.existing)
    out = {}
    with app.test_request_context():
        seller = db.session.get(Seller, seller_id)
        t0 = time.perf_counter()
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        result = apply_import(seller, read_table(content))
        if profiler:
            profiler.disable()
        db.session.rollback()
        out["preview"] = time.perf_counter() - t0
        assert result.ok and result.count("create") == args.rows, result.problems[:3]
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        seller = db.session.get(Seller, seller_id)
        t0 = time.perf_counter()
        result = apply_import(seller, read_table(content))
        db.session.commit()
        out["commit"] = time.perf_counter() - t0
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(Product.code.like("NEW-%")))
        assert count == args.rows, count
        slugs = db.session.scalar(sa.select(sa.func.count(sa.distinct(Product.slug))))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
        assert slugs == total, (slugs, total)
        # Drafts are not public (no search hit), but the folded database-search text is
        # written for every new row.
        out["indexed"] = db.session.scalar(
            sa.select(sa.func.count()).select_from(Product)
            .where(Product.code.like("NEW-%"), Product.search_text.like("%htx che tan cuong%"))
        )
    with app.app_context():
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--existing", type=int, default=2700, help="products already in the seller's catalog")
    parser.add_argument("--xlsx", action="store_true", help="an XLSX file instead of CSV")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first preview")
    args = parser.parse_args()
    content = spreadsheet(args.rows, args.xlsx)
    print(f"import bench: {args.rows} new rows ({'XLSX' if args.xlsx else 'CSV'}, {len(content) / 1024:.0f} KiB), "
          f"{args.existing} existing products, {args.passes} passes; load average {os.getloadavg()}")
    results = []
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        for n in range(args.passes):
            r = one_pass(Path(tmp), n, args, content, profile=args.profile and n == 0)
            results.append(r)
            print(f"  pass {n + 1}: preview {r['preview']:.2f} s, commit (incl. index) {r['commit']:.2f} s, "
                  f"rows with search text: {r['indexed']}")
    for key in ("preview", "commit"):
        values = [r[key] for r in results]
        print(f"{key:8s} median {statistics.median(values):.2f} s, max {max(values):.2f} s")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
