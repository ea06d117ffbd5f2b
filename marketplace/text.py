"""Vietnamese text helpers: folding, slugs and money/date formatting.

``fold`` is the single definition of "the same word without diacritics" used by
slugs, the folded ``search_text`` columns and every search backend.
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_D_MAP = str.maketrans({"đ": "d", "Đ": "d"})
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# What slugify() produces (and unique_slug's "-2" suffixes); used by the URL converter.
SLUG_PATTERN = r"[a-z0-9][a-z0-9-]{0,119}"
_SLUG = re.compile(SLUG_PATTERN)
_SPACES = re.compile(r"\s+")


def fold(value: str | None) -> str:
    """Lower-case, remove every tone and vowel mark, map đ/Đ to d, squeeze spaces.

    >>> fold("Chè Tân Cương ĐẶC BIỆT")
    'che tan cuong dac biet'
    """
    if not value:
        return ""
    text = value.translate(_D_MAP)
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = unicodedata.normalize("NFC", text).lower()
    return _SPACES.sub(" ", text).strip()


def slugify(value: str | None, max_length: int = 80) -> str:
    """ASCII slug from folded Vietnamese: ``Đồng Hỷ`` → ``dong-hy``."""
    slug = _NON_SLUG.sub("-", fold(value)).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rstrip("-")
    return slug


def is_slug(value: object) -> bool:
    """A well-formed ASCII slug: anything else (NUL bytes, Unicode, 10 kB) never reaches SQL."""
    return isinstance(value, str) and _SLUG.fullmatch(value) is not None


def format_vnd(amount: int | None) -> str:
    """``150000`` → ``150.000 ₫`` (Vietnamese thousands separator)."""
    if amount is None:
        return ""
    return f"{int(amount):,}".replace(",", ".") + " ₫"


def to_local(moment: datetime) -> datetime:
    """Convert an aware (or naive UTC) datetime to Asia/Ho_Chi_Minh."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(VN_TZ)


def format_date(value: date | datetime | None) -> str:
    """dd/mm/yyyy, in Asia/Ho_Chi_Minh for datetimes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def format_epoch(value: float | None) -> str:
    """A Unix time as dd/mm/yyyy HH:MM in Asia/Ho_Chi_Minh; "–" when unknown."""
    if value is None:
        return "–"
    return format_datetime(datetime.fromtimestamp(value, VN_TZ))


def add_months(day: date, months: int) -> date:
    """Calendar months later, clamped to the month's last day (29/02 → 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def today_vn() -> date:
    return datetime.now(VN_TZ).date()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
