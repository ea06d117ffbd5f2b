"""What the Meilisearch adapter SENDS, checked against a STAND-IN HTTP server.

The stand-in (tests/search/meili_standin.py) records the requests the official
client makes and answers with minimal JSON. These tests prove payload shapes,
batching, task waiting, swap order and outbox bookkeeping of OUR code; they prove
nothing about Meilisearch itself (no filter parsing, ranking or folding happens).
The real-engine run is the contract suite with MEILI_URL set.
"""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from markupsafe import Markup

from marketplace.extensions import db
from marketplace.search import get_search
from marketplace.search.base import SearchQuery, SearchUnavailable
from marketplace.search.meili import MeiliSearch, settings_payload
from marketplace.search.outbox import SearchOutbox
from tests.conftest import make_test_config
from tests.factories import make_category, make_certification, make_product, make_seller
from tests.search.meili_standin import StandInMeili

DOCS = r"/indexes/products/documents"


@pytest.fixture
def standin():
    with StandInMeili() as server:
        yield server


@pytest.fixture
def app_config(tmp_path, standin):
    return make_test_config(
        tmp_path,
        SEARCH_BACKEND="meilisearch",
        MEILI_URL=standin.url,
        MEILI_API_KEY="stand-in-master-key",
        MEILI_TIMEOUT=5,
    )


def meili() -> MeiliSearch:
    backend = get_search()
    inner = getattr(backend, "primary", backend)
    assert isinstance(inner, MeiliSearch)
    return inner


@pytest.fixture
def live(ctx, standin) -> MeiliSearch:
    """The live index, made the only way the app ever makes it: a reindex (here of the
    empty catalog). The requests it sent are forgotten."""
    meili().rebuild()
    standin.state.requests.clear()
    return meili()


def pending() -> list[SearchOutbox]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SearchOutbox).where(SearchOutbox.delivered_at.is_(None))))


def test_commit_sends_the_document_and_waits_for_its_task(live, standin):
    product = make_product(name="Chè búp Tân Cương đặc biệt", featured=True, price_vnd=250_000)
    make_certification(product, stars=5)
    db.session.commit()

    [add] = standin.calls("POST", DOCS)
    assert add.headers["Authorization"] == "Bearer stand-in-master-key"
    [doc] = add.body
    assert doc["id"] == product.id and doc["name"] == "Chè búp Tân Cương đặc biệt"
    assert doc["is_public"] is True and doc["price_band"] == "100k-300k"
    # Numbers for the custom ranking rules, and the certificate's expiry for the filter.
    assert (doc["featured_rank"], doc["ocop_rank"], doc["ocop_stars"]) == (1, 5, 5)
    assert doc["ocop_until"] == int(product.certification.expires_on.strftime("%Y%m%d"))
    # Only the document: the live index exists (a reindex made it); a delivery never creates one.
    assert standin.writes() == [("POST", "/indexes/products/documents")]
    # The task was awaited before the outbox row was marked delivered.
    assert standin.calls("GET", r"/tasks/\d+")
    assert pending() == []


def test_documents_go_in_batches(live, standin):
    meili().batch_size = 2
    category = make_category()
    seller = make_seller()
    for i in range(5):
        make_product(name=f"Miến dong {i}", category=category, seller=seller)
    db.session.commit()

    sizes = [len(call.body) for call in standin.calls("POST", DOCS)]
    assert sizes == [2, 2, 1]
    assert len(standin.state.indexes["products"]["docs"]) == 5


def test_unpublished_and_deleted_products_are_removed_by_id(live, standin):
    kept = make_product(name="Gạo nếp cái hoa vàng")
    hidden = make_product(name="Trà hoa vàng")
    gone = make_product(name="Bánh chưng")
    db.session.commit()
    gone_id = gone.id

    hidden.status = "draft"
    db.session.delete(gone)
    db.session.commit()

    deletes = standin.calls("POST", DOCS + "/delete")
    assert deletes[-1].body == {"filter": f"id IN [{min(hidden.id, gone_id)}, {max(hidden.id, gone_id)}]"}
    assert set(standin.state.indexes["products"]["docs"]) == {kept.id}


