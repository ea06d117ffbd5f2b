"""Ownership checks for the seller workspace, in one place (the seller's counterpart of
``staff/access.py``, the staff area's one rule), below the features that use it.

Every dashboard route (and the photo, label, import and inquiry helpers) loads the
objects it touches through these functions. Another seller's id gives 404 — never
403 — so the existence of other sellers' objects is not confirmed.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort

from ..catalog.models import OcopCertification, Product, ProductPhoto
from ..extensions import db
from ..sellers.models import Seller


def get_owned_product(seller: Seller | None, product_id: int) -> Product:
    """The product ``product_id`` if it belongs to ``seller``; 404 otherwise."""
    if seller is None or seller.id is None:
        abort(404)
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        abort(404)
    product = db.session.scalars(
        sa.select(Product).where(Product.id == product_id, Product.seller_id == seller.id)
    ).first()
    if product is None:
        abort(404)
    return product


def get_owned_photo(seller: Seller | None, product_id: int, photo_id: int) -> ProductPhoto:
    """A photo of one of ``seller``'s products; 404 otherwise (wrong product too)."""
    product = get_owned_product(seller, product_id)
    photo = db.session.get(ProductPhoto, photo_id)
    if photo is None or photo.product_id != product.id:
        abort(404)
    return photo


def get_owned_certification(seller: Seller | None, product_id: int) -> OcopCertification:
    product = get_owned_product(seller, product_id)
    if product.certification is None:
        abort(404)
    return product.certification
