"""One mailer interface. Default: each message written as an .eml file under
instance/mail/ and logged (no mail server needed). Production: SMTP."""
from __future__ import annotations

import logging
import smtplib
import uuid
from email.message import EmailMessage
from pathlib import Path

from flask import Flask, current_app

log = logging.getLogger(__name__)


class Mailer:
    def send(self, message: EmailMessage) -> None:
        raise NotImplementedError


class FileMailer(Mailer):
    """Writes messages to a folder — a stand-in for delivery in development and tests."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(bytes(message))
        log.info("mail to %s (%s) written to %s", message["To"], message["Subject"], path)


class SmtpMailer(Mailer):
    def __init__(self, config: dict) -> None:
        self.config = config

    def send(self, message: EmailMessage) -> None:
        c = self.config
        with smtplib.SMTP(c["SMTP_HOST"], c["SMTP_PORT"], timeout=15) as smtp:
            if c.get("SMTP_STARTTLS"):
                smtp.starttls()
            if c.get("SMTP_USER"):
                smtp.login(c["SMTP_USER"], c["SMTP_PASSWORD"] or "")
            smtp.send_message(message)


_OUTBOX_KEY = "mail_after_commit"
_listening = False


def send_after_commit(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Queue a message on the current database session; it is sent once the session
    commits (a rolled-back decision mails nobody). A delivery failure is logged, never
    raised: the committed change stands."""
    from .extensions import db

    if to:
        db.session.info.setdefault(_OUTBOX_KEY, []).append((to, subject, body, headers))


def _deliver_queued(session) -> None:  # noqa: ANN001
    queued = session.info.pop(_OUTBOX_KEY, None)
    for to, subject, body, headers in queued or ():
        try:
            send_mail(to, subject, body, headers=headers)
        except Exception:  # noqa: BLE001 — the change is committed; delivery is best effort
            log.exception("mail to %s (%s) failed", to, subject)


def _drop_queued(session) -> None:  # noqa: ANN001
    session.info.pop(_OUTBOX_KEY, None)


def _listen_for_commits() -> None:
    global _listening
    if _listening:
        return
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    event.listen(Session, "after_commit", _deliver_queued)
    event.listen(Session, "after_rollback", _drop_queued)
    _listening = True


def init_mail(app: Flask) -> None:
    _listen_for_commits()
    if app.config["MAIL_BACKEND"] == "smtp":
        if not app.config.get("SMTP_HOST"):
            raise RuntimeError("MAIL_BACKEND=smtp needs SMTP_HOST.")
        app.extensions["mailer"] = SmtpMailer(app.config)
    else:
        app.extensions["mailer"] = FileMailer(app.config["MAIL_FOLDER"])


def send_mail(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """``headers``: extra header fields (List-Unsubscribe and the like)."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    current_app.extensions["mailer"].send(message)
