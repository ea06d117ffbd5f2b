"""JSON API v1, through the Flask test client against a real database.

The catalog below holds six public products and, next to them, products that must
never show (draft/pending/rejected/archived, products of pending and suspended
sellers). The hidden ones share the words, category, area and certificates of the
public ones, so any leak changes a total, a facet count or a list of slugs.

The list endpoint runs through ``get_search()``; the module runs twice: with the
configured default backend and with the database backend forced.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.catalog.models import AreaAlias, Category, ProductPhoto
from marketplace.extensions import db
from marketplace.media import get_storage
from marketplace.media.images import store_renditions
from marketplace.text import fold, today_vn
from tests.conftest import make_test_config
from tests.factories import (
    make_area,
    make_category,
    make_certification,
    make_product,
    make_rural_industry,
    make_seller,
)

PUBLIC = {"che-bup", "che-moc-cau", "ruou-ba-kich", "may-vo-che", "mien-dong", "mat-ong"}
HIDDEN_PRODUCTS = {"che-nhap", "che-cho-duyet", "che-bi-tu-choi", "che-luu-tru", "che-cho-co-so", "che-bi-dinh-chi"}


@pytest.fixture(params=["default", "database"])
def app_config(request, tmp_path):
    overrides = {} if request.param == "default" else {"SEARCH_BACKEND": "database"}
    return make_test_config(tmp_path, **overrides)


def _at(days_ago: int) -> datetime:
    return datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc) - timedelta(days=days_ago)


@pytest.fixture
def catalog(app):
    """Build the catalog and commit it; return a dict of ids/keys the tests need."""
    with app.app_context():
        food = make_category(name="Thực phẩm", slug="thuc-pham", ocop_group="thuc-pham", name_en="Food")
        tea = make_category(name="Chè", slug="che", parent=food, name_en="Tea")
        drinks = make_category(name="Đồ uống", slug="do-uong", ocop_group="do-uong")
        wine = make_category(name="Rượu", slug="ruou", parent=drinks)
        tools = make_category(name="Máy móc, công cụ", slug="may-moc")
        make_category(name="Sinh vật cảnh", slug="sinh-vat-canh", ocop_group="sinh-vat-canh")

        province = make_area(name="tỉnh Thái Nguyên", slug="thai-nguyen", kind="province")
        tan_cuong = make_area(name="phường Tân Cương", slug="tan-cuong", kind="ward", parent=province)
        quang_son = make_area(name="xã Quang Sơn", slug="quang-son", parent=province)
        db.session.add(AreaAlias(area=quang_son, name="huyện Đồng Hỷ", folded=fold("huyện Đồng Hỷ"),
                                 kind="former_district"))
        db.session.flush()

        tea_coop = make_seller(name="HTX Chè Tân Cương", slug="htx-che-tan-cuong", area=tan_cuong,
                               story="Ba thế hệ làm chè.", address="Tổ 5, phường Tân Cương",
                               email="htx@example.vn", website="https://che.example.vn", verified=True)
        company = make_seller(name="Công ty Ba Kích", slug="cong-ty-ba-kich", kind="enterprise", area=quang_son)
        pending = make_seller(name="HTX Chờ Duyệt", slug="htx-cho-duyet", status="pending", area=tan_cuong)
        suspended = make_seller(name="HTX Bị Đình Chỉ", slug="htx-bi-dinh-chi", status="suspended", area=tan_cuong)

        che_bup = make_product(name="Chè búp Tân Cương đặc biệt", slug="che-bup", seller=tea_coop, category=tea,
                               price_vnd=350_000, view_count=50, published_at=_at(5),
                               description="Búp chè non hái tay.")
        make_certification(che_bup, stars=5, score=92, decision_number="1234/QĐ-UBND")
        make_rural_industry(che_bup, level="province", year=2023)
        key, w, h = store_renditions(get_storage(), Image.new("RGB", (1000, 600), (30, 120, 40)))
        db.session.add(ProductPhoto(product=che_bup, key=key, width=w, height=h, alt="Hộp chè búp", position=0))

        moc_cau = make_product(name="Chè móc câu", slug="che-moc-cau", seller=tea_coop, category=tea,
                               price_vnd=150_000, view_count=10, published_at=_at(4))
        make_certification(moc_cau, stars=4)
        ruou = make_product(name="Rượu ba kích", slug="ruou-ba-kich", seller=company, category=wine,
                            price_vnd=500_000, view_count=30, published_at=_at(3))
        make_certification(ruou, stars=3)
        may = make_product(name="Máy vò chè mini", slug="may-vo-che", seller=company, category=tools,
                           price_vnd=8_000_000, unit="chiếc", view_count=5, published_at=_at(2))
        make_rural_industry(may, level="national", year=2024)
        mien = make_product(name="Miến dong", slug="mien-dong", seller=company, category=food,
                            price_vnd=80_000, view_count=0, published_at=_at(1))
        make_certification(mien, stars=4, issued_on=today_vn() - timedelta(days=4 * 365))  # expired
        mat_ong = make_product(name="Mật ong rừng", slug="mat-ong", seller=tea_coop, category=food,
                               price_vnd=200_000, view_count=20, published_at=_at(0))
        make_certification(mat_ong, stars=4, verified_at=None)  # never verified

        hidden = [
            dict(slug="che-nhap", status="draft", seller=tea_coop),
            dict(slug="che-cho-duyet", status="pending", seller=tea_coop),
            dict(slug="che-bi-tu-choi", status="rejected", seller=tea_coop),
            dict(slug="che-luu-tru", status="archived", seller=tea_coop, published_at=_at(9)),
            dict(slug="che-cho-co-so", status="published", seller=pending),
            dict(slug="che-bi-dinh-chi", status="published", seller=suspended),
        ]
        for i, kw in enumerate(hidden):
            p = make_product(name=f"Chè Tân Cương ẩn {i}", category=tea, price_vnd=150_000,
                             view_count=1000, featured=True, area=tan_cuong, **kw)
            make_certification(p, stars=5)
            make_rural_industry(p)
        db.session.commit()
        return {"photo_key": key, "pending": pending.slug, "suspended": suspended.slug}


def slugs(resp) -> list[str]:
    return [item["slug"] for item in resp.get_json()["items"]]


def get(client, url, **params):
    resp = client.get(url, query_string=params)
    assert resp.headers["Content-Type"].startswith("application/json")
    return resp


# --- shapes -----------------------------------------------------------------------

def test_list_shape_and_item_fields(client, catalog):
    resp = get(client, "/api/v1/products", q="chè búp")
    assert resp.status_code == 200
    body = resp.get_json()
    assert {"items", "total", "page", "per_page", "facets", "degraded"} <= body.keys()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 24
    assert body["degraded"] is False
    assert set(body["facets"]) >= {"category", "area", "ocop_stars", "rural_industry"}
    item = body["items"][0]
    assert {"id", "slug", "name", "price_vnd", "unit", "category", "area", "seller", "ocop",
            "rural_industry", "url", "image_url"} <= item.keys()
    assert item["name"] == "Chè búp Tân Cương đặc biệt"
    assert item["price_vnd"] == 350_000 and isinstance(item["price_vnd"], int)
    assert item["unit"] == "hộp 200 g"
    assert item["category"] == {"slug": "che", "name": "Chè", "name_en": "Tea"}
    assert item["area"] == {"slug": "tan-cuong", "name": "phường Tân Cương"}
    assert item["seller"]["slug"] == "htx-che-tan-cuong"
    assert item["seller"]["name"] == "HTX Chè Tân Cương"
    assert item["seller"]["kind"] == "cooperative"
    ocop = item["ocop"]
    assert ocop["stars"] == 5 and ocop["group"] == "Thực phẩm"
    assert ocop["decision_number"] == "1234/QĐ-UBND"
    assert len(ocop["expires_on"]) == 10 and ocop["expires_on"][4] == "-"
    assert item["rural_industry"] == {"level": "province", "year": 2023}
    url = urlsplit(item["url"])
    assert url.scheme == "http" and url.netloc and url.path == "/san-pham/che-bup"
    image = urlsplit(item["image_url"])
    assert image.scheme == "http" and image.path == f"/media/{catalog['photo_key']}-800.webp"


def test_image_url_serves_the_webp(client, catalog):
    item = get(client, "/api/v1/products/che-bup").get_json()
    with client.get(urlsplit(item["image_url"]).path) as resp:
        assert resp.status_code == 200
        assert resp.mimetype == "image/webp"
        assert resp.data[:4] == b"RIFF" and resp.data[8:12] == b"WEBP"


def test_item_without_valid_certificate_or_photo_has_nulls(client, catalog):
    items = {i["slug"]: i for i in get(client, "/api/v1/products", per_page=100).get_json()["items"]}
    assert items["mien-dong"]["ocop"] is None  # expired
    assert items["mat-ong"]["ocop"] is None  # not verified
    assert items["may-vo-che"]["ocop"] is None
    assert items["may-vo-che"]["rural_industry"] == {"level": "national", "year": 2024}
    assert items["che-moc-cau"]["rural_industry"] is None
    assert items["che-moc-cau"]["image_url"] is None
    assert items["ruou-ba-kich"]["ocop"]["stars"] == 3


def test_detail_has_list_fields_plus_description_and_images(client, catalog):
    listed = get(client, "/api/v1/products", q="chè búp").get_json()["items"][0]
    resp = get(client, "/api/v1/products/che-bup")
    assert resp.status_code == 200
    detail = resp.get_json()
    assert {k: detail[k] for k in listed} == listed  # one serializer for both
    assert detail["description"] == "Búp chè non hái tay."
    [image] = detail["images"]
    assert image["width"] == 1000 and image["height"] == 600 and image["alt"] == "Hộp chè búp"
    for width in (320, 800):
        assert urlsplit(image[f"url_{width}"]).path == f"/media/{catalog['photo_key']}-{width}.webp"
        with client.get(urlsplit(image[f"url_{width}"]).path) as resp:
            assert resp.status_code == 200
    assert get(client, "/api/v1/products/che-moc-cau").get_json()["images"] == []


def test_detail_lists_only_renditions_that_exist(app, client, catalog):
    """Demo photos have 320/800 renditions only: no url_1600 pointing at nothing."""
    with app.app_context():
        storage = get_storage()
        name = f"{catalog['photo_key']}-1600.webp"
        assert storage.exists(name)
        [image] = get(client, "/api/v1/products/che-bup").get_json()["images"]
        assert urlsplit(image["url_1600"]).path == f"/media/{name}"
        storage.delete(name)
    [image] = get(client, "/api/v1/products/che-bup").get_json()["images"]
    assert "url_1600" not in image and "url_800" in image and "url_320" in image


@pytest.mark.parametrize("path", [
    "/api/v1/products/khong-co", "/api/v1/products/%00", "/api/v1/products/ch%C3%A8", "/api/v1/products/%FF",
    "/api/v1/products/" + "a" * 500, "/api/v1/sellers/%00", "/api/v1/sellers/Ch%C3%A8", "/api/v1/sellers/%FF%FE",
])
def test_unknown_or_malformed_slug_is_404_json(client, catalog, path):
    resp = get(client, path)
    assert resp.status_code == 404
    assert resp.get_json()["error"]


# --- visibility -------------------------------------------------------------------

def test_hidden_products_never_listed_or_counted(client, catalog):
    body = get(client, "/api/v1/products", per_page=100).get_json()
    assert set(slugs_of(body)) == PUBLIC
    assert body["total"] == 6
    facets = body["facets"]
    assert facets["category"]["che"] == 2
    assert facets["category"]["thuc-pham"] == 4
    assert facets["area"]["tan-cuong"] == 3
    assert facets["ocop_stars"] == {"3": 1, "4": 1, "5": 1}
    assert facets["rural_industry"] == {"true": 2, "false": 4}


def slugs_of(body: dict) -> list[str]:
    return [item["slug"] for item in body["items"]]


@pytest.mark.parametrize("params", [
    {"q": "chè tân cương"},
    {"q": "an"},
    {"category": "che"},
    {"area": "tan-cuong"},
    {"ocop_stars": "5"},
    {"rural_industry": "true"},
    {"seller": "htx-che-tan-cuong"},
    {"sort": "popular"},
    {"sort": "newest"},
])
def test_hidden_products_invisible_through_every_filter(client, catalog, params):
    body = get(client, "/api/v1/products", per_page=100, **params).get_json()
    assert not set(slugs_of(body)) & HIDDEN_PRODUCTS
    assert body["total"] == len(body["items"])
    assert set(slugs_of(body)) <= PUBLIC


@pytest.mark.parametrize("slug", sorted(HIDDEN_PRODUCTS))
def test_hidden_product_detail_is_404(client, catalog, slug):
    assert get(client, f"/api/v1/products/{slug}").status_code == 404


def test_pending_and_suspended_sellers_are_404(client, catalog):
    assert get(client, f"/api/v1/sellers/{catalog['pending']}").status_code == 404
    assert get(client, f"/api/v1/sellers/{catalog['suspended']}").status_code == 404
    assert get(client, "/api/v1/sellers/khong-co").status_code == 404
    body = get(client, "/api/v1/products", seller=catalog["pending"]).get_json()
    assert body["items"] == [] and body["total"] == 0


def test_seller_profile_counts_public_products_only(client, catalog):
    resp = get(client, "/api/v1/sellers/htx-che-tan-cuong")
    assert resp.status_code == 200
    seller = resp.get_json()
    assert seller["name"] == "HTX Chè Tân Cương" and seller["kind"] == "cooperative"
    assert seller["story"] == "Ba thế hệ làm chè."
    assert seller["address"] == "Tổ 5, phường Tân Cương"
    assert seller["area"] == {"slug": "tan-cuong", "name": "phường Tân Cương"}
    assert seller["phone"] == "0912345678" and seller["email"] == "htx@example.vn"
    assert seller["website"] == "https://che.example.vn"
    assert seller["verified"] is True
    assert seller["product_count"] == 3  # che-bup, che-moc-cau, mat-ong; 4 hidden ones not counted
    assert urlsplit(seller["url"]).path == "/co-so/htx-che-tan-cuong"
    assert urlsplit(seller["url"]).netloc


def test_categories_tree_with_public_counts(client, catalog):
    body = get(client, "/api/v1/categories").get_json()
    roots = {c["slug"]: c for c in body["items"]}
    assert set(roots) == {"thuc-pham", "do-uong", "may-moc", "sinh-vat-canh"}
    food = roots["thuc-pham"]
    assert food["product_count"] == 4  # two teas + miến + mật ong; hidden teas not counted
    assert food["ocop_group"] == "thuc-pham" and food["name_en"] == "Food" and food["parent"] is None
    [tea] = food["children"]
    assert tea["slug"] == "che" and tea["parent"] == "thuc-pham" and tea["product_count"] == 2
    assert tea["name"] == "Chè" and isinstance(tea["id"], int)
    assert roots["do-uong"]["product_count"] == 1 and roots["do-uong"]["children"][0]["product_count"] == 1
    assert roots["sinh-vat-canh"]["product_count"] == 0
    assert body["total"] == 6


def test_categories_survive_a_parent_cycle(app, client):
    """Hand-edited data with a parent loop must not hang or 500 the endpoint."""
    with app.app_context():
        a = make_category(name="Vòng A", slug="vong-a")
        b = make_category(name="Vòng B", slug="vong-b", parent=a)
        make_category(name="Gốc", slug="goc")
        db.session.execute(sa.update(Category).where(Category.id == a.id).values(parent_id=b.id))
        db.session.commit()
    resp = get(client, "/api/v1/categories")
    assert resp.status_code == 200
    assert [c["slug"] for c in resp.get_json()["items"]] == ["goc"]


def test_areas_with_aliases_parent_and_public_counts(client, catalog):
    areas = {a["slug"]: a for a in get(client, "/api/v1/areas").get_json()["items"]}
    assert areas["thai-nguyen"]["product_count"] == 6
    assert areas["thai-nguyen"]["kind"] == "province" and areas["thai-nguyen"]["parent"] is None
    assert areas["tan-cuong"]["product_count"] == 3
    assert areas["quang-son"]["product_count"] == 3
    assert areas["quang-son"]["aliases"] == ["huyện Đồng Hỷ"]
    assert areas["quang-son"]["parent"] == {"slug": "thai-nguyen", "name": "tỉnh Thái Nguyên"}
    assert areas["quang-son"]["name"] == "xã Quang Sơn"


# --- filters ----------------------------------------------------------------------

@pytest.mark.parametrize("params, expected", [
    ({"category": "che"}, {"che-bup", "che-moc-cau"}),
    ({"category": "thuc-pham"}, {"che-bup", "che-moc-cau", "mien-dong", "mat-ong"}),  # includes sub-category
    ({"category": ["che", "ruou"]}, {"che-bup", "che-moc-cau", "ruou-ba-kich"}),
    ({"category": "sinh-vat-canh"}, set()),
    ({"area": "quang-son"}, {"ruou-ba-kich", "may-vo-che", "mien-dong"}),
    ({"area": "thai-nguyen"}, PUBLIC),  # a province includes its communes
    ({"ocop_stars": "5"}, {"che-bup"}),
    ({"ocop_stars": ["4", "5"]}, {"che-bup", "che-moc-cau"}),
    ({"ocop_stars": "4,5"}, {"che-bup", "che-moc-cau"}),
    ({"ocop_stars": "4"}, {"che-moc-cau"}),  # expired and unverified 4★ do not count
    ({"rural_industry": "true"}, {"che-bup", "may-vo-che"}),
    ({"rural_industry": "1"}, {"che-bup", "may-vo-che"}),
    ({"rural_industry": "FALSE"}, PUBLIC - {"che-bup", "may-vo-che"}),
    ({"rural_industry": "0"}, PUBLIC - {"che-bup", "may-vo-che"}),
    ({"seller": "cong-ty-ba-kich"}, {"ruou-ba-kich", "may-vo-che", "mien-dong"}),
    ({"min_price": "200000"}, {"che-bup", "ruou-ba-kich", "may-vo-che", "mat-ong"}),
    ({"max_price": "150000"}, {"che-moc-cau", "mien-dong"}),
    ({"min_price": "150000", "max_price": "350000"}, {"che-moc-cau", "che-bup", "mat-ong"}),
    ({"min_price": "150000", "max_price": "150000"}, {"che-moc-cau"}),
    ({"q": "che tan cuong"}, {"che-bup", "che-moc-cau", "mat-ong"}),  # name or seller "HTX Chè Tân Cương"
    ({"q": "chè búp"}, {"che-bup"}),
    ({"q": "Đồng Hỷ"}, {"ruou-ba-kich", "may-vo-che", "mien-dong"}),  # former district of xã Quang Sơn
    ({"q": "RƯỢU"}, {"ruou-ba-kich"}),
    ({"q": "chè", "category": "may-moc"}, {"may-vo-che"}),
    ({"category": "thuc-pham", "ocop_stars": "5", "rural_industry": "true", "area": "tan-cuong",
      "seller": "htx-che-tan-cuong", "min_price": "1", "max_price": "400000"}, {"che-bup"}),
    ({"category": "khong-co-danh-muc"}, set()),  # well-formed unknown slug: empty, not an error
    ({"area": "khong-co"}, set()),
    ({"seller": "khong-co"}, set()),
    ({"colour": "red", "utm_source": "x"}, PUBLIC),  # unknown parameters ignored
    ({"page": "", "sort": "", "ocop_stars": ""}, PUBLIC),  # empty values mean "not given"
])
def test_filters(client, catalog, params, expected):
    resp = get(client, "/api/v1/products", per_page=100, **params)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert set(slugs_of(body)) == expected
    assert body["total"] == len(expected)


def test_facets_are_disjunctive(client, catalog):
    body = get(client, "/api/v1/products", ocop_stars="5").get_json()
    assert body["total"] == 1
    # The stars facet ignores the stars filter (so the other choices still show)...
    assert body["facets"]["ocop_stars"] == {"3": 1, "4": 1, "5": 1}
    # ...while every other facet is counted within the 5★ result.
    assert {k: n for k, n in body["facets"]["category"].items() if n} == {"che": 1, "thuc-pham": 1}
    assert body["facets"]["rural_industry"] == {"true": 1, "false": 0}
    body = get(client, "/api/v1/products", category="che", rural_industry="false").get_json()
    assert set(slugs_of(body)) == {"che-moc-cau"}
    assert body["facets"]["rural_industry"] == {"true": 1, "false": 1}
    assert body["facets"]["category"]["thuc-pham"] == 3  # non-rural food: moc-cau, mien, mat-ong
    assert body["facets"]["ocop_stars"] == {"3": 0, "4": 1, "5": 0}


def test_facets_without_matches_keep_every_key(client, catalog):
    body = get(client, "/api/v1/products", q="khongtontai").get_json()
    assert body["items"] == [] and body["total"] == 0
    assert body["facets"]["ocop_stars"] == {"3": 0, "4": 0, "5": 0}
    assert body["facets"]["rural_industry"] == {"true": 0, "false": 0}


# --- sorts and pagination ---------------------------------------------------------

@pytest.mark.parametrize("sort, expected", [
    ("price_asc", ["mien-dong", "che-moc-cau", "mat-ong", "che-bup", "ruou-ba-kich", "may-vo-che"]),
    ("price_desc", ["may-vo-che", "ruou-ba-kich", "che-bup", "mat-ong", "che-moc-cau", "mien-dong"]),
    ("newest", ["mat-ong", "mien-dong", "may-vo-che", "ruou-ba-kich", "che-moc-cau", "che-bup"]),
    ("popular", ["che-bup", "ruou-ba-kich", "mat-ong", "che-moc-cau", "may-vo-che", "mien-dong"]),
])
def test_sorts(client, catalog, sort, expected):
    body = get(client, "/api/v1/products", sort=sort).get_json()
    assert slugs_of(body) == expected


def test_pages_cover_the_result_without_overlap(client, catalog):
    seen: list[str] = []
    for page in (1, 2, 3):
        body = get(client, "/api/v1/products", sort="price_asc", per_page=2, page=page).get_json()
        assert body["total"] == 6 and body["page"] == page and body["per_page"] == 2
        assert len(body["items"]) == 2
        seen += slugs_of(body)
    assert len(seen) == 6 and set(seen) == PUBLIC
    body = get(client, "/api/v1/products", sort="price_asc", per_page=4, page=2).get_json()
    assert slugs_of(body) == ["ruou-ba-kich", "may-vo-che"]


def test_page_past_the_end_is_empty_with_the_right_total(client, catalog):
    resp = get(client, "/api/v1/products", page=99, per_page=5)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["items"] == [] and body["total"] == 6 and body["page"] == 99


def test_per_page_bounds_are_accepted(client, catalog):
    assert len(get(client, "/api/v1/products", per_page=1).get_json()["items"]) == 1
    assert len(get(client, "/api/v1/products", per_page=100).get_json()["items"]) == 6


# --- bad input --------------------------------------------------------------------

@pytest.mark.parametrize("params, field", [
    ({"page": "0"}, "page"),
    ({"page": "-1"}, "page"),
    ({"page": "abc"}, "page"),
    ({"page": "1.5"}, "page"),
    ({"page": "99999999999999999999999"}, "page"),
    ({"per_page": "0"}, "per_page"),
    ({"per_page": "101"}, "per_page"),
    ({"per_page": "abc"}, "per_page"),
    ({"ocop_stars": "2"}, "ocop_stars"),
    ({"ocop_stars": "five"}, "ocop_stars"),
    ({"ocop_stars": ["5", "6"]}, "ocop_stars"),
    ({"rural_industry": "maybe"}, "rural_industry"),
    ({"sort": "cheapest"}, "sort"),
    ({"min_price": "-1"}, "min_price"),
    ({"max_price": "-5"}, "max_price"),
    ({"min_price": "1e5"}, "min_price"),
    ({"max_price": "١٢٣"}, "max_price"),  # non-ASCII digits
    ({"max_price": "9" * 30}, "max_price"),
    ({"min_price": "300000", "max_price": "100000"}, "min_price"),
    ({"category": "Chè Xanh"}, "category"),
    ({"area": "tan_cuong"}, "area"),
    ({"seller": "x" * 200}, "seller"),
])
def test_bad_parameters_are_400_with_the_field(client, catalog, params, field):
    resp = get(client, "/api/v1/products", **params)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["field"] == field
    assert isinstance(body["error"], str) and body["error"]


def test_error_messages_are_vietnamese(client, catalog):
    body = get(client, "/api/v1/products", ocop_stars="2").get_json()
    assert body["error"] == "Số sao OCOP chỉ có thể là 3, 4 hoặc 5."


@pytest.mark.parametrize("q", [
    "x" * 10_000,
    "chè\x00tân\x07cương",
    "\u200b\u202e\ufeff",
    "' OR 1=1 --",
    '"NEAR(chè" * ^ : AND OR NOT',
    "%%%",
    "___",
    "🍵 chè",
    "\\",
])
def test_any_q_never_fails(client, catalog, q):
    resp = get(client, "/api/v1/products", q=q)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["total"] >= len(body["items"])
    assert not set(slugs_of(body)) & HIDDEN_PRODUCTS


def test_control_characters_separate_words(client, catalog):
    body = get(client, "/api/v1/products", q="chè\x00búp").get_json()
    assert slugs_of(body) == ["che-bup"]


def test_invalid_utf8_in_query_string(client, catalog):
    resp = client.get("/api/v1/products?q=%FF%FE%C3%28che&page=1")
    assert resp.status_code == 200
    resp = client.get("/api/v1/products?category=%FF")
    assert resp.status_code == 400 and resp.get_json()["field"] == "category"


def test_long_q_is_truncated_not_rejected(client, catalog):
    resp = get(client, "/api/v1/products", q="chè búp " + "a" * 500)
    assert resp.status_code == 200


# --- HTTP details -----------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/api/v1/products", "/api/v1/products/che-bup", "/api/v1/sellers/htx-che-tan-cuong",
    "/api/v1/categories", "/api/v1/areas", "/api/v1/products/khong-co",
])
def test_cache_and_cors_headers(client, catalog, url):
    resp = client.get(url)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert resp.headers["Cache-Control"] == "public, max-age=60"


def test_language_switch_response_is_not_publicly_cached(client, catalog):
    resp = client.get("/api/v1/products?lang=en&ocop_stars=2")
    assert resp.status_code == 400
    assert "Set-Cookie" in resp.headers
    assert resp.headers["Cache-Control"].startswith("private")


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_other_methods_are_405_json(client, catalog, method):
    resp = getattr(client, method)("/api/v1/products")
    assert resp.status_code == 405
    assert resp.is_json and resp.get_json()["error"]
    assert "GET" in resp.headers["Allow"]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_unknown_api_path_is_404_json(client, catalog):
    resp = client.get("/api/v1/khong-co")
    assert resp.status_code == 404 and resp.is_json


def test_degraded_flag_passes_through(app, client, catalog):
    """A backend that answers in degraded mode (the database search called as the
    degraded wrapper calls it) must show ``degraded: true`` in the response."""
    from marketplace.search.fallback import DatabaseSearch

    class DegradedDatabaseSearch(DatabaseSearch):
        def search(self, query, *, degraded=False):
            return super().search(query, degraded=True)

    app.extensions["search"] = DegradedDatabaseSearch()
    body = get(client, "/api/v1/products", q="chè").get_json()
    assert body["degraded"] is True
    assert body["total"] >= 1


# --- reachable depth (issue 9(c)) -------------------------------------------------

def test_pages_beyond_the_result_window_are_400_on_page(client, catalog):
    """Only the first 10,000 results can be paged to: deeper offsets are slow on every
    backend (Meilisearch warns they can take seconds) and serve only scrapers."""
    assert get(client, "/api/v1/products", page=417, per_page=24).status_code == 200  # results 9,985–10,008
    resp = get(client, "/api/v1/products", page=418, per_page=24)
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["field"] == "page"
    assert "10.000" in body["error"] and "417" in body["error"]
    assert get(client, "/api/v1/products", page=100, per_page=100).status_code == 200
    assert get(client, "/api/v1/products", page=101, per_page=100).get_json()["field"] == "page"
    assert get(client, "/api/v1/products", page="9" * 5000).get_json()["field"] == "page"


def test_pages_count_only_reachable_pages(client, catalog, monkeypatch):
    from marketplace.search import base

    monkeypatch.setattr(base, "MAX_RESULT_WINDOW", 4)
    body = get(client, "/api/v1/products", per_page=2, sort="price_asc").get_json()
    assert body["total"] == 6 and body["pages"] == 2  # the 5th and 6th are out of reach
    assert get(client, "/api/v1/products", per_page=2, page=3).get_json()["field"] == "page"
