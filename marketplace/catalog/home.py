"""The home page's content: live figures and rows of product cards.

Figures (counts per OCOP star, category, area; totals) scan every public product, so a
process keeps them while no product enters or leaves the public catalog (the ``members``
scope, ``catalog/generation.py``: exact, moved by database triggers in every process at
once) and per day. ``HOME_FIGURES_CACHE = False`` computes them on every request. The cards of every row (collections included)
are loaded in one batch.
"""
from __future__ import annotations

from flask import current_app

from ..text import today_vn
from . import generation, queries, showcase
from .cards import cards_by_ids
from .trees import area_tree

HOME_ROW = 8


def home_figures() -> dict:
    """Kept per process while no product enters or leaves the public catalog, and per day
    (a certificate valid until yesterday no longer counts: the date is part of the key)."""
    generation.depends("members")
    if not current_app.config.get("HOME_FIGURES_CACHE", True):
        return _home_figures()
    memos = current_app.extensions.setdefault("home_figures", {})
    today = today_vn()
    memo = memos.get(today)
    if memo is None:
        memos.clear()
        memo = memos[today] = generation.Memo("members")
    return memo.get(_home_figures)


def _home_figures() -> dict:
    star_counts = queries.ocop_star_counts()
    grid = queries.public_count_grid()
    figures = {
        "star_counts": star_counts,
        "category_counts": queries.public_counts_by_category(grid),
        "area_counts": queries.public_counts_by_area(grid),
        "counts": {
            "products": sum(n for _c, _a, _s, n in grid),
            "sellers": len({seller for _c, _a, seller, _n in grid}),
            "ocop": sum(star_counts.values()),
        },
    }
    return figures


def home_page() -> dict:
    """Template context of the home page (besides the root categories): figures, the
    curated blocks (``showcase``), the OCOP rows and the newest products, every card of them loaded
    in one statement."""
    figures = home_figures()
    star_counts = figures["star_counts"]
    row_ids = {stars: queries.ocop_highlight_ids(stars, HOME_ROW) for stars in (5, 4, 3) if star_counts.get(stars)}
    newest_ids = queries.newest_public_ids(HOME_ROW)
    curated = showcase.provider()
    blocks = curated.home()
    all_ids = [*curated.card_ids(blocks), *(i for ids in row_ids.values() for i in ids), *newest_ids]
    by_id = {card.id: card for card in cards_by_ids(all_ids)}
    ocop_rows = [(stars, [by_id[i] for i in ids if i in by_id]) for stars, ids in row_ids.items()]
    area_counts = figures["area_counts"]
    areas = [a for a in area_tree().all if a.id in area_counts and a.kind != "province"]
    areas.sort(key=lambda a: (-area_counts[a.id], a.name))
    return {
        "counts": figures["counts"],
        "star_counts": star_counts,
        "ocop_rows": [(stars, row) for stars, row in ocop_rows if row],
        "category_counts": figures["category_counts"],
        "areas": areas[:24],
        "area_counts": area_counts,
        "newest": [by_id[i] for i in newest_ids if i in by_id],
        **curated.home_context(blocks, by_id),
    }
