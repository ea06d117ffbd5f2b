"""Search: one interface, several backends, chosen by configuration.

``get_search()`` returns the backend built in create_app. Until the engine backends
land, the database backend serves every query.
"""
from __future__ import annotations

from flask import Flask, current_app

from .base import SearchBackend, SearchQuery, SearchResult  # noqa: F401


def init_search(app: Flask) -> None:
    from .fallback import DatabaseSearch

    app.extensions["search"] = DatabaseSearch()


def get_search() -> SearchBackend:
    return current_app.extensions["search"]
