"""Database search: works on any database through the folded ``search_text`` column.

It serves as the backend on PostgreSQL without Meilisearch, and as the degraded mode
when a configured engine is unreachable; filters, facets and sorts are the engines'.
``engine.py`` answers, ``rows.py`` (candidates loaded, counted in Python) and
``sql.py`` (counted by the database) are its two ways of computing a result,
``filters.py`` and ``terms.py`` its conditions. Matching, typos and ranking:
docs/search.md, "The database backend".
"""
from __future__ import annotations

from .engine import DatabaseSearch
from .filters import filter_conditions
from .terms import Term, edit_patterns, query_tokens, term_condition

__all__ = ["DatabaseSearch", "Term", "edit_patterns", "filter_conditions", "query_tokens", "term_condition"]