def test_suspending_a_seller_removes_all_its_products(live, standin):
    seller = make_seller(name="HTX Tân Cương")
    a = make_product(seller=seller)
    b = make_product(seller=seller)
    db.session.commit()

    seller.status = "suspended"
    db.session.commit()
    assert standin.calls("POST", DOCS + "/delete")[-1].body == {"filter": f"id IN [{a.id}, {b.id}]"}
    assert standin.state.indexes["products"]["docs"] == {}


def test_a_failed_task_keeps_the_change_until_it_succeeds(live, standin):
    standin.state.fail_tasks = {"code": "invalid_document_fields", "message": "boom"}
    product = make_product(name="Nấm hương rừng")
    db.session.commit()

    [row] = pending()
    assert row.attempts == 1 and "invalid_document_fields" in row.last_error

    standin.state.fail_tasks = None
    report = meili().deliver(db.session, force=True)
    db.session.commit()
    assert (report.claimed, report.upserted, report.failed) == (1, 1, 0)
    assert pending() == []
    assert standin.state.indexes["products"]["docs"][product.id]["name"] == "Nấm hương rừng"


def test_an_outage_loses_no_update(live, standin):
    """Engine unreachable for three commits, then back: every change arrives."""
    from meilisearch import Client

    backend = meili()
    live_client = backend.client
    backend.client = Client("http://127.0.0.1:9", None, timeout=1)  # port 9: discard, closed here
    a = make_product(name="Chè xanh")
    db.session.commit()
    b = make_product(name="Chè đen")
    db.session.commit()
    a.name = "Chè xanh loại 1"
    db.session.commit()
    assert len(pending()) == 3 and all(r.attempts == 1 for r in pending())
    assert standin.calls("POST", DOCS) == []

    backend.client = live_client
    report = backend.deliver(db.session, force=True)
    db.session.commit()
    assert report.failed == 0 and pending() == []
    docs = standin.state.indexes["products"]["docs"]
    assert {docs[a.id]["name"], docs[b.id]["name"]} == {"Chè xanh loại 1", "Chè đen"}
    # Two rows for product a were coalesced into one document.
    assert sum(len(call.body) for call in standin.calls("POST", DOCS)) == 2


def test_search_sends_one_multi_search_and_reads_the_answer(live, standin):
    standin.state.multi_search_response = {
        "results": [
            {
                "indexUid": "products",
                "hits": [
                    {"id": 7, "name": "Chè <b>", "_formatted": {"id": "7", "name": "\u0002Chè\u0003 <b>"}},
                    {"id": 3, "name": "Chè 2", "_formatted": {"id": "3", "name": "\u0002Chè\u0003 2"}},
                ],
                "totalHits": 31,
                "page": 1,
                "hitsPerPage": 2,
                "totalPages": 16,
                "facetDistribution": {
                    "category_slugs": {"che": 31, "do-uong": 31},
                    "area_slugs": {"dong-hy": 4},
                    "rural_industry": {"true": 1, "false": 30},
                    "price_band": {"under-100k": 31},
                },
            },
            {"indexUid": "products", "hits": [], "totalHits": 40, "facetDistribution": {"category_slugs": {"che": 31, "mien": 9}}},
            {"indexUid": "products", "hits": [], "totalHits": 20, "facetDistribution": {"ocop_stars": {"4": 12, "5": 1}}},
            # One count per certification kind (valid today), in KINDS order.
            *({"indexUid": "products", "hits": [], "totalHits": n,
               "facetDistribution": {"rural_industry": {"true": 0, "false": n}}} for n in range(8)),
        ]
    }
    result = get_search().search(
        SearchQuery(text="chè", categories=("che",), sort="price_asc", per_page=2, highlight=True)
    )

    [call] = standin.calls("POST", r"/multi-search")
    queries = call.body["queries"]
    assert len(queries) == 3 + 8
    assert queries[0]["filter"] == ["is_public = true", 'category_slugs = "che"']
    assert queries[0]["sort"] == ["price_vnd:asc", "id:asc"]
    assert (queries[0]["page"], queries[0]["hitsPerPage"]) == (1, 2)
    assert queries[0]["highlightPreTag"] == "\u0002" and queries[0]["attributesToHighlight"] == ["name"]
    assert queries[1]["facets"] == ["category_slugs"] and queries[1]["filter"] == ["is_public = true"]
    assert queries[2]["facets"] == ["ocop_stars"]
    assert queries[4]["filter"][:2] == ["is_public = true", 'category_slugs = "che"']
    assert queries[4]["filter"][-1].startswith("cert_until.vietgap >= ") and queries[4]["hitsPerPage"] == 0

    assert result.degraded is False and result.backend == "meilisearch"
    assert (result.ids, result.total, result.pages) == ([7, 3], 31, 16)
    assert result.facets["category"] == {"che": 31, "mien": 9}  # from the disjunctive query
    assert result.facets["ocop_stars"] == {"3": 0, "4": 12, "5": 1}
    assert result.facets["rural_industry"] == {"true": 1, "false": 30}
    assert result.facets["cert"] == {"ocop": 0, "vietgap": 1, "globalgap": 2, "organic": 3,
                                     "geographical_indication": 4, "collective_mark": 5, "growing_area_code": 6,
                                     "haccp_iso22000": 7}
    assert result.highlights[7] == Markup("<mark>Chè</mark> &lt;b&gt;")


