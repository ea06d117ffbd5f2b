"""The embedded search engine: SQLite FTS5 in the application's own database.

Its tables (documents, facet rows, the FTS5 index, facet counters, vocabulary,
bookkeeping), its typo corrections and how it evaluates relevance: docs/search.md,
"The embedded engine"; the rules themselves are ``ranking.py``, facet counting
``facets.py``.
"""
from __future__ import annotations

import html
import itertools
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from functools import lru_cache

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Session, scoped_session

from ..catalog import generation as catalog_generation
from ..catalog.models import Area, Category, Product
from ..extensions import db
from ..sellers.models import Seller
from ..text import fold, today_vn, utcnow
from . import ranking
from .analysis import (
    Analysis,
    adjacent_swaps,
    allowed_typos,
    analyse,
    fast_fold,
    marks_text,
    osa_distance,
    words_of,
)
from .base import (
    MAX_QUERY_CHARS,
    Health,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)
from .documents import load_products_for_documents, product_to_document
from .facets import BAND_KEYS, disjunctive_counts, empty_facets, pack_facets, rolled_up, tree

log = logging.getLogger(__name__)

TYPO_CANDIDATES = 5  # at most this many corrections per word
# Above this many candidate matches, relevance is computed tier by tier with an early
# stop instead of in one statement (same order; see ranking.py).
SCAN_LIMIT = 3_000
# ... or when at most this many products pass the filters (filters cannot be pushed
# into FTS5, so tier by tier would visit many tiers to fill one page).
SMALL_TOTAL = 1_000
# A tier with at least this many matches is read along the popularity index.
DENSE = 2_000
# A dense tier's page is first sought by probing at most this many rows of the
# popularity index per wanted product (plus WALK_EXTRA); a probe costs tens of
# microseconds, reading a tier of 50,000 matches tens of milliseconds.
WALK_FACTOR = 4
WALK_EXTRA = 64

# A quoted FTS5 prefix longer than the prefix indexes (1-3 characters).
_LONG_PREFIX = re.compile(r'"(?:[^"]|""){4,}"\*')
# Tokens as the unicode61 tokenizer sees them (letters and digits; "_" separates).
_SPLIT_KEEP = re.compile(r"([^\W_]+)")

TEXT_COLUMNS = ranking.ATTRIBUTES  # name, category, seller, area, description
FTS_COLUMNS = (*TEXT_COLUMNS, "marks")
DOC_COLUMNS = ("id", "slug", "display_name", *FTS_COLUMNS)
FACET_COLUMNS = (
    "id",
    "category_id",
    "area_id",
    "seller_id",
    "stars",
    "stars_until",
    "rural",
    "band",
    "price",
    "views",
    "featured",
    "published",
    "fkey",
    "season",
)

# The per-process cache of grouped facet rows, ranked pages and suggestions (keys
# start with the index generation). Bounded by weight — one unit per cached facet
# group or id — rather than by entries: a fixed entry count of 256 was smaller than
# one pass of a realistic query mix (each query caches its counts and its page), so
# every query evicted another and "warm" was as slow as cold. 400,000 units is
# roughly 40 MB at most (a dict slot with its int objects per unit).
FACET_CACHE_WEIGHT = 400_000
FACET_CACHE_ENTRIES = 4_096


class WeightedCache:
    """A least-recently-used dict bounded by total weight and entry count."""

    def __init__(self, max_weight: int = FACET_CACHE_WEIGHT, max_entries: int = FACET_CACHE_ENTRIES) -> None:
        self.max_weight = max_weight
        self.max_entries = max_entries
        self._items: OrderedDict = OrderedDict()  # key -> (value, weight)
        self._weight = 0

    def get(self, key):
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key, value, weight: int) -> None:
        weight = max(1, int(weight))
        if weight > self.max_weight:
            return  # larger than the whole budget: not worth evicting everything
        old = self._items.pop(key, None)
        if old is not None:
            self._weight -= old[1]
        self._items[key] = (value, weight)
        self._weight += weight
        while self._weight > self.max_weight or len(self._items) > self.max_entries:
            _, (_, w) = self._items.popitem(last=False)
            self._weight -= w

    def clear(self) -> None:
        self._items.clear()
        self._weight = 0

    def __len__(self) -> int:
        return len(self._items)

