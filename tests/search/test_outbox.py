"""The search outbox with SEARCH_BACKEND=meilisearch and the engine DOWN.

"Down" is real here: MEILI_URL points at a loopback port nobody listens on, so the
official client gets "connection refused". Real database (SQLite, or PostgreSQL with
TEST_DATABASE_URL), real session hooks, no mocks.
"""
from __future__ import annotations

import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.search import get_search
from marketplace.search.base import SearchQuery, SearchUnavailable
from marketplace.search.meili import MeiliSearch
from marketplace.search.outbox import (
    RETENTION,
    SearchOutbox,
    backoff,
    enqueue,
    outbox_stats,
    purge_delivered,
)
from marketplace.text import utcnow
from tests.conftest import TEST_DATABASE_URL, make_test_config
from tests.factories import make_category, make_product


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more: connections are refused
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def app_config(tmp_path):
    return make_test_config(
        tmp_path,
        SEARCH_BACKEND="meilisearch",
        MEILI_URL=closed_port_url(),
        MEILI_API_KEY="test-master-key",
        MEILI_TIMEOUT=2,
    )


def rows(product_id: int | None = None) -> list[SearchOutbox]:
    stmt = sa.select(SearchOutbox).order_by(SearchOutbox.id)
    if product_id is not None:
        stmt = stmt.where(SearchOutbox.product_id == product_id)
    db.session.expire_all()
    return list(db.session.scalars(stmt))


def meili() -> MeiliSearch:
    backend = get_search()
    inner = getattr(backend, "primary", backend)
    assert isinstance(inner, MeiliSearch)
    return inner


def test_a_committed_change_leaves_a_pending_row_when_the_engine_is_down(ctx):
    product = make_product(name="Chè búp Tân Cương đặc biệt")
    db.session.commit()  # hooks: outbox row in this transaction, delivery after it

    [row] = rows(product.id)
    assert row.delivered_at is None
    assert row.attempts == 1  # delivery was tried right after the commit
    assert "Meilisearch" in row.last_error and "Communication" in row.last_error
    assert row.next_attempt_at is not None and row.next_attempt_at > row.created_at


def test_outbox_rows_roll_back_with_the_change(ctx):
    product = make_product(name="Miến dong Việt Cường")
    db.session.commit()
    before = len(rows())

    product.name = "Miến dong Việt Cường loại 1"
    enqueue(db.session, [product.id])  # what the before-commit hook does
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox)) == before + 1
    db.session.rollback()

    assert len(rows()) == before
    assert db.session.get(type(product), product.id).name == "Miến dong Việt Cường"


def test_a_failed_commit_writes_no_outbox_row(ctx):
    first = make_product(name="Mật ong rừng", slug="mat-ong-rung")
    db.session.commit()
    before = len(rows())
    make_product(name="Mật ong rừng khác", slug="mat-ong-rung-2", category=first.category)
    db.session.add(type(first)(**{**_clone(first), "slug": "mat-ong-rung"}))  # duplicate slug
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert len(rows()) == before


def _clone(product) -> dict:
    return {
        "seller_id": product.seller_id,
        "category_id": product.category_id,
        "name": "bản sao",
        "price_vnd": 1000,
        "status": "draft",
    }


def test_retries_back_off_and_force_retries_now(ctx):
    product = make_product()
    db.session.commit()
    backend = meili()

    report = backend.deliver(db.session)  # not due yet: backoff after the first failure
    db.session.commit()
    assert report.claimed == 0
    assert rows(product.id)[0].attempts == 1

    report = backend.deliver(db.session, force=True)
    db.session.commit()
    assert (report.claimed, report.failed) == (1, 1)
    [row] = rows(product.id)
    assert row.attempts == 2 and row.delivered_at is None

    # Once due again, a plain delivery (cron: flask search deliver) picks it up.
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert backend.deliver(db.session).claimed == 1
    db.session.commit()
    assert rows(product.id)[0].attempts == 3


def test_backoff_doubles_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(50) == timedelta(hours=1)


def test_index_products_without_enqueue_still_records_the_change(ctx):
    product = make_product()
    db.session.commit()
    db.session.execute(sa.delete(SearchOutbox))
    db.session.commit()

    meili().index_products([product.id])
    [row] = rows(product.id)
    assert row.attempts == 1 and row.delivered_at is None