def _answer_by_text(totals: dict[str, list[int] | int]):
    """A stand-in answer per query text: a list of hit ids, or just a total."""

    def answer(q: dict) -> dict:
        value = totals.get(q["q"], 0)
        ids = value if isinstance(value, list) else []
        total = len(value) if isinstance(value, list) else value
        hits = [{"id": i, "name": f"#{i}"} for i in ids][: q.get("hitsPerPage", 20)]
        return {"indexUid": "products", "hits": hits, "totalHits": total, "facetDistribution": {}}

    return answer


def test_only_words_reach_the_engine_and_all_must_match(live, standin):
    standin.state.multi_search_fn = _answer_by_text({"chè ngon cay ST25 A": [4]})
    result = get_search().search(SearchQuery(text='chè "ngon -cay ST25-A', with_facets=False))
    assert result.ids == [4]
    [call] = standin.calls("POST", r"/multi-search")
    [main] = call.body["queries"]
    assert main["q"] == "chè ngon cay ST25 A"  # no phrase quotes, no "-" exclusion
    assert main["matchingStrategy"] == "all"


def test_short_word_swap_then_unknown_words_dropped(live, standin):
    standin.state.multi_search_fn = _answer_by_text({"tan": 5, "cuong": 3, "tan cuong": [1, 2]})
    result = get_search().search(SearchQuery(text="tna cuong", with_facets=False))
    assert (result.ids, result.total, result.corrected_text) == ([1, 2], 2, "tan cuong")
    main_texts = [c.body["queries"][0]["q"] for c in standin.calls("POST", r"/multi-search")]
    assert main_texts == ["tna cuong", "tna", "tan cuong"]  # search, probes, corrected search
    probes = [q["q"] for q in standin.calls("POST", r"/multi-search")[1].body["queries"]]
    assert probes == ["tna", "nta", "tan", "cuong"]
    assert all(q["hitsPerPage"] == 0 for q in standin.calls("POST", r"/multi-search")[1].body["queries"])


def test_trailing_words_dropped_while_nothing_matches(live, standin):
    standin.state.multi_search_fn = _answer_by_text({"gao": [7, 8], "nep": 4, "xyzt": 0})
    result = get_search().search(SearchQuery(text="gao nep xyzt", with_facets=False))
    assert (result.ids, result.corrected_text) == ([7, 8], None)
    main_texts = [c.body["queries"][0]["q"] for c in standin.calls("POST", r"/multi-search")]
    assert main_texts == ["gao nep xyzt", "gao", "gao nep", "gao"]


def test_nonsense_stays_empty(live, standin):
    standin.state.multi_search_fn = _answer_by_text({})
    result = get_search().search(SearchQuery(text="chw"))
    assert (result.ids, result.total, result.degraded) == ([], 0, False)
    assert len(standin.calls("POST", r"/multi-search")) == 2  # the search and one probe batch


