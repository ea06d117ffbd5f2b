"""The seller's lot form: six fields on a phone, the rest folded away. Forms shape
input; ``services.validate_lot_data`` decides (dates, codes, quantities)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..web.forms import optional_int


class LotForm(FlaskForm):
    product_id = SelectField(_l("Sản phẩm"), coerce=optional_int, validate_choice=False)
    code = StringField(_l("Mã lô"), validators=[Optional(), Length(max=40)],
                       render_kw={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"})
    harvested_on = StringField(_l("Ngày thu hoạch / sản xuất"), render_kw={"type": "date"})
    quantity = StringField(_l("Số lượng"), validators=[Length(max=20)],
                           render_kw={"inputmode": "numeric", "placeholder": "120"})
    unit = StringField(_l("Đơn vị"), validators=[Length(max=60)], render_kw={"placeholder": "kg", "list": "lot-units"})
    origin = StringField(_l("Mã số vùng trồng hoặc nơi thu hoạch"), validators=[Length(max=400)],
                         render_kw={"placeholder": _l("VD: VT-TN-0123 hoặc xóm Hồng Thái, Tân Cương")})
    # Optional, folded on a phone.
    best_before = StringField(_l("Hạn sử dụng"), validators=[Optional()], render_kw={"type": "date"})
    packing_facility = StringField(_l("Cơ sở đóng gói"), validators=[Optional(), Length(max=400)])
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 3})
    photo = FileField(_l("Ảnh lô hàng hoặc giấy chứng nhận (JPEG, PNG, WebP)"),
                      render_kw={"accept": "image/jpeg,image/png,image/webp"})
    certification_ids = SelectMultipleField(_l("Chứng nhận áp dụng"), coerce=int, validate_choice=False,
                                            widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    version = HiddenField()
    submit = SubmitField(_l("Lưu lô hàng"))

    def lot_data(self) -> dict:
        return {key: self.data[key] for key in ("product_id", "code", "harvested_on", "quantity", "unit", "origin",
                                                "best_before", "packing_facility", "notes", "certification_ids")}