SCHEMA: tuple[str, ...] = (
    # Text, folded, as the FTS5 table indexes it (external content), plus display data.
    """CREATE TABLE IF NOT EXISTS search_documents (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        display_name TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        seller TEXT NOT NULL,
        area TEXT NOT NULL,
        description TEXT NOT NULL,
        marks TEXT NOT NULL DEFAULT ''
    )""",
    # Narrow filter/facet/sort columns: small rows, so scanning matches stays cheap.
    """CREATE TABLE IF NOT EXISTS search_facets (
        id INTEGER PRIMARY KEY,
        category_id INTEGER,
        area_id INTEGER,
        seller_id INTEGER,
        stars INTEGER,
        stars_until INTEGER,
        rural INTEGER NOT NULL DEFAULT 0,
        band INTEGER NOT NULL,
        price INTEGER NOT NULL,
        views INTEGER NOT NULL DEFAULT 0,
        featured INTEGER NOT NULL DEFAULT 0,
        published INTEGER,
        fkey INTEGER NOT NULL DEFAULT 0,
        season INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_price ON search_facets (price)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_published ON search_facets (published)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_popular ON search_facets (featured, views)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_views ON search_facets (views)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_seller ON search_facets (seller_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_category ON search_facets (category_id)",
    "CREATE INDEX IF NOT EXISTS ix_search_facets_area ON search_facets (area_id)",
    # Facet groups of the whole index, kept exact by triggers: browsing without text
    # reads a few thousand counters instead of grouping every document.
    """CREATE TABLE IF NOT EXISTS search_facet_counts (
        fkey INTEGER NOT NULL,
        stars_until INTEGER NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (fkey, stars_until)
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_facets_ai AFTER INSERT ON search_facets BEGIN
        INSERT INTO search_facet_counts (fkey, stars_until, n)
        VALUES (new.fkey, coalesce(new.stars_until, 0), 1)
        ON CONFLICT (fkey, stars_until) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_facets_ad AFTER DELETE ON search_facets BEGIN
        UPDATE search_facet_counts SET n = n - 1
        WHERE fkey = old.fkey AND stars_until = coalesce(old.stars_until, 0);
    END""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        name, category, seller, area, description, marks,
        content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='1 2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts (rowid, name, category, seller, area, description, marks)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description, new.marks);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description, marks)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description, old.marks);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_au
        AFTER UPDATE OF name, category, seller, area, description, marks ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description, marks)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description, old.marks);
        INSERT INTO search_fts (rowid, name, category, seller, area, description, marks)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description, new.marks);
    END""",
    """CREATE TABLE IF NOT EXISTS search_terms (
        term TEXT PRIMARY KEY,
        head TEXT NOT NULL,
        len INTEGER NOT NULL,
        docs INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS ix_search_terms_head_len ON search_terms (head, len)",
    "CREATE TABLE IF NOT EXISTS search_meta (key TEXT PRIMARY KEY, value TEXT)",
    "INSERT OR IGNORE INTO search_meta (key, value) VALUES ('generation', '0')",
)

TRIGGER_NAMES = (
    "search_documents_ai",
    "search_documents_ad",
    "search_documents_au",
    "search_facets_ai",
    "search_facets_ad",
)


def drop_schema(bind: sa.engine.Connection) -> None:
    """Drop every FTS object (the rebuild recreates them)."""
    for name in TRIGGER_NAMES:
        bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    for table in ("search_fts", "search_documents", "search_facets", "search_facet_counts", "search_terms"):
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")


def create_schema(bind: sa.engine.Connection) -> None:
    """Create the FTS objects (idempotent) on a SQLite connection."""
    for statement in SCHEMA:
        bind.exec_driver_sql(statement)


# ---------------------------------------------------------------------------- backend


