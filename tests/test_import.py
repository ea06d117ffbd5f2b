"""Spreadsheet import and export with real CSV and XLSX files: preview before writing,
every row's problems, all-or-nothing commit, re-import updates, CLI, CSRF."""
from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from auth import is_login_redirect
from auth import log_in as login
from marketplace.catalog.models import AreaAlias, Category, Product, ProductRevision
from marketplace.extensions import db
from marketplace.sellers.models import Seller

import media_samples as samples
from factories import make_area, make_category, make_product, make_seller, make_user

HEADER = ["ma_san_pham", "ten_san_pham", "danh_muc", "gia", "don_vi", "mo_ta", "khu_vuc"]
CAPACITY_HEADER = ["san_luong_thang", "don_vi_san_luong", "don_toi_thieu", "so_ngay_chuan_bi", "dong_goi", "mua_vu"]
ROWS = [
    ["CHE-001", "Chè búp Tân Cương đặc biệt", "Đồ uống", "150.000", "hộp 200 g", "Chè hái tay.", "Tân Cương (cũ)"],
    ["CHE-002", "Chè móc câu", "do-uong", "220000", "túi 500 g", "", "Phúc Xuân"],
    ["MIEN-01", "Miến dong Na Rì", "thuc pham", 45000, "gói 500 g", "Miến sợi nhỏ, dai.", "Tân Cương"],
]


@pytest.fixture
def world(app):
    """A seller with a user, categories, areas (one with a former name)."""
    with app.app_context():
        make_category(name="Đồ uống", slug="do-uong")
        make_category(name="Thực phẩm", slug="thuc-pham")
        tan_cuong = make_area(name="phường Tân Cương Mới", slug="phuong-tan-cuong-moi")
        db.session.add(AreaAlias(area=tan_cuong, name="Tân Cương (cũ)", folded="tan cuong (cu)"))
        make_area(name="xã Phúc Xuân", slug="xa-phuc-xuan")
        seller = make_seller(name="HTX Chè Tân Cương", slug="htx-che-tan-cuong")
        user = make_user(role="seller", seller=seller)
        staff = make_user(role="staff")
        db.session.commit()
        return {"seller_id": seller.id, "user_id": user.id, "staff_id": staff.id, "area_id": tan_cuong.id}


def products(app, seller_id) -> list[Product]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Product).where(Product.seller_id == seller_id).order_by(Product.code)
            )
        )


def post_file(client, name: str, content: bytes, **fields):
    values = MultiDict(fields)
    values.add("file", FileStorage(io.BytesIO(content), filename=name))
    boundary, body = encode_multipart(values)
    return client.post("/dashboard/nhap-du-lieu", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def token_of(html: str) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


def test_csv_preview_writes_nothing_then_commit_saves_everything(app, client, world):
    login(client, world["user_id"])
    assert client.get("/dashboard/nhap-du-lieu").status_code == 200
    response = post_file(client, "san-pham.csv", samples.csv_bytes([HEADER, *ROWS]))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3 dòng: 3 thêm mới, 0 cập nhật, 0 không đổi" in html
    assert "Chè búp Tân Cương đặc biệt" in html and "Mọi dòng đều hợp lệ" in html
    assert products(app, world["seller_id"]) == []  # the preview wrote nothing

    saved = client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(html)}, follow_redirects=True)
    assert saved.status_code == 200
    assert "Đã nhập xong: 3 thêm mới, 0 cập nhật, 0 không đổi." in saved.get_data(as_text=True)
    rows = products(app, world["seller_id"])
    assert [(p.code, p.name, p.price_vnd, p.unit, p.status) for p in rows] == [
        ("CHE-001", "Chè búp Tân Cương đặc biệt", 150000, "hộp 200 g", "draft"),
        ("CHE-002", "Chè móc câu", 220000, "túi 500 g", "draft"),
        ("MIEN-01", "Miến dong Na Rì", 45000, "gói 500 g", "draft"),
    ]
    with app.app_context():
        first = db.session.get(Product, rows[0].id)
        assert first.category.slug == "do-uong"
        assert first.area_id == world["area_id"]  # found through its former name
        assert db.session.get(Product, rows[1].id).area.slug == "xa-phuc-xuan"  # without "xã"
        third = db.session.get(Product, rows[2].id)
        assert third.category.slug == "thuc-pham"
        assert third.area_id == world["area_id"]  # former name without "(cũ)"
    # The token is used up: a second commit saves nothing more.
    again = client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(html)})
    assert again.status_code == 302
    assert len(products(app, world["seller_id"])) == 3


