"""Against a REAL Meilisearch server: run with MEILI_URL (and MEILI_API_KEY, the master
key) set, e.g. ``MEILI_URL=http://127.0.0.1:7700 MEILI_API_KEY=... pytest -m meili``.
Skipped otherwise. Each test uses its own index (``test_products_<random>``) and
deletes it afterwards. The shared behaviours (folding, typos, facets, sorts…) are in
the contract suite; these cover what only this backend has: settings on the server,
filter escaping as the engine parses it, rebuild by swap, the search-only key.

NOTE: no Meilisearch server could be installed where this was written, so these
tests have not been run yet.
"""
from __future__ import annotations

import os
import secrets

import pytest

from marketplace.extensions import db
from marketplace.search import get_search
from marketplace.search.base import SearchQuery
from marketplace.search.meili import MeiliSearch, settings_differ, settings_payload
from tests.conftest import make_test_config
from tests.factories import make_category, make_certification, make_product, make_seller

MEILI_URL = os.environ.get("MEILI_URL")
MEILI_API_KEY = os.environ.get("MEILI_API_KEY")

pytestmark = [
    pytest.mark.meili,
    pytest.mark.skipif(not MEILI_URL, reason="needs a real Meilisearch server: set MEILI_URL"),
]

INJECTION = 'Hợp tác xã "A" OR seller_id = 1'


@pytest.fixture
def index_uid():
    return f"test_products_{secrets.token_hex(4)}"


@pytest.fixture
def app_config(tmp_path, index_uid):
    return make_test_config(
        tmp_path,
        SEARCH_BACKEND="meilisearch",
        MEILI_URL=MEILI_URL,
        MEILI_API_KEY=MEILI_API_KEY,
        MEILI_INDEX=index_uid,
        MEILI_TIMEOUT=10,
    )


@pytest.fixture
def backend(ctx, index_uid):
    inner = getattr(get_search(), "primary", get_search())
    assert isinstance(inner, MeiliSearch)
    inner.rebuild()  # the live index is only ever made by a reindex
    yield inner
    for raw in inner.client.get_raw_indexes({"limit": 1000})["results"]:
        if raw["uid"] == index_uid or raw["uid"].startswith(index_uid + "_"):
            inner.client.wait_for_task(inner.client.delete_index(raw["uid"]).task_uid, timeout_in_ms=30_000)


def test_settings_are_on_the_server(backend):
    current = backend.client.index(backend.index_uid).get_settings()
    assert settings_differ(current, settings_payload()) == []
    assert backend.apply_settings() is False


def test_injected_seller_neither_breaks_nor_widens_the_filter(backend):
    make_product(name="Chè A", seller=make_seller(name="HTX A", slug="htx-a"))
    make_product(name="Chè B", seller=make_seller(name="HTX B", slug="htx-b"))
    db.session.commit()

    assert backend.search(SearchQuery(seller="htx-a")).total == 1
    result = backend.search(SearchQuery(seller=INJECTION))  # no exception: the filter parses
    assert (result.total, result.ids) == (0, [])
    assert backend.search(SearchQuery(seller='htx-a" OR is_public = true OR seller.slug = "x')).total == 0
    assert backend.search(SearchQuery(categories=("a\\",))).total == 0


def test_folding_filters_facets_and_an_update_after_commit(backend):
    che = make_category(name="Chè", slug="che")
    mien = make_category(name="Miến", slug="mien")
    tan_cuong = make_product(name="Chè búp Tân Cương đặc biệt", category=che, price_vnd=250_000)
    make_certification(tan_cuong, stars=5)
    make_product(name="Miến dong Việt Cường", category=mien, price_vnd=60_000)
    db.session.commit()

    result = backend.search(SearchQuery(text="che tan cuong", highlight=True))
    assert result.ids == [tan_cuong.id]
    assert "<mark>" in result.highlights[tan_cuong.id]
    both = backend.search(SearchQuery(categories=("che", "mien")))
    assert both.total == 2
    one = backend.search(SearchQuery(categories=("che",)))
    assert one.total == 1 and one.facets["category"] == {"che": 1, "mien": 1}  # disjunctive
    assert backend.search(SearchQuery(ocop_stars=(5,))).ids == [tan_cuong.id]
    assert backend.search(SearchQuery(price_bands=("under-100k",))).total == 1

    tan_cuong.name = "Chè móc câu Tân Cương"
    db.session.commit()
    assert backend.search(SearchQuery(text="moc cau")).ids == [tan_cuong.id]


def test_rebuild_swaps_and_drops_the_old_index(backend):
    for i in range(5):
        make_product(name=f"Gạo nếp {i}")
    db.session.commit()
    assert backend.rebuild() == 5
    uids = [raw["uid"] for raw in backend.client.get_raw_indexes({"limit": 1000})["results"]]
    assert backend.index_uid in uids
    assert not [u for u in uids if u.startswith(backend.index_uid + "_")]
    assert backend.search(SearchQuery(text="gao nep")).total == 5


@pytest.mark.skipif(not MEILI_API_KEY, reason="creating keys needs the master key (MEILI_API_KEY)")
def test_search_only_key_can_search_but_not_write(backend):
    from meilisearch import Client
    from meilisearch.errors import MeilisearchApiError

    make_product(name="Mật ong rừng")
    db.session.commit()
    key = backend.search_only_key(create=True)
    browser = Client(MEILI_URL, key).index(backend.index_uid)
    assert browser.search("mat ong")["hits"]
    with pytest.raises(MeilisearchApiError):
        browser.add_documents([{"id": 999999, "name": "x"}])
    backend.client.delete_key(key)
