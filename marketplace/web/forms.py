"""Form helpers shared by every feature's forms (WTForms has no Vietnamese catalog)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeField, IntegerField
from wtforms.fields.choices import SelectChoice


def optional_int(value):
    """``coerce`` for a select whose empty option means "none": int or None, never an error."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _VietnameseParseError:
    """Replaces a field's English parse error with a Vietnamese ``invalid_message``."""

    default_invalid_message = _l("Giá trị không hợp lệ.")

    def __init__(self, *args, invalid_message=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message or self.default_invalid_message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(self.invalid_message) from None


class VnIntegerField(_VietnameseParseError, IntegerField):
    default_invalid_message = _l("Vui lòng nhập một số nguyên.")


class VnDateField(_VietnameseParseError, DateField):
    """Accepts the browser's yyyy-mm-dd and the dd/mm/yyyy people type."""

    default_invalid_message = _l("Ngày không hợp lệ (dd/mm/yyyy).")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%d", "%d/%m/%Y"])
        super().__init__(*args, **kwargs)


class VnDateTimeField(_VietnameseParseError, DateTimeField):
    """The browser's datetime-local value or "dd/mm/yyyy HH:MM" (or a bare date, at 00:00),
    a wall-clock time in Asia/Ho_Chi_Minh."""

    default_invalid_message = _l("Thời điểm không hợp lệ (dd/mm/yyyy HH:MM).")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
                                     "%Y-%m-%d"])
        kwargs.setdefault("render_kw", {"type": "datetime-local"})
        super().__init__(*args, **kwargs)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime("%Y-%m-%dT%H:%M") if self.data else ""


def choice_list(pairs, empty: str | None = None) -> list[SelectChoice]:
    """(value, label) pairs as SelectChoice objects, with an optional empty first option."""
    out = [SelectChoice("", empty)] if empty is not None else []
    return out + [SelectChoice(value, label) for value, label in pairs]
