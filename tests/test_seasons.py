"""Supply capacity and seasons (issue 19): the month-set rules, the seller's form, the
spreadsheet import, the product page and the "Đang vào mùa" card badge."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from auth import log_in
from factories import make_area, make_category, make_product, make_seller, make_user
from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.seasons import (
    ALL_MONTHS_MASK,
    available_in,
    format_months,
    in_season,
    mask_to_months,
    months_to_mask,
    parse_months,
)


def set_today(monkeypatch, day: date) -> None:
    """Today's date (Asia/Ho_Chi_Minh) wherever season and cache keys read it."""
    for module in ("marketplace.seasons.months", "marketplace.catalog.cards", "marketplace.web.pagecache",
                   "marketplace.catalog.home", "marketplace.catalog.queries"):
        monkeypatch.setattr(f"{module}.today_vn", lambda: day)


# ------------------------------------------------------------------ month sets


@pytest.mark.parametrize(("text", "months"), [
    ("3-10", list(range(3, 11))),
    ("11-1", [1, 11, 12]),
    ("tháng 11 – tháng 1", [1, 11, 12]),
    ("T3-T10", list(range(3, 11))),
    ("3, 4, 5", [3, 4, 5]),
    ("3-5; 9-10", [3, 4, 5, 9, 10]),
    ("quanh năm", list(range(1, 13))),
    ("Quanh nam", list(range(1, 13))),
    ([8, "9"], [8, 9]),
    (7, [7]),
])
def test_months_are_read_as_sellers_write_them(text, months):
    assert mask_to_months(parse_months(text)) == months


@pytest.mark.parametrize("text", ["13", "0-3", "3-", "1.5", "1e3", "mùa hè", "٣", True, [13], "9" * 5000])
def test_bad_months_are_refused(text):
    with pytest.raises(ValueError):
        parse_months(text)


def test_nothing_stated_is_none_and_formats_back_to_what_imports_read():
    assert parse_months("") is None and parse_months(None) is None and parse_months([]) is None
    for text in ("3-10", "11-1, 5", "quanh năm", "2, 4, 6"):
        mask = parse_months(text)
        assert parse_months(format_months(mask, spreadsheet=True)) == mask
    assert format_months(parse_months("11-1")) == "tháng 11 – tháng 1"


class _P:
    def __init__(self, mask):
        self.season_mask = mask


def test_in_season_means_seasonal_and_in_the_month_year_round_is_only_available():
    lychee = _P(months_to_mask([5, 6]))
    tea = _P(ALL_MONTHS_MASK)
    unknown = _P(None)
    assert in_season(lychee, 5) and not in_season(lychee, 7)
    assert available_in(tea, 12) and not in_season(tea, 12)
    assert not available_in(unknown, 5) and not in_season(unknown, 5)


# ------------------------------------------------------------------ the seller's form


@pytest.fixture
def world(app):
    with app.app_context():
        category = make_category(name="Quả tươi", slug="qua-tuoi")
        area = make_area(name="xã Võ Nhai", slug="xa-vo-nhai")
        seller = make_seller(name="HTX Na Võ Nhai", slug="htx-na-vo-nhai", area=area)
        user = make_user(role="seller", seller=seller)
        db.session.commit()
        return {"category_id": category.id, "seller_id": seller.id, "user_id": user.id}


def form_data(world, **overrides) -> MultiDict:
    data = MultiDict({"name": "Na dai Võ Nhai", "category_id": str(world["category_id"]), "price_vnd": "60.000",
                      "unit": "kg", "monthly_volume": "2.000", "volume_unit": "kg", "min_order_qty": "50",
                      "lead_time_days": "3", "packaging": "thùng 10 kg"})
    for month in ("3", "4", "5", "6", "7", "8", "9", "10"):
        data.add("season_months", month)
    for key, value in overrides.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    return data


def saved(app) -> list[Product]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Product)))


