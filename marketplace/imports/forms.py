"""Forms of the import pages (CSRF on every POST)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, SelectField


class ImportUploadForm(FlaskForm):
    seller = SelectField(_l("Cơ sở (nhân viên chọn cơ sở cần nhập)"), choices=[], validate_choice=False)
    file = FileField(_l("Tệp bảng tính (CSV UTF-8 hoặc XLSX, tối đa 5 MB, 5.000 dòng)"))


class ImportCommitForm(FlaskForm):
    token = HiddenField()
