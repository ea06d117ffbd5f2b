"""Meilisearch backend, through the official ``meilisearch`` client (0.31–0.43).

Written against the client's source and Meilisearch's documentation; see
``docs/meilisearch.md``. Facts it relies on (``/work/shared/SEARCH-NOTES.md``):

* every write returns a task; ``wait_for_task`` returns *failed* tasks normally, so
  the status is checked here (``succeeded`` or ``SearchUnavailable``);
* filters are built as nested arrays (outer AND, inner OR) of expressions whose
  string values are always quoted and escaped (``escape_filter_value``): a value can
  never close its quotes and add ``OR …`` to widen a filter;
* ``pagination.maxTotalHits`` is kept modest (``MAX_RESULT_WINDOW``, 10,000: no request
  can ask for a deeper offset, and the app and API refuse such pages). ``totalHits``
  is capped by it, but facet distributions count the whole candidate set, so the
  exact total is read from the ``rural_industry`` distribution (true + false: every
  document has one of the two), which every main query requests;
* multi-select (disjunctive) facets: one ``multi_search`` call, the main query plus one
  ``hitsPerPage: 0`` query per selected facet group with that group's filter removed;
* highlights use ``\\u0002``/``\\u0003`` tags, are HTML-escaped, then get ``<mark>``;
  those two characters are stripped from every indexed string, so a name cannot
  fake a highlight;
* a document without the field of a custom ranking rule is ranked after every other by
  that rule (the engine's sort rule, read in its source), so the backend adds
  ``featured_rank`` (1/0) and ``ocop_rank`` (stars or 0) to ``product_to_document``:
  no product is pushed down for a missing value instead of a zero;
* a certificate expires without any data change, so documents also carry
  ``ocop_until`` (expiry as the number YYYYMMDD, 0 without a valid certificate) and
  the star filter and star counts require ``ocop_until >= today``.

Writes go through the outbox (``search/outbox.py``): ``enqueue`` adds rows in the
caller's transaction, ``index_products`` delivers them after the commit (content rows
first; popularity rows are acknowledged by their own tasks). A batch the engine refuses
because of one document is bisected, so only the refused documents stay pending
(``outbox.DocumentsRejected``); a task that outlives the wait keeps its uid on the rows
and is asked for next time instead of being resent.

The live index is created only by a reindex, which records its ``createdAt`` as a
marker (``search/index_state.py``). An index with another ``createdAt`` — deleted and
recreated implicitly by a document addition, lost with the engine's data — is not
used: deliveries stop, searches answer from the database, and a reindex is requested
from the job runner (``maintain``), which also restores lost settings. A buyer's
request never sends settings or waits on the engine.
Engine trouble of any kind surfaces as ``SearchUnavailable`` so the degraded wrapper
answers from the database instead.
"""
from __future__ import annotations

import contextlib
import logging
import secrets
import time
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
from . import index_state, outbox
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
# Error codes saying the index is missing or lacks its settings (filters on `id` or
# `is_public` refused): a repair for the job runner, never retried in a request.
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
# How long a search trusts this process's last check of the live index.
CHECK_SECONDS = 5.0
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
    "season_months",  # issue 19: months a seasonal product is in season (documents.season_months)
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


class TaskTimeout(EngineError):
    """A task did not finish within the wait; it is still queued on the engine."""

    def __init__(self, message: str, uid: int) -> None:
        super().__init__(message, None)
        self.task_uid = uid