def test_reimporting_the_same_file_updates_instead_of_duplicating(app, client, world):
    login(client, world["user_id"])
    data = samples.csv_bytes([HEADER, *ROWS])
    client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(post_file(client, "a.csv", data).get_data(as_text=True))})
    ids = [p.id for p in products(app, world["seller_id"])]

    same = post_file(client, "a.csv", data).get_data(as_text=True)
    assert "0 thêm mới, 0 cập nhật, 3 không đổi" in same

    changed = [r[:] for r in ROWS]
    changed[1][3] = "250.000"
    html = post_file(client, "b.csv", samples.csv_bytes([HEADER, *changed])).get_data(as_text=True)
    assert "0 thêm mới, 1 cập nhật, 2 không đổi" in html
    client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(html)})
    rows = products(app, world["seller_id"])
    assert [p.id for p in rows] == ids
    assert rows[1].price_vnd == 250000


def publish_all(app, seller_id) -> None:
    with app.app_context():
        for product in db.session.scalars(sa.select(Product).where(Product.seller_id == seller_id)):
            product.status = "published"
        db.session.commit()


def pending_fields(app) -> dict[str, dict]:
    """product code → fields of its pending revision."""
    with app.app_context():
        stmt = (
            sa.select(Product.code, ProductRevision.fields)
            .join(ProductRevision, ProductRevision.product_id == Product.id)
            .where(ProductRevision.status == "pending")
        )
        return {code: fields for code, fields in db.session.execute(stmt)}


def result_cells(html: str) -> dict[str, str]:
    """product code → the "Kết quả" cell of the preview's row table, whitespace collapsed."""
    table = html[html.index('class="import-table import-rows"'):]
    rows = re.findall(r"<tr>\s*<td>\d+</td><td>([^<]*)</td><td>[^<]*</td>\s*<td>(.*?)</td>", table, re.S)
    return {code: " ".join(cell.split()) for code, cell in rows}


def published_then_changed(app, client, world) -> bytes:
    """Import ROWS, publish them; a file where CHE-001 changes a reviewed field only
    (name) and CHE-002 a live one (price) and a reviewed one (description)."""
    login(client, world["user_id"])
    client.post("/dashboard/nhap-du-lieu/xac-nhan",
                data={"token": token_of(post_file(client, "a.csv", samples.csv_bytes([HEADER, *ROWS])).get_data(as_text=True))})
    publish_all(app, world["seller_id"])
    changed = [r[:] for r in ROWS]
    changed[0][1] = "Chè búp Tân Cương thượng hạng"
    changed[1][3] = "250.000"
    changed[1][5] = "Chè móc câu sao tay."
    return samples.csv_bytes([HEADER, *changed])


def test_reviewed_changes_on_published_products_are_reported_as_sent_for_review(app, client, world):
    content = published_then_changed(app, client, world)
    html = post_file(client, "b.csv", content).get_data(as_text=True)
    assert "3 dòng: 0 thêm mới, 0 cập nhật, 1 gửi duyệt, 1 vừa cập nhật vừa gửi duyệt, 1 không đổi." in html
    assert "cần nhân viên duyệt" in html
    assert result_cells(html) == {
        "CHE-001": "Gửi duyệt: ten_san_pham",
        "CHE-002": "Cập nhật: gia; Gửi duyệt: mo_ta",
        "MIEN-01": "Không đổi",
    }
    assert pending_fields(app) == {}  # the preview wrote nothing

    saved = client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(html)}, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert "Đã nhập xong: 0 thêm mới, 0 cập nhật, 1 gửi duyệt, 1 vừa cập nhật vừa gửi duyệt, 1 không đổi." in page
    assert "cần nhân viên duyệt" in page
    rows = products(app, world["seller_id"])
    assert [(p.name, p.price_vnd, p.description) for p in rows[:2]] == [
        ("Chè búp Tân Cương đặc biệt", 150000, "Chè hái tay."),  # the approved name stays public
        ("Chè móc câu", 250000, ""),                             # the price is live at once
    ]
    assert pending_fields(app) == {
        "CHE-001": {"name": "Chè búp Tân Cương thượng hạng"},
        "CHE-002": {"description": "Chè móc câu sao tay."},
    }

    # The same file again: the pending revisions already hold those values.
    again = post_file(client, "b.csv", content).get_data(as_text=True)
    assert "3 dòng: 0 thêm mới, 0 cập nhật, 3 không đổi." in again
    assert "gửi duyệt" not in again.lower() and "cần nhân viên duyệt" not in again

    # The original file: the proposed name and description are withdrawn, the price goes back.
    back = post_file(client, "a.csv", samples.csv_bytes([HEADER, *ROWS])).get_data(as_text=True)
    assert "3 dòng: 0 thêm mới, 2 cập nhật, 1 không đổi." in back
    assert result_cells(back) == {
        "CHE-001": "Rút thay đổi chờ duyệt: ten_san_pham",
        "CHE-002": "Cập nhật: gia; Rút thay đổi chờ duyệt: mo_ta",
        "MIEN-01": "Không đổi",
    }
    client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(back)})
    assert pending_fields(app) == {}
    assert products(app, world["seller_id"])[1].price_vnd == 220000


