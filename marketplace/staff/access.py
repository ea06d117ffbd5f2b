"""The one access rule of the staff area.

Anonymous visitors are sent to the login page; every signed-in role other than
``staff`` and ``admin`` gets the same 403 page. Every blueprint that serves staff pages
(staff, collections' staff side, analytics' staff side) installs ``guard_staff`` as its
``before_request`` so no route can forget it.
"""
from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from ..extensions import login_manager

STAFF_ROLES = ("staff", "admin")


def is_staff(user) -> bool:  # noqa: ANN001
    return bool(getattr(user, "is_authenticated", False)) and user.role in STAFF_ROLES


def guard_staff():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in STAFF_ROLES:
        abort(403)
    return None


def staff_blueprint(name: str, import_name: str, url_prefix: str = "/nhan-vien") -> Blueprint:
    """A blueprint whose every route is guarded by ``guard_staff``."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(guard_staff)
    return bp
