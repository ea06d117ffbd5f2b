"""Public collection pages (/bo-suu-tap/<slug>). The staff pages live in staff_views.py
on their own guarded blueprint, registered together with this one."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..catalog import showcase as catalog_showcase
from ..catalog.cards import cards_by_ids
from ..extensions import db
from ..staff.access import is_staff
from . import queries

bp = Blueprint("collections", __name__)
PER_PAGE = 24


@bp.record_once
def _register_staff_pages(state) -> None:
    # FEATURES registers ``views.bp`` only; the staff side is a second blueprint (its own
    # before_request guard), attached to the app here so it always comes with this one.
    from .staff_views import bp as staff_bp

    state.app.register_blueprint(staff_bp)


@bp.record_once
def _register_showcase(state) -> None:
    # The catalog's home and category pages show collections through this provider
    # (the catalog does not import collections).
    catalog_showcase.register(state.app, queries.CollectionShowcase())


@bp.get("/bo-suu-tap/<slug:slug>")
def detail(slug: str):
    collection = queries.collection_by_slug(slug)
    if collection is None:
        abort(404)
    state = collection.state()
    if state != "active" and not is_staff(current_user):
        abort(404)  # not started, ended or switched off: gone for the public
    page = request.args.get("page", 1, type=int) or 1
    products = db.paginate(queries.public_item_ids(collection.id), page=max(1, page), per_page=PER_PAGE,
                           error_out=False)
    if products.pages and page > products.pages:  # past the end: the last page
        products = db.paginate(queries.public_item_ids(collection.id), page=products.pages,
                               per_page=PER_PAGE, error_out=False)
    products.items = cards_by_ids(products.items)
    return render_template("collections/detail.html", collection=collection, state=state, products=products)
