"""Sourcing forms: they shape the input and carry the CSRF token; the services decide
(every message comes from ``services.clean_*``), so a form can never accept what the
service refuses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TelField, TextAreaField, widgets

from .models import BUYER_TYPES, FREQUENCIES
from .services import AREA_MAX, CITY_MAX, DETAILS_MAX, MESSAGE_MAX, ORG_MAX, TITLE_MAX, UNIT_MAX

NUMBER = {"inputmode": "numeric", "autocomplete": "off"}


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RequestForm(FlaskForm):
    title = StringField(_l("Bạn cần tìm hàng gì?"), render_kw={"maxlength": TITLE_MAX, "required": True,
                                                                "placeholder": _l("Ví dụ: chè búp khô VietGAP")})
    category_id = SelectField(_l("Danh mục"), validate_choice=False)
    quantity = StringField(_l("Số lượng"), render_kw={**NUMBER, "required": True, "placeholder": "2000"})
    unit = StringField(_l("Đơn vị tính"), render_kw={"maxlength": UNIT_MAX, "required": True, "placeholder": "kg",
                                                     "list": "unit-choices"})
    frequency = RadioField(_l("Số lượng trên"), choices=[SelectChoice(k, v) for k, v in FREQUENCIES.items()], default="once",
                           validate_choice=False)
    required_certs = MultiCheckboxField(_l("Chứng nhận bắt buộc"), validate_choice=False)
    delivery_area = StringField(_l("Nơi giao hàng (tỉnh hoặc xã/phường)"),
                                render_kw={"maxlength": AREA_MAX, "required": True, "placeholder": "Hà Nội"})
    deadline = StringField(_l("Hạn nhận chào hàng"), render_kw={"type": "date", "required": True})
    target_price_vnd = StringField(_l("Giá mong muốn mỗi đơn vị (₫, không bắt buộc)"), render_kw=NUMBER)
    details = TextAreaField(_l("Yêu cầu chi tiết (quy cách, đóng gói, giao hàng…)"),
                            render_kw={"maxlength": DETAILS_MAX, "rows": 4})
    buyer_type = SelectField(_l("Bạn là"), choices=[SelectChoice("", "—"), *(SelectChoice(k, v) for k, v in BUYER_TYPES.items())], validate_choice=False)
    organisation = StringField(_l("Tên đơn vị"), render_kw={"maxlength": ORG_MAX, "autocomplete": "organization"})
    city = StringField(_l("Tỉnh/thành phố của đơn vị"), render_kw={"maxlength": CITY_MAX, "placeholder": "Hà Nội"})
    phone = TelField(_l("Số điện thoại liên hệ"), render_kw={"autocomplete": "tel", "inputmode": "tel",
                                                              "placeholder": "0912 345 678"})

    REQUEST_FIELDS = ("title", "details", "category_id", "quantity", "unit", "frequency", "required_certs",
                      "delivery_area", "deadline", "target_price_vnd")
    PROFILE_FIELDS = ("buyer_type", "organisation", "city", "phone")

    def request_data(self) -> dict:
        return {name: self._fields[name].data for name in self.REQUEST_FIELDS}

    def profile_data(self) -> dict:
        return {name: self._fields[name].data for name in self.PROFILE_FIELDS}


class OfferForm(FlaskForm):
    price_vnd = StringField(_l("Giá chào mỗi đơn vị (₫)"), render_kw={**NUMBER, "required": True})
    quantity = StringField(_l("Số lượng có thể cung cấp"), render_kw={**NUMBER, "required": True})
    first_delivery = StringField(_l("Ngày giao đầu tiên"), render_kw={"type": "date", "required": True})
    message = TextAreaField(_l("Lời nhắn cho người mua"), render_kw={"maxlength": MESSAGE_MAX, "rows": 4})

    def offer_data(self) -> dict:
        return {name: self._fields[name].data for name in ("price_vnd", "quantity", "first_delivery", "message")}


class SellerPickForm(FlaskForm):
    seller = StringField(_l("Cơ sở (mã số hoặc đường dẫn)"), render_kw={"maxlength": 120, "required": True})
