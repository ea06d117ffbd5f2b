"""Forms of the photo pages (CSRF on every POST)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, StringField
from wtforms.validators import Length, Optional


class PhotoUploadForm(FlaskForm):
    photos = MultipleFileField(_l("Chọn ảnh (JPEG, PNG hoặc WebP, tối đa 10 MB mỗi ảnh)"))
    alt = StringField(_l("Mô tả ngắn cho ảnh (không bắt buộc)"), validators=[Optional(), Length(max=200)])


class PhotoActionForm(FlaskForm):
    """Delete / move / cover buttons: only the CSRF token."""
