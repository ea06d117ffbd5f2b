"""`flask --app marketplace products import FILE --seller SLUG [--dry-run]`."""
from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from ..extensions import db
from ..sellers.models import Seller
from .services import run_import
from .spreadsheet import MAX_FILE_BYTES, ImportFileError, read_table


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seller", "seller_slug", required=True, help="Slug of the seller whose catalog is updated.")
@click.option("--dry-run", is_flag=True, help="Check every row and report, but save nothing.")
@with_appcontext
def import_command(file: Path, seller_slug: str, dry_run: bool) -> None:
    """Import products from a CSV or XLSX FILE (all rows or none; matched by product code)."""
    seller = db.session.scalars(sa.select(Seller).where(Seller.slug == seller_slug)).first()
    if seller is None:
        raise click.ClickException(f"Không có cơ sở với slug “{seller_slug}”.")
    if file.stat().st_size > MAX_FILE_BYTES:
        raise click.ClickException("Tệp quá lớn: tối đa 5 MB.")
    try:
        table = read_table(file.read_bytes())
    except ImportFileError as exc:
        raise click.ClickException(exc.message) from None

    def progress(rows):
        with click.progressbar(rows, label=f"Đang kiểm tra {len(rows)} dòng") as bar:
            yield from bar

    result = run_import(seller, table, progress=progress)
    for row, column, message in result.problems:
        click.echo(f"Dòng {row}, cột {column or '-'}: {message}", err=True)
    summary = f"{result.counts_text()}; đọc {result.rows_read} dòng, bỏ qua {result.blank_rows} dòng trống"
    if not result.ok:
        db.session.rollback()
        raise click.ClickException(f"{len(result.problems)} lỗi; chưa lưu gì.")
    if dry_run:
        db.session.rollback()
        click.echo(f"Kiểm tra xong (--dry-run, chưa lưu): {summary}.")
    else:
        db.session.commit()
        click.echo(f"Đã nhập cho {seller.name}: {summary}.")
    if result.review_note:
        click.echo(result.review_note)


def register(app: Flask) -> None:
    group = app.cli.commands.get("products")
    if not isinstance(group, click.Group):
        group = AppGroup("products", help="Sản phẩm (products).")
        app.cli.add_command(group)
    group.add_command(import_command)
