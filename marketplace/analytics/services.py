"""Analytics writes: the staff baseline, the rollup (popularity into search, retention)
and the purge. Each flushes or works in the caller's transaction; the caller commits."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..catalog import generation
from ..catalog.models import Product
from ..extensions import db
from ..text import today_vn, utcnow
from .models import DailyCount, DailySalt, SearchClick, SearchEvent, Setting, VisitorMark

log = logging.getLogger(__name__)

POPULARITY_DAYS = 30  # Product.view_count = counted views of the last 30 days (today included)
RAW_RETENTION_DAYS = 90  # raw search rows and clicks; daily counters are kept
MAX_BASELINE = 10**12


class AnalyticsError(ValueError):
    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def get_baseline() -> int:
    return int(db.session.scalar(sa.select(Setting.value).where(Setting.key == "baseline")) or 0)


def set_baseline(value: int, *, actor: Any = None) -> int:
    """Visits counted before this system; shown in the footer total. Audited."""
    from ..audit.services import record

    if not isinstance(value, int) or value < 0 or value > MAX_BASELINE:
        raise AnalyticsError("baseline", _l("Số lượt ban đầu phải là số nguyên từ 0 đến 1.000.000.000.000."))
    row = db.session.get(Setting, "baseline")
    before = row.value if row is not None else 0
    if row is None:
        row = Setting(key="baseline", value=value)
        db.session.add(row)
    row.value = value
    row.updated_at = utcnow()
    db.session.flush()
    if before != value:
        record("analytics.baseline", "analytics_setting", None, actor=actor,
               before={"baseline": before}, after={"baseline": value})
    return value


# ---------------------------------------------------------------------- popularity


def popularity_counts(today: date | None = None) -> dict[int, int]:
    """Counted views of each product over the last ``POPULARITY_DAYS`` days."""
    today = today or today_vn()
    since = today - timedelta(days=POPULARITY_DAYS - 1)
    rows = db.session.execute(
        sa.select(DailyCount.object_id, sa.func.sum(DailyCount.views))
        .where(DailyCount.kind == "product", DailyCount.day >= since, DailyCount.day <= today)
        .group_by(DailyCount.object_id)
    ).all()
    return {int(pid): int(n or 0) for pid, n in rows}


def changed_popularity(counts: dict[int, int]) -> dict[int, int]:
    """Products whose ``view_count`` differs from ``counts`` (missing → 0)."""
    changed: dict[int, int] = {}
    for pid, current in db.session.execute(sa.select(Product.id, Product.view_count)):
        wanted = counts.get(pid, 0)
        if (current or 0) != wanted:
            changed[pid] = wanted
    return changed


def apply_popularity(changed: dict[int, int]) -> None:
    """Write ``view_count`` with Core UPDATEs (no indexing hooks, ``updated_at`` kept)
    and hand the same counts to the search backend, in the caller's transaction."""
    from ..search import get_search

    if not changed:
        return
    order_moved = _popularity_order_moves(changed)
    table = Product.__table__
    stmt = (
        table.update()
        .where(table.c.id == sa.bindparam("pid"))
        .values(view_count=sa.bindparam("views"), updated_at=table.c.updated_at)
    )
    items = sorted(changed.items())
    for start in range(0, len(items), 1000):
        db.session.execute(stmt, [{"pid": pid, "views": n} for pid, n in items[start:start + 1000]])
    get_search().update_popularity(db.session, dict(changed))
    if order_moved:
        # Pages ordered by popularity (related products, OCOP rows, "popular" sort,
        # relevance ties) render anew; a rollup that moves no public product past
        # another leaves every cached page as it is.
        generation.bump_scopes(db.session.connection(), ["pop"])


def _popularity_order_moves(changed: dict[int, int]) -> bool:
    """Whether the new counts change the order of public products by (views desc, id
    desc) — the tie-break of every ordering that uses popularity."""
    from ..catalog.queries import public_condition
    from ..sellers.models import Seller

    rows = db.session.execute(
        sa.select(Product.id, Product.view_count).join(Seller, Product.seller_id == Seller.id)
        .where(public_condition())
    ).all()
    before = sorted(rows, key=lambda r: (-(r[1] or 0), -r[0]))
    after = sorted(rows, key=lambda r: (-changed.get(r[0], r[1] or 0), -r[0]))
    return [r[0] for r in before] != [r[0] for r in after]


@dataclass
class RollupReport:
    products_changed: int = 0
    salts_deleted: int = 0
    marks_deleted: int = 0
    purged: dict[str, int] = field(default_factory=dict)


def rollup(today: date | None = None) -> RollupReport:
    """Idempotent, safe every few minutes: popularity of the last 30 days into
    ``Product.view_count`` and the search index (only products whose count changed),
    yesterday's salts and visitor marks deleted, raw rows past retention purged.
    The caller commits, then calls ``get_search().deliver_pending()``."""
    today = today or today_vn()
    report = RollupReport()
    changed = changed_popularity(popularity_counts(today))
    apply_popularity(changed)
    report.products_changed = len(changed)
    report.salts_deleted = db.session.execute(sa.delete(DailySalt).where(DailySalt.day < today)).rowcount or 0
    report.marks_deleted = db.session.execute(sa.delete(VisitorMark).where(VisitorMark.day < today)).rowcount or 0
    report.purged = purge(today - timedelta(days=RAW_RETENTION_DAYS))
    return report


def purge(before: date) -> dict[str, int]:
    """Delete raw rows (searches and their clicks, visitor marks, salts) of days before
    ``before``. Daily counters and daily search figures are kept."""
    counts = {
        "analytics_search_clicks": db.session.execute(
            sa.delete(SearchClick).where(
                SearchClick.search_id.in_(sa.select(SearchEvent.id).where(SearchEvent.day < before))
            ),
            execution_options={"synchronize_session": False},
        ).rowcount or 0,
    }
    counts["analytics_search_clicks"] += db.session.execute(
        sa.delete(SearchClick).where(SearchClick.day < before), execution_options={"synchronize_session": False}
    ).rowcount or 0
    counts["analytics_searches"] = db.session.execute(
        sa.delete(SearchEvent).where(SearchEvent.day < before), execution_options={"synchronize_session": False}
    ).rowcount or 0
    counts["analytics_visitors"] = db.session.execute(
        sa.delete(VisitorMark).where(VisitorMark.day < before), execution_options={"synchronize_session": False}
    ).rowcount or 0
    counts["analytics_salts"] = db.session.execute(
        sa.delete(DailySalt).where(DailySalt.day < before), execution_options={"synchronize_session": False}
    ).rowcount or 0
    return counts
