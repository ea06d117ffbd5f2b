"""A STAND-IN for a Meilisearch server: a tiny HTTP server on a free loopback port.

It is NOT Meilisearch. It records every request the official ``meilisearch`` client
sends and answers with the JSON shapes the client parses (task infos, tasks, settings,
stats, documents, keys), keeping enough state (indexes, settings, documents, a task
queue) for the adapter's flows to run and for its faults to be staged:

* tasks are **enqueued** and applied later, in order, by a worker thread; ``pause()``
  holds the queue (a busy engine: waits time out while the task stays queued),
  ``resume()`` lets it go on;
* ``lose_data()`` forgets every index and task, as an engine restarted on an empty
  data directory does (task uids start again from 0); ``drop_index(uid)`` deletes one
  index behind the app's back;
* ``GET /indexes/<uid>/settings`` returns every setting with its default filled in and
  sets sorted, and shows only settings whose task was processed;
* a document id in ``reject_documents`` fails the whole addition task it is part of,
  as one invalid document fails its batch on the engine;
* an addition to (or partial update of) a missing index creates it without settings,
  and a partial update of a missing document creates it from the fields sent — what
  the engine's source does, reproduced so the adapter's defences can be tested;
* searches answer from the stored documents when no canned answer is set: every query
  word must be a case-insensitive substring of the name, and the filter may only name
  filterable attributes (``invalid_search_filter`` otherwise), of which it evaluates
  ``is_public = true``, ``id IN [...]`` and ``<attribute> [NOT] EXISTS``. Canned answers (``search_response``,
  ``multi_search_response``, ``multi_search_fn``) win when a test sets one.

It proves what OUR ADAPTER SENDS and how it reacts to these staged faults. It proves
nothing about what a real Meilisearch does: it does not parse filters beyond the two
forms above, rank, fold Vietnamese or tokenise. Behaviours of the engine itself are
covered by the contract and live suites when ``MEILI_URL`` points at a real server.
"""
from __future__ import annotations

import copy
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

STAMP = "2026-11-29T09:00:00.000000Z"

# GET /indexes/<uid>/settings of a fresh index (engine v1.12 defaults, the fields we set
# and those the client models): what the engine answers before any settings task ran.
DEFAULT_SETTINGS: dict[str, Any] = {
    "displayedAttributes": ["*"],
    "searchableAttributes": ["*"],
    "filterableAttributes": [],
    "sortableAttributes": [],
    "rankingRules": ["words", "typo", "proximity", "attribute", "sort", "exactness"],
    "stopWords": [],
    "nonSeparatorTokens": [],
    "separatorTokens": [],
    "dictionary": [],
    "synonyms": {},
    "distinctAttribute": None,
    "proximityPrecision": "byWord",
    "typoTolerance": {
        "enabled": True,
        "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9},
        "disableOnWords": [],
        "disableOnAttributes": [],
    },
    "faceting": {"maxValuesPerFacet": 100, "sortFacetValuesBy": {"*": "alpha"}},
    "pagination": {"maxTotalHits": 1000},
    "embedders": {},
    "searchCutoffMs": None,
    "localizedAttributes": None,
    "facetSearch": True,
    "prefixSearch": "indexingTime",
}
# Settings the engine keeps as sets: returned sorted whatever order they were sent in.
SET_SETTINGS = ("filterableAttributes", "sortableAttributes", "stopWords", "nonSeparatorTokens",
                "separatorTokens", "dictionary")
NESTED_SETTINGS = ("typoTolerance", "faceting", "pagination")


def effective_settings(overrides: dict[str, Any]) -> dict[str, Any]:
    """The defaults with ``overrides`` (what processed settings tasks set) applied."""
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    for key, value in overrides.items():
        if key in NESTED_SETTINGS and isinstance(value, dict):
            merged = settings[key]
            for sub, sub_value in value.items():
                if isinstance(sub_value, dict) and isinstance(merged.get(sub), dict):
                    merged[sub] = {**merged[sub], **sub_value}
                else:
                    merged[sub] = sub_value
        elif value is None:
            settings[key] = copy.deepcopy(DEFAULT_SETTINGS.get(key))
        else:
            settings[key] = copy.deepcopy(value)
    for key in SET_SETTINGS:
        settings[key] = sorted(set(settings[key]))
    settings["synonyms"] = dict(sorted(settings["synonyms"].items()))
    return settings


@dataclass
class Recorded:
    method: str
    path: str
    query: str
    body: Any
    headers: dict[str, str]


