"""The ``season`` filter (issue 19) in every backend: products in season in a month
(seasonal, the month in their season; year-round and unstated left out), with facet
counts and totals computed over the same set — and the listing page and the API
parameter ``season=now|1..12``."""
from __future__ import annotations

from datetime import date

import pytest

from factories import make_area, make_category, make_certification, make_product, make_seller
from marketplace.extensions import db
from marketplace.search import SearchQuery, get_search
from marketplace.seasons import ALL_MONTHS_MASK, months_to_mask

from tests.search.search_catalog import BACKENDS, backend_config


@pytest.fixture(params=BACKENDS)
def app_config(request, tmp_path):
    return backend_config(tmp_path, request.param)


@pytest.fixture
def floor(ctx):
    if ctx.config["SEARCH_BACKEND"] == "meilisearch":
        get_search().rebuild()
    tea = make_category(name="Chè (trà)", slug="che")
    noodles = make_category(name="Miến", slug="mien")
    area = make_area(name="xã Na Rì", slug="xa-na-ri")
    seller = make_seller(name="HTX Côn Minh", area=area)
    made = {
        "mien": make_product(name="Miến dong Côn Minh", seller=seller, category=noodles,
                             season_mask=months_to_mask([11, 12, 1]), price_vnd=80_000),
        "mien_big": make_product(name="Miến dong bao 10 kg", seller=seller, category=noodles,
                                 season_mask=months_to_mask([12]), price_vnd=700_000),
        "tea": make_product(name="Chè móc câu xuân", seller=seller, category=tea,
                            season_mask=months_to_mask(range(3, 12)), price_vnd=300_000),
        "tea_all_year": make_product(name="Chè túi lọc", seller=seller, category=tea, season_mask=ALL_MONTHS_MASK),
        "tea_unstated": make_product(name="Chè không ghi mùa", seller=seller, category=tea),
        "draft": make_product(name="Miến nháp", seller=seller, category=noodles, status="draft",
                              season_mask=months_to_mask([12])),
    }
    make_certification(made["mien"], stars=4, verified_at=date(2026, 1, 1))
    db.session.commit()
    get_search().deliver_pending()
    return {k: p.id for k, p in made.items()}


def search(**kw):
    return get_search().search(SearchQuery(**kw))


def test_season_keeps_products_in_season_that_month(floor):
    assert set(search(season=12).ids) == {floor["mien"], floor["mien_big"]}
    assert set(search(season=5).ids) == {floor["tea"]}
    assert search(season=2).ids == [] and search(season=2).total == 0
    everything = set(search().ids)
    assert {floor["tea_all_year"], floor["tea_unstated"]} <= everything  # no filter: all public


def test_facet_counts_and_total_agree_with_the_season(floor):
    result = search(season=12)
    assert result.total == 2
    assert result.facets["category"].get("mien") == 2 and result.facets["category"].get("che", 0) == 0
    assert result.facets["ocop_stars"]["4"] == 1
    bands = result.facets["price_band"]
    assert sum(bands.values()) == 2
    # With text and another filter at once.
    both = search(text="mien", season=12, ocop_stars=(4,))
    assert both.ids == [floor["mien"]] and both.total == 1
    assert both.facets["ocop_stars"]["4"] == 1


def test_the_listing_and_the_api_read_season_now_and_a_month(client, floor, monkeypatch):
    for module in ("marketplace.seasons.months", "marketplace.catalog.cards", "marketplace.web.pagecache"):
        monkeypatch.setattr(f"{module}.today_vn", lambda: date(2026, 12, 7))
    page = client.get("/san-pham?season=now").get_data(as_text=True)
    assert "Miến dong Côn Minh" in page and "Chè móc câu xuân" not in page and "Chè túi lọc" not in page
    assert "Đang vào mùa" in page
    may = client.get("/san-pham?season=5").get_data(as_text=True)
    assert "Chè móc câu xuân" in may and "Miến dong Côn Minh" not in may
    junk = client.get("/san-pham?season=13")
    assert junk.status_code == 200 and "Chè túi lọc" in junk.get_data(as_text=True)  # ignored, said so
    assert "Tháng mùa vụ không hợp lệ" in junk.get_data(as_text=True)

    data = client.get("/api/v1/products?season=now").get_json()
    assert {p["id"] for p in data["items"]} == {floor["mien"], floor["mien_big"]}
    assert data["total"] == 2 and data["facets"]["category"].get("mien") == 2
    assert {p["name"] for p in client.get("/api/v1/products?season=5").get_json()["items"]} == {"Chè móc câu xuân"}
    for bad in ("13", "0", "abc", "9" * 300, "-1"):
        response = client.get(f"/api/v1/products?season={bad}")
        assert response.status_code == 400 and response.get_json()["field"] == "season"
