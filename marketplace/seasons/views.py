"""The public harvest calendar /mua-vu (page-cached: web/pagecache CACHED_ENDPOINTS)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..catalog.cards import cards_by_ids
from ..web import integers
from . import calendar
from .months import current_month

bp = Blueprint("seasons", __name__)
bp.add_app_template_global(current_month, "this_month")

MONTH_PARAM = "thang"


def chosen_month(raw: str | None) -> tuple[int, bool]:
    """(month, chosen): ``?thang=N`` when it is 1–12, else this month (junk is ignored,
    as on every HTML page: integers.page_number)."""
    try:
        return integers.parse_int((raw or "").strip(), low=1, high=12), True
    except ValueError:
        return current_month(), False


@bp.get("/mua-vu")
def calendar_page():
    month, chosen = chosen_month(request.args.get(MONTH_PARAM))
    view = calendar.month_view(month)
    cards = {c.id: c for c in cards_by_ids([pid for group in view.categories for pid in group.product_ids])}
    return render_template(
        "seasons/calendar.html",
        view=view,
        groups=[(group, [cards[i] for i in group.product_ids if i in cards]) for group in view.categories],
        month=month,
        this_month=current_month(),
        chosen=chosen,
        counts=calendar.in_season_counts(),
        upcoming=calendar.upcoming(month),
    )