def test_review_outcome_in_english(app, client, world):
    content = published_then_changed(app, client, world)
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = post_file(client, "b.csv", content).get_data(as_text=True)
    assert "3 rows: 0 new, 0 updated, 1 sent for review, 1 updated and sent for review, 1 unchanged." in html
    assert result_cells(html) == {
        "CHE-001": "Sent for review: ten_san_pham",
        "CHE-002": "Updated: gia; Sent for review: mo_ta",
        "MIEN-01": "Unchanged",
    }
    assert "staff" in html


def test_xlsx_file_is_imported(app, client, world):
    login(client, world["user_id"])
    content = samples.xlsx_bytes([["Mã sản phẩm", "Tên sản phẩm", "Danh mục", "Giá", "Đơn vị", "Mô tả"], *[r[:6] for r in ROWS]])
    html = post_file(client, "san-pham.xlsx", content).get_data(as_text=True)
    assert "3 thêm mới" in html
    client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token_of(html)})
    rows = products(app, world["seller_id"])
    assert [p.price_vnd for p in rows] == [150000, 220000, 45000]
    assert rows[2].description == "Miến sợi nhỏ, dai."


def test_preview_lists_every_problem_by_row_and_column_and_saves_nothing(app, client, world):
    login(client, world["user_id"])
    bad = [
        HEADER,
        ["CHE-001", "Chè búp", "Đồ uống", "12,5", "hộp", "", ""],          # row 2: decimal price
        ["CHE-002", "Ch", "Rau sạch", "100000", "", "", ""],               # row 3: short name, unknown category, no unit
        ["CHE-001", "Chè móc câu", "Đồ uống", "100000", "hộp", "", ""],     # row 4: code repeated
        ["", "Không có mã", "Đồ uống", "100000", "hộp", "", "Hà Nội"],       # row 5: no code, unknown area
        ["OK-1", "Sản phẩm tốt", "Đồ uống", "100.000", "hộp", "", ""],       # row 6: fine
    ]
    response = post_file(client, "loi.csv", samples.csv_bytes(bad))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    problems = re.findall(
        r'<tr class="import-row-error"><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>', html
    )
    found = {(int(row), column) for row, column, _ in problems}
    assert found == {
        (2, "gia"),
        (3, "ten_san_pham"), (3, "danh_muc"), (3, "don_vi"),
        (4, "ma_san_pham"),
        (5, "ma_san_pham"), (5, "khu_vuc"),
    }
    messages = " ".join(m for _, _, m in problems)
    assert "Giá phải là số nguyên" in messages
    assert "Không tìm thấy danh mục “Rau sạch”" in messages
    assert "trùng với dòng 2" in messages
    assert "Thiếu mã sản phẩm" in messages
    assert "Không tìm thấy khu vực “Hà Nội”" in messages
    assert "Chưa có gì được lưu" in html
    assert "xac-nhan" not in html  # no commit button
    assert products(app, world["seller_id"]) == []


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("cp1258.csv", samples.csv_bytes([HEADER, ROWS[0]], encoding="cp1258"), "không dùng mã hoá UTF-8"),
        ("latin1.csv", "ma_san_pham,ten_san_pham,danh_muc,gia,don_vi\nA,Café crème,Boissons,1,boîte\n".encode("latin-1"), "không dùng mã hoá UTF-8"),
        ("cu.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls cũ"),
        ("hong.xlsx", b"PK\x03\x04" + b"garbage" * 50, "XLSX bị hỏng"),
        ("thieu-cot.csv", samples.csv_bytes([["ma_san_pham", "ten_san_pham"], ["A", "Tên"]]), "Thiếu cột bắt buộc: danh_muc, gia, don_vi"),
        ("trong.csv", b"", "tệp rỗng"),
        ("bom.xlsx", samples.xlsx_zip_bomb([HEADER, ROWS[0]]), "quá lớn khi giải nén"),
        ("chi-tieu-de.csv", samples.csv_bytes([HEADER]), "chưa có sản phẩm nào"),
    ],
)
def test_unusable_files_get_a_clear_message(app, client, world, name, content, message):
    login(client, world["user_id"])
    response = post_file(client, name, content)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert products(app, world["seller_id"]) == []


