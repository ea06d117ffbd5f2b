"""Relevance: Meilisearch's default ranking rules, and the embedded engine's version.

Rules 2–5 are dimensions of FTS5 expressions (levels), best first; a product sorts by
its first matching level in each. The rules and how each backend follows them:
docs/search.md, "Relevance rules".
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from .analysis import Analysis, Term

# Attribute order, best first (the FTS5 table's columns and Meilisearch's
# searchableAttributes say the same).
ATTRIBUTES = ("name", "category", "seller", "area", "description")
# Words allowed between two neighbouring query words for the "near" proximity level.
NEAR_GAP = 3
# Phrase/NEAR expressions are built per combination of a term's forms (typo
# corrections, synonyms): at most this many combinations, the first forms first.
MAX_COMBINATIONS = 16
# Tie-breakers after the text rules, as SQL over search_facets f: featured, popularity,
# then the newest listing (highest id) — the order of index ix_search_facets_popular
# (featured, views, rowid), so a dense tier is read in order without sorting.
TIE_BREAKERS = "f.featured DESC, f.views DESC, f.id DESC"


def _columns(names) -> str:
    return "{" + " ".join(names) + "}"


# Proximity counts in the name: a phrase in the seller's name ("HTX rượu men lá …") or
# in a long description ("… hợp pha với chè Tân Cương") says little about what the
# product is; it must not lift "Rượu ngô men lá" above "Rượu men lá" or honey above
# "Chè búp Tân Cương". Elsewhere the attribute rule decides.
PROXIMITY_FIELDS = "name"


def quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _phrase(words: tuple[str, ...], prefix: bool) -> str:
    return " + ".join(quote(w) for w in words) + ("*" if prefix else "")


def forms(term: Term, *, synonyms: bool = True, whole: bool = False) -> list[tuple[tuple[str, ...], bool]]:
    """The ways a term may match: (words, last word is a prefix)."""
    if term.corrections:
        out = [((c,), False) for c in term.corrections]
    else:
        out = [(term.words, term.prefix and not whole)]
    if synonyms:
        out += [(s, False) for s in term.synonyms]
    return out


def term_expr(term: Term, **kw) -> str:
    parts = [_phrase(words, prefix) for words, prefix in forms(term, **kw)]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def all_words(analysis: Analysis, *, synonyms: bool = True, whole_last: bool = False) -> str:
    last = len(analysis.terms) - 1
    return " AND ".join(
        term_expr(t, synonyms=synonyms, whole=whole_last and i == last) for i, t in enumerate(analysis.terms)
    )


def match(analysis: Analysis) -> str:
    """Every term in any text field: the set of results. No column filter (filters
    cost a position-list check per match): the marks column's tokens all start with
    ``analysis.MARKS_TAG``, which no folded query word contains."""
    return all_words(analysis)


def name_match(analysis: Analysis) -> str:
    """Every term in the name (suggestions)."""
    return f"name : ({all_words(analysis)})"


def _combinations(analysis: Analysis) -> list[list[tuple[tuple[str, ...], bool]]]:
    per_term = [forms(t) for t in analysis.terms]
    return list(itertools.islice(itertools.product(*per_term), MAX_COMBINATIONS))


@dataclass
class Dimension:
    rule: str
    levels: list[str]  # FTS5 expressions, best first


def dimensions(analysis: Analysis) -> list[Dimension]:
    """The rule dimensions of a query, in rule order; dimensions with a single
    possible level are left out (they cannot change the order)."""
    terms = analysis.terms
    dims: list[Dimension] = []
    if len(terms) > 1:
        combos = _combinations(analysis)
        phrase = " OR ".join(
            f"{PROXIMITY_FIELDS} : ({_phrase(tuple(w for form, _ in c for w in form), c[-1][1])})" for c in combos
        )
        near = " OR ".join(
            f"{PROXIMITY_FIELDS} : NEAR({' '.join(_phrase(f, p) for f, p in c)}, {NEAR_GAP * (len(c) - 1)})"
            for c in combos
        )
        dims.append(Dimension("proximity", [phrase, near]))
    words = all_words(analysis)
    dims.append(
        Dimension("attribute", [f"{_columns(ATTRIBUTES[: k + 1])} : ({words})" for k in range(len(ATTRIBUTES) - 1)])
    )
    if any(t.synonyms for t in terms):
        dims.append(Dimension("synonyms", [f"name : ({all_words(analysis, synonyms=False)})"]))
    exact: list[str] = []
    last = terms[-1]
    whole = (
        all_words(analysis, whole_last=True)
        # one letter is typing in progress, not a word the buyer meant exactly
        if last.prefix and not last.corrections and len(last.words[-1]) > 1
        else None
    )
    marks = None
    if analysis.typed_marks:
        marked = [t for t in terms if not t.corrections]
        if marked:
            marks = " AND ".join(_phrase(t.marks, t.prefix) for t in marked)
    if whole and marks:
        exact = [f"({whole}) AND ({marks})", whole, marks]
    elif whole or marks:
        exact = [whole or marks]
    if exact:
        dims.append(Dimension("exactness", exact))
    return dims


def _implies_all_in_name(dim: Dimension, level: int) -> bool:
    """Whether matching this level means every query word is in the name: the
    proximity levels (phrase and NEAR in the name) and the synonym rule's level (the
    buyer's own words in the name)."""
    return level < len(dim.levels) and dim.rule in ("proximity", "synonyms")


def tier_parts(dims: list[Dimension], combo: tuple[int, ...]) -> list[str] | None:
    """The FTS5 expressions of one tier (a level per dimension), or None when no
    product can hold exactly these levels.

    A tier's query returns the products whose level is at most the tier's in every
    dimension, so a tier no product holds exactly can only return products of
    earlier tiers and is skipped. Levels that imply every word in the name make the
    attribute rule's first level (every word in the name) certain: a tier combining
    them with a later attribute level is empty, and with the first one its
    attribute expression adds nothing and is left out (same products, one
    position-list check less per match)."""
    in_name = any(_implies_all_in_name(dims[d], level) for d, level in enumerate(combo))
    parts: list[str] = []
    for d, level in enumerate(combo):
        dim = dims[d]
        if dim.rule == "attribute" and in_name:
            if level > 0:
                return None
            continue
        if level < len(dim.levels):
            parts.append(dim.levels[level])
    return parts
