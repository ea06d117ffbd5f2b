"""Reads for the analytics dashboards. Every figure is over a range of local days
(Asia/Ho_Chi_Minh), both ends included."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from ..catalog.models import Area, Category, Product
from ..extensions import db
from ..inquiries.models import Inquiry, InquiryItem
from ..sellers.models import Seller
from ..text import VN_TZ
from .models import SITE, DailyCount, SearchClick, SearchDaily, Setting, TotalCount

# kind → (model, label column) for the "top" tables; links use the slug.
NAMED_KINDS = {"product": Product, "seller": Seller, "category": Category, "area": Area}


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, end + 1 day 00:00) local time, as aware datetimes."""
        return (datetime.combine(self.start, time(), VN_TZ), datetime.combine(self.end + timedelta(days=1), time(), VN_TZ))


@dataclass
class SitePoint:
    day: date
    views: int
    visitors: int


def site_series(rng: DateRange) -> list[SitePoint]:
    rows = db.session.execute(
        sa.select(DailyCount.day, DailyCount.views, DailyCount.visitors)
        .where(DailyCount.kind == SITE, DailyCount.object_id == 0, DailyCount.day.between(rng.start, rng.end))
    ).all()
    by_day = {d: (v, u) for d, v, u in rows}
    return [SitePoint(d, int(by_day.get(d, (0, 0))[0] or 0), int(by_day.get(d, (0, 0))[1] or 0)) for d in rng.days]


def site_figures() -> dict[str, int]:
    """All-time counted views, the baseline, and the public total (their sum)."""
    counted = db.session.scalar(sa.select(TotalCount.views).where(TotalCount.kind == SITE, TotalCount.object_id == 0))
    baseline = db.session.scalar(sa.select(Setting.value).where(Setting.key == "baseline"))
    counted, baseline = int(counted or 0), int(baseline or 0)
    return {"counted": counted, "baseline": baseline, "total": counted + baseline}


@dataclass
class TopRow:
    object_id: int
    name: str
    slug: str | None
    views: int


def top_objects(kind: str, rng: DateRange, limit: int | None = 20, object_ids: list[int] | None = None) -> list[TopRow]:
    """The most viewed objects of ``kind`` in the range (objects since deleted keep
    their id and a placeholder name)."""
    total = sa.func.sum(DailyCount.views).label("views")
    stmt = (
        sa.select(DailyCount.object_id, total)
        .where(DailyCount.kind == kind, DailyCount.day.between(rng.start, rng.end))
        .group_by(DailyCount.object_id)
        .order_by(total.desc(), DailyCount.object_id)
    )
    if object_ids is not None:
        stmt = stmt.where(DailyCount.object_id.in_(object_ids or [-1]))
    if limit:
        stmt = stmt.limit(limit)
    rows = db.session.execute(stmt).all()
    model = NAMED_KINDS.get(kind)
    names: dict[int, tuple[str, str]] = {}
    if kind == "lot" and rows:  # a lot is named and addressed by its code (/truy-xuat/<code>)
        from ..traceability.models import Lot

        names = {oid: (code, code) for oid, code in db.session.execute(
            sa.select(Lot.id, Lot.code).where(Lot.id.in_([r[0] for r in rows])))}
    elif model is not None and rows:
        names = {
            oid: (name, slug)
            for oid, name, slug in db.session.execute(
                sa.select(model.id, model.name, model.slug).where(model.id.in_([r[0] for r in rows]))
            )
        }
    return [TopRow(int(oid), names.get(oid, (f"#{oid}", None))[0], names.get(oid, (None, None))[1], int(n or 0))
            for oid, n in rows]


@dataclass
class QueryRow:
    query: str
    searches: int
    zero_results: int
    results: int
    clicked: int
    clicks: int
    visitors: int = 0  # the most distinct visitors of this query on one day of the range

    @property
    def ctr(self) -> float:
        return self.clicked / self.searches if self.searches else 0.0


@dataclass
class HiddenQueries:
    """Queries searched by fewer than ``SEARCH_TEXT_MIN_VISITORS`` distinct visitors on
    every day of the range: staff see how many there were and their counts, never the
    texts."""

    queries: int
    searches: int
    zero_results: int
    min_visitors: int


