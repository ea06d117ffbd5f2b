"""The typo planner: a query's terms (``analysis.analyse``) checked against the
index's vocabulary (``search_terms``); a word the index does not hold gets its
closest indexed words (Meilisearch's typo rules: ``analysis.allowed_typos``), or is
dropped when nothing is close."""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..analysis import Analysis, adjacent_swaps, allowed_typos, analyse, osa_distance

TYPO_CANDIDATES = 5  # at most this many corrections per word


def plan(session, text: str) -> Analysis | None:
    """Terms with their typo corrections; None when nothing can match."""
    analysis = analyse(text, lambda keys: synonyms(session, keys))
    if not analysis.terms:
        return None
    single = [t for t in analysis.terms if len(t.words) == 1 and not t.synonyms]
    exact = {t.words[0] for t in single if not t.prefix}
    indexed: set[str] = set()
    if exact:
        indexed = set(
            session.execute(
                sa.text("SELECT term FROM search_terms WHERE term IN :terms").bindparams(
                    sa.bindparam("terms", expanding=True)
                ),
                {"terms": sorted(exact)},
            ).scalars()
        )
    kept = []
    for term in analysis.terms:
        if len(term.words) > 1 or term.synonyms:
            kept.append(term)  # synonym entries are curated: never corrected
            continue
        word = term.words[0]
        known = has_prefix(session, word) if term.prefix else word in indexed
        if not known:
            candidates = typo_candidates(session, word)
            if not candidates and 3 <= len(word) <= 4:
                swapped = transposition(session, word)
                if swapped is None and word[-1] == word[-2] and has_term(session, word[:-1]):
                    swapped = word[:-1]  # a doubled last letter: "ngoo" → "ngo"
                candidates = [swapped] if swapped else []
            if not candidates:
                analysis.dropped = True
                continue  # a word nothing was indexed under
            term.corrections = candidates
        kept.append(term)
    if not kept:
        return None
    analysis.terms = kept
    return analysis


def has_term(session, term: str) -> bool:
    return session.execute(sa.text("SELECT 1 FROM search_terms WHERE term = :t"), {"t": term}).first() is not None


def has_prefix(session, prefix: str) -> bool:
    row = session.execute(
        sa.text("SELECT 1 FROM search_terms WHERE term >= :lo AND term < :hi LIMIT 1"),
        {"lo": prefix, "hi": prefix + "\U0010ffff"},
    ).first()
    return row is not None


def typo_candidates(session, word: str) -> list[str]:
    limit = allowed_typos(word)
    if limit == 0:
        return []
    rows = session.execute(
        sa.text("SELECT term, docs FROM search_terms WHERE head = :h AND len BETWEEN :lo AND :hi"),
        {"h": word[0], "lo": len(word) - limit, "hi": len(word) + limit},
    ).all()
    scored = []
    for term, docs in rows:
        d = osa_distance(word, term, limit)
        if d <= limit:
            scored.append((d, -docs, term))
    scored.sort()
    return [term for _, _, term in scored[:TYPO_CANDIDATES]]


def transposition(session, word: str) -> str | None:
    for swapped in adjacent_swaps(word):
        if has_term(session, swapped):
            return swapped
    return None


def synonyms(session, keys: Sequence[str]) -> dict[str, list[str]]:
    """Synonym table rows for these folded keys (read per query: a few rows, and
    always current in every process)."""
    found: dict[str, list[str]] = {}
    rows = session.execute(
        sa.text("SELECT term, synonym FROM search_synonyms WHERE term IN :keys ORDER BY term, synonym")
        .bindparams(sa.bindparam("keys", expanding=True)),
        {"keys": sorted(set(keys))},
    ).all()
    for term, synonym in rows:
        found.setdefault(term, []).append(synonym)
    return found
