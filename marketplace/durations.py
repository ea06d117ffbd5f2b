"""A count of seconds, minutes, hours or days as the page's language says it: "1 giờ",
"3 giờ" in Vietnamese (one form), "1 hour", "3 hours" in English."""
from __future__ import annotations

from .validation import ngettext


def seconds(n: int) -> str:
    return ngettext("%(num)d giây", "%(num)d giây", n)


def minutes(n: int) -> str:
    return ngettext("%(num)d phút", "%(num)d phút", n)


def hours(n: int) -> str:
    return ngettext("%(num)d giờ", "%(num)d giờ", n)


def days(n: int) -> str:
    return ngettext("%(num)d ngày", "%(num)d ngày", n)
