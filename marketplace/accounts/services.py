"""Account rules: registration, authentication, passwords, roles. Flush, never commit."""
from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from flask import url_for
from werkzeug.security import check_password_hash, generate_password_hash

from ..validation import ValidationError, _
from ..extensions import db
from ..mail import send_mail
from ..sellers.models import Seller
from ..text import utcnow
from .models import ROLES, User
from .tokens import CONFIRM_MAX_AGE, RESET_MAX_AGE, make_confirm_token, make_reset_token

PASSWORD_MIN, PASSWORD_MAX = 8, 128
# Checked against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")

__all__ = ["ValidationError", "register_user", "mail_registration", "confirm_email", "authenticate", "create_user", "change_password",
           "reset_password", "end_sessions", "request_password_reset", "normalize_email", "find_user_by_email"]


def normalize_email(email: Any) -> str:
    return str(email or "").strip().lower()


def email_key(email: str) -> str:
    """A hash of the e-mail for rate-limit keys (no address stored)."""
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]


def find_user_by_email(email: str) -> User | None:
    return db.session.scalars(sa.select(User).where(sa.func.lower(User.email) == normalize_email(email))).first()


def _check_password(password: Any, field: str = "password") -> str:
    password = str(password or "")
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationError(field, _("Mật khẩu phải dài từ 8 đến 128 ký tự."))
    if password.strip() == "" or len(set(password)) < 3:
        raise ValidationError(field, _("Mật khẩu quá đơn giản, vui lòng chọn mật khẩu khác."))
    return password


def _check_email(email: Any) -> str:
    from email_validator import EmailNotValidError, validate_email

    value = normalize_email(email)
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError("email", _("Địa chỉ email không hợp lệ.")) from None
    return value


def _check_name(name: Any) -> str:
    name = str(name or "").strip()
    if len(name) > 200:
        raise ValidationError("name", _("Họ tên tối đa 200 ký tự."))
    return name


def create_user(email: str, password: str, role: str = "buyer", *, name: str = "",
                seller: Seller | None = None, confirmed: bool = True) -> User:
    """A new account. Sellers must belong to a Seller; others must not. ``confirmed``
    False: self-registration, the owner must open the mailed link before logging in."""
    errors: dict[str, str] = {}
    try:
        email = _check_email(email)
        if find_user_by_email(email) is not None:
            errors["email"] = _("Email này đã được đăng ký. Vui lòng đăng nhập hoặc lấy lại mật khẩu.")
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        password = _check_password(password)
    except ValidationError as exc:
        errors.update(exc.errors)
    if role not in ROLES:
        errors["role"] = _("Vai trò không hợp lệ.")
    elif role == "seller" and seller is None:
        errors["seller"] = _("Tài khoản người bán cần thuộc một cơ sở (--seller SLUG).")
    try:
        name = _check_name(name)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError.from_errors(errors)
    user = User(email=email, name=name, role=role, password_hash=generate_password_hash(password),
                seller_id=seller.id if seller is not None else None, email_confirmed=confirmed)
    db.session.add(user)
    db.session.flush()
    return user


def register_user(data: dict) -> tuple[User, bool]:
    """Self-registration, which answers the same whether or not the e-mail already has
    an account: returns ``(user, created)``. A new account is an unconfirmed buyer
    (becomes a seller by creating a Seller profile); an existing one is left as it is —
    ``mail_registration`` then writes to its owner instead. Only bad input raises
    ValidationError, and the same for both cases (same checks, same hashing work)."""
    errors: dict[str, str] = {}
    for check, value in ((_check_email, data.get("email")), (_check_password, data.get("password")),
                         (_check_name, data.get("name"))):
        try:
            check(value)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError.from_errors(errors)
    existing = find_user_by_email(data.get("email"))
    if existing is not None:
        generate_password_hash(str(data.get("password")))  # the same work as a new account
        return existing, False
    user = create_user(data.get("email"), data.get("password"), "buyer", name=data.get("name") or "",
                       confirmed=False)
    return user, True


