"""Property tests: whatever the query string, /api/v1/products answers 200 or a 400
that names a known parameter — never a 500, never a hidden product."""
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.extensions import db
from tests.factories import make_category, make_certification, make_product, make_seller

PARAMS = ("q", "category", "area", "ocop_stars", "rural_industry", "seller", "min_price", "max_price",
          "sort", "page", "per_page")

# Values that are often almost right: numbers, signs, slugs, keywords, junk.
value = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-10**25, max_value=10**25).map(str),
    st.sampled_from(["", " ", "3", "4", "5", "2", "true", "false", "1", "0", "TRUE", "yes", "che", "khong-co",
                     "price_asc", "newest", "relevance", "popular", "1e3", "0x10", "1_000", "+5", "NaN",
                     "-", "%", "_", "\x00", "\ufffd", "Chè", "a" * 300]),
)
pairs = st.lists(st.tuples(st.sampled_from(PARAMS + ("other",)), value), max_size=6)
raw_bytes = st.binary(max_size=60)


@pytest.fixture
def app_config(tmp_path):
    from tests.conftest import make_test_config

    return make_test_config(tmp_path, SEARCH_BACKEND="database")


@pytest.fixture
def small_catalog(app):
    with app.app_context():
        category = make_category(name="Chè", slug="che")
        public = make_product(name="Chè xanh", slug="che-xanh", category=category)
        make_certification(public, stars=5)
        hidden_seller = make_seller(status="suspended")
        make_product(name="Chè ẩn", slug="che-an", category=category, seller=hidden_seller)
        make_product(name="Chè nháp", slug="che-nhap", category=category, status="draft")
        db.session.commit()


def _check(resp):
    assert resp.status_code in (200, 400), resp.get_data(as_text=True)
    body = resp.get_json()
    if resp.status_code == 400:
        assert body["field"] in PARAMS and body["error"]
    else:
        assert {item["slug"] for item in body["items"]} <= {"che-xanh"}
        assert body["total"] in (0, 1)
        assert set(body["facets"]["ocop_stars"]) == {"3", "4", "5"}


@pytest.mark.slow  # Hypothesis: one HTTP request per example
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=pairs)
def test_any_parameters(client, small_catalog, pairs):
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    _check(client.get(f"/api/v1/products?{query}"))


@pytest.mark.slow  # Hypothesis: one HTTP request per example
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=raw_bytes, name=st.sampled_from(PARAMS))
def test_raw_percent_encoded_bytes(client, small_catalog, data, name):
    """Bytes that are not UTF-8 (``%FF``) in any parameter."""
    encoded = "".join(f"%{b:02X}" for b in data)
    _check(client.get(f"/api/v1/products?{name}={encoded}"))