class IndexUnusable(SearchUnavailable):
    """The live index is missing, not the one our last reindex built, or lacks its
    settings: searches answer from the database until the job runner repairs it."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


def task_uid(task_info: Any) -> int:
    uid = getattr(task_info, "task_uid", None)
    return int(task_info["taskUid"] if uid is None else uid)


class Waiter:
    """Waits for a delivery's tasks. After the first timeout the others are only looked
    at once (a busy engine is not waited on N times over); products of unfinished
    tasks are kept by task uid (``waiting``), so the outbox waits on those tasks next
    time instead of sending their changes again."""

    def __init__(self, backend: MeiliSearch, timeout_ms: int) -> None:
        self.backend = backend
        self.timeout_ms = timeout_ms
        self.waiting: dict[int, int] = {}
        self.timed_out = False

    def settle(self, task_info: Any, product_ids: Iterable[int], ok_codes: tuple[str, ...] = ()) -> bool:
        """True when the task succeeded; False when it is still queued (its products
        recorded as waiting). Raises EngineError when it failed."""
        try:
            self.backend._wait(task_info, self.timeout_ms, ok_codes=ok_codes, look_once=self.timed_out)
        except TaskTimeout as exc:
            self.timed_out = True
            for pid in product_ids:
                self.waiting[int(pid)] = exc.task_uid
            return False
        return True


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
        deliver_budget_s: float = 30.0,
        url: str | None = None,
    ) -> None:
        # No network I/O here: the client only stores its configuration.
        self.client = client
        self.index_uid = index_uid
        self.batch_size = batch_size
        self.wait_ms = wait_ms
        self.rebuild_wait_ms = rebuild_wait_ms
        self.deliver_limit = deliver_limit
        self.deliver_budget_s = deliver_budget_s
        self.url = url
        # Per-process cache of the live-index check: (monotonic time, status). Another
        # process, or this one CHECK_SECONDS later, looks again.
        self._checked: tuple[float, str] | None = None

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
            deliver_budget_s=float(config.get("MEILI_DELIVER_BUDGET_S", 30.0)),
            url=url,
        )

    # -- tasks ---------------------------------------------------------------------

    def _wait(self, task_info: Any, timeout_ms: int | None = None, *, ok_codes: tuple[str, ...] = (),
              look_once: bool = False) -> None:
        """Wait for a task and insist that it succeeded. ``TaskTimeout`` (with the
        task's uid) when it has not finished in time: it is still queued on the
        engine, and resending its content would queue a duplicate. ``look_once``:
        one status request, no waiting (the engine already proved busy)."""
        from meilisearch.errors import MeilisearchTimeoutError

        uid = task_uid(task_info)
        timeout_ms = timeout_ms or self.wait_ms
        # Poll quickly after a commit (the buyer is waiting), gently during a reindex.
        interval_ms = 50 if timeout_ms <= self.wait_ms else 250
        with engine_errors("task"):
            try:
                if look_once:
                    task = self.client.get_task(uid)
                    if task.status in ("enqueued", "processing"):
                        raise MeilisearchTimeoutError(f"task {uid} is {task.status}")
                else:
                    task = self.client.wait_for_task(uid, timeout_in_ms=timeout_ms, interval_in_ms=interval_ms)
            except MeilisearchTimeoutError as exc:
                raise TaskTimeout(f"Meilisearch task {uid}: timeout after {timeout_ms} ms, still queued", uid) from exc
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

    def task_statuses(self, uids: list[int]) -> dict[int, str | None]:
        """Status of each task (None: the engine does not know it). For the outbox's
        rows that stopped waiting on a task; the live index is checked first, since an
        engine that lost its data numbers its tasks from 0 again."""
        from meilisearch.errors import MeilisearchApiError

        self._require_live()
        statuses: dict[int, str | None] = {}
        with engine_errors("task"):
            for uid in uids:
                try:
                    statuses[uid] = self.client.get_task(uid).status
                except MeilisearchApiError as exc:
                    if exc.code != "task_not_found":
                        raise
                    statuses[uid] = None
        return statuses

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
        self._require_live(cached=True)
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
        """``multi_search``. When the engine says the index is missing or lacks our
        settings (an invalid filter, sort or facet on an attribute we configure), the
        repair is requested from the job runner and the search degrades to the
        database: a buyer's request never sends settings nor waits on the engine."""
        try:
            with engine_errors("search"):
                return self.client.multi_search(queries)
        except EngineError as exc:
            self._engine_refused(exc)
            raise

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
        self._require_live(cached=True)
        try:
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
        except EngineError as exc:
            self._engine_refused(exc)
            raise
        return [
            Suggestion(text=hit["name"], slug=hit["slug"])
            for hit in response.get("hits", [])
            if hit.get("name") and hit.get("slug")
        ]

    # -- the live index: ours, or repaired by the job runner ----------------------------

    def _index_info(self, uid: str) -> dict[str, Any] | None:
        """``GET /indexes/{uid}`` (uid, primaryKey, createdAt…), or None when missing."""
        from meilisearch.errors import MeilisearchApiError

        with engine_errors("index lookup"):
            try:
                return self.client.get_raw_index(uid)
            except MeilisearchApiError as exc:
                if exc.code == "index_not_found":
                    return None
                raise

    def _check_live(self) -> tuple[str, str]:
        """(status, why): ``ok``; ``rebuilding`` when the live index is missing or is
        not the one our last reindex built (its ``createdAt`` differs from the marker
        in ``search_index_state``) — a reindex is then requested; ``settings`` when a
        settings restore is pending. Raises SearchUnavailable when the engine is down."""
        state = index_state.read(self.index_uid)
        if state.reindex_requested_at is not None:
            return "rebuilding", f"reindex pending: {state.reindex_reason or '?'}"
        info = self._index_info(self.index_uid)
        if info is None:
            reason = f"index {self.index_uid} is missing"
        elif state.marker is None:
            reason = f"index {self.index_uid} was not built by a reindex of this database"
        elif str(info.get("createdAt")) != state.marker:
            reason = (f"index {self.index_uid} was created at {info.get('createdAt')}, "
                      f"not by our last reindex ({state.marker})")
        elif state.settings_requested_at is not None:
            return "settings", "settings restore pending"
        else:
            return "ok", ""
        if index_state.request_reindex(self.index_uid, reason):
            log.warning("Meilisearch: %s; searching the database until the reindex is done", reason)
        return "rebuilding", reason

    def _require_live(self, *, cached: bool = False) -> None:
        """Raise IndexUnusable unless the live index is ours with its settings.
        ``cached``: searches trust this process's last answer for CHECK_SECONDS."""
        now = time.monotonic()
        if cached and self._checked and now - self._checked[0] < CHECK_SECONDS:
            status, why = self._checked[1], "see the last check"
        else:
            status, why = self._check_live()
            self._checked = (now, status)
        if status != "ok":
            raise IndexUnusable(f"Meilisearch index {self.index_uid}: {why}", status)

    def forget_checks(self) -> None:
        self._checked = None

    def _engine_refused(self, exc: EngineError) -> None:
        """Record what an engine error says about the live index, for the job runner."""
        if exc.code == "index_not_found":
            index_state.request_reindex(self.index_uid, f"index {self.index_uid} not found by the engine")
        elif exc.code in SETTINGS_LOST_CODES:
            if index_state.request_settings(self.index_uid):
                log.warning("Meilisearch index %s lacks its settings (%s); restore requested", self.index_uid, exc.code)
        else:
            return
        self.forget_checks()

    def maintain(self) -> str | None:
        """The job runner's part: do the repair the live index needs. Returns
        ``"reindexed"`` after a full reindex (index missing or not ours), ``"settings"``
        after re-applying the settings, None when nothing was due (or another runner
        holds the reindex). Never called from a buyer's request."""
        self.forget_checks()
        status, _why = self._check_live()
        if status == "rebuilding":
            if not index_state.claim_reindex(self.index_uid):
                return None
            self.rebuild()
            return "reindexed"
        if status == "settings":
            since = utcnow()
            self.apply_settings(self.index_uid, timeout_ms=self.rebuild_wait_ms)
            index_state.settings_restored(self.index_uid, since)
            self.forget_checks()
            return "settings"
        return None

    # -- writing: outbox -----------------------------------------------------------

    def enqueue(self, session, product_ids: Iterable[int]) -> None:
        """Before commit: outbox rows in the caller's transaction."""
        outbox.enqueue(session, product_ids)

    def index_products(self, product_ids: Iterable[int]) -> None:
        """After commit: deliver pending content rows (including these ids), in
        rounds, for at most ``wait_ms``; popularity rows are left to the job runner
        and the rollup, so a seller's save never waits behind them.

        Runs in its own session, so it may be called from an ``after_commit`` hook.
        Ids without a pending row (a caller that skipped ``enqueue``) get one first.
        Never raises for engine trouble: failed rows stay pending for retries.
        """
        with Session(db.engine) as session:
            missing = outbox.missing_pending(session, product_ids)
            if missing:
                outbox.enqueue(session, missing)
                session.commit()
            self.drain(session, popularity=False, budget_s=self.wait_ms / 1000)

    def delete_products(self, product_ids: Iterable[int]) -> None:
        """Removal is decided from the database at delivery (gone or not public)."""
        self.index_products(product_ids)

    def deliver(self, session: Session, *, force: bool = False, limit: int | None = None,
                popularity: bool = True) -> outbox.DeliveryReport:
        """One delivery round with ``session`` (content first); the caller commits,
        with the round's rows any repair request the round recorded."""
        with index_state.during_delivery(session):
            return outbox.deliver_pending(
                session, self._send_current, limit=limit or self.deliver_limit, force=force,
                send_popularity=self.send_popularity, task_status=self.task_statuses, popularity=popularity,
            )

    def drain(self, session: Session, *, force: bool = False, limit: int | None = None, popularity: bool = True,
              budget_s: float | None = None) -> outbox.DeliveryReport:
        """Delivery rounds, each committed, until nothing is due or the time budget
        (``deliver_budget_s`` unless given) is spent."""
        return outbox.drain(
            session, lambda: self.deliver(session, force=force, limit=limit, popularity=popularity),
            budget_seconds=self.deliver_budget_s if budget_s is None else budget_s,
        )

    def deliver_pending(self) -> None:
        """After the analytics rollup (and from the job runner): drain both lanes."""
        with Session(db.engine) as session:
            self.drain(session)

    def _send_current(self, session: Session, product_ids: list[int], index_uid: str | None = None) -> tuple[int, int]:
        """Send the current database state of these products: documents for the
        public ones, deletions for the rest. Waits for every task to succeed.

        To the live index only once it is checked to be ours (never to an index the
        engine would create implicitly): otherwise IndexUnusable, and the rows wait
        for the reindex the check requested. Raises ``outbox.DocumentsRejected`` when
        some documents were refused or their task had not finished in time."""
        if index_uid is not None:
            return self._send_documents(session, product_ids, index_uid, self.rebuild_wait_ms)
        self._require_live()
        try:
            return self._send_documents(session, product_ids, self.index_uid, self.wait_ms)
        except EngineError as exc:
            self._engine_refused(exc)
            raise

    def _public_documents(self, session: Session, product_ids: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
        """(product id, document) of the public ones among these products."""
        pairs = [(p.id, meili_document(p)) for p in _load_products(session, product_ids)]
        return [(pid, doc) for pid, doc in pairs if doc.get("is_public")]

    def _send_documents(self, session: Session, product_ids: list[int], uid: str, timeout: int) -> tuple[int, int]:
        index = self.client.index(uid)
        upserts = self._public_documents(session, product_ids)
        public = {pid for pid, _ in upserts}
        deletes = [i for i in product_ids if i not in public]
        deletions = []
        with engine_errors("indexing"):
            for batch in _chunks(deletes, self.batch_size):
                expr = f"id IN [{', '.join(str(int(i)) for i in batch)}]"
                deletions.append((batch, index.delete_documents(filter=expr)))
        waiter = Waiter(self, timeout)
        rejected = self._add_documents(uid, upserts, waiter)
        for batch, task in deletions:
            waiter.settle(task, batch)
        if rejected or waiter.waiting:
            raise outbox.DocumentsRejected(rejected, upserted=len(upserts) - len(rejected), deleted=len(deletes),
                                           waiting=waiter.waiting)
        return len(upserts), len(deletes)

    def _add_documents(self, uid: str, docs: Sequence[tuple[int, dict[str, Any]]], waiter: Waiter) -> dict[int, str]:
        """Add ``docs`` ((product id, document) pairs) in batches (never an empty one:
        the client would send ``null``, which the server refuses) and wait for each
        task. A batch whose task failed because of its documents is bisected and
        resent, so one bad document holds up only itself. Returns ``{id: error}`` of
        the refused ones; unfinished tasks are left in ``waiter.waiting``; engine-wide
        failures (``ENGINE_FAILURE_CODES``) raise."""
        index = self.client.index(uid)
        sent = []
        with engine_errors("indexing"):
            for batch in _chunks(list(docs), self.batch_size):
                sent.append((list(batch), index.add_documents([d for _, d in batch], primary_key=PRIMARY_KEY)))
        rejected: dict[int, str] = {}
        for batch, task in sent:
            rejected.update(self._settle(index, batch, task, waiter))
        return rejected

    def _settle(self, index: Any, batch: list[tuple[int, dict[str, Any]]], task: Any, waiter: Waiter) -> dict[int, str]:
        try:
            waiter.settle(task, [pid for pid, _ in batch])
            return {}
        except EngineError as exc:
            if exc.code is None or exc.code in ENGINE_FAILURE_CODES:
                raise
            if len(batch) == 1:
                return {batch[0][0]: str(exc)[: outbox.ERROR_MAX_CHARS]}
        rejected: dict[int, str] = {}
        mid = len(batch) // 2
        for half in (batch[:mid], batch[mid:]):
            with engine_errors("indexing"):
                retry = index.add_documents([d for _, d in half], primary_key=PRIMARY_KEY)
            rejected.update(self._settle(index, half, retry, waiter))
        return rejected

    # -- settings, rebuild, health -------------------------------------------------

    def apply_settings(
        self, index_uid: str | None = None, catalog_size: int = 0, synonyms: Mapping[str, Iterable[str]] | None = None,
        *, timeout_ms: int | None = None, create: bool | None = None,
    ) -> bool:
        """Bring the index's settings to ``settings_payload`` (synonyms: the synonyms
        table unless given). Returns True when an update was sent.

        Idempotent: nothing is sent when the settings already match, and nothing when a
        queued settings task (found by ``GET /tasks``) already carries them — that task
        is awaited instead: ``GET /settings`` shows only processed tasks, so comparing
        with it alone would queue one more update per call while the engine is busy.
        ``create`` (default: not for the live index, which only a reindex creates):
        create a missing index first; ``index_already_exists`` counts as created.
        """
        from meilisearch.errors import MeilisearchApiError

        from .synonyms import synonym_map

        uid = index_uid or self.index_uid
        create = uid != self.index_uid if create is None else create
        timeout_ms = timeout_ms or self.rebuild_wait_ms
        if synonyms is None:  # own session: this also runs after a commit (delivery)
            with Session(db.engine) as session:
                synonyms = synonym_map(session)
        wanted = settings_payload(catalog_size, synonyms)
        index = self.client.index(uid)
        with engine_errors("settings"):
            try:
                current = index.get_settings()
            except MeilisearchApiError as exc:
                if exc.code != "index_not_found" or not create:
                    raise
                created = self.client.create_index(uid, {"primaryKey": PRIMARY_KEY})
                self._wait(created, timeout_ms, ok_codes=("index_already_exists",))
                current = index.get_settings()
            if not settings_differ(current, wanted):
                return False
            queued = self._queued_settings_task(uid, wanted)
            task = queued if queued is not None else index.update_settings(wanted)
        self._wait(task, timeout_ms)
        return queued is None

    def _queued_settings_task(self, uid: str, wanted: dict[str, Any]) -> dict[str, int] | None:
        """A settings task still queued on ``uid`` that sends ``wanted`` (as a task info)."""
        tasks = self.client.get_tasks(
            {"indexUids": [uid], "types": ["settingsUpdate"], "statuses": ["enqueued", "processing"]}
        ).results
        for task in tasks:  # newest first
            if not settings_differ(task.details or {}, wanted):
                return {"taskUid": task.uid}
        return None

    def rebuild(self, progress: Progress | None = None) -> int:
        """Zero-downtime rebuild: fill ``<index>_<stamp>`` (settings first, batches,
        every task awaited), replay outbox rows written meanwhile, swap it with the
        live index, re-apply the settings to the live index (a synonym changed during
        the build went to the index the swap retired), record the new index's
        ``createdAt`` as the marker of the live index, then enqueue the replayed ids
        (and any refused document) in the outbox and deliver them, under its row locks
        like any change, so an older state can never overwrite a newer one. Searches
        keep hitting the live index until the swap. Returns the number of documents
        indexed."""
        alias = self.index_uid
        started = utcnow()
        fresh = f"{alias}_{started:%Y%m%d%H%M%S}_{secrets.token_hex(2)}"
        index_state.building(alias, started)
        with Session(db.engine) as session:
            try:
                ids = list(session.scalars(cq.public_product_ids().order_by(Product.id)))
                with engine_errors("rebuild"):
                    self._wait(self.client.create_index(fresh, {"primaryKey": PRIMARY_KEY}), self.rebuild_wait_ms)
                marker = str((self._index_info(fresh) or {}).get("createdAt") or "")
                if not marker:
                    raise EngineError(f"Meilisearch index {fresh} has no createdAt", None)
                self.apply_settings(fresh, catalog_size=len(ids))
                count = 0
                rejected: dict[int, str] = {}
                for chunk in _chunks(ids, self.batch_size):
                    docs = self._public_documents(session, chunk)
                    # A chunk whose products all stopped being public meanwhile: no request.
                    refused = self._add_all(fresh, docs) if docs else {}
                    rejected.update(refused)
                    count += len(docs) - len(refused)
                    session.expunge_all()  # keep memory flat on large catalogs
                    if progress:
                        progress(len(chunk))
                since = started - REPLAY_MARGIN
                rejected.update(self._replay(session, fresh, since))
                if self._index_info(alias) is None:  # the swap needs both names
                    self.apply_settings(alias, catalog_size=len(ids), create=True)
                with engine_errors("swap"):
                    task = self.client.swap_indexes([{"indexes": [alias, fresh]}])
                self._wait(task, self.rebuild_wait_ms)
            except Exception:
                index_state.release(alias)
                self._drop_quietly(fresh)
                raise
            try:
                # The live name now holds the new index (its createdAt travelled with it).
                with db.engine.begin() as conn:
                    index_state.record_built(conn, alias, marker, started)
                    outbox.settled_by_reindex(conn, since)
                self.forget_checks()
                try:
                    self.apply_settings(alias, catalog_size=len(ids))
                except SearchUnavailable as exc:  # the job runner will: searches wait for it
                    log.warning("reindex: settings not re-applied after the swap (%s); restore requested", exc)
                    index_state.request_settings(alias)
                # Changes delivered to the old index during the build go through the
                # outbox once more (with the documents the engine refused, which then
                # wait there with their error).
                replay = set(outbox.replay_ids(session, since)) | set(rejected)
                outbox.enqueue(session, replay)
                session.commit()
                self.drain(session, force=True, budget_s=max(self.deliver_budget_s, 60.0))
            finally:
                self._drop_quietly(fresh)  # after the swap, this name holds the old index
        if rejected:
            log.warning("reindex: %d document(s) refused by Meilisearch, left pending in the outbox", len(rejected))
        return count

    def _add_all(self, uid: str, docs: Sequence[tuple[int, dict[str, Any]]]) -> dict[int, str]:
        """``_add_documents`` for a reindex: a task still unfinished after
        ``rebuild_wait_ms`` fails the reindex."""
        waiter = Waiter(self, self.rebuild_wait_ms)
        refused = self._add_documents(uid, docs, waiter)
        if waiter.waiting:
            raise EngineError(f"Meilisearch reindex: tasks {sorted(set(waiter.waiting.values()))} not finished "
                              f"after {self.rebuild_wait_ms} ms", None)
        return refused

    def _replay(self, session: Session, index_uid: str, since) -> dict[int, str]:
        """Send the current state of every product changed since ``since`` to the
        (not yet live) ``index_uid``; returns the documents it refused."""
        rejected: dict[int, str] = {}
        for chunk in _chunks(outbox.replay_ids(session, since), self.batch_size):
            try:
                self._send_current(session, list(chunk), index_uid=index_uid)
            except outbox.DocumentsRejected as exc:
                if exc.waiting:
                    raise EngineError(f"Meilisearch reindex: replay tasks not finished: {exc}", None) from exc
                rejected.update(exc.errors)
        return rejected

    def _drop_quietly(self, uid: str) -> None:
        try:
            with engine_errors("delete index"):
                self._wait(self.client.delete_index(uid), self.rebuild_wait_ms, ok_codes=("index_not_found",))
        except SearchUnavailable as exc:
            log.warning("could not delete index %s: %s", uid, exc)

    def health(self) -> Health:
        """``status``: ``ok``; ``rebuilding`` while searches answer from the database
        because the live index is missing, not ours, or lacks its settings (the job
        runner repairs it); ``down`` when the engine does not answer."""
        stats = outbox.outbox_stats(db.session)
        detail: dict[str, Any] = {
            "url": self.url,
            "index": self.index_uid,
            "failing": stats.failing,
            "oldest_pending": stats.oldest_pending.isoformat() if stats.oldest_pending else None,
        }
        documents = None
        last_error = stats.last_error
        try:
            status, why = self._check_live()
            if why:
                detail["index_problem"] = why
            if status != "rebuilding":
                with engine_errors("stats"):
                    documents = int(self.client.index(self.index_uid).get_stats().number_of_documents)
        except SearchUnavailable as exc:
            status = "down"
            detail["engine_error"] = str(exc)
            last_error = last_error or str(exc)
        if status == "settings":
            status = "rebuilding"  # answering from the database until the job runner is done
        return Health(
            backend=self.name, ok=status == "ok", documents=documents, pending=stats.pending, last_error=last_error,
            detail=detail, status=status,
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

    def send_popularity(self, session: Session, product_ids: list[int]) -> int:
        """The view counts of the public products among these (the others are not in
        the index). A partial update of a document the index does not hold would
        create a stub ``{id, view_count}``, so the ids the index holds are looked up
        first: those get ``update_documents([{id, view_count}])``, the rest their full
        document. A document deleted between the look-up and the update (another
        deliverer unpublishing it) would still come back as a stub: after the
        updates, stubs among these ids (no ``is_public``) are looked for and deleted."""
        rows = session.execute(
            sa.select(Product.id, Product.view_count)
            .join(Product.seller)
            .where(Product.id.in_(product_ids), cq.public_condition())
            .order_by(Product.id)
        ).all()
        if not rows:
            return 0
        self._require_live()
        index = self.client.index(self.index_uid)
        try:
            held = self._held_ids(index, [pid for pid, _ in rows])
            partial = [{PRIMARY_KEY: pid, "view_count": int(n or 0)} for pid, n in rows if pid in held]
            waiter = Waiter(self, self.wait_ms)
            tasks = []
            with engine_errors("popularity"):
                for batch in _chunks(partial, self.batch_size):
                    tasks.append(([d[PRIMARY_KEY] for d in batch], index.update_documents(list(batch),
                                                                                         primary_key=PRIMARY_KEY)))
            done = [ids for ids, task in tasks if waiter.settle(task, ids)]
            self._delete_stubs(index, [pid for ids in done for pid in ids], waiter)
            full = self._public_documents(session, [pid for pid, _ in rows if pid not in held])
            rejected = self._add_documents(self.index_uid, full, waiter) if full else {}
        except EngineError as exc:
            self._engine_refused(exc)
            raise
        if rejected or waiter.waiting:
            raise outbox.DocumentsRejected(rejected, waiting=waiter.waiting)
        return len(partial) + len(full)

    def _held_ids(self, index: Any, ids: list[int], *extra: str) -> set[int]:
        """Which of ``ids`` the index holds (``POST /documents/fetch`` by filter)."""
        held: set[int] = set()
        with engine_errors("document lookup"):
            for batch in _chunks(ids, self.batch_size):
                found = index.get_documents({
                    "filter": [f"id IN [{', '.join(str(int(i)) for i in batch)}]", *extra],
                    "fields": [PRIMARY_KEY],
                    "limit": len(batch),
                })
                held.update(int(getattr(doc, PRIMARY_KEY)) for doc in found.results)
        return held

    def _delete_stubs(self, index: Any, ids: list[int], waiter: Waiter) -> None:
        stubs = sorted(self._held_ids(index, ids, "is_public NOT EXISTS")) if ids else []
        if not stubs:
            return
        log.warning("Meilisearch: %d stub document(s) left by popularity updates; deleting them", len(stubs))
        with engine_errors("popularity"):
            task = index.delete_documents(filter=f"id IN [{', '.join(map(str, stubs))}] AND is_public NOT EXISTS")
        waiter.settle(task, stubs)

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