def test_search_and_suggest_degrade_to_the_database(ctx, caplog):
    category = make_category(name="Chè", slug="che")
    make_product(name="Chè búp Tân Cương", category=category)
    make_product(name="Miến dong", category=category)
    db.session.commit()

    with pytest.raises(SearchUnavailable):
        meili().search(SearchQuery(text="tan cuong"))

    result = get_search().search(SearchQuery(text="tan cuong"))
    assert result.degraded is True
    assert result.total == 1
    assert result.facets["category"] == {"che": 1}
    result_again = get_search().search(SearchQuery(text="mien"))
    assert result_again.degraded and result_again.total == 1
    assert [s.text for s in get_search().suggest("che tan")] == ["Chè búp Tân Cương"]
    logged = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(logged) == 1  # logged once, not per request


def test_pages_and_api_answer_with_the_engine_down(client, ctx):
    make_product(name="Chè búp Tân Cương đặc biệt")
    db.session.commit()

    api = client.get("/api/v1/products?q=che+tan+cuong")
    assert api.status_code == 200
    assert api.get_json()["degraded"] is True
    assert [item["name"] for item in api.get_json()["items"]] == ["Chè búp Tân Cương đặc biệt"]

    page = client.get("/san-pham?q=che+tan+cuong")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Chè búp Tân Cương đặc biệt" in html
    assert "chế độ dự phòng" in html


def test_status_shows_pending_changes_and_the_last_error(ctx, runner):
    make_product()
    make_product()
    db.session.commit()

    health = get_search().health()
    assert health.ok is False
    assert health.pending == 2
    assert "Communication" in health.last_error

    result = runner.invoke(args=["search", "status"])
    assert result.exit_code == 1
    assert "pending:    2" in result.output
    assert "Communication" in result.output


def test_delivered_rows_are_purged_after_the_retention(ctx):
    now = utcnow()
    db.session.add_all(
        [
            SearchOutbox(product_id=1, op="upsert", created_at=now, delivered_at=now - RETENTION - timedelta(minutes=1)),
            SearchOutbox(product_id=2, op="upsert", created_at=now, delivered_at=now - timedelta(minutes=5)),
            SearchOutbox(product_id=3, op="delete", created_at=now),
        ]
    )
    db.session.commit()
    assert purge_delivered(db.session, now=now) == 1
    db.session.commit()
    assert sorted(r.product_id for r in rows()) == [2, 3]
    stats = outbox_stats(db.session)
    assert (stats.pending, stats.failing) == (1, 0)


def test_deliver_command_retries_and_reports_the_error(ctx, runner):
    product = make_product()
    db.session.commit()

    result = runner.invoke(args=["search", "deliver"])  # still in backoff: nothing due
    assert result.exit_code == 0 and "Delivered 0 change(s); 1 still pending." in result.output

    result = runner.invoke(args=["search", "deliver", "--all"])
    assert result.exit_code == 1
    assert "Delivered 0 change(s); 1 still pending." in result.output
    assert "Communication" in result.output
    assert rows(product.id)[0].attempts == 2


def test_a_document_that_cannot_be_built_is_kept_and_reported(ctx, caplog):
    from marketplace.search.outbox import deliver_pending

    enqueue(db.session, [41, 42])
    db.session.commit()

    def broken(session, ids):
        raise RuntimeError(f"cannot build {ids}")

    report = deliver_pending(db.session, broken, force=True)
    db.session.commit()
    assert (report.claimed, report.failed) == (2, 2)
    assert {r.last_error for r in rows()} == {"RuntimeError: cannot build [41, 42]"}
    assert all(r.delivered_at is None and r.attempts == 1 for r in rows())


@pytest.mark.slow  # threads and a 0.5 s sleep
@pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="row locks (SELECT … FOR UPDATE) are the PostgreSQL path; set TEST_DATABASE_URL to run",
)
def test_a_second_deliverer_waits_instead_of_sending_an_older_state(ctx):
    import threading
    import time

    from flask import current_app
    from sqlalchemy.orm import Session

    from marketplace.search.outbox import deliver_pending

    enqueue(db.session, [7])
    db.session.commit()
    app = current_app._get_current_object()
    sent: list[tuple[str, list[int]]] = []
    started, release = threading.Event(), threading.Event()

    def slow(session, ids):
        sent.append(("first", ids))
        started.set()
        release.wait(10)
        return len(ids), 0

    def fast(session, ids):
        sent.append(("second", ids))
        return len(ids), 0

    reports: dict[str, object] = {}

    def run(name, sender):
        with app.app_context(), Session(db.engine) as session:
            reports[name] = deliver_pending(session, sender, force=True)
            session.commit()

    first = threading.Thread(target=run, args=("first", slow))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=run, args=("second", fast))
    second.start()
    time.sleep(0.5)
    assert second.is_alive()  # blocked on the first deliverer's row lock
    release.set()
    first.join(10)
    second.join(10)
    assert sent == [("first", [7])]  # the second found the row already delivered
    assert reports["second"].claimed == 0