def min_visitors() -> int:
    return int(current_app.config.get("SEARCH_TEXT_MIN_VISITORS") or 3)


def _query_rows(rng: DateRange) -> sa.Select:
    return (
        sa.select(
            SearchDaily.query,
            sa.func.sum(SearchDaily.searches).label("searches"),
            sa.func.sum(SearchDaily.zero_results).label("zero_results"),
            sa.func.max(SearchDaily.results).label("results"),
            sa.func.sum(SearchDaily.clicked).label("clicked"),
            sa.func.sum(SearchDaily.clicks).label("clicks"),
            sa.func.max(SearchDaily.visitors).label("visitors"),
        )
        .where(SearchDaily.day.between(rng.start, rng.end))
        .group_by(SearchDaily.query)
    )


def _shown(stmt: sa.Select) -> sa.Select:
    """Only queries whose text may be shown: at least ``min_visitors()`` distinct
    visitors on one day. Visitor marks are salted per day, so distinct visitors can only
    be told apart within a day; the largest daily figure never counts one person twice."""
    return stmt.having(sa.func.max(SearchDaily.visitors) >= min_visitors())


def _as_rows(result) -> list[QueryRow]:  # noqa: ANN001
    return [QueryRow(q, int(s or 0), int(z or 0), int(r or 0), int(c or 0), int(k or 0), int(v or 0))
            for q, s, z, r, c, k, v in result]


def top_queries(rng: DateRange, limit: int | None = 50) -> list[QueryRow]:
    stmt = _shown(_query_rows(rng))
    stmt = stmt.order_by(sa.literal_column("searches").desc(), SearchDaily.query)
    return _as_rows(db.session.execute(stmt.limit(limit) if limit else stmt))


def zero_result_queries(rng: DateRange, limit: int | None = 50) -> list[QueryRow]:
    """Queries that found nothing at least once in the range, most frequent first."""
    zero = sa.func.sum(SearchDaily.zero_results)
    stmt = _shown(_query_rows(rng)).having(zero > 0).order_by(zero.desc(), SearchDaily.query)
    return _as_rows(db.session.execute(stmt.limit(limit) if limit else stmt))


def hidden_queries(rng: DateRange, *, zero_only: bool = False) -> HiddenQueries:
    """What ``top_queries`` (or, ``zero_only``, ``zero_result_queries``) leaves out for
    having too few visitors: counts only."""
    threshold = min_visitors()
    stmt = _query_rows(rng).having(sa.func.max(SearchDaily.visitors) < threshold)
    if zero_only:
        stmt = stmt.having(sa.func.sum(SearchDaily.zero_results) > 0)
    sub = stmt.subquery()
    n, s, z = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(sub.c.searches), 0),
                  sa.func.coalesce(sa.func.sum(sub.c.zero_results), 0))
    ).one()
    return HiddenQueries(int(n or 0), int(s or 0), int(z or 0), threshold)


def search_totals(rng: DateRange) -> dict[str, float]:
    s, z, c, k = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(SearchDaily.searches), 0),
            sa.func.coalesce(sa.func.sum(SearchDaily.zero_results), 0),
            sa.func.coalesce(sa.func.sum(SearchDaily.clicked), 0),
            sa.func.coalesce(sa.func.sum(SearchDaily.clicks), 0),
        ).where(SearchDaily.day.between(rng.start, rng.end))
    ).one()
    s, z, c, k = int(s), int(z), int(c), int(k)
    return {"searches": s, "zero_results": z, "clicked": c, "clicks": k, "ctr": c / s if s else 0.0,
            "zero_rate": z / s if s else 0.0}


def search_series(rng: DateRange) -> list[tuple[date, int, int]]:
    """(day, searches, clicked searches)."""
    rows = db.session.execute(
        sa.select(SearchDaily.day, sa.func.sum(SearchDaily.searches), sa.func.sum(SearchDaily.clicked))
        .where(SearchDaily.day.between(rng.start, rng.end))
        .group_by(SearchDaily.day)
    ).all()
    by_day = {d: (int(s or 0), int(c or 0)) for d, s, c in rows}
    return [(d, *by_day.get(d, (0, 0))) for d in rng.days]