def test_row_and_size_limits(app, client, world):
    login(client, world["user_id"])
    many = [HEADER] + [[f"SP-{i}", f"Sản phẩm {i}", "Đồ uống", "1000", "hộp", "", ""] for i in range(5001)]
    response = post_file(client, "nhieu.csv", samples.csv_bytes(many))
    assert response.status_code == 400
    assert "hơn 5.000 dòng" in response.get_data(as_text=True)
    big = samples.csv_bytes([HEADER]) + b"x" * (5 * 1024 * 1024)
    response = post_file(client, "to.csv", big)
    assert response.status_code == 400
    assert "tối đa 5 MB" in response.get_data(as_text=True)


def test_commit_is_all_or_nothing_when_the_catalog_changed_after_the_preview(app, client, world):
    login(client, world["user_id"])
    html = post_file(client, "a.csv", samples.csv_bytes([HEADER, *ROWS])).get_data(as_text=True)
    token = token_of(html)
    with app.app_context():  # a category is renamed between preview and commit
        category = db.session.scalars(sa.select(Category).where(Category.slug == "thuc-pham")).one()
        category.name, category.slug = "Nông sản", "nong-san"
        db.session.commit()
    response = client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Dữ liệu đã thay đổi từ lúc xem trước nên chưa lưu gì" in body
    assert "Không tìm thấy danh mục “thuc pham”" in body
    assert products(app, world["seller_id"]) == []  # rows 2 and 3 were fine but are not saved


def test_export_is_excel_friendly_utf8_with_bom_and_neutralises_formulas(app, client, world):
    with app.app_context():
        seller_id = world["seller_id"]
        category_id = db.session.scalars(sa.select(Category.id).where(Category.slug == "do-uong")).one()
        area_id = db.session.get(Seller, seller_id).area_id
        make_product(seller_id=seller_id, category_id=category_id, area_id=area_id, code="F-1", name="=HYPERLINK(\"http://x\")", price_vnd=150000, status="draft")
        make_product(seller_id=seller_id, category_id=category_id, area_id=area_id, code="CHE-9", name="Chè Đinh Tân Cương", description="+84 giao tận nơi", status="published")
        make_product(seller=make_seller(name="Cơ sở khác"), code="OTHER", name="Không phải của tôi")
        db.session.commit()
    login(client, world["user_id"])
    response = client.get("/dashboard/xuat-du-lieu.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == HEADER + CAPACITY_HEADER + ["trang_thai", "id"]
    by_code = {r[0]: r for r in rows[1:]}
    assert set(by_code) == {"F-1", "CHE-9"}
    assert by_code["F-1"][1] == "'=HYPERLINK(\"http://x\")"
    assert by_code["CHE-9"][1] == "Chè Đinh Tân Cương"
    assert by_code["CHE-9"][5] == "'+84 giao tận nơi"
    assert by_code["CHE-9"][3] == "150000"

    # The exported file re-imports as "no change" (the formula guard is undone).
    html = post_file(client, "export.csv", response.data).get_data(as_text=True)
    assert "0 thêm mới, 0 cập nhật, 2 không đổi" in html


def test_staff_imports_for_any_seller_and_sellers_cannot_use_each_others_tokens(app, client, world):
    login(client, world["staff_id"])
    page = client.get("/dashboard/nhap-du-lieu").get_data(as_text=True)
    assert "HTX Chè Tân Cương" in page  # the seller select
    no_seller = post_file(client, "a.csv", samples.csv_bytes([HEADER, *ROWS]))
    assert no_seller.status_code == 400
    assert "Hãy chọn cơ sở" in no_seller.get_data(as_text=True)
    html = post_file(client, "a.csv", samples.csv_bytes([HEADER, *ROWS]), seller="htx-che-tan-cuong").get_data(as_text=True)
    token = token_of(html)

    # Another seller who somehow got the token cannot commit it.
    with app.app_context():
        other = make_user(role="seller", seller=make_seller(name="HTX Khác"))
        db.session.commit()
        other_id = other.id
    intruder = app.test_client()
    login(intruder, other_id)
    assert intruder.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token}).status_code == 404
    assert products(app, world["seller_id"]) == []

    assert client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token}).status_code == 302
    assert len(products(app, world["seller_id"])) == 3
    exported = client.get("/dashboard/xuat-du-lieu.csv?seller=htx-che-tan-cuong")
    assert exported.status_code == 200 and "Chè móc câu" in exported.data.decode("utf-8-sig")


