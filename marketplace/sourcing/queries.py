"""Reads for sourcing: the public board, a buyer's and a seller's lists, the staff
queue, and the response metrics (seller badge, staff figures). Statements are returned
unexecuted where callers paginate."""
from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..inquiries.models import Inquiry, InquiryStatusChange
from ..sellers.models import Seller
from ..text import today_vn, utcnow
from .models import REQUEST_STATUSES, SourcingMatch, SourcingOffer, SourcingRequest

METRIC_DAYS = 90
SILENT_AFTER_DAYS = 3
BADGE_MIN_ANSWERS = 3
CHART_WEEKS = 12


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:  # SQLite drops the zone
        return moment.replace(tzinfo=timezone.utc)
    return moment


def board(category_ids: list[int] | None = None, today: date | None = None) -> sa.Select:
    """Open requests whose deadline has not passed (even before the job closes them),
    nearest deadline first."""
    today = today or today_vn()
    stmt = (
        sa.select(SourcingRequest)
        .where(SourcingRequest.status == "open", SourcingRequest.deadline >= today)
        .options(selectinload(SourcingRequest.category))
        .order_by(SourcingRequest.deadline, SourcingRequest.id)
    )
    if category_ids:
        stmt = stmt.where(SourcingRequest.category_id.in_(category_ids))
    return stmt


def public_request(request_id: int, today: date | None = None) -> SourcingRequest | None:
    return db.session.scalars(board(today=today).where(SourcingRequest.id == request_id)).first()


def offer_counts(request_ids: list[int]) -> dict[int, int]:
    if not request_ids:
        return {}
    rows = db.session.execute(
        sa.select(SourcingOffer.request_id, sa.func.count())
        .where(SourcingOffer.request_id.in_(request_ids), SourcingOffer.status != "withdrawn")
        .group_by(SourcingOffer.request_id)
    )
    return dict(rows.all())


def of_buyer(user_id: int) -> sa.Select:
    return (sa.select(SourcingRequest).where(SourcingRequest.buyer_id == user_id)
            .options(selectinload(SourcingRequest.offers)).order_by(SourcingRequest.id.desc()))


def owned_request(user_id: int, request_id: int) -> SourcingRequest | None:
    """The buyer's own request; another buyer's id reads as missing."""
    return db.session.scalars(
        sa.select(SourcingRequest).where(SourcingRequest.id == request_id, SourcingRequest.buyer_id == user_id)
    ).first()


def for_seller(seller_id: int) -> sa.Select:
    """Requests a seller was told about or answered, or that staff opened to all."""
    matched = sa.select(SourcingMatch.request_id).where(SourcingMatch.seller_id == seller_id,
                                                        SourcingMatch.removed_at.is_(None))
    answered = sa.select(SourcingOffer.request_id).where(SourcingOffer.seller_id == seller_id)
    return (
        sa.select(SourcingRequest)
        .where(SourcingRequest.status.in_(("open", "fulfilled", "closed")),
               sa.or_(SourcingRequest.id.in_(matched), SourcingRequest.id.in_(answered),
                      sa.and_(SourcingRequest.open_to_all.is_(True), SourcingRequest.status == "open")))
        .options(selectinload(SourcingRequest.offers), selectinload(SourcingRequest.matches))
        .order_by(sa.case((SourcingRequest.status == "open", 0), else_=1), SourcingRequest.deadline.desc(),
                  SourcingRequest.id.desc())
    )


def staff_queue(status: str | None) -> sa.Select:
    stmt = sa.select(SourcingRequest).options(selectinload(SourcingRequest.offers))
    if status in REQUEST_STATUSES:
        stmt = stmt.where(SourcingRequest.status == status)
    order = SourcingRequest.created_at if status == "pending" else SourcingRequest.id.desc()
    return stmt.order_by(order, SourcingRequest.id)


def status_counts() -> dict[str, int]:
    rows = db.session.execute(sa.select(SourcingRequest.status, sa.func.count()).group_by(SourcingRequest.status))
    counts = {status: 0 for status in REQUEST_STATUSES}
    counts.update(dict(rows.all()))
    return counts


# ----------------------------------------------------------------- response metrics

@dataclass(frozen=True)
class ResponseTime:
    median_hours: float | None
    answers: int


def seller_response(seller_id: int, now: datetime | None = None, days: int = METRIC_DAYS) -> ResponseTime:
    """The median time a seller took to answer, over ``days``: inquiries (to their first
    status change) and sourcing requests (from the mail to the offer) together."""
    now = now or utcnow()
    params = {"seller_id": seller_id, "since": now - timedelta(days=days)}
    pairs = db.session.execute(_answers(), params).all()
    hours = [max(0.0, (_aware(end) - _aware(start)).total_seconds() / 3600)
             for start, end in pairs if start is not None and end is not None]
    if not hours:
        return ResponseTime(None, 0)
    return ResponseTime(statistics.median(hours), len(hours))


@functools.cache
def _answers() -> sa.CompoundSelect:
    """(asked, answered) of both kinds in one statement."""
    return sa.union_all(_inquiry_answers(), _offer_answers())


def _inquiry_answers() -> sa.Select:
    """(sent, first status change) of the seller's inquiries sent since ``since``; built
    once (every seller page asks). The first change is looked up per inquiry of the
    seller, not grouped over every inquiry of the floor."""
    first_change = (
        sa.select(sa.func.min(InquiryStatusChange.changed_at))
        .where(InquiryStatusChange.inquiry_id == Inquiry.id)
        .correlate(Inquiry)
        .scalar_subquery()
    )
    return (sa.select(Inquiry.created_at, first_change)
            .where(Inquiry.seller_id == sa.bindparam("seller_id"), Inquiry.created_at >= sa.bindparam("since")))


