"""``MeiliSearch``: the engine over HTTP, through the official ``meilisearch`` client
(0.31–0.43): searches, suggestions, the live index's checks and repairs, settings,
health and keys; its writing half is ``delivery.py``. Facts it relies on:
docs/meilisearch.md.

The live index is created only by a reindex, which records its ``createdAt`` as a
marker (``search/index_state.py``); any other index under the name is not used:
searches answer from the database and the job runner (``maintain``) repairs it. A
buyer's request never sends settings or waits on the engine. Engine trouble of any
kind surfaces as ``SearchUnavailable``.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from ...certifications.models import KINDS as CERT_KINDS
from ...extensions import db
from ...text import utcnow
from .. import index_state, outbox
from ..analysis import adjacent_swaps, match_last, query_words
from ..base import Health, SearchBackend, SearchQuery, SearchResult, SearchUnavailable, Suggestion
from .delivery import Delivery
from .filters import (
    FACET_ATTRIBUTES,
    HIGHLIGHT_POST,
    HIGHLIGHT_PRE,
    SORTS,
    TOTAL_FACET,
    build_filter,
    exact_total,
    facet_counts,
    filter_groups,
    format_highlight,
    query_text,
    today_number,
    valid_certificate_filter,
    valid_kind_filter,
)
from .settings import PRIMARY_KEY, settings_differ, settings_payload
from .tasks import SETTINGS_LOST_CODES, EngineError, IndexUnusable, TaskTimeout, engine_errors, task_uid

log = logging.getLogger(__name__)

# How long a search trusts this process's last check of the live index.
CHECK_SECONDS = 5.0


class MeiliSearch(Delivery, SearchBackend):
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
            params["facets"] = [a for g, a in FACET_ATTRIBUTES.items() if g not in ("ocop_stars", "cert")]
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
                if group == "cert":
                    # Each kind valid today: a count of its own (several kinds per
                    # document, each with its own expiry).
                    for kind in CERT_KINDS:
                        filt = build_filter(query, without="cert", today=today)
                        filt.append(valid_kind_filter(kind, today))
                        queries.append({"indexUid": self.index_uid, "q": main["q"], "filter": filt, "page": 1,
                                        "hitsPerPage": 0, "facets": [TOTAL_FACET], "matchingStrategy": "all",
                                        "locales": ["vie"]})
                        groups.append(f"cert:{kind}")
                    continue
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
        result, kept = match_last(
            lambda ws: self._run(query, " ".join(ws)), kept, found=lambda r: r.total > 0,
            result=None if kept != words and kept else result,
        )
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
            certs = {kind: 0 for kind in CERT_KINDS}
            for group, extra in zip(groups, results[1:]):
                if group.startswith("cert:"):
                    certs[group[5:]] = exact_total(extra)
                    continue
                attribute = FACET_ATTRIBUTES[group]
                distribution[attribute] = (extra.get("facetDistribution") or {}).get(attribute, {})
            facets = facet_counts(distribution)
            facets["cert"] = certs
        highlights: dict[int, str] = {}
        if "attributesToHighlight" in queries[0]:
            for hit in main.get("hits", []):
                formatted = (hit.get("_formatted") or {}).get("name")
                if formatted:
                    highlights[int(hit["id"])] = format_highlight(formatted)
        return SearchResult.page_of(query, ids, total, facets=facets, highlights=highlights, backend=self.name)

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

        from ..synonyms import synonym_map

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


def is_search_only(actions: Sequence[str], indexes: Sequence[str], index_uid: str) -> bool:
    """True only for keys limited to the ``search`` action on ``index_uid``."""
    return list(actions) == ["search"] and list(indexes) == [index_uid]

