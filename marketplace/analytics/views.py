"""The seller's figures (/dashboard/thong-ke). Registering this blueprint also installs
the recording hook and the staff dashboards (``staff_views.bp``)."""
from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from ..text import format_date
from ..web.auth import require_seller
from . import queries
from .charts import day_chart
from .export import csv_response
from .forms import PRESETS, parse_range

bp = Blueprint("analytics", __name__, url_prefix="/dashboard/thong-ke")


@bp.record_once
def _install(state) -> None:  # noqa: ANN001
    from .recording import init_recording
    from .staff_views import bp as staff_bp

    init_recording(state.app)
    state.app.register_blueprint(staff_bp)


@bp.before_request
@login_required
def _require_login() -> None:
    return None


@bp.get("/")
def seller():
    shop = require_seller()  # anyone without a seller: 404, like every seller page
    rng, messages = parse_range(request.args)
    series = queries.seller_series(shop, rng)
    products = queries.seller_products(shop, rng)
    lot_scans = queries.seller_lot_scans(shop, rng)
    export = request.args.get("xuat")
    if export == "ngay":
        return csv_response("thong-ke-ngay", rng, [_("Ngày"), _("Lượt xem sản phẩm"), _("Lượt xem trang cơ sở"),
                                                    _("Hỏi hàng")],
                            [(p.day.isoformat(), p.product_views, p.page_views, p.inquiries) for p in series])
    if export == "san-pham":
        return csv_response("thong-ke-san-pham", rng, [_("Sản phẩm"), _("Lượt xem"), _("Hỏi hàng"),
                                                        _("Hỏi hàng / lượt xem (%)")],
                            [(r.name, r.views, r.inquiries, "" if r.ratio is None else f"{r.ratio * 100:.1f}")
                             for r in products])
    for message in messages:
        flash(message, "warning")
    views = sum(p.views for p in series)
    inquiries = sum(p.inquiries for p in series)
    chart = day_chart(_("Lượt xem và hỏi hàng mỗi ngày"), [p.day for p in series], [p.views for p in series],
                      [p.inquiries for p in series], bar_name=_("Lượt xem"), line_name=_("Hỏi hàng"))
    return render_template(
        "analytics/seller.html", seller=shop, rng=rng, presets=PRESETS, products=products, lot_scans=lot_scans,
        series_rows=[(format_date(p.day), p.product_views, p.page_views, p.inquiries) for p in series],
        chart=chart, views=views, page_views=sum(p.page_views for p in series), inquiries=inquiries,
        ratio=(inquiries / views) if views else None,
    )
