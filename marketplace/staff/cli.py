"""`flask certificates remind`: mail sellers 90 and 30 days before an OCOP certificate
expires. Idempotent (each reminder is recorded), safe to run daily."""
from __future__ import annotations

import logging
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup

from ..catalog.models import OcopCertification
from ..validation import ValidationError
from ..extensions import db
from ..text import today_vn
from . import services

log = logging.getLogger(__name__)

certificates = AppGroup("certificates", help="Chứng nhận OCOP (OCOP certificates).")


def commit_decision(action) -> None:
    """Run a staff decision service from a CLI command (audited as the system, the
    seller mailed after the commit) and commit once; a refusal becomes a CLI error."""
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()


def _parse_day(value: str | None):
    if not value:
        return today_vn()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise click.BadParameter("use dd/mm/yyyy", param_hint="--date")


@certificates.command("remind")
@click.option("--date", "day", default=None, help="Run as if today were this Vietnamese date (dd/mm/yyyy).")
def remind_command(day: str | None) -> None:
    """Mail each seller whose certificate expires in 90 or 30 days (once each)."""
    today = _parse_day(day)
    # On a terminal a progress bar; in cron (no tty) click prints only the label.
    with click.progressbar(length=len(services.due_reminders(today)), label=f"Reminders due on {today:%d/%m/%Y}",
                           show_pos=True) as bar:
        sent, skipped, failed = services.send_due_reminders(today, on_each=lambda: bar.update(1))
    click.echo(f"{sent} reminder(s) sent, {skipped} seller(s) without e-mail, {failed} failed.")
    if failed:
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(certificates)
