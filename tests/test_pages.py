"""Buyer pages: every public page renders what a buyer expects to see."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.text import format_date, today_vn
from tests.factories import (
    make_area,
    make_category,
    make_certification,
    make_product,
    make_rural_industry,
    make_seller,
)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def product_slugs(html: str) -> list[str]:
    """Product links on a page, in order, without repeats."""
    seen: list[str] = []
    for slug in re.findall(r'href="/san-pham/([a-z0-9-]+)(?:\?ref=[^"]*)?"', html):
        if slug not in seen:
            seen.append(slug)
    return seen


@pytest.fixture
def shop(app):
    """A small public catalog: two categories (one with a child), two areas, three products."""
    with app.app_context():
        food = make_category(name="Thực phẩm", slug="thuc-pham", ocop_group="thuc-pham", name_en="Food", position=1)
        tea = make_category(name="Chè", slug="che", parent=food, ocop_group="thuc-pham", name_en="Tea")
        drinks = make_category(name="Đồ uống", slug="do-uong", ocop_group="do-uong", name_en="Beverages", position=2)
        province = make_area(name="tỉnh Thái Nguyên", kind="province")
        tan_cuong = make_area(name="xã Tân Cương", parent=province)
        dong_hy = make_area(name="xã Đồng Hỷ", parent=province)
        seller = make_seller(
            name="HTX Chè Tân Cương",
            area=tan_cuong,
            story="Ba thế hệ làm chè.\nĐồi chè 20 ha.",
            address="xóm Hồng Thái, xã Tân Cương",
            phone="0912 345 678",
            email="htx@example.vn",
            website="https://chetancuong.example.vn",
            verified=True,
        )
        other = make_seller(name="Cơ sở Mật ong Đồng Hỷ", area=dong_hy, kind="household")
        tea_5 = make_product(name="Chè móc câu Tân Cương", seller=seller, category=tea, price_vnd=150_000, code="CMC-200")
        cert = make_certification(tea_5, stars=5, decision_number="1234/QĐ-UBND", product_group="thuc-pham")
        make_rural_industry(tea_5, level="region", year=2022)
        honey = make_product(name="Mật ong rừng Đồng Hỷ", seller=other, category=drinks, price_vnd=80_000, unit="chai 500 ml")
        make_certification(honey, stars=4)
        gift = make_product(name="Hộp quà chè đặc biệt", seller=seller, category=tea, price_vnd=2_500_000)
        db.session.commit()
        return SimpleNamespace(
            tea_5=tea_5.slug, honey=honey.slug, gift=gift.slug, seller=seller.slug, other=other.slug,
            cert_issued=format_date(cert.issued_on), cert_expires=format_date(cert.expires_on),
            tan_cuong=tan_cuong.slug, dong_hy=dong_hy.slug, province=province.slug,
        )


# --- header, home ---------------------------------------------------------------------------


def test_header_has_search_box_category_links_and_language_switch(client, shop):
    html = html_of(client.get("/"))
    box = re.search(r"<input[^>]*id=\"search-q\"[^>]*>", html, re.S).group(0)
    assert 'name="q"' in box and 'autocomplete="off"' in box and 'data-suggest-url="/goi-y"' in box
    assert 'action="/san-pham"' in html
    assert 'href="/danh-muc/thuc-pham"' in html and 'href="/danh-muc/do-uong"' in html
    assert "?lang=en" in html
    assert "/static/js/search.js" in html


def test_home_shows_live_counts_ocop_rows_categories_areas_and_newest(client, shop):
    html = html_of(client.get("/"))
    stats = re.search(r'<ul class="stats">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<strong>(\d+)</strong>", stats) == ["3", "2", "2"]  # products, sellers, valid OCOP
    assert "Sản phẩm OCOP 5 sao" in html and "Sản phẩm OCOP 4 sao" in html
    assert "Sản phẩm OCOP 3 sao" not in html  # no 3★ product: no empty row
    five_row = html.split("Sản phẩm OCOP 5 sao", 1)[1].split("</section>", 1)[0]
    assert product_slugs(five_row) == [shop.tea_5]
    assert 'href="/danh-muc/thuc-pham"' in html and "2 sản phẩm" in html
    assert f'href="/khu-vuc/{shop.tan_cuong}"' in html and f'href="/khu-vuc/{shop.dong_hy}"' in html
    newest = html.split("Sản phẩm mới", 1)[1]
    assert set(product_slugs(newest)) == {shop.tea_5, shop.honey, shop.gift}
    assert "150.000 ₫" in html


def test_home_counts_follow_the_data(app, client, shop):
    app.config["HOME_FIGURES_CACHE"] = False  # always computed
    html_of(client.get("/"))
    with app.app_context():
        make_product(name="Miến dong Bình Liêu", seller_id=make_seller().id)
        db.session.commit()
    stats = re.search(r'<ul class="stats">(.*?)</ul>', html_of(client.get("/")), re.S).group(1)
    assert re.findall(r"<strong>(\d+)</strong>", stats) == ["4", "3", "2"]


# --- listing --------------------------------------------------------------------------------


def test_listing_shows_cards_counts_facets_and_sorts(client, shop):
    html = html_of(client.get("/san-pham"))
    assert "3 sản phẩm" in html
    assert set(product_slugs(html)) == {shop.tea_5, shop.honey, shop.gift}
    assert "150.000 ₫" in html and "2.500.000 ₫" in html and "chai 500 ml" in html
    # facets as checkboxes with counts
    assert re.search(r'name="stars" value="5"[^>]*>\s*<span>OCOP 5 sao.*?<span class="count">1</span>', html, re.S)
    assert re.search(r'name="category" value="thuc-pham"[^>]*>\s*<span>Thực phẩm</span> <span class="count">2</span>', html)
    assert re.search(r'name="category" value="che"', html)
    assert re.search(rf'name="area" value="{shop.tan_cuong}"[^>]*>\s*<span>xã Tân Cương</span> <span class="count">2</span>', html)
    assert re.search(r'name="rural" value="1"[^>]*>\s*<span>Sản phẩm CNNT tiêu biểu</span> <span class="count">1</span>', html)
    # sort select without "relevance" when nothing was typed
    assert '<option value="newest" selected>' in html
    assert 'value="price_asc"' in html and 'value="price_desc"' in html and 'value="popular"' in html
    assert 'value="relevance"' not in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("stars=5", ["tea_5"]),
        ("stars=4&stars=5", ["tea_5", "honey"]),
        ("category=thuc-pham", ["tea_5", "gift"]),  # a parent category includes its children
        ("category=che&category=do-uong", ["tea_5", "gift", "honey"]),
        ("rural=1", ["tea_5"]),
        ("min_price=100000&max_price=1000000", ["tea_5"]),
        ("min_price=100.000", ["tea_5", "gift"]),
        ("price=under-100k", ["honey"]),
        ("price=over-5m", []),
    ],
)
def test_listing_filters_narrow_results(client, shop, query, expected):
    html = html_of(client.get(f"/san-pham?{query}"))
    assert set(product_slugs(html.split('class="results"', 1)[1])) == {getattr(shop, k) for k in expected}
    assert f"{len(expected)} sản phẩm" in html


def test_listing_area_filter_uses_the_area_slug(client, shop):
    html = html_of(client.get(f"/san-pham?area={shop.dong_hy}"))
    assert product_slugs(html.split('class="results"', 1)[1]) == [shop.honey]


def test_active_filters_are_chips_with_remove_links(client, shop):
    html = html_of(client.get("/san-pham?stars=5&stars=4&category=che&page=1"))
    chips = re.search(r'<ul class="chips"(.*?)</ul>', html, re.S).group(1)
    assert "OCOP 5 sao" in chips and "OCOP 4 sao" in chips and "Chè" in chips
    remove_five = re.search(r'<a class="chip" href="([^"]+)"[^>]*>OCOP 5 sao', chips).group(1).replace("&amp;", "&")
    assert "stars=5" not in remove_five and "stars=4" in remove_five and "category=che" in remove_five
    # following the link really removes the filter
    after = html_of(client.get(remove_five))
    assert "OCOP 5 sao ×" not in after.replace('<span aria-hidden="true">×</span>', "×")
    assert 'name="stars" value="4" checked' in after and 'name="stars" value="5" checked' not in after


def test_listing_sorts_by_price(client, shop):
    up = product_slugs(html_of(client.get("/san-pham?sort=price_asc")).split('class="results"', 1)[1])
    down = product_slugs(html_of(client.get("/san-pham?sort=price_desc")).split('class="results"', 1)[1])
    assert up == [shop.honey, shop.tea_5, shop.gift]
    assert down == list(reversed(up))


def test_text_search_offers_relevance_and_shows_query(client, shop):
    html = html_of(client.get("/san-pham?q=chè"))
    assert "Kết quả tìm kiếm cho “chè”" in html
    assert '<option value="relevance" selected>' in html
    assert set(product_slugs(html.split('class="results"', 1)[1])) == {shop.tea_5, shop.gift}
    assert 'name="q" value="chè"' in html  # the filter form keeps the query


def test_no_results_block_links_to_top_categories(client, shop):
    html = html_of(client.get("/san-pham?q=xyzkhongco"))
    assert "Không tìm thấy sản phẩm phù hợp" in html
    block = html.split('class="no-results"', 1)[1]
    assert 'href="/danh-muc/thuc-pham"' in block and 'href="/danh-muc/do-uong"' in block


@pytest.mark.parametrize(
    "query",
    [
        "page=abc", "page=-3", "page=0", "min_price=abc", "max_price=1e9",
        "min_price=-5", "stars=9", "stars=abc", "sort=bogus", "category=khong-co", "area=khong-co",
        "price=nope", "rural=maybe", "q=%00%01", "q=" + "a" * 5000, "q=%E0%A4%A", "q=\"chè", "q=AND",
        "q=ST25-A", "min_price=99999999999999999999999", "area=x%00y", "category=a%00", "q=a%00b", "sort=%00",
    ],
)
def test_bad_query_arguments_never_fail(client, shop, query):
    response = client.get(f"/san-pham?{query}")
    assert response.status_code == 200
    assert "Đã có lỗi xảy ra" not in response.get_data(as_text=True)


def test_bad_price_is_ignored_with_a_vietnamese_message(client, shop):
    html = html_of(client.get("/san-pham?min_price=mot-tram&stars=5"))
    assert "Giá nhập vào không hợp lệ" in html
    assert product_slugs(html.split('class="results"', 1)[1]) == [shop.tea_5]  # other filters still apply


def test_swapped_price_range_is_corrected(client, shop):
    html = html_of(client.get("/san-pham?min_price=1000000&max_price=100000"))
    assert "đã được đổi chỗ" in html
    assert product_slugs(html.split('class="results"', 1)[1]) == [shop.tea_5]


# --- pagination -----------------------------------------------------------------------------


def test_pagination_keeps_filters_and_clamps_past_the_end(app, client, shop):
    app.config["PER_PAGE"] = 2
    first = html_of(client.get("/san-pham?category=thuc-pham&category=do-uong&sort=price_asc"))
    assert len(product_slugs(first.split('class="results"', 1)[1])) == 2
    assert "Trang 1/2" in first
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "category=thuc-pham" in next_link and "category=do-uong" in next_link and "sort=price_asc" in next_link
    assert "page=2" in next_link
    head_next = re.search(r'<link rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert head_next == next_link and '<link rel="prev"' not in first
    second = html_of(client.get(next_link))
    assert product_slugs(second.split('class="results"', 1)[1]) == [shop.gift]
    past = html_of(client.get("/san-pham?sort=price_asc&page=40"))
    assert "Trang 40 không tồn tại" in past
    assert product_slugs(past.split('class="results"', 1)[1]) == [shop.gift]
    junk = html_of(client.get("/san-pham?sort=price_asc&page=abc"))
    assert product_slugs(junk.split('class="results"', 1)[1]) == [shop.honey, shop.tea_5]


def test_pages_beyond_the_result_window_show_the_last_reachable_page(app, client, shop, monkeypatch):
    """Pages past the first 10,000 results are never asked of the engine: a deeper page
    number in a page's link reads as the last reachable page (the API answers 400, see
    test_api); pagination never links past the reachable pages."""
    assert client.get("/san-pham?page=99999999999999999999").status_code == 200
    assert client.get("/san-pham?page=417").status_code == 200

    from marketplace.search import base

    monkeypatch.setattr(base, "MAX_RESULT_WINDOW", 2)
    app.config["PER_PAGE"] = 1
    second = html_of(client.get("/san-pham?sort=price_asc&page=2"))
    assert "Trang 2/2" in second and 'rel="next"' not in second  # more products, none reachable
    third = html_of(client.get("/san-pham?sort=price_asc&page=3"))
    assert "Trang 2/2" in third and 'rel="next"' not in third


# --- product page ---------------------------------------------------------------------------


def test_product_page_shows_price_badge_rural_mark_seller_and_related(client, shop):
    html = html_of(client.get(f"/san-pham/{shop.tea_5}"))
    assert "<h1>Chè móc câu Tân Cương</h1>" in html
    assert "150.000 ₫" in html and "hộp 200 g" in html
    badge = re.search(r'<section class="ocop-badge.*?</section>', html, re.S).group(0)
    assert "★★★★★" in badge and "Sản phẩm OCOP 5 sao" in badge
    assert "1234/QĐ-UBND" in badge and shop.cert_issued in badge
    assert f"hiệu lực đến {shop.cert_expires}" in badge
    assert "Thực phẩm" in badge
    assert "Sản phẩm CNNT tiêu biểu cấp vùng, năm 2022" in html
    seller = re.search(r'<section class="seller-card.*?</section>', html, re.S).group(0)
    assert "HTX Chè Tân Cương" in seller and f'href="/co-so/{shop.seller}"' in seller
    assert 'href="tel:0912345678"' in seller and "Đã xác minh" in seller
    related = html.split("Sản phẩm liên quan", 1)[1]
    assert product_slugs(related) == [shop.gift]


def test_related_products_same_category_most_viewed_first_then_the_sellers_others(app, client):
    """Up to four: the category's public products by views (ties: newest id first), then
    the seller's products of other categories by views; never the product itself, a
    hidden product or a suspended seller's."""
    app.config["PAGE_CACHE"] = False  # the query's order, rendered each time
    with app.app_context():
        tea, honey, rice = make_category(name="Chè"), make_category(name="Mật ong"), make_category(name="Gạo")
        seller, other = make_seller(), make_seller()
        suspended = make_seller(status="suspended")
        page = make_product(name="Chè trang này", seller=seller, category=tea, view_count=1000)
        made = {
            "tea-hidden": make_product(name="Chè ẩn", seller=other, category=tea, status="draft", view_count=900),
            "tea-suspended": make_product(name="Chè bị khóa", seller=suspended, category=tea, view_count=800),
            "tea-5-a": make_product(name="Chè năm a", seller=other, category=tea, view_count=5),
            "tea-5-b": make_product(name="Chè năm b", seller=other, category=tea, view_count=5),
            "own-honey": make_product(name="Mật ong nhà", seller=seller, category=honey, view_count=50),
            "own-rice": make_product(name="Gạo nhà", seller=seller, category=rice, view_count=70),
            "own-rice-low": make_product(name="Gạo nhà ít", seller=seller, category=rice, view_count=1),
            "other-honey": make_product(name="Mật ong khác", seller=other, category=honey, view_count=99),
        }
        slugs = {key: p.slug for key, p in made.items()}
        slug = page.slug
        db.session.commit()
    related = html_of(client.get(f"/san-pham/{slug}")).split("Sản phẩm liên quan", 1)[1]
    assert product_slugs(related) == [slugs["tea-5-b"], slugs["tea-5-a"], slugs["own-rice"], slugs["own-honey"]]
    with app.app_context():
        db.session.execute(sa.update(Product).values(view_count=9).where(Product.slug == slugs["tea-5-a"]))
        for key in ("tea-hidden", "tea-suspended"):
            db.session.execute(sa.update(Product).values(view_count=0).where(Product.slug == slugs[key]))
        db.session.commit()
    related = html_of(client.get(f"/san-pham/{slug}")).split("Sản phẩm liên quan", 1)[1]
    assert product_slugs(related)[:2] == [slugs["tea-5-a"], slugs["tea-5-b"]]