def click_positions(rng: DateRange, limit: int = 10) -> list[tuple[int, int]]:
    """(position, clicks) of clicked results, over the raw rows still kept."""
    n = sa.func.count().label("n")
    return [
        (int(p), int(c))
        for p, c in db.session.execute(
            sa.select(SearchClick.position, n)
            .where(SearchClick.day.between(rng.start, rng.end))
            .group_by(SearchClick.position)
            .order_by(SearchClick.position)
            .limit(limit)
        )
    ]


# ------------------------------------------------------------------------- sellers


@dataclass
class SellerPoint:
    day: date
    product_views: int
    page_views: int
    inquiries: int

    @property
    def views(self) -> int:
        return self.product_views + self.page_views


def _inquiry_days(seller: Seller, rng: DateRange) -> list[datetime]:
    lo, hi = rng.utc_bounds()
    return list(db.session.scalars(
        sa.select(Inquiry.created_at).where(Inquiry.seller_id == seller.id, Inquiry.created_at >= lo,
                                            Inquiry.created_at < hi)
    ))


def _local_day(moment: datetime) -> date:
    if moment.tzinfo is None:  # SQLite hands back naive UTC
        from datetime import timezone

        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VN_TZ).date()


def seller_series(seller: Seller, rng: DateRange) -> list[SellerPoint]:
    product_ids = sa.select(Product.id).where(Product.seller_id == seller.id).scalar_subquery()
    rows = db.session.execute(
        sa.select(DailyCount.day, DailyCount.kind, sa.func.sum(DailyCount.views))
        .where(
            DailyCount.day.between(rng.start, rng.end),
            sa.or_(
                sa.and_(DailyCount.kind == "product", DailyCount.object_id.in_(product_ids)),
                sa.and_(DailyCount.kind == "seller", DailyCount.object_id == seller.id),
            ),
        )
        .group_by(DailyCount.day, DailyCount.kind)
    ).all()
    views: dict[tuple[date, str], int] = {(d, k): int(n or 0) for d, k, n in rows}
    inquiries: dict[date, int] = {}
    for moment in _inquiry_days(seller, rng):
        day = _local_day(moment)
        inquiries[day] = inquiries.get(day, 0) + 1
    return [SellerPoint(d, views.get((d, "product"), 0), views.get((d, "seller"), 0), inquiries.get(d, 0))
            for d in rng.days]


@dataclass
class SellerProductRow:
    product_id: int
    name: str
    slug: str
    views: int
    inquiries: int

    @property
    def ratio(self) -> float | None:
        return self.inquiries / self.views if self.views else None


def seller_products(seller: Seller, rng: DateRange) -> list[SellerProductRow]:
    """Each of the seller's products with views and inquiries in the range, most viewed first."""
    products = db.session.execute(
        sa.select(Product.id, Product.name, Product.slug).where(Product.seller_id == seller.id)
    ).all()
    ids = [p[0] for p in products]
    views = {r.object_id: r.views for r in top_objects("product", rng, limit=None, object_ids=ids)}
    lo, hi = rng.utc_bounds()
    asked = dict(db.session.execute(
        sa.select(InquiryItem.product_id, sa.func.count(sa.distinct(Inquiry.id)))
        .join(Inquiry, InquiryItem.inquiry_id == Inquiry.id)
        .where(Inquiry.seller_id == seller.id, Inquiry.created_at >= lo, Inquiry.created_at < hi,
               InquiryItem.product_id.in_(ids or [-1]))
        .group_by(InquiryItem.product_id)
    ).all())
    rows = [SellerProductRow(pid, name, slug, views.get(pid, 0), int(asked.get(pid, 0))) for pid, name, slug in products]
    rows.sort(key=lambda r: (-r.views, -r.inquiries, r.name))
    return rows


def seller_lot_scans(seller: Seller, rng: DateRange) -> list[TopRow]:
    """The seller's lots scanned in the range (views of their scan pages), most first."""
    from ..traceability.models import Lot

    ids = list(db.session.scalars(sa.select(Lot.id).where(Lot.seller_id == seller.id)))
    return top_objects("lot", rng, limit=None, object_ids=ids) if ids else []
