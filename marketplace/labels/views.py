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
from .qr import product_url, qr_inline_svg, qr_png, qr_svg

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
