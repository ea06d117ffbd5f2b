"""Seasons: the months a product is available, and the harvest calendar built on them.

One home for month-set rules (this package); the catalog stores a product's months as
``Product.season_mask`` (bit ``m - 1`` set = available in month ``m``; NULL = the seller
did not say). Everything else — the product form, spreadsheet import, product page,
cards, /mua-vu, the API, the search filter, alerts and sourcing matches — goes through
the helpers in ``marketplace.seasons.months``:

* ``months_of(product)`` / ``mask_to_months(mask)``: the set of months (1–12);
* ``available_in(product, month)``: the product is offered in that month (year-round
  products included);
* ``in_season(product, month)``: the product is *seasonal* and that month is in its
  season (what "Đang vào mùa", ``season=`` and /mua-vu mean: a year-round product is
  never "coming into season");
* ``current_month()``: today's month in Asia/Ho_Chi_Minh;
* SQL twins for queries: ``season_mask_clause(column, month)`` (in_season) and
  ``available_mask_clause(column, month)`` (available_in).
"""
from .months import (  # noqa: F401
    ALL_MONTHS_MASK,
    available_mask_clause,
    available_in,
    current_month,
    format_months,
    in_season,
    is_year_round,
    mask_available,
    mask_in_season,
    mask_to_months,
    month_bit,
    months_of,
    months_to_mask,
    next_months,
    parse_months,
    season_mask_clause,
    season_start,
)
