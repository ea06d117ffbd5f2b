"""Query analysis shared by every search backend.

One place decides what a buyer's query *is* before any engine sees it:

* ``normalise`` — Unicode NFC first. Some keyboards and copy-pastes produce
  decomposed text (NFD: ``a`` + U+0302 + U+0300 instead of ``ầ``); a ``\\w+``
  tokeniser would split such words at the combining marks ("Tân Cương" →
  ``Ta n Cu o ng``) and find nothing.
* ``query_words`` — the words as typed (NFC, original case and marks), at most
  MAX_TOKENS, only word characters: quotes, ``-``, ``*`` or ``NEAR(`` never reach
  an engine's query syntax.
* ``fast_fold`` / ``like_tokens`` — folded text and words (lower case, marks removed, đ→d), the
  form every index stores.
* ``marks_code`` — a word with its marks spelled in ASCII (VNI: ``vàng`` →
  ``va2ng``, ``hóa`` → ``ho1a``), so an index that folds text can still tell
  ``hoa`` from ``hóa`` (the exactness rule: when the buyer typed marks, the same
  marks rank first). A prefix of a word encodes to a prefix of its code.
* typo tolerance rules (Meilisearch's defaults): ``allowed_typos``, ``osa_distance``,
  ``adjacent_swaps``.
* ``analyse`` — the terms of a query: folded words, the last one a prefix whatever
  its length, multi-word synonym groups, and the marks the buyer typed. Backends
  add what depends on their index (typo corrections from their vocabulary).
* ``match_last`` — when nothing matches, trailing words dropped one at a time
  (every backend, after its own typo step).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from ..text import fold
from .base import MAX_QUERY_CHARS, MAX_TOKENS

# Tokens as FTS5's unicode61 tokenizer sees them (letters and digits; "_" separates).
WORD = re.compile(r"[^\W_]+")
_SPACES = re.compile(r"\s+")
MAX_SYNONYM_WORDS = 4  # as marketplace.search.synonyms.MAX_WORDS


def normalise(text: str | None) -> str:
    """NFC, cut to MAX_QUERY_CHARS."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", text[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]


def query_words(text: str | None) -> list[str]:
    """The words of a user query as typed (NFC), at most MAX_TOKENS."""
    return WORD.findall(normalise(text))[:MAX_TOKENS]


def words_of(text: str) -> list[str]:
    """Word tokens of already folded/normalised text."""
    return WORD.findall(text)


class _FoldTable(dict):
    """``str.translate`` table computing ``marketplace.text.fold`` one character at a
    time (memoised): the same result, several times faster on long descriptions."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        value = " " if ch.isspace() else fold(ch)
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()


def fast_fold(text: str | None) -> str:
    """Equal to ``marketplace.text.fold`` (a property test checks it)."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text.translate(_FOLD_TABLE)).strip()


_LIKE_WORD = re.compile(r"\w+")


def like_tokens(text: str | None) -> list[str]:
    """Folded ``\\w+`` tokens of a user query (``_`` kept inside words, escaped later),
    at most MAX_TOKENS: the substring search of the database backend."""
    return _LIKE_WORD.findall(fast_fold(normalise(text)))[:MAX_TOKENS]


# -- marks --------------------------------------------------------------------------

# VNI input-method digits: tones 1-5, then vowel marks 6 (^), 7 (horn), 8 (breve), đ = d9.
_MARK_DIGITS = {
    "\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5",
    "\u0302": "6", "\u031b": "7", "\u0306": "8",
}


def _code_char(ch: str) -> str:
    if ch == "đ":
        return "d9"
    parts = unicodedata.normalize("NFD", ch)
    base = "".join(c for c in parts if not unicodedata.combining(c))
    digits = [_MARK_DIGITS[c] for c in parts if c in _MARK_DIGITS]
    digits.sort(key=lambda d: (d not in "678", d))  # vowel mark first, then tone
    return base + "".join(digits)


def marks_code(word: str) -> str:
    """``Vàng`` → ``va2ng``; unmarked words are unchanged (lower-cased)."""
    word = unicodedata.normalize("NFC", word).lower()
    if word.isascii():
        return word
    return "".join(_code_char(ch) for ch in word)


def has_marks(word: str) -> bool:
    return fast_fold(word) != unicodedata.normalize("NFC", word).lower()


# Marks tokens start with "đ", which folded query words never contain (fold maps đ→d
# and FTS5's unicode61 tokenizer keeps it): a plain query can never match them, so
# the engine needs no column filter to keep them out of ordinary matching.
MARKS_TAG = "đ"


def marks_token(word: str) -> str:
    return MARKS_TAG + marks_code(word)


