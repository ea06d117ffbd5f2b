"""Any ``q`` — empty, 10 kB, FTS5 syntax, SQL, emoji, control characters, raw
percent-encoded invalid UTF-8 — gives 200 (results or an empty set) or a 400 for an
invalid parameter on the results page, the JSON API and the suggest endpoint; never
a 500. Runs on the configured default backend (the FTS5 engine on SQLite)."""
from __future__ import annotations

from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.search.search_catalog import build_catalog

ENDPOINTS = ("/san-pham", "/api/v1/products", "/goi-y")

FTS_SYNTAX = st.sampled_from(
    [
        '"', '""', '"chè', "*", "che*", "*che", "NEAR(", "NEAR(che tan, 2)", "AND", "OR", "NOT",
        "AND OR NOT", "che AND", "NOT che", ":", "name:", "name : che", "{name}: che", "^", "^che",
        "ST25-A", "(", ")", "((che)", "-", "+", "'", "';--", "1; DROP TABLE products; --",
        "%", "_", "\\", "\x00", "\u200b", "🍵", "chè 🍵 tân", "ĐƯỜNG", "đ", "ǅ", "ﬁ",
    ]
)
WORDS = st.sampled_from(["chè", "che", "tân", "cuong", "mật", "ong", "miến", "xyz", "tna", "cuongg"])
QUERY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=50),
    st.lists(st.one_of(FTS_SYNTAX, WORDS), max_size=12).map(" ".join),
    st.lists(st.one_of(FTS_SYNTAX, WORDS), max_size=8).map("".join),
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def catalog(ctx):
    return build_catalog()


def _check(response) -> None:
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400 and response.is_json:
        assert "error" in response.get_json()


@pytest.mark.parametrize("path", ENDPOINTS)
@SETTINGS
@given(q=QUERY)
@example(q="")
@example(q="x" * 10_000)
@example(q="chè tân cương " * 800)
@example(q='"NEAR( * AND OR NOT : ^')
def test_any_text_never_500(catalog, client, path, q):
    _check(client.get(path, query_string={"q": q}))
    _check(client.get(path, query_string={"q": q, "sort": "relevance"}))


@pytest.mark.parametrize("path", ENDPOINTS)
@SETTINGS
@given(raw=st.binary(max_size=200))
@example(raw=b"\xff\xfe\x80")
@example(raw=b"\xc3\x28")  # invalid 2-byte sequence
@example(raw=b"\xed\xa0\x80")  # UTF-16 surrogate encoded in UTF-8
@example(raw=b"ch\xe8 t\xe2n")  # Latin-1 bytes
def test_raw_percent_encoded_bytes_never_500(catalog, client, path, raw):
    _check(client.get(f"{path}?q={quote_from_bytes(raw)}"))
    _check(client.get(f"{path}?q={quote_from_bytes(raw)}&sort=relevance&page=1"))


@pytest.mark.parametrize("path", ENDPOINTS)
def test_broken_percent_escapes_never_500(catalog, client, path):
    for raw_query in ("q=%", "q=%zz", "q=%e1%ba", "q=che%00tan", "q=" + quote("chè") + "%", "q&q=a&q=%ff"):
        _check(client.get(f"{path}?{raw_query}"))


def test_results_for_hostile_queries_are_sane(catalog, client):
    """Not just "no 500": syntax is treated as words, not as FTS5 operators."""
    found = client.get("/api/v1/products", query_string={"q": '"chè" ^tân-cương* (', "sort": "relevance"})
    assert found.status_code == 200
    names = [item["name"] for item in found.get_json()["items"]]
    assert "Chè búp Tân Cương đặc biệt" in names
    nothing = client.get("/goi-y", query_string={"q": "NEAR(*)"})
    assert nothing.status_code == 200 and nothing.get_json() == {"suggestions": []}
