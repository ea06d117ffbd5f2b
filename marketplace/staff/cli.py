"""Staff decisions from the command line.

`flask certificates remind`: mail sellers 90 and 30 days before an OCOP certificate
expires. Idempotent (each reminder is recorded), safe to run daily.

`flask products publish|reject ID`: the review decision of the staff queue. The
``products`` group may be shared with other features (spreadsheet import): the commands
are added to an existing group of that name instead of replacing it.

`flask sellers approve|suspend|reinstate SLUG`: the staff decisions on a seller (the same
staff services as the staff area at /nhan-vien), added to the ``sellers`` group the same way
(``flask sellers list`` is the sellers package's)."""
from __future__ import annotations

import logging
from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from ..catalog.models import Product
from ..sellers.models import Seller
from ..sellers.services import seller_by_slug
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


def _get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise click.ClickException(f"No product with id {product_id}.")
    return product


@click.command("publish")
@click.argument("product_id", type=int)
@with_appcontext
def publish_command(product_id: int) -> None:
    """Publish pending product ID (public once its seller is approved)."""
    product = _get_product(product_id)
    commit_decision(lambda: services.approve_product(product))
    click.echo(f"Published {product.id} {product.slug}.")


@click.command("reject")
@click.argument("product_id", type=int)
@click.option("--reason", required=True, help="Lý do (the seller reads it).")
@with_appcontext
def reject_command(product_id: int, reason: str) -> None:
    """Reject pending product ID (back to the seller, who may edit and resubmit)."""
    product = _get_product(product_id)
    commit_decision(lambda: services.reject_product(product, reason))
    click.echo(f"Rejected {product.id} {product.slug}.")


def _get_seller(slug: str) -> Seller:
    seller = seller_by_slug(slug)
    if seller is None:
        raise click.ClickException(f"No seller with slug {slug!r}.")
    return seller


@click.command("approve")
@click.argument("slug")
@with_appcontext
def approve_seller_command(slug: str) -> None:
    """Approve seller SLUG: its published products become public."""
    seller = _get_seller(slug)
    commit_decision(lambda: services.approve_seller(seller))
    click.echo(f"Approved {seller.slug} ({seller.name}).")


@click.command("suspend")
@click.argument("slug")
@click.option("--reason", required=True, help="Lý do (the seller reads it).")
@with_appcontext
def suspend_seller_command(slug: str, reason: str) -> None:
    """Suspend seller SLUG: all its products disappear from public pages."""
    seller = _get_seller(slug)
    commit_decision(lambda: services.suspend_seller(seller, reason))
    click.echo(f"Suspended {seller.slug} ({seller.name}).")


@click.command("reinstate")
@click.argument("slug")
@with_appcontext
def reinstate_seller_command(slug: str) -> None:
    """Reinstate suspended seller SLUG: the products public before show again."""
    seller = _get_seller(slug)
    commit_decision(lambda: services.reinstate_seller(seller))
    click.echo(f"Reinstated {seller.slug} ({seller.name}).")


def _group(app: Flask, name: str, help_text: str) -> click.Group:
    """The CLI group ``name``, shared with the feature that created it (or created here)."""
    group = app.cli.commands.get(name)
    if not isinstance(group, click.Group):
        group = AppGroup(name, help=help_text)
        app.cli.add_command(group)
    return group


def register(app: Flask) -> None:
    app.cli.add_command(certificates)
    group = _group(app, "products", "Sản phẩm (products).")
    group.add_command(publish_command)
    group.add_command(reject_command)
    group = _group(app, "sellers", "Cơ sở bán hàng (sellers).")
    group.add_command(approve_seller_command)
    group.add_command(suspend_seller_command)
    group.add_command(reinstate_seller_command)
