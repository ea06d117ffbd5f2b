"""Issue 10 item 7: a spreadsheet's width is bounded. Only the header's columns are
read (cells to the right are ignored), a header wider than MAX_COLUMNS is refused, and
a workbook with more cells than MAX_XLSX_CELLS is refused before openpyxl parses it
(1,000 rows × 1,300 numbers used to take 17 s of CPU to preview)."""
from __future__ import annotations

import io

from openpyxl import Workbook

import media_samples as samples
from marketplace.imports.spreadsheet import MAX_COLUMNS, MAX_XLSX_CELLS
from test_import import HEADER, ROWS, login, post_file, products, token_of, world  # noqa: F401  (fixture)


def streamed_xlsx(rows) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("San pham")
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def test_cells_right_of_the_header_are_ignored(app, client, world):
    login(client, world["user_id"])
    junk = list(range(1, 21))
    content = samples.xlsx_bytes([HEADER, *[row + junk for row in ROWS]])
    html = post_file(client, "rong.xlsx", content).get_data(as_text=True)
    assert "3 dòng: 3 thêm mới" in html and "Mọi dòng đều hợp lệ" in html
    client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(html)})
    assert [(p.code, p.price_vnd) for p in products(app, world["seller_id"])] == [
        ("CHE-001", 150000), ("CHE-002", 220000), ("MIEN-01", 45000)
    ]


def test_a_header_wider_than_the_cap_is_refused(app, client, world):
    login(client, world["user_id"])
    header = HEADER + [f"ghi_chu_{i}" for i in range(MAX_COLUMNS)]
    for name, content in (("rong.xlsx", samples.xlsx_bytes([header, ROWS[0]])),
                          ("rong.csv", samples.csv_bytes([header, ROWS[0]]))):
        response = post_file(client, name, content)
        assert response.status_code == 400, name
        assert f"Tệp có quá nhiều cột (tối đa {MAX_COLUMNS})" in response.get_data(as_text=True)
    assert products(app, world["seller_id"]) == []


def test_a_workbook_with_too_many_cells_is_refused_before_parsing(app, client, world):
    login(client, world["user_id"])
    rows_needed = MAX_XLSX_CELLS // 1300 + 2
    content = streamed_xlsx([HEADER[:5]] + [[0] * 1300 for _ in range(rows_needed)])
    assert len(content) < 5 * 1024 * 1024
    response = post_file(client, "so.xlsx", content)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Trang tính có quá nhiều ô (hơn 250.000)" in body
    assert products(app, world["seller_id"]) == []
