"""The embedded search engine: SQLite FTS5 in the application's own database.

``engine.py`` answers searches (with ``planner.py``, the typo planner, and
``ranker.py``); ``schema.py`` and ``writer.py`` hold and write the index;
``filters.py`` turns filters into SQL and counts facets. Its tables, typo
corrections and ranking: docs/search.md, "The embedded engine"; the rules themselves
are ``search/ranking.py``, facet counting ``search/facets.py``.
"""
from __future__ import annotations

from .engine import SqliteFtsSearch
from .highlight import highlight
from .ranker import SCAN_LIMIT
from .schema import create_schema, drop_schema

__all__ = ["SCAN_LIMIT", "SqliteFtsSearch", "create_schema", "drop_schema", "highlight"]
