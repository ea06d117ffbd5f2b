"""Dashboard forms: the OCOP certificate (the product form is ``catalog.forms``).
Forms shape input; services decide."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..catalog.listing import OCOP_GROUP_LABELS  # translated labels of OCOP_GROUPS
from ..catalog.models import ISSUING_LEVEL_LABELS, ISSUING_LEVELS, OCOP_GROUPS
from ..web.forms import VnDateField, VnIntegerField, choice_list, optional_int


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
