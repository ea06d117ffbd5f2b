"""Form helpers shared by every feature's forms (WTForms has no Vietnamese catalog)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField


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
