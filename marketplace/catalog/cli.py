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
from .services import publish_product, reject_product


def _get(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise click.ClickException(f"No product with id {product_id}.")
    return product


@click.command("publish")
@click.argument("product_id", type=int)
@with_appcontext
def publish_command(product_id: int) -> None:
    """Publish product ID (public once its seller is approved)."""
    product = _get(product_id)
    publish_product(product)
    db.session.commit()
    click.echo(f"Published {product.id} {product.slug}.")


@click.command("reject")
@click.argument("product_id", type=int)
@with_appcontext
def reject_command(product_id: int) -> None:
    """Reject product ID (back to the seller, who may edit and resubmit)."""
    product = _get(product_id)
    reject_product(product)
    db.session.commit()
    click.echo(f"Rejected {product.id} {product.slug}.")


def register(app: Flask) -> None:
    group = app.cli.commands.get("products")
    if not isinstance(group, click.Group):
        group = AppGroup("products", help="Sản phẩm (products).")
        app.cli.add_command(group)
    group.add_command(publish_command)
    group.add_command(reject_command)
