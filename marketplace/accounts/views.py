"""Accounts: register, log in/out, password reset by signed link, change password."""
from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError

from .. import durations
from ..validation import ValidationError
from ..extensions import db, login_manager
from ..web.ratelimit import client_fingerprint, hit
from . import services, throttle
from .forms import (
    ChangePasswordForm,
    ConfirmEmailForm,
    EmptyForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    apply_errors,
)
from .tokens import load_confirm_token, load_reset_token

bp = Blueprint("accounts", __name__)

RESET_LIMIT, RESET_WINDOW = 5, 3600
REGISTER_LIMIT, REGISTER_WINDOW = 5, 3600


def _localize(message) -> str:
    """The lazy login message, rendered in the request's language (flash needs a str)."""
    return str(message)


@bp.record_once
def _configure_login(state) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "warning"
    login_manager.localize_callback = _localize


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _landing() -> str:
    if current_user.is_authenticated and current_user.seller_id is not None:
        return url_for("dashboard.home")
    return url_for("catalog.home")


@bp.route("/dang-ky", methods=["GET", "POST"])
def register():
    """The same answer whether or not the e-mail has an account ("check your mail"): a
    new account gets a confirmation link, the owner of an existing one a notice."""
    if current_user.is_authenticated:
        return redirect(_landing())
    form = RegisterForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            if not hit(f"register:{client_fingerprint()}", REGISTER_LIMIT, REGISTER_WINDOW):
                form.form_errors.append(_("Bạn đã đăng ký quá nhiều lần. Vui lòng thử lại sau."))
                return render_template("accounts/register.html", form=form), 429
            try:
                user, created = services.register_user(form.data)
            except ValidationError as exc:
                db.session.rollback()
                apply_errors(form, exc.errors)
            else:
                try:
                    db.session.commit()
                except IntegrityError:  # the same e-mail registered a moment ago
                    db.session.rollback()
                    user, created = services.find_user_by_email(form.email.data), False
                try:
                    services.mail_registration(user, created=created, sell=bool(form.wants_to_sell.data))
                except OSError:  # SMTP down: the same answer for every address
                    current_app.logger.exception("registration mail could not be sent")
                    form.form_errors.append(_("Hiện không gửi được thư. Vui lòng thử lại sau ít phút."))
                    return render_template("accounts/register.html", form=form), 503
                return render_template("accounts/register_sent.html", email=services.normalize_email(form.email.data))
    return render_template("accounts/register.html", form=form), status


