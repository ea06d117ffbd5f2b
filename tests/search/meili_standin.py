"""A STAND-IN for a Meilisearch server: a tiny HTTP server on a free loopback port.

It records every request the official ``meilisearch`` client sends and answers with
the minimal JSON shapes the client parses (task infos, tasks, settings, stats, keys),
keeping just enough state (indexes, settings, documents, tasks) for the adapter's
flows to run. Searches return canned responses set by the test.

It proves what OUR ADAPTER SENDS (paths, payloads, batching, waiting on tasks,
swap order). It proves nothing about what a real Meilisearch does with it: it does
not parse filters, rank, fold Vietnamese or count facets. Those behaviours are
covered by the contract suite when ``MEILI_URL`` points at a real server.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

STAMP = "2026-11-29T09:00:00.000000Z"


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
    indexes: dict[str, dict] = field(default_factory=dict)  # uid → {"settings", "docs"}
    tasks: dict[int, dict] = field(default_factory=dict)
    next_task: int = 0
    # When set, every new task ends "failed" with this error ({"code", "message"}).
    fail_tasks: dict | None = None
    # Canned answers for POST /multi-search and POST /indexes/<uid>/search.
    multi_search_response: dict = field(default_factory=lambda: {"results": []})
    search_response: dict = field(default_factory=lambda: {"hits": []})
    # Or compute each multi-search result from its query: fn(query dict) -> result dict.
    multi_search_fn: Any = None
    keys: list[dict] = field(default_factory=list)
    # Document ids whose presence fails an addition task (like one document with an
    # invalid field fails its whole batch on the real server): id → {"code", "message"}.
    reject_documents: dict[int, dict] = field(default_factory=dict)
    # Errors answered (status, {"code", "message"}) by the next multi-search calls, in order.
    multi_search_errors: list[tuple[int, dict]] = field(default_factory=list)
    # Called with the route name ("create_index", "swap") before that task is applied.
    hooks: dict[str, Any] = field(default_factory=dict)


class StandInMeili:
    """Use as a context manager; ``.url`` is the base URL, ``.state`` what it saw."""

    def __init__(self, port: int = 0) -> None:
        """``port`` 0 picks a free one; a given port lets a test bring the "engine" up
        where the app already expects it (an outage, then recovery)."""
        self.state = StandInState()
        self.lock = threading.Lock()
        handler = _make_handler(self)
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandInMeili:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    # -- helpers for assertions --------------------------------------------------

    def calls(self, method: str | None = None, path_re: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.state.requests
            if (method is None or r.method == method) and (path_re is None or re.fullmatch(path_re, r.path))
        ]

    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every non-GET request, in order."""
        return [(r.method, r.path) for r in self.state.requests if r.method != "GET"]

    # -- behaviour ----------------------------------------------------------------

    def new_task(self, kind: str, index_uid: str | None, apply=None) -> dict:
        with self.lock:
            self.state.next_task += 1
            uid = self.state.next_task
            failed = self.state.fail_tasks
            if failed is None and apply is not None:
                error = apply()
                failed = error
            task = {
                "uid": uid,
                "indexUid": index_uid,
                "status": "failed" if failed else "succeeded",
                "type": kind,
                "details": {},
                "error": dict(failed, type="invalid_request", link="") if failed else None,
                "duration": "PT0.001S",
                "enqueuedAt": STAMP,
                "startedAt": STAMP,
                "finishedAt": STAMP,
            }
            self.state.tasks[uid] = task
        return {"taskUid": uid, "indexUid": index_uid, "status": "enqueued", "type": kind, "enqueuedAt": STAMP}


