"""The key of a cached page: locale, today's date in Việt Nam and the *canonical* URL.

A page reads only some query parameters; the rest (``utm_source``, ``fbclid``, a crawler's
inventions) are dropped, single-valued parameters keep their first value, multi-valued ones
are de-duplicated and sorted, empty values go. The request's ``args`` are then replaced by
the canonical ones, so what renders is exactly the page of the canonical URL (links built
from the current arguments included) and ``?b=2&a=1``, ``?a=1&b=2&a=1`` and
``?a=1&b=2&utm_x=…`` are one entry. Parameters a page reads for something else than its
content (``ref``: the search-click reference analytics reads) stay in ``args`` but out of
the key.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import request
from werkzeug.datastructures import ImmutableMultiDict

_LISTING_SINGLE = ("q", "rural", "min_price", "max_price", "sort", "page", "lang", "season")
_LISTING_MULTI = ("category", "area", "stars", "price", "cert")
# endpoint: (single-valued, multi-valued, kept out of the key)
PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "catalog.home": (("lang",), (), ()),
    "catalog.product": (("lang",), (), ("ref",)),
    "catalog.listing": (_LISTING_SINGLE, _LISTING_MULTI, ()),
    "catalog.category": (_LISTING_SINGLE, _LISTING_MULTI, ()),
    "catalog.area": (_LISTING_SINGLE, _LISTING_MULTI, ()),
    "sellers.profile": (_LISTING_SINGLE, _LISTING_MULTI, ()),
    "collections.detail": (("page", "lang"), (), ()),
    "seasons.calendar_page": (("thang", "lang"), (), ()),
    "traceability.scan": (("lang",), (), ()),
}


def canonical_query(endpoint: str) -> str:
    """The canonical query string of this request for ``endpoint``; the request's
    ``args`` become the canonical ones (plus the parameters kept out of the key)."""
    req = request._get_current_object()
    args = req.args
    if not args:  # most pages are asked for without a query string
        return ""
    single, multi, outside = PARAMETERS.get(endpoint, ((), (), ()))
    # ``name in args`` first: MultiDict.get raises and catches a KeyError for a missing name.
    pairs: list[tuple[str, str]] = []
    for name in single:
        value = args[name] if name in args else ""
        if value != "":
            pairs.append((name, value))
    for name in multi:
        if name in args:
            values = sorted({v.strip() for v in args.getlist(name) if v.strip()})
            pairs.extend((name, v) for v in values)
    pairs.sort()
    kept = [(name, args[name]) for name in outside if name in args and args[name]]
    req.__dict__["args"] = ImmutableMultiDict(pairs + kept)  # Request.args is a cached property
    return urlencode(pairs)


def page_key(endpoint: str, locale: str, today: date) -> str:
    query = canonical_query(endpoint)
    return f"{locale} {today.isoformat()} {request.path}" + (f"?{query}" if query else "")
