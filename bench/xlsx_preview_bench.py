"""XLSX preview CPU benchmark: how long ``read_table`` + ``apply_import`` (the preview
of the upload page) take for hostile and legitimate workbooks.

    .venv/bin/python bench/xlsx_preview_bench.py

It prints figures; it asserts nothing (target: the preview of any accepted file ≤ 5 s;
a refused file is refused fast). Workbooks:

* wide-numbers — the hostile file of issue 10: a 5-column header and 1,000 rows of
  1,300 numeric cells each (refused by the cell-count bound);
* just-under-cap — a 7-column header and 5,000 rows of 49 cells (245,000 cells:
  accepted, the 42 cells right of the header are not read);
* 5000x40 — 5,000 products with a 40-column header (the widest accepted header);
* 5000x7 — an ordinary full-size import.
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook  # noqa: E402

from marketplace import create_app  # noqa: E402
from marketplace.extensions import db  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import make_world  # noqa: E402

HEADER = ["ma_san_pham", "ten_san_pham", "danh_muc", "gia", "don_vi", "mo_ta", "khu_vuc"]


def workbook(rows) -> bytes:
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("San pham")
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def product(i: int, extra: int = 0) -> list:
    return [f"SP-{i:05d}", f"Sản phẩm thử {i}", "Đồ uống", 15000 + i, "hộp", "Mô tả", "Tân Cương"] + [i] * extra


CASES = {
    "wide-numbers": lambda: [HEADER[:5]] + [[7] * 1300 for _ in range(1000)],
    "just-under-cap": lambda: [HEADER] + [product(i, 42) for i in range(5000)],
    "5000x40": lambda: [HEADER + [f"ghi_chu_{k}" for k in range(33)]] + [product(i, 33) for i in range(5000)],
    "5000x7": lambda: [HEADER] + [product(i) for i in range(5000)],
}


def main() -> None:
    from marketplace.imports.services import apply_import
    from marketplace.imports.spreadsheet import ImportFileError, read_table
    from marketplace.sellers.models import Seller

    print(f"xlsx preview bench; load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="xlsx-bench-") as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/b.sqlite",
                          "UPLOAD_FOLDER": f"{tmp}/uploads", "MAIL_FOLDER": f"{tmp}/mail"})
        seller_id = make_world(app, 0)
        for name, build in CASES.items():
            content = workbook(build())
            with app.test_request_context():
                seller = db.session.get(Seller, seller_id)
                t0 = time.perf_counter()
                try:
                    table = read_table(content)
                    result = apply_import(seller, table)
                    outcome = f"accepted, {len(result.rows)} rows, {len(result.problems)} problems"
                except ImportFileError as exc:
                    outcome = f"refused: {exc.message[:60]}…"
                elapsed = time.perf_counter() - t0
                db.session.rollback()
            print(f"  {name:15s} {len(content) / 1024:8.0f} KiB  {elapsed:6.2f} s  {outcome}")
        with app.app_context():
            db.engine.dispose()
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
