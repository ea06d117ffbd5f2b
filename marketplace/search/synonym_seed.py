"""The synonyms every marketplace in the region starts with: data, with the reason
each one holds (checked against /work/shared/data/thai-nguyen-catalog-facts.md and the
demo catalog built from it). Equivalences only: the same thing under two names,
never two different products.

Added through ``synonyms.add_synonym`` (audited, two-way) by the demo seed and by
``flask --app marketplace search synonyms seed`` (production opts in once; staff
manage the table afterwards).
"""
from __future__ import annotations

from typing import Any

# (term, synonym, why it holds)
SEED_SYNONYMS: tuple[tuple[str, str, str], ...] = (
    (
        "chè",
        "trà",
        "The same drink: the catalog facts list the tea family as 'Tea (chè / trà)' and"
        " producers use both words for the same products (Chè móc câu Hảo Đạt / Trà móc"
        " câu hương quê; 'HTX chè …' sells 'Trà …').",
    ),
    (
        "htx",
        "hợp tác xã",
        "HTX is the standard abbreviation of hợp tác xã (cooperative): sellers are named"
        " 'HTX chè Hảo Đạt', 'HTX miến Việt Cường'; a buyer may type either form.",
    ),
    (
        "tp",
        "thành phố",
        "TP abbreviates thành phố (city) in the former district names kept as area"
        " aliases ('TP Thái Nguyên', 'TP Sông Công', 'TP Phổ Yên', 'TP Bắc Kạn').",
    ),
)


def seed_synonyms(actor: Any = None) -> int:
    """Add the seed synonyms that are missing (both directions). Flushes; the caller
    commits. Returns the number of rows added."""
    from .synonyms import add_synonym

    return sum(len(add_synonym(term, synonym, actor=actor)) for term, synonym, _ in SEED_SYNONYMS)
