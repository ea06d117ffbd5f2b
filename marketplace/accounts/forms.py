"""Account forms (Flask-WTF: CSRF on every POST). Labels and messages in Vietnamese."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Vui lòng nhập mật khẩu.")),
            Length(min=8, max=128, message=_l("Mật khẩu phải dài từ 8 đến 128 ký tự.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _email_field():
    return EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Vui lòng nhập email.")),
            Email(message=_l("Địa chỉ email không hợp lệ."), check_deliverability=False),
            Length(max=254, message=_l("Email tối đa 254 ký tự.")),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


class RegisterForm(FlaskForm):
    name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=200, message=_l("Họ tên tối đa 200 ký tự."))],
                       render_kw={"autocomplete": "name"})
    email = _email_field()
    password = _password_field(_l("Mật khẩu (ít nhất 8 ký tự)"))
    confirm = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[EqualTo("password", message=_l("Hai mật khẩu không khớp."))],
        render_kw={"autocomplete": "new-password"},
    )
    wants_to_sell = BooleanField(_l("Tôi muốn đăng bán sản phẩm (hợp tác xã, doanh nghiệp, hộ kinh doanh)"))
    submit = SubmitField(_l("Đăng ký"))


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(message=_l("Vui lòng nhập mật khẩu."))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))
    submit = SubmitField(_l("Đăng nhập"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Gửi liên kết đặt lại mật khẩu"))


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("Mật khẩu mới"))
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[EqualTo("password", message=_l("Hai mật khẩu không khớp."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Đặt mật khẩu mới"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"),
                                     validators=[DataRequired(message=_l("Vui lòng nhập mật khẩu hiện tại."))],
                                     render_kw={"autocomplete": "current-password"})
    new_password = _password_field(_l("Mật khẩu mới"))
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[EqualTo("new_password", message=_l("Hai mật khẩu không khớp."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Đổi mật khẩu"))


class ConfirmEmailForm(FlaskForm):
    """The link proves the mailbox, the password proves the registrant: both are needed,
    so an account someone else registered with your address never becomes yours with
    their password (reset the password instead)."""

    password = PasswordField(_l("Mật khẩu bạn đã chọn khi đăng ký"),
                             validators=[DataRequired(message=_l("Vui lòng nhập mật khẩu."))],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Xác nhận email"))


class EmptyForm(FlaskForm):
    """For POST buttons (log out, archive, …): CSRF token only."""

    submit = SubmitField(_l("Xác nhận"))


def apply_errors(form: FlaskForm, errors: dict[str, str]) -> None:
    """Show service ValidationError messages next to the matching fields."""
    for field, message in errors.items():
        target = form._fields.get(field)
        if target is None:
            form.form_errors.append(message)
        else:
            target.errors = [*target.errors, message]
