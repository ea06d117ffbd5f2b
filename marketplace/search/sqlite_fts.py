"""The embedded search engine: SQLite FTS5 in the application's own database.

Layout (created by migration 0004_search_fts, or by ``create_schema`` in tests):

* ``search_documents`` — one row per PUBLIC product (id = product id): folded text
  columns for matching, the display name for highlights/suggestions, and the filter,
  facet and sort columns.
* ``search_fts`` — an external-content FTS5 table over the five folded text columns,
  kept in sync by triggers (SQLite 3.40 has no ``contentless_delete``), with
  ``unicode61 remove_diacritics 2`` and 2/3-character prefix indexes; bm25 weights
  name 10 ≫ category 4, seller 3, area 3 ≫ description 1 via the ``rank`` option.
* ``search_terms`` — the vocabulary of indexed words (first letter, length, document
  count) used for typo tolerance.
* ``search_meta`` — key/value bookkeeping (last rebuild, last error).

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

import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date

import sqlalchemy as sa
from markupsafe import Markup, escape
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
DOC_COLUMNS = (
    "id",
    "slug",
    "display_name",
    *TEXT_COLUMNS,
    "category_slug",
    "area_slug",
    "seller_slug",
    "ocop_stars",
    "ocop_until",
    "rural",
    "price_vnd",
    "price_band",
    "published_at",
    "view_count",
    "featured",
)

SCHEMA: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS search_documents (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        display_name TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        seller TEXT NOT NULL,
        area TEXT NOT NULL,
        description TEXT NOT NULL,
        category_slug TEXT,
        area_slug TEXT,
        seller_slug TEXT,
        ocop_stars INTEGER,
        ocop_until TEXT,
        rural INTEGER NOT NULL DEFAULT 0,
        price_vnd INTEGER NOT NULL,
        price_band TEXT NOT NULL,
        published_at INTEGER,
        view_count INTEGER NOT NULL DEFAULT 0,
        featured INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_price ON search_documents (price_vnd)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_published ON search_documents (published_at)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_popular ON search_documents (featured, view_count)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_views ON search_documents (view_count)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_seller ON search_documents (seller_slug)",
    """CREATE INDEX IF NOT EXISTS ix_search_documents_facets ON search_documents
        (category_slug, area_slug, ocop_stars, ocop_until, rural, price_band, price_vnd, seller_slug)""",
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
    "INSERT INTO search_fts (search_fts, rank) VALUES ('rank', 'bm25({})')".format(
        ", ".join(str(w) for w in BM25_WEIGHTS)
    ),
)

TRIGGER_NAMES = ("search_documents_ai", "search_documents_ad", "search_documents_au")


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

    @property
    def corrected_text(self) -> str | None:
        if not any(t.corrected for t in self.tokens):
            return None
        return " ".join(t.corrected or t.text for t in self.tokens)


# ---------------------------------------------------------------------------- backend


class SqliteFtsSearch(SearchBackend):
    name = "sqlite"
    indexes_in_transaction = True

    def __init__(self) -> None:
        self._logged_errors: set[str] = set()

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
        words = _terms_of(fold(text[:MAX_QUERY_CHARS]))[:MAX_TOKENS]
        if not words:
            return None
        tokens: list[_Token] = []
        dropped = False
        for i, word in enumerate(words):
            last = i == len(words) - 1
            prefix = last and len(word) >= 2
            token = _Token(word, prefix)
            known = self._has_prefix(session, word) if prefix else self._has_term(session, word)
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

    # -- SQL pieces -------------------------------------------------------------

    @staticmethod
    def _category_rows(session) -> list:
        """(id, parent_id, slug) of every category, once per search (the tree is small)."""
        real = session() if isinstance(session, scoped_session) else session
        memo = real.info.get("_search_category_rows")
        if memo is None or memo[0] is not real.get_transaction():
            rows = real.execute(sa.select(Category.id, Category.parent_id, Category.slug)).all()
            memo = (real.get_transaction(), rows)
            real.info["_search_category_rows"] = memo
        return memo[1]

    def _category_slugs(self, session, slugs: Sequence[str]) -> list[str]:
        rows = self._category_rows(session)
        children: dict[int | None, list[tuple[int, str]]] = {}
        for cid, parent, slug in rows:
            children.setdefault(parent, []).append((cid, slug))
        wanted = set(slugs)
        stack = [(cid, slug) for cid, _, slug in rows if slug in wanted]
        out: set[str] = set()
        while stack:
            cid, slug = stack.pop()
            if slug in out:
                continue
            out.add(slug)
            stack.extend(children.get(cid, []))
        return sorted(out)

    @staticmethod
    def _area_slugs(session, slugs: Sequence[str]) -> list[str]:
        rows = session.execute(sa.select(Area.id, Area.parent_id, Area.slug)).all()
        children: dict[int | None, list[tuple[int, str]]] = {}
        for aid, parent, slug in rows:
            children.setdefault(parent, []).append((aid, slug))
        wanted = set(slugs)
        stack = [(aid, slug) for aid, _, slug in rows if slug in wanted]
        out: set[str] = set()
        while stack:
            aid, slug = stack.pop()
            if slug in out:
                continue
            out.add(slug)
            stack.extend(children.get(aid, []))
        return sorted(out)

    def _filters(self, session, query: SearchQuery, today: str) -> tuple[dict[str, str], dict, dict]:
        """SQL conditions on ``d`` keyed by facet name, their parameters, and the
        Python predicates for the facet groups (used on grouped rows)."""
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
            cats = self._category_slugs(session, query.categories)
            conds["category"] = in_list("cat", "d.category_slug", cats)
            cat_set = set(cats)
            preds["category"] = lambda row, s=cat_set: row[0] in s
        if query.areas:
            areas = self._area_slugs(session, query.areas)
            conds["area"] = in_list("area", "d.area_slug", areas)
            area_set = set(areas)
            preds["area"] = lambda row, s=area_set: row[1] in s
        if query.ocop_stars:
            stars = sorted({int(s) for s in query.ocop_stars})
            conds["ocop_stars"] = "(" + in_list("stars", "d.ocop_stars", stars) + " AND d.ocop_until >= :today)"
            star_set = set(stars)
            preds["ocop_stars"] = lambda row, s=star_set: row[2] in s
        if query.rural_industry is not None:
            params["rural"] = 1 if query.rural_industry else 0
            conds["rural_industry"] = "d.rural = :rural"
            want = 1 if query.rural_industry else 0
            preds["rural_industry"] = lambda row, w=want: row[3] == w
        if query.price_bands:
            bands = [key for key, _, _ in PRICE_BANDS if key in set(query.price_bands)]
            conds["price_band"] = in_list("band", "d.price_band", bands)
            band_set = set(bands)
            preds["price_band"] = lambda row, s=band_set: row[4] in s
        if query.seller:
            params["seller"] = query.seller
            conds["seller"] = "d.seller_slug = :seller"
        if query.min_price is not None:
            params["min_price"] = int(query.min_price)
            conds["min_price"] = "d.price_vnd >= :min_price"
        if query.max_price is not None:
            params["max_price"] = int(query.max_price)
            conds["max_price"] = "d.price_vnd <= :max_price"
        return conds, params, preds

    @staticmethod
    def _order_by(sort: str, with_text: bool) -> str:
        if sort == "price_asc":
            return "d.price_vnd ASC, d.id ASC"
        if sort == "price_desc":
            return "d.price_vnd DESC, d.id DESC"
        if sort == "newest":
            return "d.published_at IS NULL, d.published_at DESC, d.id DESC"
        if sort == "popular":
            return "d.view_count DESC, d.id DESC"
        if with_text:
            return (
                f"round(CASE WHEN d.featured THEN search_fts.rank * {FEATURED_BOOST} ELSE search_fts.rank END, 2),"
                " d.view_count DESC, d.id DESC"
            )
        return "d.featured DESC, d.view_count DESC, d.id DESC"

    # -- search -----------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return self._search(db.session, query)
        except sa.exc.OperationalError as exc:
            raise SearchUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc

    def _search(self, session, query: SearchQuery) -> SearchResult:
        today = today_vn().isoformat()
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
                "price_band": {key: 0 for key, _, _ in PRICE_BANDS},
            }
        return SearchResult(ids=[], total=0, page=query.page, per_page=query.per_page, facets=facets, backend=self.name)

    def _run(self, session, query: SearchQuery, plan: _Plan | None, conds, params, preds) -> SearchResult:
        facet_names = set(preds)
        sql_only = [c for k, c in conds.items() if k not in facet_names]
        if plan is not None:
            params["match"] = plan.match()
            source = "search_documents d WHERE d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :match)"
        else:
            source = "search_documents d WHERE 1"
        stars_expr = "CASE WHEN d.ocop_until >= :today THEN d.ocop_stars END"

        facets: dict[str, dict[str, int]] = {}
        if query.with_facets:
            where = " AND ".join([source, *sql_only])
            rows = session.execute(
                sa.text(
                    f"SELECT d.category_slug, d.area_slug, {stars_expr} AS stars, d.rural, d.price_band, count(*)"
                    f" FROM {where} GROUP BY 1, 2, 3, 4, 5"
                ),
                params,
            ).all()
            total, facets = self._facets(session, rows, preds)
        else:
            where = " AND ".join([source, *conds.values()])
            total = session.execute(sa.text(f"SELECT count(*) FROM {where}"), params).scalar() or 0

        ids: list[int] = []
        if total and query.offset < total:
            params["limit"] = query.per_page
            params["offset"] = query.offset
            filters = list(conds.values())
            if plan is not None:
                needs_rank = query.sort not in ("price_asc", "price_desc", "newest", "popular")
                if needs_rank:
                    sql = (
                        "SELECT d.id FROM search_fts JOIN search_documents d ON d.id = search_fts.rowid"
                        " WHERE search_fts MATCH :match"
                    )
                else:
                    sql = f"SELECT d.id FROM {source}"
            else:
                sql = "SELECT d.id FROM search_documents d WHERE 1"
            sql = " AND ".join([sql, *filters])
            sql += f" ORDER BY {self._order_by(query.sort, plan is not None)} LIMIT :limit OFFSET :offset"
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

    def _facets(self, session, rows, preds) -> tuple[int, dict[str, dict[str, int]]]:
        """Exact total and disjunctive facet counts from (category, area, stars, rural,
        band, n) groups: each facet counted with every OTHER filter applied."""
        names = ("category", "area", "ocop_stars", "rural_industry", "price_band")
        counts: list[dict] = [{} for _ in names]
        total = 0
        active = [(names.index(name), pred) for name, pred in preds.items()]
        for row in rows:
            n = row[5]
            failed = -1  # index of the one facet whose own filter rejects the row
            for idx, pred in active:
                if not pred(row):
                    if failed >= 0:
                        failed = -2
                        break
                    failed = idx
            if failed == -2:
                continue
            if failed == -1:
                total += n
                for idx in range(5):
                    key = row[idx]
                    if key is not None:
                        c = counts[idx]
                        c[key] = c.get(key, 0) + n
            else:
                key = row[failed]
                if key is not None:
                    c = counts[failed]
                    c[key] = c.get(key, 0) + n
        counts = dict(zip(names, counts))
        category = self._roll_up_categories(session, counts["category"])
        stars = {"3": 0, "4": 0, "5": 0}
        for s, n in counts["ocop_stars"].items():
            stars[str(s)] = stars.get(str(s), 0) + n
        rural = {"true": counts["rural_industry"].get(1, 0), "false": counts["rural_industry"].get(0, 0)}
        bands = {key: counts["price_band"].get(key, 0) for key, _, _ in PRICE_BANDS}
        return total, {
            "category": category,
            "area": dict(counts["area"]),
            "ocop_stars": stars,
            "rural_industry": rural,
            "price_band": bands,
        }

    def _roll_up_categories(self, session, leaf: dict[str, int]) -> dict[str, int]:
        if not leaf:
            return {}
        rows = self._category_rows(session)
        by_id = {cid: (parent, slug) for cid, parent, slug in rows}
        slug_to_id = {slug: cid for cid, _, slug in rows}
        total: dict[str, int] = {}
        for slug, n in leaf.items():
            cid = slug_to_id.get(slug)
            if cid is None:
                total[slug] = total.get(slug, 0) + n
            seen = set()
            while cid is not None and cid not in seen:
                seen.add(cid)
                parent, s = by_id[cid]
                total[s] = total.get(s, 0) + n
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
        params = {f"i{n}": i for n, i in enumerate(ids)}
        rows = session.execute(
            sa.text(f"SELECT id, display_name FROM search_documents WHERE id IN ({', '.join(':' + k for k in params)})"),
            params,
        ).all()
        return {pid: highlight(name, exact, prefixes) for pid, name in rows}

    # -- suggestions --------------------------------------------------------------

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        text = (prefix or "")[:MAX_QUERY_CHARS]
        if len("".join(_terms_of(fold(text)))) < 2:
            return []
        limit = max(1, min(int(limit), 20))
        try:
            session = db.session
            plan = self._plan(session, text)
            if plan is None:
                return []
            match = " AND ".join("name : " + t.match() for t in plan.tokens)
            rows = session.execute(
                sa.text(
                    "SELECT d.display_name, d.slug FROM search_fts JOIN search_documents d ON d.id = search_fts.rowid"
                    " WHERE search_fts MATCH :match"
                    f" ORDER BY round(search_fts.rank, 1), d.view_count DESC, d.id DESC LIMIT :limit"
                ),
                {"match": match, "limit": limit},
            ).all()
        except sa.exc.OperationalError as exc:
            raise SearchUnavailable(str(exc.orig) if exc.orig else str(exc)) from exc
        return [Suggestion(text=name, slug=slug) for name, slug in rows]

    # -- indexing -----------------------------------------------------------------

    def enqueue(self, session, product_ids: Iterable[int]) -> None:
        """Write the index inside the caller's transaction: it commits or rolls back
        with the product change itself."""
        ids = sorted({int(i) for i in product_ids})
        if not ids:
            return
        conn = session.connection()
        self._write(conn, ids)

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
            conn.commit()

    @staticmethod
    def _delete(conn, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            conn.execute(sa.text("DELETE FROM search_documents WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": list(chunk)})

    def _write(self, conn, ids: Sequence[int]) -> None:
        rows = []
        # A fresh session on the same connection sees the flushed rows of this
        # transaction without the caller's possibly stale relationship state.
        with _reader(conn) as reader:
            for product in load_products_for_documents(ids, session=reader):
                doc = product_to_document(product)
                if doc["is_public"]:
                    rows.append(self.document_row(doc))
        self._delete(conn, ids)
        self._insert(conn, rows)

    @staticmethod
    def document_row(doc: dict) -> dict:
        """The search_documents row (folded text columns) for a document."""
        category_text = " ".join(doc["category_names"])
        area_parts = []
        if doc["area"]:
            area_parts.append(doc["area"]["name"])
        area_parts.extend(doc["area_aliases"])
        return {
            "id": doc["id"],
            "slug": doc["slug"],
            "display_name": doc["name"],
            "name": doc["name_folded"],
            "category": fold(category_text),
            "seller": fold(doc["seller"]["name"]),
            "area": fold(" ".join(area_parts)),
            "description": fold(doc["description"]),
            "category_slug": doc["category"]["slug"] if doc["category"] else None,
            "area_slug": doc["area"]["slug"] if doc["area"] else None,
            "seller_slug": doc["seller"]["slug"],
            "ocop_stars": doc["ocop_stars"],
            "ocop_until": doc.get("ocop_expires_on") if doc["ocop_stars"] else None,
            "rural": 1 if doc["rural_industry"] else 0,
            "price_vnd": doc["price_vnd"],
            "price_band": doc["price_band"],
            "published_at": doc["published_at"],
            "view_count": doc["view_count"],
            "featured": 1 if doc["featured"] else 0,
        }

    @staticmethod
    def _insert(conn, rows: list[dict], *, update_terms: bool = True) -> None:
        if not rows:
            return
        cols = ", ".join(DOC_COLUMNS)
        vals = ", ".join(":" + c for c in DOC_COLUMNS)
        conn.execute(sa.text(f"INSERT INTO search_documents ({cols}) VALUES ({vals})"), rows)
        if update_terms:
            counts: dict[str, int] = {}
            for row in rows:
                for term in set(_terms_of(" ".join(row[c] for c in TEXT_COLUMNS))):
                    counts[term] = counts.get(term, 0) + 1
            _upsert_terms(conn, counts)

    def rebuild(self, progress: Progress | None = None, batch_size: int = 1000) -> int:
        """Rebuild everything from the database in one transaction (readers keep
        seeing the old index until it commits)."""
        started = time.monotonic()
        count = 0
        with db.engine.connect() as conn:
            create_schema(conn)
            for name in TRIGGER_NAMES:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            conn.exec_driver_sql("DELETE FROM search_documents")
            conn.exec_driver_sql("DELETE FROM search_terms")
            conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('delete-all')")
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
                    rows = []
                    for product in load_products_for_documents(chunk, session=reader):
                        doc = product_to_document(product)
                        if doc["is_public"]:
                            row = self.document_row(doc)
                            rows.append(row)
                            for term in set(_terms_of(" ".join(row[c] for c in TEXT_COLUMNS))):
                                terms[term] = terms.get(term, 0) + 1
                    self._insert(conn, rows, update_terms=False)
                    count += len(rows)
                    reader.expunge_all()
                    if progress:
                        progress(len(chunk))
            _upsert_terms(conn, terms)
            conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
            conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
            create_schema(conn)  # triggers back
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
                out.append(f"<mark>{escape(part)}</mark>")
                continue
        out.append(str(escape(part)))
    return Markup("".join(out))
