"""Meilisearch backend, through the official ``meilisearch`` client (0.31–0.43).

Writes go through the outbox (``search/outbox.py``); engine trouble of any kind
surfaces as ``SearchUnavailable``, so the degraded wrapper answers from the database.
The facts it relies on (tasks, filter quoting, totals, disjunctive facets, highlights,
ranking numbers, certificate expiry): docs/search.md, "The Meilisearch backend";
running a server: docs/meilisearch.md.
"""
from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

import requests
import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import Session, selectinload

from ..catalog import queries as cq
from ..catalog.models import Area, Category, Product
from ..extensions import db
from ..text import today_vn, utcnow
from . import outbox
from .analysis import adjacent_swaps, expand_synonyms, query_words
from .base import (
    MAX_RESULT_WINDOW,
    PRICE_BANDS,
    Health,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)

log = logging.getLogger(__name__)

PRIMARY_KEY = "id"
HIGHLIGHT_PRE = "\u0002"
HIGHLIGHT_POST = "\u0003"
MAX_VALUES_PER_FACET = 1000
# Error codes saying the index is missing or lost its settings (deleted, then recreated
# without them by a document addition, so filters on `id`/`is_public` are refused).
SETTINGS_LOST_CODES = frozenset(
    {"index_not_found", "invalid_search_filter", "invalid_document_filter", "invalid_search_sort",
     "invalid_search_facets"}
)
# Failed-task codes that are not about one document: resending fewer cannot help.
ENGINE_FAILURE_CODES = frozenset(
    {"internal", "io_error", "no_space_left_on_device", "database_size_limit_reached", "too_many_open_files"}
) | SETTINGS_LOST_CODES
# Meilisearch's highlight tags; never part of indexed text.
_HIGHLIGHT_MARKERS = str.maketrans("", "", "\u0002\u0003")
# A reindex may replay changes committed by transactions that began up to this long
# before it started (their outbox rows carry the time of the insert, not the commit).
REPLAY_MARGIN = timedelta(minutes=5)

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
    "description",
]

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


def meili_document(product: Product) -> dict[str, Any]:
    """``product_to_document`` plus the numeric fields custom ranking rules need.

    The highlight tags (U+0002/U+0003) are stripped from every string: inside a name
    they would turn into ``<mark>`` in the results page."""
    from .documents import product_to_document

    doc = strip_highlight_markers(product_to_document(product))
    doc["featured_rank"] = 1 if doc.get("featured") else 0
    doc["ocop_rank"] = int(doc.get("ocop_stars") or 0)
    expires = doc.get("ocop_expires_on") if doc.get("ocop_stars") else None
    doc["ocop_until"] = int(str(expires).replace("-", "")) if expires else 0
    return doc


