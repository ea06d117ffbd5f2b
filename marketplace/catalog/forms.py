"""The product edit form, shared by the seller dashboard and the staff product edit.
Forms shape input; services decide."""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..web.forms import VnIntegerField, choice_list, optional_int
from . import queries
from .models import RURAL_LEVEL_LABELS, RURAL_LEVELS
from .product_data import parse_price_vnd
from ..seasons.months import months_of
from .services import pending_revision

PRICE_MESSAGE = _l("Giá phải là số nguyên từ 1 đến 1.000.000.000 ₫")


def whole_vnd(form, field) -> None:
    try:
        parse_price_vnd(field.data)
    except (TypeError, ValueError):
        raise ValidationError(PRICE_MESSAGE) from None


class ProductEditForm(FlaskForm):
    name = StringField(_l("Tên sản phẩm"), validators=[
        DataRequired(message=_l("Vui lòng nhập tên sản phẩm.")),
        Length(min=3, max=200, message=_l("Tên sản phẩm phải dài từ 3 đến 200 ký tự.")),
    ])
    code = StringField(_l("Mã sản phẩm (không bắt buộc)"), validators=[
        Optional(), Length(max=64, message=_l("Mã sản phẩm tối đa 64 ký tự."))])
    category_id = SelectField(_l("Danh mục"), coerce=optional_int, validate_choice=False,
                              validators=[DataRequired(message=_l("Vui lòng chọn danh mục."))])
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
    # Supply capacity (issue 19): all optional; the catalog service parses and bounds them.
    monthly_volume = StringField(_l("Sản lượng mỗi tháng"), validators=[Optional(), Length(max=20, message=_l(
        "Sản lượng mỗi tháng phải là số nguyên từ 1 đến 100.000.000."))],
        render_kw={"inputmode": "numeric", "placeholder": "2.000"})
    volume_unit = StringField(_l("Đơn vị sản lượng"), validators=[
        Optional(), Length(max=30, message=_l("Đơn vị sản lượng tối đa 30 ký tự (ví dụ: kg, tấn, hộp)."))],
        render_kw={"placeholder": "kg"})
    min_order_qty = StringField(_l("Đơn hàng tối thiểu"), validators=[Optional(), Length(max=20, message=_l(
        "Đơn hàng tối thiểu phải là số nguyên từ 1 đến 100.000.000."))],
        render_kw={"inputmode": "numeric", "placeholder": "50"})
    lead_time_days = StringField(_l("Số ngày chuẩn bị hàng"), validators=[Optional(), Length(max=20, message=_l(
        "Thời gian chuẩn bị hàng phải là số ngày nguyên từ 0 đến 365."))],
        render_kw={"inputmode": "numeric", "placeholder": "7"})
    packaging = StringField(_l("Quy cách đóng gói"), validators=[
        Optional(), Length(max=200, message=_l("Quy cách đóng gói tối đa 200 ký tự."))],
        render_kw={"placeholder": _l("túi 500 g, thùng 10 kg")})
    season_months = SelectMultipleField(
        _l("Các tháng có hàng"), coerce=str, validate_choice=False,
        choices=[SelectChoice(str(m), _l("Th %(m)d", m=m)) for m in range(1, 13)],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    # The product version the form was shown with (optimistic locking, see product_edit).
    version = HiddenField()
    submit = SubmitField(_l("Lưu"))

    def product_data(self) -> dict:
        return {key: self.data[key] for key in
                ("name", "code", "category_id", "price_vnd", "unit", "description", "area_id",
                 "monthly_volume", "volume_unit", "min_order_qty", "lead_time_days", "packaging")} | {
            "season_mask": list(self.data["season_months"] or [])}

    def rural_data(self) -> dict:
        return {"level": self.data["rural_level"], "year": self.data["rural_year"]}


def make_product_form(product=None, *, prefill: bool, with_revision: bool = False) -> ProductEditForm:
    """The product form with its choices; ``prefill`` fills it from ``product`` (GET),
    overlaid with the values of its pending revision when ``with_revision``."""
    if product is not None and prefill:
        form = ProductEditForm(obj=product)
        form.version.data = str(product.version)
        form.price_vnd.data = f"{product.price_vnd:,}".replace(",", ".")
        form.season_months.data = [str(m) for m in months_of(product)]
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
