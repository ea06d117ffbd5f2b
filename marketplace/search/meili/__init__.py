"""Meilisearch backend, through the official ``meilisearch`` client (0.31–0.43).

``engine.py`` is the engine over HTTP (searches, the live index, settings, health),
``delivery.py`` what goes into the index (beside ``search/outbox.py``),
``filters.py`` and ``settings.py`` the translation of queries and of the index
settings, ``tasks.py`` engine errors and task waits. What it relies on:
docs/meilisearch.md.
"""
from __future__ import annotations

from .delivery import meili_document
from .engine import MeiliSearch, is_search_only
from .filters import (
    FACET_ATTRIBUTES,
    SORTS,
    build_filter,
    escape_filter_value,
    facet_counts,
    filter_groups,
    format_highlight,
)
from .settings import settings_differ, settings_payload

__all__ = [
    "FACET_ATTRIBUTES",
    "SORTS",
    "MeiliSearch",
    "build_filter",
    "escape_filter_value",
    "facet_counts",
    "filter_groups",
    "format_highlight",
    "is_search_only",
    "meili_document",
    "settings_differ",
    "settings_payload",
]
