"""The inquiry cart, kept in the signed session cookie (works with many processes).

Stored as ``session["inquiry_cart"] = [[product_id, quantity], ...]`` in the order
products were added. Only ids and quantities live in the cookie; products are
re-read (and re-checked for visibility) on every use.
"""
from __future__ import annotations

from flask import session

from .models import MAX_QUANTITY
from .services import MAX_LINES

SESSION_KEY = "inquiry_cart"
REFERENCES_KEY = "inquiry_references"
MAX_REFERENCES = 20


def _clean(raw) -> list[list[int]]:
    lines: list[list[int]] = []
    seen: set[int] = set()
    if not isinstance(raw, list):
        return lines
    for entry in raw:
        try:
            product_id, quantity = int(entry[0]), int(entry[1])
        except (TypeError, ValueError, IndexError):
            continue
        if product_id in seen or not 1 <= quantity <= MAX_QUANTITY:
            continue
        seen.add(product_id)
        lines.append([product_id, quantity])
    return lines[:MAX_LINES]


def items() -> list[tuple[int, int]]:
    """``[(product_id, quantity), ...]`` in the order added."""
    return [(pid, qty) for pid, qty in _clean(session.get(SESSION_KEY))]


def count() -> int:
    return len(_clean(session.get(SESSION_KEY)))


def _save(lines: list[list[int]]) -> None:
    if lines:
        session[SESSION_KEY] = lines
    else:
        session.pop(SESSION_KEY, None)


def add(product_id: int, quantity: int = 1) -> bool:
    """Add (or increase) a product; False if the cart is full."""
    lines = _clean(session.get(SESSION_KEY))
    for line in lines:
        if line[0] == product_id:
            line[1] = min(line[1] + quantity, MAX_QUANTITY)
            _save(lines)
            return True
    if len(lines) >= MAX_LINES:
        return False
    lines.append([product_id, quantity])
    _save(lines)
    return True


def set_quantities(quantities: dict[int, int]) -> None:
    """Change quantities of products already in the cart; 0 removes a line."""
    lines = []
    for pid, qty in _clean(session.get(SESSION_KEY)):
        qty = quantities.get(pid, qty)
        if qty > 0:
            lines.append([pid, min(qty, MAX_QUANTITY)])
    _save(lines)


def remove(product_id: int) -> None:
    _save([line for line in _clean(session.get(SESSION_KEY)) if line[0] != product_id])


def keep_only(product_ids: set[int]) -> None:
    """Drop lines whose product is no longer public."""
    _save([line for line in _clean(session.get(SESSION_KEY)) if line[0] in product_ids])


def clear() -> None:
    session.pop(SESSION_KEY, None)


def remember_reference(reference: str) -> None:
    """Remember a reference this browser sent, so it may see the confirmation page."""
    refs = [r for r in session.get(REFERENCES_KEY, []) if isinstance(r, str) and r != reference]
    session[REFERENCES_KEY] = (refs + [reference])[-MAX_REFERENCES:]


def knows_reference(reference: str) -> bool:
    return reference in session.get(REFERENCES_KEY, [])
