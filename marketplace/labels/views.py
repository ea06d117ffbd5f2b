"""QR code downloads and the printable A4 sheet of labels (dashboard)."""
from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..catalog.models import Product
from ..sellers.access import get_owned_product
from ..extensions import db
from ..sellers.models import Seller
from ..web.auth import require_seller
from .qr import lot_url, product_url, qr_inline_svg, qr_png, qr_svg

bp = Blueprint("labels", __name__)

MAX_LABELS = 240  # ten A4 pages


def _owned_product(view):
    @wraps(view)
    @login_required
    def wrapped(product_id: int, **kwargs):
        return view(get_owned_product(require_seller(), product_id), **kwargs)

    return wrapped


def _download_headers(product: Product, ext: str) -> dict:
    disposition = "attachment" if request.args.get("tai") else "inline"
    return {
        "Content-Disposition": f'{disposition}; filename="qr-{product.slug}.{ext}"',
        "Cache-Control": "private, max-age=300",
    }


@bp.get("/dashboard/san-pham/<id:product_id>/qr.svg")
@_owned_product
def product_svg(product: Product):
    data = qr_svg(product_url(product), title=product.name)
    return Response(data, mimetype="image/svg+xml", headers=_download_headers(product, "svg"))


@bp.get("/dashboard/san-pham/<id:product_id>/qr.png")
@_owned_product
def product_png(product: Product):
    return Response(qr_png(product_url(product)), mimetype="image/png", headers=_download_headers(product, "png"))


def _sheet_seller() -> Seller:
    slug = request.args.get("seller")
    if slug and getattr(current_user, "is_staff", False):
        seller = db.session.scalars(sa.select(Seller).where(Seller.slug == slug)).first()
        if seller is None:
            abort(404)
        return seller
    return require_seller()


@bp.get("/dashboard/nhan-qr")
@login_required
def sheet():
    """An A4 sheet of labels: the products ticked (``?id=…``), or every published one."""
    seller = _sheet_seller()
    products = db.session.scalars(
        sa.select(Product)
        .where(Product.seller_id == seller.id)
        .options(selectinload(Product.certification))
        .order_by(Product.name, Product.id)
    ).all()
    ids = set()
    for raw in request.args.getlist("id"):
        try:
            ids.add(int(raw))
        except ValueError:
            continue
    if ids:
        chosen = [p for p in products if p.id in ids]  # others' ids are silently not theirs
    else:
        chosen = [p for p in products if p.status == "published"]
    copies = request.args.get("so_ban", type=int) or 1
    copies = max(1, min(copies, 24))
    labels = []
    for product in chosen:
        url = product_url(product)
        cert = product.valid_certification
        entry = {
            "product": product,
            "url": url,
            "qr": qr_inline_svg(url),
            "stars": cert.stars if cert else None,
            "public": product.is_public,
        }
        labels.extend([entry] * copies)
    labels = labels[:MAX_LABELS]
    return render_template(
        "labels/sheet.html",
        seller=seller,
        products=products,
        labels=labels,
        selected=ids,
        copies=copies,
        staff_seller=request.args.get("seller") if getattr(current_user, "is_staff", False) else None,
    )


# ------------------------------------------------------------------------ lots


def _owned_lot(lot_id: int):
    from ..traceability.models import Lot

    seller = require_seller()
    lot = db.session.get(Lot, lot_id)
    if lot is None or lot.seller_id != seller.id:
        abort(404)
    return lot


@bp.get("/dashboard/lo-hang/<id:lot_id>/qr.png")
@login_required
def lot_png(lot_id: int):
    lot = _owned_lot(lot_id)
    disposition = "attachment" if request.args.get("tai") else "inline"
    return Response(qr_png(lot_url(lot)), mimetype="image/png", headers={
        "Content-Disposition": f'{disposition}; filename="qr-lo-{lot.code}.png"',
        "Cache-Control": "private, max-age=300",
    })


@bp.get("/dashboard/lo-hang/<id:lot_id>/nhan")
@login_required
def lot_sheet(lot_id: int):
    """An A4 sheet of one lot's labels: product, seller, lot code, harvest date and the
    QR code (GS1 Digital Link when the product has a GTIN)."""
    lot = _owned_lot(lot_id)
    copies = max(1, min(request.args.get("so_ban", type=int) or 24, MAX_LABELS))
    url = lot_url(lot)
    cert = lot.product.valid_certification
    label = {"lot": lot, "product": lot.product, "url": url, "qr": qr_inline_svg(url),
             "stars": cert.stars if cert else None}
    return render_template("labels/lot_sheet.html", lot=lot, seller=lot.product.seller, labels=[label] * copies,
                           copies=copies, url=url)
