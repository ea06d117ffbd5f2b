"""The embedded search engine: SQLite FTS5 in the application's own database.

Layout (created by migration 0005_search_fts, or by ``create_schema`` in tests):

* ``search_documents`` — one row per PUBLIC product (id = product id): folded text
  columns for matching and the display name for highlights/suggestions.
* ``search_facets`` — the same ids with narrow integer filter, facet and sort columns
  (category/area/seller ids, valid stars and their expiry, rural mark, price band,
  price, views, featured, published): scanning tens of thousands of matches stays
  cheap because these rows are small.
* ``search_fts`` — an external-content FTS5 table over the five folded text columns,
  kept in sync by triggers (SQLite 3.40 has no ``contentless_delete``), with
  ``unicode61 remove_diacritics 2`` and 2/3-character prefix indexes; bm25 weights
  name 10 ≫ category 4, seller 3, area 3 ≫ description 1 via the ``rank`` option.
* ``search_facet_counts`` — document counts per facet combination over the whole
  index, kept exact by triggers on ``search_facets``: browsing without text reads
  these counters instead of grouping 100,000 rows.
* ``search_terms`` — the vocabulary of indexed words (first letter, length, document
  count) used for typo tolerance.
* ``search_meta`` — key/value bookkeeping (last rebuild, last error, and the index
  ``generation``, changed by every index write in the same transaction; grouped
  facet rows are cached per generation, so a cache can never serve stale counts).

Relevance: bm25 (name 10 ≫ category 4, seller 3, area 3 ≫ description 1; featured
×1.25) rounded to 2 decimals, then popularity (view count). When a query matches more
than BM25_LIMIT (5,000) products, computing bm25 for all of them costs too much, so
the order is Meilisearch's "attribute" rule instead: products with every word in the
name first, then the others; each tier by featured, then popularity.

Text is folded in Python with ``marketplace.text.fold`` (which handles đ→d, something
the FTS5 tokenizer does not) at index time and at query time.

Query rules (Meilisearch-like):
* ``\\w+`` tokens of the folded query, at most 10; each is quoted; the last one is a
  prefix (``"cuo"*``) when it has 2+ characters; all are joined with AND.
* typo tolerance: a word that is not in the vocabulary (a last word: no indexed word
  starts with it) is replaced by the indexed words with the same first letter within
  1 edit (5–8 letters) or 2 edits (9+ letters); an adjacent transposition counts as
  one edit (optimal string alignment distance).
* explicit rule for short words: a 3–4 letter word that is not in the vocabulary is
  corrected only by swapping two adjacent letters (``tna`` → ``tan``) when that word
  exists; a word that still matches nothing is dropped (as long as one word remains).
* if all remaining words together match nothing, trailing words are dropped one at a
  time (Meilisearch's ``matchingStrategy: "last"``).
"""
from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Session, scoped_session

from ..catalog.models import Area, Category, Product
from ..extensions import db
from ..sellers.models import Seller
from ..text import fold, today_vn, utcnow
from .base import (
    MAX_QUERY_CHARS,
    MAX_TOKENS,
    PRICE_BANDS,
    Health,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Suggestion,
)
from .documents import load_products_for_documents, product_to_document

log = logging.getLogger(__name__)

# bm25 column weights, in column order: name, category, seller, area, description.
BM25_WEIGHTS = (10.0, 4.0, 3.0, 3.0, 1.0)
FEATURED_BOOST = 1.25  # bm25 is negative: featured products' scores are multiplied
TYPO_CANDIDATES = 5  # at most this many corrections per word

# Tokens as the unicode61 tokenizer sees them (letters and digits; "_" separates).
_WORD = re.compile(r"[^\W_]+")
_SPLIT_KEEP = re.compile(r"([^\W_]+)")

TEXT_COLUMNS = ("name", "category", "seller", "area", "description")
DOC_COLUMNS = ("id", "slug", "display_name", *TEXT_COLUMNS)
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
)
BAND_KEYS = tuple(key for key, _, _ in PRICE_BANDS)


def pack_facets(category_id: int | None, area_id: int | None, stars: int | None, rural: int, band: int) -> int:
    """The five facet values in one integer, so that counting groups sorts one
    column instead of five (ids below 10^6 for areas, any size for categories)."""
    return (category_id or 0) * 10**9 + (area_id or 0) * 1000 + (stars or 0) * 100 + rural * 10 + band


@lru_cache(maxsize=262_144)
def unpack_facets(key: int) -> tuple[int | None, int | None, int | None, int, int]:
    category_id, rest = divmod(key, 10**9)
    area_id, rest = divmod(rest, 1000)
    stars, rest = divmod(rest, 100)
    rural, band = divmod(rest, 10)
    return category_id or None, area_id or None, stars or None, rural, band

