"""The facet filters a buyer can narrow a listing by, declared once.

A facet filter is a group of checkboxes with counts. Its ``FacetFilter`` names it
(the key of ``SearchResult.facets`` and of every engine's clause), the
``SearchQuery`` field holding the selected values, its query-string names on the
pages and in the API, and the values always counted (zero when nothing matches).
Each engine translates every declared filter by that name in one module:
``sqlite_fts/filters.py``, ``fallback/filters.py`` and ``meili/filters.py`` (with
``FILTERABLE_ATTRIBUTES``); ``tests/search/test_filter_seam.py`` fails while one of
them lacks a declared filter. How to add one: docs/search.md, "Adding a filter".
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..certifications.models import KINDS as CERT_KINDS
from .base import PRICE_BANDS


@dataclass(frozen=True)
class FacetFilter:
    name: str  # SearchResult.facets key, engines' clause key
    field: str  # SearchQuery attribute with the selected values
    page_param: str  # listing pages' query-string name
    api_param: str  # GET /api/v1/products' query-string name
    values: tuple[str, ...] | None = None  # facet keys always present; None: open (tree slugs)


FACET_FILTERS: tuple[FacetFilter, ...] = (
    FacetFilter("category", "categories", "category", "category"),
    FacetFilter("area", "areas", "area", "area"),
    FacetFilter("ocop_stars", "ocop_stars", "stars", "ocop_stars", values=("3", "4", "5")),
    FacetFilter("rural_industry", "rural_industry", "rural", "rural_industry", values=("true", "false")),
    FacetFilter("price_band", "price_bands", "price", "price_band", values=tuple(key for key, _, _ in PRICE_BANDS)),
    # Certifications (issue 18): a product holding a valid one of any selected kind.
    FacetFilter("cert", "cert_kinds", "cert", "cert", values=CERT_KINDS),
)

FACET_NAMES: tuple[str, ...] = tuple(f.name for f in FACET_FILTERS)
BY_NAME: dict[str, FacetFilter] = {f.name: f for f in FACET_FILTERS}


def empty_facets() -> dict[str, dict[str, int]]:
    """Every declared facet with nothing counted."""
    return {f.name: {v: 0 for v in f.values or ()} for f in FACET_FILTERS}


def complete(raw: Mapping[str, Mapping[str, int]] | None) -> dict[str, dict[str, int]]:
    """Every declared facet, whatever an engine returned: fixed values zero-filled
    (and only those), open ones as counted."""
    raw = raw or {}
    out: dict[str, dict[str, int]] = {}
    for f in FACET_FILTERS:
        counts = raw.get(f.name) or {}
        if f.values is None:
            out[f.name] = {str(k): int(n) for k, n in counts.items()}
        else:
            out[f.name] = {v: int(counts.get(v, 0)) for v in f.values}
    return out