def test_engine_error_answers_degrade_instead_of_500(client, live, standin):
    make_product(name="Chè búp Tân Cương")
    db.session.commit()
    standin.state.multi_search_response = {"message": "unexpected"}  # no "results"
    result = get_search().search(SearchQuery(text="tan cuong"))
    assert result.degraded is True and result.total == 1
    response = client.get("/api/v1/products?q=tan+cuong")
    assert response.status_code == 200 and response.get_json()["degraded"] is True


def test_suggest_asks_for_public_names_and_slugs(live, standin):
    standin.state.search_response = {"hits": [{"name": "Chè búp", "slug": "che-bup"}]}
    assert [(s.text, s.slug) for s in get_search().suggest("ch")] == [("Chè búp", "che-bup")]
    [call] = standin.calls("POST", r"/indexes/products/search")
    assert call.body["q"] == "ch" and call.body["filter"] == ["is_public = true"]
    assert get_search().suggest("c") == []


def test_settings_are_applied_once(ctx, standin):
    backend = meili()
    with pytest.raises(SearchUnavailable):  # the live index is made only by a reindex
        backend.apply_settings()
    assert backend.apply_settings(create=True) is True
    # GET settings answers with every default filled in and sets sorted: still equal.
    assert backend.apply_settings() is False  # idempotent: nothing sent the second time
    patches = standin.calls("PATCH", r"/indexes/products/settings")
    assert len(patches) == 1
    assert patches[0].body == settings_payload()
    assert standin.calls("POST", r"/indexes")[0].body == {"primaryKey": "id", "uid": "products"}


def test_rebuild_fills_a_fresh_index_then_swaps(live, standin):
    backend = meili()
    backend.batch_size = 2
    products = [make_product(name=f"Sản phẩm {i}") for i in range(3)]
    draft = make_product(name="Nháp", status="draft")
    db.session.commit()
    standin.state.requests.clear()
    standin.state.indexes["products"]["docs"][draft.id] = {"id": draft.id, "name": "stale"}

    renamed = []

    def progress(n: int) -> None:
        # A change committed while the rebuild runs (after its product was read).
        if not renamed:
            products[0].name = "Sản phẩm 0 — đổi tên giữa chừng"
            db.session.commit()
            renamed.append(n)

    count = backend.rebuild(progress)
    assert count == 3

    writes = standin.writes()
    fresh = standin.calls("POST", r"/indexes")[0].body["uid"]
    assert fresh.startswith("products_")
    order = [w for w in writes if w[1] in ("/indexes", f"/indexes/{fresh}/settings", "/swap-indexes", f"/indexes/{fresh}")]
    assert order[0] == ("POST", "/indexes")
    assert order[1] == ("PATCH", f"/indexes/{fresh}/settings")  # settings before documents
    assert ("POST", "/swap-indexes") in order and order[-1] == ("DELETE", f"/indexes/{fresh}")
    assert standin.calls("POST", r"/swap-indexes")[0].body == [{"indexes": ["products", fresh]}]
    first_doc_post = writes.index(("POST", f"/indexes/{fresh}/documents"))
    assert writes.index(("PATCH", f"/indexes/{fresh}/settings")) < first_doc_post

    live = standin.state.indexes["products"]["docs"]
    assert set(live) == {p.id for p in products}  # the stale draft is gone
    assert live[products[0].id]["name"] == "Sản phẩm 0 — đổi tên giữa chừng"  # replayed
    assert fresh not in standin.state.indexes


def test_rebuild_failure_keeps_the_live_index(live, standin):
    backend = meili()
    make_product(name="Chè")
    db.session.commit()
    before = dict(standin.state.indexes["products"]["docs"])
    standin.state.fail_tasks = {"code": "internal", "message": "disk full"}
    with pytest.raises(SearchUnavailable):
        backend.rebuild()
    standin.state.fail_tasks = None
    assert standin.state.indexes["products"]["docs"] == before
    assert standin.calls("POST", r"/swap-indexes") == []


