"""Signed, expiring password-reset links.

The token carries the user id and the password fingerprint, so it stops working as
soon as the password changes (a used link cannot be used twice) and after one hour.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from .models import User

RESET_SALT = "password-reset"
RESET_MAX_AGE = 3600  # seconds


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": user.password_fingerprint})


def load_reset_token(token: str, max_age: int = RESET_MAX_AGE) -> User | None:
    """The user the token was issued for, or None if forged, expired or already used."""
    try:
        data = _serializer().loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    try:
        user = db.session.get(User, int(data.get("uid")))
    except (TypeError, ValueError):
        return None
    if user is None or not user.active or user.password_fingerprint != data.get("fp"):
        return None
    return user
