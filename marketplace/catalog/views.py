"""Buyer-facing catalog pages: home, listing (also the search results), product,
category and area pages, sitemap.xml and robots.txt."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from jinja2 import pass_context
from sqlalchemy.exc import SQLAlchemyError

from ..certifications import queries as cert_queries
from ..extensions import db
from ..media.images import WIDTHS
from ..seasons.capacity import supply_view
from ..signals import page_viewed, product_viewed, search_performed
from ..web.formats import thousands
from . import generation, queries, seo, showcase
from .cards import card_html, related_cards
from .home import home_page
from .listing import category_label, decision_number, ocop_group_label, run_listing
from .trees import area_tree, category_tree

bp = Blueprint("catalog", __name__)

# --- template helpers -------------------------------------------------------------------


def _current_args():
    args = request.args.copy()
    args.pop("lang", None)
    return args


def _with_query(args) -> str:
    pairs = [(k, v) for k, v in args.items(multi=True) if v != ""]
    return request.path + ("?" + urlencode(pairs) if pairs else "")


@bp.app_template_global()
def url_with(**changes) -> str:
    """The current URL with some query arguments set (None removes); resets the page."""
    args = _current_args()
    if "page" not in changes:
        args.pop("page", None)
    for key, value in changes.items():
        args.pop(key, None)
        if value is None or value == "":
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            args.add(key, item)
    if args.get("page") == "1":
        args.pop("page")
    return _with_query(args)


@bp.app_template_global()
def url_without(key: str, value: str | None = None) -> str:
    """The current URL without one filter value (or the whole argument), back to page 1."""
    args = _current_args()
    args.pop("page", None)
    if value is None:
        args.pop(key, None)
    else:
        kept = [v for v in args.getlist(key) if v != value]
        args.setlist(key, kept)
    return _with_query(args)


@bp.app_template_global()
def lang_url(code: str) -> str:
    args = _current_args()
    args["lang"] = code
    return _with_query(args)


@bp.app_template_global()
def canonical_url(**values) -> str:
    """Absolute URL of the current page without filter noise (keeps page > 1)."""
    endpoint = request.endpoint or "catalog.home"
    view_args = dict(request.view_args or {})
    view_args.update(values)
    return url_for(endpoint, _external=True, **view_args)


@bp.app_template_filter("thousands")
@pass_context
def thousands_filter(context, value: int | None) -> str:
    """``|thousands`` in the language the page is rendered in (``current_locale`` of the
    template context, set once per render) instead of asking Flask-Babel for every number
    (a facet list shows dozens)."""
    locale = context.get("current_locale")
    return thousands(value, None if locale is None else locale == "en")


bp.add_app_template_global(card_html, "card_html")
bp.add_app_template_filter(decision_number, "decision_number")
bp.add_app_template_global(category_label, "category_label")
bp.add_app_template_global(ocop_group_label, "ocop_group_label")
bp.add_app_template_global(seo.photo_srcset, "photo_srcset")
bp.add_app_template_global(seo.photo_url, "photo_url")
bp.add_app_template_global(seo.photo_height, "photo_height")


@dataclass(frozen=True)
class NavCategory:
    """What the header and the home tiles show of a root category (plain data, so it can
    be kept across requests: ORM objects are bound to one request's session)."""

    id: int
    slug: str
    name: str
    name_en: str


def _nav_categories() -> list[NavCategory]:
    """Root categories: kept per process until a category changes (any category write
    moves the ``*`` scope in every process), looked up once per request."""
    if "nav_categories" not in g:
        memo = current_app.extensions.get("nav_categories")
        if memo is None:
            memo = current_app.extensions["nav_categories"] = generation.Memo(generation.ALL)
        # The request's tree (listings and home read it anyway).
        g.nav_categories = memo.get(lambda: [NavCategory(c.id, c.slug, c.name, c.name_en)
                                             for c in category_tree().roots()])
    return g.nav_categories


@bp.app_context_processor
def navigation() -> dict:
    """Root categories for the header; never breaks an error page."""
    try:
        categories = _nav_categories()
    except SQLAlchemyError:
        db.session.rollback()
        categories = g.nav_categories = []
    return {"nav_categories": categories, "photo_widths": WIDTHS}


# --- pages ------------------------------------------------------------------------------


@bp.get("/")
def home():
    page_viewed.send(current_app._get_current_object(), kind="home", object_id=None, seller_id=None)
    return render_template("catalog/home.html", categories=_nav_categories(), **home_page())


@bp.get("/san-pham")
def listing():
    result = run_listing(request.args)
    page_viewed.send(current_app._get_current_object(), kind="search", object_id=None, seller_id=None)
    if result.query.text:
        search_performed.send(current_app._get_current_object(), query=result.query, total=result.total)
    return render_template("catalog/listing.html", listing=result)


@bp.get("/san-pham/<slug:slug>")
def product(slug: str):
    item = queries.public_product_detail(slug)
    if item is None:
        abort(404)
    related = related_cards(item)
    product_viewed.send(
        current_app._get_current_object(),
        product_id=item.id,
        seller_id=item.seller_id,
        remote_addr=request.remote_addr,
        user_agent=request.headers.get("User-Agent", ""),
    )
    from ..traceability.queries import LATEST_LOTS, product_lots  # its lots' scan pages

    return render_template(
        "catalog/product.html",
        product=item,
        certifications=cert_queries.badges([item])[item.id],
        related=related,
        supply=supply_view(item),
        lots=product_lots(item.id, limit=LATEST_LOTS),
        jsonld=seo.product_jsonld(item),
        breadcrumb=seo.product_breadcrumb(item),
        opengraph=seo.product_opengraph(item),
    )


@bp.get("/danh-muc/<slug:slug>")
def category(slug: str):
    tree = category_tree()
    item = tree.by_slug.get(slug)
    if item is None:
        abort(404)
    result = run_listing(request.args, category=item)
    page_viewed.send(current_app._get_current_object(), kind="category", object_id=item.id, seller_id=None)
    # Curated blocks on the plain first page; a buyer filtering or paging wants results.
    collections = showcase.provider().category(item.id) if result.page == 1 and not result.has_filters else []
    return render_template("catalog/category.html", category=item, trail=tree.ancestors(item),
                           subcategories=tree.children(item.id), listing=result, row_collections=collections)


@bp.get("/khu-vuc/<slug:slug>")
def area(slug: str):
    tree = area_tree()
    item = tree.by_slug.get(slug)
    if item is None:
        abort(404)
    result = run_listing(request.args, area=item)
    page_viewed.send(current_app._get_current_object(), kind="area", object_id=item.id, seller_id=None)
    return render_template("catalog/area.html", area=item, parent=tree.by_id.get(item.parent_id),
                           former_names=queries.former_area_names(item.id), listing=result)


def _sitemap_chunk() -> int:
    return max(1, int(current_app.config.get("SITEMAP_CHUNK", 40_000)))


def _xml(template: str, **context) -> Response:
    return Response(render_template(template, **context), mimetype="application/xml")


def _sitemap_pages() -> dict:
    """Home, listing, categories and areas with public products, sellers with public products."""
    cat_counts = queries.public_counts_by_category()
    return {
        "pages": True,
        "sellers": db.session.execute(queries.sitemap_sellers()).all(),
        "categories": [c for c in db.session.scalars(queries.all_categories()) if cat_counts.get(c.id)],
        "areas": queries.areas_by_ids(list(queries.public_counts_by_area())),
    }


@bp.get("/sitemap.xml")
def sitemap():
    """One sitemap while it stays small; past SITEMAP_CHUNK products (the protocol allows
    50,000 URLs per file) an index of /sitemap-trang.xml and product chunks."""
    chunk = _sitemap_chunk()
    total = queries.public_product_count()
    if total <= chunk:
        products = db.session.execute(queries.sitemap_products()).all()
        return _xml("catalog/sitemap.xml", products=products, **_sitemap_pages())
    return _xml("catalog/sitemap_index.xml", chunks=range(1, -(-total // chunk) + 1))


@bp.get("/sitemap-trang.xml")
def sitemap_pages():
    return _xml("catalog/sitemap.xml", products=[], **_sitemap_pages())


@bp.get("/sitemap-san-pham-<id:number>.xml")
def sitemap_products(number: int):
    chunk = _sitemap_chunk()
    if number < 1 or (number - 1) * chunk >= max(1, queries.public_product_count()):
        abort(404)
    products = db.session.execute(queries.sitemap_products().limit(chunk).offset((number - 1) * chunk)).all()
    return _xml("catalog/sitemap.xml", products=products, pages=False)


@bp.get("/robots.txt")
def robots():
    lines = [
        "User-agent: *",
        "Disallow: /dashboard",
        "Disallow: /staff",
        "Disallow: /api/",
        "Disallow: /gio-hoi-hang",
        f"Sitemap: {url_for('catalog.sitemap', _external=True)}",
        "",
    ]
    return Response("\n".join(lines), mimetype="text/plain")
