"""Which sellers are told about a sourcing request, ranked.

A seller qualifies with at least one published product in the request's category (or
one below it) that holds every required certification (a certification kind: one
verified and valid today covering the seller or that product, per
``certifications.queries``). Among those, ``rank_score``
orders them from one input per criterion, each in 0..1 or ``None`` (unknown):

* ``category``: how much of the requested kind the seller lists (1 product → 0.5,
  more → towards 1);
* ``certifications``: the best OCOP stars among its qualifying products (a request
  that asks for none still prefers certified producers);
* ``capacity``: whether the monthly volume covers the request;
* ``season``: whether the product is available in the month of the deadline.

Capacity and season come from the products' supply fields (issue 19, item 1:
``monthly_volume`` + ``volume_unit``, ``season_mask`` read through
``marketplace.seasons``). A product that states nothing counts as unknown (neutral).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog.models import Product
from ..catalog.trees import category_tree
from ..certifications.models import KINDS, OCOP
from ..certifications.queries import valid_kinds_by_product
from ..extensions import db
from ..seasons import available_in
from ..sellers.models import Seller
from ..text import fold, today_vn

# Required-certification codes besides the certification kinds (``certifications.models.
# KINDS`` other than OCOP, whose code is the kind): OCOP by stars and rural industry. A
# code nobody knows is met by no product.
CERT_CODES = ("ocop3", "ocop4", "ocop5", "rural_industry")
NEUTRAL = 0.5
WEIGHTS = {"category": 0.4, "certifications": 0.3, "capacity": 0.15, "season": 0.15}


@dataclass(frozen=True)
class Fit:
    category: float | None
    certifications: float | None
    capacity: float | None
    season: float | None


@dataclass(frozen=True)
class Candidate:
    seller: Seller
    score: int
    fit: Fit
    products: tuple[Product, ...]


def rank_score(fit: Fit) -> int:
    """0..100 from the four criteria (an unknown one counts as neutral)."""
    total = 0.0
    for name, weight in WEIGHTS.items():
        value = getattr(fit, name)
        total += weight * (NEUTRAL if value is None else max(0.0, min(1.0, value)))
    return round(100 * total)


def meets(product: Product, code: str, on=None, valid_kinds: set[str] | None = None) -> bool:  # noqa: ANN001
    """Whether ``product`` holds the certification ``code``. A certification kind
    (VietGAP, organic, …) needs one of that kind, verified and valid on ``on`` (the
    Vietnamese date), covering the whole seller or this product: ``valid_kinds`` is the
    product's entry of ``certifications.queries.valid_kinds_by_product`` (looked up when
    not given)."""
    if code.startswith("ocop") and code[4:].isdigit():
        cert = product.certification
        return cert is not None and cert.is_valid(on) and cert.stars >= int(code[4:])
    if code == "rural_industry":
        return product.rural_industry is not None
    if code in KINDS and code != OCOP:
        if valid_kinds is None:
            valid_kinds = valid_kinds_by_product([product.id], on).get(product.id, set())
        return code in valid_kinds
    return False


# Units a volume can be compared in: name (folded) → (base unit, factor).
UNITS = {"kg": ("kg", 1), "kilogam": ("kg", 1), "g": ("kg", 0.001), "gam": ("kg", 0.001), "ta": ("kg", 100),
         "tan": ("kg", 1000), "t": ("kg", 1000), "l": ("l", 1), "lit": ("l", 1), "ml": ("l", 0.001)}
SEASON_MONTHS = 3  # a monthly request is judged on its first three months of supply


def _base(amount: float, unit: str | None) -> tuple[str, float] | None:
    """``amount`` in its base unit ("kg", "l"), or the unit itself when it has none
    ("hộp", "chai": comparable only with the same word)."""
    name = fold(unit or "")
    if not name:
        return None
    base, factor = UNITS.get(name, (name, 1))
    return base, amount * factor


def capacity_fit(products: Iterable[Product], request) -> float | None:  # noqa: ANN001
    """How much of the requested quantity (per month, or once) the products' stated
    monthly volumes cover, 0..1; None when no product states a volume in a comparable
    unit."""
    wanted = _base(request.quantity, request.unit)
    if wanted is None or wanted[1] <= 0:
        return None
    offered = None
    for product in products:
        stated = _base(getattr(product, "monthly_volume", None) or 0, getattr(product, "volume_unit", None))
        if stated is not None and stated[0] == wanted[0] and stated[1] > 0:
            offered = (offered or 0) + stated[1]
    return None if offered is None else min(1.0, offered / wanted[1])


def wanted_months(request) -> list[int]:  # noqa: ANN001
    """The months supply is wanted in: the deadline's month, and for a monthly request
    the months after it too."""
    first = request.deadline.month
    count = SEASON_MONTHS if request.frequency == "monthly" else 1
    return [(first - 1 + i) % 12 + 1 for i in range(count)]


def season_fit(products: Iterable[Product], request) -> float | None:  # noqa: ANN001
    """The share of the wanted months in which a product is available; None when no
    product states its season."""
    stated = [p for p in products if getattr(p, "season_mask", None)]
    if not stated:
        return None
    months = wanted_months(request)
    return sum(any(available_in(p, m) for p in stated) for m in months) / len(months)


def category_ids(category_id: int) -> list[int]:
    tree = category_tree()
    node = tree.by_id.get(category_id)
    return tree.descendant_ids([node.slug]) if node is not None else [category_id]


def _best_stars(products: Iterable[Product], on) -> int:  # noqa: ANN001
    return max((p.certification.stars for p in products
                if p.certification is not None and p.certification.is_valid(on)), default=0)


def candidates(request, *, exclude: Iterable[int] = ()) -> list[Candidate]:  # noqa: ANN001
    """Every qualifying approved seller for ``request``, best first."""
    on = today_vn()
    excluded = set(exclude)
    products = db.session.scalars(
        sa.select(Product)
        .join(Seller, Seller.id == Product.seller_id)
        .where(Product.status == "published", Seller.status == "approved",
               Product.category_id.in_(category_ids(request.category_id)))
        .options(selectinload(Product.certification), selectinload(Product.rural_industry),
                 selectinload(Product.seller))
    ).all()
    required = list(request.required_certs or ())
    kinds = (valid_kinds_by_product([p.id for p in products if p.seller_id not in excluded], on)
             if any(code in KINDS for code in required) else {})
    by_seller: dict[int, list[Product]] = defaultdict(list)
    for product in products:
        if product.seller_id in excluded:
            continue
        if all(meets(product, code, on, kinds.get(product.id, set())) for code in required):
            by_seller[product.seller_id].append(product)
    found = []
    for qualifying in by_seller.values():
        count = len(qualifying)
        fit = Fit(
            category=min(1.0, 0.5 + 0.1 * (count - 1)),
            certifications=_best_stars(qualifying, on) / 5,
            capacity=capacity_fit(qualifying, request),
            season=season_fit(qualifying, request),
        )
        found.append(Candidate(qualifying[0].seller, rank_score(fit), fit, tuple(qualifying)))
    found.sort(key=lambda c: (-c.score, c.seller.name, c.seller.id))
    return found

