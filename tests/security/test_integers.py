"""Issue 10 item 8: one integer rule for query strings and URL paths. Out-of-range or
absurdly long numbers are a 400 naming the field in the API, a sane default on HTML
pages, and a 404 in paths (ids ≥ 2**63 overflowed SQLite, ids ≥ 2**31 PostgreSQL's
INTEGER: 500)."""
from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from auth import is_login_redirect, log_in
from marketplace.web.integers import MAX_DB_INT, MAX_ID, NotAnInteger, OutOfRange, page_number, parse_int


HUGE = "9" * 5000  # beyond Python's 4,300-digit int() limit
BIG_VALUES = [HUGE, str(2**63), str(2**64 + 1), "1" + "0" * 30, "0" * 4999 + "1" * 25]


@pytest.mark.parametrize("field", ["page", "per_page", "min_price", "max_price"])
@pytest.mark.parametrize("value", BIG_VALUES + ["-" + HUGE])
def test_api_out_of_range_integers_are_400_naming_the_field(client, field, value):
    response = client.get(f"/api/v1/products?{field}={value}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and body["status"] == 400 and field in body["error"]


@pytest.mark.parametrize("path", ["/san-pham", "/goi-y", "/api/v1/products"])
def test_a_leading_zero_number_is_the_number(client, product, path):
    assert client.get(f"{path}?page={'0' * 5000}1&q=che").status_code == 200


@pytest.mark.parametrize("query", [f"page={v}" for v in BIG_VALUES] + [f"min_price={v}" for v in BIG_VALUES]
                         + [f"max_price={v}&min_price={v}" for v in BIG_VALUES] + ["page=-" + HUGE])
def test_html_listing_pages_never_fail_on_huge_numbers(client, product, query):
    for path in ("/san-pham", "/san-pham?q=che"):
        sep = "&" if "?" in path else "?"
        assert client.get(f"{path}{sep}{query}").status_code == 200, (path, query)
    for path in ("/dashboard/", "/dashboard/hoi-hang"):  # anonymous: to log in, and back to the same URL
        assert is_login_redirect(client.get(f"{path}?{query}"), f"{path}?{query}"), (path, query)
    log_in(client, product.owner_id)
    for path in ("/dashboard/", "/dashboard/hoi-hang", "/dashboard/nhan-qr"):
        assert client.get(f"{path}?{query.replace('min_price', 'so_ban')}&trang={HUGE}").status_code == 200, path


def test_ids_beyond_bigint_in_paths_are_404_on_every_route(app, client, product):
    log_in(client, product.owner_id)
    pid = product.id
    id_rules = [r for r in app.url_map.iter_rules() if "<id:" in r.rule or "<int:" in r.rule]
    assert id_rules and not [r.rule for r in id_rules if "<int:" in r.rule]  # one converter everywhere
    for rule in id_rules:
        method = "GET" if "GET" in rule.methods else "POST"
        for value in (str(MAX_ID + 1), str(2**63), str(2**64), HUGE, "0"):
            args = {name: value for name in rule.arguments}
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<id:{name}>", args[name])
            response = client.open(path, method=method)
            assert response.status_code == 404, (rule.rule, value, response.status_code)
    for path in (f"/dashboard/san-pham/{pid}", f"/dashboard/san-pham/{pid}/anh", f"/dashboard/san-pham/{pid}/qr.svg"):
        assert client.get(path).status_code == 200, path  # real ids still match
    assert client.get(f"/dashboard/san-pham/{MAX_DB_INT}").status_code == 404


@given(st.text(max_size=30) | st.integers(min_value=-(2**70), max_value=2**70).map(str))
@example(HUGE)
@example("٣")  # an Arabic-Indic digit: str.isdigit() says yes, the rule says no
@example("1_000")
def test_parse_int_returns_a_value_in_range_or_raises_value_error(raw):
    try:
        value = parse_int(raw, low=1, high=1000)
    except (NotAnInteger, OutOfRange):
        digits = raw.lstrip("0") or "0"
        assert not (raw.isascii() and raw.isdigit() and len(digits) <= 4 and 1 <= int(digits) <= 1000)
        return
    assert 1 <= value <= 1000 and value == int(raw)


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(min_value=-(2**70), max_value=2**70).map(str)))
def test_page_number_is_always_a_usable_page(raw):
    assert 1 <= page_number(raw, high=50) <= 50