# Relevance: bm25 over every match up to this many matches; above it, Meilisearch's
# "attribute" rule (every word in the name first), then featured, then popularity.
BM25_LIMIT = 5_000
FACET_CACHE_SIZE = 256

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
        description TEXT NOT NULL
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
        fkey INTEGER NOT NULL DEFAULT 0
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
        name, category, seller, area, description,
        content='search_documents', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='2 3'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts (rowid, name, category, seller, area, description)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_au
        AFTER UPDATE OF name, category, seller, area, description ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name, category, seller, area, description)
        VALUES ('delete', old.id, old.name, old.category, old.seller, old.area, old.description);
        INSERT INTO search_fts (rowid, name, category, seller, area, description)
        VALUES (new.id, new.name, new.category, new.seller, new.area, new.description);
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
    "INSERT INTO search_fts (search_fts, rank) VALUES ('rank', 'bm25({})')".format(
        ", ".join(str(w) for w in BM25_WEIGHTS)
    ),
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


# ---------------------------------------------------------------------------- helpers


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (an adjacent transposition is one edit),
    returning ``limit + 1`` as soon as the distance must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] | None = None
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if prev2 is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowed_typos(word: str) -> int:
    """Meilisearch defaults: 1 typo from 5 letters, 2 from 9."""
    if len(word) >= 9:
        return 2
    if len(word) >= 5:
        return 1
    return 0