@dataclass
class StandInState:
    requests: list[Recorded] = field(default_factory=list)
    indexes: dict[str, dict] = field(default_factory=dict)  # uid → {"settings", "docs", "createdAt"}
    tasks: dict[int, dict] = field(default_factory=dict)
    next_task: int = 0
    # When set, every task processed from now on ends "failed" with this error ({"code", "message"}).
    fail_tasks: dict | None = None
    # Canned answers for POST /multi-search and POST /indexes/<uid>/search (None: answer
    # from the stored documents).
    multi_search_response: dict | None = None
    search_response: dict | None = None
    # Or compute each multi-search result from its query: fn(query dict) -> result dict.
    multi_search_fn: Any = None
    keys: list[dict] = field(default_factory=list)
    # Document ids whose presence fails an addition task (like one document with an
    # invalid field fails its whole batch on the real server): id → {"code", "message"}.
    reject_documents: dict[int, dict] = field(default_factory=dict)
    # Errors answered (status, {"code", "message"}) by the next multi-search calls, in order.
    multi_search_errors: list[tuple[int, dict]] = field(default_factory=list)
    # "create_index" (called with the uid) and "swap": before that task is applied;
    # "before_add": when a document addition arrives, before its task is enqueued.
    hooks: dict[str, Any] = field(default_factory=dict)
    created: int = 0  # indexes ever created: gives each a distinct createdAt


class StandInMeili:
    """Use as a context manager; ``.url`` is the base URL, ``.state`` what it saw."""

    def __init__(self, port: int = 0) -> None:
        """``port`` 0 picks a free one; a given port lets a test bring the "engine" up
        where the app already expects it (an outage, then recovery)."""
        self.state = StandInState()
        self.lock = threading.RLock()
        self._queue: deque[tuple[int, Any]] = deque()
        self._wake = threading.Condition(self.lock)
        self._paused = False
        self._closing = False
        handler = _make_handler(self)
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.worker = threading.Thread(target=self._work, daemon=True)

    def __enter__(self) -> StandInMeili:
        self.thread.start()
        self.worker.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        self.worker.join(timeout=5)

    # -- helpers for assertions --------------------------------------------------

    def calls(self, method: str | None = None, path_re: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.state.requests
            if (method is None or r.method == method) and (path_re is None or re.fullmatch(path_re, r.path))
        ]

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every non-GET request (document fetches excluded), in order."""
        return [(r.method, r.path) for r in self.state.requests
                if r.method != "GET" and not r.path.endswith("/documents/fetch")]

    def task_statuses(self) -> dict[int, str]:
        with self.lock:
            return {uid: t["status"] for uid, t in self.state.tasks.items()}

    # -- staged faults -------------------------------------------------------------

    def pause(self) -> None:
        """Hold the task queue: new tasks stay ``enqueued`` (a busy engine)."""
        with self._wake:
            self._paused = True

    def resume(self, wait: bool = True) -> None:
        with self._wake:
            self._paused = False
            self._wake.notify_all()
        if wait:
            self.settle()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until every queued task has been processed (the queue must not be paused)."""
        with self._wake:
            if not self._wake.wait_for(lambda: not self._queue or self._paused, timeout):
                raise AssertionError("stand-in task queue did not drain")

    def drop_index(self, uid: str) -> None:
        """The index is deleted behind the app's back (another tool, an operator)."""
        with self.lock:
            self.state.indexes.pop(uid, None)

    def lose_data(self) -> None:
        """The engine restarts on an empty data directory: no index, no task, and task
        uids start again from 0."""
        with self.lock:
            self._queue.clear()
            self.state.indexes.clear()
            self.state.tasks.clear()
            self.state.next_task = 0

    # -- behaviour ----------------------------------------------------------------

    def new_index(self, uid: str, primary_key: str | None) -> dict:
        self.state.created += 1
        created = datetime(2026, 11, 29, 9, tzinfo=timezone.utc) + timedelta(microseconds=self.state.created)
        entry = {"settings": {}, "docs": {}, "primaryKey": primary_key,
                 "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        self.state.indexes[uid] = entry
        return entry

    def new_task(self, kind: str, index_uid: str | None, apply=None, details: dict | None = None) -> dict:
        with self._wake:
            uid = self.state.next_task
            self.state.next_task += 1
            self.state.tasks[uid] = {
                "uid": uid,
                "indexUid": index_uid,
                "status": "enqueued",
                "type": kind,
                "details": details or {},
                "error": None,
                "duration": None,
                "enqueuedAt": STAMP,
                "startedAt": None,
                "finishedAt": None,
            }
            self._queue.append((uid, apply))
            self._wake.notify_all()
        return {"taskUid": uid, "indexUid": index_uid, "status": "enqueued", "type": kind, "enqueuedAt": STAMP}

    def _work(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._closing or (self._queue and not self._paused))
                if self._closing:
                    return
                uid, apply = self._queue.popleft()
                task = self.state.tasks.get(uid)
                if task is None:
                    continue
                task["status"] = "processing"
                task["startedAt"] = STAMP
                failed = self.state.fail_tasks
                if failed is None and apply is not None:
                    failed = apply()
                task.update(
                    status="failed" if failed else "succeeded",
                    error=dict(failed, type="invalid_request", link="") if failed else None,
                    duration="PT0.001S",
                    finishedAt=STAMP,
                )
                self._wake.notify_all()


def _error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"message": message, "code": code, "type": "invalid_request",
                    "link": f"https://docs.meilisearch.com/errors#{code}"}