def test_seller_states_capacity_on_the_form_and_the_product_page_shows_it(app, client, world, monkeypatch):
    log_in(client, world["user_id"])
    response = client.post("/dashboard/san-pham/moi", data=form_data(world))
    assert response.status_code == 302, response.get_data(as_text=True)
    [product] = saved(app)
    assert (product.monthly_volume, product.volume_unit, product.min_order_qty, product.lead_time_days,
            product.packaging) == (2000, "kg", 50, 3, "thùng 10 kg")
    assert mask_to_months(product.season_mask) == list(range(3, 11))
    # The edit page shows the months ticked.
    edit = client.get(f"/dashboard/san-pham/{product.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="3"|<input[^>]*value="3"[^>]*checked', edit)
    assert not re.search(r'<input[^>]*checked[^>]*value="11"|<input[^>]*value="11"[^>]*checked', edit)

    with app.app_context():
        db.session.get(Product, product.id).status = "published"
        db.session.commit()
    set_today(monkeypatch, date(2026, 4, 10))
    page = client.get(f"/san-pham/{product.slug}").get_data(as_text=True)
    assert "Có hàng: tháng 3 – tháng 10, tối thiểu 50 kg" in page
    assert "2.000 kg" in page and "3 ngày" in page and "thùng 10 kg" in page
    assert "Đang vào mùa" in page
    set_today(monkeypatch, date(2026, 12, 10))
    assert "Đang vào mùa" not in client.get(f"/san-pham/{product.slug}").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("monthly_volume", "abc", "Sản lượng mỗi tháng phải là số nguyên"),
    ("monthly_volume", "9" * 40, "Sản lượng mỗi tháng phải là số nguyên"),
    ("monthly_volume", "1,5", "Sản lượng mỗi tháng phải là số nguyên"),
    ("min_order_qty", "-5", "Đơn hàng tối thiểu phải là số nguyên"),
    ("lead_time_days", "400", "Thời gian chuẩn bị hàng phải là số ngày nguyên từ 0 đến 365"),
    ("season_months", ["3", "13"], "Mùa vụ không hợp lệ"),
    ("volume_unit", "", "Vui lòng ghi đơn vị của sản lượng"),
])
def test_bad_capacity_is_refused_with_a_vietnamese_message_and_nothing_saved(app, client, world, field, value,
                                                                             message):
    log_in(client, world["user_id"])
    response = client.post("/dashboard/san-pham/moi", data=form_data(world, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert saved(app) == []


def test_capacity_is_optional(app, client, world):
    log_in(client, world["user_id"])
    data = form_data(world, monthly_volume="", volume_unit="", min_order_qty="", lead_time_days="", packaging="",
                     season_months=[])
    assert client.post("/dashboard/san-pham/moi", data=data).status_code == 302
    [product] = saved(app)
    assert (product.monthly_volume, product.min_order_qty, product.season_mask, product.packaging) == (
        None, None, None, None)


# ------------------------------------------------------------------ spreadsheet import


def post_file(client, name: str, content: bytes):
    values = MultiDict()
    values.add("file", FileStorage(io.BytesIO(content), filename=name))
    boundary, body = encode_multipart(values)
    return client.post("/dashboard/nhap-du-lieu", data=body, content_type=f"multipart/form-data; boundary={boundary}")


HEADER = "ma_san_pham,ten_san_pham,danh_muc,gia,don_vi,san_luong_thang,don_vi_san_luong,don_toi_thieu," \
         "so_ngay_chuan_bi,dong_goi,mua_vu"


def test_import_reads_capacity_and_season_and_export_writes_them_back(app, client, world):
    log_in(client, world["user_id"])
    rows = [HEADER, "NA-1,Na dai Võ Nhai,qua-tuoi,60.000,kg,2.000,kg,50,3,thùng 10 kg,8-9",
            "MIEN-1,Miến dong,qua-tuoi,80000,gói 500 g,,,,,,tháng 11 – tháng 1"]
    html = post_file(client, "a.csv", ("\n".join(rows)).encode()).get_data(as_text=True)
    assert "Mọi dòng đều hợp lệ" in html
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    assert client.post("/dashboard/nhap-du-lieu/xac-nhan", data={"token": token}).status_code == 302
    by_code = {p.code: p for p in saved(app)}
    assert (by_code["NA-1"].monthly_volume, by_code["NA-1"].min_order_qty, by_code["NA-1"].lead_time_days) == (
        2000, 50, 3)
    assert mask_to_months(by_code["NA-1"].season_mask) == [8, 9]
    assert mask_to_months(by_code["MIEN-1"].season_mask) == [1, 11, 12]
    assert by_code["MIEN-1"].monthly_volume is None

    exported = client.get("/dashboard/xuat-du-lieu.csv").data
    text = exported.decode("utf-8-sig")
    assert "8-9" in text and "11-1" in text
    again = post_file(client, "export.csv", exported).get_data(as_text=True)
    assert "0 thêm mới, 0 cập nhật, 2 không đổi" in again


def test_import_names_the_bad_capacity_cells(app, client, world):
    log_in(client, world["user_id"])
    rows = [HEADER, "NA-1,Na dai,qua-tuoi,60.000,kg,nhiều,kg,50,999,,13-14"]
    html = post_file(client, "a.csv", ("\n".join(rows)).encode()).get_data(as_text=True)
    assert "Sản lượng mỗi tháng phải là số nguyên" in html
    assert "Thời gian chuẩn bị hàng phải là số ngày nguyên" in html
    assert "Mùa vụ không hợp lệ" in html
    assert saved(app) == []


# ------------------------------------------------------------------ cards


def test_cards_say_in_season_only_in_season_and_a_new_month_renders_anew(app, client, monkeypatch):
    with app.app_context():
        seller = make_seller(name="HTX Miến Dong")
        category = make_category(name="Miến", slug="mien")
        make_product(name="Miến dong Côn Minh", seller=seller, category=category,
                     season_mask=months_to_mask([11, 12, 1]))
        make_product(name="Chè quanh năm", seller=seller, category=category, season_mask=ALL_MONTHS_MASK)
        db.session.commit()
    set_today(monkeypatch, date(2026, 12, 7))
    page = client.get("/danh-muc/mien").get_data(as_text=True)
    assert page.count('class="season-chip"') == 1
    set_today(monkeypatch, date(2027, 3, 1))
    assert 'class="season-chip"' not in client.get("/danh-muc/mien").get_data(as_text=True)


# ------------------------------------------------------------------ the harvest calendar


@pytest.fixture
def season_floor(app):
    with app.app_context():
        fruit = make_category(name="Quả tươi", slug="qua-tuoi")
        noodles = make_category(name="Miến, bún", slug="mien-bun")
        na_seller = make_seller(name="HTX Na Võ Nhai")
        mien_seller = make_seller(name="HTX Miến Côn Minh")
        hidden = make_seller(name="HTX Chờ Duyệt", status="pending")
        make_product(name="Na dai Võ Nhai", seller=na_seller, category=fruit, season_mask=months_to_mask([8, 9]))
        make_product(name="Miến dong Côn Minh", seller=mien_seller, category=noodles,
                     season_mask=months_to_mask([11, 12, 1]))
        make_product(name="Miến nháp", seller=mien_seller, category=noodles, status="draft",
                     season_mask=months_to_mask([12]))
        make_product(name="Miến của cơ sở chờ duyệt", seller=hidden, category=noodles,
                     season_mask=months_to_mask([12]))
        make_product(name="Mật ong quanh năm", seller=na_seller, category=fruit, season_mask=ALL_MONTHS_MASK)
        make_product(name="Gạo không ghi mùa", seller=na_seller, category=fruit)
        db.session.commit()


def test_calendar_shows_this_months_public_seasonal_products_by_category(client, season_floor, monkeypatch):
    set_today(monkeypatch, date(2026, 12, 7))
    response = client.get("/mua-vu")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đang vào mùa tháng 12" in page
    assert "Miến dong Côn Minh" in page and "HTX Miến Côn Minh" in page
    for hidden in ("Miến nháp", "Miến của cơ sở chờ duyệt", "Mật ong quanh năm", "Gạo không ghi mùa",
                   "Na dai Võ Nhai"):
        assert hidden not in page
    # The months after: custard apples are not coming before August.
    assert re.search(r"Tháng 1</strong></a>:\s*không có sản phẩm mới vào mùa", page)
    august = client.get("/mua-vu?thang=8").get_data(as_text=True)
    assert "Mùa vụ tháng 8" in august and "Na dai Võ Nhai" in august and "Miến dong" not in august


@pytest.mark.parametrize("junk", ["13", "0", "-1", "abc", "9" * 5000, "1e1", "٣"])
def test_calendar_ignores_a_bad_month(client, season_floor, monkeypatch, junk):
    set_today(monkeypatch, date(2026, 12, 7))
    response = client.get(f"/mua-vu?thang={junk}")
    assert response.status_code == 200
    assert "Đang vào mùa tháng 12" in response.get_data(as_text=True)


def test_calendar_is_page_cached_and_moves_with_the_month_and_with_writes(app, client, season_floor, monkeypatch):
    set_today(monkeypatch, date(2026, 12, 7))
    assert client.get("/mua-vu").headers.get("X-Page-Cache") == "miss"
    assert client.get("/mua-vu").headers.get("X-Page-Cache") == "hit"
    # A seller states a season: the calendar renders anew with it.
    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.name == "Gạo không ghi mùa"))
        product.season_mask = months_to_mask([12])
        db.session.commit()
    response = client.get("/mua-vu")
    assert response.headers.get("X-Page-Cache") == "miss"
    assert "Gạo không ghi mùa" in response.get_data(as_text=True)
    # A new month: another page, without any write.
    set_today(monkeypatch, date(2027, 8, 1))
    page = client.get("/mua-vu").get_data(as_text=True)
    assert "Đang vào mùa tháng 8" in page and "Na dai Võ Nhai" in page


