"""The seller's certification form (kinds other than OCOP). Forms shape input; the
service (services.validate) decides and words the messages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..web.forms import VnDateField
from .models import KIND_LABELS, KINDS, OCOP, SCOPE_LABELS, SCOPES

FIELDS = ("kind", "number", "issuer", "scheme", "place", "issued_on", "expires_on", "scope", "product_ids")


class CheckboxList(SelectMultipleField):
    """Checkboxes (a phone-friendly multiple choice); choices checked by the service."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # noqa: ANN001
        return None


class SellerCertificationForm(FlaskForm):
    kind = SelectField(_l("Loại chứng nhận"), validate_choice=False, choices=[
        SelectChoice("", _l("— Chọn —")), *(SelectChoice(k, KIND_LABELS[k]) for k in KINDS if k != OCOP)])
    number = StringField(_l("Số chứng nhận / mã số"), render_kw={"placeholder": "VietGAP-TT-19-12-1234"})
    issuer = StringField(_l("Tổ chức cấp (ghi như trên giấy chứng nhận)"))
    scheme = StringField(_l("Tiêu chuẩn (hữu cơ: TCVN 11041, USDA Organic, EU Organic…)"),
                         render_kw={"placeholder": "TCVN 11041"})
    place = StringField(_l("Vùng sản xuất (thôn, xã, diện tích; không bắt buộc)"),
                        render_kw={"placeholder": "Xóm Nam Đồng, xã Tân Cương, 5 ha"})
    issued_on = VnDateField(_l("Ngày cấp"), validators=[Optional()],
                            invalid_message=_l("Ngày cấp không hợp lệ (dd/mm/yyyy)."))
    expires_on = VnDateField(_l("Ngày hết hạn (bỏ trống với chỉ dẫn địa lý)"), validators=[Optional()],
                             invalid_message=_l("Ngày hết hạn không hợp lệ (dd/mm/yyyy)."))
    scope = SelectField(_l("Áp dụng cho"), validate_choice=False,
                        choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES])
    product_ids = CheckboxList(_l("Sản phẩm được chứng nhận"), coerce=int)
    scan = FileField(_l("Bản quét giấy chứng nhận (ảnh hoặc PDF, tối đa 10 MB)"))
    submit = SubmitField(_l("Lưu chứng nhận"))

    def certification_data(self) -> dict:
        data = {key: self.data[key] for key in FIELDS}
        # A date the browser could not parse stays text: the service then names the field.
        for key in ("issued_on", "expires_on"):
            if data[key] is None:
                data[key] = (self[key].raw_data or [""])[0]
        return data
