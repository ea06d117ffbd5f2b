"""Database search: works on any database through the folded ``search_text`` column.

It serves as the backend on PostgreSQL without Meilisearch, and as the degraded mode
when a configured engine is unreachable. Filters, facets and sorts are the same as the
engines'. Matching is by folded substrings: every query word must occur in
``search_text`` (the folded name, code, unit, category, seller, area and its former
names, and description), which also makes the last word a prefix as typed.

Ranking follows the engines' rule order as far as substring flags can:
the name holds the query as a phrase ≫ the name starts with it ≫ the name holds every
word ≫ the phrase appears in another field ≫ the words are scattered; then featured,
popularity and newest as tie-breakers, and ``Product.id`` last so pages never overlap.

When the query matches nothing (matchingStrategy "last", like the engines): a word
that no public product contains is matched with one typo: the words one edit away
(``_edits``), as one regular expression on PostgreSQL (served by the pg_trgm GIN index
on ``search_text``) and as ``LIKE`` patterns elsewhere — the same matches either way
(trigram ``word_similarity`` was dropped: it costs ~45 µs per candidate row over the
whole text, so one common misspelt word took 40-70 ms); short words (3–4 letters)
only with two adjacent letters swapped; a word that still matches nothing is
dropped; then trailing words are dropped while nothing matches.

Category and area filters include descendants, and their facet counts are rolled up
to every ancestor, so a facet's count equals the total you get by selecting it.
"""
from __future__ import annotations

import heapq
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa

from ..catalog import queries as cq
from ..catalog.models import Area, Category, OcopCertification, Product, RuralIndustryRecognition
from ..extensions import db
from ..sellers.models import Seller
from .analysis import like_tokens
from .base import (
    PRICE_BANDS,
    Health,
    SearchBackend,
    SearchQuery,
    SearchResult,
    Suggestion,
)
from .facets import rolled_up

# Meilisearch's typo rule: no typo below 5 letters; 3-4 letter words only get the
# adjacent-letter swap the engines also try ("tna" → "tan").
MIN_TYPO_LENGTH = 5
MIN_SWAP_LENGTH = 3
# Longer "words" are codes or keyboard mashing, not words with a typo (Vietnamese
# syllables have at most 7 letters); their patterns would only cost scans.
MAX_TYPO_LENGTH = 15


class Term(NamedTuple):
    """A folded query word; ``fuzzy`` once it matched nothing exactly."""

    token: str
    fuzzy: bool = False


def query_tokens(text: str | None) -> list[str]:
    """Folded word tokens of a user query, at most MAX_TOKENS (``analysis.like_tokens``:
    NFC first; ``\\w`` keeps letters, digits and ``_``, escaped before LIKE; anything
    else — punctuation, ``%``, control characters, NUL — only separates tokens)."""
    return like_tokens(text)


def _like_escape(token: str) -> str:
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _edits(token: str) -> list[tuple[str, ...]]:
    """The words one edit away from ``token`` as literal parts joined by a
    one-character wildcard: adjacent swaps, and from MIN_TYPO_LENGTH letters also
    deletions, substitutions and insertions."""
    n = len(token)
    edits = [(token[:i] + token[i + 1] + token[i] + token[i + 2:],) for i in range(n - 1) if token[i] != token[i + 1]]
    if n >= MIN_TYPO_LENGTH:
        edits += [(token[:i] + token[i + 1:],) for i in range(n)]
        edits += [(token[:i], token[i + 1:]) for i in range(n)]
        edits += [(token[:i], token[i:]) for i in range(n + 1)]
    return edits


def edit_patterns(token: str) -> list[str]:
    """LIKE patterns (without the outer ``%``) for the words one edit away from
    ``token`` (``_edits``; ``_`` is LIKE's one-character wildcard)."""
    patterns = ["_".join(_like_escape(p) for p in parts) for parts in _edits(token)]
    return list(dict.fromkeys(p for p in patterns if p))


