"""How a product's supply capacity reads to a buyer: "Có hàng: tháng 3 – tháng 10, tối
thiểu 50 kg". Display only; the rules for the values are catalog.services.clean_capacity."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import durations
from ..validation import _
from .months import current_month, format_months, in_season, is_year_round


def format_quantity(amount: int | None) -> str:
    """2000 → "2.000" (Vietnamese thousands)."""
    return "" if amount is None else f"{amount:,}".replace(",", ".")


def _with_unit(amount: int, unit: str | None) -> str:
    return f"{format_quantity(amount)} {unit}".strip() if unit else format_quantity(amount)


def availability(product: Any) -> str:
    """"Có hàng: tháng 3 – tháng 10, tối thiểu 50 kg" ("" when nothing is stated)."""
    parts = []
    mask = getattr(product, "season_mask", None)
    if mask:
        parts.append(_("Có hàng: %(months)s", months=format_months(mask)) if not is_year_round(mask)
                     else _("Có hàng quanh năm"))
    if product.min_order_qty:
        parts.append(_("tối thiểu %(q)s", q=_with_unit(product.min_order_qty, product.volume_unit)))
    text = ", ".join(parts)
    return text[:1].upper() + text[1:] if text else ""


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def facts(product: Any) -> list[Fact]:
    """The capacity lines of the product page, only those the seller filled in."""
    out = []
    if product.monthly_volume:
        out.append(Fact(_("Sản lượng mỗi tháng"), _with_unit(product.monthly_volume, product.volume_unit)))
    if product.min_order_qty:
        out.append(Fact(_("Đơn hàng tối thiểu"), _with_unit(product.min_order_qty, product.volume_unit)))
    if product.lead_time_days is not None:
        out.append(Fact(_("Thời gian chuẩn bị"), durations.days(product.lead_time_days)
                        if product.lead_time_days else _("có sẵn")))
    if product.packaging:
        out.append(Fact(_("Đóng gói"), product.packaging))
    if product.season_mask:
        out.append(Fact(_("Mùa vụ"), format_months(product.season_mask)))
    return out


def in_season_now(product: Any) -> bool:
    return in_season(product, current_month())


@dataclass(frozen=True)
class SupplyView:
    summary: str
    facts: list[Fact]
    in_season: bool
    seasonal: bool  # a season stated and not year-round: "tell me when it comes into season"


def supply_view(product: Any) -> SupplyView:
    """What the product page shows about supply (summary line, facts, "Đang vào mùa")."""
    mask = getattr(product, "season_mask", None)
    return SupplyView(availability(product), facts(product), in_season_now(product),
                      bool(mask) and not is_year_round(mask))
