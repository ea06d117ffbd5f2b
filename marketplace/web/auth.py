"""Access control in one place: role checks for blueprints and ownership for sellers.

Sellers reach their own objects only; another seller's id gives 404 (never 403, so
ids of other sellers' objects are not confirmed to exist).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from ..sellers.models import Seller


def role_required(*roles: str) -> Callable:
    """Log-in required, then one of ``roles`` (admin passes every staff check)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            allowed = set(roles) | ({"admin"} if "staff" in roles else set())
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def current_seller() -> Seller | None:
    """The Seller the logged-in user belongs to, if any."""
    if not current_user.is_authenticated or current_user.seller_id is None:
        return None
    return current_user.seller


def require_seller() -> Seller:
    """The current user's Seller, or 404 for anyone else."""
    seller = current_seller()
    if seller is None:
        abort(404)
    return seller