def _not_found(uid: str) -> tuple[int, dict]:
    return 404, {
        "message": f"Index `{uid}` not found.",
        "code": "index_not_found",
        "type": "invalid_request",
        "link": "https://docs.meilisearch.com/errors#index_not_found",
    }


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
            status, payload = route(method, parts.path.strip("/").split("/"), body)
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

    def route(method: str, seg: list[str], body: Any) -> tuple[int, Any]:
        idx = state.indexes
        if seg == ["health"]:
            return 200, {"status": "available"}
        if seg[0] == "tasks" and len(seg) == 2 and method == "GET":
            task = state.tasks.get(int(seg[1]))
            return (200, task) if task else (404, {"message": "task not found", "code": "task_not_found"})
        if seg == ["indexes"] and method == "POST":
            uid = body["uid"]
            if "create_index" in state.hooks:
                state.hooks["create_index"](uid)

            def create():
                if uid in idx:
                    return {"code": "index_already_exists", "message": f"Index `{uid}` already exists."}
                idx[uid] = {"settings": {}, "docs": {}, "primaryKey": body.get("primaryKey")}
                return None

            return 202, standin.new_task("indexCreation", uid, create)
        if seg == ["swap-indexes"] and method == "POST":

            def swap():
                if "swap" in state.hooks:
                    state.hooks["swap"]()
                for pair in body:
                    a, b = pair["indexes"]
                    if a not in idx or b not in idx:
                        return {"code": "index_not_found", "message": "swap needs both indexes"}
                    idx[a], idx[b] = idx[b], idx[a]
                return None

            return 202, standin.new_task("indexSwap", None, swap)
        if seg == ["multi-search"] and method == "POST":
            if state.multi_search_errors:
                status, error = state.multi_search_errors.pop(0)
                return status, dict(error, type="invalid_request", link="")
            if state.multi_search_fn is not None:
                return 200, {"results": [state.multi_search_fn(q) for q in body["queries"]]}
            return 200, state.multi_search_response
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
            uid = seg[1]
            rest = seg[2:]
            if not rest and method == "GET":
                if uid not in idx:
                    return _not_found(uid)
                return 200, {"uid": uid, "primaryKey": idx[uid]["primaryKey"], "createdAt": STAMP, "updatedAt": STAMP}
            if not rest and method == "DELETE":

                def drop():
                    if idx.pop(uid, None) is None:
                        return {"code": "index_not_found", "message": f"Index `{uid}` not found."}
                    return None

                return 202, standin.new_task("indexDeletion", uid, drop)
            if rest == ["settings"] and method == "GET":
                return (200, idx[uid]["settings"]) if uid in idx else _not_found(uid)
            if rest == ["settings"] and method == "PATCH":

                def settings():
                    idx.setdefault(uid, {"settings": {}, "docs": {}, "primaryKey": None})["settings"].update(body)
                    return None

                return 202, standin.new_task("settingsUpdate", uid, settings)
            if rest == ["documents"] and method == "POST":
                if not isinstance(body, list):  # the client sends add_documents([]) as null
                    return 400, {"message": "The `json` payload provided is malformed.", "code": "malformed_payload",
                                 "type": "invalid_request", "link": ""}

                def add():
                    bad = [doc["id"] for doc in body if doc.get("id") in state.reject_documents]
                    if bad:  # one bad document fails the whole task
                        return state.reject_documents[bad[0]]
                    # A missing index is created implicitly, without any settings.
                    entry = idx.setdefault(uid, {"settings": {}, "docs": {}, "primaryKey": "id"})
                    for doc in body:
                        entry["docs"][doc["id"]] = doc
                    return None

                return 202, standin.new_task("documentAdditionOrUpdate", uid, add)
            if rest == ["documents"] and method == "PUT":

                def update():  # partial update: fields merged into the stored document
                    entry = idx.setdefault(uid, {"settings": {}, "docs": {}, "primaryKey": "id"})
                    for doc in body:
                        entry["docs"].setdefault(doc["id"], {}).update(doc)
                    return None

                return 202, standin.new_task("documentAdditionOrUpdate", uid, update)
            if rest == ["documents", "delete"] and method == "POST":

                def delete():
                    if uid not in idx:
                        return {"code": "index_not_found", "message": f"Index `{uid}` not found."}
                    if "id" not in (idx[uid]["settings"].get("filterableAttributes") or []):
                        return {"code": "invalid_document_filter", "message": "Attribute `id` is not filterable."}
                    match = re.fullmatch(r"id IN \[([\d, ]*)\]", body.get("filter") or "")
                    if not match:
                        return {"code": "invalid_document_filter", "message": "stand-in only knows id IN [..]"}
                    for part in match.group(1).split(","):
                        if part.strip():
                            idx[uid]["docs"].pop(int(part), None)
                    return None

                return 202, standin.new_task("documentDeletion", uid, delete)
            if rest == ["search"] and method == "POST":
                return 200, state.search_response
            if rest == ["stats"] and method == "GET":
                if uid not in idx:
                    return _not_found(uid)
                return 200, {"numberOfDocuments": len(idx[uid]["docs"]), "isIndexing": False, "fieldDistribution": {}}
        return 404, {"message": f"stand-in has no route {method} /{'/'.join(seg)}", "code": "not_found"}

    return Handler
