"""Demo production lots: over 500 lots over the last 18 months, following the harvest
seasons of ``shared/data/thai-nguyen-catalog-facts.md`` ("Seasons"), and GTINs for the
products that carry lots.

Which seasons are sourced and which are invented:

* tea (sourced): picked about every 30 days from early March (spring tea, 50–60 % of the
  main-season output) to November, main season May–September; growth slows in winter,
  a few irrigated areas make winter tea (a December lot now and then);
* custard apple "na" of Võ Nhai (sourced): August–September;
* arrowroot glass noodles "miến dong" (sourced): noodle making peaks before Tết,
  November–January;
* honey (invented, plausible): spring flowers March–May, a smaller autumn harvest in
  October;
* rice and sticky rice (invented, plausible): the summer crop in June, the main crop in
  October–November.

Quantities, growing-area codes and GTINs are plausible inventions (the GTINs use the GS1
Vietnam prefix 893 with made-up company numbers and correct check digits). Deterministic:
the same catalog plan and day give the same lots.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from biip.checksums import gs1_standard_check_digit

from ..catalog.models import Product
from ..extensions import db
from ..text import VN_TZ, fold, today_vn, utcnow
from .models import Lot

MONTHS_BACK = 18
TEA = ("moc-cau", "che-bup", "che-dinh", "non-tom", "hong-tra")


@dataclass(frozen=True)
class Season:
    months: tuple[int, ...]  # months with a harvest
    quantity: tuple[int, int]  # per lot, in ``unit``
    unit: str
    keeps_days: int  # best-before after the harvest
    code: str  # growing-area code prefix
    low_months: tuple[int, ...] = ()  # months at 50–60 % of the main output (spring tea)
    chance: float = 1.0  # chance of a lot in a month of the season


SEASONS = {
    "tea": Season((3, 4, 5, 6, 7, 8, 9, 10, 11), (60, 400), "kg", 365, "CHE", low_months=(3, 4)),
    "tea-winter": Season((12,), (30, 90), "kg", 365, "CHE", chance=0.25),
    "na": Season((8, 9), (800, 4000), "kg", 7, "NA"),
    "mien": Season((11, 12, 1), (200, 1500), "kg", 365, "MIEN"),
    "honey": Season((3, 4, 5, 10), (40, 300), "lít", 730, "ONG", chance=0.8),
    "rice": Season((6, 10, 11), (1000, 6000), "kg", 365, "LUA", chance=0.9),
}
# family → seasons; how many products of each get lots
PICKS = (("tea", 42), ("na", 12), ("mien", 12), ("honey", 10), ("rice", 8))


def _kind(family: str, name: str) -> str | None:
    if family in TEA:
        return "tea"
    if family == "trai-cay" and fold(name).startswith("na "):
        return "na"
    return {"mien-dong": "mien", "mat-ong": "honey", "gao-nep": "rice"}.get(family)


def _months(today: date) -> list[tuple[int, int]]:
    """(year, month) of the last MONTHS_BACK months, oldest first, this month included."""
    year, month = today.year, today.month
    out = []
    for _ in range(MONTHS_BACK):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def gtin_for(company: int, item: int) -> str:
    """An invented GTIN-13 under the GS1 Vietnam prefix (893), as its 14-digit form."""
    payload = f"893{company:05d}{item:04d}"
    return "0" + payload + str(gs1_standard_check_digit(payload))


def seed_demo_lots(plan, today: date | None = None) -> int:  # noqa: ANN001 — a demo.seed.CatalogPlan
    """Add the demo lots (and the GTINs of their products) for ``plan``'s public
    products. Flushes; the caller commits. Returns the number of lots."""
    today = today or today_vn()
    rng = random.Random(f"lots-{today.isoformat()}")
    public = [p for p in plan.products if p.status == "published" and plan.seller(p.seller).status == "approved"]
    by_kind: dict[str, list] = {}
    for p in public:
        kind = _kind(p.family, p.name)
        if kind is not None:
            by_kind.setdefault(kind, []).append(p)
    chosen: list[tuple[str, object]] = []
    for kind, count in PICKS:
        candidates = sorted(by_kind.get(kind, []), key=lambda p: (p.cert is None, -p.view_count, p.slug))
        chosen.extend((kind, p) for p in candidates[:count])
    products = {p.slug: p for p in db.session.scalars(
        sa.select(Product).where(Product.slug.in_([p.slug for _kind, p in chosen])))}
    companies: dict[int, int] = {}
    items: dict[int, int] = {}
    codes: set[str] = set(db.session.scalars(sa.select(Lot.code)))
    now = utcnow()
    lots: list[Lot] = []
    for kind, plan_product in chosen:
        product = products[plan_product.slug]
        if rng.random() < 0.6:  # a GTIN for most producers that print lot labels
            company = companies.setdefault(product.seller_id, 40000 + len(companies))
            items[product.seller_id] = items.get(product.seller_id, 0) + 1
            product.gtin = gtin_for(company, items[product.seller_id])
        root = re.sub(r"[^A-Z0-9]+", "-", fold(product.code or "").upper()).strip("-")[:10] or f"SP{product.id}"
        area_no = rng.randint(1, 400)
        seasons = [SEASONS[kind]] + ([SEASONS["tea-winter"]] if kind == "tea" else [])
        for year, month in _months(today):
            for season in seasons:
                if month not in season.months or rng.random() > season.chance:
                    continue
                last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
                day = date(year, month, rng.randint(1, last))
                if day >= today:
                    continue
                low, high = season.quantity
                quantity = rng.randint(low, high)
                if month in season.low_months:
                    quantity = max(low // 2, quantity * rng.randint(50, 60) // 100)
                code = f"{root}-{day:%y%m%d}"
                n = 1
                while code in codes:
                    n += 1
                    code = f"{root}-{day:%y%m%d}-{n}"
                codes.add(code)
                area = product.area.name if product.area is not None else ""
                recorded = min(now, datetime.combine(day + timedelta(days=1), time(9), VN_TZ))
                lots.append(Lot(
                    product_id=product.id, seller_id=product.seller_id, code=code, harvested_on=day,
                    quantity=quantity, unit=season.unit,
                    origin=f"Mã vùng trồng TN-{season.code}-{area_no:04d}, {area}".rstrip(", "),
                    best_before=day + timedelta(days=season.keeps_days),
                    packing_facility=f"Xưởng đóng gói {plan.seller(plan_product.seller).name}"[:200],
                    notes="", status="published", is_demo=True, created_at=recorded, updated_at=recorded,
                ))
    db.session.add_all(lots)
    db.session.flush()
    return len(lots)
