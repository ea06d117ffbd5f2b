"""`flask sellers …`: approve, suspend or reinstate sellers from the command line (the same
staff services as the staff area at /nhan-vien)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from ..staff import services as staff_services
from ..staff.cli import commit_decision as _decide
from .models import SELLER_STATUSES, Seller
from .services import seller_by_slug

sellers = AppGroup("sellers", help="Cơ sở bán hàng (sellers).")


def _get(slug: str) -> Seller:
    seller = seller_by_slug(slug)
    if seller is None:
        raise click.ClickException(f"No seller with slug {slug!r}.")
    return seller


@sellers.command("approve")
@click.argument("slug")
def approve_command(slug: str) -> None:
    """Approve seller SLUG: its published products become public."""
    seller = _get(slug)
    _decide(lambda: staff_services.approve_seller(seller))
    click.echo(f"Approved {seller.slug} ({seller.name}).")


@sellers.command("suspend")
@click.argument("slug")
@click.option("--reason", required=True, help="Lý do (the seller reads it).")
def suspend_command(slug: str, reason: str) -> None:
    """Suspend seller SLUG: all its products disappear from public pages."""
    seller = _get(slug)
    _decide(lambda: staff_services.suspend_seller(seller, reason))
    click.echo(f"Suspended {seller.slug} ({seller.name}).")


@sellers.command("reinstate")
@click.argument("slug")
def reinstate_command(slug: str) -> None:
    """Reinstate suspended seller SLUG: the products public before show again."""
    seller = _get(slug)
    _decide(lambda: staff_services.reinstate_seller(seller))
    click.echo(f"Reinstated {seller.slug} ({seller.name}).")


@sellers.command("list")
@click.option("--status", type=click.Choice(SELLER_STATUSES), default=None)
def list_command(status: str | None) -> None:
    """List sellers (slug, status, name)."""
    stmt = sa.select(Seller).order_by(Seller.created_at, Seller.id)
    if status:
        stmt = stmt.where(Seller.status == status)
    for seller in db.session.scalars(stmt):
        click.echo(f"{seller.slug}\t{seller.status}\t{seller.name}")


def register(app: Flask) -> None:
    app.cli.add_command(sellers)
