"""Month sets: parsing what a seller types, the bitmask the catalog stores, and the
questions every feature asks ("is it in season in month m?").

A season is stored as a 12-bit mask (``Product.season_mask``): bit ``m - 1`` set means
the product is available in month ``m``. ``None`` means not stated; ``ALL_MONTHS_MASK``
means year-round. A season may wrap the year end ("11-1": November to January).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ..text import fold, today_vn

ALL_MONTHS_MASK = (1 << 12) - 1
YEAR_ROUND_WORDS = ("quanh nam", "ca nam", "year round", "year-round", "all year", "12 thang")

_RANGE = re.compile(r"^(\d{1,2})\s*(?:-|–|—|den|to)\s*(\d{1,2})$")
_PREFIX = re.compile(r"^(thang|t|month)\s*", re.IGNORECASE)
_MONTH_WORD = re.compile(r"\b(thang|month|th|t)\.?\s*(?=\d)")


def month_bit(month: int) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"month {month!r} is not 1-12")
    return 1 << (month - 1)


def months_to_mask(months: Iterable[int]) -> int | None:
    """{3, 4, 5} → 0b11100; an empty set → None (not stated)."""
    mask = 0
    for month in months:
        mask |= month_bit(int(month))
    return mask or None


def mask_to_months(mask: int | None) -> list[int]:
    if not mask:
        return []
    return [m for m in range(1, 13) if mask & (1 << (m - 1))]


def months_of(product: Any) -> list[int]:
    """The months ``product`` (anything with ``season_mask``) is available in."""
    return mask_to_months(getattr(product, "season_mask", None))


def is_year_round(mask: int | None) -> bool:
    return mask == ALL_MONTHS_MASK


def mask_available(mask: int | None, month: int) -> bool:
    return bool(mask) and bool(mask & month_bit(month))


def mask_in_season(mask: int | None, month: int) -> bool:
    return mask_available(mask, month) and not is_year_round(mask)


def available_in(product: Any, month: int) -> bool:
    """Offered in ``month`` (a year-round product is available every month; a product
    whose season is not stated is not known to be available)."""
    return mask_available(getattr(product, "season_mask", None), month)


def in_season(product: Any, month: int) -> bool:
    """Seasonal and ``month`` is in its season: what "Đang vào mùa", ``season=`` and the
    harvest calendar mean. Year-round products are available, never "in season"."""
    return mask_in_season(getattr(product, "season_mask", None), month)


def current_month() -> int:
    """Today's month in Asia/Ho_Chi_Minh."""
    return today_vn().month


def next_months(start: int, count: int) -> list[int]:
    """``count`` months from ``start`` on, wrapping the year: (11, 4) → [11, 12, 1, 2]."""
    return [(start - 1 + i) % 12 + 1 for i in range(count)]


def _month(text: str) -> int:
    text = _PREFIX.sub("", text.strip())
    if not text.isascii() or not text.isdigit() or len(text) > 2:
        raise ValueError(text)
    value = int(text)
    if not 1 <= value <= 12:
        raise ValueError(text)
    return value


def parse_months(value: Any) -> int | None:
    """What a seller gives → a mask (None: not stated). Accepts a mask-free list of
    months ([3, 4, "5"]), or text: "3-10", "tháng 11 – tháng 1" (wraps the year end),
    "3, 4, 5", "3-5; 9-10", "quanh năm". Raises ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("bool")
    if isinstance(value, (list, tuple, set, frozenset)):
        return months_to_mask(_month(str(v)) for v in value if str(v).strip())
    if isinstance(value, int):  # a single month number typed into a spreadsheet cell
        return month_bit(value)
    text = fold(str(value)).strip()
    if not text:
        return None
    if text in YEAR_ROUND_WORDS:
        return ALL_MONTHS_MASK
    months: set[int] = set()
    for part in re.split(r"[,;/+]|\bva\b", text):
        part = part.strip()
        if not part:
            continue
        part = _MONTH_WORD.sub("", part).strip()
        found = _RANGE.match(part)
        if found:
            start, end = _month(found.group(1)), _month(found.group(2))
            span = (end - start) % 12 + 1
            months.update(next_months(start, span))
        else:
            months.add(_month(part))
    return months_to_mask(months)


def _runs(months: list[int]) -> list[tuple[int, int]]:
    """[11, 12, 1, 3, 4] → [(11, 1), (3, 4)] (a run may wrap the year end)."""
    present = set(months)
    runs = []
    for month in range(1, 13):
        previous = 12 if month == 1 else month - 1
        if month in present and previous not in present:
            end = month
            while (end % 12) + 1 in present and (end % 12) + 1 != month:
                end = end % 12 + 1
            runs.append((month, end))
    return runs


def format_months(mask: int | None, *, spreadsheet: bool = False) -> str:
    """"tháng 3 – tháng 10", "tháng 11 – tháng 1, tháng 5", "quanh năm" ("" when not
    stated). ``spreadsheet``: the compact form an import reads back ("3-10", "11-1, 5")."""
    from ..validation import _

    if not mask:
        return ""
    if is_year_round(mask):
        return "quanh năm" if spreadsheet else _("quanh năm")
    parts = []
    for start, end in sorted(_runs(mask_to_months(mask))):
        if spreadsheet:
            parts.append(str(start) if start == end else f"{start}-{end}")
        elif start == end:
            parts.append(_("tháng %(m)d", m=start))
        else:
            parts.append(_("tháng %(a)d – tháng %(b)d", a=start, b=end))
    return ", ".join(parts)


def available_mask_clause(column, month: int):
    """SQL twin of ``available_in``: ``column`` includes ``month`` (year-round included)."""
    return sa.and_(column.is_not(None), column.op("&")(month_bit(month)) != 0)


def season_mask_clause(column, month: int):
    """SQL: ``column`` is seasonal and includes ``month`` (same meaning as in_season).
    Bitwise AND works the same on SQLite and PostgreSQL integers."""
    return sa.and_(
        column.is_not(None),
        column != ALL_MONTHS_MASK,
        column.op("&")(month_bit(month)) != 0,
    )


def season_start(mask: int | None, day):  # noqa: ANN001, ANN201
    """The first day of the run of season months that includes ``day``'s month (the
    season under way), or None when ``day`` is not in season. A season wrapping the year
    end started the previous year (December 2026 for "12-2" on 10/01/2027)."""
    from datetime import date

    if not mask_in_season(mask, day.month):
        return None
    year, month = day.year, day.month
    for _step in range(11):
        previous = 12 if month == 1 else month - 1
        if not mask & month_bit(previous):
            break
        year, month = (year - 1, 12) if month == 1 else (year, previous)
    return date(year, month, 1)
