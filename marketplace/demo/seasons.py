"""Seasons and supply capacity of the demo catalog (issue 19).

Which months are **sourced** and which are **invented** (see
/work/shared/data/thai-nguyen-catalog-facts.md, section "Seasons"):

Sourced (the facts file, with its sources):
* Tea (chè, every tea family): picked about every 30 days most of the year; spring tea
  from early March; main season May–September; growth slows in winter. The demo says
  **March–November** for fresh-picked tea lines (kinhtedouong.vn; chethainguyen.edu.vn).
* Custard apple of Võ Nhai (na dai): ripe mid-July to end of August of the lunar
  calendar, about **August–September** (daibieunhandan.vn).
* Glass noodles (miến dong): arrowroot dug in winter, noodle making peaks before Tết,
  about **November–January** (nongsanviet.nongnghiep.vn, 2025).

Invented (plausible, not from a source; the facts file allows it):
* Lychee (vải thiều) May–June, persimmon (hồng không hạt) September–November, king
  mandarin / mandarin (cam sành, quýt) October–January, pomelo (bưởi Diễn)
  October–February; bamboo shoots and mushrooms (măng, nấm) April–September; flower
  orchids (hoa lan) for Tết, December–February; sticky rice (gạo nếp) new crop
  June–July and October–November.
* Honey, processed foods, drinks, crafts, machinery, tourism: year-round, or not stated.

The values are a function of the product family, its name and its slug only (no use of
the plan's random stream), so the planned catalog — and its digest — is the same with or
without them.
"""
from __future__ import annotations

import hashlib

from ..seasons import ALL_MONTHS_MASK, months_to_mask, next_months

# family key → months (None: not stated); marked SOURCED or INVENTED.
SOURCED = {
    "moc-cau": next_months(3, 9), "che-dinh": next_months(3, 9), "non-tom": next_months(3, 9),
    "che-bup": next_months(3, 9),
    "mien-dong": [11, 12, 1],
}
INVENTED = {
    "mang-nam": next_months(4, 6),
    "hoa-lan": [12, 1, 2],
    "gao-nep": [6, 7, 10, 11],
}
# Fruit: by the name's stem (the family mixes several fruits).
FRUIT_SOURCED = {"Na dai": [8, 9]}
FRUIT_INVENTED = {
    "Vải thiều": [5, 6],
    "Hồng không hạt": [9, 10, 11],
    "Cam sành": [10, 11, 12, 1],
    "Quýt": [10, 11, 12, 1],
    "Bưởi Diễn": [10, 11, 12, 1, 2],
}
YEAR_ROUND = {"mat-ong", "tui-loc", "uop-hoa", "hong-tra", "bun-pho", "tra-thao-duoc", "tinh-bot-nghe",
              "giam-nuoc", "ruou", "thit", "tuong-gia-vi", "keo-che"}

# Capacity, for the families sold by volume: (unit, volume range per month, minimum order)
CAPACITY = {
    "moc-cau": ("kg", (200, 3000), 20), "che-dinh": ("kg", (20, 300), 5), "non-tom": ("kg", (50, 800), 10),
    "che-bup": ("kg", (300, 5000), 50), "mien-dong": ("kg", (500, 8000), 100), "bun-pho": ("kg", (500, 6000), 100),
    "mat-ong": ("lít", (50, 600), 10), "gao-nep": ("kg", (1000, 20000), 200), "mang-nam": ("kg", (100, 1500), 20),
    "trai-cay": ("kg", (1000, 30000), 100), "tinh-bot-nghe": ("kg", (50, 500), 10),
}
PACKAGING = {
    "moc-cau": "hộp 200 g, túi 500 g, bao 5 kg", "che-bup": "túi 500 g, bao 10 kg", "mien-dong": "gói 500 g, thùng 10 kg",
    "trai-cay": "thùng 5 kg, sọt 20 kg", "gao-nep": "túi 5 kg, bao 25 kg", "mat-ong": "chai 500 ml, can 5 lít",
}


def season_months(family: str, name: str) -> list[int] | None:
    if family == "trai-cay":
        for stem, months in {**FRUIT_SOURCED, **FRUIT_INVENTED}.items():
            if name.startswith(stem):
                return months
        return None
    if family in SOURCED:
        return SOURCED[family]
    if family in INVENTED:
        return INVENTED[family]
    if family in YEAR_ROUND:
        return list(range(1, 13))
    return None


def _fraction(slug: str) -> float:
    return int(hashlib.sha256(slug.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def supply_values(family: str, name: str, slug: str) -> dict:
    """Product column values for a demo product (empty values are left out)."""
    values: dict = {}
    months = season_months(family, name)
    if months:
        values["season_mask"] = months_to_mask(months) if len(months) < 12 else ALL_MONTHS_MASK
    capacity = CAPACITY.get(family)
    if capacity is not None:
        unit, (low, high), minimum = capacity
        volume = low + (high - low) * _fraction(slug)
        step = 100 if volume >= 1000 else 10
        values.update(monthly_volume=max(step, int(volume // step * step)), volume_unit=unit,
                      min_order_qty=minimum, lead_time_days=2 + int(_fraction(slug[::-1]) * 12))
        if family in PACKAGING:
            values["packaging"] = PACKAGING[family]
    return values
