"""The demo keeps its promises however old it gets.

The seed dates every certificate relative to the seed day: 173 valid OCOP badges, a
few expiring within 90 days, a few expired. Left alone, each passing day moves all of
them one day closer to expiry: a month later the "expiring in 12 days" example has
expired, and within months the 173 shrink.

Chosen design: the seed records its day (``demo_anchor``) and the highest certificate id
it wrote (``demo_last_certificate``); the daily ``demo_refresh`` job (marketplace/jobs)
moves the seeded certificates — issue and expiry dates, verification time, and the
expiry recorded with their reminders (so no reminder is sent twice for the same
certificate) — forward by the days since the anchor, and moves the anchor to today.
Every relation the seed made (days left, valid, expired, unverified) is kept exactly.
Certificates added after the seed (by sellers or staff on a demo floor) are real and
never touched; a database that was not seeded by ``seed-demo`` has no anchor, and the
job does nothing.

Dates are rewritten rather than computed at read time: every reader (pages, search
facets, the API, reminders, the staff queue) compares stored dates with today, and a
read-time offset would have to be threaded through all of them.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from ..analytics.models import Setting
from ..catalog.models import OcopCertification
from ..extensions import db
from ..staff.models import CertificateReminder
from ..text import today_vn, utcnow

ANCHOR = "demo_anchor"
LAST_CERTIFICATE = "demo_last_certificate"


def _set(key: str, value: int) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value, updated_at=utcnow()))
    else:
        row.value = value
        row.updated_at = utcnow()


def mark_seeded(today: date | None = None) -> None:
    """Called by the seed, in its transaction: the demo's dates are those of ``today``."""
    _set(ANCHOR, (today or today_vn()).toordinal())
    _set(LAST_CERTIFICATE, int(db.session.scalar(sa.select(sa.func.max(OcopCertification.id))) or 0))
    db.session.flush()


def anchor() -> date | None:
    value = db.session.scalar(sa.select(Setting.value).where(Setting.key == ANCHOR))
    try:
        return date.fromordinal(int(value)) if value else None
    except (ValueError, OverflowError):
        return None


def refresh_dates(today: date | None = None) -> int:
    """Move the seeded certificates' dates forward to ``today``; returns how many moved.
    Flushes; the caller commits (all or nothing)."""
    today = today or today_vn()
    seeded_on = anchor()
    if seeded_on is None or seeded_on >= today:
        return 0
    shift = today - seeded_on
    last = int(db.session.scalar(sa.select(Setting.value).where(Setting.key == LAST_CERTIFICATE)) or 0)
    certs = db.session.execute(
        sa.select(OcopCertification.id, OcopCertification.issued_on, OcopCertification.expires_on,
                  OcopCertification.verified_at, OcopCertification.rejected_at)
        .where(OcopCertification.id <= last, OcopCertification.expires_on.is_not(None))
    ).all()
    table = OcopCertification.__table__
    for cid, issued, expires, verified_at, rejected_at in certs:
        db.session.execute(table.update().where(table.c.id == cid).values(
            issued_on=issued + shift, expires_on=expires + shift if expires is not None else None,
            verified_at=_later(verified_at, shift), rejected_at=_later(rejected_at, shift),
        ))
    reminders = CertificateReminder.__table__
    for rid, expires in db.session.execute(
        sa.select(reminders.c.id, reminders.c.expires_on).where(reminders.c.certification_id <= last)
    ).all():
        db.session.execute(reminders.update().where(reminders.c.id == rid).values(expires_on=expires + shift))
    _set(ANCHOR, today.toordinal())
    db.session.flush()
    return len(certs)


def _later(moment: datetime | None, shift: timedelta) -> datetime | None:
    return moment + shift if moment is not None else None
