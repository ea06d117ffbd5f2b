"""JSON API v1: a read-only, stable view of the public catalog (docs/api.md).

Views are thin: parse (api/params.py) → search / query → serialize (api/serializers.py).
Only published products of approved sellers ever appear (catalog.queries rule).
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, session
from flask_babel import gettext as _

from ..catalog import queries as cq
from ..collections import queries as collq
from ..collections.models import PLACEMENTS
from ..extensions import db
from ..search import get_search
from ..search.base import max_page
from ..search.filters import complete as complete_facets
from . import queries as aq
from ..certifications.queries import shown_by_product
from ..traceability import queries as lotq
from ..traceability import services as lot_services
from .params import ParamError, parse_choice, parse_int, parse_page, parse_slug, product_search_query
from .serializers import (
    area_json,
    category_tree,
    collection_json,
    lot_json,
    product_json,
    seller_json,
    sourcing_request_json,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")

CACHE_SECONDS = 60


def _error(status: int, message: str, field: str | None = None):
    body: dict = {"error": message, "status": status}
    if field is not None:
        body["field"] = field
    return jsonify(body), status


@bp.errorhandler(ParamError)
def bad_parameter(exc: ParamError):
    return _error(400, exc.message, exc.field)


@bp.after_app_request
def api_headers(response):
    """Public read-only API: cacheable for a minute and callable from any origin."""
    if request.path.startswith(bp.url_prefix + "/") or request.path == bp.url_prefix:
        response.headers["Access-Control-Allow-Origin"] = "*"
        if session.modified:  # e.g. ?lang=en sets a cookie: never in a shared cache
            response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
        elif request.method in ("GET", "HEAD") and response.status_code < 500:
            response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
        else:
            response.headers["Cache-Control"] = "no-store"
        if response.status_code == 405 and "Allow" not in response.headers:
            adapter = current_app.url_map.bind_to_environ(request.environ)
            response.headers["Allow"] = ", ".join(sorted(adapter.allowed_methods(request.path)))
    return response


@bp.get("/products")
def products():
    query = product_search_query(request.args)
    result = get_search().search(query)
    # The index may lag a commit by a moment: never let a non-public row through.
    public = [p for p in cq.products_by_ids(result.ids) if p.is_public]
    certs = shown_by_product(public)
    lots = lotq.latest_public_lots([p.id for p in public])
    items = [product_json(p, certifications=certs[p.id], lots=lots.get(p.id)) for p in public]
    return jsonify(
        {
            "items": items,
            "total": result.total,
            "page": query.page,
            "per_page": query.per_page,
            "pages": min(result.pages, max_page(query.per_page)),  # reachable pages only
            "sort": query.sort,
            "facets": complete_facets(result.facets),  # always the same keys, whatever the backend
            "degraded": bool(result.degraded),
        }
    )


@bp.get("/products/<slug:slug>")
def product(slug: str):
    found = cq.get_public_product(slug)
    if found is None:
        return _error(404, _("Không tìm thấy sản phẩm."))
    lots = lotq.latest_public_lots([found.id]).get(found.id)
    return jsonify(product_json(found, detail=True, lots=lots))


@bp.get("/lots/<code>")
def lot(code: str):
    """One public lot (what its scan page shows)."""
    canonical = lot_services.normalize_code(code)
    if len(canonical) > lot_services.CODE_MAX or not lot_services.CODE_RE.match(canonical):
        return _error(400, lot_services.code_message(), "code")
    found = lotq.public_lot(canonical)
    if found is None:
        return _error(404, _("Không tìm thấy lô hàng."))
    return jsonify(lot_json(found, detail=True))


@bp.get("/sellers/<slug:slug>")
def seller(slug: str):
    found = aq.get_public_seller(slug)
    if found is None:
        return _error(404, _("Không tìm thấy cơ sở sản xuất."))
    return jsonify(seller_json(found, product_count=aq.seller_public_product_count(found.id)))


@bp.get("/categories")
def categories():
    rows, counts = aq.categories_with_counts()
    return jsonify({"items": category_tree(rows, counts), "total": len(rows)})


@bp.get("/areas")
def areas():
    rows, counts = aq.areas_with_counts()
    return jsonify({"items": [area_json(a, counts.get(a.id, 0)) for a in rows], "total": len(rows)})


@bp.get("/collections")
def collections():
    """Active collections (published, within their schedule) in display order."""
    placement = parse_choice(request.args, "placement", PLACEMENTS)
    category_slug = parse_slug(request.args, "category")
    category_id = None
    if category_slug is not None:  # a well-formed slug that does not exist: an empty list
        category = cq.category_by_slug(category_slug)
        category_id = category.id if category is not None else -1
    rows = db.session.scalars(collq.active_collections(placement, category_id=category_id)).all()
    counts = collq.public_item_counts([c.id for c in rows])
    items = [collection_json(c, product_count=counts.get(c.id, 0)) for c in rows]
    return jsonify({"items": items, "total": len(items)})


@bp.get("/collections/<slug:slug>")
def collection(slug: str):
    """One active collection with its public products in the curated order, paginated."""
    page, per_page = parse_page(request.args)
    found = collq.active_by_slug(slug)
    if found is None:
        return _error(404, _("Không tìm thấy bộ sưu tập."))
    products = db.paginate(collq.public_item_products(found.id), page=page, per_page=per_page, error_out=False)
    data = collection_json(found, product_count=products.total or 0)
    certs = shown_by_product(products.items)
    lots = lotq.latest_public_lots([p.id for p in products.items])
    data.update(
        products=[product_json(p, certifications=certs[p.id], lots=lots.get(p.id)) for p in products.items],
        page=page,
        per_page=per_page,
        pages=products.pages,
    )
    return jsonify(data)


@bp.get("/calendar")
def calendar():
    """What is in season in ``month`` (1–12; default this month, Asia/Ho_Chi_Minh): the
    public seasonal products by category with their sellers, and the months after."""
    from ..seasons import calendar as seasons_calendar, current_month

    month = parse_int(request.args, "month", default=None, low=1, high=12)
    month = month if month is not None else current_month()
    limit = parse_int(request.args, "per_category", default=seasons_calendar.PER_CATEGORY, low=1, high=50)
    view = seasons_calendar.month_view(month, per_category=limit)
    products = {p.id: p for p in cq.products_by_ids([pid for g in view.categories for pid in g.product_ids])}
    return jsonify({
        "month": month,
        "total": view.total,
        "categories": [
            {
                "category": {"slug": g.slug, "name": g.name, "name_en": g.name_en or None},
                "total": g.total,
                "sellers": [{"slug": slug, "name": name} for slug, name in g.sellers],
                "products": [product_json(products[pid]) for pid in g.product_ids
                             if pid in products and products[pid].is_public],
            }
            for g in view.categories
        ],
        "upcoming": [
            {"month": u.month, "starting": u.starting,
             "categories": [{"slug": slug, "name": name, "starting": n} for slug, name, n in u.by_category]}
            for u in seasons_calendar.upcoming(month)
        ],
    })


@bp.get("/sourcing-requests")
def sourcing_requests():
    """Open sourcing requests (approved, deadline not passed), nearest deadline first;
    public fields only. Optional ``category`` (a slug: that category and those below)."""
    from ..catalog.trees import category_tree as categories
    from ..sourcing import queries as sq
    from ..sourcing.services import known_cert_codes

    page, per_page = parse_page(request.args)
    category_slug = parse_slug(request.args, "category")
    ids = None
    if category_slug is not None:  # a well-formed slug that does not exist: an empty list
        ids = categories().descendant_ids([category_slug]) or [-1]
    found = db.paginate(sq.board(ids), page=page, per_page=per_page, error_out=False)
    counts = sq.offer_counts([r.id for r in found.items])
    labels = known_cert_codes()
    return jsonify({
        "items": [sourcing_request_json(r, counts.get(r.id, 0), labels) for r in found.items],
        "total": found.total or 0,
        "page": page,
        "per_page": per_page,
        "pages": found.pages,
    })
