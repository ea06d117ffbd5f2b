"""Analytics tables: daily counters (kept), running totals, raw search rows (purged
after SEARCH_RAW_RETENTION_DAYS, 90 by default), daily search aggregates (kept
SEARCH_DAILY_RETENTION_DAYS, 400 by default), daily salts and visitor marks (deleted
once their day is over). Search texts are masked before they are stored (privacy.py)."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..text import utcnow

# SQLite only auto-increments an INTEGER primary key; PostgreSQL gets a BIGINT.
_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# The site row of the daily and total tables: kind "site", object 0.
SITE = "site"


class DailyCount(db.Model):
    """Counted page views of one object (or the whole site) on one local day."""

    __tablename__ = "analytics_daily"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    object_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)  # 0: no object (home, search, site)
    views: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    visitors: Mapped[int] = mapped_column(sa.Integer, default=0)  # site row only: unique estimate
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)

    __table_args__ = (
        sa.Index("ix_analytics_daily_kind_object_day", "kind", "object_id", "day"),
        # The staff overview's "most viewed" of a range, read from the index alone.
        sa.Index("ix_analytics_daily_kind_day_views", "kind", "day", "object_id", "views"),
    )


class TotalCount(db.Model):
    """All-time counted views of one object; ``(site, 0)`` is the footer total."""

    __tablename__ = "analytics_totals"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    object_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    views: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Setting(db.Model):
    """Integer settings set by staff (``baseline``: visits counted before this system)."""

    __tablename__ = "analytics_settings"

    key: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class DailySalt(db.Model):
    """The random salt of one day; deleted when the day is over, so yesterday's
    visitor hashes can no longer be linked to an address."""

    __tablename__ = "analytics_salts"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    salt: Mapped[str] = mapped_column(sa.String(64))


class VisitorMark(db.Model):
    """One salted hash (address + User-Agent) seen today; only to count uniques."""

    __tablename__ = "analytics_visitors"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class SearchEvent(db.Model):
    """One counted search (raw row, purged after SEARCH_RAW_RETENTION_DAYS). ``query`` is
    masked (privacy.py) before it is written."""

    __tablename__ = "analytics_searches"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(16), unique=True)  # carried by result links (?ref=)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    query: Mapped[str] = mapped_column(sa.String(200), index=True)  # folded, spaces collapsed
    filters: Mapped[str] = mapped_column(sa.String(500), default="")  # canonical JSON, "" for none
    results: Mapped[int] = mapped_column(sa.Integer, default=0)
    clicks: Mapped[int] = mapped_column(sa.Integer, default=0)
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class SearchVisitorMark(db.Model):
    """One (visitor, query) pair seen today, as ``sha256(visitor mark | query)``: counts
    the distinct visitors of a query without linking a visitor's queries to each other.
    Deleted with the day's visitor marks."""

    __tablename__ = "analytics_search_visitors"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class SearchClick(db.Model):
    """A counted product view reached from a search result (raw row, 90 days)."""

    __tablename__ = "analytics_search_clicks"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    search_id: Mapped[int] = mapped_column(sa.ForeignKey("analytics_searches.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer)  # 1-based over all pages
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class SearchDaily(db.Model):
    """Searches of one normalized query on one day (kept when raw rows are purged)."""

    __tablename__ = "analytics_search_daily"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    query: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    searches: Mapped[int] = mapped_column(sa.Integer, default=0)
    zero_results: Mapped[int] = mapped_column(sa.Integer, default=0)  # searches that found nothing
    results: Mapped[int] = mapped_column(sa.Integer, default=0)  # result count of the latest search
    clicked: Mapped[int] = mapped_column(sa.Integer, default=0)  # searches followed by ≥ 1 click
    clicks: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Distinct visitors who searched this query that day: its text is shown to staff
    # only from SEARCH_TEXT_MIN_VISITORS on (analytics.queries).
    visitors: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
