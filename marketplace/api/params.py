"""Query-string validation for the JSON API, in one place.

Every parser raises ``ParamError(field, message)``; the views turn it into
``400 {"error": message, "field": field, "status": 400}``.

Rules (documented in docs/api.md):
- an empty value (``?page=``) counts as "not given";
- integers are plain ASCII digits (no sign, no ``1e3``, no ``1_000``), within a range;
- ``page`` reaches the first ``MAX_RESULT_WINDOW`` (10,000) results only: a page whose
  first result lies beyond them is a 400 on ``page`` (deep offsets are slow on every
  backend and only serve scraping);
- booleans accept ``true``/``false``/``1``/``0`` (any case);
- slugs are lower-case ASCII letters, digits and ``-``; a well-formed slug that does
  not exist filters to an empty result (200), a malformed one is a 400;
- ``q`` never fails: control characters become spaces and it is cut to 200 characters;
- unknown parameters are ignored.
"""
from __future__ import annotations

import unicodedata

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from ..search.base import MAX_QUERY_CHARS, SORTS, SearchQuery, depth_message, max_page
from ..search.filters import BY_NAME as FACETS
from ..text import is_slug
from ..web import integers

DEFAULT_PER_PAGE = 24
MAX_PER_PAGE = 100
MAX_PRICE = 10**12  # a trillion đồng; keeps every value inside BIGINT
STARS = (3, 4, 5)
MAX_SLUG_VALUES = 20

_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


class ParamError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _value(args: MultiDict, name: str) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


def _values(args: MultiDict, name: str) -> list[str]:
    """Every non-empty value of a repeatable parameter; ``a,b`` counts as two."""
    out: list[str] = []
    for raw in args.getlist(name):
        out.extend(part.strip() for part in raw.split(",") if part.strip())
    return out


def parse_int(args: MultiDict, name: str, *, default: int | None, low: int, high: int) -> int | None:
    raw = _value(args, name)
    if raw is None:
        return default
    try:
        return integers.parse_int(raw, low=low, high=high, allow_negative=True)
    except integers.NotAnInteger:
        raise ParamError(name, _("“%(name)s” phải là số nguyên.", name=name)) from None
    except integers.OutOfRange:
        if raw.startswith("-") and low >= 0:
            raise ParamError(name, _("Giá trị của “%(name)s” không được âm.", name=name)) from None
        raise ParamError(
            name, _("“%(name)s” phải nằm trong khoảng %(low)s–%(high)s.", name=name, low=low, high=high)
        ) from None


def parse_bool(args: MultiDict, name: str) -> bool | None:
    raw = _value(args, name)
    if raw is None:
        return None
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ParamError(name, _("“%(name)s” chỉ nhận true/false hoặc 1/0.", name=name))


def parse_slugs(args: MultiDict, name: str) -> tuple[str, ...]:
    values = _values(args, name)
    if len(values) > MAX_SLUG_VALUES:
        raise ParamError(name, _("Quá nhiều giá trị cho “%(name)s”.", name=name))
    for value in values:
        if not is_slug(value):
            raise ParamError(name, _("Mã “%(name)s” không hợp lệ.", name=name))
    return tuple(dict.fromkeys(values))


def parse_slug(args: MultiDict, name: str) -> str | None:
    value = _value(args, name)
    if value is None:
        return None
    if not is_slug(value):
        raise ParamError(name, _("Mã “%(name)s” không hợp lệ.", name=name))
    return value


def parse_choice(args: MultiDict, name: str, choices: tuple[str, ...]) -> str | None:
    value = _value(args, name)
    if value is None:
        return None
    if value not in choices:
        raise ParamError(name, _("“%(name)s” chỉ nhận một trong: %(choices)s.", name=name, choices=", ".join(choices)))
    return value


def parse_stars(args: MultiDict, name: str = "ocop_stars") -> tuple[int, ...]:
    stars: list[int] = []
    for raw in _values(args, name):
        if raw not in FACETS["ocop_stars"].values:
            raise ParamError(name, _("Số sao OCOP chỉ có thể là 3, 4 hoặc 5."))
        stars.append(int(raw))
    return tuple(sorted(set(stars)))


def clean_text(raw: str | None) -> str:
    """A search text that never fails: control/format characters → spaces, ≤ 200 chars."""
    if not raw:
        return ""
    cleaned = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in raw)
    return " ".join(cleaned.split())[:MAX_QUERY_CHARS].strip()


def parse_sort(args: MultiDict, name: str = "sort") -> str:
    value = _value(args, name)
    if value is None:
        return "relevance"
    if value not in SORTS:
        raise ParamError(name, _("Cách sắp xếp không hợp lệ; dùng một trong: %(sorts)s.", sorts=", ".join(SORTS)))
    return value


def parse_page(args: MultiDict) -> tuple[int, int]:
    per_page = parse_int(args, "per_page", default=DEFAULT_PER_PAGE, low=1, high=MAX_PER_PAGE) or DEFAULT_PER_PAGE
    last = max_page(per_page)
    raw = _value(args, "page")
    digits = (raw or "").lstrip("0") or "0"
    if raw is not None and raw.isascii() and raw.isdigit() and (len(digits) > 18 or int(digits) > last):
        raise ParamError("page", depth_message(per_page))
    page = parse_int(args, "page", default=1, low=1, high=last) or 1
    return page, per_page



def parse_season(args: MultiDict, name: str = "season") -> int | None:
    """``now`` (this month, Asia/Ho_Chi_Minh) or a month 1–12."""
    from ..seasons import current_month

    raw = _value(args, name)
    if raw is None:
        return None
    if raw.lower() == "now":
        return current_month()
    try:
        return integers.parse_int(raw, low=1, high=12)
    except ValueError:
        raise ParamError(name, _("“%(name)s” phải là “now” hoặc một tháng từ 1 đến 12.", name=name)) from None


def product_search_query(args: MultiDict) -> SearchQuery:
    """The SearchQuery of ``GET /api/v1/products``; raises ParamError on bad input."""
    page, per_page = parse_page(args)
    min_price = parse_int(args, "min_price", default=None, low=0, high=MAX_PRICE)
    max_price = parse_int(args, "max_price", default=None, low=0, high=MAX_PRICE)
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ParamError("min_price", _("“min_price” không được lớn hơn “max_price”."))
    return SearchQuery(
        text=clean_text(args.get("q")),
        categories=parse_slugs(args, "category"),
        areas=parse_slugs(args, "area"),
        ocop_stars=parse_stars(args),
        rural_industry=parse_bool(args, "rural_industry"),
        seller=parse_slug(args, "seller"),
        min_price=min_price,
        max_price=max_price,
        season=parse_season(args),
        sort=parse_sort(args),
        page=page,
        per_page=per_page,
        with_facets=True,
    )
