"""Certifications in search, one contract for every backend (the SQLite FTS5 engine,
the database search and, with MEILI_URL, Meilisearch): the words of a verified, valid
certification find its products with or without diacritics; a pending one finds
nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.extensions import db
from marketplace.search import SearchQuery, get_search
from marketplace.text import today_vn
from tests.factories import make_area, make_category, make_product, make_seller, make_seller_certification
from tests.search.search_catalog import BACKENDS, backend_config


@pytest.fixture(params=BACKENDS)
def app_config(request, tmp_path):
    return backend_config(tmp_path, request.param)


@pytest.fixture
def floor(ctx):
    if ctx.config["SEARCH_BACKEND"] == "meilisearch":
        get_search().rebuild()
    tea = make_category(name="Chè", slug="che")
    rice = make_category(name="Gạo", slug="gao")
    dai_phuc = make_area(name="xã Đại Phúc", slug="xa-dai-phuc")
    other = make_area(name="xã Phú Bình", slug="xa-phu-binh")
    gap = make_seller(name="HTX Chè Khuôn Gà", slug="htx-khuon-ga", area=other)
    organic = make_seller(name="HTX Gạo Phú Bình", slug="htx-gao-phu-binh", area=other)
    gi = make_seller(name="HTX Chè Phúc Xuân", slug="htx-phuc-xuan", area=dai_phuc)
    waiting = make_seller(name="Hộ Chè Đồng Kiệm", slug="ho-dong-kiem", area=other)
    ids = {
        "gap": make_product(name="Chè móc câu Khuôn Gà", slug="moc-cau-khuon-ga", seller=gap, category=tea).id,
        "gap2": make_product(name="Chè nõn tôm Khuôn Gà", slug="non-tom-khuon-ga", seller=gap, category=tea).id,
        "rice": make_product(name="Gạo nếp cái hoa vàng", slug="gao-nep", seller=organic, category=rice).id,
        "rice2": make_product(name="Gạo bao thai", slug="gao-bao-thai", seller=organic, category=rice).id,
        "gi": make_product(name="Chè búp đặc biệt", slug="che-bup-dac-biet", seller=gi, category=tea).id,
        "waiting": make_product(name="Chè xanh Đồng Kiệm", slug="che-xanh", seller=waiting, category=tea).id,
    }
    db.session.commit()
    from marketplace.catalog.models import Product

    make_seller_certification(gap, "vietgap", place="Xóm Khuôn Gà, 12 ha")
    make_seller_certification(organic, "organic", scheme="TCVN 11041",
                              products=[db.session.get(Product, ids["rice"])])
    make_seller_certification(gi, "geographical_indication", scheme="Tân Cương",
                              place="Xã Phúc Xuân, Phúc Trìu, Tân Cương (cũ)",
                              issued_on=today_vn() - timedelta(days=3000))
    make_seller_certification(waiting, "vietgap", verified_at=None)
    db.session.commit()  # the session hooks index what changed
    return ids


def found(text: str = "", **kw) -> set[int]:
    return set(get_search().search(SearchQuery(text=text, per_page=50, **kw)).ids)


@pytest.mark.parametrize("text", ["vietgap", "VietGAP"])
def test_vietgap_finds_the_verified_sellers_products_only(floor, text):
    assert found(text) == {floor["gap"], floor["gap2"]}


@pytest.mark.parametrize("text", ["huu co", "hữu cơ", "organic"])
def test_organic_finds_the_certified_product_only(floor, text):
    assert found(text) == {floor["rice"]}


@pytest.mark.parametrize("text", ["chi dan dia ly", "chỉ dẫn địa lý", "tan cuong", "Tân Cương"])
def test_geographical_indication_words_find_its_tea(floor, text):
    assert found(text) == {floor["gi"]}


def test_a_verification_makes_the_words_find_it(floor):
    from marketplace.certifications.models import Certification
    from marketplace.staff import services

    assert floor["waiting"] not in found("vietgap")
    cert = db.session.scalars(db.select(Certification).where(Certification.verified_at.is_(None))).one()
    services.verify_certificate(cert, actor=None)
    db.session.commit()
    assert floor["waiting"] in found("vietgap")


# -- cert=<kind>: the filter and its counts ----------------------------------------------


def test_the_cert_filter_keeps_valid_certifications_only_and_counts_stay_coherent(floor):
    result = get_search().search(SearchQuery(per_page=50, cert_kinds=("vietgap",)))
    assert set(result.ids) == {floor["gap"], floor["gap2"]} and result.total == 2
    # Disjunctive: the kinds are counted with every other filter applied, not this one.
    assert result.facets["cert"]["vietgap"] == 2
    assert result.facets["cert"]["organic"] == 1
    assert result.facets["cert"]["geographical_indication"] == 1
    both = get_search().search(SearchQuery(per_page=50, cert_kinds=("vietgap", "organic")))
    assert set(both.ids) == {floor["gap"], floor["gap2"], floor["rice"]}
    # A count is the total you get by selecting it; other filters narrow it.
    for kind, n in result.facets["cert"].items():
        assert get_search().search(SearchQuery(per_page=50, cert_kinds=(kind,))).total == n, kind
    tea_only = get_search().search(SearchQuery(per_page=50, categories=("che",)))
    assert tea_only.facets["cert"]["organic"] == 0 and tea_only.facets["cert"]["vietgap"] == 2
    with_text = get_search().search(SearchQuery(text="khuon ga", per_page=50, cert_kinds=("organic",)))
    assert with_text.total == 0


@pytest.mark.parametrize("narrowed", [
    {"seller": "htx-gao-phu-binh"},  # a seller's page
    {"seller": "htx-khuon-ga"},
    {"areas": ("xa-dai-phuc",)},  # an area's page
    {"text": "che"},  # a search
    {"text": "gao"},
    {"text": "gao", "seller": "htx-khuon-ga"},
    {},  # everything
])
def test_the_cert_counts_of_a_narrowed_page_are_the_totals_of_selecting_each_kind(floor, narrowed):
    """Each engine counts the kinds from the matches of the page (a seller's products, an
    area's, a search's): every count is what selecting that kind there finds."""
    counts = get_search().search(SearchQuery(per_page=50, **narrowed)).facets["cert"]
    for kind, n in counts.items():
        assert get_search().search(SearchQuery(per_page=50, cert_kinds=(kind,), **narrowed)).total == n, kind
    if narrowed == {"seller": "htx-gao-phu-binh"}:  # its organic certificate lists one of its two products
        assert counts["organic"] == 1 and counts["vietgap"] == 0


def test_an_expired_certification_leaves_the_filter_the_next_vietnamese_day(floor):
    from marketplace.certifications.models import Certification

    cert = db.session.scalars(db.select(Certification).where(Certification.kind == "organic")).one()
    cert.issued_on, cert.expires_on = today_vn() - timedelta(days=400), today_vn()
    db.session.commit()
    assert found(cert_kinds=("organic",)) == {floor["rice"]}  # valid through its last day
    cert.expires_on = today_vn() - timedelta(days=1)
    db.session.commit()
    assert found(cert_kinds=("organic",)) == set()
    assert get_search().search(SearchQuery(per_page=50)).facets["cert"]["organic"] == 0


def test_the_listing_and_the_api_take_cert(floor, client):
    page = client.get("/san-pham?cert=vietgap").get_data(as_text=True)
    assert "Chè móc câu Khuôn Gà" in page and "Gạo nếp cái hoa vàng" not in page
    assert 'name="cert" value="organic"' in page
    data = client.get("/api/v1/products?cert=vietgap&cert=organic").get_json()
    assert {i["slug"] for i in data["items"]} == {"moc-cau-khuon-ga", "non-tom-khuon-ga", "gao-nep"}
    assert data["facets"]["cert"]["vietgap"] == 2
    bad = client.get("/api/v1/products?cert=iso9001")
    assert bad.status_code == 400 and "cert" in bad.get_data(as_text=True)


def test_the_database_search_counts_kinds_in_sql_for_large_candidate_sets(floor, ctx, monkeypatch):
    """Above MAX_ROWS_IN_MEMORY the database search counts in SQL: the same answer."""
    if ctx.config["SEARCH_BACKEND"] != "database":
        pytest.skip("the database search's own code path")
    from marketplace.search.fallback import rows

    one_pass = get_search().search(SearchQuery(per_page=50, cert_kinds=("vietgap",)))
    monkeypatch.setattr(rows, "MAX_ROWS_IN_MEMORY", 0)
    in_sql = get_search().search(SearchQuery(per_page=50, cert_kinds=("vietgap",)))
    assert set(in_sql.ids) == set(one_pass.ids) == {floor["gap"], floor["gap2"]}
    assert in_sql.facets["cert"] == one_pass.facets["cert"]


def test_the_daily_job_takes_the_words_of_a_lapsed_certification_out(floor):
    from marketplace.certifications.models import Certification
    from marketplace.certifications.services import reindex_lapsed

    cert = db.session.scalars(db.select(Certification).where(Certification.kind == "vietgap",
                                                             Certification.verified_at.is_not(None))).one()
    cert.issued_on, cert.expires_on = today_vn() - timedelta(days=800), today_vn()
    db.session.commit()
    assert found("vietgap") == {floor["gap"], floor["gap2"]}
    # Midnight passes (Vietnamese date): the filter drops it at once, the words at the job.
    # A Core UPDATE bypasses the session hooks, as the passing of time does.
    db.session.execute(db.update(Certification).where(Certification.id == cert.id)
                       .values(expires_on=today_vn() - timedelta(days=1)))
    db.session.commit()
    db.session.expire_all()
    assert found(cert_kinds=("vietgap",)) == set()
    assert found("vietgap") == {floor["gap"], floor["gap2"]}  # the words wait for the job
    assert reindex_lapsed(today_vn()) == 1
    db.session.commit()
    assert found("vietgap") == set()