def edit_regex(token: str) -> str:
    """One PostgreSQL regular expression for ``token`` or any word one edit away
    (``_edits``; ``.`` is the one-character wildcard, other non-word characters
    escaped): a single pass over the text instead of one LIKE per pattern."""
    alternatives = [(token,), *_edits(token)]
    escaped = [".".join(re.sub(r"(\W)", r"\\\1", p) for p in parts) for parts in alternatives]
    return "(" + "|".join(dict.fromkeys(e for e in escaped if e)) + ")"


def can_be_fuzzy(token: str) -> bool:
    return MIN_SWAP_LENGTH <= len(token) <= MAX_TYPO_LENGTH and not token.isdigit()


def term_condition(term: Term, column) -> sa.ColumnElement[bool]:
    """``column`` holds ``term``: as a substring, or (fuzzy) within one typo. On
    PostgreSQL a typo is one regular expression (``~``, served by the pg_trgm index):
    the planner takes a table scan with 20-30 ``LIKE`` per row for cheap on a small
    table, and it costs 20-35 ms on the demo catalog; elsewhere ``LIKE`` patterns."""
    exact = column.like(f"%{_like_escape(term.token)}%", escape="\\")
    if not term.fuzzy:
        return exact
    if _dialect() == "postgresql":
        return column.regexp_match(edit_regex(term.token))
    fuzzy = [column.like(f"%{p}%", escape="\\") for p in edit_patterns(term.token)]
    return sa.or_(exact, *fuzzy)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _valid_stars_exists(stars: Iterable[int] | None = None) -> sa.Exists:
    cond = [OcopCertification.product_id == Product.id, cq.valid_certificate_condition()]
    if stars is not None:
        cond.append(OcopCertification.stars.in_(tuple(stars)))
    return sa.exists().where(*cond)


def _price_band_condition(keys: Iterable[str]) -> sa.ColumnElement[bool]:
    parts = []
    for key, low, high in PRICE_BANDS:
        if key in keys:
            cond = Product.price_vnd >= low
            if high is not None:
                cond = sa.and_(cond, Product.price_vnd < high)
            parts.append(cond)
    return sa.or_(*parts) if parts else sa.false()


def _price_band_case() -> sa.Case:
    whens = []
    for key, low, high in PRICE_BANDS:
        cond = Product.price_vnd >= low
        if high is not None:
            cond = sa.and_(cond, Product.price_vnd < high)
        whens.append((cond, key))
    return sa.case(*whens, else_="other")


class Subtrees(NamedTuple):
    """Ids of the filtered categories and areas with all their descendants (None: no
    such filter), read once per search however many times it retries."""

    categories: list[int] | None
    areas: list[int] | None


def subtrees(query: SearchQuery) -> Subtrees:
    return Subtrees(
        cq.category_descendant_ids(query.categories) if query.categories else None,
        area_descendant_ids(query.areas) if query.areas else None,
    )


def filter_conditions(
    query: SearchQuery, terms: list[Term] | None = None, trees: Subtrees | None = None
) -> dict[str, sa.ColumnElement[bool]]:
    """One SQL condition per filter, keyed by facet name (text and price range too).

    ``terms`` (default: the query's words, exact) are the text conditions; ``trees``
    (default: read now) the category and area filters' ids."""
    conds: dict[str, sa.ColumnElement[bool]] = {}
    if terms is None:
        terms = [Term(t) for t in query_tokens(query.text)]
    if trees is None:
        trees = subtrees(query)
    for i, term in enumerate(terms):
        conds[f"text{i}"] = term_condition(term, Product.search_text)
    if trees.categories is not None:
        conds["category"] = Product.category_id.in_(trees.categories)
    if trees.areas is not None:
        conds["area"] = Product.area_id.in_(trees.areas)
    if query.ocop_stars:
        conds["ocop_stars"] = _valid_stars_exists(query.ocop_stars)
    if query.rural_industry is not None:
        has = cq.has_rural_industry()
        conds["rural_industry"] = has if query.rural_industry else ~has
    if query.seller:
        conds["seller"] = Seller.slug == query.seller
    if query.min_price is not None:
        conds["min_price"] = Product.price_vnd >= query.min_price
    if query.max_price is not None:
        conds["max_price"] = Product.price_vnd <= query.max_price
    if query.price_bands:
        conds["price_band"] = _price_band_condition(query.price_bands)
    if query.season is not None:  # issue 19: not a facet, so applied before counting
        from ..seasons import season_mask_clause

        conds["season"] = season_mask_clause(Product.season_mask, int(query.season))
    return conds


