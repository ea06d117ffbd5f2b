"""``url_for`` for the many links of one page that differ only in one URL-safe value.

A product grid links every card to its page and its photo renditions; ``url_for`` costs
a routing-map build each time. ``url_for_value`` builds the URL once per request with a
marker in place of the value and then only splices values in: the result is the same
string ``url_for`` gives. Only values made of unreserved URL characters and ``/`` (which
``url_for`` leaves as they are) take the short way; anything else, or a URL that
``url_for`` gives a query string or changes the marker in, goes through ``url_for``
itself. The parts live in ``g``: nothing is kept across requests.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from flask import g, url_for

_MARKER = "urlvaluemarker0"
_SAFE = re.compile(r"[A-Za-z0-9._~/-]+")


def _parts(endpoint: str, arg: str, external: bool) -> tuple[str, str] | None:
    cache = g.get("_url_parts")
    if cache is None:
        cache = g._url_parts = {}
    key = (endpoint, arg, external)
    if key not in cache:
        url = url_for(endpoint, _external=external, **{arg: _MARKER})
        parts = None
        if url.count(_MARKER) == 1 and "?" not in url and "#" not in url:
            before, after = url.split(_MARKER)
            parts = (before, after)
        cache[key] = parts
    return cache[key]


def url_for_value(endpoint: str, arg: str, value: str, *, external: bool = False, **query: str | None) -> str:
    """``url_for(endpoint, **{arg: value}, _external=external, **query)``, cheaply when it
    can be (``None`` query values are left out, as ``url_for`` does)."""
    query = {k: v for k, v in query.items() if v is not None}
    safe = _SAFE.fullmatch(value) and all(isinstance(v, str) and _SAFE.fullmatch(v) for v in query.values())
    parts = _parts(endpoint, arg, external) if safe else None
    if parts is None:
        return url_for(endpoint, _external=external, **{arg: value}, **query)
    url = parts[0] + value + parts[1]
    return url + "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else url


def url_builder(endpoint: str, arg: str, *, external: bool = False) -> Callable[[str], str]:
    """``url_for_value`` for several values in a row (one lookup of the parts)."""
    parts = _parts(endpoint, arg, external)

    def build(value: str) -> str:
        if parts is None or not _SAFE.fullmatch(value):
            return url_for(endpoint, _external=external, **{arg: value})
        return parts[0] + value + parts[1]

    return build
