"""``SqliteFtsSearch``: the FTS5 engine's searches, suggestions, index writes and
health, with the per-process cache of grouped facet rows and pages."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import scoped_session

from ...catalog.models import Area, Category, Product
from ...extensions import db
from ...sellers.models import Seller
from ...text import fold, today_vn
from .. import ranking
from ..analysis import Analysis, match_last, words_of
from ..base import (
    MAX_QUERY_CHARS,
    Health,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)
from ..filters import empty_facets
from . import filters, planner, ranker, writer
from .cache import WeightedCache
from .highlight import highlights as highlighted

_SEARCH_GENERATION = "_search_generation"  # session.info: the generation read by the running search


class SqliteFtsSearch(SearchBackend):
    name = "sqlite"
    indexes_in_transaction = True

    def __init__(self, scan_limit: int = ranker.SCAN_LIMIT) -> None:
        # The ranker's thresholds (ranker.py), attributes so tests can force each path.
        self.scan_limit = scan_limit
        self.small_total = ranker.SMALL_TOTAL
        self.dense = ranker.DENSE
        self.walk_factor, self.walk_extra = ranker.WALK_FACTOR, ranker.WALK_EXTRA
        # Grouped facet rows per (index generation, query): process-local, and safe
        # across processes because the generation is read from the database.
        self._facet_cache = WeightedCache()
        self._cache_lock = threading.Lock()
        self._tree_cache: dict[str, tuple[str, list]] = {}

    # -- lookups -------------------------------------------------------------------

    def _memo(self, session, key: str, loader):
        """The category and area trees, cached per index generation.

        Valid because any change to a category or area that a search can notice
        (slug, parent, products in it) reindexes its products, which changes the
        generation; within one transaction the tree is read once (the session
        hooks drop that copy when categories change)."""
        real = session() if isinstance(session, scoped_session) else session
        memo = real.info.get(key)
        if memo is not None and memo[0] is real.get_transaction():
            return memo[1]
        generation = self._generation(real)
        with self._cache_lock:
            cached = self._tree_cache.get(key)
        if cached is not None and cached[0] == generation and not real.new and not real.dirty and not real.deleted:
            rows = cached[1]
        else:
            rows = loader(real)
            with self._cache_lock:
                self._tree_cache[key] = (generation, rows)
        real.info[key] = (real.get_transaction(), rows)
        return rows

    def _category_rows(self, session) -> list:
        return self._memo(
            session,
            "_search_category_rows",
            lambda s: s.execute(sa.select(Category.id, Category.parent_id, Category.slug)).all(),
        )

    def _area_rows(self, session) -> list:
        return self._memo(
            session, "_search_area_rows", lambda s: s.execute(sa.select(Area.id, Area.parent_id, Area.slug)).all()
        )

    def _generation(self, session) -> str:
        current = session.info.get(_SEARCH_GENERATION)
        if current is not None:
            return current
        return session.execute(sa.text("SELECT value FROM search_meta WHERE key = 'generation'")).scalar() or "0"

    # -- search -----------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        session = db.session
        try:
            # One search reads the generation once (it writes nothing, so the value
            # cannot move under it); the next search reads it again.
            session.info[_SEARCH_GENERATION] = self._generation(session)
            return self._search(session, query)
        except sa.exc.OperationalError as exc:
            raise SearchUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc
        finally:
            session.info.pop(_SEARCH_GENERATION, None)

    def _search(self, session, query: SearchQuery) -> SearchResult:
        today = int(today_vn().strftime("%Y%m%d"))
        conds, params, preds = filters.conditions(
            session, query, today, lambda: self._category_rows(session), lambda: self._area_rows(session)
        )
        plan = planner.plan(session, query.text) if query.text.strip() else None
        if query.text.strip() and plan is None:
            return self._empty(query)

        def run(p: Analysis | None) -> SearchResult:
            return self._run(session, query, p, conds, dict(params), preds)

        # The planner made the typo step; then trailing words go while nothing matches.
        result, _ = match_last(run, plan, found=lambda r: r.total > 0, shorter=Analysis.without_last,
                               size=lambda p: len(p.terms) if p is not None else 0)
        return result

    def _empty(self, query: SearchQuery) -> SearchResult:
        facets = empty_facets() if query.with_facets else {}
        return SearchResult.page_of(query, [], 0, facets=facets, backend=self.name)

    def _grouped(self, session, source: str, sql_only: list[str], params: dict) -> dict[int, int]:
        """Document counts per packed facet key (``pack_facets``; the stars digit is
        zeroed when the certificate is not valid today) over the matches with the
        non-facet filters applied; cached per index generation.

        One pass, no SQL sort: SQLite only concatenates the key of every match
        (``GROUP BY`` over 50-100k matches spends most of its time sorting them) and
        Python counts them with ``Counter``. Strings and ints are not tracked by the
        garbage collector, so the per-row work adds no collection pressure either."""
        key_params = tuple(sorted((k, v) for k, v in params.items() if k in filters.NON_FACET_PARAMS))
        key = (self._generation(session), source, tuple(sql_only), key_params)
        with self._cache_lock:
            groups = self._facet_cache.get(key)
            if groups is not None:
                return groups
        where = " AND ".join([source, *sql_only])
        if source.startswith("search_facets") and not sql_only:
            # Browsing everything: the trigger-maintained counters.
            sql = (
                f"SELECT group_concat(({filters.VALID_FKEY.format(until='stars_until')}) || ' ' || n)"
                " FROM search_facet_counts WHERE n > 0"
            )
            groups = {}
            text = session.execute(sa.text(sql), params).scalar()
            if text:
                flat = text.replace(",", " ").split(" ")  # "k1 n1,k2 n2,..."
                for k, n in zip(flat[0::2], flat[1::2]):
                    k = int(k)
                    groups[k] = groups.get(k, 0) + int(n)
        else:
            sql = f"SELECT group_concat({filters.VALID_FKEY.format(until='f.stars_until')}) FROM {where}"
            text = session.execute(sa.text(sql), params).scalar()
            groups = {int(k): n for k, n in Counter(text.split(",")).items()} if text else {}
        with self._cache_lock:
            self._facet_cache.put(key, groups, len(groups))
        return groups

    def _cert_counts(self, session, where: str, params: dict, *, full_text: bool) -> dict[str, int]:
        """``filters.cert_counts``, cached per index generation like the grouped rows (a
        verification reindexes the seller's products, so it moves the generation;
        ``cert_day`` is among the parameters, so a new day counts anew)."""
        key = ("cert", self._generation(session), where, tuple(sorted(params.items())))
        with self._cache_lock:
            counts = self._facet_cache.get(key)
        if counts is None:
            counts = filters.cert_counts(session, where, params, full_text=full_text)
            with self._cache_lock:
                self._facet_cache.put(key, counts, len(counts))
        return dict(counts)

    def _run(self, session, query: SearchQuery, plan: Analysis | None, conds, params, preds) -> SearchResult:
        sql_only = [c for k, c in conds.items() if k not in preds]
        if plan is not None:
            params["match"] = ranking.match(plan)
            source = "search_fts JOIN search_facets f ON f.id = search_fts.rowid WHERE search_fts MATCH :match"
        else:
            source = "search_facets f WHERE 1"
        facets: dict[str, dict[str, int]] = {}
        candidates = None
        if query.with_facets:
            rows = self._grouped(session, source, sql_only, params)
            candidates = sum(rows.values())
            total, facets = filters.facet_counts(
                rows, preds, lambda: self._category_rows(session), lambda: self._area_rows(session)
            )
            others = [c for k, c in conds.items() if k not in filters.SQL_COUNTED]
            facets["cert"] = self._cert_counts(session, " AND ".join([source, *others]), params,
                                               full_text=plan is not None)
        else:  # only the exact total: one count, no grouping
            where = " AND ".join([source, *conds.values()])
            total = session.execute(sa.text(f"SELECT count(*) FROM {where}"), params).scalar() or 0

        ids: list[int] = []
        clauses = list(conds.values())
        if total and query.offset < total:
            if plan is not None and query.sort not in ("price_asc", "price_desc", "newest", "popular"):
                ids = self._ranked(session, query, plan, clauses, params, total, candidates or total)
            else:
                params["limit"] = query.per_page
                params["offset"] = query.offset
                sql = " AND ".join([f"SELECT f.id FROM {source}", *clauses])
                sql += f" ORDER BY {filters.order_by(query.sort)} LIMIT :limit OFFSET :offset"
                # Cached per index generation like relevance pages: sorting tens of
                # thousands of matches by price or date is most of such a request.
                key = ("sorted", self._generation(session), sql, tuple(sorted(params.items())))
                with self._cache_lock:
                    cached = self._facet_cache.get(key)
                if cached is None:
                    cached = tuple(row[0] for row in session.execute(sa.text(sql), params).all())
                    with self._cache_lock:
                        self._facet_cache.put(key, cached, len(cached))
                ids = list(cached)

        highlights: dict[int, str] = {}
        if plan is not None and ids:
            highlights = highlighted(session, ids, plan)
        return SearchResult.page_of(
            query, ids, total, facets=facets, highlights=highlights, backend=self.name,
            corrected_text=plan.corrected_text if plan is not None else None,
        )

    def _ranked(
        self, session, query: SearchQuery, plan: Analysis, clauses, params, total: int, candidates: int
    ) -> list[int]:
        """One page in relevance order, cached per index generation like facet counts."""
        dims = ranking.dimensions(plan)
        key = (
            "rank",
            self._generation(session),
            tuple(tuple(d.levels) for d in dims),
            tuple(sorted((k, v) for k, v in params.items() if k not in ("limit", "offset", "tier"))),
            tuple(clauses),
            query.offset,
            query.per_page,
        )
        with self._cache_lock:
            cached = self._facet_cache.get(key)
        if cached is None:
            cached = tuple(ranker.rank(self, session, query, dims, clauses, params, total, candidates))
            with self._cache_lock:  # popular queries repeat between catalog changes
                self._facet_cache.put(key, cached, len(cached))
        return list(cached)

    # -- suggestions --------------------------------------------------------------

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        """Product names matching every typed word (the last as a prefix), the most
        viewed first."""
        text = (prefix or "")[:MAX_QUERY_CHARS]
        if len("".join(words_of(fold(text)))) < 2:
            return []
        limit = max(1, min(int(limit), 20))
        try:
            session = db.session
            plan = planner.plan(session, text)
            if plan is None:
                return []
            key = ("suggest", self._generation(session), ranking.name_match(plan), limit)
            with self._cache_lock:
                cached = self._facet_cache.get(key)
            if cached is not None:
                return list(cached)
            rows = session.execute(
                sa.text(
                    "SELECT d.display_name, d.slug FROM search_fts"
                    " JOIN search_facets f ON f.id = search_fts.rowid"
                    " JOIN search_documents d ON d.id = f.id"
                    " WHERE search_fts MATCH :match"
                    " ORDER BY f.featured DESC, f.views DESC, f.id DESC LIMIT :limit"
                ),
                {"match": ranking.name_match(plan), "limit": limit},
            ).all()
        except sa.exc.OperationalError as exc:
            raise SearchUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc
        suggestions = [Suggestion(text=name, slug=slug) for name, slug in rows]
        with self._cache_lock:  # typed prefixes repeat a lot between catalog changes
            self._facet_cache.put(key, tuple(suggestions), len(suggestions))
        return suggestions

    # -- indexing -----------------------------------------------------------------

    def enqueue(self, session, product_ids: Iterable[int]) -> None:
        """Write the index inside the caller's transaction: it commits or rolls back
        with the product change itself."""
        ids = sorted({int(i) for i in product_ids})
        if not ids:
            return
        writer.write(session.connection(), ids)

    def index_products(self, product_ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in product_ids})
        if not ids:
            return
        with db.engine.connect() as conn:
            writer.write(conn, ids)
            conn.commit()

    def delete_products(self, product_ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in product_ids})
        if not ids:
            return
        with db.engine.connect() as conn:
            writer.delete(conn, ids)
            writer.bump_generation(conn)
            conn.commit()

    def rebuild(self, progress: Progress | None = None, batch_size: int = 2000) -> int:
        """Rebuild everything from the database in one transaction (readers keep
        seeing the old index until it commits)."""
        with db.engine.connect() as conn:
            count = writer.rebuild(conn, progress, batch_size)
            conn.commit()
        return count

    def health(self) -> Health:
        try:
            with db.engine.connect() as conn:
                documents = conn.exec_driver_sql("SELECT count(*) FROM search_documents").scalar() or 0
                conn.exec_driver_sql("SELECT rowid FROM search_fts WHERE search_fts MATCH 'a*' LIMIT 1").all()
                conn.exec_driver_sql("SELECT count(*) FROM search_facets").scalar()
                terms = conn.exec_driver_sql("SELECT count(*) FROM search_terms").scalar() or 0
                meta = dict(conn.exec_driver_sql("SELECT key, value FROM search_meta").all())
                public = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(Product)
                    .join(Seller, Product.seller_id == Seller.id)
                    .where(Product.status == "published", Seller.status == "approved")
                ).scalar() or 0
        except sa.exc.DBAPIError as exc:
            return Health(backend=self.name, ok=False, last_error=str(exc.orig or exc))
        return Health(
            backend=self.name,
            ok=True,
            documents=documents,
            last_error=meta.get("last_error") or None,
            detail={
                "public_products": public,
                "vocabulary": terms,
                "generation": meta.get("generation"),
                "last_rebuild": meta.get("last_rebuild"),
                "last_rebuild_seconds": meta.get("last_rebuild_seconds"),
            },
        )

    def record_error(self, message: str) -> None:
        try:
            with db.engine.connect() as conn:
                writer.set_meta(conn, "last_error", message[:500])
                conn.commit()
        except sa.exc.DBAPIError:
            pass

    # -- popularity (analytics rollup) -------------------------------------------

    def update_popularity(self, session, counts: dict[int, int]) -> None:
        """In place, in the caller's transaction (``writer.update_views``)."""
        if counts:
            writer.update_views(session.connection(), counts)
