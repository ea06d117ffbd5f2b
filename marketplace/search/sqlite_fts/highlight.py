"""Product names with ``<mark>`` around the words a query matched."""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache

import sqlalchemy as sa
from markupsafe import Markup

from ...text import fold
from ..analysis import Analysis

# Tokens as the unicode61 tokenizer sees them (letters and digits; "_" separates).
_SPLIT_KEEP = re.compile(r"([^\W_]+)")


def highlights(session, ids: list[int], plan: Analysis) -> dict[int, str]:
    """The highlighted display names of these products."""
    exact: set[str] = set()
    prefixes: list[str] = []
    for t in plan.terms:
        exact.update(t.corrections)
        for words in t.synonyms:
            exact.update(words)
        if not t.corrections:
            exact.update(t.words[:-1] if t.prefix else t.words)
            if t.prefix:
                prefixes.append(t.words[-1])
    rows = session.execute(
        sa.text("SELECT id, display_name FROM search_documents WHERE id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": list(ids)},
    ).all()
    return {pid: highlight(name, exact, prefixes) for pid, name in rows}


@lru_cache(maxsize=20_000)
def _fold_word(word: str) -> str:
    return fold(word)


def highlight(name: str, exact: set[str], prefixes: Sequence[str]) -> Markup:
    """HTML-escaped ``name`` with <mark> around words whose folded form is one of
    ``exact`` or starts with one of ``prefixes``."""
    out: list[str] = []
    # split() with a capturing group alternates separator, word, separator, ...
    for i, part in enumerate(_SPLIT_KEEP.split(name)):
        if not part:
            continue
        if i % 2:
            folded = _fold_word(part)
            if folded in exact or any(folded.startswith(p) for p in prefixes):
                out.append(f"<mark>{html.escape(part)}</mark>")
                continue
        out.append(html.escape(part))
    return Markup("".join(out))
