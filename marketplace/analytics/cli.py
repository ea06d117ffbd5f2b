"""``flask --app marketplace analytics rollup | purge --before DATE``."""
from __future__ import annotations

from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db

analytics = AppGroup("analytics", help="Thống kê truy cập và tìm kiếm.")


@analytics.command("rollup")
def rollup_command() -> None:
    """Cập nhật độ phổ biến (lượt xem 30 ngày) vào tìm kiếm, xoá dữ liệu thô quá hạn.

    Idempotent; safe every few minutes (cron / systemd timer)."""
    from ..search import get_search
    from .services import rollup

    try:
        report = rollup()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    get_search().deliver_pending()
    purged = sum(report.purged.values())
    click.echo(
        f"Độ phổ biến: {report.products_changed} sản phẩm thay đổi; "
        f"đã xoá {report.marks_deleted} dấu khách, {report.salts_deleted} muối cũ, {purged} dòng thô quá hạn, "
        f"{report.daily_purged} dòng tìm kiếm theo ngày quá hạn."
    )


@analytics.command("purge")
@click.option("--before", "before", required=True, help="Xoá dữ liệu thô của các ngày trước ngày này (YYYY-MM-DD).")
def purge_command(before: str) -> None:
    """Xoá dữ liệu thô (lượt tìm, lượt bấm, dấu khách) trước một ngày; số liệu theo ngày được giữ."""
    from .services import purge

    try:
        day = datetime.strptime(before, "%Y-%m-%d").date()
    except ValueError as exc:
        raise click.BadParameter("Ngày phải có dạng YYYY-MM-DD, ví dụ 2026-09-01.", param_hint="--before") from exc
    counts = purge(day)
    db.session.commit()
    click.echo("Đã xoá: " + ", ".join(f"{table} {n}" for table, n in counts.items()))


def register(app: Flask) -> None:
    app.cli.add_command(analytics)