def test_product_page_seo_canonical_opengraph_and_jsonld(client, shop):
    html = html_of(client.get(f"/san-pham/{shop.tea_5}?utm_source=zalo&lang=vi"))
    assert f'<link rel="canonical" href="http://localhost/san-pham/{shop.tea_5}">' in html
    assert '<meta property="og:type" content="product">' in html
    assert '<meta property="og:title" content="Chè móc câu Tân Cương">' in html
    assert '<meta property="product:price:amount" content="150000">' in html
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Product" and data["name"] == "Chè móc câu Tân Cương"
    assert data["sku"] == "CMC-200"
    assert data["brand"]["name"] == "HTX Chè Tân Cương"
    assert data["offers"]["price"] == "150000" and data["offers"]["priceCurrency"] == "VND"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    crumbs = json.loads(re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)[1])
    assert [c["name"] for c in crumbs["itemListElement"]] == ["Trang chủ", "Thực phẩm", "Chè", "Chè móc câu Tân Cương"]
    assert crumbs["itemListElement"][-1]["item"] == f"http://localhost/san-pham/{shop.tea_5}"


def test_product_name_cannot_break_out_of_jsonld_or_markup(app, client, shop):
    evil = '</script><script>alert(1)</script> Chè "ngon" & <b>rẻ</b>'
    with app.app_context():
        product = make_product(name=evil, slug="che-doc-hai", seller_id=make_seller().id)
        db.session.commit()
        slug = product.slug
    html = html_of(client.get(f"/san-pham/{slug}"))
    assert "<script>alert(1)</script>" not in html and "<b>rẻ</b>" not in html
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert json.loads(raw)["name"] == evil
    listing = html_of(client.get("/san-pham?q=doc hai"))
    assert "<script>alert(1)</script>" not in listing