def marks_text(name: str) -> str:
    """Every word of ``name`` as a marks token (the index's marks column)."""
    return " ".join(marks_token(w) for w in WORD.findall(unicodedata.normalize("NFC", name)))


# -- typos --------------------------------------------------------------------------


def allowed_typos(word: str) -> int:
    """Meilisearch defaults: 1 typo from 5 letters, 2 from 9."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (an adjacent transposition is one edit),
    returning ``limit + 1`` as soon as the distance must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def adjacent_swaps(word: str) -> list[str]:
    """``tna`` → ``nta``, ``tan``: each pair of different adjacent letters swapped."""
    out: list[str] = []
    for i in range(len(word) - 1):
        if word[i] != word[i + 1]:
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if swapped not in out:
                out.append(swapped)
    return out


# -- terms --------------------------------------------------------------------------


@dataclass
class Term:
    """One unit of a query: a word, or several words that form a synonym entry."""

    words: tuple[str, ...]  # folded words as typed
    marks: tuple[str, ...]  # the same words as marks tokens (only meaningful if typed)
    prefix: bool = False  # the query's last word: matched as a prefix
    corrections: list[str] = field(default_factory=list)  # indexed words replacing a typo
    synonyms: list[tuple[str, ...]] = field(default_factory=list)  # folded word sequences

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def corrected(self) -> str | None:
        return self.corrections[0] if self.corrections else None


@dataclass
class Analysis:
    terms: list[Term]
    typed_marks: bool  # the buyer typed at least one mark: same marks rank first
    dropped: bool = False

    @property
    def corrected_text(self) -> str | None:
        if not any(t.corrections for t in self.terms):
            return None
        return " ".join(t.corrected or t.text for t in self.terms)

    def without_last(self) -> Analysis:
        return Analysis(self.terms[:-1], self.typed_marks, dropped=True)


SynonymLookup = Callable[[Sequence[str]], Mapping[str, Sequence[str]]]


def synonym_keys(words: Sequence[str]) -> list[str]:
    """Every run of 1..MAX_SYNONYM_WORDS consecutive words (synonym table keys)."""
    keys = []
    for i in range(len(words)):
        for n in range(1, MAX_SYNONYM_WORDS + 1):
            if i + n <= len(words):
                keys.append(" ".join(words[i : i + n]))
    return keys


def analyse(text: str | None, synonyms: SynonymLookup | None = None) -> Analysis:
    """Terms of a query. ``synonyms(keys)`` returns ``{key: [synonym, ...]}`` (folded)
    for the keys it knows; the longest run of words that is a key becomes one term."""
    typed = query_words(text)
    folded = [fast_fold(w) for w in typed]
    pairs = [(f, marks_code(w)) for f, w in zip(folded, typed) if f]
    folded = [f for f, _ in pairs]
    codes = [MARKS_TAG + c for _, c in pairs]
    typed_marks = any(f != c for f, c in pairs)
    found: Mapping[str, Sequence[str]] = synonyms(synonym_keys(folded)) if (synonyms and folded) else {}
    terms: list[Term] = []
    i = 0
    while i < len(folded):
        n = 1
        for size in range(min(MAX_SYNONYM_WORDS, len(folded) - i), 1, -1):
            if " ".join(folded[i : i + size]) in found:
                n = size
                break
        key = " ".join(folded[i : i + n])
        term = Term(
            words=tuple(folded[i : i + n]),
            marks=tuple(codes[i : i + n]),
            synonyms=[tuple(words_of(s)) for s in found.get(key, ()) if words_of(s)],
        )
        terms.append(term)
        i += n
    if terms:
        terms[-1].prefix = True
    return Analysis(terms, typed_marks)


def expand_synonyms(mapping: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """A synonym map as Meilisearch's ``synonyms`` setting wants it (sorted lists)."""
    return {term: sorted(set(values)) for term, values in sorted(mapping.items())}


# -- nothing matched ------------------------------------------------------------------

T = TypeVar("T")
R = TypeVar("R")


def match_last(
    run: Callable[[T], R],
    terms: T,
    *,
    found: Callable[[R], bool],
    result: R | None = None,
    shorter: Callable[[T], T] = lambda terms: terms[:-1],  # type: ignore[index]
    size: Callable[[T], int] = len,  # type: ignore[assignment]
) -> tuple[R, T]:
    """Meilisearch's ``matchingStrategy: "last"``, as every backend applies it after
    its own typo step (corrections from its vocabulary, words nothing holds dropped):
    ``run(terms)`` (unless ``result`` is already its answer); while that finds nothing
    and more than one term is left, the last term is dropped and ``run`` again.
    Returns the last answer and the terms it used."""
    if result is None:
        result = run(terms)
    while not found(result) and size(terms) > 1:
        terms = shorter(terms)
        result = run(terms)
    return result, terms
