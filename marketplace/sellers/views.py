"""Public seller pages: the profile of an approved seller with its published products."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from ..catalog import queries, seo
from ..catalog.listing import run_listing

bp = Blueprint("sellers", __name__)

@bp.get("/co-so/<slug:slug>")
def profile(slug: str):
    seller = queries.get_public_seller(slug)
    if seller is None:
        abort(404)
    listing = run_listing(request.args, seller_slug=seller.slug)
    return render_template("sellers/profile.html", seller=seller, listing=listing, jsonld=seo.seller_jsonld(seller))
