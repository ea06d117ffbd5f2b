"""Which sellers are told about a sourcing request, ranked.

A seller qualifies with at least one published product in the request's category (or
one below it) that holds every required certification. Among those, ``rank_score``
orders them from one input per criterion, each in 0..1 or ``None`` (unknown):

* ``category``: how much of the requested kind the seller lists (1 product → 0.5,
  more → towards 1);
* ``certifications``: the best OCOP stars among its qualifying products (a request
  that asks for none still prefers certified producers);
* ``capacity``: whether the monthly volume covers the request;
* ``season``: whether the product is available in the month of the deadline.

Capacity and season come from the products' supply fields (issue 19, item 1), which
live on another branch: ``capacity_fit`` and ``season_fit`` are the seams where they
plug in. Until then both return ``None`` and count as neutral (0.5), so the ranking is
by category and certifications alone.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..catalog.models import Product
from ..catalog.trees import category_tree
from ..extensions import db
from ..sellers.models import Seller
from ..text import today_vn

# Required-certification codes until certification kinds exist (they keep these codes
# or add their own; a code nobody knows is met by no product).
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


def meets(product: Product, code: str, on=None) -> bool:
    """Whether ``product`` holds the certification ``code``."""
    if code.startswith("ocop") and code[4:].isdigit():
        cert = product.certification
        return cert is not None and cert.is_valid(on) and cert.stars >= int(code[4:])
    if code == "rural_industry":
        return product.rural_industry is not None
    return False


def capacity_fit(products: Iterable[Product], request) -> float | None:  # noqa: ANN001
    """Seam for the products' monthly volume: None (unknown) until those fields exist."""
    return None


def season_fit(products: Iterable[Product], request) -> float | None:  # noqa: ANN001
    """Seam for the products' season months: None (unknown) until those fields exist."""
    return None


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
    by_seller: dict[int, list[Product]] = defaultdict(list)
    for product in products:
        if product.seller_id in excluded:
            continue
        if all(meets(product, code, on) for code in request.required_certs or ()):
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

