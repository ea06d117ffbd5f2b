"""Search: one interface, several backends, chosen by configuration.

``init_search(app)`` (called by create_app) builds the backend named by
``SEARCH_BACKEND`` — ``sqlite`` (FTS5 in the app's own database, the default on
SQLite), ``meilisearch`` (``MEILI_URL``, ``MEILI_API_KEY``) or ``database`` (folded
column search, any database) — wraps engines in ``ResilientSearch`` (the degraded
mode) and installs the session hooks that keep the index true.

``get_search()`` returns that wrapper; pages, the API and the CLI use only it.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from flask import Flask, current_app

from .base import (  # noqa: F401
    Health,
    SearchBackend,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)

log = logging.getLogger(__name__)


def _engine_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [SearchUnavailable, sa.exc.OperationalError, ConnectionError, TimeoutError]
    try:
        from meilisearch.errors import (
            MeilisearchApiError,
            MeilisearchCommunicationError,
            MeilisearchTimeoutError,
        )

        errors += [MeilisearchCommunicationError, MeilisearchTimeoutError, MeilisearchApiError]
    except ImportError:  # pragma: no cover — meilisearch is a dependency
        pass
    return tuple(errors)


class ResilientSearch(SearchBackend):
    """Degraded mode: the configured engine answers; when it cannot, the database
    does (``degraded=True``), the failure is logged once until the engine is back,
    and nobody sees a 500."""

    def __init__(self, primary: SearchBackend, fallback: SearchBackend) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name
        self.needs_indexing = primary.needs_indexing
        self.indexes_in_transaction = primary.indexes_in_transaction
        self._errors = _engine_errors()
        self._down = False

    def _failed(self, what: str, exc: BaseException) -> None:
        if not self._down:
            log.error("search engine %s unavailable (%s): %s — answering from the database", self.name, what, exc)
            self._down = True
        recover = getattr(self.primary, "record_error", None)
        if recover:
            try:
                recover(f"{what}: {exc}")
            except Exception:  # noqa: BLE001
                pass

    def _recovered(self) -> None:
        if self._down:
            log.info("search engine %s answers again", self.name)
            self._down = False

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            result = self.primary.search(query)
        except self._errors as exc:
            self._failed("search", exc)
            return self.fallback.search(query, degraded=True)
        except Exception:  # a bug in the engine adapter: still answer, loudly
            log.exception("search engine %s failed unexpectedly; answering from the database", self.name)
            return self.fallback.search(query, degraded=True)
        self._recovered()
        return result

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        try:
            result = self.primary.suggest(prefix, limit)
        except self._errors as exc:
            self._failed("suggest", exc)
            return self.fallback.suggest(prefix, limit)
        except Exception:
            log.exception("search engine %s failed unexpectedly on suggest", self.name)
            return self.fallback.suggest(prefix, limit)
        self._recovered()
        return result

    def enqueue(self, session, product_ids: Iterable[int]) -> None:
        self.primary.enqueue(session, product_ids)

    def index_products(self, product_ids: Iterable[int]) -> None:
        self.primary.index_products(product_ids)

    def delete_products(self, product_ids: Iterable[int]) -> None:
        self.primary.delete_products(product_ids)

    def rebuild(self, progress=None) -> int:
        return self.primary.rebuild(progress)

    def update_popularity(self, session, counts: dict[int, int]) -> None:
        self.primary.update_popularity(session, counts)

    def deliver_pending(self) -> None:
        self.primary.deliver_pending()

    def maintain(self) -> str | None:
        return self.primary.maintain()

    def health(self) -> Health:
        try:
            return self.primary.health()
        except self._errors as exc:
            return Health(backend=self.name, ok=False, last_error=str(exc), status="down")


def build_backend(app: Flask, name: str) -> SearchBackend:
    from .fallback import DatabaseSearch

    if name == "database":
        return DatabaseSearch()
    if name == "sqlite":
        from .sqlite_fts import SqliteFtsSearch

        from .sqlite_fts import SCAN_LIMIT

        limit = app.config.get("SEARCH_SCAN_LIMIT")
        return ResilientSearch(SqliteFtsSearch(scan_limit=SCAN_LIMIT if limit is None else int(limit)), DatabaseSearch())
    if name == "meilisearch":
        from .meili import MeiliSearch  # built by create_app: no network I/O here

        return ResilientSearch(MeiliSearch.from_config(app.config), DatabaseSearch())
    raise RuntimeError(f"SEARCH_BACKEND={name!r} is not supported; use sqlite, meilisearch or database.")


def init_search(app: Flask) -> None:
    from .indexing import install_listeners

    name = app.config.get("SEARCH_BACKEND") or "database"
    app.extensions["search"] = build_backend(app, name)
    if name == "sqlite":
        def schema_init() -> None:
            from ..extensions import db
            from .sqlite_fts import create_schema

            with db.engine.begin() as conn:
                create_schema(conn)

        app.extensions["search_schema_init"] = schema_init
    install_listeners()
    from ..signals import synonyms_changed

    synonyms_changed.connect(_synonyms_changed)


def _synonyms_changed(app: Flask, **_kw) -> None:
    """Engines that keep their own copy of the synonyms table (Meilisearch's
    ``synonyms`` setting) get it again after the change commits. The FTS5 and
    database backends read the table per query: nothing to do for them."""
    backend = app.extensions.get("search")
    inner = getattr(backend, "primary", backend)
    if not hasattr(inner, "apply_settings"):
        return
    from ..extensions import db

    def push(_session) -> None:
        # After the commit; apply_settings reads the committed table on a session
        # of its own.
        with app.app_context():
            try:
                inner.apply_settings()
            except SearchUnavailable as exc:  # applied again by the next reindex
                log.warning("search: synonyms not applied: %s", exc)

    sa.event.listen(db.session(), "after_commit", push, once=True)


def get_search() -> SearchBackend:
    return current_app.extensions["search"]
