"""Staff forms for collections. Forms shape input; services decide."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..web.forms import VnDateTimeField, VnIntegerField, optional_int

PLACEMENT_LABELS = {
    "home_hero": _l("Trang chủ – ảnh bìa lớn"),
    "home_row": _l("Trang chủ – hàng sản phẩm"),
    "category": _l("Trang danh mục"),
}


class CollectionForm(FlaskForm):
    title = StringField(_l("Tiêu đề"), validators=[
        DataRequired(message=_l("Vui lòng nhập tiêu đề.")),
        Length(min=3, max=200, message=_l("Tiêu đề phải dài từ 3 đến 200 ký tự.")),
    ])
    slug = StringField(_l("Đường dẫn (không bắt buộc)"), validators=[
        Optional(), Length(max=100, message=_l("Đường dẫn tối đa 100 ký tự."))],
        render_kw={"placeholder": "qua-tet-2027"})
    description = TextAreaField(_l("Mô tả"), validators=[
        Optional(), Length(max=5000, message=_l("Mô tả tối đa 5.000 ký tự."))], render_kw={"rows": 4})
    placement = SelectField(_l("Vị trí hiển thị"), choices=[SelectChoice(k, v) for k, v in PLACEMENT_LABELS.items()],
                            validate_choice=False, default="home_row")
    category_id = SelectField(_l("Danh mục (khi đặt ở trang danh mục)"), coerce=optional_int,
                              validate_choice=False)
    position = VnIntegerField(_l("Thứ tự hiển thị"), default=0, validators=[
        Optional(), NumberRange(min=0, max=9999, message=_l("Thứ tự là số nguyên từ 0 đến 9999."))])
    starts_at = VnDateTimeField(_l("Bắt đầu (giờ Việt Nam)"), validators=[Optional()])
    ends_at = VnDateTimeField(_l("Kết thúc (giờ Việt Nam)"), validators=[Optional()])
    published = BooleanField(_l("Đang bật (hiển thị trong thời gian đã đặt)"))
    cover = FileField(_l("Ảnh bìa (JPEG, PNG hoặc WebP)"))
    remove_cover = BooleanField(_l("Bỏ ảnh bìa"))

    def service_data(self) -> dict:
        data = dict(self.data)
        for name in ("csrf_token", "cover", "remove_cover"):
            data.pop(name, None)
        return data
