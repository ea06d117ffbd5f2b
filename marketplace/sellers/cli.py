"""`flask sellers list`: the sellers and their status. The staff decisions on a seller
(`flask sellers approve|suspend|reinstate`) live with the staff services, in staff/cli.py,
and join this group."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from .models import SELLER_STATUSES, Seller

sellers = AppGroup("sellers", help="Cơ sở bán hàng (sellers).")


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
    group = app.cli.commands.get("sellers")
    if isinstance(group, click.Group):  # staff's decisions registered first
        group.add_command(list_command)
    else:
        app.cli.add_command(sellers)
