"""Staff forms: a decision with a reason, the audit-log filter."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..web.forms import VnDateField


class ReasonForm(FlaskForm):
    """A staff decision (approve, reject, suspend, …); the reason is shown to the seller."""

    reason = TextAreaField(_l("Lý do (người bán sẽ đọc được)"), validators=[
        Optional(), Length(max=2000, message=_l("Lý do tối đa 2.000 ký tự."))], render_kw={"rows": 3})


class AuditFilterForm(FlaskForm):
    """GET filter of the audit browser (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    user = StringField(_l("Người thực hiện (email)"), validators=[Optional(), Length(max=200)])
    object_type = StringField(_l("Loại đối tượng"), validators=[Optional(), Length(max=30)])
    object_id = StringField(_l("Mã đối tượng"), validators=[Optional(), Length(max=12)])
    action = StringField(_l("Thao tác"), validators=[Optional(), Length(max=60)])
    since = VnDateField(_l("Từ ngày"), validators=[Optional()], format=["%d/%m/%Y", "%Y-%m-%d"],
                        render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
    until = VnDateField(_l("Đến ngày"), validators=[Optional()], format=["%d/%m/%Y", "%Y-%m-%d"],
                        render_kw={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})