class _FoldTable(dict):
    """``str.translate`` table computing ``marketplace.text.fold`` one character at a
    time (memoised): the same result, several times faster on long descriptions."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        value = " " if ch.isspace() else fold(ch)
        self[code] = value
        return value


_FOLD_TABLE = _FoldTable()
_SPACES = re.compile(r"\s+")


def fast_fold(text: str | None) -> str:
    """Equal to ``marketplace.text.fold`` (a property test checks it)."""
    if not text:
        return ""
    return _SPACES.sub(" ", text.translate(_FOLD_TABLE)).strip()


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _terms_of(text: str) -> list[str]:
    return _WORD.findall(text)


@dataclass
class _Token:
    text: str  # folded word as typed
    prefix: bool  # last word, matched as a prefix
    alternatives: list[str] = field(default_factory=list)  # indexed words to match instead
    corrected: str | None = None  # the best alternative when it is a correction

    def match(self) -> str:
        if self.alternatives:
            parts = [_quote(t) for t in self.alternatives]
            return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
        return _quote(self.text) + ("*" if self.prefix else "")


@dataclass
class _Plan:
    tokens: list[_Token]
    dropped: bool = False

    def match(self) -> str:
        return " AND ".join(t.match() for t in self.tokens)

    def name_match(self) -> str:
        """Every word in the name column."""
        return " AND ".join("name : " + t.match() for t in self.tokens)

    @property
    def corrected_text(self) -> str | None:
        if not any(t.corrected for t in self.tokens):
            return None
        return " ".join(t.corrected or t.text for t in self.tokens)


# ---------------------------------------------------------------------------- backend


class SqliteFtsSearch(SearchBackend):
    name = "sqlite"
    indexes_in_transaction = True

    def __init__(self, bm25_limit: int = BM25_LIMIT) -> None:
        self.bm25_limit = bm25_limit
        # Grouped facet rows per (index generation, query): process-local, and safe
        # across processes because the generation is read from the database.
        self._facet_cache: OrderedDict = OrderedDict()
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
        for i in range(len(word) - 1):
            if word[i] == word[i + 1]:
                continue
            swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            if self._has_term(session, swapped):
                return swapped
        return None

    def _plan(self, session, text: str) -> _Plan | None:
        """Tokens with their corrections; None when nothing can match."""
        words = _terms_of(fast_fold(text[:MAX_QUERY_CHARS]))[:MAX_TOKENS]
        if not words:
            return None
        tokens: list[_Token] = []
        dropped = False
        exact = {w for i, w in enumerate(words) if i < len(words) - 1 or len(w) < 2}
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
        for i, word in enumerate(words):
            last = i == len(words) - 1
            prefix = last and len(word) >= 2
            token = _Token(word, prefix)
            known = self._has_prefix(session, word) if prefix else word in indexed
            if not known:
                candidates = self._typo_candidates(session, word)
                if not candidates and 3 <= len(word) <= 4:
                    swapped = self._transposition(session, word)
                    candidates = [swapped] if swapped else []
                if candidates:
                    token.alternatives = candidates
                    token.corrected = candidates[0]
                else:
                    dropped = True
                    continue  # a word nothing was indexed under
            tokens.append(token)
        if not tokens:
            return None
        return _Plan(tokens, dropped)

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
        try:
            return self._search(db.session, query)
        except sa.exc.OperationalError as exc:
            raise SearchUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc

    def _search(self, session, query: SearchQuery) -> SearchResult:
        today = int(today_vn().strftime("%Y%m%d"))
        conds, params, preds = self._filters(session, query, today)
        plan = self._plan(session, query.text) if query.text.strip() else None
        if query.text.strip() and plan is None:
            return self._empty(query)

        def run(p: _Plan | None) -> SearchResult:
            return self._run(session, query, p, conds, dict(params), preds)

        result = run(plan)
        # matchingStrategy "last": drop trailing words while nothing matches.
        while result.total == 0 and plan is not None and len(plan.tokens) > 1:
            plan = _Plan(plan.tokens[:-1], dropped=True)
            result = run(plan)
        return result

    def _empty(self, query: SearchQuery) -> SearchResult:
        facets = {}
        if query.with_facets:
            facets = {
                "category": {},
                "area": {},
                "ocop_stars": {"3": 0, "4": 0, "5": 0},
                "rural_industry": {"true": 0, "false": 0},
                "price_band": {key: 0 for key in BAND_KEYS},
            }
        return SearchResult(ids=[], total=0, page=query.page, per_page=query.per_page, facets=facets, backend=self.name)

    def _generation(self, session) -> str:
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
                self._facet_cache.move_to_end(key)
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
            self._facet_cache[key] = groups
            while len(self._facet_cache) > FACET_CACHE_SIZE:
                self._facet_cache.popitem(last=False)
        return groups

    def _run(self, session, query: SearchQuery, plan: _Plan | None, conds, params, preds) -> SearchResult:
        sql_only = [c for k, c in conds.items() if k not in preds]
        if plan is not None:
            params["match"] = plan.match()
            source = "search_fts JOIN search_facets f ON f.id = search_fts.rowid WHERE search_fts MATCH :match"
        else:
            source = "search_facets f WHERE 1"
        facets: dict[str, dict[str, int]] = {}
        if query.with_facets:
            rows = self._grouped(session, source, sql_only, params)
            total, facets = self._facets(session, rows, preds)
        else:  # only the exact total: one count, no grouping
            where = " AND ".join([source, *conds.values()])
            total = session.execute(sa.text(f"SELECT count(*) FROM {where}"), params).scalar() or 0

        ids: list[int] = []
        filters = list(conds.values())
        if total and query.offset < total:
            if plan is not None and query.sort not in ("price_asc", "price_desc", "newest", "popular"):
                ids = self._ranked(session, query, plan, filters, params, total)
            else:
                params["limit"] = query.per_page
                params["offset"] = query.offset
                sql = " AND ".join([f"SELECT f.id FROM {source}", *filters])
                sql += f" ORDER BY {self._order_by(query.sort)} LIMIT :limit OFFSET :offset"
                ids = [row[0] for row in session.execute(sa.text(sql), params).all()]

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

    def _ranked(self, session, query: SearchQuery, plan: _Plan, filters, params, total: int) -> list[int]:
        """One page in relevance order."""
        join = "FROM search_fts JOIN search_facets f ON f.id = search_fts.rowid WHERE search_fts MATCH "
        if total <= self.bm25_limit:
            params["limit"] = query.per_page
            params["offset"] = query.offset
            sql = " AND ".join([f"SELECT f.id {join} :match", *filters])
            sql += (
                f" ORDER BY round(CASE WHEN f.featured THEN search_fts.rank * {FEATURED_BOOST}"
                " ELSE search_fts.rank END, 2), f.views DESC, f.id DESC LIMIT :limit OFFSET :offset"
            )
            return [row[0] for row in session.execute(sa.text(sql), params).all()]
        # Many matches: every word in the name first, then the rest; each tier by
        # featured, then popularity (bm25 over tens of thousands of rows is too slow).
        params["name_match"] = plan.name_match()
        params["rest_match"] = f"({plan.match()}) NOT ({plan.name_match()})"
        order = " ORDER BY f.featured DESC, f.views DESC, f.id DESC LIMIT :limit OFFSET :offset"
        need = query.offset + query.per_page
        params["limit"], params["offset"] = need, 0
        sql = " AND ".join([f"SELECT f.id {join} :name_match", *filters]) + order
        first = [row[0] for row in session.execute(sa.text(sql), params).all()]
        if len(first) >= need:
            return first[query.offset:need]
        ids = first[query.offset:]
        params["limit"] = query.per_page - len(ids)
        params["offset"] = max(0, query.offset - len(first))
        sql = " AND ".join([f"SELECT f.id {join} :rest_match", *filters]) + order
        ids += [row[0] for row in session.execute(sa.text(sql), params).all()]
        return ids

    def _facets(self, session, rows: dict[int, int], preds) -> tuple[int, dict[str, dict[str, int]]]:
        """Exact total and disjunctive facet counts from the counts per packed facet
        key: each facet counted with every OTHER filter applied."""
        names = ("category", "area", "ocop_stars", "rural_industry", "price_band")
        counts: list[dict] = [{} for _ in names]
        total = 0
        active = [(names.index(name), pred) for name, pred in preds.items()]
        passed = rows  # keys that every filter accepts
        if active:
            passed = {}
            for fkey, n in rows.items():
                row = unpack_facets(fkey)
                failed = -1  # index of the one facet whose own filter rejects the row
                for idx, pred in active:
                    if not pred(row):
                        if failed >= 0:
                            failed = -2
                            break
                        failed = idx
                if failed == -1:
                    passed[fkey] = n
                elif failed >= 0:
                    key = row[failed]
                    if key is not None:
                        c = counts[failed]
                        c[key] = c.get(key, 0) + n
        # Keys accepted by every filter count in every facet. Marginals in two steps
        # (category/area part, stars/rural/band part: see pack_facets), so that the
        # loop over thousands of keys does two dict updates instead of five.
        high: dict[int, int] = {}
        low: dict[int, int] = {}
        for fkey, n in passed.items():
            total += n
            h, lo = divmod(fkey, 1000)
            high[h] = high.get(h, 0) + n
            low[lo] = low.get(lo, 0) + n
        for h, n in high.items():
            cat, area = divmod(h, 10**6)
            for idx, key in ((0, cat), (1, area)):
                if key:
                    c = counts[idx]
                    c[key] = c.get(key, 0) + n
        for lo, n in low.items():
            stars, rest = divmod(lo, 100)
            rural, band = divmod(rest, 10)
            for idx, key in ((2, stars or None), (3, rural), (4, band)):
                if key is not None:
                    c = counts[idx]
                    c[key] = c.get(key, 0) + n
        by_cat, by_area, by_stars, by_rural, by_band = counts
        category = self._roll_up_categories(session, by_cat)
        # Areas roll up like categories (commune → province), as in the other backends.
        area = self._roll_up(self._area_rows(session), by_area) if by_area else {}
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

    def _roll_up_categories(self, session, leaf: dict[int, int]) -> dict[str, int]:
        if not leaf:
            return {}
        return self._roll_up(self._category_rows(session), leaf)

    @staticmethod
    def _roll_up(tree_rows, leaf: dict[int, int]) -> dict[str, int]:
        """Counts per node id → counts per slug, each added to every ancestor too."""
        by_id = {cid: (parent, slug) for cid, parent, slug in tree_rows}
        total: dict[str, int] = {}
        for cid, n in leaf.items():
            seen = set()
            while cid is not None and cid in by_id and cid not in seen:
                seen.add(cid)
                parent, slug = by_id[cid]
                total[slug] = total.get(slug, 0) + n
                cid = parent
        return total

    def _highlights(self, session, ids: list[int], plan: _Plan) -> dict[int, str]:
        exact: set[str] = set()
        prefixes: list[str] = []
        for t in plan.tokens:
            if t.alternatives:
                exact.update(t.alternatives)
            elif t.prefix:
                prefixes.append(t.text)
            else:
                exact.add(t.text)
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
        if len("".join(_terms_of(fold(text)))) < 2:
            return []
        limit = max(1, min(int(limit), 20))
        try:
            session = db.session
            plan = self._plan(session, text)
            if plan is None:
                return []
            key = ("suggest", self._generation(session), plan.name_match(), limit)
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
                {"match": plan.name_match(), "limit": limit},
            ).all()
        except sa.exc.OperationalError as exc:
            raise SearchUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc
        suggestions = [Suggestion(text=name, slug=slug) for name, slug in rows]
        with self._cache_lock:  # typed prefixes repeat a lot between catalog changes
            self._facet_cache[key] = tuple(suggestions)
            while len(self._facet_cache) > FACET_CACHE_SIZE:
                self._facet_cache.popitem(last=False)
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
                for term in set(_terms_of(" ".join(row[c] for c in TEXT_COLUMNS))):
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
                            for term in set(_terms_of(" ".join(d[c] for c in TEXT_COLUMNS))):
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


_NON_FACET_PARAMS = ("today", "match", "seller", "min_price", "max_price")

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
