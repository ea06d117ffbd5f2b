"""One integer rule for query strings and URL paths.

Integers typed into a URL are plain ASCII digits within a range. Anything else never
reaches ``int()`` (which refuses more than 4,300 digits with a ValueError) or the
database (SQLite overflows above 2**63 − 1):

* ``parse_int(raw, low=, high=)`` — query strings; raises ``NotAnInteger`` or
  ``OutOfRange`` (both ValueError). The API turns them into 400 naming the field
  (``api/params.py``); the HTML pages fall back to a default (``catalog/listing.py``,
  ``page_number`` for every paginated page).
* ``<id:name>`` — the URL converter for database ids: 1 ≤ id ≤ 2**31 − 1 (INTEGER
  primary keys; PostgreSQL refuses bigger values, SQLite overflows past 2**63), otherwise
  the route does not match (404), before any view or SQL runs.
"""
from __future__ import annotations

from werkzeug.routing import BaseConverter, ValidationError

MAX_DB_INT = 2**63 - 1  # BIGINT / SQLite INTEGER
MAX_ID = 2**31 - 1  # primary keys are INTEGER: 32-bit on PostgreSQL


class NotAnInteger(ValueError):
    """Not plain ASCII digits."""


class OutOfRange(ValueError):
    """Digits, but outside the allowed range."""


def parse_int(raw: str, *, low: int = 0, high: int = MAX_DB_INT, allow_negative: bool = False) -> int:
    """``raw`` (already stripped) as an int in ``low..high``.

    Only ASCII digits (and a leading ``-`` when ``allow_negative``); no sign, spaces,
    ``1e3``, ``1_000`` or non-ASCII digits. Length is checked before ``int()``, so a
    5,000-digit value costs nothing and raises OutOfRange like any other big number.
    """
    text = raw
    negative = allow_negative and text.startswith("-")
    if negative:
        text = text[1:]
    if not text or not text.isascii() or not text.isdigit():
        raise NotAnInteger(raw)
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(max(abs(low), abs(high)))):
        raise OutOfRange(raw)
    value = -int(digits) if negative else int(digits)
    if not low <= value <= high:
        raise OutOfRange(raw)
    return value


def page_number(raw: str | None, *, high: int = 10_000) -> int:
    """A page number from an HTML page's query string: missing or junk is page 1, a
    number beyond ``high`` (of any length) is ``high``."""
    text = (raw or "").strip() or "1"
    try:
        return parse_int(text, low=1, high=high)
    except OutOfRange:  # digits: 0 (below) or too big
        return 1 if not text.strip("0") else high
    except NotAnInteger:
        return 1


class IdConverter(BaseConverter):
    """``<id:product_id>``: a database id (1 … 2**31 − 1); anything else is a 404."""

    regex = r"[0-9]{1,25}"

    def to_python(self, value: str) -> int:
        try:
            return parse_int(value, low=1, high=MAX_ID)
        except ValueError:
            raise ValidationError() from None

    def to_url(self, value) -> str:
        return str(int(value))