def test_reindex_command_shows_progress_and_count(live, runner, standin):
    for i in range(3):
        make_product(name=f"Gạo {i}")
    db.session.commit()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 products with meilisearch" in result.output
    assert standin.calls("POST", r"/swap-indexes")


def test_health_counts_documents_and_pending(live, standin):
    make_product()
    db.session.commit()
    health = get_search().health()
    assert (health.ok, health.documents, health.pending, health.last_error) == (True, 1, 0, None)
    assert health.detail["index"] == "products"


def test_browser_key_is_search_only(live, standin):
    standin.state.keys = [
        {"uid": "a", "key": "admin", "name": "Default Admin API Key", "description": None, "actions": ["*"],
         "indexes": ["*"], "expiresAt": None, "createdAt": "2026-01-01T00:00:00.000000Z", "updatedAt": None},
        {"uid": "b", "key": "other", "name": "x", "description": None, "actions": ["search"],
         "indexes": ["*"], "expiresAt": None, "createdAt": "2026-01-01T00:00:00.000000Z", "updatedAt": None},
    ]
    backend = meili()
    with pytest.raises(SearchUnavailable):
        backend.search_only_key()
    key = backend.search_only_key(create=True)
    [created] = standin.calls("POST", r"/keys")
    assert (created.body["actions"], created.body["indexes"]) == (["search"], ["products"])
    assert key not in ("admin", "other", "stand-in-master-key")
    assert backend.search_only_key() == key
    assert json.dumps(created.body).count("*") == 0


