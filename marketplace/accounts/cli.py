"""`flask users …`: create accounts and change roles from the command line."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..validation import ValidationError
from ..extensions import db
from ..models import User  # noqa: F401  (all models loaded)
from ..sellers.services import seller_by_slug
from .models import ROLES

users = AppGroup("users", help="Tài khoản người dùng (user accounts).")


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="buyer", show_default=True)
@click.option("--seller", "seller_slug", default=None, help="Slug of the Seller (required for --role seller).")
@click.option("--name", default="", help="Display name.")
@click.password_option("--password", help="Password (prompted, hidden, if omitted).")
def create_command(email: str, role: str, seller_slug: str | None, name: str, password: str) -> None:
    """Create the account EMAIL with ROLE."""
    from . import services

    seller = None
    if seller_slug:
        seller = seller_by_slug(seller_slug)
        if seller is None:
            raise click.ClickException(f"No seller with slug {seller_slug!r}.")
    try:
        user = services.create_user(email, password, role, name=name, seller=seller)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}{', seller ' + seller.slug if seller else ''}).")


@users.command("set-role")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--seller", "seller_slug", default=None)
def set_role_command(email: str, role: str, seller_slug: str | None) -> None:
    """Change the role of an existing account."""
    from . import services

    user = services.find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account {email!r}.")
    seller = seller_by_slug(seller_slug) if seller_slug else None
    if seller_slug and seller is None:
        raise click.ClickException(f"No seller with slug {seller_slug!r}.")
    try:
        services.set_role(user, role, seller)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"{user.email} is now {user.role}.")


def register(app: Flask) -> None:
    app.cli.add_command(users)
