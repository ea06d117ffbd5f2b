"""Queries in Meilisearch's terms: filters (``filter_groups``, ``build_filter``),
sorts, the facets each request asks for and the distributions it gets back
(``facet_counts``), highlights. A new filter: docs/search.md, "Adding a filter".

Filters are nested arrays (outer AND, inner OR) of expressions whose string values
are always quoted and escaped (``escape_filter_value``): a value can never close its
quotes and add ``OR …`` to widen a filter."""
from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ...text import today_vn
from ..analysis import query_words
from ..base import PRICE_BANDS, SearchQuery

HIGHLIGHT_PRE = "\u0002"
HIGHLIGHT_POST = "\u0003"
# Meilisearch's highlight tags; never part of indexed text.
_HIGHLIGHT_MARKERS = str.maketrans("", "", "\u0002\u0003")

# Facet group name (SearchResult.facets key) → document attribute.
FACET_ATTRIBUTES: dict[str, str] = {
    "category": "category_slugs",
    "area": "area_slugs",
    "ocop_stars": "ocop_stars",
    "rural_industry": "rural_industry",
    "price_band": "price_band",
}

SORTS: dict[str, list[str]] = {
    "relevance": [],
    "price_asc": ["price_vnd:asc", "id:asc"],
    "price_desc": ["price_vnd:desc", "id:desc"],
    "newest": ["published_at:desc", "id:desc"],
    "popular": ["view_count:desc", "id:desc"],
}

FILTERABLE_ATTRIBUTES = [
    "id",
    "is_public",
    "category_slugs",
    "area_slugs",
    "seller.slug",
    "ocop_stars",
    "ocop_until",
    "rural_industry",
    "price_vnd",
    "price_band",
    "season_months",  # issue 19: months a seasonal product is in season (documents.season_months)
]


def escape_filter_value(value: Any) -> str:
    """A filter string literal: always double-quoted, ``\\`` and ``"`` escaped."""
    text = str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _eq(attribute: str, value: Any) -> str:
    return f"{attribute} = {escape_filter_value(value)}"


def today_number() -> int:
    """Today in Asia/Ho_Chi_Minh as YYYYMMDD, comparable with ``ocop_until``."""
    return int(today_vn().strftime("%Y%m%d"))


def valid_certificate_filter(today: int | None = None) -> str:
    return f"ocop_until >= {int(today if today is not None else today_number())}"


FilterPart = str | list[str]  # a string is AND-ed; a list's strings are OR-ed


def _any_of(exprs: list[str]) -> FilterPart:
    return exprs[0] if len(exprs) == 1 else list(exprs)


def filter_groups(query: SearchQuery, *, today: int | None = None) -> dict[str, list[FilterPart]]:
    """The filter parts of each filter, keyed like ``SearchResult.facets``.

    Numbers are formatted from ``int()`` (never user text); strings are escaped.
    """
    groups: dict[str, list[FilterPart]] = {}
    if query.categories:
        groups["category"] = [_any_of([_eq("category_slugs", s) for s in query.categories])]
    if query.areas:
        groups["area"] = [_any_of([_eq("area_slugs", s) for s in query.areas])]
    if query.ocop_stars:
        stars = [f"ocop_stars = {int(s)}" for s in query.ocop_stars]
        groups["ocop_stars"] = [_any_of(stars), valid_certificate_filter(today)]
    if query.rural_industry is not None:
        groups["rural_industry"] = ["rural_industry = true" if query.rural_industry else "rural_industry = false"]
    if query.seller:
        groups["seller"] = [_eq("seller.slug", query.seller)]
    if query.min_price is not None:
        groups["min_price"] = [f"price_vnd >= {int(query.min_price)}"]
    if query.max_price is not None:
        groups["max_price"] = [f"price_vnd <= {int(query.max_price)}"]
    if query.price_bands:
        known = {key for key, _, _ in PRICE_BANDS}
        bands = [_eq("price_band", key) for key in query.price_bands if key in known]
        # Only unknown band keys: nothing matches, as in the database backend.
        groups["price_band"] = [_any_of(bands) if bands else "id < 0"]
    if query.season is not None:  # not a facet: every facet is counted within the season
        groups["season"] = [f"season_months = {int(query.season)}"]
    return groups


def build_filter(query: SearchQuery, *, without: str | None = None, today: int | None = None) -> list[FilterPart]:
    """The ``filter`` parameter: outer list AND, inner lists OR.

    ``without`` drops one filter (for disjunctive facet counts). Only public
    documents ever match, even if a non-public one slipped into the index.
    """
    result: list[FilterPart] = ["is_public = true"]
    for name, parts in filter_groups(query, today=today).items():
        if name != without:
            result.extend(parts)
    return result


def query_text(text: str | None) -> str:
    """The query as the engine gets it: NFC words only (``analysis.query_words``);
    quotes would start a phrase search and a leading ``-`` would exclude."""
    return " ".join(query_words(text))


def format_highlight(formatted: str) -> Markup:
    """Engine output with \\u0002/\\u0003 around matches → HTML-safe text with <mark>."""
    safe = str(escape(formatted))
    return Markup(safe.replace(HIGHLIGHT_PRE, "<mark>").replace(HIGHLIGHT_POST, "</mark>"))


def strip_highlight_markers(value: Any) -> Any:
    """``value`` with U+0002/U+0003 removed from every string, however nested."""
    if isinstance(value, str):
        return value.translate(_HIGHLIGHT_MARKERS)
    if isinstance(value, dict):
        return {k: strip_highlight_markers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_highlight_markers(v) for v in value]
    return value


# Every document has rural_industry true or false: its distribution sums to the total.
TOTAL_FACET = "rural_industry"


def exact_total(result: dict[str, Any]) -> int:
    """The number of matches, uncapped: ``totalHits`` stops at maxTotalHits, facet
    distributions count every candidate."""
    distribution = (result.get("facetDistribution") or {}).get(TOTAL_FACET)
    capped = int(result.get("totalHits", result.get("estimatedTotalHits", 0)) or 0)
    if distribution is None:
        return capped
    return max(capped, sum(int(n) for n in distribution.values()))



def facet_counts(distribution: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Engine facet distributions → the shape DatabaseSearch returns."""

    def counts(attribute: str) -> dict[str, int]:
        return {str(k): int(v) for k, v in (distribution.get(attribute) or {}).items()}

    stars = {"3": 0, "4": 0, "5": 0}
    for key, n in counts("ocop_stars").items():
        try:
            stars[str(int(float(key)))] = n
        except ValueError:
            continue
    rural = counts("rural_industry")
    bands = {key: 0 for key, _, _ in PRICE_BANDS}
    bands.update({k: n for k, n in counts("price_band").items() if k in bands})
    return {
        "category": counts("category_slugs"),
        "area": counts("area_slugs"),
        "ocop_stars": stars,
        "rural_industry": {"true": rural.get("true", 0), "false": rural.get("false", 0)},
        "price_band": bands,
    }
