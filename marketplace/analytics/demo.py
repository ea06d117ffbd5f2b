"""Demo analytics: a baseline and 90 days of plausible daily history (rows marked
``is_demo``), so the dashboards have something to show on a fresh install.

Deterministic (seeded), relative to today: days ``today - 90`` … ``today - 1``. Product
views follow the catalog's planned popularity (a few products draw most views),
weekends are busier, traffic grows slowly; sellers, categories and areas get the views
of their products' visitors. ``Product.view_count`` becomes the last 30 days of this
history, as the rollup would compute it. Running it again replaces the demo rows."""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from ..catalog.models import Product
from ..extensions import db
from ..sellers.models import Seller
from ..text import today_vn
from .models import SITE, DailyCount, SearchDaily, Setting, TotalCount
from .services import POPULARITY_DAYS

DAYS = 90
BASELINE = 4_850_000  # visits of the old floor before this system (staff can change it)
SEED = 8_2026

# (folded query, relative weight, usually finds products?)
QUERIES = (
    ("che tan cuong", 30, True), ("che", 22, True), ("mien dong", 14, True), ("mat ong", 12, True),
    ("che thai nguyen", 10, True), ("tra", 9, False), ("banh chung", 7, True), ("gao bao thai", 6, True),
    ("che moc cau", 6, True), ("nam huong", 5, True), ("mien", 5, True), ("ruou", 4, True),
    ("hong tra", 4, True), ("che dinh", 3, True), ("qua tang", 3, True), ("tra shan tuyet", 3, False),
    ("ca phe", 3, False), ("sam ngoc linh", 2, False), ("che tan cuong 5 sao", 2, True), ("mang kho", 2, True),
    ("nuoc mam", 1, False), ("ocop 4 sao", 2, True), ("banh cuon", 1, False), ("mien dong na ri", 2, True),
)


def seed_analytics_demo() -> None:
    """Replace the demo analytics rows; set the baseline if none was set. Flushes."""
    rng = random.Random(SEED)
    for model in (DailyCount, SearchDaily):
        db.session.execute(sa.delete(model).where(model.is_demo.is_(True)))
    products = db.session.execute(
        sa.select(Product.id, Product.view_count, Product.seller_id, Product.category_id, Product.area_id)
        .join(Seller, Product.seller_id == Seller.id)
        .where(Product.status == "published", Seller.status == "approved")
        .order_by(Product.id)
    ).all()
    today = today_vn()
    rows: list[dict] = []
    search_rows: list[dict] = []
    recent: Counter[int] = Counter()
    if products:
        weights = [max(1, p.view_count or 0) for p in products]
        for back in range(DAYS, 0, -1):
            day = today - timedelta(days=back)
            trend = 1 + 0.004 * (DAYS - back)
            weekend = 1.25 if day.weekday() >= 5 else 1.0
            site = int(1300 * trend * weekend * rng.uniform(0.85, 1.15))
            picks = Counter(rng.choices(range(len(products)), weights=weights, k=int(site * 0.55)))
            by_kind: dict[str, Counter[int]] = {"product": Counter(), "seller": Counter(), "category": Counter(),
                                               "area": Counter()}
            for index, n in picks.items():
                p = products[index]
                by_kind["product"][p.id] += n
                if back < POPULARITY_DAYS:  # the rollup window: today and the 29 days before
                    recent[p.id] += n
                if rng.random() < 0.2:
                    by_kind["seller"][p.seller_id] += max(1, n // 4)
                if rng.random() < 0.15:
                    by_kind["category"][p.category_id] += max(1, n // 3)
                if p.area_id and rng.random() < 0.08:
                    by_kind["area"][p.area_id] += max(1, n // 3)
            searches = int(site * 0.08)
            counted = sum(sum(c.values()) for c in by_kind.values()) + searches
            home = max(0, site - counted)
            rows.append(_row(day, SITE, 0, counted + home, int((counted + home) * rng.uniform(0.3, 0.4))))
            rows.append(_row(day, "home", 0, home))
            rows.append(_row(day, "search", 0, searches))
            for kind, counter in by_kind.items():
                rows.extend(_row(day, kind, oid, n) for oid, n in counter.items() if oid)
            asked = Counter(rng.choices([q for q, _w, _f in QUERIES], weights=[w for _q, w, _f in QUERIES], k=searches))
            finds = {q: f for q, _w, f in QUERIES}
            for query, n in asked.items():
                found = finds[query]
                clicked = sum(1 for _ in range(n) if found and rng.random() < 0.45)
                search_rows.append({
                    "day": day, "query": query, "searches": n, "zero_results": 0 if found else n,
                    "results": rng.randint(3, 120) if found else 0, "clicked": clicked,
                    "clicks": clicked + rng.randint(0, clicked // 3 + 1) if clicked else 0, "visitors": n,
                    "is_demo": True,
                })
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(DailyCount), rows[start:start + 5000])
    if search_rows:
        db.session.execute(sa.insert(SearchDaily), search_rows)
    _recount_totals()
    table = Product.__table__
    db.session.execute(table.update().values(view_count=0, updated_at=table.c.updated_at))
    if recent:
        db.session.execute(
            table.update().where(table.c.id == sa.bindparam("pid"))
            .values(view_count=sa.bindparam("views"), updated_at=table.c.updated_at),
            [{"pid": pid, "views": n} for pid, n in sorted(recent.items())],
        )
    if db.session.get(Setting, "baseline") is None:
        db.session.add(Setting(key="baseline", value=BASELINE))
    db.session.flush()


def _row(day, kind: str, object_id: int, views: int, visitors: int = 0) -> dict:  # noqa: ANN001
    return {"day": day, "kind": kind, "object_id": object_id, "views": views, "visitors": visitors, "is_demo": True}


def _recount_totals() -> None:
    """Totals = the sum of the daily counters (which are never purged)."""
    db.session.execute(sa.delete(TotalCount))
    db.session.execute(
        sa.insert(TotalCount).from_select(
            ["kind", "object_id", "views"],
            sa.select(DailyCount.kind, DailyCount.object_id, sa.func.sum(DailyCount.views))
            .group_by(DailyCount.kind, DailyCount.object_id),
        )
    )
