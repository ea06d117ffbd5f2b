"""User accounts and roles."""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
import sqlalchemy as sa
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db, login_manager
from ..text import utcnow

if TYPE_CHECKING:
    from ..sellers.models import Seller

ROLES = ("buyer", "seller", "staff", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLES!r}", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(10), default="buyer")
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Part of every session id and remember-me cookie: raising it ends them all
    # (log out, log out everywhere, password change and reset).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # False only for a self-registered account whose owner has not yet opened the
    # confirmation link (it cannot log in until then). Accounts made by staff or the
    # CLI, and every account from before confirmation existed, count as confirmed.
    email_confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa.true())

    seller: Mapped[Seller | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    @property
    def password_fingerprint(self) -> str:
        """Changes whenever the password changes: ends sessions, remember-me cookies
        and reset links issued before the change."""
        return hashlib.sha256(f"{self.id}|{self.password_hash}".encode()).hexdigest()[:16]

    def get_id(self) -> str:  # Flask-Login: stored in the session and remember cookie
        return f"{self.id}:{self.session_version or 0}:{self.password_fingerprint}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Session id is "<id>:<session version>:<password fingerprint>", checked on every
    request: a logout (which raises the version) or a password change ends every session
    and remember-me cookie issued before, in every browser, server-side.

    A bare "<id>" (only producible with the SECRET_KEY, e.g. tests that set the session
    directly) is accepted as is; any other shape (such as the older "<id>:<fp>") is not.
    """
    parts = str(user_id).split(":")
    try:
        user = db.session.get(User, int(parts[0]))
    except (TypeError, ValueError):
        return None
    if user is None:
        return None
    if len(parts) == 1:
        return user
    if len(parts) != 3 or not hmac.compare_digest(f"{user.session_version or 0}:{user.password_fingerprint}",
                                                  f"{parts[1]}:{parts[2]}"):
        return None
    return user