def test_product_photos_have_srcset_sizes_and_dimensions(app, client, shop):
    from marketplace.catalog.models import ProductPhoto
    from marketplace.media import get_storage
    from marketplace.media.images import store_renditions

    with app.app_context():
        image = Image.new("RGB", (1200, 900), (60, 120, 40))
        key, width, height = store_renditions(get_storage(), image)
        product = make_product(name="Chè búp có ảnh", seller_id=make_seller().id)
        db.session.add(ProductPhoto(product=product, key=key, width=width, height=height, alt="Chè búp"))
        db.session.commit()
        slug = product.slug
    html = html_of(client.get(f"/san-pham/{slug}"))
    img = re.search(r'<figure class="gallery-main">\s*<img([^>]*)>', html, re.S).group(1)
    assert f"/media/{key}-320.webp 320w" in img and f"/media/{key}-800.webp 800w" in img
    assert f"/media/{key}-1600.webp 1600w" in img and "sizes=" in img
    assert 'width="800" height="600"' in img and 'alt="Chè búp"' in img
    assert f'<meta property="og:image" content="http://localhost/media/{key}-800.webp">' in html
    served = client.get(f"/media/{key}-800.webp")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert Image.open(io.BytesIO(served.get_data())).size == (800, 600)
    served.close()
    card = html_of(client.get("/san-pham?sort=newest"))
    card_img = re.search(rf'<img[^>]*src="/media/{key}-320.webp"[^>]*>', card).group(0)
    assert 'loading="lazy"' in card_img and 'width="320" height="240"' in card_img


