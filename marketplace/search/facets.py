"""Facet counting shared by the backends.

Every backend counts the same five facets the same way (the contract suite checks
it): counts are *disjunctive* (each facet counted with every other filter applied,
its own left out), and the two tree facets — category and area — are *rolled up*:
a product counts for its own category/area and for every ancestor, so a count always
equals the total you get by selecting that value (filters include descendants).

``rolled_up`` is the roll-up for every backend that counts by id (database, FTS5);
Meilisearch gets the same numbers from its ``category_slugs``/``area_slugs`` arrays,
which hold the value and its ancestors. ``pack_facets``/``disjunctive_counts`` are
the FTS5 engine's one-pass counting over packed facet keys. The facets themselves
are declared in ``filters.py``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from .base import PRICE_BANDS

# The facets packed into one key (``pack_facets``), in their order there.
PACKED = ("category", "area", "ocop_stars", "rural_industry", "price_band")
BAND_KEYS = tuple(key for key, _, _ in PRICE_BANDS)


def tree(rows: Iterable[tuple[int, int | None, str]]) -> tuple[dict[int, int | None], dict[int, str]]:
    """``(id, parent_id, slug)`` rows → (parent of id, slug of id)."""
    parent_of: dict[int, int | None] = {}
    slug_of: dict[int, str] = {}
    for node, parent, slug in rows:
        parent_of[node] = parent
        slug_of[node] = slug
    return parent_of, slug_of


def descendants(pairs: Iterable[tuple[int, int | None]], roots: Iterable[int]) -> set[int]:
    """``roots`` and every node below them, from ``(id, parent_id)`` pairs."""
    children: dict[int | None, list[int]] = {}
    for oid, parent in pairs:
        children.setdefault(parent, []).append(oid)
    out: set[int] = set()
    stack = list(roots)
    while stack:
        oid = stack.pop()
        if oid in out:
            continue
        out.add(oid)
        stack.extend(children.get(oid, []))
    return out


def subtree_ids(rows: Iterable[tuple[int, int | None, str]], slugs: Iterable[str]) -> list[int]:
    """Ids of the nodes named by ``slugs`` and of all their descendants, from
    ``(id, parent_id, slug)`` rows (category or area)."""
    rows = list(rows)
    wanted = set(slugs)
    return sorted(descendants(((oid, parent) for oid, parent, _ in rows),
                              (oid for oid, _, slug in rows if slug in wanted)))


def rolled_up(counts: Mapping[int, int], parent_of: Mapping[int, int | None], slug_of: Mapping[int, str]) -> dict[str, int]:
    """Counts per node id → counts per slug, each added to every ancestor too."""
    total: dict[str, int] = {}
    for node_id, n in counts.items():
        seen: set[int] = set()
        node: int | None = node_id
        while node is not None and node in slug_of and node not in seen:
            seen.add(node)
            total[slug_of[node]] = total.get(slug_of[node], 0) + n
            node = parent_of.get(node)
    return total


# -- packed keys (FTS5) -----------------------------------------------------------


def pack_facets(category_id: int | None, area_id: int | None, stars: int | None, rural: int, band: int) -> int:
    """The five facet values in one integer, so that counting groups sorts one
    column instead of five (ids below 10^6 for areas, any size for categories)."""
    return (category_id or 0) * 10**9 + (area_id or 0) * 1000 + (stars or 0) * 100 + rural * 10 + band


@lru_cache(maxsize=262_144)
def unpack_facets(key: int) -> tuple[int | None, int | None, int | None, int, int]:
    category_id, rest = divmod(key, 10**9)
    area_id, rest = divmod(rest, 1000)
    stars, rest = divmod(rest, 100)
    rural, band = divmod(rest, 10)
    return category_id or None, area_id or None, stars or None, rural, band


Predicate = Callable[[tuple], bool]


def disjunctive_counts(rows: Mapping[int, int], preds: Mapping[str, Predicate]) -> tuple[int, list[dict]]:
    """Exact total and disjunctive counts per facet (by id / value index, in
    PACKED order) from document counts per packed facet key."""
    counts: list[dict] = [{} for _ in PACKED]
    total = 0
    active = [(PACKED.index(name), pred) for name, pred in preds.items()]
    passed = rows  # keys that every filter accepts
    if active:
        passed = {}
        for fkey, n in rows.items():
            row = unpack_facets(fkey)
            failed = -1  # index of the one facet whose own filter rejects the row
            for idx, pred in active:
                if not pred(row):
                    if failed >= 0:
                        failed = -2
                        break
                    failed = idx
            if failed == -1:
                passed[fkey] = n
            elif failed >= 0:
                key = row[failed]
                if key is not None:
                    c = counts[failed]
                    c[key] = c.get(key, 0) + n
    # Keys accepted by every filter count in every facet. Marginals in two steps
    # (category/area part, stars/rural/band part: see pack_facets), so that the
    # loop over thousands of keys does two dict updates instead of five.
    high: dict[int, int] = {}
    low: dict[int, int] = {}
    for fkey, n in passed.items():
        total += n
        h, lo = divmod(fkey, 1000)
        high[h] = high.get(h, 0) + n
        low[lo] = low.get(lo, 0) + n
    for h, n in high.items():
        cat, area = divmod(h, 10**6)
        for idx, key in ((0, cat), (1, area)):
            if key:
                c = counts[idx]
                c[key] = c.get(key, 0) + n
    for lo, n in low.items():
        stars, rest = divmod(lo, 100)
        rural, band = divmod(rest, 10)
        for idx, key in ((2, stars or None), (3, rural), (4, band)):
            if key is not None:
                c = counts[idx]
                c[key] = c.get(key, 0) + n
    return total, counts
