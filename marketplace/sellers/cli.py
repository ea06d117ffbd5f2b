"""`flask sellers …`: approve or suspend sellers until the staff queue exists."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from .models import SELLER_STATUSES, Seller
from .services import approve_seller, seller_by_slug, suspend_seller

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
    approve_seller(seller)
    db.session.commit()
    click.echo(f"Approved {seller.slug} ({seller.name}).")


@sellers.command("suspend")
@click.argument("slug")
def suspend_command(slug: str) -> None:
    """Suspend seller SLUG: all its products disappear from public pages."""
    seller = _get(slug)
    suspend_seller(seller)
    db.session.commit()
    click.echo(f"Suspended {seller.slug} ({seller.name}).")


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