def _not_found(uid: str) -> tuple[int, dict]:
    return _error(404, "index_not_found", f"Index `{uid}` not found.")


_ID_LIST = r"id IN \[([\d, ]*)\]"
_ATTRIBUTE = re.compile(r"([A-Za-z_][\w.]*)\s*(?:=|!=|>=|<=|<|>|IN\b|EXISTS\b|NOT\s+EXISTS\b|TO\b)")


def _ids(text: str) -> set[int]:
    return {int(part) for part in text.split(",") if part.strip()}


def _filter_parts(filt: Any) -> list[str]:
    if filt is None:
        return []
    if isinstance(filt, str):
        return [filt]
    parts: list[str] = []
    for item in filt:
        parts.extend(_filter_parts(item))
    return parts


def _predicate(expr: str):
    """A filter expression the stand-in evaluates, as a test on one document;
    anything else is taken as true."""
    expr = expr.strip()
    if expr == "is_public = true":
        return lambda doc: doc.get("is_public") is True
    exists = re.fullmatch(r"([\w.]+) (NOT )?EXISTS", expr)
    if exists:
        name, negated = exists.group(1), bool(exists.group(2))
        return lambda doc: (name in doc) != negated
    match = re.fullmatch(_ID_LIST, expr)
    if match:
        ids = _ids(match.group(1))
        return lambda doc: doc.get("id") in ids
    return lambda doc: True


def _select(docs: dict, filt: Any) -> list[dict]:
    """The documents matching ``filt``, by id; an ``id IN [...]`` part is looked up
    directly instead of scanning every document."""
    parts = _filter_parts(filt)
    candidates = None
    for expr in parts:
        match = re.fullmatch(_ID_LIST, expr.strip())
        if match:
            found = _ids(match.group(1))
            candidates = found if candidates is None else candidates & found
    keys = sorted(docs) if candidates is None else sorted(k for k in candidates if k in docs)
    tests = [_predicate(e) for e in parts]
    return [docs[k] for k in keys if all(test(docs[k]) for test in tests)]