def test_product_without_photo_shows_placeholder(client, shop):
    html = html_of(client.get(f"/san-pham/{shop.honey}"))
    assert "/static/img/placeholder.svg" in html
    svg = client.get("/static/img/placeholder.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data
    svg.close()


@pytest.mark.parametrize("problem", ["expired", "unverified", "two_stars", "not_yet"])
def test_no_badge_without_a_valid_certificate(app, client, problem):
    with app.app_context():
        product = make_product(name=f"Chè chứng nhận {problem}", seller_id=make_seller().id)
        kw = {
            "expired": {"issued_on": today_vn() - timedelta(days=2000)},
            "unverified": {"verified_at": None},
            "two_stars": {"stars": 2},
            "not_yet": {"issued_on": today_vn() + timedelta(days=5)},
        }[problem]
        make_certification(product, decision_number="999/QĐ-UBND", **kw)
        db.session.commit()
        slug = product.slug
    html = html_of(client.get(f"/san-pham/{slug}"))
    assert 'class="ocop-badge' not in html and "999/QĐ-UBND" not in html and "ocop-chip" not in html
    listing = html_of(client.get("/san-pham?stars=3&stars=4&stars=5"))
    assert slug not in product_slugs(listing)


def test_unknown_product_is_a_vietnamese_404(client, shop):
    response = client.get("/san-pham/khong-co-san-pham-nay")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Không tìm thấy trang" in html and 'action="/san-pham"' in html


def test_slugs_are_ascii_from_folded_vietnamese(app, client):
    with app.app_context():
        product = make_product(name="Đậu đỏ Đồng Hỷ loại 1", seller_id=make_seller().id)
        db.session.commit()
        slug = product.slug
    assert slug == "dau-do-dong-hy-loai-1"
    html = html_of(client.get("/san-pham/dau-do-dong-hy-loai-1"))
    assert '<link rel="canonical" href="http://localhost/san-pham/dau-do-dong-hy-loai-1">' in html


# --- category, area, seller pages ----------------------------------------------------------


def test_category_page_lists_its_subtree(client, shop):
    html = html_of(client.get("/danh-muc/thuc-pham"))
    assert "<h1>Thực phẩm</h1>" in html
    assert set(product_slugs(html.split('class="results"', 1)[1])) == {shop.tea_5, shop.gift}
    assert 'href="/danh-muc/che"' in html  # sub-category link
    assert '<link rel="canonical" href="http://localhost/danh-muc/thuc-pham">' in html
    child = html_of(client.get("/danh-muc/che?stars=5"))
    assert product_slugs(child.split('class="results"', 1)[1]) == [shop.tea_5]
    assert 'href="/danh-muc/thuc-pham"' in child.split("</nav>", 2)[-2] or "› <a href=\"/danh-muc/thuc-pham\"" in child
    # a category from elsewhere cannot widen the category page
    other = html_of(client.get("/danh-muc/thuc-pham?category=do-uong"))
    assert set(product_slugs(other.split('class="results"', 1)[1])) == {shop.tea_5, shop.gift}


def test_area_page_lists_products_of_the_area_and_its_children(client, shop):
    html = html_of(client.get(f"/khu-vuc/{shop.dong_hy}"))
    assert "Sản phẩm tại xã Đồng Hỷ" in html
    assert product_slugs(html.split('class="results"', 1)[1]) == [shop.honey]
    province = html_of(client.get(f"/khu-vuc/{shop.province}"))
    assert set(product_slugs(province.split('class="results"', 1)[1])) == {shop.tea_5, shop.honey, shop.gift}


@pytest.mark.parametrize("url", ["/danh-muc/khong-co", "/khu-vuc/khong-co", "/co-so/khong-co", "/san-pham/a%00b",
                                 "/danh-muc/a%00b", "/khu-vuc/a%00b", "/co-so/a%00b", "/co-so/" + "a" * 3000,
                                 "/san-pham/Chè"])
def test_unknown_slugs_are_vietnamese_404(client, shop, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_seller_page_shows_story_contact_area_and_products(client, shop):
    html = html_of(client.get(f"/co-so/{shop.seller}"))
    assert "<h1>HTX Chè Tân Cương</h1>" in html and "Hợp tác xã" in html
    assert "Ba thế hệ làm chè.<br>Đồi chè 20 ha." in html
    assert "xóm Hồng Thái, xã Tân Cương" in html
    assert 'href="tel:0912345678"' in html and 'href="mailto:htx@example.vn"' in html
    assert 'href="https://chetancuong.example.vn"' in html
    assert f'href="/khu-vuc/{shop.tan_cuong}"' in html
    assert set(product_slugs(html.split('class="results"', 1)[1])) == {shop.tea_5, shop.gift}
    org = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert org["@type"] == "Organization" and org["name"] == "HTX Chè Tân Cương"
    assert org["telephone"] == "0912 345 678" and org["address"]["addressLocality"] == "xã Tân Cương"
    household = html_of(client.get(f"/co-so/{shop.other}"))
    assert "Hộ kinh doanh" in household


def test_seller_website_only_linked_when_http(app, client):
    with app.app_context():
        seller = make_seller(name="Cơ sở web lạ", website="javascript:alert(1)")
        make_product(name="Sản phẩm của cơ sở web lạ", seller=seller)
        db.session.commit()
        slug = seller.slug
    html = html_of(client.get(f"/co-so/{slug}"))
    assert "javascript:alert" not in html


# --- sitemap, robots, errors, i18n, CSP -----------------------------------------------------


def test_sitemap_lists_public_products_sellers_categories_and_areas(client, shop):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {el.text for el in root.findall("s:url/s:loc", ns)}
    for slug in (shop.tea_5, shop.honey, shop.gift):
        assert f"http://localhost/san-pham/{slug}" in locs
    assert f"http://localhost/co-so/{shop.seller}" in locs and f"http://localhost/co-so/{shop.other}" in locs
    assert {"http://localhost/danh-muc/thuc-pham", "http://localhost/danh-muc/che",
            "http://localhost/danh-muc/do-uong"} <= locs
    assert f"http://localhost/khu-vuc/{shop.tan_cuong}" in locs


def test_robots_points_to_the_sitemap(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text and "Disallow: /dashboard" in text


def test_server_error_is_a_vietnamese_500_page(app, client):
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/thu-loi", "boom", boom)
    response = client.get("/thu-loi")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Đã có lỗi xảy ra" in html and "RuntimeError" not in html


def test_method_not_allowed_page_is_vietnamese(client):
    response = client.post("/sitemap.xml")
    assert response.status_code == 405
    assert "Thao tác này không được hỗ trợ" in response.get_data(as_text=True)


def test_english_catalog_switches_the_interface(client, shop):
    html = html_of(client.get("/san-pham?lang=en"))
    assert '<html lang="en">' in html
    assert "All products" in html and "Filters" in html
    assert ">Food<" in html  # the category's English name
    assert "Tiếng Việt" in html  # the way back
    again = html_of(client.get(f"/san-pham/{shop.tea_5}"))  # the choice sticks in the session
    assert "Related products" in again and "150.000 ₫" in again
    assert "valid until" in again
    back = html_of(client.get("/?lang=vi"))
    assert "Sản phẩm OCOP 5 sao" in back


@pytest.mark.parametrize("url", ["/", "/san-pham", "/san-pham?q=chè&stars=5", "product", "/danh-muc/thuc-pham",
                                 "area", "seller", "/khong-co"])
def test_pages_have_no_inline_script_or_style(client, shop, url):
    url = {"product": f"/san-pham/{shop.tea_5}", "area": f"/khu-vuc/{shop.tan_cuong}",
           "seller": f"/co-so/{shop.seller}"}.get(url, url)
    html = client.get(url).get_data(as_text=True)
    assert " style=" not in html and "<style" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/ld+json"' in tag, tag
    assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers


class QueryCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __call__(self, *args, **kwargs):
        self.count += 1

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self)


def test_home_and_listing_use_few_queries_whatever_the_catalog_size(app, client, shop):
    app.config["HOME_FIGURES_CACHE"] = False  # count the aggregate queries too
    app.config["PAGE_CACHE"] = False  # the rendering path (tests/test_pagecache.py: the cache)
    with app.app_context():
        engine = db.engine
        make_certification(make_product(name="Chè ba sao", seller_id=make_seller().id), stars=3)
        db.session.commit()
    client.get("/")  # warm-up (first-request work)
    with QueryCounter(engine) as small:
        html_of(client.get("/"))
    with app.app_context():
        for i in range(30):
            product = make_product(name=f"Chè thêm số {i}", seller_id=make_seller().id, price_vnd=10_000 + i)
            make_certification(product, stars=3 + i % 3)
        db.session.commit()
    with QueryCounter(engine) as large:
        html_of(client.get("/"))
    with QueryCounter(engine) as listing:
        html_of(client.get("/san-pham?stars=5&sort=price_asc"))
    assert large.count <= small.count + 1  # 30 more products: no query per product or card
    # + 4 for analytics: the footer figure, the visitor mark, the daily and total counters
    assert large.count <= 18 + 4, large.count
    assert listing.count <= 30, listing.count


@pytest.mark.parametrize("lang, expected", [("vi", "1.485"), ("en", "1,485")])
def test_counts_use_the_language_thousands_separator(app, lang, expected):
    from flask import render_template_string

    from marketplace.web.formats import thousands

    with app.test_request_context(f"/?lang={lang}"):
        assert render_template_string("{{ n|thousands }}", n=1485) == expected  # the page's language
        assert thousands(1485) == expected  # from Python: the request's


def test_thousands_filter_follows_a_forced_locale(app):
    """An e-mail rendered in another language than the request's (force_locale) groups
    digits in the e-mail's language."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/?lang=en"):
        with force_locale("vi"):
            assert render_template_string("{{ n|thousands }}", n=1485) == "1.485"
        assert render_template_string("{{ n|thousands }}", n=1485) == "1,485"


def test_large_catalog_sitemap_becomes_an_index_of_chunks(app, client, shop):
    app.config["SITEMAP_CHUNK"] = 2  # three public products → two product chunks
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [el.text for el in index.findall("s:sitemap/s:loc", ns)]
    assert parts == ["http://localhost/sitemap-trang.xml", "http://localhost/sitemap-san-pham-1.xml",
                     "http://localhost/sitemap-san-pham-2.xml"]
    locs: list[str] = []
    for part in parts:
        response = client.get(part.removeprefix("http://localhost"))
        assert response.status_code == 200
        locs += [el.text for el in ElementTree.fromstring(response.data).findall("s:url/s:loc", ns)]
    products = sorted(loc for loc in locs if "/san-pham/" in loc)
    assert products == sorted(f"http://localhost/san-pham/{s}" for s in (shop.tea_5, shop.honey, shop.gift))
    assert f"http://localhost/co-so/{shop.seller}" in locs and "http://localhost/danh-muc/che" in locs
    assert len(locs) == len(set(locs))
    assert client.get("/sitemap-san-pham-3.xml").status_code == 404
    assert client.get("/sitemap-san-pham-0.xml").status_code == 404


def test_500_page_renders_even_when_the_database_fails(app, client, shop):
    import sqlalchemy as sa

    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE categories CASCADE" if db.engine.dialect.name == "postgresql"
                                 else "DROP TABLE categories"))
    response = client.get("/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Đã có lỗi xảy ra" in html and "Về trang chủ" in html

_ARG_NAMES = st.sampled_from(["q", "category", "area", "stars", "rural", "price", "min_price", "max_price",
                              "sort", "page", "lang"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(st.tuples(_ARG_NAMES, st.text(max_size=40)), max_size=8))
def test_any_listing_arguments_give_a_page_never_a_500(client, shop, args):
    from urllib.parse import urlencode

    for path in ("/san-pham", "/danh-muc/thuc-pham", f"/co-so/{shop.seller}"):
        response = client.get(f"{path}?{urlencode(args)}")
        assert response.status_code == 200, (path, args)


def test_cached_home_figures_follow_every_catalog_change(app, client, shop):
    from marketplace.catalog.models import Product

    first = html_of(client.get("/"))
    assert shop.tea_5 in first
    with app.app_context():
        product = db.session.scalar(db.select(Product).where(Product.slug == shop.tea_5))
        product.status = "archived"
        fresh = make_product(name="Chè mới lên sàn", seller_id=make_seller().id)
        db.session.commit()
        fresh_slug = fresh.slug
    html = html_of(client.get("/"))
    assert shop.tea_5 not in html
    assert fresh_slug in html.split("Sản phẩm mới", 1)[1]
    stats = re.search(r'<ul class="stats">(.*?)</ul>', html, re.S).group(1)
    assert re.findall(r"<strong>(\d+)</strong>", stats) == ["3", "3", "1"]  # figures of the new generation


@pytest.mark.parametrize("written", ["Quyết định số 1653/QĐ-BNN-VPĐP", "1653/QĐ-BNN-VPĐP", "số 1653/QĐ-BNN-VPĐP"])
def test_decision_number_is_shown_once_however_it_was_typed(app, client, written):
    with app.app_context():
        product = make_product(name="Chè quyết định", seller_id=make_seller().id)
        make_certification(product, stars=5, decision_number=written)
        db.session.commit()
    html = html_of(client.get("/san-pham/che-quyet-dinh"))
    badge = re.search(r'<section class="ocop-badge.*?</section>', html, re.S).group(0)
    assert "<dt>Quyết định</dt><dd>số 1653/QĐ-BNN-VPĐP, ngày" in badge
    assert badge.count("Quyết định") == 1


def test_english_catalog_covers_every_buyer_page_string():
    """Every string extracted from the buyer pages has an English translation in the
    compiled .mo (so a new string, or a .po edit left uncompiled, fails here)."""
    from pathlib import Path

    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import read_mo

    root = Path(__file__).resolve().parent.parent
    mo = root / "marketplace/translations/en/LC_MESSAGES/messages.mo"
    with mo.open("rb") as fh:
        catalog = read_mo(fh)
    mine = ("templates/base.html", "templates/_product_card.html", "templates/_product_grid.html",
            "templates/catalog/", "templates/sellers/", "templates/macros/", "templates/errors/",
            "marketplace/catalog/listing.py")
    missing = []
    method_map = [("marketplace/**.py", "python"), ("templates/**.html", "jinja2")]
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(root), method_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                                         "lazy_gettext": None}
    ):
        if not filename.startswith(mine):
            continue
        msgid = message[0] if isinstance(message, tuple) else message
        translated = catalog.get(message if isinstance(message, str) else msgid)
        if translated is None or not translated.string or not any(translated.string if isinstance(
                translated.string, tuple) else [translated.string]):
            missing.append((filename, msgid))
    assert missing == []
