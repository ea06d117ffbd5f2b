"""`flask products publish|reject ID`: the review decision until the staff queue exists.

The ``products`` group may be shared with other features (spreadsheet import): the
commands are added to an existing group of that name instead of replacing it.
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from ..extensions import db
from .models import Product
from ..staff.cli import commit_decision as _decide


def _get(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise click.ClickException(f"No product with id {product_id}.")
    return product


@click.command("publish")
@click.argument("product_id", type=int)
@with_appcontext
def publish_command(product_id: int) -> None:
    """Publish pending product ID (public once its seller is approved)."""
    from ..staff.services import approve_product

    product = _get(product_id)
    _decide(lambda: approve_product(product))
    click.echo(f"Published {product.id} {product.slug}.")


@click.command("reject")
@click.argument("product_id", type=int)
@click.option("--reason", required=True, help="Lý do (the seller reads it).")
@with_appcontext
def reject_command(product_id: int, reason: str) -> None:
    """Reject pending product ID (back to the seller, who may edit and resubmit)."""
    from ..staff.services import reject_product

    product = _get(product_id)
    _decide(lambda: reject_product(product, reason))
    click.echo(f"Rejected {product.id} {product.slug}.")


def register(app: Flask) -> None:
    group = app.cli.commands.get("products")
    if not isinstance(group, click.Group):
        group = AppGroup("products", help="Sản phẩm (products).")
        app.cli.add_command(group)
    group.add_command(publish_command)
    group.add_command(reject_command)