def _load_products(session: Session, ids: Sequence[int]) -> list[Product]:
    if not ids:
        return []
    stmt = (
        sa.select(Product)
        .where(Product.id.in_(list(ids)))
        .options(
            selectinload(Product.seller),
            selectinload(Product.category).selectinload(Category.parent),
            selectinload(Product.area).selectinload(Area.aliases),
            selectinload(Product.area).selectinload(Area.parent),
            selectinload(Product.certification),
            selectinload(Product.rural_industry),
        )
    )
    return list(session.scalars(stmt))


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class EngineError(SearchUnavailable):
    """Meilisearch refused or failed; ``code`` is its error code when it sent one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


@contextlib.contextmanager
def engine_errors(action: str) -> Iterator[None]:
    """Turn every client/transport failure into SearchUnavailable (EngineError)."""
    from meilisearch.errors import MeilisearchError

    try:
        yield
    except SearchUnavailable:
        raise
    except MeilisearchError as exc:
        code = getattr(exc, "code", None)
        detail = f"{exc.__class__.__name__}{f' [{code}]' if code else ''}: {getattr(exc, 'message', exc)}"
        raise EngineError(f"Meilisearch {action}: {detail}", code) from exc
    except (requests.RequestException, ValueError) as exc:  # bad URL, unexpected JSON
        raise SearchUnavailable(f"Meilisearch {action}: {exc.__class__.__name__}: {exc}") from exc


class MeiliSearch(SearchBackend):
    name = "meilisearch"
    needs_indexing = True
    indexes_in_transaction = False

    def __init__(
        self,
        client: Any,
        index_uid: str = "products",
        *,
        batch_size: int = 1000,
        wait_ms: int = 5000,
        rebuild_wait_ms: int = 600_000,
        deliver_limit: int = 500,
        url: str | None = None,
    ) -> None:
        # No network I/O here: the client only stores its configuration.
        self.client = client
        self.index_uid = index_uid
        self.batch_size = batch_size
        self.wait_ms = wait_ms
        self.rebuild_wait_ms = rebuild_wait_ms
        self.deliver_limit = deliver_limit
        self.url = url
        self._index_ready = False  # per-process cache: the live index exists

    @classmethod
    def from_config(cls, config: dict) -> MeiliSearch:
        from meilisearch import Client

        url = config["MEILI_URL"]
        timeout = float(config.get("MEILI_TIMEOUT") or 5.0)
        client = Client(url, config.get("MEILI_API_KEY") or None, timeout=timeout)
        return cls(
            client,
            config.get("MEILI_INDEX") or "products",
            batch_size=int(config.get("MEILI_BATCH_SIZE", 1000)),
            wait_ms=int(config.get("MEILI_WAIT_MS", timeout * 1000)),
            rebuild_wait_ms=int(config.get("MEILI_REBUILD_WAIT_MS", 600_000)),
            url=url,
        )

    # -- tasks ---------------------------------------------------------------------

    def _wait(self, task_info: Any, timeout_ms: int | None = None, *, ok_codes: tuple[str, ...] = ()) -> None:
        """Wait for a task and insist that it succeeded."""
        uid = getattr(task_info, "task_uid", None)
        if uid is None:
            uid = task_info["taskUid"]
        timeout_ms = timeout_ms or self.wait_ms
        # Poll quickly after a commit (the buyer is waiting), gently during a reindex.
        interval_ms = 50 if timeout_ms <= self.wait_ms else 250
        with engine_errors("task"):
            task = self.client.wait_for_task(uid, timeout_in_ms=timeout_ms, interval_in_ms=interval_ms)
        if task.status == "succeeded":
            return
        error = task.error or {}
        if task.status == "failed" and error.get("code") in ok_codes:
            return
        raise EngineError(
            f"Meilisearch task {uid} ({task.type}) {task.status}: "
            f"{error.get('code', '')} {error.get('message', '')}".strip(),
            error.get("code"),
        )

    # -- searching -----------------------------------------------------------------

    def _search_params(self, query: SearchQuery, text: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {
            "indexUid": self.index_uid,
            "q": query_text(query.text) if text is None else text,
            "filter": build_filter(query),
            "page": max(1, int(query.page)),
            "hitsPerPage": max(0, int(query.per_page)),
            # Every word must match (like the embedded engine); see search() for
            # what happens when nothing does.
            "matchingStrategy": "all",
            "attributesToRetrieve": ["id", "name"],
            "locales": ["vie"],
        }
        sort = SORTS.get(query.sort, [])
        if sort:
            params["sort"] = list(sort)
        if query.with_facets:
            # Star counts need "certificate still valid today": a query of their own.
            params["facets"] = [a for g, a in FACET_ATTRIBUTES.items() if g != "ocop_stars"]
        else:
            params["facets"] = [TOTAL_FACET]  # the exact total (see exact_total)
        if params["q"].strip():  # like the embedded engine: names highlighted whenever there is text
            params.update(
                {
                    "attributesToHighlight": ["name"],
                    "highlightPreTag": HIGHLIGHT_PRE,
                    "highlightPostTag": HIGHLIGHT_POST,
                }
            )
        return params

    def search_requests(
        self, query: SearchQuery, *, today: int | None = None, text: str | None = None
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The multi_search queries: the main one, then one per selected facet group
        (its own filter removed, no hits), and one for the star counts (valid
        certificates only). Returns (queries, facet group of each extra query)."""
        today = today if today is not None else today_number()
        main = self._search_params(query, text)
        main["filter"] = build_filter(query, today=today)
        queries = [main]
        groups: list[str] = []
        if query.with_facets:
            selected = filter_groups(query, today=today)
            for group, attribute in FACET_ATTRIBUTES.items():
                if group not in selected and group != "ocop_stars":
                    continue
                filt = build_filter(query, without=group, today=today)
                if group == "ocop_stars":
                    filt.append(valid_certificate_filter(today))
                queries.append(
                    {
                        "indexUid": self.index_uid,
                        "q": main["q"],
                        "filter": filt,
                        "page": 1,
                        "hitsPerPage": 0,
                        "facets": [attribute],
                        "matchingStrategy": "all",
                        "locales": ["vie"],
                    }
                )
                groups.append(group)
        return queries, groups

    def search(self, query: SearchQuery) -> SearchResult:
        """Every word must match. When nothing does, like the embedded engine: words
        the index does not know are dropped (a 3–4 letter one is first tried with two
        adjacent letters swapped, ``tna`` → ``tan``, Meilisearch gives short words no
        typos), then trailing words are dropped one at a time while nothing matches."""
        words = query_words(query.text)
        result = self._run(query, " ".join(words))
        if result.total or not words:
            return result
        kept, corrected = self._known_words(words)
        if kept != words and kept:
            result = self._run(query, " ".join(kept))
        while result.total == 0 and len(kept) > 1:
            kept = kept[:-1]
            result = self._run(query, " ".join(kept))
        if corrected and result.total:
            result.corrected_text = " ".join(kept)
        return result

    def _known_words(self, words: list[str]) -> tuple[list[str], bool]:
        """One multi_search of ``hitsPerPage: 0`` probes: which words match anything
        public (the last as a prefix), and which swapped short words do."""
        probes: list[tuple[int, str]] = []
        for i, word in enumerate(words):
            probes.append((i, word))
            if 3 <= len(word) <= 4:
                probes.extend((i, swapped) for swapped in adjacent_swaps(word))
        queries = [
            {
                "indexUid": self.index_uid,
                "q": candidate,  # alone, so the engine treats it as a prefix too
                "filter": ["is_public = true"],
                "page": 1,
                "hitsPerPage": 0,
                "locales": ["vie"],
            }
            for i, candidate in probes
        ]
        response = self._multi_search(queries)
        try:
            totals = [int(r.get("totalHits", 0)) for r in response["results"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise SearchUnavailable(f"Meilisearch search: unexpected response ({exc!r})") from exc
        found: dict[int, str] = {}
        for (i, candidate), total in zip(probes, totals):
            if total and i not in found:
                found[i] = candidate  # the word itself is probed first
        kept = [found[i] for i in range(len(words)) if i in found]
        corrected = any(found[i] != words[i] for i in found)
        return kept, corrected

    def _multi_search(self, queries: list[dict[str, Any]]) -> dict[str, Any]:
        """``multi_search``; when the engine says the index lost its settings (an
        invalid filter, sort or facet on an attribute we configure), re-apply them
        and retry once. A missing index is not recreated here: an empty index would
        answer "nothing found" — the search degrades to the database until a reindex
        (and the next delivery recreates the index with its settings)."""
        try:
            with engine_errors("search"):
                return self.client.multi_search(queries)
        except EngineError as exc:
            if exc.code not in SETTINGS_LOST_CODES:
                raise
            self._index_ready = False
            if exc.code == "index_not_found":
                raise
            self._restore_settings(exc, self.wait_ms)
        with engine_errors("search"):
            return self.client.multi_search(queries)

    def _restore_settings(self, exc: EngineError, timeout_ms: int) -> None:
        log.warning("Meilisearch index %s lost its settings (%s); re-applying them", self.index_uid, exc.code)
        self.apply_settings(self.index_uid, timeout_ms=timeout_ms)
        self._index_ready = True

    def _run(self, query: SearchQuery, text: str) -> SearchResult:
        queries, groups = self.search_requests(query, text=text)
        response = self._multi_search(queries)
        try:
            results = response["results"]
            main = results[0]
            ids = [int(hit["id"]) for hit in main.get("hits", [])]
            total = exact_total(main)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise SearchUnavailable(f"Meilisearch search: unexpected response ({exc!r})") from exc
        facets: dict[str, dict[str, int]] = {}
        if query.with_facets:
            distribution = dict(main.get("facetDistribution") or {})
            for group, extra in zip(groups, results[1:]):
                attribute = FACET_ATTRIBUTES[group]
                distribution[attribute] = (extra.get("facetDistribution") or {}).get(attribute, {})
            facets = self._facets(distribution)
        highlights: dict[int, str] = {}
        if "attributesToHighlight" in queries[0]:
            for hit in main.get("hits", []):
                formatted = (hit.get("_formatted") or {}).get("name")
                if formatted:
                    highlights[int(hit["id"])] = format_highlight(formatted)
        return SearchResult(
            ids=ids,
            total=total,
            page=query.page,
            per_page=query.per_page,
            facets=facets,
            highlights=highlights,
            backend=self.name,
        )

    @staticmethod
    def _facets(distribution: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
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

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        text = query_text(prefix)
        if len(text.replace(" ", "")) < 2:
            return []
        with engine_errors("suggest"):
            response = self.client.index(self.index_uid).search(
                text,
                {
                    "filter": ["is_public = true"],
                    "limit": max(1, int(limit)),
                    "attributesToRetrieve": ["name", "slug"],
                    "locales": ["vie"],
                },
            )
        return [
            Suggestion(text=hit["name"], slug=hit["slug"])
            for hit in response.get("hits", [])
            if hit.get("name") and hit.get("slug")
        ]

    # -- writing: outbox -----------------------------------------------------------

    def enqueue(self, session, product_ids: Iterable[int]) -> None:
        """Before commit: outbox rows in the caller's transaction."""
        outbox.enqueue(session, product_ids)

    def index_products(self, product_ids: Iterable[int]) -> None:
        """After commit: deliver pending outbox rows (including these ids).

        Runs in its own session, so it may be called from an ``after_commit`` hook.
        Ids without a pending row (a caller that skipped ``enqueue``) get one first.
        Never raises for engine trouble: failed rows stay pending for retries.
        """
        with Session(db.engine) as session:
            missing = outbox.missing_pending(session, product_ids)
            if missing:
                outbox.enqueue(session, missing)
                session.commit()
            self.deliver(session)
            session.commit()

    def delete_products(self, product_ids: Iterable[int]) -> None:
        """Removal is decided from the database at delivery (gone or not public)."""
        self.index_products(product_ids)

    def deliver(self, session: Session, *, force: bool = False, limit: int | None = None) -> outbox.DeliveryReport:
        """Deliver due outbox rows with ``session``; the caller commits."""
        return outbox.deliver_pending(
            session, self._send_current, limit=limit or self.deliver_limit, force=force,
            send_popularity=self.send_popularity,
        )

    def _send_current(self, session: Session, product_ids: list[int], index_uid: str | None = None) -> tuple[int, int]:
        """Send the current database state of these products: documents for the
        public ones, deletions for the rest. Waits for every task to succeed.

        To the live index: if the engine says the index lost its settings, they are
        re-applied (the index recreated with them) and the send is retried once.
        Raises ``outbox.DocumentsRejected`` when only some documents were refused."""
        if index_uid is not None:
            return self._send_documents(session, product_ids, index_uid, self.rebuild_wait_ms)
        self._ensure_index()
        try:
            return self._send_documents(session, product_ids, self.index_uid, self.wait_ms)
        except EngineError as exc:
            if exc.code not in SETTINGS_LOST_CODES:
                raise
            self._index_ready = False
            self._restore_settings(exc, self.rebuild_wait_ms)
        return self._send_documents(session, product_ids, self.index_uid, self.wait_ms)

    def _send_documents(self, session: Session, product_ids: list[int], uid: str, timeout: int) -> tuple[int, int]:
        index = self.client.index(uid)
        docs = [meili_document(p) for p in _load_products(session, product_ids)]
        upserts = [d for d in docs if d.get("is_public")]
        public = {d["id"] for d in upserts}
        deletes = [i for i in product_ids if i not in public]
        deletions = []
        with engine_errors("indexing"):
            for batch in _chunks(deletes, self.batch_size):
                expr = f"id IN [{', '.join(str(int(i)) for i in batch)}]"
                deletions.append(index.delete_documents(filter=expr))
        rejected = self._add_documents(uid, upserts, timeout)
        for task in deletions:
            # Deleting from an index that does not exist yet: nothing to delete.
            self._wait(task, timeout, ok_codes=("index_not_found",))
        if rejected:
            raise outbox.DocumentsRejected(rejected, upserted=len(upserts) - len(rejected), deleted=len(deletes))
        return len(upserts), len(deletes)

    def _add_documents(self, uid: str, docs: Sequence[dict[str, Any]], timeout: int) -> dict[int, str]:
        """Add ``docs`` in batches (never an empty one: the client would send
        ``null``, which the server refuses) and wait for each task. A batch whose
        task failed because of its documents is bisected and resent, so one bad
        document holds up only itself. Returns ``{id: error}`` of the refused ones;
        engine-wide failures (``ENGINE_FAILURE_CODES``, timeouts) raise."""
        index = self.client.index(uid)
        sent = []
        with engine_errors("indexing"):
            for batch in _chunks(list(docs), self.batch_size):
                sent.append((list(batch), index.add_documents(list(batch), primary_key=PRIMARY_KEY)))
        rejected: dict[int, str] = {}
        for batch, task in sent:
            rejected.update(self._settle(index, batch, task, timeout))
        return rejected

    def _settle(self, index: Any, batch: list[dict[str, Any]], task: Any, timeout: int) -> dict[int, str]:
        try:
            self._wait(task, timeout)
            return {}
        except EngineError as exc:
            if exc.code is None or exc.code in ENGINE_FAILURE_CODES:
                raise
            if len(batch) == 1:
                return {int(batch[0]["id"]): str(exc)[: outbox.ERROR_MAX_CHARS]}
        rejected: dict[int, str] = {}
        mid = len(batch) // 2
        for half in (batch[:mid], batch[mid:]):
            with engine_errors("indexing"):
                retry = index.add_documents(half, primary_key=PRIMARY_KEY)
            rejected.update(self._settle(index, half, retry, timeout))
        return rejected

    # -- settings, rebuild, health -------------------------------------------------

    def apply_settings(
        self, index_uid: str | None = None, catalog_size: int = 0, synonyms: Mapping[str, Iterable[str]] | None = None,
        *, timeout_ms: int | None = None,
    ) -> bool:
        """Create the index if needed and bring its settings to ``settings_payload``
        (synonyms: the synonyms table unless given).

        Idempotent: when the settings already match nothing is sent. Returns True
        when an update was sent. Two processes creating the index at once is fine:
        ``index_already_exists`` counts as created.
        """
        from meilisearch.errors import MeilisearchApiError

        from .synonyms import synonym_map

        uid = index_uid or self.index_uid
        if synonyms is None:  # own session: this also runs after a commit (delivery)
            with Session(db.engine) as session:
                synonyms = synonym_map(session)
        wanted = settings_payload(catalog_size, synonyms)
        index = self.client.index(uid)
        with engine_errors("settings"):
            try:
                current = index.get_settings()
            except MeilisearchApiError as exc:
                if exc.code != "index_not_found":
                    raise
                created = self.client.create_index(uid, {"primaryKey": PRIMARY_KEY})
                self._wait(created, timeout_ms or self.rebuild_wait_ms, ok_codes=("index_already_exists",))
                current = {}
            if not settings_differ(current, wanted):
                return False
            task = index.update_settings(wanted)
        self._wait(task, timeout_ms or self.rebuild_wait_ms)
        return True

    def _ensure_index(self) -> None:
        """Before the first delivery of this process: if the live index does not
        exist yet, create it with its settings (instant on an empty index), so
        documents never land in an index Meilisearch created without them."""
        if self._index_ready:
            return
        if not self._index_exists(self.index_uid):
            self.apply_settings(self.index_uid)
        self._index_ready = True

    def _index_exists(self, uid: str) -> bool:
        from meilisearch.errors import MeilisearchApiError

        with engine_errors("index lookup"):
            try:
                self.client.get_raw_index(uid)
            except MeilisearchApiError as exc:
                if exc.code == "index_not_found":
                    return False
                raise
        return True

    def rebuild(self, progress: Progress | None = None) -> int:
        """Zero-downtime rebuild: fill ``<index>_<stamp>`` (settings first, batches,
        every task awaited), replay outbox rows written meanwhile, swap it with the
        live index, then enqueue the replayed ids (and any refused document) in the
        outbox and deliver them, under its row locks like any change, so an older
        state can never overwrite a newer one. Searches keep hitting the live index
        until the swap. Returns the number of documents indexed."""
        alias = self.index_uid
        started = utcnow()
        fresh = f"{alias}_{started:%Y%m%d%H%M%S}_{secrets.token_hex(2)}"
        with Session(db.engine) as session:
            ids = list(session.scalars(cq.public_product_ids().order_by(Product.id)))
            with engine_errors("rebuild"):
                self._wait(self.client.create_index(fresh, {"primaryKey": PRIMARY_KEY}), self.rebuild_wait_ms)
            try:
                self.apply_settings(fresh, catalog_size=len(ids))
                count = 0
                rejected: dict[int, str] = {}
                for chunk in _chunks(ids, self.batch_size):
                    products = _load_products(session, list(chunk))
                    docs = [d for d in (meili_document(p) for p in products) if d.get("is_public")]
                    # A chunk whose products all stopped being public meanwhile: no request.
                    refused = self._add_documents(fresh, docs, self.rebuild_wait_ms) if docs else {}
                    rejected.update(refused)
                    count += len(docs) - len(refused)
                    session.expunge_all()  # keep memory flat on large catalogs
                    if progress:
                        progress(len(chunk))
                since = started - REPLAY_MARGIN
                rejected.update(self._replay(session, fresh, since))
                if not self._index_exists(alias):
                    self.apply_settings(alias, catalog_size=len(ids))
                with engine_errors("swap"):
                    task = self.client.swap_indexes([{"indexes": [alias, fresh]}])
                self._wait(task, self.rebuild_wait_ms)
            except Exception:
                self._drop_quietly(fresh)
                raise
            # The live name now holds the new documents. Changes delivered to the old
            # index during the build go through the outbox once more (with the
            # documents the engine refused, which then wait there with their error).
            self._index_ready = True
            try:
                replay = set(outbox.replay_ids(session, since)) | set(rejected)
                outbox.enqueue(session, replay)
                session.commit()
                self._deliver_all(session)
            finally:
                self._drop_quietly(fresh)  # after the swap, this name holds the old index
        if rejected:
            log.warning("reindex: %d document(s) refused by Meilisearch, left pending in the outbox", len(rejected))
        return count

    def _deliver_all(self, session: Session) -> None:
        """Deliver due outbox rows until none is left or a delivery fails."""
        while True:
            report = self.deliver(session)
            session.commit()
            if report.claimed < self.deliver_limit or report.failed:
                return

    def _replay(self, session: Session, index_uid: str, since) -> dict[int, str]:
        """Send the current state of every product changed since ``since`` to the
        (not yet live) ``index_uid``; returns the documents it refused."""
        rejected: dict[int, str] = {}
        for chunk in _chunks(outbox.replay_ids(session, since), self.batch_size):
            try:
                self._send_current(session, list(chunk), index_uid=index_uid)
            except outbox.DocumentsRejected as exc:
                rejected.update(exc.errors)
        return rejected

    def _drop_quietly(self, uid: str) -> None:
        try:
            with engine_errors("delete index"):
                self._wait(self.client.delete_index(uid), self.rebuild_wait_ms, ok_codes=("index_not_found",))
        except SearchUnavailable as exc:
            log.warning("could not delete index %s: %s", uid, exc)

    def health(self) -> Health:
        stats = outbox.outbox_stats(db.session)
        detail: dict[str, Any] = {
            "url": self.url,
            "index": self.index_uid,
            "failing": stats.failing,
            "oldest_pending": stats.oldest_pending.isoformat() if stats.oldest_pending else None,
        }
        documents = None
        ok = True
        last_error = stats.last_error
        try:
            with engine_errors("stats"):
                documents = int(self.client.index(self.index_uid).get_stats().number_of_documents)
        except SearchUnavailable as exc:
            ok = False
            detail["engine_error"] = str(exc)
            last_error = last_error or str(exc)
        return Health(
            backend=self.name, ok=ok, documents=documents, pending=stats.pending, last_error=last_error, detail=detail
        )

    # -- keys ----------------------------------------------------------------------

    def search_only_key(self, *, create: bool = False) -> str:
        """A key that can only search this index: the only kind a browser may get.

        Finds an existing key whose actions are exactly ``["search"]`` on this index
        (or creates one when ``create``). Never returns the master or an admin key.
        """
        with engine_errors("keys"):
            for key in self.client.get_keys({"limit": 1000}).results:
                if is_search_only(key.actions, key.indexes, self.index_uid) and key.expires_at is None:
                    return key.key
            if not create:
                raise SearchUnavailable("no search-only key for this index; create one with --create")
            key = self.client.create_key(
                {
                    "name": f"{self.index_uid}-search",
                    "description": "Search-only key for browsers (OCOP marketplace)",
                    "actions": ["search"],
                    "indexes": [self.index_uid],
                    "expiresAt": None,
                }
            )
        if not is_search_only(key.actions, key.indexes, self.index_uid):
            raise SearchUnavailable("the engine returned a key that is not search-only")
        return key.key

    # -- popularity (analytics rollup): partial updates through the outbox ---------

    def update_popularity(self, session, counts: dict[int, int]) -> None:
        """Before commit: one ``popularity`` outbox row per product, in the caller's
        transaction; delivery sends ``{id, view_count}`` partial updates in batches."""
        outbox.enqueue(session, counts, op="popularity")

    def deliver_pending(self) -> None:
        with Session(db.engine) as session:
            self.deliver(session)
            session.commit()

    def send_popularity(self, session: Session, product_ids: list[int]) -> int:
        """``update_documents([{id, view_count}, ...])`` for the public products (the
        others are not in the index, and a partial update must not create them)."""
        rows = session.execute(
            sa.select(Product.id, Product.view_count)
            .join(Product.seller)
            .where(Product.id.in_(product_ids), cq.public_condition())
            .order_by(Product.id)
        ).all()
        docs = [{PRIMARY_KEY: pid, "view_count": int(n or 0)} for pid, n in rows]
        self._ensure_index()
        index = self.client.index(self.index_uid)
        tasks = []
        with engine_errors("popularity"):
            for batch in _chunks(docs, self.batch_size):
                tasks.append(index.update_documents(list(batch), primary_key=PRIMARY_KEY))
        for task in tasks:
            self._wait(task, self.wait_ms)
        return len(docs)

def is_search_only(actions: Sequence[str], indexes: Sequence[str], index_uid: str) -> bool:
    """True only for keys limited to the ``search`` action on ``index_uid``."""
    return list(actions) == ["search"] and list(indexes) == [index_uid]


__all__ = [
    "MeiliSearch",
    "build_filter",
    "escape_filter_value",
    "filter_groups",
    "format_highlight",
    "meili_document",
    "settings_payload",
    "settings_differ",
]

