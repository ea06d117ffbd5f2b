"""Dashboard forms: product edit, OCOP certificate. Forms shape input; services decide."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..catalog.listing import OCOP_GROUP_LABELS  # translated labels of OCOP_GROUPS
from ..catalog.models import ISSUING_LEVELS, OCOP_GROUPS, RURAL_LEVELS
from ..catalog.services import parse_price_vnd
from ..traceability.gs1 import display_gtin
from ..web.forms import VnDateField, VnIntegerField, optional_int

PRICE_MESSAGE = _l("Giá phải là số nguyên từ 1 đến 1.000.000.000 ₫")


def choice_list(pairs, empty: str | None = None) -> list[SelectChoice]:
    """(value, label) pairs as SelectChoice objects, with an optional empty first option."""
    out = [SelectChoice("", empty)] if empty is not None else []
    return out + [SelectChoice(value, label) for value, label in pairs]


def whole_vnd(form, field) -> None:
    try:
        parse_price_vnd(field.data)
    except (TypeError, ValueError):
        raise ValidationError(PRICE_MESSAGE) from None




RURAL_LEVEL_LABELS = {"province": _l("Cấp tỉnh"), "region": _l("Cấp vùng"), "national": _l("Cấp quốc gia")}
ISSUING_LEVEL_LABELS = {
    "district": _l("Cấp huyện (trước 2025)"),
    "province": _l("Cấp tỉnh (3★, 4★)"),
    "central": _l("Trung ương (5★)"),
}


class ProductEditForm(FlaskForm):
    name = StringField(_l("Tên sản phẩm"), validators=[
        DataRequired(message=_l("Vui lòng nhập tên sản phẩm.")),
        Length(min=3, max=200, message=_l("Tên sản phẩm phải dài từ 3 đến 200 ký tự.")),
    ])
    code = StringField(_l("Mã sản phẩm (không bắt buộc)"), validators=[
        Optional(), Length(max=64, message=_l("Mã sản phẩm tối đa 64 ký tự."))])
    category_id = SelectField(_l("Danh mục"), coerce=optional_int, validate_choice=False,
                              validators=[DataRequired(message=_l("Vui lòng chọn danh mục."))])
    gtin = StringField(_l("Mã vạch GTIN (không bắt buộc)"), validators=[
        Optional(), Length(max=20, message=_l("Mã GTIN (mã vạch) gồm 8, 12, 13 hoặc 14 chữ số, ví dụ 8931234567895."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "893…"})
    price_vnd = StringField(_l("Giá (₫)"), validators=[DataRequired(message=PRICE_MESSAGE), whole_vnd],
                            render_kw={"inputmode": "numeric", "placeholder": "150.000"})
    unit = StringField(_l("Đơn vị tính / quy cách"), validators=[
        DataRequired(message=_l("Vui lòng nhập đơn vị tính / quy cách (ví dụ: hộp 200 g).")),
        Length(max=100, message=_l("Đơn vị tính tối đa 100 ký tự.")),
    ], render_kw={"placeholder": _l("hộp 200 g")})
    description = TextAreaField(_l("Mô tả"), validators=[
        Optional(), Length(max=10000, message=_l("Mô tả tối đa 10.000 ký tự."))], render_kw={"rows": 6})
    area_id = SelectField(_l("Khu vực sản xuất"), coerce=optional_int, validate_choice=False)
    rural_level = SelectField(_l("Cấp công nhận"), validate_choice=False,
                              choices=[SelectChoice("", _l("Không"))]
                              + [SelectChoice(k, RURAL_LEVEL_LABELS[k]) for k in RURAL_LEVELS])
    rural_year = VnIntegerField(_l("Năm công nhận"), validators=[Optional()],
                                invalid_message=_l("Năm công nhận phải từ 2000 đến năm nay."),
                              render_kw={"inputmode": "numeric"})
    # The product version the form was shown with (optimistic locking, see product_edit).
    version = HiddenField()
    submit = SubmitField(_l("Lưu"))

    def product_data(self) -> dict:
        return {key: self.data[key] for key in
                ("name", "code", "category_id", "price_vnd", "unit", "description", "area_id", "gtin")}

    def rural_data(self) -> dict:
        return {"level": self.data["rural_level"], "year": self.data["rural_year"]}


class CertificationForm(FlaskForm):
    stars = SelectField(_l("Số sao OCOP"), coerce=optional_int, validate_choice=False,
                        choices=[SelectChoice(n, "★" * n) for n in (3, 4, 5, 2, 1)],
                        validators=[DataRequired(message=_l("Số sao phải từ 1 đến 5."))])
    score = VnIntegerField(_l("Điểm đánh giá (0–100)"), invalid_message=_l("Điểm phải là số nguyên từ 0 đến 100."),
                           validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("Điểm phải là số nguyên từ 0 đến 100."))])
    # Choices are checked by the service (Vietnamese messages), not by WTForms.
    product_group = SelectField(_l("Nhóm sản phẩm OCOP"), validate_choice=False, choices=choice_list(
        (key, OCOP_GROUP_LABELS.get(key, name)) for key, name in OCOP_GROUPS.items()))
    decision_number = StringField(_l("Số quyết định"), validators=[
        DataRequired(message=_l("Vui lòng nhập số quyết định (ví dụ: 1234/QĐ-UBND).")),
        Length(max=100, message=_l("Số quyết định tối đa 100 ký tự."))],
        render_kw={"placeholder": "1234/QĐ-UBND"})
    issued_on = VnDateField(_l("Ngày quyết định"), invalid_message=_l("Ngày quyết định không hợp lệ (dd/mm/yyyy)."),
                            validators=[
        InputRequired(message=_l("Ngày quyết định không hợp lệ (dd/mm/yyyy)."))])
    issuing_level = SelectField(_l("Cấp công nhận"), validate_choice=False,
                                choices=[SelectChoice(k, ISSUING_LEVEL_LABELS[k]) for k in ISSUING_LEVELS])
    issuing_body = StringField(_l("Cơ quan cấp (ghi như trên quyết định)"), validators=[
        Optional(), Length(max=200, message=_l("Cơ quan cấp tối đa 200 ký tự."))],
                               render_kw={"placeholder": "UBND tỉnh Thái Nguyên"})
    scan = FileField(_l("Bản quét giấy chứng nhận (ảnh hoặc PDF, tối đa 10 MB)"))
    submit = SubmitField(_l("Lưu chứng nhận"))

    def certification_data(self) -> dict:
        return {key: self.data[key] for key in
                ("stars", "score", "product_group", "decision_number", "issued_on", "issuing_level", "issuing_body")}


def make_product_form(product=None, *, prefill: bool, with_revision: bool = False) -> ProductEditForm:
    """The product form with its choices; ``prefill`` fills it from ``product`` (GET),
    overlaid with the values of its pending revision when ``with_revision``."""
    from flask_babel import gettext

    from ..catalog.services import pending_revision
    from . import queries

    if product is not None and prefill:
        form = ProductEditForm(obj=product)
        form.version.data = str(product.version)
        form.price_vnd.data = f"{product.price_vnd:,}".replace(",", ".")
        form.gtin.data = display_gtin(product.gtin)
        if product.rural_industry is not None:
            form.rural_level.data = product.rural_industry.level
            form.rural_year.data = product.rural_industry.year
        revision = pending_revision(product) if with_revision else None
        for key, value in (revision.fields if revision is not None else {}).items():
            form[key].data = value
    else:
        form = ProductEditForm()
    form.category_id.choices = choice_list(queries.category_choices(), gettext("— Chọn danh mục —"))
    form.area_id.choices = choice_list(queries.area_choices(), gettext("— Như địa chỉ cơ sở —"))
    return form
