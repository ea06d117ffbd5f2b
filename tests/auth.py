"""Logging a test client in without a password round trip (flaskr's ``AuthActions``).

``log_in(client, user)`` puts the user's Flask-Login id — id, session version and
password fingerprint, as a real log-in would — in the client's session, so a later
logout or password change still ends it. The ``auth`` fixture (conftest) wraps it."""
from __future__ import annotations

from flask import g, has_app_context

from marketplace.accounts.models import User
from marketplace.extensions import db


def _session_id(user) -> str:
    return (user if isinstance(user, User) else db.session.get(User, int(user))).get_id()


def log_in(client, user) -> None:
    """``user``: a User, or its id."""
    if has_app_context():
        session_id = _session_id(user)
        g.pop("_login_user", None)  # requests share the test's app context: forget the cached user
    else:
        with client.application.app_context():
            session_id = _session_id(user)
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True


class AuthActions:
    def __init__(self, client) -> None:
        self._client = client

    def login(self, user, client=None) -> None:
        log_in(client or self._client, user)
