"""``flask --app marketplace seed-demo [--reset] [--if-empty] [--no-photos]``."""
from __future__ import annotations

import contextlib
import os
import time

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from ..catalog.models import Product
from ..extensions import db


def _indexing_suspended():
    """The search helper's "suspend per-commit indexing" context, when it exists."""
    try:
        from ..search.indexing import indexing_suspended
    except ImportError:
        return contextlib.nullcontext()
    return indexing_suspended()


def _rebuild_search_index(total: int) -> int:
    from ..search import get_search

    with click.progressbar(length=max(total, 1), label="Chỉ mục tìm kiếm") as bar:
        return get_search().rebuild(bar.update)


def run_seed(*, reset: bool = False, if_empty: bool = False, photos: bool = True, workers: int | None = None,
             echo=click.echo) -> bool:
    """Seed the demo catalog. Returns False (and changes nothing) when the database
    already has products and ``reset`` is not set."""
    from ..analytics.demo import seed_analytics_demo
    from ..media import get_storage
    from ..sourcing.demo import seed_sourcing_demo
    from .accounts import ensure_demo_accounts, format_accounts, write_accounts_file
    from .photos import render_all
    from .refresh import mark_seeded
    from .plan import build_plan, photo_specs
    from .seed import catalog_digest, insert_plan, wipe_catalog

    if not sa.inspect(db.engine).has_table(Product.__tablename__):
        raise click.ClickException("Chưa có bảng dữ liệu: chạy `flask --app marketplace db upgrade` trước.")
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Product)) or 0
    if existing and not reset:
        if not if_empty:
            echo(f"Cơ sở dữ liệu đã có {existing} sản phẩm: không thay đổi gì. "
                 "Dùng --reset để xóa và tạo lại danh mục mẫu.")
        return False

    db.session.rollback()  # no transaction stays open while the photos are drawn
    started = time.perf_counter()
    timings: dict[str, float] = {}
    plan = build_plan()
    timings["kế hoạch"] = time.perf_counter() - started
    results = None
    if photos:
        specs = photo_specs(plan)
        workers = workers or min(2, os.cpu_count() or 1)
        with click.progressbar(length=len(specs), label="Ảnh sản phẩm     ") as bar:
            results = render_all(get_storage(), specs, workers=workers, progress=bar.update)
        timings["ảnh"] = time.perf_counter() - started - sum(timings.values())
    try:
        with _indexing_suspended():
            if reset and existing:
                deleted = wipe_catalog()
                echo("Đã xóa danh mục cũ: " + ", ".join(f"{table} {n}" for table, n in deleted.items() if n))
            with click.progressbar(length=len(plan.products), label="Ghi cơ sở dữ liệu") as bar:
                insert_plan(plan, results, progress=bar.update)
            from ..traceability.demo import seed_demo_lots

            lots = seed_demo_lots(plan)
            new_accounts = ensure_demo_accounts()
            seed_analytics_demo()
            seed_sourcing_demo()
            mark_seeded()  # the demo_refresh job keeps the certificates' dates relative to today
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    # Fresh statistics, or both SQLite and PostgreSQL pick slow plans for the new rows.
    with db.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    timings["CSDL"] = time.perf_counter() - started - sum(timings.values())
    public = sum(1 for p in plan.products if p.status == "published" and plan.seller(p.seller).status == "approved")
    try:
        _rebuild_search_index(public)
    except Exception as exc:  # the catalog is saved; search degrades to the database meanwhile
        db.session.rollback()
        click.echo(f"Chưa dựng được chỉ mục tìm kiếm ({exc.__class__.__name__}): "
                   "chạy `flask --app marketplace search reindex` khi máy tìm kiếm sẵn sàng.", err=True)
    elapsed = time.perf_counter() - started
    timings["chỉ mục"] = elapsed - sum(timings.values())
    echo(
        f"Đã tạo danh mục mẫu: {len(plan.sellers)} người bán, {len(plan.products)} sản phẩm "
        f"({public} công khai), {sum(1 for p in plan.products if p.cert)} giấy chứng nhận OCOP, "
        f"{sum(1 for p in plan.products if p.rural)} sản phẩm CNNT tiêu biểu, {lots} lô hàng "
        f"trong {elapsed:.1f} giây."
    )
    echo("Thời gian: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    echo(f"Mã kiểm tra: {catalog_digest()[:16]}")
    if new_accounts:
        path = write_accounts_file(new_accounts)
        echo("Tài khoản demo (mật khẩu chỉ in một lần, đã ghi vào " + str(path) + "):")
        for line in format_accounts(new_accounts):
            echo("  " + line)
    return True


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Xóa toàn bộ danh mục (sản phẩm, người bán, danh mục, địa bàn) rồi tạo lại.")
@click.option("--if-empty", is_flag=True, help="Chỉ tạo khi chưa có sản phẩm nào; im lặng nếu đã có.")
@click.option("--no-photos", is_flag=True, help="Không tạo ảnh (nhanh hơn; chỉ dùng để kiểm thử).")
@click.option("--workers", type=click.IntRange(1, 16), default=None, help="Số tiến trình vẽ ảnh (mặc định 2).")
@with_appcontext
def seed_demo(reset: bool, if_empty: bool, no_photos: bool, workers: int | None) -> None:
    """Tạo danh mục mẫu Thái Nguyên: 2.760 sản phẩm công khai, 173 OCOP, 90 CNNT tiêu biểu."""
    if reset and if_empty:
        raise click.UsageError("--reset và --if-empty không dùng cùng nhau.")
    run_seed(reset=reset, if_empty=if_empty, photos=not no_photos, workers=workers)


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
