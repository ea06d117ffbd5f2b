"""The index settings the Meilisearch engine is given (``settings_payload``) and
how they are compared with the engine's (``settings_differ``). docs/meilisearch.md."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..analysis import expand_synonyms
from ..base import MAX_RESULT_WINDOW
from .filters import FILTERABLE_ATTRIBUTES

PRIMARY_KEY = "id"
MAX_VALUES_PER_FACET = 1000

RANKING_RULES = [
    "words",
    "sort",  # right after words: it is skipped when a request has no sort
    "typo",
    "proximity",
    "attribute",
    "exactness",
    "featured_rank:desc",
    "ocop_rank:desc",
    "view_count:desc",
    "id:desc",  # deterministic order for equal documents, like the database backend
]

# Attribute order is rank: name ≫ category / seller / area ≫ description.
SEARCHABLE_ATTRIBUTES = [
    "name",
    "category_names",
    "seller.name",
    "area.name",
    "area_aliases",
    "cert_words",  # the words of its valid certifications ("VietGAP", "hữu cơ", "chỉ dẫn địa lý Tân Cương")
    "description",
]
SORTABLE_ATTRIBUTES = ["id", "price_vnd", "published_at", "view_count", "name_folded"]

# What a search returns (also all a search-only key can read): ids, links and names.
DISPLAYED_ATTRIBUTES = ["id", "slug", "name"]


def settings_payload(catalog_size: int = 0, synonyms: Mapping[str, Iterable[str]] | None = None) -> dict[str, Any]:
    """The index settings, as sent to ``PATCH /indexes/{uid}/settings``; ``synonyms``
    is the synonyms table (``synonyms.synonym_map()``, folded: Meilisearch folds the
    query the same way before looking synonyms up).

    ``catalog_size`` no longer changes anything (kept for callers): totals are exact
    without a maxTotalHits as large as the catalog (see the module docstring)."""
    return {
        "synonyms": expand_synonyms(synonyms or {}),
        "searchableAttributes": list(SEARCHABLE_ATTRIBUTES),
        "filterableAttributes": list(FILTERABLE_ATTRIBUTES),
        "sortableAttributes": list(SORTABLE_ATTRIBUTES),
        "displayedAttributes": list(DISPLAYED_ATTRIBUTES),
        "rankingRules": list(RANKING_RULES),
        # Meilisearch's defaults, stated so nobody "tunes" them away: 1 typo from 5
        # letters, 2 from 9 (the embedded backend copies this rule).
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "faceting": {"maxValuesPerFacet": MAX_VALUES_PER_FACET},
        "pagination": {"maxTotalHits": MAX_RESULT_WINDOW},
        # Marks and đ are folded by Meilisearch's normaliser for every Latin-script text
        # whatever the locale (server >= 1.7); the locale only fixes language detection
        # (no Vietnamese segmenter either way: one token per syllable).
        "localizedAttributes": [{"attributePatterns": ["*"], "locales": ["vie"]}],
    }


UNORDERED_SETTINGS = ("filterableAttributes", "sortableAttributes")


def settings_differ(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """Top-level setting names whose current value does not match ``wanted``.

    Dicts compare only the keys we set (the server fills in defaults for the rest).
    """

    def same(have: Any, want: Any) -> bool:
        if isinstance(want, dict):
            return isinstance(have, dict) and all(same(have.get(k), v) for k, v in want.items())
        return have == want

    def matches(key: str, have: Any, want: Any) -> bool:
        if key == "synonyms":  # the whole map: a removed entry must be noticed
            return have == want
        if key in UNORDERED_SETTINGS:  # the server keeps these as sets (returned sorted)
            return isinstance(have, list) and sorted(map(str, have)) == sorted(map(str, want))
        return same(have, want)

    return [key for key, value in wanted.items() if not matches(key, current.get(key), value)]