def test_buyers_and_anonymous_users_cannot_import_or_export(app, world):
    with app.app_context():
        buyer = make_user(role="buyer")
        db.session.commit()
        buyer_id = buyer.id
    client = app.test_client()
    assert is_login_redirect(client.get("/dashboard/nhap-du-lieu"), "/dashboard/nhap-du-lieu")
    assert is_login_redirect(client.get("/dashboard/xuat-du-lieu.csv"), "/dashboard/xuat-du-lieu.csv")
    login(client, buyer_id)
    assert client.get("/dashboard/nhap-du-lieu").status_code == 404
    assert client.get("/dashboard/xuat-du-lieu.csv").status_code == 404
    assert post_file(client, "a.csv", samples.csv_bytes([HEADER, *ROWS])).status_code == 404
    assert client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": "x" * 32}).status_code == 404


def test_cli_import_with_progress_dry_run_and_errors(app, runner, world, tmp_path):
    path = tmp_path / "san-pham.xlsx"
    path.write_bytes(samples.xlsx_bytes([HEADER, *ROWS]))

    dry = runner.invoke(args=["products", "import", str(path), "--seller", "htx-che-tan-cuong", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 thêm mới" in dry.output and "chưa lưu" in dry.output
    assert products(app, world["seller_id"]) == []

    done = runner.invoke(args=["products", "import", str(path), "--seller", "htx-che-tan-cuong"])
    assert done.exit_code == 0, done.output
    assert "Đang kiểm tra 3 dòng" in done.output  # the progress bar
    assert len(products(app, world["seller_id"])) == 3

    again = runner.invoke(args=["products", "import", str(path), "--seller", "htx-che-tan-cuong"])
    assert "0 thêm mới, 0 cập nhật, 3 không đổi" in again.output
    assert len(products(app, world["seller_id"])) == 3

    publish_all(app, world["seller_id"])
    renamed = tmp_path / "doi-ten.xlsx"
    renamed.write_bytes(samples.xlsx_bytes([HEADER, ["CHE-001", "Chè búp thượng hạng", *ROWS[0][2:]], *ROWS[1:]]))
    review = runner.invoke(args=["products", "import", str(renamed), "--seller", "htx-che-tan-cuong"])
    assert review.exit_code == 0, review.output
    assert "0 thêm mới, 0 cập nhật, 1 gửi duyệt, 2 không đổi; đọc 3 dòng" in review.output
    assert "cần nhân viên duyệt" in review.output
    assert pending_fields(app) == {"CHE-001": {"name": "Chè búp thượng hạng"}}
    same = runner.invoke(args=["products", "import", str(renamed), "--seller", "htx-che-tan-cuong", "--dry-run"])
    assert "0 thêm mới, 0 cập nhật, 3 không đổi; đọc 3 dòng" in same.output
    assert "cần nhân viên duyệt" not in same.output

    bad = tmp_path / "loi.csv"
    bad.write_bytes(samples.csv_bytes([HEADER, ["NEW-1", "Sản phẩm mới", "Đồ uống", "100", "hộp", "", ""], ["NEW-2", "Giá sai", "Đồ uống", "-5", "hộp", "", ""]]))
    failed = runner.invoke(args=["products", "import", str(bad), "--seller", "htx-che-tan-cuong"])
    assert failed.exit_code == 1
    assert "Dòng 3, cột gia" in failed.output and "chưa lưu gì" in failed.output
    assert len(products(app, world["seller_id"])) == 3  # NEW-1 was not saved either

    unknown = runner.invoke(args=["products", "import", str(path), "--seller", "khong-co"])
    assert unknown.exit_code == 1 and "khong-co" in unknown.output


def test_import_needs_a_csrf_token(csrf_app):
    app = csrf_app
    with app.app_context():
        make_category(name="Đồ uống", slug="do-uong")
        make_category(name="Thực phẩm", slug="thuc-pham")
        seller = make_seller()
        user = make_user(role="seller", seller=seller)
        db.session.commit()
        seller_id, user_id = seller.id, user.id
    client = app.test_client()
    login(client, user_id)
    rows = [HEADER, *[r[:6] + [""] for r in ROWS]]
    assert post_file(client, "a.csv", samples.csv_bytes(rows)).status_code == 400
    page = client.get("/dashboard/nhap-du-lieu").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    html = post_file(client, "a.csv", samples.csv_bytes(rows), csrf_token=csrf).get_data(as_text=True)
    token = token_of(html)
    assert client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token}).status_code == 400
    assert products(app, seller_id) == []
    ok = client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token, "csrf_token": csrf})
    assert ok.status_code == 302
    assert len(products(app, seller_id)) == 3
