"""Shared helpers of the staff tests: log in by id, read the mail folder, search."""
from __future__ import annotations

import email
from email import policy
from pathlib import Path

import sqlalchemy as sa

from auth import log_in
from marketplace.audit.models import AuditEntry
from marketplace.extensions import db


def client_as(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        log_in(client, user_id)
    return client


def mails(app) -> list[email.message.EmailMessage]:
    """Every message the file mailer wrote, oldest first."""
    folder = Path(app.config["MAIL_FOLDER"])
    if not folder.exists():
        return []
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]


def mail_texts(app, to: str) -> list[str]:
    return [f"{m['Subject']}\n{m.get_content()}" for m in mails(app) if m["To"] == to]


def audit_rows(**filters) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id)
    for key, value in filters.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(db.session.scalars(stmt))


def search_ids(text: str = "", **kw) -> set[int]:
    from marketplace.search import SearchQuery, get_search

    return set(get_search().search(SearchQuery(text=text, per_page=100, **kw)).ids)


def suggestion_texts(client, prefix: str) -> list[str]:
    data = client.get("/goi-y", query_string={"q": prefix}).get_json()
    return [s["text"] for s in data["suggestions"]]
