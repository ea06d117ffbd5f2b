"""Read the mails the ``file`` mailer wrote (.eml files) — the only stand-in tests use."""
from __future__ import annotations

import email
from email import policy
from pathlib import Path


def read_mails(folder) -> list:
    """The messages in ``folder``, oldest first, as ``email.message.EmailMessage``."""
    paths = sorted(Path(folder).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if Path(folder).exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
