"""Public seller pages: the profile of an approved seller with its published products."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from ..catalog import queries, seo
from ..catalog.listing import run_listing
from ..certifications import queries as cert_queries
from ..signals import page_viewed

bp = Blueprint("sellers", __name__)

@bp.get("/co-so/<slug:slug>")
def profile(slug: str):
    seller = queries.get_public_seller(slug)
    if seller is None:
        abort(404)
    listing = run_listing(request.args, seller_slug=seller.slug)
    page_viewed.send(current_app._get_current_object(), kind="seller", object_id=seller.id, seller_id=seller.id)
    return render_template("sellers/profile.html", seller=seller, listing=listing, jsonld=seo.seller_jsonld(seller),
                           certifications=cert_queries.seller_wide(seller.id))