# ------------------------------------------------------------------ API


def test_api_calendar_and_product_season_fields(client, season_floor, monkeypatch):
    set_today(monkeypatch, date(2026, 12, 7))
    data = client.get("/api/v1/calendar").get_json()
    assert data["month"] == 12 and data["total"] == 1
    [group] = data["categories"]
    assert group["category"]["slug"] == "mien-bun"
    assert [p["name"] for p in group["products"]] == ["Miến dong Côn Minh"]
    assert group["sellers"] == [{"slug": group["sellers"][0]["slug"], "name": "HTX Miến Côn Minh"}]
    product = group["products"][0]
    assert product["season"] == {"months": [1, 11, 12], "year_round": False, "in_season_now": True}
    assert set(product["supply"]) == {"monthly_volume", "volume_unit", "min_order_qty", "lead_time_days",
                                      "packaging"}
    august = client.get("/api/v1/calendar?month=8").get_json()
    assert [p["name"] for g in august["categories"] for p in g["products"]] == ["Na dai Võ Nhai"]
    assert [u["month"] for u in august["upcoming"]] == [9, 10, 11]
    assert august["upcoming"][2]["starting"] == 1


@pytest.mark.parametrize("month", ["13", "0", "-3", "abc", "9" * 400, "1.5"])
def test_api_calendar_refuses_a_bad_month_naming_the_field(client, month):
    response = client.get(f"/api/v1/calendar?month={month}")
    assert response.status_code == 400
    assert response.get_json()["field"] == "month"


def test_sql_twins_agree_with_the_python_rules(app):
    from marketplace.seasons import available_mask_clause, season_mask_clause

    masks = [None, ALL_MONTHS_MASK, months_to_mask([11, 12, 1]), months_to_mask([5])]
    with app.app_context():
        seller, category = make_seller(), make_category()
        products = [make_product(seller=seller, category=category, season_mask=m) for m in masks]
        db.session.commit()
        for month in range(1, 13):
            for clause, rule in ((season_mask_clause, in_season), (available_mask_clause, available_in)):
                found = set(db.session.scalars(sa.select(Product.id).where(clause(Product.season_mask, month))))
                assert found == {p.id for p in products if rule(p, month)}, (clause.__name__, month)
