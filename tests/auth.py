"""Logging test clients in and out (flaskr's ``AuthActions``; the ``auth`` fixture).

``log_in(client, user)`` puts the user's Flask-Login id — id, session version and
password fingerprint, as a real log-in would — in the client's session, so a later
logout or password change still ends it. ``AuthActions.login`` posts the real form
instead, for the tests about logging in itself."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

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


PASSWORD = "mat-khau-123"  # the factories' default password


def is_login_redirect(response, next_url: str | None = None) -> bool:
    """``response`` sends the visitor to the log-in page (back to ``next_url`` afterwards)."""
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    if location.path != "/dang-nhap":
        return False
    return next_url is None or parse_qs(location.query).get("next") == [next_url]


class AuthActions:
    """``login(email, password)`` / ``logout()`` through the real forms;
    ``log_in_as(user)`` without the password round trip; ``as_buyer()``, ``as_seller()``,
    ``as_staff()`` log in as the shared fixtures' accounts and return them. Each takes
    ``client=`` to act on another client than the fixture's."""

    def __init__(self, client, request=None) -> None:
        self._client = client
        self._request = request

    def login(self, email: str, password: str = PASSWORD, client=None, environ_base=None, **fields):
        """The log-in form posted; ``fields``: more form fields (remember, csrf_token)."""
        return (client or self._client).post("/dang-nhap", data={"email": email, "password": password, **fields},
                                             environ_base=environ_base or {})

    def logout(self, client=None):
        return (client or self._client).post("/dang-xuat")

    def log_in_as(self, user, client=None) -> None:
        log_in(client or self._client, user)

    def _as(self, fixture: str, client=None):
        account = self._request.getfixturevalue(fixture)
        self.log_in_as(account.id, client)
        return account

    def as_buyer(self, client=None):
        return self._as("buyer_account", client)

    def as_seller(self, client=None):
        return self._as("seller_account", client)

    def as_staff(self, client=None):
        return self._as("staff_account", client)