def mail_registration(user: User, *, created: bool, sell: bool = False) -> None:
    """After the commit: the confirmation link for a new (or still unconfirmed)
    account, or a notice to the owner of an existing one."""
    if created or not user.email_confirmed:
        link = url_for("accounts.confirm_email", token=make_confirm_token(user, sell=sell), _external=True)
        body = _(
            "Xin chào,\n\nĐịa chỉ %(email)s vừa được dùng để đăng ký tài khoản trên %(site)s.\n\n"
            "Mở liên kết sau trong vòng %(days)s ngày để xác nhận email và bắt đầu sử dụng tài khoản:\n%(link)s\n\n"
            "Nếu bạn không đăng ký, hãy bỏ qua thư này; tài khoản sẽ không được kích hoạt.\n",
            email=user.email, site=_site_name(), days=CONFIRM_MAX_AGE // 86400, link=link,
        )
        send_mail(user.email, _("Xác nhận email đăng ký"), body)
        return
    body = _(
        "Xin chào,\n\nAi đó (có thể là bạn) vừa đăng ký tài khoản mới trên %(site)s bằng địa chỉ %(email)s. "
        "Địa chỉ này đã có tài khoản, nên không có tài khoản mới nào được tạo.\n\n"
        "Đăng nhập: %(login)s\nQuên mật khẩu: %(forgot)s\n\n"
        "Nếu không phải bạn, hãy bỏ qua thư này; tài khoản của bạn không thay đổi.\n",
        site=_site_name(), email=user.email, login=url_for("accounts.login", _external=True),
        forgot=url_for("accounts.forgot_password", _external=True),
    )
    send_mail(user.email, _("Bạn đã có tài khoản"), body)


def confirm_email(user: User) -> None:
    user.email_confirmed = True
    db.session.flush()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, str(password or ""))
        return None
    if not check_password_hash(user.password_hash, str(password or "")) or not user.active:
        return None
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def end_sessions(user: User) -> None:
    """End every session and remember-me cookie of ``user`` (all browsers): their ids
    carry the old session version. Atomic in SQL, so two logouts never collide."""
    user.session_version = User.session_version + 1
    db.session.flush()


def set_password(user: User, password: str, field: str = "password") -> None:
    user.password_hash = generate_password_hash(_check_password(password, field))
    end_sessions(user)


def change_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, str(current or "")):
        raise ValidationError("current_password", _("Mật khẩu hiện tại không đúng."))
    if check_password_hash(user.password_hash, str(new or "")):
        raise ValidationError("new_password", _("Mật khẩu mới phải khác mật khẩu hiện tại."))
    set_password(user, new, "new_password")


def reset_password(user: User, new: str) -> None:
    """The reset link proves the mailbox: an unconfirmed account is confirmed too."""
    set_password(user, new, "password")
    confirm_email(user)


def request_password_reset(email: str) -> bool:
    """Mail a reset link if the account exists. Returns whether a mail was sent; the
    page says the same thing either way (accounts are not enumerable)."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return False
    link = url_for("accounts.reset_password", token=make_reset_token(user), _external=True)
    body = _(
        "Xin chào,\n\nBạn (hoặc ai đó) vừa yêu cầu đặt lại mật khẩu cho tài khoản %(email)s "
        "trên %(site)s.\n\nMở liên kết sau trong vòng %(minutes)s phút để đặt mật khẩu mới:\n%(link)s\n\n"
        "Liên kết chỉ dùng được một lần. Nếu bạn không yêu cầu, hãy bỏ qua thư này.\n",
        email=user.email, site=_site_name(), minutes=RESET_MAX_AGE // 60, link=link,
    )
    send_mail(user.email, _("Đặt lại mật khẩu"), body)
    return True


def _site_name() -> str:
    from flask import current_app

    return current_app.config["SITE_NAME"]


def set_role(user: User, role: str, seller: Seller | None = None) -> User:
    if role not in ROLES:
        raise ValidationError("role", _("Vai trò không hợp lệ."))
    if role == "seller" and seller is None and user.seller_id is None:
        raise ValidationError("seller", _("Tài khoản người bán cần thuộc một cơ sở (--seller SLUG)."))
    user.role = role
    if seller is not None:
        user.seller_id = seller.id
    db.session.flush()
    return user