def test_deliver_command_sends_what_an_outage_left(live, runner, standin):
    standin.state.fail_tasks = {"code": "internal", "message": "busy"}
    make_product(name="Gạo nếp")
    make_product(name="Gạo tẻ")
    db.session.commit()
    assert len(pending()) == 2
    standin.state.fail_tasks = None

    result = runner.invoke(args=["search", "deliver", "--all", "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert "Delivered 2 change(s); 0 still pending." in result.output
    assert pending() == []
    assert len(standin.state.indexes["products"]["docs"]) == 2


def test_key_command_prints_only_a_search_key(live, runner, standin):
    result = runner.invoke(args=["search", "key"])
    assert result.exit_code == 1 and "no search-only key" in result.output
    result = runner.invoke(args=["search", "key", "--create"])
    assert result.exit_code == 0
    assert result.output.strip() == standin.state.keys[0]["key"]
    assert standin.state.keys[0]["actions"] == ["search"]


def test_popularity_goes_as_partial_updates_in_batches_through_the_outbox(live, runner, standin):
    """The analytics rollup sends {id, view_count} only, for public products, in
    batches, through outbox rows written in the rollup's transaction."""
    from datetime import timedelta

    from marketplace.analytics.models import DailyCount
    from marketplace.text import today_vn

    meili().batch_size = 2
    seller = make_seller()
    public = [make_product(name=f"Chè số {i}", seller=seller) for i in range(3)]
    hidden = make_product(name="Chè nháp", seller=seller, status="draft")
    db.session.commit()
    full_before = len(standin.calls("POST", DOCS))
    for i, p in enumerate([*public, hidden]):
        db.session.add(DailyCount(day=today_vn() - timedelta(days=i), kind="product", object_id=p.id, views=10 + i))
    db.session.commit()

    result = runner.invoke(args=["analytics", "rollup"])
    assert result.exit_code == 0, result.output
    assert "4 sản phẩm thay đổi" in result.output
    puts = standin.calls("PUT", DOCS)
    assert [len(c.body) for c in puts] == [2, 1]  # batches of 2; the draft is not sent
    assert sorted(d["id"] for c in puts for d in c.body) == sorted(p.id for p in public)
    assert all(set(d) == {"id", "view_count"} for c in puts for d in c.body)  # id + popularity only
    assert len(standin.calls("POST", DOCS)) == full_before  # no document was reindexed
    docs = standin.state.indexes["products"]["docs"]
    assert [docs[p.id]["view_count"] for p in public] == [10, 11, 12]
    assert docs[public[0].id]["name"] == "Chè số 0"  # the rest of the document is untouched
    assert hidden.id not in docs and pending() == []
    # Idempotent: nothing changed, nothing sent.
    assert "0 sản phẩm thay đổi" in runner.invoke(args=["analytics", "rollup"]).output
    assert len(standin.calls("PUT", DOCS)) == 2


def test_popularity_waits_in_the_outbox_while_the_engine_is_down(live, runner, standin):
    from marketplace.analytics.models import DailyCount
    from marketplace.text import today_vn

    product = make_product(name="Mật ong rừng")
    db.session.commit()
    standin.state.fail_tasks = {"code": "internal", "message": "down"}
    db.session.add(DailyCount(day=today_vn(), kind="product", object_id=product.id, views=7))
    db.session.commit()
    assert runner.invoke(args=["analytics", "rollup"]).exit_code == 0
    [row] = pending()
    assert row.op == "popularity" and row.attempts == 1
    standin.state.fail_tasks = None
    meili().deliver(db.session, force=True)
    db.session.commit()
    assert pending() == [] and standin.state.indexes["products"]["docs"][product.id]["view_count"] == 7


# -- the adapter review, issue 9 (b)-(h) ----------------------------------------------------


def test_reindex_skips_a_batch_with_no_public_products(live, standin):
    """(b) A chunk whose products stopped being public while the reindex ran sends no
    request (the client would send add_documents([]) as null, which the server refuses)."""
    backend = meili()
    backend.batch_size = 1
    products = [make_product(name=f"Miến dong {i}") for i in range(3)]
    db.session.commit()
    standin.state.requests.clear()

    def progress(n: int) -> None:
        if products[1].status == "published":
            products[1].status = "draft"  # unpublished after its id was read
            db.session.commit()

    assert backend.rebuild(progress) == 2
    fresh = standin.calls("POST", r"/indexes")[0].body["uid"]
    bodies = [call.body for call in standin.calls("POST", rf"/indexes/{fresh}/documents")]
    assert bodies and all(isinstance(b, list) and b for b in bodies)
    assert set(standin.state.indexes["products"]["docs"]) == {products[0].id, products[2].id}


def test_totals_stay_exact_beyond_max_total_hits(live, standin):
    """(c) totalHits stops at maxTotalHits (10,000); the total comes from the
    rural_industry distribution, which counts every match."""
    standin.state.multi_search_fn = lambda q: {
        "indexUid": "products",
        "hits": [{"id": 1, "name": "Chè"}],
        "totalHits": 10_000,
        "facetDistribution": {"rural_industry": {"true": 3_000, "false": 12_345}},
    }
    result = get_search().search(SearchQuery(text="che", with_facets=False))
    assert result.total == 15_345 and result.pages == 15_345 // 24 + 1
    [main] = standin.calls("POST", r"/multi-search")[0].body["queries"]
    assert main["facets"] == ["rural_industry"]
    assert settings_payload()["pagination"] == {"maxTotalHits": 10_000}


def test_one_bad_document_holds_up_only_itself(live, standin):
    """(e) The engine refuses a batch because of one document: the batch is split
    until the bad one is alone; the others are delivered, only it stays pending."""
    category = make_category()
    seller = make_seller()
    products = [make_product(name=f"Gạo nếp {i}", category=category, seller=seller) for i in range(6)]
    bad = products[3]
    standin.state.reject_documents = {bad.id: {"code": "invalid_document_fields", "message": "bad field"}}
    db.session.commit()

    [row] = pending()
    assert row.product_id == bad.id and row.attempts == 1
    assert "invalid_document_fields" in row.last_error
    assert set(standin.state.indexes["products"]["docs"]) == {p.id for p in products} - {bad.id}

    standin.state.reject_documents = {}
    report = meili().deliver(db.session, force=True)
    db.session.commit()
    assert (report.claimed, report.upserted, report.failed) == (1, 1, 0)
    assert pending() == []


def test_an_engine_wide_failure_is_not_bisected(live, standin):
    meili().apply_settings()
    standin.state.fail_tasks = {"code": "no_space_left_on_device", "message": "disk full"}
    make_product(name="Chè 1")
    make_product(name="Chè 2")
    db.session.commit()
    assert len(pending()) == 2 and all("no_space_left_on_device" in r.last_error for r in pending())
    assert len(standin.calls("POST", DOCS)) == 1  # one batch, not resent document by document


def test_two_processes_creating_the_index_is_success(ctx, standin):
    """(f) Another process created the index between our lookup and our creation (a
    reindex creates the live name for its swap when it is missing)."""

    def other_process_wins(uid: str) -> None:
        if uid == "products":
            standin.new_index(uid, "id")

    standin.state.hooks["create_index"] = other_process_wins
    product = make_product(name="Mật ong rừng")
    db.session.commit()  # no live index yet: the change waits for the reindex
    assert "products" not in standin.state.indexes and len(pending()) == 1
    meili().rebuild()
    failed = [t for t in standin.state.tasks.values() if t["status"] == "failed"]
    assert [t["error"]["code"] for t in failed] == ["index_already_exists"]
    assert pending() == []
    live = standin.state.indexes["products"]
    assert live["settings"] == settings_payload() and set(live["docs"]) == {product.id}


def test_replay_after_the_swap_goes_through_the_outbox(live, standin):
    """(g) Changes made during a reindex are re-sent after the swap as outbox rows
    (under the outbox's row locks), so an engine failure then leaves them pending
    instead of losing them or sending an older state outside the locks."""
    backend = meili()
    product = make_product(name="Chè móc câu")
    db.session.commit()

    def change_during_build(n: int) -> None:
        if product.name == "Chè móc câu":
            product.name = "Chè móc câu loại đặc biệt"
            db.session.commit()

    standin.state.hooks["swap"] = lambda: setattr(
        standin.state, "fail_tasks", {"code": "internal", "message": "restarting"}
    )
    backend.rebuild(change_during_build)
    [row] = pending()
    assert row.product_id == product.id and "restarting" in row.last_error

    standin.state.fail_tasks = None
    backend.deliver(db.session, force=True)
    db.session.commit()
    assert pending() == []
    assert standin.state.indexes["products"]["docs"][product.id]["name"] == "Chè móc câu loại đặc biệt"


def test_highlight_markers_never_reach_the_index(live, standin):
    """(h) U+0002/U+0003 are Meilisearch's highlight tags here: in a name they would
    become <mark> on the results page."""
    seller = make_seller(name="HTX \u0002Hảo\u0003 Đạt")
    product = make_product(name="Chè \u0002búp\u0003 Tân Cương", seller=seller, description="Ngon\u0003.")
    db.session.commit()
    doc = standin.state.indexes["products"]["docs"][product.id]
    assert doc["name"] == "Chè búp Tân Cương" and doc["description"] == "Ngon."
    assert doc["seller"]["name"] == "HTX Hảo Đạt"
    assert "\u0002" not in json.dumps(doc, ensure_ascii=False)


# -- repairs by the job runner (issue 17) ---------------------------------------------------


def test_deliver_command_repairs_a_lost_index_first(live, runner, standin):
    product = make_product(name="Gạo nếp cái hoa vàng")
    db.session.commit()
    standin.lose_data()  # the engine restarted on an empty data directory
    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1 and "status:     rebuilding" in result.output
    result = runner.invoke(args=["search", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Index repaired: reindexed." in result.output
    assert set(standin.state.indexes["products"]["docs"]) == {product.id}
    assert runner.invoke(args=["search", "maintain"]).output.strip() == "Nothing to repair."


def test_one_runner_at_a_time_takes_a_reindex(live, standin):
    from datetime import timedelta

    from marketplace.search import index_state
    from marketplace.text import utcnow

    assert index_state.request_reindex("products", "test") is True
    assert index_state.request_reindex("products", "again") is False  # raised once
    assert index_state.claim_reindex("products") is True
    assert index_state.claim_reindex("products") is False  # another runner holds it
    assert meili().maintain() is None  # so this one does nothing
    later = utcnow() + index_state.REINDEX_LEASE + timedelta(minutes=1)
    assert index_state.claim_reindex("products", now=later) is True  # the holder died: taken over