def _offer_answers() -> sa.Select:
    """(told or approved, offered) of the seller's offers made since ``since``."""
    return (
        sa.select(sa.func.coalesce(SourcingMatch.notified_at, SourcingRequest.approved_at), SourcingOffer.created_at)
        .join(SourcingRequest, SourcingRequest.id == SourcingOffer.request_id)
        .outerjoin(SourcingMatch, sa.and_(SourcingMatch.request_id == SourcingOffer.request_id,
                                          SourcingMatch.seller_id == SourcingOffer.seller_id))
        .where(SourcingOffer.seller_id == sa.bindparam("seller_id"),
               SourcingOffer.created_at >= sa.bindparam("since"))
    )


def requests_without_offers(now: datetime | None = None, days: int = SILENT_AFTER_DAYS) -> list[SourcingRequest]:
    """Open requests approved more than ``days`` ago that no seller has answered."""
    now = now or utcnow()
    answered = sa.select(SourcingOffer.request_id)
    return list(db.session.scalars(
        sa.select(SourcingRequest)
        .where(SourcingRequest.status == "open", SourcingRequest.approved_at <= now - timedelta(days=days),
               SourcingRequest.id.not_in(answered))
        .options(selectinload(SourcingRequest.matches))
        .order_by(SourcingRequest.approved_at)
    ))


@dataclass(frozen=True)
class SilentSeller:
    seller: Seller
    told: int
    inquiries: int


def silent_sellers(now: datetime | None = None, days: int = METRIC_DAYS,
                   grace_days: int = SILENT_AFTER_DAYS) -> list[SilentSeller]:
    """Sellers that were asked in the period (told about a request, or sent an
    inquiry, at least ``grace_days`` ago) and answered nothing at all: no offer, no
    inquiry handled."""
    now = now or utcnow()
    since, until = now - timedelta(days=days), now - timedelta(days=grace_days)
    told = dict(db.session.execute(
        sa.select(SourcingMatch.seller_id, sa.func.count())
        .where(SourcingMatch.notified_at >= since, SourcingMatch.notified_at <= until)
        .group_by(SourcingMatch.seller_id)
    ).all())
    asked = dict(db.session.execute(
        sa.select(Inquiry.seller_id, sa.func.count())
        .where(Inquiry.created_at >= since, Inquiry.created_at <= until).group_by(Inquiry.seller_id)
    ).all())
    sellers = set(told) | set(asked)
    if not sellers:
        return []
    offered = set(db.session.scalars(
        sa.select(SourcingOffer.seller_id).where(SourcingOffer.created_at >= since,
                                                 SourcingOffer.seller_id.in_(sellers)).distinct()
    ))
    handled = set(db.session.scalars(
        sa.select(Inquiry.seller_id)
        .join(InquiryStatusChange, InquiryStatusChange.inquiry_id == Inquiry.id)
        .where(Inquiry.created_at >= since, Inquiry.seller_id.in_(sellers)).distinct()
    ))
    silent = sellers - offered - handled
    rows = db.session.scalars(sa.select(Seller).where(Seller.id.in_(silent)).order_by(Seller.name)).all()
    found = [SilentSeller(s, told.get(s.id, 0), asked.get(s.id, 0)) for s in rows]
    found.sort(key=lambda s: (-(s.told + s.inquiries), s.seller.name))
    return found


@dataclass(frozen=True)
class Conversion:
    approved: int
    accepted: int

    @property
    def share(self) -> float | None:
        return self.accepted / self.approved if self.approved else None


def _accepted_ids() -> sa.Select:
    return sa.select(SourcingOffer.request_id).where(SourcingOffer.status == "accepted")


def conversion(now: datetime | None = None, days: int = METRIC_DAYS) -> Conversion:
    """Of the requests approved in the period, how many reached an accepted offer."""
    now = now or utcnow()
    approved = SourcingRequest.approved_at >= now - timedelta(days=days)
    total = db.session.scalar(sa.select(sa.func.count()).where(approved)) or 0
    accepted = db.session.scalar(
        sa.select(sa.func.count()).where(approved, SourcingRequest.id.in_(_accepted_ids()))) or 0
    return Conversion(total, accepted)


def weekly(today: date | None = None, weeks: int = CHART_WEEKS) -> list[tuple[date, int, int]]:
    """(Monday, requests approved that week, of which reached an accepted offer), oldest first."""
    from ..text import to_local

    today = today or today_vn()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    start = datetime.combine(first, datetime.min.time(), tzinfo=timezone.utc) - timedelta(days=1)
    accepted = set(db.session.scalars(_accepted_ids()))
    counts = {first + timedelta(weeks=i): [0, 0] for i in range(weeks)}
    for request_id, approved_at in db.session.execute(
        sa.select(SourcingRequest.id, SourcingRequest.approved_at).where(SourcingRequest.approved_at >= start)
    ):
        day = to_local(_aware(approved_at)).date()
        monday = day - timedelta(days=day.weekday())
        if monday in counts:
            counts[monday][0] += 1
            counts[monday][1] += request_id in accepted
    return [(monday, a, b) for monday, (a, b) in sorted(counts.items())]
