"""Staff side of lots (/nhan-vien/lo-hang): the newest lots, most scanned, and hiding a
lot with a reason (shown to the seller), as products are taken down."""
from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ..catalog.models import Product
from ..extensions import db
from ..staff.access import staff_blueprint
from ..staff.decisions import decide
from . import queries, services
from .models import Lot

bp = staff_blueprint("traceability_staff", __name__, "/nhan-vien/lo-hang")


@bp.get("/")
def index():
    q = services.normalize_code(request.args.get("q", ""))[:40]
    stmt = sa.select(Lot).options(joinedload(Lot.product).joinedload(Product.seller))
    if q:
        stmt = stmt.where(Lot.code.contains(q, autoescape=True))
    if request.args.get("an"):
        stmt = stmt.where(Lot.status == "hidden")
    stmt = stmt.order_by(Lot.created_at.desc(), Lot.id.desc())
    page = db.paginate(stmt, page=request.args.get("page", 1, type=int), per_page=30, error_out=False)
    return render_template("traceability/staff_lots.html", page=page, q=q,
                           scans=queries.lot_scan_counts([lot.id for lot in page.items]))



def _lot_or_404(lot_id: int) -> Lot:
    return db.get_or_404(Lot, lot_id)


@bp.post("/<id:lot_id>/an")
def hide(lot_id: int):
    lot = _lot_or_404(lot_id)
    return decide(lambda reason: services.hide_lot(lot, reason or "", actor=current_user._get_current_object()),
                   _("Đã ẩn lô %(code)s.", code=lot.code), url_for(".index"))


@bp.post("/<id:lot_id>/hien")
def show(lot_id: int):
    lot = _lot_or_404(lot_id)
    return decide(lambda _reason: services.show_lot(lot, actor=current_user._get_current_object()),
                   _("Lô %(code)s hiển thị lại.", code=lot.code), url_for(".index"))
