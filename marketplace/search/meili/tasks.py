"""Meilisearch trouble as ``SearchUnavailable`` (``engine_errors``), and waiting on
the engine's tasks (``Waiter``): every write returns a task, and ``wait_for_task``
returns *failed* tasks normally, so the status is checked here."""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import requests

from ..base import SearchUnavailable

if TYPE_CHECKING:
    from .engine import MeiliSearch

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

