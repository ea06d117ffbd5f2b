"""Issue 10 item 5: an import never drops rows. Blank lines do not count toward the
5,000-row cap; a file over the cap is refused whole; the preview states rows read,
blank rows skipped and rows to be saved, and the save saves exactly those."""
from __future__ import annotations

import media_samples as samples
from test_import import HEADER, login, post_file, products, token_of, world  # noqa: F401  (fixture)


def product_row(i: int) -> list:
    return [f"SP-{i:04d}", f"Sản phẩm thử {i}", "Đồ uống", "15.000", "hộp", "", ""]


def commit(client, html: str):
    return client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(html)}, follow_redirects=True)


def test_csv_blank_lines_do_not_eat_the_row_cap(app, client, world):
    login(client, world["user_id"])
    content = samples.csv_bytes([HEADER] + [[""] * 7] * 4990 + [product_row(i) for i in range(20)])
    response = post_file(client, "trong.csv", content)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Đã đọc 5010 dòng sau dòng tiêu đề: bỏ qua 4990 dòng trống, 20 dòng sản phẩm sẽ được lưu." in html
    assert "20 dòng: 20 thêm mới" in html
    saved = commit(client, html).get_data(as_text=True)
    assert "Đã nhập xong: 20 thêm mới" in saved
    assert [p.code for p in products(app, world["seller_id"])] == [f"SP-{i:04d}" for i in range(20)]


def test_csv_with_truly_empty_lines_between_products(app, client, world):
    login(client, world["user_id"])
    lines = [",".join(HEADER)] + [""] * 3000 + [",".join(map(str, product_row(0)))] + [""] * 2500
    lines += [",".join(map(str, product_row(i))) for i in range(1, 6)]
    html = post_file(client, "rong.csv", "\r\n".join(lines).encode()).get_data(as_text=True)
    assert "bỏ qua 5500 dòng trống, 6 dòng sản phẩm sẽ được lưu" in html
    commit(client, html)
    assert len(products(app, world["seller_id"])) == 6


def test_xlsx_empty_rows_do_not_eat_the_row_cap(app, client, world):
    login(client, world["user_id"])
    content = samples.xlsx_bytes([HEADER] + [[""] * 7] * 4995 + [product_row(i) for i in range(10)])
    response = post_file(client, "trong.xlsx", content)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "bỏ qua 4995 dòng trống, 10 dòng sản phẩm sẽ được lưu." in html
    assert "Đã nhập xong: 10 thêm mới" in commit(client, html).get_data(as_text=True)
    assert len(products(app, world["seller_id"])) == 10


def test_a_file_over_the_cap_is_refused_whole_never_truncated(app, client, world):
    login(client, world["user_id"])
    rows = [HEADER] + [product_row(i) for i in range(2500)] + [[""] * 7] * 50 + [product_row(i) for i in range(2500, 5001)]
    for name, content in (("nhieu.csv", samples.csv_bytes(rows)), ("nhieu.xlsx", samples.xlsx_bytes(rows))):
        response = post_file(client, name, content)
        assert response.status_code == 400, name
        body = response.get_data(as_text=True)
        assert "hơn 5.000 dòng sản phẩm (không tính dòng trống), nên chưa nhập dòng nào" in body
        assert "Lưu tất cả" not in body
    assert products(app, world["seller_id"]) == []


def test_exactly_the_cap_with_blank_lines_is_accepted_and_all_rows_previewed(app, client, world):
    login(client, world["user_id"])
    rows = [HEADER] + [[""] * 7] * 300 + [product_row(i) for i in range(5000)]
    html = post_file(client, "du.csv", samples.csv_bytes(rows)).get_data(as_text=True)
    assert "Đã đọc 5300 dòng sau dòng tiêu đề: bỏ qua 300 dòng trống, 5000 dòng sản phẩm sẽ được lưu." in html
    assert "5000 dòng: 5000 thêm mới" in html
