"""Analytics forms and the date-range chooser (GET, no form object)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..text import today_vn
from .queries import DateRange

DEFAULT_DAYS = 30
MAX_DAYS = 366
PRESETS = (7, 30, 90, 365)


class BaselineForm(FlaskForm):
    baseline = StringField(_l("Số lượt truy cập trước khi có hệ thống này"),
                           validators=[DataRequired(message=_l("Vui lòng nhập số lượt."))],
                           render_kw={"inputmode": "numeric", "autocomplete": "off"})
    submit = SubmitField(_l("Lưu mốc ban đầu"))


class SynonymForm(FlaskForm):
    term = StringField(_l("Từ khoá"), validators=[DataRequired(message=_l("Vui lòng nhập từ khoá.")),
                                                  Length(max=60, message=_l("Tối đa 60 ký tự."))])
    synonym = StringField(_l("Từ đồng nghĩa (tìm thấy sản phẩm)"),
                          validators=[DataRequired(message=_l("Vui lòng nhập từ đồng nghĩa.")),
                                      Length(max=60, message=_l("Tối đa 60 ký tự."))])
    two_way = BooleanField(_l("Hai chiều"), default=True)
    next = HiddenField()
    submit = SubmitField(_l("Thêm từ đồng nghĩa"))


class RemoveSynonymForm(FlaskForm):
    term = HiddenField()
    synonym = HiddenField()
    submit = SubmitField(_l("Xoá"))


def parse_count(raw: str | None) -> int | None:
    """ "5.000.000", "5,000,000", "5 000 000" or "5000000" → 5000000; None if not a count."""
    text = re.sub(r"[\s.,_]", "", raw or "")
    return int(text) if text.isdigit() and len(text) <= 13 else None


def _parse_day(raw: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


def parse_range(args) -> tuple[DateRange, list[str]]:  # noqa: ANN001
    """``tu`` / ``den`` (yyyy-mm-dd or dd/mm/yyyy) or ``ngay`` (last N days); bad
    values fall back to the last 30 days with a message, never an error."""
    today = today_vn()
    messages: list[str] = []
    preset = args.get("ngay", "")
    if preset.isdigit() and 1 <= int(preset) <= MAX_DAYS:
        return DateRange(today - timedelta(days=int(preset) - 1), today), messages
    start = end = None
    raw_from, raw_to = args.get("tu", "").strip(), args.get("den", "").strip()
    if raw_from:
        start = _parse_day(raw_from)
        if start is None:
            messages.append(_("Ngày bắt đầu không hợp lệ (dd/mm/yyyy): đã dùng mặc định."))
    if raw_to:
        end = _parse_day(raw_to)
        if end is None:
            messages.append(_("Ngày kết thúc không hợp lệ (dd/mm/yyyy): đã dùng mặc định."))
    end = end or today
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
        messages.append(_("Ngày bắt đầu sau ngày kết thúc: đã đổi chỗ hai ngày."))
    if (end - start).days + 1 > MAX_DAYS:
        start = end - timedelta(days=MAX_DAYS - 1)
        messages.append(_("Khoảng thời gian tối đa %(n)s ngày: đã rút ngắn.", n=MAX_DAYS))
    return DateRange(start, end), messages