@bp.route("/xac-nhan-email/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The mailed link plus the password chosen at registration confirm the address and
    log in, once. Opening the link alone confirms nothing (mail scanners open links), and
    someone who registered your address first cannot have it confirmed with their
    password: the mailbox owner resets the password instead, which also confirms."""
    loaded = load_confirm_token(token)
    if loaded is None:
        return render_template("accounts/confirm_invalid.html"), 400
    user, sell = loaded
    if user.email_confirmed:
        flash(_("Email đã được xác nhận. Vui lòng đăng nhập."), "info")
        return redirect(url_for("accounts.login"))
    form = ConfirmEmailForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            if services.authenticate(user.email, form.password.data) is None:
                db.session.rollback()
                form.password.errors = [_("Mật khẩu không đúng. Nếu bạn không nhớ mật khẩu đã chọn, hãy lấy lại "
                                          "mật khẩu: email cũng sẽ được xác nhận.")]
            else:
                services.confirm_email(user)
                db.session.commit()
                login_user(user)
                flash(_("Đã xác nhận email. Chào mừng bạn!"), "success")
                return redirect(url_for("dashboard.profile") if sell else url_for("catalog.home"))
    return render_template("accounts/confirm_email.html", form=form, user=user), status


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or _landing())
    form = LoginForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            if not throttle.client_allowed():
                form.form_errors.append(_("Bạn thao tác quá nhanh. Vui lòng thử lại sau ít phút."))
                return render_template("accounts/login.html", form=form), 429
            wait = throttle.wait_seconds(form.email.data)
            if wait:
                return _login_delayed(form, wait)
            user = services.authenticate(form.email.data, form.password.data)
            if user is None:
                form.form_errors.append(_("Email hoặc mật khẩu không đúng."))
                wait = throttle.failed(form.email.data)
                if wait:
                    return _login_delayed(form, wait)
            elif not user.email_confirmed:
                db.session.rollback()
                throttle.succeeded(form.email.data)
                db.session.commit()
                try:
                    services.mail_registration(user, created=False)
                except OSError:
                    current_app.logger.exception("confirmation mail could not be sent")
                form.form_errors.append(_("Email của tài khoản chưa được xác nhận. Chúng tôi vừa gửi lại thư "
                                          "xác nhận; vui lòng mở liên kết trong thư rồi đăng nhập."))
                return render_template("accounts/login.html", form=form), 403
            else:
                throttle.succeeded(form.email.data)
                db.session.commit()
                login_user(user, remember=bool(form.remember.data))
                flash(_("Đăng nhập thành công."), "success")
                return redirect(safe_next(request.args.get("next")) or _landing())
    return render_template("accounts/login.html", form=form), status


def _end_sessions_and_log_out() -> None:
    """Server-side logout: a copied session cookie or remember-me cookie of this
    account stops working too (the session version changes)."""
    if current_user.is_authenticated:
        services.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()


def _login_delayed(form, wait: int):
    """Too many wrong passwords from this client for this account: wait, then retry."""
    if wait < 120:
        when = durations.seconds(wait)
    else:
        when = durations.minutes(math.ceil(wait / 60))
    form.form_errors.append(
        _("Bạn đã đăng nhập sai quá nhiều lần. Vui lòng đợi %(when)s rồi thử lại, hoặc lấy lại mật khẩu.", when=when)
    )
    return render_template("accounts/login.html", form=form), 429, {"Retry-After": str(wait)}


@bp.post("/dang-xuat")
def logout():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    _end_sessions_and_log_out()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("catalog.home"))


@bp.post("/tai-khoan/dang-xuat-moi-thiet-bi")
@login_required
def logout_everywhere():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    _end_sessions_and_log_out()
    flash(_("Đã đăng xuất khỏi mọi thiết bị. Vui lòng đăng nhập lại."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/quen-mat-khau", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.is_submitted():
        if form.validate():
            if not hit(f"reset:{client_fingerprint()}", RESET_LIMIT, RESET_WINDOW):
                form.form_errors.append(_("Bạn đã yêu cầu quá nhiều lần. Vui lòng thử lại sau."))
                return render_template("accounts/forgot_password.html", form=form), 429
            try:
                services.request_password_reset(form.email.data)
            except OSError:  # SMTP down or unreachable: say so rather than fail with a 500
                current_app.logger.exception("password reset mail could not be sent")
                form.form_errors.append(_("Hiện không gửi được thư. Vui lòng thử lại sau ít phút."))
                return render_template("accounts/forgot_password.html", form=form), 503
            return render_template("accounts/forgot_password_sent.html", email=form.email.data)
        return render_template("accounts/forgot_password.html", form=form), 400
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/dat-lai-mat-khau/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = load_reset_token(token)
    if user is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = ResetPasswordForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                services.reset_password(user, form.password.data)
            except ValidationError as exc:
                db.session.rollback()
                apply_errors(form, exc.errors)
            else:
                db.session.commit()
                logout_user()
                flash(_("Đã đặt mật khẩu mới. Vui lòng đăng nhập."), "success")
                return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form, user=user), status


@bp.route("/tai-khoan/mat-khau", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            user = current_user._get_current_object()
            try:
                services.change_password(user, form.current_password.data, form.new_password.data)
            except ValidationError as exc:
                db.session.rollback()
                apply_errors(form, exc.errors)
            else:
                db.session.commit()
                # The session id carries the password fingerprint: renew it for this browser.
                login_user(user)
                flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."), "success")
                return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form), status


@bp.get("/tai-khoan")
@login_required
def account():
    return render_template("accounts/account.html", user=current_user, seller=current_user.seller,
                           logout_form=EmptyForm())
