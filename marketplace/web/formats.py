"""Numbers as the page's language writes them; shared by every feature's views and
templates (the ``|thousands`` filter is registered by the catalog blueprint)."""
from __future__ import annotations


def is_english() -> bool:
    from ..i18n import current_locale

    locale = current_locale()  # babel's Locale: its language, not its formatted name (~10 calls a page)
    return locale is not None and locale.language == "en" and not locale.territory


def thousands(value: int | None, english: bool | None = None) -> str:
    """2760 → "2.760" (Vietnamese) or "2,760" (English); ``english``: the language when
    the caller knows it, else the current locale's."""
    text = f"{int(value or 0):,}"
    return text if (is_english() if english is None else english) else text.replace(",", ".")
