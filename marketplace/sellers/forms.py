"""Seller profile form (onboarding and later edits)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..web.forms import optional_int
from .services import normalize_phone

KIND_CHOICES = [
    SelectChoice("cooperative", _l("Hợp tác xã / tổ hợp tác")),
    SelectChoice("enterprise", _l("Doanh nghiệp")),
    SelectChoice("household", _l("Hộ kinh doanh")),
]


def vn_phone(form, field) -> None:
    try:
        normalize_phone(field.data)
    except ValueError:
        raise ValidationError(_l("Số điện thoại không hợp lệ (ví dụ: 0912 345 678 hoặc +84 912 345 678).")) from None


class SellerProfileForm(FlaskForm):
    kind = SelectField(_l("Loại hình"), choices=KIND_CHOICES, validate_choice=False,
                       validators=[DataRequired(message=_l("Vui lòng chọn loại hình."))])
    name = StringField(_l("Tên cơ sở"), validators=[
        DataRequired(message=_l("Vui lòng nhập tên cơ sở.")),
        Length(min=3, max=200, message=_l("Tên cơ sở phải dài từ 3 đến 200 ký tự.")),
    ])
    address = StringField(_l("Địa chỉ"), validators=[
        DataRequired(message=_l("Vui lòng nhập địa chỉ.")),
        Length(max=300, message=_l("Địa chỉ tối đa 300 ký tự.")),
    ])
    area_id = SelectField(_l("Xã/phường"), coerce=optional_int, validate_choice=False)
    phone = StringField(_l("Số điện thoại"), validators=[DataRequired(message=_l("Vui lòng nhập số điện thoại.")), vn_phone],
                        render_kw={"inputmode": "tel", "autocomplete": "tel"})
    email = EmailField(_l("Email liên hệ"), validators=[
        Optional(), Email(message=_l("Địa chỉ email không hợp lệ."), check_deliverability=False)])
    website = URLField(_l("Trang web (nếu có)"), validators=[
        Optional(), Length(max=300, message=_l("Trang web tối đa 300 ký tự."))])
    story = TextAreaField(_l("Giới thiệu / câu chuyện sản phẩm"), validators=[
        Optional(), Length(max=5000, message=_l("Câu chuyện tối đa 5.000 ký tự."))], render_kw={"rows": 6})
    logo = FileField(_l("Logo (JPEG, PNG, WebP)"), validators=[
        FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Logo phải là ảnh JPEG, PNG hoặc WebP, tối đa 10 MB."))])
    submit = SubmitField(_l("Lưu hồ sơ"))