def area_descendant_ids(slugs: Iterable[str]) -> list[int]:
    """Ids of the named areas and all their descendants (the area list is small)."""
    wanted = set(slugs)
    rows = db.session.execute(sa.select(Area.id, Area.parent_id, Area.slug)).all()
    children: dict[int | None, list[int]] = {}
    for aid, parent, _ in rows:
        children.setdefault(parent, []).append(aid)
    stack = [aid for aid, _, slug in rows if slug in wanted]
    result: set[int] = set()
    while stack:
        aid = stack.pop()
        if aid in result:
            continue
        result.add(aid)
        stack.extend(children.get(aid, []))
    return sorted(result)


def _relevance_columns(terms: list[Term]) -> list[sa.ColumnElement[int]]:
    """Text-match ranks (higher first), from ``search_text``, which starts with the
    folded name: the name holds the whole query as a phrase; the name starts with it;
    the name holds every word; the phrase appears anywhere. Phrase flags need the
    words as typed, so a query with typo-matched words ranks by the name flag only."""
    if not terms:
        return []
    # fold() does not lengthen Vietnamese text: the first len(name) characters cover the name.
    name_part = sa.func.substr(Product.search_text, 1, sa.func.length(Product.name))

    def flag(cond: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.case((cond, 1), else_=0)

    name_words = flag(sa.and_(*(term_condition(t, name_part) for t in terms)))
    if any(t.fuzzy for t in terms):
        return [sa.literal(0), sa.literal(0), name_words, sa.literal(0)]
    phrase = _like_escape(" ".join(t.token for t in terms))
    return [
        flag(name_part.like(f"%{phrase}%", escape="\\")),
        flag(Product.search_text.like(f"{phrase}%", escape="\\")),
        name_words,
        flag(Product.search_text.like(f"%{phrase}%", escape="\\")),
    ]


def _relevance(terms: list[Term]) -> list:
    return [col.desc() for col in _relevance_columns(terms)]


def _ordering(sort: str, terms: list[Term] | None = None) -> list:
    if sort == "price_asc":
        return [Product.price_vnd.asc(), Product.id.asc()]
    if sort == "price_desc":
        return [Product.price_vnd.desc(), Product.id.desc()]
    if sort == "newest":
        # NULLs sort differently on SQLite and PostgreSQL: put them last on both.
        return [Product.published_at.desc().nulls_last(), Product.id.desc()]
    if sort == "popular":
        return [Product.view_count.desc(), Product.id.desc()]
    return [
        *_relevance(terms or []),
        Product.featured.desc(),
        Product.view_count.desc(),
        Product.published_at.desc().nulls_last(),
        Product.id.desc(),
    ]


def _base(conds: Iterable[sa.ColumnElement[bool]]) -> sa.Select:
    return cq.public_product_ids().where(*conds)


# Filters that are also facets: applied in Python on the one-pass rows (see search()).
FACET_FILTERS = ("category", "area", "ocop_stars", "rural_industry", "price_band")
# Above this many candidate rows, counting in SQL beats loading them.
MAX_ROWS_IN_MEMORY = 20_000


class _Row(NamedTuple):
    id: int
    category_id: int
    area_id: int | None
    price: int
    stars: int | None  # of a valid certificate only
    rural_id: int | None
    featured: bool
    views: int
    published: datetime | None
    name_phrase: int  # the _relevance_columns, in order
    starts: int
    name_words: int
    contains: int


def _price_band_of(price: int) -> str | None:
    for key, low, high in PRICE_BANDS:
        if price >= low and (high is None or price < high):
            return key
    return None


def _top(sort: str, rows: list[_Row], n: int) -> list[_Row]:
    """The first ``n`` rows in the order of ``_ordering`` (Python twin: same keys, same
    tie-breakers). Keys are compared as they come (no per-row arithmetic or datetime
    conversion): descending orders take the largest keys; ``Product.id`` makes every
    key unique, so the result equals a full sort's first ``n`` rows."""
    if sort == "price_asc":
        return heapq.nsmallest(n, rows, key=lambda r: (r.price, r.id))
    if sort == "price_desc":
        return heapq.nlargest(n, rows, key=lambda r: (r.price, r.id))
    if sort == "newest":  # NULLs last
        return heapq.nlargest(n, rows, key=lambda r: (r.published is not None, r.published, r.id))
    if sort == "popular":
        return heapq.nlargest(n, rows, key=lambda r: (r.views or 0, r.id))
    return heapq.nlargest(
        n,
        rows,
        key=lambda r: (
            r.name_phrase,
            r.starts,
            r.name_words,
            r.contains,
            bool(r.featured),
            r.views or 0,
            r.published is not None,
            r.published,
            r.id,
        ),
    )


def _tree(model) -> tuple[dict[int, int | None], dict[int, str]]:
    rows = db.session.execute(sa.select(model.id, model.parent_id, model.slug)).all()
    return {i: parent for i, parent, _ in rows}, {i: slug for i, _, slug in rows}


class DatabaseSearch(SearchBackend):
    """Search over the folded ``search_text`` column of any database.

    One query loads the candidate rows (visibility, text, seller and price-range
    conditions in SQL) with the few columns facets and sorts need; the facet filters,
    the disjunctive facet counts, the order and the page are then computed in Python.
    That is one scan of ``search_text`` instead of one per facet (≈8). Above
    MAX_ROWS_IN_MEMORY candidates the same result is computed with SQL counting.
    """

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
            while tolerant:
                retry = self._run(query, tolerant, trees)
                if retry[0]:
                    total, ids, facets = retry
                    break
                tolerant = tolerant[:-1]
        return SearchResult(
            ids=ids,
            total=total,
            page=query.page,
            per_page=query.per_page,
            facets=facets,
            degraded=degraded,
            backend=self.name,
        )

    def _run(self, query: SearchQuery, terms: list[Term], trees: Subtrees) -> tuple[int, list[int], dict]:
        conds = filter_conditions(query, terms, trees)
        rows = self._candidate_rows(query, conds, terms)
        if rows is None:
            return self._search_sql(query, conds, terms)
        return self._search_rows(query, rows, trees)

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

    # --- one pass -----------------------------------------------------------------

    def _candidate_rows(self, query: SearchQuery, conds: dict, terms: list[Term]) -> list[_Row] | None:
        if terms and query.sort == "relevance":
            ranks = _relevance_columns(terms)
        else:
            ranks = [sa.literal(0)] * 4
        # Only what the chosen sort reads: datetime parsing of every row is costly.
        published = Product.published_at if query.sort in ("newest", "relevance") else sa.null()
        stmt = (
            sa.select(
                Product.id,
                Product.category_id,
                Product.area_id,
                Product.price_vnd,
                OcopCertification.stars,
                RuralIndustryRecognition.id,
                Product.featured,
                Product.view_count,
                published,
                *ranks,
            )
            .select_from(Product)
            .join(Seller, Product.seller_id == Seller.id)
            .outerjoin(
                OcopCertification,
                sa.and_(OcopCertification.product_id == Product.id, cq.valid_certificate_condition()),
            )
            .outerjoin(RuralIndustryRecognition, RuralIndustryRecognition.product_id == Product.id)
            .where(cq.public_condition(), *(c for key, c in conds.items() if key not in FACET_FILTERS))
            .limit(MAX_ROWS_IN_MEMORY + 1)
        )
        # Core execution: plain tuples, no ORM row processing; one fetchall (iterating
        # the result fetches row by row, a driver call each).
        rows = list(map(_Row._make, db.session.connection().execute(stmt).all()))
        return None if len(rows) > MAX_ROWS_IN_MEMORY else rows

    def _predicates(self, query: SearchQuery, trees: Subtrees) -> dict[str, Callable[[_Row], bool]]:
        preds: dict[str, Callable[[_Row], bool]] = {}
        if trees.categories is not None:
            cat_ids = frozenset(trees.categories)
            preds["category"] = lambda r: r.category_id in cat_ids
        if trees.areas is not None:
            area_ids = frozenset(trees.areas)
            preds["area"] = lambda r: r.area_id in area_ids
        if query.ocop_stars:
            stars = frozenset(query.ocop_stars)
            preds["ocop_stars"] = lambda r: r.stars in stars
        if query.rural_industry is not None:
            wanted = bool(query.rural_industry)
            preds["rural_industry"] = lambda r: (r.rural_id is not None) is wanted
        if query.price_bands:
            bands = frozenset(query.price_bands)
            preds["price_band"] = lambda r: _price_band_of(r.price) in bands
        return preds

    def _search_rows(self, query: SearchQuery, rows: list[_Row], trees: Subtrees) -> tuple[int, list[int], dict]:
        preds = self._predicates(query, trees)
        matched: list[_Row] = []
        # Rows failing exactly one facet filter still count in that facet (disjunctive).
        near: dict[str, list[_Row]] = {name: [] for name in FACET_FILTERS}
        for row in rows:
            failed = [name for name, pred in preds.items() if not pred(row)]
            if not failed:
                matched.append(row)
            elif len(failed) == 1:
                near[failed[0]].append(row)
        first = _top(query.sort, matched, query.offset + query.per_page)
        ids = [r.id for r in first[query.offset :]]
        facets = self._facets_from_rows(matched, near) if query.with_facets else {}
        return len(matched), ids, facets

    def _facets_from_rows(self, matched: list[_Row], near: dict[str, list[_Row]]) -> dict[str, dict[str, int]]:
        def pool(name: str) -> Iterable[_Row]:
            return itertools.chain(matched, near[name])

        # The trees are read only when something is counted (a search that found
        # nothing, e.g. before its typo or word-dropping retry, needs neither).
        by_category = Counter(r.category_id for r in pool("category"))
        category = rolled_up(by_category, *_tree(Category)) if by_category else {}
        by_area = Counter(r.area_id for r in pool("area") if r.area_id is not None)
        area = rolled_up(by_area, *_tree(Area)) if by_area else {}
        stars = {str(s): 0 for s in (3, 4, 5)}
        for r in pool("ocop_stars"):
            if r.stars is not None:
                key = str(r.stars)
                stars[key] = stars.get(key, 0) + 1
        rural = {"true": 0, "false": 0}
        for r in pool("rural_industry"):
            rural["true" if r.rural_id is not None else "false"] += 1
        bands = {key: 0 for key, _, _ in PRICE_BANDS}
        for r in pool("price_band"):
            band = _price_band_of(r.price)
            if band is not None:
                bands[band] += 1
        return {"category": category, "area": area, "ocop_stars": stars, "rural_industry": rural, "price_band": bands}

    # --- SQL counting (large candidate sets) ----------------------------------------

    def _search_sql(self, query: SearchQuery, conds: dict, terms: list[Term]) -> tuple[int, list[int], dict]:
        stmt = _base(conds.values())
        total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
        ids = list(
            db.session.scalars(
                stmt.order_by(*_ordering(query.sort, terms))
                .limit(query.per_page)
                .offset(query.offset)
            )
        )
        facets = self.facets(conds) if query.with_facets else {}
        return total, ids, facets

    def facets(self, conds: dict[str, sa.ColumnElement[bool]]) -> dict[str, dict[str, int]]:
        """Disjunctive counts: each facet counted with every other filter applied."""

        def others(name: str) -> list[sa.ColumnElement[bool]]:
            return [c for key, c in conds.items() if key != name]

        def grouped(name: str, key_col, *joins) -> dict[str, int]:
            sub = _base(others(name)).subquery()
            stmt = sa.select(key_col, sa.func.count()).select_from(Product).join(sub, sub.c.id == Product.id)
            for target, on in joins:
                stmt = stmt.join(target, on)
            return {str(k): n for k, n in db.session.execute(stmt.group_by(key_col)).all() if k is not None}

        leaf = grouped("category", Category.slug, (Category, Category.id == Product.category_id))
        category = self._roll_up(Category, leaf)
        area = self._roll_up(Area, grouped("area", Area.slug, (Area, Area.id == Product.area_id)))
        stars_sub = _base(others("ocop_stars")).subquery()
        stars_stmt = (
            sa.select(OcopCertification.stars, sa.func.count())
            .join(stars_sub, stars_sub.c.id == OcopCertification.product_id)
            .where(cq.valid_certificate_condition())
            .group_by(OcopCertification.stars)
        )
        stars = {str(s): 0 for s in (3, 4, 5)}
        stars.update({str(s): n for s, n in db.session.execute(stars_stmt).all()})
        rural_sub = _base(others("rural_industry")).subquery()
        rural_total = db.session.scalar(sa.select(sa.func.count()).select_from(rural_sub)) or 0
        rural_yes = (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(RuralIndustryRecognition)
                .join(rural_sub, rural_sub.c.id == RuralIndustryRecognition.product_id)
            )
            or 0
        )
        band_col = _price_band_case().label("band")
        bands = {key: 0 for key, _, _ in PRICE_BANDS}
        bands.update(grouped("price_band", band_col))
        bands.pop("other", None)
        return {
            "category": category,
            "area": area,
            "ocop_stars": stars,
            "rural_industry": {"true": rural_yes, "false": rural_total - rural_yes},
            "price_band": bands,
        }

    @staticmethod
    def _roll_up(model, leaf: dict[str, int]) -> dict[str, int]:
        """Add each count to the row's ancestors too (Category or Area tree)."""
        if not leaf:
            return {}
        rows = db.session.execute(sa.select(model.id, model.parent_id, model.slug)).all()
        by_id = {cid: (parent, slug) for cid, parent, slug in rows}
        slug_to_id = {slug: cid for cid, _, slug in rows}
        total: dict[str, int] = {}
        for slug, n in leaf.items():
            cid: int | None = slug_to_id.get(slug)
            seen: set[int] = set()
            while cid is not None and cid not in seen:
                seen.add(cid)
                parent, s = by_id[cid]
                total[s] = total.get(s, 0) + n
                cid = parent
        return total

    # Kept for callers of the old name.
    @classmethod
    def _roll_up_categories(cls, leaf: dict[str, int]) -> dict[str, int]:
        return cls._roll_up(Category, leaf)

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
            .order_by(*_relevance(terms), Product.view_count.desc(), Product.id.desc())
            .limit(limit)
        )
        return [Suggestion(text=name, slug=slug) for name, slug in db.session.execute(stmt).all()]

    # The database is its own index: nothing to maintain.
    def index_products(self, product_ids: Iterable[int]) -> None:
        return None

    def delete_products(self, product_ids: Iterable[int]) -> None:
        return None

    def rebuild(self, progress=None) -> int:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(_base([]).subquery())) or 0
        if progress:
            progress(count)
        return count

    def health(self) -> Health:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(_base([]).subquery())) or 0
        return Health(backend=self.name, ok=True, documents=count)
