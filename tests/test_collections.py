"""Featured collections: schedule edges across the Vietnamese midnight, ordering,
placement on the home and category pages, hidden products, the public page, the API,
the staff pages (CSRF on, audit entries, cover through the media pipeline) and the
printable catalogue."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from auth import log_in as login
from marketplace.audit.models import AuditEntry
from marketplace.collections import queries
from marketplace.collections.models import Collection, CollectionItem
from marketplace.collections.services import (
    CollectionError,
    ValidationError,
    add_product,
    create_collection,
    move_product,
    vn_to_utc,
)
from marketplace.extensions import db
from marketplace.media import get_storage
from marketplace.media.images import rendition_name
from marketplace.text import utcnow
from tests.factories import (
    make_category,
    make_certification,
    make_collection,
    make_product,
    make_seller,
    make_user,
)

ROOT = Path(__file__).resolve().parent.parent
NEW_YEAR_VN = datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)  # 01/01/2027 00:00 in Việt Nam



def html(response) -> str:
    return response.get_data(as_text=True)


# --- schedule ---------------------------------------------------------------------------


def test_vietnamese_wall_clock_is_stored_as_utc():
    assert vn_to_utc(datetime(2027, 1, 1, 0, 0)) == NEW_YEAR_VN
    assert vn_to_utc(None) is None


@pytest.mark.parametrize(
    "starts, ends, now, active",
    [
        # starts at Vietnamese midnight: one second before (still 31/12 in Việt Nam) vs at it
        (NEW_YEAR_VN, None, NEW_YEAR_VN - timedelta(seconds=1), False),
        (NEW_YEAR_VN, None, NEW_YEAR_VN, True),
        # UTC midnight of 01/01 is already 07:00 in Việt Nam: active
        (NEW_YEAR_VN, None, datetime(2027, 1, 1, 0, 0, tzinfo=timezone.utc), True),
        # ends at Vietnamese midnight: the end moment itself is no longer shown
        (None, NEW_YEAR_VN, NEW_YEAR_VN - timedelta(seconds=1), True),
        (None, NEW_YEAR_VN, NEW_YEAR_VN, False),
        # UTC 31/12 23:00 is 01/01 06:00 in Việt Nam: ended although the UTC date is 31/12
        (None, NEW_YEAR_VN, datetime(2026, 12, 31, 23, 0, tzinfo=timezone.utc), False),
        # open-ended both ways
        (None, None, NEW_YEAR_VN, True),
    ],
)
def test_schedule_edges_in_sql_and_python(ctx, starts, ends, now, active):
    collection = make_collection(title="lich", starts_at=starts, ends_at=ends)
    db.session.commit()
    db.session.expire_all()  # read the stored moments back (naive UTC on SQLite)
    found = db.session.scalars(queries.active_collections(now=now)).all()
    assert (collection in found) is active
    assert db.session.get(Collection, collection.id).is_active(now) is active


def test_form_moments_are_vietnamese_time(ctx):
    staff = make_user(role="staff")
    collection = create_collection(
        {"title": "Quà Tết 2027", "placement": "home_row", "published": True,
         "starts_at": datetime(2027, 1, 1, 0, 0), "ends_at": datetime(2027, 2, 20, 0, 0)},
        actor=staff,
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Collection, collection.id)
    assert stored.state(NEW_YEAR_VN - timedelta(seconds=1)) == "scheduled"
    assert stored.state(NEW_YEAR_VN) == "active"
    assert stored.state(datetime(2027, 2, 19, 17, 0, tzinfo=timezone.utc)) == "ended"
    assert stored.slug == "qua-tet-2027"


def test_end_before_start_and_bad_category_are_refused(ctx):
    staff = make_user(role="staff")
    with pytest.raises(ValidationError) as exc:
        create_collection({"title": "Sai lịch", "starts_at": datetime(2027, 1, 2), "ends_at": datetime(2027, 1, 1),
                           "placement": "category", "category_id": None}, actor=staff)
    assert set(exc.value.errors) == {"ends_at", "category_id"}
    assert "kết thúc" in exc.value.errors["ends_at"]


@pytest.fixture
def shop(ctx):
    """Public products, a hidden (draft) product and a product of a suspended seller."""
    tea = make_category(name="Chè", slug="che", name_en="Tea")
    honey = make_category(name="Mật ong", slug="mat-ong")
    seller = make_seller(name="HTX chè Tân Cương")
    suspended = make_seller(name="HTX bị đình chỉ", status="suspended")
    public = [make_product(name=f"Chè số {i}", seller=seller, category=tea, price_vnd=100_000 + i * 1000)
              for i in range(1, 5)]
    draft = make_product(name="Chè nháp", seller=seller, category=tea, status="draft")
    hidden_seller = make_product(name="Chè của cơ sở bị đình chỉ", seller=suspended, category=tea)
    db.session.commit()
    return {"public": public, "draft": draft, "hidden_seller": hidden_seller, "tea": tea, "honey": honey,
            "seller": seller}


def test_public_page_lists_public_products_in_order_and_never_hidden_ones(client, shop):
    p = shop["public"]
    make_collection([p[2], shop["draft"], p[0], shop["hidden_seller"], p[1]], title="Chè ngon", slug="che-ngon")
    db.session.commit()
    page = html(client.get("/bo-suu-tap/che-ngon"))
    names = re.findall(r'<h3 class="card-title">([^<]+)</h3>', page)
    assert names == ["Chè số 3", "Chè số 1", "Chè số 2"]
    assert "Chè nháp" not in page and "đình chỉ" not in page
    assert "3 sản phẩm" in page


def test_long_collection_is_paginated(client, shop):
    seller, tea = shop["seller"], shop["tea"]
    products = [make_product(name=f"Trà dài {i:02d}", seller=seller, category=tea) for i in range(30)]
    make_collection(products, title="dai", slug="dai")
    db.session.commit()
    first = html(client.get("/bo-suu-tap/dai"))
    second = html(client.get("/bo-suu-tap/dai?page=2"))
    assert first.count('class="card-title"') == 24 and second.count('class="card-title"') == 6
    assert "Trà dài 00" in first and "Trà dài 29" in second
    assert "Trà dài 29" in html(client.get("/bo-suu-tap/dai?page=99"))  # past the end: the last page


@pytest.mark.parametrize("kw", [
    {"published": False},
    {"starts_at": "future"},
    {"ends_at": "one second ago"},
])
def test_inactive_collection_is_404_for_the_public_and_shown_to_staff_with_a_notice(client, shop, kw):
    now = utcnow()
    kw = {k: (now + timedelta(hours=1) if v == "future" else now - timedelta(seconds=1) if v == "one second ago"
              else v) for k, v in kw.items()}
    make_collection(shop["public"][:1], title="an", slug="an", **kw)
    buyer, staff = make_user(role="buyer"), make_user(role="staff")
    db.session.commit()
    assert client.get("/bo-suu-tap/an").status_code == 404
    assert client.get("/api/v1/collections/an").status_code == 404
    assert "an" not in [c["slug"] for c in client.get("/api/v1/collections").get_json()["items"]]
    login(client, buyer)
    assert client.get("/bo-suu-tap/an").status_code == 404
    login(client, staff)
    response = client.get("/bo-suu-tap/an")
    assert response.status_code == 200
    assert "chỉ nhân viên thấy trang này" in html(response)
    assert "noindex" in html(response)


def test_home_shows_hero_and_rows_in_order_without_hidden_products(client, shop):
    p = shop["public"]
    make_collection([p[0], shop["draft"]], title="Hàng thứ hai", slug="hang-2", position=5)
    make_collection([shop["hidden_seller"], p[1]], title="Hàng thứ nhất", slug="hang-1", position=1)
    make_collection([p[2]], title="Biểu ngữ Tết", slug="bieu-ngu", placement="home_hero")
    make_collection([p[3]], title="Đã tắt", slug="da-tat", published=False)
    make_collection([shop["draft"]], title="Chỉ có hàng ẩn", slug="chi-an")
    make_collection([p[3]], title="Trên trang danh mục", slug="tren-danh-muc", placement="category",
                    category=shop["tea"])
    db.session.commit()
    page = html(client.get("/"))
    assert page.index("Biểu ngữ Tết") < page.index("Hàng thứ nhất") < page.index("Hàng thứ hai")
    hero = page[page.index('class="collection-hero"'):page.index("Hàng thứ nhất")]
    assert "Chè số 3" in hero
    for absent in ("Đã tắt", "Chỉ có hàng ẩn", "Trên trang danh mục", "Chè nháp", "đình chỉ"):
        assert absent not in page
    assert 'href="/bo-suu-tap/hang-1"' in page
    assert "collections.css" in page


def test_category_page_shows_only_its_collections(client, shop):
    make_collection(shop["public"][:2], title="Chè chọn lọc", slug="che-chon-loc", placement="category",
                    category=shop["tea"])
    make_collection(shop["public"][2:], title="Mật ong chọn lọc", slug="mat-ong-chon-loc", placement="category",
                    category=shop["honey"])
    db.session.commit()
    tea_page = html(client.get("/danh-muc/che"))
    assert "Chè chọn lọc" in tea_page and "Mật ong chọn lọc" not in tea_page
    assert "Chè chọn lọc" not in html(client.get("/danh-muc/che?stars=5"))  # filtering: results only
    assert "Chè chọn lọc" not in html(client.get("/"))
    crumbs = html(client.get("/bo-suu-tap/che-chon-loc"))
    assert 'href="/danh-muc/che"' in crumbs


# --- API ----------------------------------------------------------------------------------


def test_api_lists_active_collections_with_public_counts(client, shop):
    p = shop["public"]
    make_collection([p[0], shop["draft"], p[1]], title="Hàng", slug="hang", position=2)
    make_collection([p[2]], title="Biểu ngữ", slug="bieu-ngu", placement="home_hero", position=9)
    make_collection([p[3]], title="Danh mục", slug="danh-muc-che", placement="category", category=shop["tea"])
    make_collection([p[3]], title="Hết hạn", slug="het-han", ends_at=utcnow() - timedelta(seconds=1))
    db.session.commit()
    response = client.get("/api/v1/collections")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert [c["slug"] for c in body["items"]] == ["danh-muc-che", "hang", "bieu-ngu"]  # position order
    assert body["total"] == 3
    row = body["items"][1]
    assert set(row) == {"slug", "title", "description", "placement", "category", "position", "starts_at",
                        "ends_at", "cover", "product_count", "url"}
    assert row["product_count"] == 2 and row["url"].endswith("/bo-suu-tap/hang") and row["cover"] is None
    assert body["items"][0]["category"] == {"slug": "che", "name": "Chè", "name_en": "Tea"}
    only_tea = client.get("/api/v1/collections?category=che").get_json()
    assert [c["slug"] for c in only_tea["items"]] == ["danh-muc-che"]
    assert client.get("/api/v1/collections?category=khong-co").get_json()["items"] == []
    heroes = client.get("/api/v1/collections?placement=home_hero").get_json()
    assert [c["slug"] for c in heroes["items"]] == ["bieu-ngu"]


@pytest.mark.parametrize("query, field", [("placement=banner", "placement"), ("category=KHONG%20HOP", "category")])
def test_api_bad_filters_name_the_field(client, shop, query, field):
    response = client.get(f"/api/v1/collections?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_api_detail_lists_public_products_in_order(client, shop):
    p = shop["public"]
    make_collection([p[3], shop["hidden_seller"], p[1], shop["draft"], p[0]], title="Chi tiết", slug="chi-tiet",
                    starts_at=utcnow() - timedelta(days=1), ends_at=utcnow() + timedelta(days=1))
    db.session.commit()
    body = client.get("/api/v1/collections/chi-tiet").get_json()
    assert [x["name"] for x in body["products"]] == ["Chè số 4", "Chè số 2", "Chè số 1"]
    assert body["product_count"] == 3 and body["pages"] == 1
    assert body["starts_at"].endswith("Z") and body["ends_at"].endswith("Z")
    page2 = client.get("/api/v1/collections/chi-tiet?per_page=2&page=2").get_json()
    assert [x["name"] for x in page2["products"]] == ["Chè số 1"] and page2["pages"] == 2
    bad = client.get("/api/v1/collections/chi-tiet?per_page=500")
    assert bad.status_code == 400 and bad.get_json()["field"] == "per_page"
    missing = client.get("/api/v1/collections/khong-co")
    assert missing.status_code == 404 and missing.get_json()["error"]
    assert client.get("/api/v1/collections/Sai_Slug").status_code == 404
    assert client.get("/api/v1/collections/Sai_Slug").is_json


# --- services: ordering -----------------------------------------------------------------


def test_add_move_remove_keep_positions_without_gaps(ctx, shop):
    staff = make_user(role="staff")
    p = shop["public"]
    collection = make_collection(title="thu-tu", slug="thu-tu")
    for product in p:
        add_product(collection, product.id, actor=staff)
    with pytest.raises(CollectionError):
        add_product(collection, p[0].id, actor=staff)
    with pytest.raises(CollectionError):
        add_product(collection, 987654, actor=staff)
    move_product(collection, p[3].id, delta=-1, actor=staff)
    move_product(collection, p[0].id, delta=-1, actor=staff)  # already first: nothing
    move_product(collection, p[1].id, to_position=99, actor=staff)  # clamped to the end
    db.session.commit()
    order = [i.product_id for i in sorted(collection.items, key=lambda i: i.position)]
    assert order == [p[0].id, p[3].id, p[2].id, p[1].id]
    assert sorted(i.position for i in collection.items) == [0, 1, 2, 3]
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["collection.add_product"] * 4 + ["collection.move_product"] * 2


# --- staff pages (CSRF on) --------------------------------------------------------------


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture
def staff_client(csrf_app):
    with csrf_app.app_context():
        staff = make_user(role="staff", email="nhanvien@example.vn")
        tea = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX chè Hảo Đạt")
        products = [make_product(name=name, seller=seller, category=tea) for name in
                    ("Chè móc câu Hảo Đạt", "Chè tôm nõn Hảo Đạt", "Miến dong Việt Cường")]
        db.session.commit()
        ids = [p.id for p in products]
        client = csrf_app.test_client()
        login(client, staff)
        yield client, ids, staff.id
        db.session.remove()


def _audit(action: str) -> list[AuditEntry]:
    return db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_staff_create_edit_items_publish_delete_with_csrf_and_audit(csrf_app, staff_client):
    client, ids, staff_id = staff_client
    form = client.get("/nhan-vien/bo-suu-tap/moi")
    assert form.status_code == 200 and 'type="datetime-local"' in html(form)
    data = {"title": "Đặc sản chè Thái Nguyên", "slug": "", "description": "Chè ngon.", "placement": "home_row",
            "category_id": "", "position": "3", "starts_at": "01/01/2027 00:00", "ends_at": "", "published": "y"}
    # Without the CSRF token nothing is saved.
    refused = client.post("/nhan-vien/bo-suu-tap/moi", data=data)
    assert refused.status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Collection)) == 0
    created = client.post("/nhan-vien/bo-suu-tap/moi", data={**data, "csrf_token": _token(html(form))})
    assert created.status_code == 302
    with csrf_app.app_context():
        collection = db.session.scalars(sa.select(Collection)).one()
        cid = collection.id
        assert collection.slug == "dac-san-che-thai-nguyen" and collection.position == 3
        assert collection.state(NEW_YEAR_VN) == "active"
        assert collection.state(NEW_YEAR_VN - timedelta(seconds=1)) == "scheduled"
        entry = _audit("collection.create")[0]
        assert entry.actor_id == staff_id and entry.object_id == cid
        assert entry.changes["title"] == [None, "Đặc sản chè Thái Nguyên"]
        assert entry.changes["starts_at"] == [None, "2026-12-31T17:00:00+00:00"]

    edit_url = f"/nhan-vien/bo-suu-tap/{cid}"
    page = html(client.get(edit_url))
    assert "2027-01-01T00:00" in page  # shown back in Vietnamese time
    token = _token(page)
    # A bad edit: Vietnamese messages, nothing changed.
    bad = client.post(edit_url, data={**data, "title": "x", "ends_at": "31/12/2026 23:00", "csrf_token": token})
    assert bad.status_code == 400
    assert "Tiêu đề phải dài từ 3 đến 200 ký tự." in html(bad)
    bad_date = client.post(edit_url, data={**data, "starts_at": "32/13/2027", "csrf_token": token})
    assert bad_date.status_code == 400 and "Thời điểm không hợp lệ" in html(bad_date)
    ok = client.post(edit_url, data={**data, "title": "Chè Thái Nguyên", "slug": "che-thai-nguyen", "position": "1",
                                     "csrf_token": token})
    assert ok.status_code == 302
    with csrf_app.app_context():
        update = _audit("collection.update")
        assert len(update) == 1
        assert update[0].changes == {"title": ["Đặc sản chè Thái Nguyên", "Chè Thái Nguyên"],
                                     "slug": ["dac-san-che-thai-nguyen", "che-thai-nguyen"],
                                     "position": [3, 1]}

    # Add by search, reorder, remove.
    search = html(client.get(edit_url + "?q=tom non"))  # typed without diacritics
    assert search.count(">Thêm</button>") == 1
    assert f'name="product_id" value="{ids[1]}"' in search
    for pid in (ids[0], ids[1], ids[2]):
        assert client.post(f"{edit_url}/san-pham", data={"product_id": pid, "csrf_token": token}).status_code == 302
    assert client.post(f"{edit_url}/san-pham", data={"product_id": ids[0]}).status_code == 400  # no token
    again = client.post(f"{edit_url}/san-pham", data={"product_id": ids[0], "csrf_token": token},
                        follow_redirects=True)
    assert "đã có trong bộ sưu tập" in html(again)
    client.post(f"{edit_url}/san-pham/{ids[2]}/di-chuyen", data={"huong": "-1", "csrf_token": token})
    client.post(f"{edit_url}/san-pham/{ids[0]}/di-chuyen", data={"vi_tri": "3", "csrf_token": token})
    bad_pos = client.post(f"{edit_url}/san-pham/{ids[0]}/di-chuyen", data={"vi_tri": "abc", "csrf_token": token},
                          follow_redirects=True)
    assert bad_pos.status_code == 200 and "Vị trí phải là số nguyên" in html(bad_pos)
    with csrf_app.app_context():
        order = db.session.scalars(sa.select(CollectionItem.product_id).order_by(CollectionItem.position)).all()
        assert order == [ids[2], ids[1], ids[0]]
    client.post(f"{edit_url}/san-pham/{ids[1]}/xoa", data={"csrf_token": token})
    with csrf_app.app_context():
        assert db.session.scalars(sa.select(CollectionItem.product_id).order_by(CollectionItem.position)).all() == [
            ids[2], ids[0]]
        assert len(_audit("collection.add_product")) == 3
        assert len(_audit("collection.move_product")) == 2
        removed = _audit("collection.remove_product")[0]
        assert removed.changes == {"products": [[ids[2], ids[1], ids[0]], [ids[2], ids[0]]]}

    # Unpublish and publish, then delete.
    assert client.post(f"{edit_url}/tat", data={}).status_code == 400
    client.post(f"{edit_url}/tat", data={"csrf_token": token})
    client.post(f"{edit_url}/bat", data={"csrf_token": token, "next": "list"})
    listing = html(client.get("/nhan-vien/bo-suu-tap/"))
    assert "Chè Thái Nguyên" in listing and "2/2 sản phẩm đang hiển thị" in listing
    assert client.post(f"{edit_url}/xoa", data={"csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        assert db.session.get(Collection, cid) is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CollectionItem)) == 0
        assert [e.changes["published"] for e in _audit("collection.unpublish") + _audit("collection.publish")] == [
            [True, False], [False, True]]
        deleted = _audit("collection.delete")[0]
        assert deleted.changes["title"] == ["Chè Thái Nguyên", None]
        assert deleted.changes["products"] == [[ids[2], ids[0]], None]
    assert client.get(edit_url).status_code == 404


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (1000, 500), (120, 160, 60))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_cover_goes_through_the_media_pipeline_and_a_bad_file_saves_nothing(csrf_app, staff_client):
    client, ids, _ = staff_client
    with csrf_app.app_context():
        collection = make_collection(title="Bia", slug="bia")
        db.session.commit()
        cid = collection.id
    url = f"/nhan-vien/bo-suu-tap/{cid}"
    token = _token(html(client.get(url)))
    data = {"title": "Bìa mới", "slug": "bia", "placement": "home_hero", "position": "0", "published": "y",
            "csrf_token": token}
    bad = client.post(url, data={**data, "cover": (io.BytesIO(b"not an image"), "bia.jpg")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "không phải ảnh JPEG, PNG hoặc WebP" in html(bad)
    with csrf_app.app_context():
        kept = db.session.get(Collection, cid)
        assert kept.title == "Bia" and kept.placement == "home_row" and kept.cover_key is None  # nothing half-saved
    ok = client.post(url, data={**data, "cover": (io.BytesIO(_jpeg_with_exif()), "bia.jpg")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    with csrf_app.app_context():
        collection = db.session.get(Collection, cid)
        key = collection.cover_key
        assert (collection.cover_width, collection.cover_height) == (1000, 500)
        path = get_storage().open_path(rendition_name(key, 800))
        with Image.open(path) as stored:
            assert stored.format == "WEBP" and stored.size == (800, 400) and not stored.getexif()
        assert _audit("collection.cover")[0].changes["cover_key"] == [None, key]
    # Removing the cover removes its files after the commit (nothing else uses them).
    client.post(url, data={**data, "remove_cover": "y"})
    with csrf_app.app_context():
        assert db.session.get(Collection, cid).cover_key is None
        assert not get_storage().exists(rendition_name(key, 800))


@pytest.mark.parametrize("role", [None, "buyer", "seller"])
def test_every_staff_collection_route_refuses_other_roles(client, shop, role):
    """Walks every rule of the collections_staff blueprint (read from the URL map, so a
    new route is covered) with every method it accepts."""
    collection = make_collection(shop["public"][:2], title="quyen", slug="quyen")
    user = make_user(role=role, seller=shop["seller"] if role == "seller" else None) if role else None
    db.session.commit()
    if user is not None:
        login(client, user)
    args = {"collection_id": collection.id, "product_id": shop["public"][0].id}
    rules = [r for r in client.application.url_map.iter_rules() if r.endpoint.startswith("collections_staff.")]
    assert len(rules) >= 9
    for rule in rules:
        url = rule.build({k: v for k, v in args.items() if k in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"product_id": args["product_id"], "huong": "1"})
            if role is None:
                assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"], (method, url)
            else:
                assert response.status_code == 403, (method, url)
    db.session.expire_all()
    assert db.session.get(Collection, collection.id) is not None
    assert [i.product_id for i in db.session.get(Collection, collection.id).items] == [
        p.id for p in shop["public"][:2]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


# --- printable catalogue ----------------------------------------------------------------


def test_catalogue_is_a4_with_a_cover_and_one_block_per_public_product(client, shop):
    p = shop["public"]
    make_certification(p[0], stars=5)
    make_certification(p[1], stars=4, verified_at=None)  # unverified: no stars printed
    collection = make_collection([p[0], p[1], shop["draft"]], title="Hội chợ OCOP", slug="hoi-cho",
                                 description="Gian hàng tỉnh Thái Nguyên.")
    staff = make_user(role="staff")
    db.session.commit()
    login(client, staff)
    response = client.get(f"/nhan-vien/bo-suu-tap/{collection.id}/catalogue")
    assert response.status_code == 200
    page = html(response)
    assert 'href="/static/css/catalogue.css"' in page
    css = (ROOT / "static/css/catalogue.css").read_text()
    assert "@page" in css and "A4" in css
    assert "style=" not in page and "<style" not in page  # the CSP allows no inline style
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    assert 'class="catalogue-cover"' in page and "Hội chợ OCOP" in page and "Gian hàng tỉnh Thái Nguyên." in page
    blocks = page.split('<article class="catalogue-item">')[1:]
    assert len(blocks) == 2 and "Chè nháp" not in page
    assert all(block.count("<svg") == 1 and 'class="label-qr"' in block for block in blocks)
    assert "Chè số 1" in blocks[0] and "OCOP ★★★★★" in blocks[0] and "100.000 ₫" not in blocks[0]
    assert "101.000 ₫" in blocks[0] and "HTX chè Tân Cương" in blocks[0]
    assert "OCOP ★" not in blocks[1] and "102.000 ₫" in blocks[1]
    # The QR code is the labels' code of the canonical product URL.
    from marketplace.labels.qr import qr_inline_svg

    with client.application.test_request_context():
        assert str(qr_inline_svg(f"http://localhost/san-pham/{p[0].slug}")) in blocks[0]
