"""Text matching of the database search: folded substrings of ``Product.search_text``
(every query word must occur; the last is thereby a prefix as typed), a word within
one typo (``term_condition``), and the relevance flags a substring can give."""
from __future__ import annotations

import re
from typing import NamedTuple

import sqlalchemy as sa

from ...catalog.models import Product
from ...extensions import db
from ..analysis import like_tokens

# Meilisearch's typo rule: no typo below 5 letters; 3-4 letter words only get the
# adjacent-letter swap the engines also try ("tna" → "tan").
MIN_TYPO_LENGTH = 5
MIN_SWAP_LENGTH = 3
# Longer "words" are codes or keyboard mashing, not words with a typo (Vietnamese
# syllables have at most 7 letters); their patterns would only cost scans.
MAX_TYPO_LENGTH = 15


class Term(NamedTuple):
    """A folded query word; ``fuzzy`` once it matched nothing exactly."""

    token: str
    fuzzy: bool = False


def query_tokens(text: str | None) -> list[str]:
    """Folded word tokens of a user query, at most MAX_TOKENS (``analysis.like_tokens``:
    NFC first; ``\\w`` keeps letters, digits and ``_``, escaped before LIKE; anything
    else — punctuation, ``%``, control characters, NUL — only separates tokens)."""
    return like_tokens(text)


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _edits(token: str) -> list[tuple[str, ...]]:
    """The words one edit away from ``token`` as literal parts joined by a
    one-character wildcard: adjacent swaps, and from MIN_TYPO_LENGTH letters also
    deletions, substitutions and insertions."""
    n = len(token)
    edits = [(token[:i] + token[i + 1] + token[i] + token[i + 2:],) for i in range(n - 1) if token[i] != token[i + 1]]
    if n >= MIN_TYPO_LENGTH:
        edits += [(token[:i] + token[i + 1:],) for i in range(n)]
        edits += [(token[:i], token[i + 1:]) for i in range(n)]
        edits += [(token[:i], token[i:]) for i in range(n + 1)]
    return edits


def edit_patterns(token: str) -> list[str]:
    """LIKE patterns (without the outer ``%``) for the words one edit away from
    ``token`` (``_edits``; ``_`` is LIKE's one-character wildcard)."""
    patterns = ["_".join(_like_escape(p) for p in parts) for parts in _edits(token)]
    return list(dict.fromkeys(p for p in patterns if p))


def edit_regex(token: str) -> str:
    """One PostgreSQL regular expression for ``token`` or any word one edit away
    (``_edits``; ``.`` is the one-character wildcard, other non-word characters
    escaped): a single pass over the text instead of one LIKE per pattern."""
    alternatives = [(token,), *_edits(token)]
    escaped = [".".join(re.sub(r"(\W)", r"\\\1", p) for p in parts) for parts in alternatives]
    return "(" + "|".join(dict.fromkeys(e for e in escaped if e)) + ")"


def can_be_fuzzy(token: str) -> bool:
    return MIN_SWAP_LENGTH <= len(token) <= MAX_TYPO_LENGTH and not token.isdigit()


def term_condition(term: Term, column) -> sa.ColumnElement[bool]:
    """``column`` holds ``term``: as a substring, or (fuzzy) within one typo. On
    PostgreSQL a typo is one regular expression (``~``, served by the pg_trgm index):
    the planner takes a table scan with 20-30 ``LIKE`` per row for cheap on a small
    table, and it costs 20-35 ms on the demo catalog; elsewhere ``LIKE`` patterns."""
    exact = column.like(f"%{_like_escape(term.token)}%", escape="\\")
    if not term.fuzzy:
        return exact
    if _dialect() == "postgresql":
        return column.regexp_match(edit_regex(term.token))
    fuzzy = [column.like(f"%{p}%", escape="\\") for p in edit_patterns(term.token)]
    return sa.or_(exact, *fuzzy)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def relevance_columns(terms: list[Term]) -> list[sa.ColumnElement[int]]:
    """Text-match ranks (higher first), from ``search_text``, which starts with the
    folded name: the name holds the whole query as a phrase; the name starts with it;
    the name holds every word; the phrase appears anywhere. Phrase flags need the
    words as typed, so a query with typo-matched words ranks by the name flag only."""
    if not terms:
        return []
    # fold() does not lengthen Vietnamese text: the first len(name) characters cover the name.
    name_part = sa.func.substr(Product.search_text, 1, sa.func.length(Product.name))

    def flag(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.case((cond, 1), else_=0)

    name_words = flag(sa.and_(*(term_condition(t, name_part) for t in terms)))
    if any(t.fuzzy for t in terms):
        return [sa.literal(0), sa.literal(0), name_words, sa.literal(0)]
    phrase = _like_escape(" ".join(t.token for t in terms))
    return [
        flag(name_part.like(f"%{phrase}%", escape="\\")),
        flag(Product.search_text.like(f"{phrase}%", escape="\\")),
        name_words,
        flag(Product.search_text.like(f"%{phrase}%", escape="\\")),
    ]


def relevance(terms: list[Term]) -> list:
    return [col.desc() for col in relevance_columns(terms)]
