"""Per-visitor slots of cached pages: a template puts a marker where a page shows something
of the visitor's own (the CSRF token, the inquiry cart's count, the view figures, the
search-click reference), and every response has its markers replaced by this request's
values — on a cache hit and on a fresh render alike.

A marker is ``_pc<nonce>_<kind>[-arg…]_``: letters, digits, ``_`` and ``-`` only, so it
passes through HTML escaping and URL building unchanged. The nonce is random **per
render**, and filling relies on nothing else: a render notes every marker it made
(``made``), a stored page carries that list, and ``fill`` replaces exactly those strings.
So any worker, on any instance sharing the stored pages, after any restart, fills a page
another process rendered; and text a visitor or a seller typed that looks like a marker is
never matched: it was typed before the render drew its nonce. A filler never fails the
page: an unknown kind, a bad argument or an error gives "".
"""
from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable

from flask import g
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

PREFIX_LENGTH = len("_pc") + 16 + 1  # "_pc<16 hex>_"
_ARG = re.compile(r"[A-Za-z0-9]{1,32}")
MAX_ARGS = 4

_fillers: dict[str, Callable[..., str]] = {}


_before_fill: list[Callable[[object], None]] = []


def before_fill(hook: Callable[[object], None]) -> None:
    """``hook(response)`` runs once before a response's slots are filled (analytics
    records the view there, and its statement returns the figures the slots show)."""
    if hook not in _before_fill:
        _before_fill.append(hook)


def run_before_fill(response: object) -> None:
    for hook in _before_fill:
        hook(response)


def register_slot(kind: str, filler: Callable[..., str]) -> None:
    """``filler(*args) -> str`` fills the slot ``kind`` (lowercase letters: a marker's
    tail ends at its first underscore) for this request (escaped here)."""
    if not kind.isascii() or not kind.isalpha() or not kind.islower():
        raise ValueError(f"slot kind {kind!r}: lowercase letters only")
    _fillers[kind] = filler


def slot(kind: str, *args: object) -> str:
    """The marker of a per-visitor value (plain text, URL- and HTML-safe), noted as made
    by this render. Arguments are short runs of letters and digits (others are dropped)."""
    parts = [str(a) for a in args[:MAX_ARGS]]
    marker = prefix() + kind + "".join(f"-{a}" for a in parts if _ARG.fullmatch(a)) + "_"
    made = g.get("pagecache_markers")
    if made is None:
        made = g.pagecache_markers = {}
    made[marker] = None
    return marker


def prefix() -> str:
    """This render's marker prefix (its nonce drawn at the first slot)."""
    mark = g.get("pagecache_prefix")
    if mark is None:
        mark = g.pagecache_prefix = f"_pc{secrets.token_hex(8)}_"
    return mark


def visitor_slot(kind: str, *args: object) -> Markup:
    """Template global: ``{{ visitor_slot("cart") }}``."""
    return Markup(slot(kind, *args))


def made() -> tuple[str, ...]:
    """The markers this request's render made (in order)."""
    return tuple(g.get("pagecache_markers") or ())


def _value(marker: str) -> bytes:
    kind, *args = marker[PREFIX_LENGTH:-1].split("-")
    filler = _fillers.get(kind)
    if filler is None:
        return b""
    try:
        return str(escape(filler(*args))).encode()
    except Exception:  # noqa: BLE001 — a figure or token that cannot be made is left empty
        log.exception("page cache: slot %s could not be filled", kind)
        return b""


def fill(body: bytes, markers: Iterable[str]) -> bytes:
    """``body`` (UTF-8) with each of ``markers`` replaced by this request's value.

    One render's markers share its prefix, and a marker's tail (``kind-args_``) ends at
    its first underscore: the body is split once at the prefix and each piece's tail
    looked up, instead of a search and a replace over the whole page per marker."""
    markers = tuple(markers)
    if not markers:
        return body
    head = markers[0][:PREFIX_LENGTH]
    if any(not m.startswith(head) for m in markers):  # not one render's: marker by marker
        for marker in markers:
            raw = marker.encode()
            if raw in body:
                body = body.replace(raw, _value(marker))
        return body
    prefix = head.encode()
    pieces = body.split(prefix)
    if len(pieces) == 1:
        return body
    tails = {m[PREFIX_LENGTH:].encode(): m for m in markers}
    values: dict[bytes, bytes] = {}
    out = [pieces[0]]
    for piece in pieces[1:]:
        end = piece.find(b"_") + 1
        tail = piece[:end]
        marker = tails.get(tail) if end else None
        if marker is None:  # not one of this page's markers: left as it is
            out.append(prefix)
            out.append(piece)
            continue
        value = values.get(tail)
        if value is None:
            value = values[tail] = _value(marker)
        out.append(value)
        out.append(piece[end:])
    return b"".join(out)