def _make_handler(standin: StandInMeili):
    state = standin.state

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output quiet
            return

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw:
                return None
            try:
                return json.loads(raw)
            except json.JSONDecodeError:
                return raw.decode("utf-8", "replace")

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            body = self._body() if method != "GET" else None
            with standin.lock:
                state.requests.append(Recorded(method, parts.path, parts.query, body, dict(self.headers)))
                status, payload = route(method, parts.path.strip("/").split("/"), parts.query, body)
                payload = copy.deepcopy(payload)
            self._send(status, payload)

        def do_GET(self):  # noqa: N802
            self._handle("GET")

        def do_POST(self):  # noqa: N802
            self._handle("POST")

        def do_PATCH(self):  # noqa: N802
            self._handle("PATCH")

        def do_PUT(self):  # noqa: N802
            self._handle("PUT")

        def do_DELETE(self):  # noqa: N802
            self._handle("DELETE")

    def filterable(uid: str) -> set[str]:
        return set(state.indexes[uid]["settings"].get("filterableAttributes") or [])

    def check_filter(uid: str, filt: Any, code: str) -> tuple[int, dict] | None:
        allowed = filterable(uid)
        for expr in _filter_parts(filt):
            for name in _ATTRIBUTE.findall(expr):
                if name not in allowed:
                    return _error(400, code, f"Attribute `{name}` is not filterable.")
        return None

    def search_one(q: dict, uid: str) -> tuple[int, dict]:
        """An answer computed from the stored documents (see the module docstring)."""
        if uid not in state.indexes:
            return _not_found(uid)
        error = check_filter(uid, q.get("filter"), "invalid_search_filter")
        if error:
            return error
        for facet in q.get("facets") or []:
            if facet not in filterable(uid):
                return _error(400, "invalid_search_facets", f"Attribute `{facet}` is not filterable.")
        words = [w.lower() for w in str(q.get("q") or "").split()]
        docs = [d for d in _select(state.indexes[uid]["docs"], q.get("filter"))
                if all(w in str(d.get("name", "")).lower() for w in words)]
        per_page = int(q.get("hitsPerPage", q.get("limit", 20)))
        page = int(q.get("page", 1))
        shown = docs[(page - 1) * per_page: page * per_page]
        fields = q.get("attributesToRetrieve") or ["id", "name", "slug"]
        distribution: dict[str, dict[str, int]] = {}
        for facet in q.get("facets") or []:
            counts: dict[str, int] = {}
            for d in docs:
                value = d.get(facet)
                for v in value if isinstance(value, list) else [value]:
                    if v is not None:
                        key = str(v).lower() if isinstance(v, bool) else str(v)
                        counts[key] = counts.get(key, 0) + 1
            distribution[facet] = counts
        return 200, {
            "indexUid": uid,
            "hits": [{k: d[k] for k in fields if k in d} for d in shown],
            "query": q.get("q") or "",
            "totalHits": len(docs),
            "page": page,
            "hitsPerPage": per_page,
            "totalPages": -(-len(docs) // per_page) if per_page else 0,
            "facetDistribution": distribution,
        }

    def route(method: str, seg: list[str], query: str, body: Any) -> tuple[int, Any]:
        idx = state.indexes
        if seg == ["health"]:
            return 200, {"status": "available"}
        if seg == ["tasks"] and method == "GET":
            params = {k: v[0].split(",") for k, v in parse_qs(query).items()}
            found = [
                t for _, t in sorted(state.tasks.items(), reverse=True)
                if all(t.get({"indexUids": "indexUid", "types": "type", "statuses": "status"}[k]) in v
                       for k, v in params.items() if k in ("indexUids", "types", "statuses"))
            ]
            return 200, {"results": found, "limit": 20, "total": len(found), "from": None, "next": None}
        if seg[0] == "tasks" and len(seg) == 2 and method == "GET":
            task = state.tasks.get(int(seg[1]))
            if task and not standin._paused:  # spare the client a poll interval: the queue is running
                standin._wake.wait_for(lambda: task["status"] not in ("enqueued", "processing") or standin._paused,
                                       timeout=0.5)
            return (200, task) if task else _error(404, "task_not_found", f"Task `{seg[1]}` not found.")
        if seg == ["indexes"] and method == "POST":
            uid = body["uid"]
            if "create_index" in state.hooks:
                state.hooks["create_index"](uid)

            def create():
                if uid in idx:
                    return {"code": "index_already_exists", "message": f"Index `{uid}` already exists."}
                standin.new_index(uid, body.get("primaryKey"))
                return None

            return 202, standin.new_task("indexCreation", uid, create)
        if seg == ["indexes"] and method == "GET":
            results = [{"uid": u, "primaryKey": e["primaryKey"], "createdAt": e["createdAt"], "updatedAt": STAMP}
                       for u, e in sorted(idx.items())]
            return 200, {"results": results, "offset": 0, "limit": 1000, "total": len(results)}
        if seg == ["swap-indexes"] and method == "POST":

            def swap():
                if "swap" in state.hooks:
                    state.hooks["swap"]()
                for pair in body:
                    a, b = pair["indexes"]
                    if a not in idx or b not in idx:
                        return {"code": "index_not_found", "message": "swap needs both indexes"}
                    idx[a], idx[b] = idx[b], idx[a]  # contents, settings and createdAt go together
                return None

            return 202, standin.new_task("indexSwap", None, swap)
        if seg == ["multi-search"] and method == "POST":
            if state.multi_search_errors:
                status, error = state.multi_search_errors.pop(0)
                return status, dict(error, type="invalid_request", link="")
            if state.multi_search_fn is not None:
                return 200, {"results": [state.multi_search_fn(q) for q in body["queries"]]}
            if state.multi_search_response is not None:
                return 200, state.multi_search_response
            results = []
            for q in body["queries"]:
                status, answer = search_one(q, q["indexUid"])
                if status != 200:  # the engine refuses the whole request
                    return status, answer
                results.append(answer)
            return 200, {"results": results}
        if seg == ["keys"] and method == "GET":
            return 200, {"results": state.keys, "offset": 0, "limit": 1000, "total": len(state.keys)}
        if seg == ["keys"] and method == "POST":
            key = {
                "uid": f"uid-{len(state.keys) + 1}",
                "key": f"search-key-{len(state.keys) + 1}",
                "name": body.get("name"),
                "description": body.get("description"),
                "actions": body["actions"],
                "indexes": body["indexes"],
                "expiresAt": body.get("expiresAt"),
                "createdAt": STAMP,
                "updatedAt": STAMP,
            }
            state.keys.append(key)
            return 201, key
        if seg[0] == "indexes" and len(seg) >= 2:
            return index_route(method, seg[1], seg[2:], body)
        return _error(404, "not_found", f"stand-in has no route {method} /{'/'.join(seg)}")

    def index_route(method: str, uid: str, rest: list[str], body: Any) -> tuple[int, Any]:
        idx = state.indexes
        if not rest and method == "GET":
            if uid not in idx:
                return _not_found(uid)
            entry = idx[uid]
            return 200, {"uid": uid, "primaryKey": entry["primaryKey"], "createdAt": entry["createdAt"],
                         "updatedAt": STAMP}
        if not rest and method == "DELETE":

            def drop():
                if idx.pop(uid, None) is None:
                    return {"code": "index_not_found", "message": f"Index `{uid}` not found."}
                return None

            return 202, standin.new_task("indexDeletion", uid, drop)
        if rest == ["settings"] and method == "GET":
            return (200, effective_settings(idx[uid]["settings"])) if uid in idx else _not_found(uid)
        if rest == ["settings"] and method == "PATCH":

            def settings():
                entry = idx.get(uid) or standin.new_index(uid, None)
                entry["settings"].update(body)
                return None

            return 202, standin.new_task("settingsUpdate", uid, settings, details=dict(body))
        if rest == ["documents"] and method in ("POST", "PUT"):
            if not isinstance(body, list):  # the client sends add_documents([]) as null
                return _error(400, "malformed_payload", "The `json` payload provided is malformed.")
            partial = method == "PUT"
            if not partial and "before_add" in state.hooks:
                state.hooks["before_add"]()

            def add():
                bad = [doc["id"] for doc in body if doc.get("id") in state.reject_documents]
                if bad:  # one bad document fails the whole task
                    return state.reject_documents[bad[0]]
                # A missing index is created implicitly, without any settings.
                entry = idx.get(uid) or standin.new_index(uid, "id")
                for doc in body:
                    if partial:  # fields merged into the stored document (or a new one)
                        entry["docs"].setdefault(doc["id"], {}).update(doc)
                    else:
                        entry["docs"][doc["id"]] = doc
                return None

            return 202, standin.new_task("documentAdditionOrUpdate", uid, add,
                                         details={"receivedDocuments": len(body)})
        if rest == ["documents", "fetch"] and method == "POST":
            if uid not in idx:
                return _not_found(uid)
            error = check_filter(uid, body.get("filter"), "invalid_document_filter")
            if error:
                return error
            docs = _select(idx[uid]["docs"], body.get("filter"))
            limit = int(body.get("limit", 20))
            offset = int(body.get("offset", 0))
            fields = body.get("fields")
            page = [{k: d[k] for k in fields if k in d} if fields else d for d in docs[offset: offset + limit]]
            return 200, {"results": page, "offset": offset, "limit": limit, "total": len(docs)}
        if rest == ["documents", "delete"] and method == "POST":
            filt = body.get("filter") or ""

            def delete():
                if uid not in idx:
                    return {"code": "index_not_found", "message": f"Index `{uid}` not found."}
                error = check_filter(uid, filt, "invalid_document_filter")
                if error:
                    return {"code": error[1]["code"], "message": error[1]["message"]}
                match = re.fullmatch(_ID_LIST + r"(?: AND is_public NOT EXISTS)?", filt)
                if not match:
                    return {"code": "invalid_document_filter", "message": "stand-in only knows id IN [..]"}
                only_stubs = filt.endswith("NOT EXISTS")
                for pid in _ids(match.group(1)):
                    doc = idx[uid]["docs"].get(pid)
                    if doc is not None and (not only_stubs or "is_public" not in doc):
                        del idx[uid]["docs"][pid]
                return None

            return 202, standin.new_task("documentDeletion", uid, delete)
        if rest == ["search"] and method == "POST":
            if state.search_response is not None:
                return 200, state.search_response
            return search_one(dict(body, indexUid=uid), uid)
        if rest == ["stats"] and method == "GET":
            if uid not in idx:
                return _not_found(uid)
            return 200, {"numberOfDocuments": len(idx[uid]["docs"]), "isIndexing": False, "fieldDistribution": {}}
        return _error(404, "not_found", f"stand-in has no route {method} /indexes/{uid}/{'/'.join(rest)}")

    return Handler
