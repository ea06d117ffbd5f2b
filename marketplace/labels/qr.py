"""QR codes (segno) for products' canonical public URLs."""
from __future__ import annotations

import io

import segno
from flask import url_for
from markupsafe import Markup

from ..catalog.models import Product


def product_url(product: Product) -> str:
    """The absolute canonical URL of the product page (what the QR code encodes)."""
    return url_for("catalog.product", slug=product.slug, _external=True)


def lot_url(lot) -> str:  # noqa: ANN001 — a traceability Lot
    """What a lot label's QR code encodes: the GS1 Digital Link
    (``https://host/01/<GTIN-14>/10/<lot>``) when the product has a GTIN, else the lot's
    scan page (``https://host/truy-xuat/<lot>``). Both open the scan page."""
    from ..traceability.gs1 import link_path

    product = lot.product
    if product.gtin:
        return url_for("catalog.home", _external=True).rstrip("/") + link_path(product.gtin, lot.code)
    return url_for("traceability.scan", code=lot.code, _external=True)


def make_qr(data: str) -> segno.QRCode:
    """A regular (not micro) QR code, error correction at least M (segno may raise it)."""
    return segno.make(data, error="m", micro=False)


def qr_svg(data: str, *, title: str = "") -> bytes:
    """A standalone SVG document (4 px modules, quiet zone of 4)."""
    buf = io.BytesIO()
    make_qr(data).save(buf, kind="svg", scale=4, border=4, title=title or None, xmldecl=True)
    return buf.getvalue()


def qr_png(data: str, *, scale: int = 10) -> bytes:
    buf = io.BytesIO()
    make_qr(data).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()


def qr_inline_svg(data: str) -> Markup:
    """An <svg> element sized by CSS (viewBox only), for the printable sheet."""
    return Markup(make_qr(data).svg_inline(scale=1, border=2, omitsize=True, svgclass="label-qr"))
