"""``flask --app marketplace jobs status | run NAME``."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..text import format_epoch as _when

jobs_group = AppGroup("jobs", help="Việc định kỳ (chạy tự động trong các tiến trình gunicorn).")




@jobs_group.command("status")
def status_command() -> None:
    """Lần chạy gần nhất, lần chạy tới và lỗi gần nhất của từng việc."""
    from . import status

    for s in status(current_app):
        flag = "  TRỄ" if s.late else ""
        click.echo(f"{s.name}: mỗi {s.interval:g} s; chạy gần nhất {_when(s.last_finished)}"
                   f" (thành công {_when(s.last_ok)}); lần tới {_when(s.next_run)}; {s.runs} lần{flag}")
        if s.owner:
            click.echo(f"  đang chạy ở {s.owner}")
        if s.last_error:
            click.echo(f"  lỗi gần nhất ({s.failures} lần liên tiếp): {s.last_error}")


@jobs_group.command("run")
@click.argument("name")
def run_command(name: str) -> None:
    """Chạy một việc ngay (dùng chung khoá thuê với các tiến trình đang phục vụ)."""
    from . import jobs, owner_id, run_job

    found = jobs(current_app)
    if name not in found:
        raise click.BadParameter(f"không có việc {name!r}; có: {', '.join(sorted(found))}.", param_hint="NAME")
    result = run_job(found[name], f"cli:{owner_id()}", force=True)
    if result is None:
        click.echo(f"{name}: đang được một tiến trình khác chạy; bỏ qua.")
        return
    if not result:
        raise SystemExit(1)
    click.echo(f"{name}: xong.")


def register(app: Flask) -> None:
    app.cli.add_command(jobs_group)
