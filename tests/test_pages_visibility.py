"""Only published products of approved sellers are visible anywhere public: product
pages, listings and searches, home rows and counts, category/area/seller pages, related
products and the sitemap."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.sellers.models import Seller
from tests.factories import (
    make_area,
    make_category,
    make_certification,
    make_product,
    make_rural_industry,
    make_seller,
)

HIDDEN_STATUSES = ("draft", "pending", "rejected", "archived")


@pytest.fixture
def world(app):
    with app.app_context():
        cat = make_category(name="Chè xanh", slug="che-xanh", ocop_group="thuc-pham")
        area = make_area(name="xã La Bằng")
        good = make_seller(name="HTX Chè La Bằng", area=area)
        public = make_product(name="Chè công khai La Bằng", seller=good, category=cat, area=area)
        make_certification(public, stars=5)
        hidden = {}
        for status in HIDDEN_STATUSES:
            p = make_product(name=f"Chè ẩn {status} La Bằng", seller=good, category=cat, area=area, status=status)
            make_certification(p, stars=5)
            make_rural_industry(p)
            hidden[status] = p.slug
        sellers = {}
        for status in ("pending", "suspended"):
            s = make_seller(name=f"Cơ sở ẩn {status}", area=area, status=status)
            p = make_product(name=f"Chè của cơ sở {status} La Bằng", seller=s, category=cat, area=area)
            make_certification(p, stars=5)
            make_rural_industry(p)
            hidden[f"seller-{status}"] = p.slug
            sellers[status] = s.slug
        db.session.commit()
        return SimpleNamespace(public=public.slug, hidden=hidden, hidden_sellers=sellers,
                               good=good.slug, cat=cat.slug, area=area.slug)


def public_pages(w) -> list[str]:
    return [
        "/",
        "/san-pham",
        "/san-pham?q=chè la bằng",
        "/san-pham?q=ẩn",
        "/san-pham?stars=5",
        "/san-pham?rural=1",
        "/san-pham?sort=price_desc",
        "/san-pham?sort=popular",
        f"/danh-muc/{w.cat}",
        f"/khu-vuc/{w.area}",
        f"/co-so/{w.good}",
        f"/san-pham/{w.public}",  # related products
        "/sitemap.xml",
    ]


def test_hidden_products_are_404(client, world):
    assert client.get(f"/san-pham/{world.public}").status_code == 200
    for slug in world.hidden.values():
        response = client.get(f"/san-pham/{slug}")
        assert response.status_code == 404, slug
        assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_hidden_sellers_have_no_public_page(client, world):
    assert client.get(f"/co-so/{world.good}").status_code == 200
    for slug in world.hidden_sellers.values():
        assert client.get(f"/co-so/{slug}").status_code == 404, slug


def test_hidden_products_and_sellers_appear_nowhere(client, world):
    hidden_names = [f"Chè ẩn {s} La Bằng" for s in HIDDEN_STATUSES] + [
        "Chè của cơ sở pending La Bằng", "Chè của cơ sở suspended La Bằng", "Cơ sở ẩn pending", "Cơ sở ẩn suspended",
    ]
    for url in public_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        for slug in list(world.hidden.values()) + list(world.hidden_sellers.values()):
            assert f"/{slug}\"" not in html and f"/{slug}<" not in html, (url, slug)
        for name in hidden_names:
            assert name not in html, (url, name)


def test_counts_and_facets_ignore_hidden_products(client, world):
    home = client.get("/").get_data(as_text=True)
    stats = re.search(r'<ul class="stats">(.*?)</ul>', home, re.S).group(1)
    assert re.findall(r"<strong>(\d+)</strong>", stats) == ["1", "1", "1"]
    listing = client.get("/san-pham").get_data(as_text=True)
    assert "1 sản phẩm" in listing
    assert re.search(r'name="stars" value="5"[^>]*>.*?<span class="count">1</span>', listing, re.S)
    assert re.search(r'name="rural" value="1"[^>]*>.*?<span class="count">0</span>', listing, re.S)
    area_page = client.get(f"/khu-vuc/{world.area}").get_data(as_text=True)
    assert "1 sản phẩm" in area_page


def test_unpublishing_and_suspending_hide_at_once(app, client, world):
    assert world.public in client.get("/san-pham").get_data(as_text=True)
    with app.app_context():
        product = db.session.scalar(db.select(Product).where(Product.slug == world.public))
        product.status = "archived"
        db.session.commit()
    assert client.get(f"/san-pham/{world.public}").status_code == 404
    assert world.public not in client.get("/san-pham").get_data(as_text=True)
    assert world.public not in client.get("/sitemap.xml").get_data(as_text=True)

    with app.app_context():
        product = db.session.scalar(db.select(Product).where(Product.slug == world.public))
        product.status = "published"
        db.session.commit()
    assert world.public in client.get("/san-pham?q=công khai").get_data(as_text=True)

    with app.app_context():
        seller = db.session.scalar(db.select(Seller).where(Seller.slug == world.good))
        seller.status = "suspended"
        db.session.commit()
    assert client.get(f"/san-pham/{world.public}").status_code == 404
    assert client.get(f"/co-so/{world.good}").status_code == 404
    for url in ("/", "/san-pham", f"/danh-muc/{world.cat}", "/sitemap.xml", "/san-pham?q=công khai"):
        assert world.public not in client.get(url).get_data(as_text=True), url


def test_publishing_makes_a_product_visible_everywhere(app, client, world):
    draft = world.hidden["draft"]
    with app.app_context():
        product = db.session.scalar(db.select(Product).where(Product.slug == draft))
        product.status = "published"
        product.published_at = db.func.now()
        db.session.commit()
    assert client.get(f"/san-pham/{draft}").status_code == 200
    for url in ("/san-pham", f"/danh-muc/{world.cat}", f"/khu-vuc/{world.area}", f"/co-so/{world.good}",
                "/sitemap.xml", "/san-pham?stars=5"):
        assert draft in client.get(url).get_data(as_text=True), url
