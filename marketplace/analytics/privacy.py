"""What a search text may keep: personal data is masked before anything is stored.

A buyer sometimes types a phone number, an e-mail address, an ID-card or account number
or a link into the search box. ``mask_personal`` replaces each with a Vietnamese
placeholder (``‹số điện thoại›`` …) on the raw text, before folding and before the
text reaches any table (raw rows, daily aggregates, logs): nothing personal is ever
written, so no retention rule has to catch it later.

What staff may read is the second half: a query's text is shown (page and CSV) only once
at least ``SEARCH_TEXT_MIN_VISITORS`` distinct visitors searched it on one day (see
``queries``); below that, counts only.
"""
from __future__ import annotations

import re

PHONE = "‹số điện thoại›"
EMAIL = "‹thư điện tử›"
NUMBER = "‹dãy số›"
URL = "‹địa chỉ web›"
PLACEHOLDERS = (PHONE, EMAIL, NUMBER, URL)

_SEP = r"[ .\-]?"
# Order matters: an e-mail or a URL may hold digits; a phone number is a digit run with
# a Vietnamese prefix (0…, +84…, 84…) and 9–11 digits, written with or without
# single spaces, dots or dashes between groups.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"']+", re.IGNORECASE), EMAIL),
    (re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)\S+"
                r"|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|vn|net|org|info|biz|io|me|xyz|top|app|site|online|shop)"
                r"\b(?:/\S*)?", re.IGNORECASE), URL),
    (re.compile(rf"(?<![\d+])(?:\+84|84|0)(?:{_SEP}\d){{8,10}}(?!\d)"), PHONE),
    (re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{6,}}(?!\d)"), NUMBER),
)


def mask_personal(text: str | None) -> str:
    """``text`` with phone numbers, e-mail addresses, runs of 7 or more digits and URLs
    replaced by placeholders.

    >>> mask_personal("mật ong 0912 345 678 a.b@example.com")
    'mật ong ‹số điện thoại› ‹thư điện tử›'
    """
    out = text or ""
    for pattern, placeholder in _PATTERNS:
        out = pattern.sub(placeholder, out)
    return out


def has_personal(text: str | None) -> bool:
    return mask_personal(text) != (text or "")


def scrub_stored_queries(conn) -> int:  # noqa: ANN001
    """Mask the search texts stored before masking existed (migration 0019; they are
    folded already): raw rows
    are rewritten in place; daily aggregates whose masked text collides with another of
    the same day are merged into it. Returns the rows changed. Core only, on ``conn``."""
    import sqlalchemy as sa

    meta = sa.MetaData()
    searches = sa.Table("analytics_searches", meta, autoload_with=conn)
    daily = sa.Table("analytics_search_daily", meta, autoload_with=conn)
    changed = 0
    for row in conn.execute(sa.select(searches.c.id, searches.c.query)).all():
        masked = mask_personal(row.query)[:200]
        if masked != row.query:
            conn.execute(searches.update().where(searches.c.id == row.id).values(query=masked))
            changed += 1
    sums = ("searches", "zero_results", "clicked", "clicks")
    for row in conn.execute(sa.select(daily)).mappings().all():
        masked = mask_personal(row["query"])[:200]
        if masked == row["query"]:
            continue
        changed += 1
        key = (daily.c.day == row["day"]) & (daily.c.query == masked)
        target = conn.execute(sa.select(daily).where(key)).mappings().first()
        conn.execute(daily.delete().where((daily.c.day == row["day"]) & (daily.c.query == row["query"])))
        if target is None:
            conn.execute(daily.insert().values({**row, "query": masked}))
        else:
            values = {c: daily.c[c] + row[c] for c in sums}
            if "visitors" in daily.c:  # the same person may have typed both: never count more than seen
                values["visitors"] = sa.case((daily.c.visitors > row["visitors"], daily.c.visitors),
                                             else_=row["visitors"])
            conn.execute(daily.update().where(key).values(values))
    return changed
