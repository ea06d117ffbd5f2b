"""Signed, expiring links: password reset and e-mail confirmation.

A reset token carries the user id and the password fingerprint, so it stops working as
soon as the password changes (a used link cannot be used twice) and after one hour.
A confirmation token carries the user id and the address it was mailed to.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from .models import User

RESET_SALT = "password-reset"
RESET_MAX_AGE = 3600  # seconds
CONFIRM_SALT = "confirm-email"
CONFIRM_MAX_AGE = 3 * 24 * 3600


def _serializer(salt: str = RESET_SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": user.password_fingerprint})


def _load(token: str, salt: str, max_age: int) -> tuple[dict, User] | None:
    """(payload, active user it names) of a genuine, unexpired token, or None."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    try:
        user = db.session.get(User, int(data.get("uid")))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active:
        return None
    return data, user


def load_reset_token(token: str, max_age: int = RESET_MAX_AGE) -> User | None:
    """The user the token was issued for, or None if forged, expired or already used."""
    loaded = _load(token, RESET_SALT, max_age)
    if loaded is None or loaded[1].password_fingerprint != loaded[0].get("fp"):
        return None
    return loaded[1]


def make_confirm_token(user: User, *, sell: bool = False) -> str:
    return _serializer(CONFIRM_SALT).dumps({"uid": user.id, "email": user.email, "sell": bool(sell)})


def load_confirm_token(token: str, max_age: int = CONFIRM_MAX_AGE) -> tuple[User, bool] | None:
    """(user, wants to sell) for a valid confirmation link, or None."""
    loaded = _load(token, CONFIRM_SALT, max_age)
    if loaded is None or loaded[1].email != loaded[0].get("email"):
        return None
    return loaded[1], bool(loaded[0].get("sell"))
