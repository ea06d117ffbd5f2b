"""The FTS5 ranker: one page of matches in relevance order (the rules and their
levels are ``search/ranking.py``; docs/search.md, "The embedded engine").

Few matches: one statement, each level expression evaluated once as an ``IN`` set.
Many matches: tier by tier, stopping as soon as the page is full; a dense tier is
read along the popularity index (``walk``)."""
from __future__ import annotations

import itertools
import re

import sqlalchemy as sa

from .. import ranking
from ..base import SearchQuery

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

SELECT = "SELECT f.id FROM search_fts JOIN search_facets f ON f.id = search_fts.rowid WHERE search_fts MATCH "


def rank(tuning, session, query: SearchQuery, dims, filters, params, total: int, candidates: int) -> list[int]:
    """One page in relevance order (``ranking.py``; ``tuning``: the engine, with the
    thresholds above as attributes): products sort by their level
    in each rule dimension, then by the tie-breakers.

    Few matches: one statement, each level expression evaluated once as an
    ``IN`` set. Many matches: tier by tier — every combination of levels in rule
    order, each fetched already sorted by the tie-breakers with ``LIMIT`` —
    stopping as soon as the page is full. A tier's query asks for its own levels
    only (not "and no better level"), so it may return products of earlier tiers;
    those were all fetched before (a tier is left only when exhausted) and are
    skipped. Both ways give the same order."""
    need = query.offset + query.per_page
    if candidates <= tuning.scan_limit or total <= tuning.small_total:
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
        sql = " AND ".join([SELECT + ":match", *filters])
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
    members_sql = f"SELECT rowid FROM search_fts WHERE search_fts MATCH :tier LIMIT {int(tuning.dense)}"
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
            budget = tuning.walk_factor * need + tuning.walk_extra
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
        if len(members) >= tuning.dense:
            # Probing pays only when FTS5 can seek each probe's words: a prefix of
            # 4+ letters has no prefix index and would be re-expanded per probe.
            walkable = not _LONG_PREFIX.search(params["tier"]) and not walk_is_hopeless()
            rows = walk(tuning, session, walk_sql, params) if walkable else None
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

def walk(tuning, session, walk_sql, params) -> list[int] | None:
    """The first ``limit`` products of a dense tier in tie-breaker order, found
    by walking the popularity index (with the filters) and probing each row's
    membership; None when ``walk_factor`` rows per wanted product were not
    enough (a tier sparse among the filtered products: read it whole instead).
    Either way the same rows in the same order."""
    limit = params["limit"]
    budget = tuning.walk_factor * limit + tuning.walk_extra
    found: list[int] = []
    seen = 0
    result = session.execute(walk_sql, {**params, "walk": budget})
    try:
        for pid, hit in result:
            seen += 1
            if hit:
                found.append(pid)
                if len(found) >= limit:
                    return found
    finally:
        result.close()  # stops the statement where the page was filled
    return found if seen < budget else None  # every filtered product was probed
