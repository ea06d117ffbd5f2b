"""Search synonyms: data, not code, shared by every search backend.

Each row says "a query word ``term`` also finds ``synonym``". An equivalence such as
chè ↔ trà is two rows, one per direction. Both sides are stored folded (``text.fold``),
and may be several words ("hong tra"). Backends read ``synonym_map()``; Meilisearch gets
it as its ``synonyms`` setting. A change sends ``synonyms_changed`` after the caller's
commit-time flush so backends can refresh what they cache.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..text import fold, utcnow

MAX_WORDS = 4
MAX_LENGTH = 60


class Synonym(db.Model):
    __tablename__ = "search_synonyms"
    __table_args__ = (UniqueConstraint("term", "synonym", name="term_synonym"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(MAX_LENGTH), index=True)
    synonym: Mapped[str] = mapped_column(String(MAX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<Synonym {self.term} -> {self.synonym}>"


class SynonymError(ValueError):
    """Invalid synonym input; ``field`` names the offending field ("term" or "synonym")."""

    def __init__(self, field: str, message: Any) -> None:
        super().__init__(str(message))
        self.field = field
        self.message = message


def normalise_term(value: str | None, field: str) -> str:
    """Folded, single-spaced words; raises SynonymError with a Vietnamese message."""
    folded = " ".join("".join(ch if ch.isalnum() else " " for ch in fold(value)).split())
    if not folded:
        raise SynonymError(field, _l("Vui lòng nhập một từ."))
    if len(folded) > MAX_LENGTH or len(folded.split()) > MAX_WORDS:
        raise SynonymError(field, _l("Tối đa %(n)d từ, %(c)d ký tự.", n=MAX_WORDS, c=MAX_LENGTH))
    return folded


def add_synonym(term: str, synonym: str, *, two_way: bool = True, actor: Any = None) -> list[Synonym]:
    """Add ``term`` → ``synonym`` (and back when ``two_way``); existing rows are kept.

    Returns the rows created (possibly none). Flushes; the caller commits.
    """
    from ..audit.services import record

    a = normalise_term(term, "term")
    b = normalise_term(synonym, "synonym")
    if a == b:
        raise SynonymError("synonym", _l("Từ đồng nghĩa phải khác từ gốc."))
    pairs = [(a, b)] + ([(b, a)] if two_way else [])
    created = []
    for left, right in pairs:
        exists = db.session.scalar(
            sa.select(Synonym.id).where(Synonym.term == left, Synonym.synonym == right)
        )
        if exists is None:
            row = Synonym(term=left, synonym=right, created_by_id=getattr(actor, "id", None))
            db.session.add(row)
            created.append(row)
    db.session.flush()
    for row in created:
        record("synonym.add", "synonym", row.id, actor=actor,
               after={"term": row.term, "synonym": row.synonym})
    if created:
        _notify()
    return created


def remove_synonym(term: str, synonym: str, *, two_way: bool = True, actor: Any = None) -> int:
    """Remove ``term`` → ``synonym`` (and back when ``two_way``). Returns rows removed."""
    from ..audit.services import record

    a = normalise_term(term, "term")
    b = normalise_term(synonym, "synonym")
    pairs = [(a, b)] + ([(b, a)] if two_way else [])
    removed = 0
    for left, right in pairs:
        row = db.session.scalars(
            sa.select(Synonym).where(Synonym.term == left, Synonym.synonym == right)
        ).first()
        if row is not None:
            record("synonym.remove", "synonym", row.id, actor=actor,
                   before={"term": row.term, "synonym": row.synonym})
            db.session.delete(row)
            removed += 1
    db.session.flush()
    if removed:
        _notify()
    return removed


def list_synonyms() -> sa.Select:
    return sa.select(Synonym).order_by(Synonym.term, Synonym.synonym)


def synonym_map(session: Any = None) -> dict[str, list[str]]:
    """``{term: [synonym, ...]}`` (folded), for the backends (``session``: another
    session than ``db.session``, e.g. one of its own after a commit)."""
    mapping: dict[str, list[str]] = {}
    for term, synonym in (session or db.session).execute(
        sa.select(Synonym.term, Synonym.synonym).order_by(Synonym.term, Synonym.synonym)
    ):
        mapping.setdefault(term, []).append(synonym)
    return mapping


def _notify() -> None:
    from flask import current_app

    from ..signals import synonyms_changed

    synonyms_changed.send(current_app._get_current_object())
