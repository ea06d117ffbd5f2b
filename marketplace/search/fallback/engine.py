"""``DatabaseSearch``: the database backend and the degraded mode's answers.

Loads the candidate rows and computes in Python (``rows.py``) or, above
``rows.MAX_ROWS_IN_MEMORY`` candidates, counts in SQL (``sql.py``); the same result
either way. When nothing matches, the words are relaxed as the engines do
(docs/search.md, "The database backend")."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ...catalog import queries as cq
from ...extensions import db
from ...catalog.models import Product
from ...sellers.models import Seller
from ..analysis import match_last
from ..base import Health, SearchBackend, SearchQuery, SearchResult, Suggestion
from . import rows
from .filters import Subtrees, filter_conditions, subtrees
from .sql import base, search_sql
from .terms import Term, can_be_fuzzy, query_tokens, relevance, term_condition


class DatabaseSearch(SearchBackend):
    """Search over the folded ``search_text`` column of any database."""

    name = "database"
    needs_indexing = False  # the database is its own index

    def search(self, query: SearchQuery, *, degraded: bool = False) -> SearchResult:
        terms = [Term(t) for t in query_tokens(query.text)]
        trees = subtrees(query)
        total, ids, facets = self._run(query, terms, trees)
        if total == 0 and terms:
            # matchingStrategy "last", as the engines: typo-tolerant unknown words,
            # words nothing contains dropped, then trailing words while nothing matches.
            known = self._matches_each([term_condition(t, Product.search_text) for t in terms])
            tolerant = self._tolerant_terms(terms, known)
            if tolerant == terms:
                tolerant = terms[:-1]
            elif tolerant is None:
                # Every unknown word tried with its typos at once: when that finds
                # something, each of them matches something on its own, which is what
                # probing them one by one would have found (one statement instead of a
                # probe per word, and no probe scanning the table for a word nothing
                # resembles). Otherwise probe them one by one.
                tolerant = [t if ok else Term(t.token, fuzzy=True) for t, ok in zip(terms, known)
                            if ok or can_be_fuzzy(t.token)]
                retry = self._run(query, tolerant, trees) if tolerant else (0, [], {})
                if retry[0]:
                    total, ids, facets = retry
                    tolerant = []
                elif len(tolerant) <= 1:
                    tolerant = []  # that one word matches nothing, even with a typo
                else:
                    tried = tolerant
                    tolerant = self._tolerant_terms(terms, known, probe=True)
                    if tolerant == tried:
                        tolerant = tolerant[:-1]
            if tolerant:
                retry, _ = match_last(lambda ts: self._run(query, ts, trees), tolerant, found=lambda r: r[0] > 0)
                if retry[0]:
                    total, ids, facets = retry
        return SearchResult.page_of(query, ids, total, facets=facets, degraded=degraded, backend=self.name)

    def _run(self, query: SearchQuery, terms: list[Term], trees: Subtrees) -> tuple[int, list[int], dict]:
        conds = filter_conditions(query, terms, trees)
        candidates = rows.candidate_rows(query, conds, terms)
        if candidates is None:
            return search_sql(query, conds, terms)
        return rows.search_rows(query, candidates, trees)

    def _tolerant_terms(self, terms: list[Term], known: list[bool], *, probe: bool = False) -> list[Term] | None:
        """The words as the engines would use them after a search that found nothing:
        each word some public product contains (``known``) stays; an unknown one
        becomes fuzzy if that matches something; otherwise it is dropped. None when
        some word is unknown and ``probe`` is off (the caller tries them together
        first)."""
        if not probe and not all(known):
            return None
        kept: list[Term] = []
        for term, ok in zip(terms, known):
            if ok:
                kept.append(term)
                continue
            fuzzy = Term(term.token, fuzzy=True)
            if can_be_fuzzy(term.token) and self._matches_any(term_condition(fuzzy, Product.search_text)):
                kept.append(fuzzy)
        return kept

    @staticmethod
    def _matches_any(condition: sa.ColumnElement[bool]) -> bool:
        stmt = cq.public_product_ids().where(condition).limit(1)
        return db.session.execute(stmt).first() is not None

    @staticmethod
    def _matches_each(conditions: list[sa.ColumnElement[bool]]) -> list[bool]:
        """Whether some public product matches each condition: one statement."""
        stmt = sa.select(*(cq.public_product_ids().where(c).exists() for c in conditions))
        return [bool(v) for v in db.session.execute(stmt).one()]

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        tokens = query_tokens(prefix)
        if not tokens or len("".join(tokens)) < 2:
            return []
        terms = [Term(t) for t in tokens]
        conds = [term_condition(t, Product.search_text) for t in terms]
        stmt = (
            sa.select(Product.name, Product.slug)
            .join(Seller, Product.seller_id == Seller.id)
            .where(cq.public_condition(), *conds)
            .order_by(*relevance(terms), Product.view_count.desc(), Product.id.desc())
            .limit(limit)
        )
        return [Suggestion(text=name, slug=slug) for name, slug in db.session.execute(stmt).all()]

    # The database is its own index: nothing to maintain.
    def index_products(self, product_ids: Iterable[int]) -> None:
        return None

    def delete_products(self, product_ids: Iterable[int]) -> None:
        return None

    def rebuild(self, progress=None) -> int:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(base([]).subquery())) or 0
        if progress:
            progress(count)
        return count

    def health(self) -> Health:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(base([]).subquery())) or 0
        return Health(backend=self.name, ok=True, documents=count)