class SqliteFtsSearch(SearchBackend):
    name = "sqlite"
    indexes_in_transaction = True

    def __init__(self, scan_limit: int = SCAN_LIMIT) -> None:
        self.scan_limit = scan_limit
        self.small_total = SMALL_TOTAL
        self.dense = DENSE
        self.walk_factor, self.walk_extra = WALK_FACTOR, WALK_EXTRA
        # Grouped facet rows per (index generation, query): process-local, and safe
        # across processes because the generation is read from the database.
        self._facet_cache = WeightedCache()
        self._cache_lock = threading.Lock()
        self._tree_cache: dict[str, tuple[str, list]] = {}

    # -- query planning ---------------------------------------------------------

    def _has_term(self, session, term: str) -> bool:
        return session.execute(sa.text("SELECT 1 FROM search_terms WHERE term = :t"), {"t": term}).first() is not None

    def _has_prefix(self, session, prefix: str) -> bool:
        row = session.execute(
            sa.text("SELECT 1 FROM search_terms WHERE term >= :lo AND term < :hi LIMIT 1"),
            {"lo": prefix, "hi": prefix + "\U0010ffff"},
        ).first()
        return row is not None

    def _typo_candidates(self, session, word: str) -> list[str]:
        limit = allowed_typos(word)
        if limit == 0:
            return []
        rows = session.execute(
            sa.text("SELECT term, docs FROM search_terms WHERE head = :h AND len BETWEEN :lo AND :hi"),
            {"h": word[0], "lo": len(word) - limit, "hi": len(word) + limit},
        ).all()
        scored = []
        for term, docs in rows:
            d = osa_distance(word, term, limit)
            if d <= limit:
                scored.append((d, -docs, term))
        scored.sort()
        return [term for _, _, term in scored[:TYPO_CANDIDATES]]

    def _transposition(self, session, word: str) -> str | None:
        for swapped in adjacent_swaps(word):
            if self._has_term(session, swapped):
                return swapped
        return None

    @staticmethod
    def _synonyms(session, keys: Sequence[str]) -> dict[str, list[str]]:
        """Synonym table rows for these folded keys (read per query: a few rows, and
        always current in every process)."""
        found: dict[str, list[str]] = {}
        rows = session.execute(
            sa.text("SELECT term, synonym FROM search_synonyms WHERE term IN :keys ORDER BY term, synonym")
            .bindparams(sa.bindparam("keys", expanding=True)),
            {"keys": sorted(set(keys))},
        ).all()
        for term, synonym in rows:
            found.setdefault(term, []).append(synonym)
        return found

    def _plan(self, session, text: str) -> Analysis | None:
        """Terms with their typo corrections; None when nothing can match."""
        analysis = analyse(text, lambda keys: self._synonyms(session, keys))
        if not analysis.terms:
            return None
        single = [t for t in analysis.terms if len(t.words) == 1 and not t.synonyms]
        exact = {t.words[0] for t in single if not t.prefix}
        indexed: set[str] = set()
        if exact:
            indexed = set(
                session.execute(
                    sa.text("SELECT term FROM search_terms WHERE term IN :terms").bindparams(
                        sa.bindparam("terms", expanding=True)
                    ),
                    {"terms": sorted(exact)},
                ).scalars()
            )
        kept = []
        for term in analysis.terms:
            if len(term.words) > 1 or term.synonyms:
                kept.append(term)  # synonym entries are curated: never corrected
                continue
            word = term.words[0]
            known = self._has_prefix(session, word) if term.prefix else word in indexed
            if not known:
                candidates = self._typo_candidates(session, word)
                if not candidates and 3 <= len(word) <= 4:
                    swapped = self._transposition(session, word)
                    if swapped is None and word[-1] == word[-2] and self._has_term(session, word[:-1]):
                        swapped = word[:-1]  # a doubled last letter: "ngoo" → "ngo"
                    candidates = [swapped] if swapped else []
                if not candidates:
                    analysis.dropped = True
                    continue  # a word nothing was indexed under
                term.corrections = candidates
            kept.append(term)
        if not kept:
            return None
        analysis.terms = kept
        return analysis

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

    @staticmethod
    def _subtree_ids(rows, slugs: Sequence[str]) -> list[int]:
        children: dict[int | None, list[int]] = {}
        for oid, parent, _ in rows:
            children.setdefault(parent, []).append(oid)
        wanted = set(slugs)
        stack = [oid for oid, _, slug in rows if slug in wanted]
        out: set[int] = set()
        while stack:
            oid = stack.pop()
            if oid in out:
                continue
            out.add(oid)
            stack.extend(children.get(oid, []))
        return sorted(out)

    def _filters(self, session, query: SearchQuery, today: int) -> tuple[dict[str, str], dict, dict]:
        """SQL conditions on ``f`` (search_facets) keyed by filter name, their
        parameters, and Python predicates of the facet filters for grouped rows
        ``(category_id, area_id, stars, rural, band, n)``."""
        conds: dict[str, str] = {}
        params: dict = {"today": today}
        preds: dict = {}

        def in_list(name: str, column: str, values: Sequence) -> str:
            keys = []
            for i, v in enumerate(values):
                key = f"{name}_{i}"
                params[key] = v
                keys.append(":" + key)
            return f"{column} IN ({', '.join(keys)})" if keys else "0"

        if query.categories:
            cats = self._subtree_ids(self._category_rows(session), query.categories)
            conds["category"] = in_list("cat", "f.category_id", cats)
            preds["category"] = lambda row, s=frozenset(cats): row[0] in s
        if query.areas:
            areas = self._subtree_ids(self._area_rows(session), query.areas)
            conds["area"] = in_list("area", "f.area_id", areas)
            preds["area"] = lambda row, s=frozenset(areas): row[1] in s
        if query.ocop_stars:
            stars = sorted({int(s) for s in query.ocop_stars})
            conds["ocop_stars"] = "(" + in_list("stars", "f.stars", stars) + " AND f.stars_until >= :today)"
            preds["ocop_stars"] = lambda row, s=frozenset(stars): row[2] in s
        if query.rural_industry is not None:
            want = 1 if query.rural_industry else 0
            params["rural"] = want
            conds["rural_industry"] = "f.rural = :rural"
            preds["rural_industry"] = lambda row, w=want: row[3] == w
        if query.price_bands:
            bands = [i for i, key in enumerate(BAND_KEYS) if key in set(query.price_bands)]
            conds["price_band"] = in_list("band", "f.band", bands)
            preds["price_band"] = lambda row, s=frozenset(bands): row[4] in s
        if query.seller:
            seller_id = session.execute(sa.select(Seller.id).where(Seller.slug == query.seller)).scalar()
            params["seller"] = seller_id if seller_id is not None else -1
            conds["seller"] = "f.seller_id = :seller"
        if query.min_price is not None:
            params["min_price"] = int(query.min_price)
            conds["min_price"] = "f.price >= :min_price"
        if query.max_price is not None:
            params["max_price"] = int(query.max_price)
            conds["max_price"] = "f.price <= :max_price"
        if query.season is not None:  # issue 19: a non-facet filter (narrows before counting)
            params["season"] = 1 << (int(query.season) - 1)
            conds["season"] = "(f.season & :season) != 0"
        return conds, params, preds

    @staticmethod
    def _order_by(sort: str) -> str:
        if sort == "price_asc":
            return "f.price ASC, f.id ASC"
        if sort == "price_desc":
            return "f.price DESC, f.id DESC"
        if sort == "newest":
            return "f.published DESC, f.id DESC"  # NULLs sort last in DESC
        if sort == "popular":
            return "f.views DESC, f.id DESC"
        return "f.featured DESC, f.views DESC, f.id DESC"

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
        conds, params, preds = self._filters(session, query, today)
        plan = self._plan(session, query.text) if query.text.strip() else None
        if query.text.strip() and plan is None:
            return self._empty(query)

        def run(p: Analysis | None) -> SearchResult:
            return self._run(session, query, p, conds, dict(params), preds)

        result = run(plan)
        # matchingStrategy "last": drop trailing words while nothing matches.
        while result.total == 0 and plan is not None and len(plan.terms) > 1:
            plan = plan.without_last()
            result = run(plan)
        return result

    def _empty(self, query: SearchQuery) -> SearchResult:
        facets = empty_facets() if query.with_facets else {}
        return SearchResult(ids=[], total=0, page=query.page, per_page=query.per_page, facets=facets, backend=self.name)

    def _generation(self, session) -> str:
        current = session.info.get(_SEARCH_GENERATION)
        if current is not None:
            return current
        return session.execute(sa.text("SELECT value FROM search_meta WHERE key = 'generation'")).scalar() or "0"


    def _grouped(self, session, source: str, sql_only: list[str], params: dict) -> dict[int, int]:
        """Document counts per packed facet key (``pack_facets``; the stars digit is
        zeroed when the certificate is not valid today) over the matches with the
        non-facet filters applied; cached per index generation.

        One pass, no SQL sort: SQLite only concatenates the key of every match
        (``GROUP BY`` over 50-100k matches spends most of its time sorting them) and
        Python counts them with ``Counter``. Strings and ints are not tracked by the
        garbage collector, so the per-row work adds no collection pressure either."""
        key_params = tuple(sorted((k, v) for k, v in params.items() if k in _NON_FACET_PARAMS))
        key = (self._generation(session), source, tuple(sql_only), key_params)
        with self._cache_lock:
            groups = self._facet_cache.get(key)
            if groups is not None:
                return groups
        where = " AND ".join([source, *sql_only])
        if source.startswith("search_facets") and not sql_only:
            # Browsing everything: the trigger-maintained counters.
            sql = (
                f"SELECT group_concat(({_VALID_FKEY.format(until='stars_until')}) || ' ' || n)"
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
            sql = f"SELECT group_concat({_VALID_FKEY.format(until='f.stars_until')}) FROM {where}"
            text = session.execute(sa.text(sql), params).scalar()
            groups = {int(k): n for k, n in Counter(text.split(",")).items()} if text else {}
        with self._cache_lock:
            self._facet_cache.put(key, groups, len(groups))
        return groups

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
            total, facets = self._facets(session, rows, preds)
        else:  # only the exact total: one count, no grouping
            where = " AND ".join([source, *conds.values()])
            total = session.execute(sa.text(f"SELECT count(*) FROM {where}"), params).scalar() or 0

        ids: list[int] = []
        filters = list(conds.values())
        if total and query.offset < total:
            if plan is not None and query.sort not in ("price_asc", "price_desc", "newest", "popular"):
                ids = self._ranked(session, query, plan, filters, params, total, candidates or total)
            else:
                params["limit"] = query.per_page
                params["offset"] = query.offset
                sql = " AND ".join([f"SELECT f.id FROM {source}", *filters])
                sql += f" ORDER BY {self._order_by(query.sort)} LIMIT :limit OFFSET :offset"
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
            highlights = self._highlights(session, ids, plan)
        return SearchResult(
            ids=ids,
            total=total,
            page=query.page,
            per_page=query.per_page,
            facets=facets,
            highlights=highlights,
            backend=self.name,
            corrected_text=plan.corrected_text if plan is not None else None,
        )

    _SELECT = "SELECT f.id FROM search_fts JOIN search_facets f ON f.id = search_fts.rowid WHERE search_fts MATCH "

    def _ranked(
        self, session, query: SearchQuery, plan: Analysis, filters, params, total: int, candidates: int
    ) -> list[int]:
        """One page in relevance order, cached per index generation like facet counts."""
        dims = ranking.dimensions(plan)
        key = (
            "rank",
            self._generation(session),
            tuple(tuple(d.levels) for d in dims),
            tuple(sorted((k, v) for k, v in params.items() if k not in ("limit", "offset", "tier"))),
            tuple(filters),
            query.offset,
            query.per_page,
        )
        with self._cache_lock:
            cached = self._facet_cache.get(key)
        if cached is None:
            cached = tuple(self._rank(session, query, dims, filters, params, total, candidates))
            with self._cache_lock:  # popular queries repeat between catalog changes
                self._facet_cache.put(key, cached, len(cached))
        return list(cached)

    def _rank(self, session, query: SearchQuery, dims, filters, params, total: int, candidates: int) -> list[int]:
        """One page in relevance order (``ranking.py``): products sort by their level
        in each rule dimension, then by the tie-breakers.

        Few matches: one statement, each level expression evaluated once as an
        ``IN`` set. Many matches: tier by tier — every combination of levels in rule
        order, each fetched already sorted by the tie-breakers with ``LIMIT`` —
        stopping as soon as the page is full. A tier's query asks for its own levels
        only (not "and no better level"), so it may return products of earlier tiers;
        those were all fetched before (a tier is left only when exhausted) and are
        skipped. Both ways give the same order."""
        need = query.offset + query.per_page
        if candidates <= self.scan_limit or total <= self.small_total:
            order = []
            for d, dim in enumerate(dims):
                whens = []
                for level, expr in enumerate(dim.levels):
                    key = f"rank_{d}_{level}"
                    params[key] = expr
                    whens.append(
                        f"WHEN f.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :{key}) THEN {level}"
                    )
                order.append(f"CASE {' '.join(whens)} ELSE {len(dim.levels)} END")
            params["limit"], params["offset"] = query.per_page, query.offset
            sql = " AND ".join([self._SELECT + ":match", *filters])
            sql += f" ORDER BY {', '.join([*order, ranking.TIE_BREAKERS])} LIMIT :limit OFFSET :offset"
            return [row[0] for row in session.execute(sa.text(sql), params).all()]
        found: list[int] = []
        seen: set[int] = set()
        order = f" ORDER BY {ranking.TIE_BREAKERS} LIMIT :limit"
        # A small tier: its ids (read once from FTS5) sorted by the tie-breakers.
        sparse_sql = sa.text(
            " AND ".join(["SELECT f.id FROM search_facets f WHERE f.id IN :ids", *filters]) + order
        ).bindparams(sa.bindparam("ids", expanding=True))
        # A dense tier: walk the popularity index and stop after one page, instead of
        # joining and sorting tens of thousands of rows.
        dense_sql = " AND ".join(
            [
                "SELECT f.id FROM search_facets f INDEXED BY ix_search_facets_popular"
                " WHERE f.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :tier)",
                *filters,
            ]
        ) + order
        # The same rows, by probing each row of the popularity index in turn: FTS5
        # seeks one rowid per probe instead of reading the tier's whole doclist.
        walk_sql = sa.text(
            " AND ".join(
                [
                    "SELECT f.id, EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH :tier"
                    " AND search_fts.rowid = f.id) FROM search_facets f INDEXED BY ix_search_facets_popular"
                    " WHERE 1",
                    *filters,
                ]
            )
            + f" ORDER BY {ranking.TIE_BREAKERS} LIMIT :walk"
        )
        members_sql = f"SELECT rowid FROM search_fts WHERE search_fts MATCH :tier LIMIT {int(self.dense)}"
        # Levels no match reaches are skipped (one early-stopping probe each): a tier
        # query over common words costs milliseconds even when it finds nothing. A
        # level is probed only when a tier needing it comes up (the page is often full
        # before the later levels matter; such a probe can cost milliseconds too).
        probe = sa.text("SELECT 1 FROM search_fts WHERE search_fts MATCH :e LIMIT 1")
        probed: dict[tuple[int, int], bool] = {}

        def reachable(d: int, level: int) -> bool:
            if level == len(dims[d].levels):
                return True  # none of the levels: always possible
            if (d, level) not in probed:
                probed[d, level] = session.execute(probe, {"e": dims[d].levels[level]}).first() is not None
            return probed[d, level]

        # Walking the popularity index pays when the tier is dense among the products
        # walked. Without filters, when even the whole match set, spread evenly, would
        # give fewer than two pages within the walk, the walk is skipped for the tier
        # query (the same rows either way; a failed walk cost 6-12 ms at 100,000).
        hopeless: list[bool] = []

        def walk_is_hopeless() -> bool:
            if not hopeless:
                documents = session.execute(sa.text("SELECT count(*) FROM search_facets")).scalar() or 0
                budget = self.walk_factor * need + self.walk_extra
                hopeless.append(not filters and candidates * budget < 2 * need * documents)
            return hopeless[0]

        for combo in itertools.product(*(range(len(d.levels) + 1) for d in dims)):
            # Every level expression holds every query word: no need to AND the match.
            parts = ranking.tier_parts(dims, combo)
            if parts is None:
                continue  # no product holds exactly these levels (see tier_parts)
            if not all(reachable(d, level) for d, level in enumerate(combo)):
                continue
            params["tier"] = " AND ".join(f"({p})" for p in parts) if parts else params["match"]
            params["limit"] = need - len(found) + len(seen)
            members = session.execute(sa.text(members_sql), {"tier": params["tier"]}).scalars().all()
            if not members:
                continue
            if len(members) >= self.dense:
                # Probing pays only when FTS5 can seek each probe's words: a prefix of
                # 4+ letters has no prefix index and would be re-expanded per probe.
                walkable = not _LONG_PREFIX.search(params["tier"]) and not walk_is_hopeless()
                rows = self._walk(session, walk_sql, params) if walkable else None
                if rows is None:
                    rows = session.execute(sa.text(dense_sql), params).scalars().all()
            else:
                tier_params = {k: v for k, v in params.items() if k != "tier"}
                rows = session.execute(sparse_sql, {**tier_params, "ids": list(members)}).scalars().all()
            for pid in rows:
                if pid not in seen:
                    seen.add(pid)
                    found.append(pid)
            if len(found) >= need or len(found) >= total:
                break
        return found[query.offset:need]

    def _walk(self, session, walk_sql, params) -> list[int] | None:
        """The first ``limit`` products of a dense tier in tie-breaker order, found
        by walking the popularity index (with the filters) and probing each row's
        membership; None when ``walk_factor`` rows per wanted product were not
        enough (a tier sparse among the filtered products: read it whole instead).
        Either way the same rows in the same order."""
        limit = params["limit"]
        walk = self.walk_factor * limit + self.walk_extra
        found: list[int] = []
        seen = 0
        result = session.execute(walk_sql, {**params, "walk": walk})
        try:
            for pid, hit in result:
                seen += 1
                if hit:
                    found.append(pid)
                    if len(found) >= limit:
                        return found
        finally:
            result.close()  # stops the statement where the page was filled
        return found if seen < walk else None  # every filtered product was probed

    def _facets(self, session, rows: dict[int, int], preds) -> tuple[int, dict[str, dict[str, int]]]:
        """Exact total and disjunctive facet counts from the counts per packed facet
        key; category and area counts rolled up to every ancestor (``facets.py``)."""
        total, (by_cat, by_area, by_stars, by_rural, by_band) = disjunctive_counts(rows, preds)
        category = rolled_up(by_cat, *tree(self._category_rows(session))) if by_cat else {}
        area = rolled_up(by_area, *tree(self._area_rows(session))) if by_area else {}
        stars = {"3": 0, "4": 0, "5": 0}
        for s, n in by_stars.items():
            stars[str(s)] = stars.get(str(s), 0) + n
        return total, {
            "category": category,
            "area": area,
            "ocop_stars": stars,
            "rural_industry": {"true": by_rural.get(1, 0), "false": by_rural.get(0, 0)},
            "price_band": {key: by_band.get(i, 0) for i, key in enumerate(BAND_KEYS)},
        }

    def _highlights(self, session, ids: list[int], plan: Analysis) -> dict[int, str]:
        exact: set[str] = set()
        prefixes: list[str] = []
        for t in plan.terms:
            exact.update(t.corrections)
            for words in t.synonyms:
                exact.update(words)
            if not t.corrections:
                exact.update(t.words[:-1] if t.prefix else t.words)
                if t.prefix:
                    prefixes.append(t.words[-1])
        rows = session.execute(
            sa.text("SELECT id, display_name FROM search_documents WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"ids": list(ids)},
        ).all()
        return {pid: highlight(name, exact, prefixes) for pid, name in rows}

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
            plan = self._plan(session, text)
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
        self._write(session.connection(), ids)

    def index_products(self, product_ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in product_ids})
        if not ids:
            return
        with db.engine.connect() as conn:
            self._write(conn, ids)
            conn.commit()

    def delete_products(self, product_ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in product_ids})
        if not ids:
            return
        with db.engine.connect() as conn:
            self._delete(conn, ids)
            _bump_generation(conn)
            conn.commit()

    @staticmethod
    def _delete(conn, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            for table in ("search_documents", "search_facets"):
                conn.execute(
                    sa.text(f"DELETE FROM {table} WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
                    {"ids": chunk},
                )

    def _write(self, conn, ids: Sequence[int]) -> None:
        docs, facets = [], []
        # A fresh session on the same connection sees the flushed rows of this
        # transaction without the caller's possibly stale relationship state.
        with _reader(conn) as reader:
            for product in load_products_for_documents(ids, session=reader):
                doc = product_to_document(product)
                if doc["is_public"]:
                    d, f = self.document_rows(doc)
                    docs.append(d)
                    facets.append(f)
        self._delete(conn, ids)
        self._insert(conn, docs, facets)
        _bump_generation(conn)

    @staticmethod
    def document_rows(doc: dict) -> tuple[dict, dict]:
        """The search_documents row (folded text) and search_facets row of a document."""
        area_parts = []
        if doc["area"]:
            area_parts.append(doc["area"]["name"])
        area_parts.extend(doc["area_aliases"])
        text = {
            "id": doc["id"],
            "slug": doc["slug"],
            "display_name": doc["name"],
            "name": doc["name_folded"],
            "category": fast_fold(" ".join(doc["category_names"])),
            "seller": fast_fold(doc["seller"]["name"]),
            "area": fast_fold(" ".join(area_parts)),
            "description": fast_fold(doc["description"]),
            "marks": marks_text(doc["name"]),
        }
        until = doc.get("ocop_expires_on")
        facets = {
            "id": doc["id"],
            "category_id": doc["category_id"],
            "area_id": doc["area_id"],
            "seller_id": doc["seller_id"],
            "stars": doc["ocop_stars"],
            "stars_until": int(until.replace("-", "")) if doc["ocop_stars"] and until else None,
            "rural": 1 if doc["rural_industry"] else 0,
            "band": BAND_KEYS.index(doc["price_band"]),
            "price": doc["price_vnd"],
            "views": doc["view_count"],
            "featured": 1 if doc["featured"] else 0,
            "published": doc["published_at"],
            # Bit m-1: in season in month m (documents.season_months; 0 year-round or unstated).
            "season": sum(1 << (m - 1) for m in doc.get("season_months") or ()),
        }
        facets["fkey"] = pack_facets(
            facets["category_id"], facets["area_id"], facets["stars"], facets["rural"], facets["band"]
        )
        return text, facets

    @staticmethod
    def _insert(conn, docs: list[dict], facets: list[dict], *, update_terms: bool = True) -> None:
        if not docs:
            return
        conn.execute(
            sa.text(
                f"INSERT INTO search_documents ({', '.join(DOC_COLUMNS)})"
                f" VALUES ({', '.join(':' + c for c in DOC_COLUMNS)})"
            ),
            docs,
        )
        conn.execute(
            sa.text(
                f"INSERT INTO search_facets ({', '.join(FACET_COLUMNS)})"
                f" VALUES ({', '.join(':' + c for c in FACET_COLUMNS)})"
            ),
            facets,
        )
        if update_terms:
            counts: dict[str, int] = {}
            for row in docs:
                for term in set(words_of(" ".join(row[c] for c in TEXT_COLUMNS))):
                    counts[term] = counts.get(term, 0) + 1
            _upsert_terms(conn, counts)

    def rebuild(self, progress: Progress | None = None, batch_size: int = 2000) -> int:
        """Rebuild everything from the database in one transaction (readers keep
        seeing the old index until it commits)."""
        started = time.monotonic()
        count = 0
        with db.engine.connect() as conn:
            # Start from scratch: this also repairs a damaged or outdated layout.
            drop_schema(conn)
            create_schema(conn)
            for name in TRIGGER_NAMES:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            ids = [
                row[0]
                for row in conn.execute(
                    sa.select(Product.id)
                    .join(Seller, Product.seller_id == Seller.id)
                    .where(Product.status == "published", Seller.status == "approved")
                    .order_by(Product.id)
                ).all()
            ]
            terms: dict[str, int] = {}
            with _reader(conn) as reader:
                for start in range(0, len(ids), batch_size):
                    chunk = ids[start:start + batch_size]
                    docs, facets = [], []
                    for product in load_products_for_documents(chunk, session=reader):
                        doc = product_to_document(product)
                        if doc["is_public"]:
                            d, f = self.document_rows(doc)
                            docs.append(d)
                            facets.append(f)
                            for term in set(words_of(" ".join(d[c] for c in TEXT_COLUMNS))):
                                terms[term] = terms.get(term, 0) + 1
                    self._insert(conn, docs, facets, update_terms=False)
                    count += len(docs)
                    # Drop this batch's products (and, by cascade, their certificates,
                    # marks and photos); categories, areas and sellers stay loaded.
                    for obj in list(reader.identity_map.values()):
                        if isinstance(obj, Product) and obj in reader:
                            reader.expunge(obj)
                    if progress:
                        progress(len(chunk))
            _upsert_terms(conn, terms)
            conn.exec_driver_sql(
                "INSERT INTO search_facet_counts (fkey, stars_until, n)"
                " SELECT fkey, coalesce(stars_until, 0), count(*) FROM search_facets GROUP BY 1, 2"
            )
            conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
            conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
            create_schema(conn)  # triggers back
            _bump_generation(conn)
            catalog_generation.bump(conn)  # cached pages show search results: render them anew
            _set_meta(conn, "last_rebuild", utcnow().isoformat(timespec="seconds"))
            _set_meta(conn, "last_rebuild_seconds", f"{time.monotonic() - started:.1f}")
            _set_meta(conn, "last_error", "")
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
                _set_meta(conn, "last_error", message[:500])
                conn.commit()
        except sa.exc.DBAPIError:
            pass

    # -- popularity (analytics rollup) -------------------------------------------

    def update_popularity(self, session, counts: dict[int, int]) -> None:
        """In place: only ``search_facets.views`` changes (no FTS row, trigger or term
        is touched), in the caller's transaction; the generation moves on so cached
        suggestions re-sort."""
        if not counts:
            return
        conn = session.connection()
        conn.execute(
            sa.text("UPDATE search_facets SET views = :views WHERE id = :id"),
            [{"id": int(pid), "views": int(n)} for pid, n in sorted(counts.items())],
        )
        _bump_generation(conn)


_SEARCH_GENERATION = "_search_generation"  # session.info: the generation read by the running search
_NON_FACET_PARAMS = ("today", "match", "seller", "min_price", "max_price", "season")

# The packed facet key with the stars digit zeroed unless the certificate is valid
# today (an expired certificate shows no badge and counts in no star facet).
_VALID_FKEY = "fkey - CASE WHEN {until} >= :today THEN 0 ELSE (fkey / 100 % 10) * 100 END"


def _bump_generation(conn) -> None:
    """Every index write moves the generation on (same transaction): cached facet
    counts of older generations are never used again, in any process."""
    conn.exec_driver_sql(
        "INSERT INTO search_meta (key, value) VALUES ('generation', lower(hex(randomblob(8))))"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def _reader(conn) -> Session:
    """A read-only session joined to ``conn``'s transaction; closing it neither
    commits nor rolls back (no savepoint of its own)."""
    return Session(bind=conn, join_transaction_mode="rollback_only", autoflush=False)


def _upsert_terms(conn, counts: dict[str, int]) -> None:
    if not counts:
        return
    conn.execute(
        sa.text(
            "INSERT INTO search_terms (term, head, len, docs) VALUES (:term, :head, :len, :docs)"
            " ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs"
        ),
        [{"term": t, "head": t[0], "len": len(t), "docs": n} for t, n in counts.items()],
    )


def _set_meta(conn, key: str, value: str) -> None:
    conn.execute(
        sa.text("INSERT INTO search_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
        {"k": key, "v": value},
    )


@lru_cache(maxsize=20_000)
def _fold_word(word: str) -> str:
    return fold(word)


def highlight(name: str, exact: set[str], prefixes: Sequence[str]) -> Markup:
    """HTML-escaped ``name`` with <mark> around words whose folded form is one of
    ``exact`` or starts with one of ``prefixes``."""
    out: list[str] = []
    # split() with a capturing group alternates separator, word, separator, ...
    for i, part in enumerate(_SPLIT_KEEP.split(name)):
        if not part:
            continue
        if i % 2:
            folded = _fold_word(part)
            if folded in exact or any(folded.startswith(p) for p in prefixes):
                out.append(f"<mark>{html.escape(part)}</mark>")
                continue
        out.append(html.escape(part))
    return Markup("".join(out))
