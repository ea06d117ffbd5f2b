"""Forms for inquiries. They shape the input and reuse the service's checks for the
messages, so the form and the service agree; the service decides again on submit."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, Form, FormField, HiddenField, IntegerField, StringField, TelField, TextAreaField
from wtforms.validators import ValidationError

from .models import INQUIRY_STATUSES, MAX_QUANTITY
from .services import MAX_LINES, MESSAGE_MAX, NAME_MAX, InquiryError, clean_email, clean_message, clean_name, clean_phone

_GROUPED = re.compile(r"\d{1,3}(?:[.\s]\d{3})+")


class QuantityField(IntegerField):
    """Whole number 1…100,000; accepts Vietnamese thousands separators (``1.000``)."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if _GROUPED.fullmatch(raw):
            raw = raw.replace(".", "").replace(" ", "")
        if not raw:
            self.data = None
            raise ValueError(_l("Vui lòng nhập số lượng."))
        try:
            self.data = int(raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("Số lượng phải là số nguyên từ 1 đến 100.000.")) from None


def quantity_range(form, field) -> None:
    if field.data is not None and not 1 <= field.data <= MAX_QUANTITY:
        raise ValidationError(_l("Số lượng phải là số nguyên từ 1 đến 100.000."))


def _service_check(clean):
    """A WTForms validator running one of the service's ``clean_*`` functions."""

    def validator(form, field) -> None:
        try:
            clean(field.data)
        except InquiryError as exc:
            raise ValidationError(exc.message) from None

    return validator


class ContactMixin:
    name = StringField(_l("Họ và tên"), validators=[_service_check(clean_name)],
                       render_kw={"maxlength": NAME_MAX, "autocomplete": "name", "required": True})
    phone = TelField(_l("Số điện thoại"), validators=[_service_check(clean_phone)],
                     render_kw={"autocomplete": "tel", "inputmode": "tel", "required": True,
                                "placeholder": "0912 345 678"})
    email = EmailField(_l("Email (không bắt buộc)"), validators=[_service_check(clean_email)],
                       render_kw={"autocomplete": "email"})
    message = TextAreaField(_l("Lời nhắn"), validators=[_service_check(clean_message)],
                            render_kw={"maxlength": MESSAGE_MAX, "rows": 4})
    # Honeypot: hidden from people by CSS (class "hp-field"), filled by bots.
    website = StringField(_l("Website (để trống)"), render_kw={"autocomplete": "off", "tabindex": "-1"})


class ProductInquiryForm(ContactMixin, FlaskForm):
    quantity = QuantityField(_l("Số lượng"), default=1, validators=[quantity_range],
                             render_kw={"min": 1, "max": MAX_QUANTITY, "required": True})


class AddToCartForm(FlaskForm):
    quantity = QuantityField(_l("Số lượng"), default=1, validators=[quantity_range],
                             render_kw={"min": 1, "max": MAX_QUANTITY})


class CartLineForm(Form):
    product_id = HiddenField()
    # 0 is allowed on update (removes the line).
    quantity = QuantityField(_l("Số lượng"), render_kw={"min": 0, "max": MAX_QUANTITY})

    def validate_quantity(self, field) -> None:
        if field.data is not None and not 0 <= field.data <= MAX_QUANTITY:
            raise ValidationError(_l("Số lượng phải là số nguyên từ 1 đến 100.000."))

    def validate_product_id(self, field) -> None:
        text = str(field.data or "")
        if not (text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) < 2**31):
            raise ValidationError(_l("Sản phẩm không hợp lệ."))


class CartUpdateForm(FlaskForm):
    lines = FieldList(FormField(CartLineForm), max_entries=MAX_LINES)

    def quantities(self) -> dict[int, int]:
        return {int(line.product_id.data): line.quantity.data for line in self.lines}


class CartSubmitForm(ContactMixin, CartUpdateForm):
    pass


class InquiryStatusForm(FlaskForm):
    # Rendered as a <select> of STATUS_LABELS by the template; a plain field avoids
    # SelectField's choice API, which changes across WTForms 3.x releases.
    status = StringField(_l("Trạng thái"))

    def validate_status(self, field) -> None:
        if field.data not in INQUIRY_STATUSES:
            raise ValidationError(_l("Trạng thái không hợp lệ."))


STATUS_LABELS = {"new": _l("Mới"), "contacted": _l("Đã liên hệ"), "closed": _l("Đã đóng")}
