"""Product listings (the /san-pham results page, category, area and seller pages).

Query-string parsing and the view-model of facets and chips live here so the views stay
thin. Products come ONLY through the search interface: build a ``SearchQuery``, call
``get_search().search()``, then load the cards with ``cards.cards_by_ids``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ..search import SearchQuery, SearchResult, get_search
from ..search.base import MAX_QUERY_CHARS, PRICE_BANDS, SORTS, max_page
from ..search.filters import BY_NAME as FACETS
from ..text import format_vnd, is_slug
from ..web import integers
from ..web.formats import is_english
from ..web.pagecache import keep_out_of_page_cache
from . import generation
from .cards import Card, cards_by_ids
from .models import Area, Category
from .trees import area_tree, category_tree

MAX_PRICE = 10**12
MAX_SELECTED = 20  # values per multi-select filter

SORT_LABELS = {
    "relevance": _l("Phù hợp nhất"),
    "newest": _l("Mới nhất"),
    "price_asc": _l("Giá tăng dần"),
    "price_desc": _l("Giá giảm dần"),
    "popular": _l("Xem nhiều"),
}

PRICE_BAND_LABELS = {
    "under-100k": _l("Dưới 100.000 ₫"),
    "100k-300k": _l("100.000 – 300.000 ₫"),
    "300k-1m": _l("300.000 ₫ – 1 triệu ₫"),
    "1m-5m": _l("1 – 5 triệu ₫"),
    "over-5m": _l("Trên 5 triệu ₫"),
}

# The six OCOP groups (Decision 148/QĐ-TTg), as literals so Babel extracts them.
OCOP_GROUP_LABELS = {
    "thuc-pham": _l("Thực phẩm"),
    "do-uong": _l("Đồ uống"),
    "duoc-lieu": _l("Dược liệu và sản phẩm từ dược liệu"),
    "thu-cong-my-nghe": _l("Hàng thủ công mỹ nghệ"),
    "sinh-vat-canh": _l("Sinh vật cảnh"),
    "du-lich": _l("Dịch vụ du lịch cộng đồng, du lịch sinh thái và điểm du lịch"),
}

_PRICE_JUNK = re.compile(r"[\s.,_₫đĐ]|vnd|VND")


_DECISION_PREFIX = re.compile(r"^\s*(?:quyết\s+định|qđ(?=\s))?\s*(?:số|so)?\s*[:.]?\s*", re.IGNORECASE)


def decision_number(value: str | None) -> str:
    """The number of an OCOP decision without a leading "Quyết định số" (shown once by the page):
    ``"Quyết định số 1653/QĐ-BNN-VPĐP"`` → ``"1653/QĐ-BNN-VPĐP"``."""
    text = (value or "").strip()
    stripped = _DECISION_PREFIX.sub("", text, count=1)
    return stripped or text


def clean_text(value: str | None) -> str:
    """User query text: no control characters, squeezed spaces, bounded length."""
    if not value:
        return ""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    return " ".join(text.split())[:MAX_QUERY_CHARS]


def parse_price(raw: str | None) -> tuple[int | None, bool]:
    """``"150.000"`` → (150000, True); empty → (None, True); junk or out of range → (None, False)."""
    if raw is None or not raw.strip():
        return None, True
    try:
        return integers.parse_int(_PRICE_JUNK.sub("", raw.strip()), low=0, high=MAX_PRICE), True
    except ValueError:
        return None, False


def parse_page(raw: str | None, per_page: int) -> int:
    """A page number; junk is page 1, beyond the reachable depth
    (search.base.MAX_RESULT_WINDOW) is the last reachable page."""
    return integers.page_number(raw, high=max_page(per_page))


def _multi(args: MultiDict, key: str) -> list[str]:
    values: list[str] = []
    for raw in args.getlist(key):
        value = raw.strip()
        if value and value not in values:
            values.append(value)
    return values[:MAX_SELECTED]


@dataclass(frozen=True, slots=True)
class FacetOption:
    """One checkbox of a filter (an object, not a dict: templates read attributes, and
    Jinja reaches a dict key only after a failed attribute lookup)."""

    value: str
    label: str
    count: int
    selected: bool
    depth: int = 0  # categories: indentation
    stars: int | None = None  # OCOP stars: the star marks shown


@dataclass(frozen=True, slots=True)
class Chip:
    """A removable active filter (``key``/``value``: what ``url_without`` drops)."""

    label: str
    key: str
    value: str | None


@dataclass
class Listing:
    """Everything a listing template shows."""

    query: SearchQuery
    result: SearchResult
    products: list[Card]
    messages: list[str] = field(default_factory=list)
    facets: dict[str, list[FacetOption]] = field(default_factory=dict)
    chips: list[Chip] = field(default_factory=list)
    sort_options: list[tuple[str, str]] = field(default_factory=list)
    highlights: dict[int, Markup] = field(default_factory=dict)
    has_filters: bool = False
    min_price_raw: str = ""
    max_price_raw: str = ""

    @property
    def total(self) -> int:
        return self.result.total

    @property
    def page(self) -> int:
        return self.query.page

    @property
    def pages(self) -> int:
        """Pages that can be reached (never a link past the result window)."""
        return min(self.result.pages, max_page(self.query.per_page))


def parse_query(
    args: MultiDict,
    *,
    category: Category | None = None,
    area: Area | None = None,
    seller_slug: str | None = None,
) -> tuple[SearchQuery, list[str]]:
    """Query-string → SearchQuery. Bad values are dropped with a Vietnamese message."""
    messages: list[str] = []
    text = clean_text(args.get("q"))

    categories: tuple[str, ...] = ()
    if args.getlist("category"):
        known_slugs = category_tree().by_slug
        categories = tuple(s for s in _multi(args, "category") if s in known_slugs)
    if category is not None:
        tree = category_tree()
        allowed = {tree.by_id[i].slug for i in tree.descendant_ids([category.slug])}
        categories = tuple(s for s in categories if s in allowed) or (category.slug,)

    areas = tuple(s for s in _multi(args, "area") if is_slug(s))
    if areas:
        known = area_tree().by_slug
        areas = tuple(s for s in areas if s in known)
    if area is not None:
        allowed_areas = {area.slug} | {a.slug for a in area_tree().children(area.id)}
        areas = tuple(s for s in areas if s in allowed_areas) or (area.slug,)

    stars_filter = FACETS["ocop_stars"]
    stars = tuple(sorted({int(s) for s in _multi(args, stars_filter.page_param) if s in stars_filter.values}))
    rural = True if args.get(FACETS["rural_industry"].page_param) in ("1", "true", "on") else None
    bands_filter = FACETS["price_band"]
    bands = tuple(k for k in bands_filter.values if k in _multi(args, bands_filter.page_param))

    min_price, ok_min = parse_price(args.get("min_price"))
    max_price, ok_max = parse_price(args.get("max_price"))
    if not ok_min or not ok_max:
        messages.append(_("Giá nhập vào không hợp lệ nên đã được bỏ qua. Hãy nhập số, ví dụ 150000."))
    if min_price is not None and max_price is not None and min_price > max_price:
        min_price, max_price = max_price, min_price
        messages.append(_("Giá từ lớn hơn giá đến nên đã được đổi chỗ cho nhau."))

    season = parse_season(args.get("season"))
    if season is False:
        season = None
        messages.append(_("Tháng mùa vụ không hợp lệ nên đã được bỏ qua. Hãy chọn “đang vào mùa” hoặc tháng 1–12."))

    per_page = int(current_app.config.get("PER_PAGE", 24))
    sort = args.get("sort", "")
    default_sort = "relevance" if text else "newest"
    if sort not in SORTS or (sort == "relevance" and not text):
        sort = default_sort

    query = SearchQuery(
        text=text,
        categories=categories,
        areas=areas,
        ocop_stars=stars,
        rural_industry=rural,
        seller=seller_slug,
        min_price=min_price,
        max_price=max_price,
        price_bands=bands,
        season=season,
        sort=sort,
        page=parse_page(args.get("page"), per_page),
        per_page=per_page,
        with_facets=True,
        highlight=bool(text),
    )
    return query, messages


def parse_season(raw: str | None) -> int | None | bool:
    """``season=now`` → this month; ``1``–``12`` → that month; missing → None; anything
    else → False (the page drops it with a message)."""
    from ..seasons import current_month

    text = (raw or "").strip().lower()
    if not text:
        return None
    if text == "now":
        return current_month()
    try:
        return integers.parse_int(text, low=1, high=12)
    except ValueError:
        return False


def run_listing(
    args: MultiDict,
    *,
    category: Category | None = None,
    area: Area | None = None,
    seller_slug: str | None = None,
) -> Listing:
    query, messages = parse_query(args, category=category, area=area, seller_slug=seller_slug)
    generation.depends(*page_scopes(query, category=category, area=area, seller_slug=seller_slug))
    # get_search() answers from the database (degraded) when the engine fails: ResilientSearch.
    result = get_search().search(query)
    if result.total and query.page > result.pages:
        messages.append(
            _("Trang %(page)s không tồn tại; đang hiển thị trang cuối (%(last)s).", page=query.page, last=result.pages)
        )
        query = replace(query, page=result.pages)
        result = get_search().search(query)
    # Defence in depth: an index that lags behind never shows a hidden product (cards
    # are only loaded for public products).
    products = cards_by_ids(result.ids)
    listing = Listing(query=query, result=result, products=products, messages=messages)
    if result.degraded:
        keep_out_of_page_cache()  # the engine is back soon; this fallback page must not stay
    listing.highlights = {pid: Markup(html) for pid, html in (result.highlights or {}).items()}
    listing.min_price_raw = str(query.min_price) if query.min_price is not None else ""
    listing.max_price_raw = str(query.max_price) if query.max_price is not None else ""
    listing.sort_options = [(key, str(SORT_LABELS[key])) for key in SORTS if key != "relevance" or query.text]
    _build_facets(listing, category=category, area=area)
    return listing


def page_scopes(query: SearchQuery, *, category: Category | None, area: Area | None,
                seller_slug: str | None) -> list[str]:
    """What a listing page shows depends on (``catalog/generation.py``): the results and
    every facet count. Facets are disjunctive (each counted without its own filter), so a
    plain listing or search with a category filter still counts every category: only the
    pages of one seller, of one category (its subtree's counts) and of one area without
    other filters (area counts are then public products per area) are narrower than the
    whole catalog."""
    scopes = ["search"]  # what the engine returns (a Meilisearch delivery)
    if query.text:
        scopes.append("syn")
    if query.sort in ("relevance", "popular"):
        scopes.append("pop")
    if seller_slug is not None:
        return scopes  # get_public_seller noted the seller's listing (ls:<id>)
    if category is not None:
        return scopes + [f"lc:{i}" for i in category_tree().descendant_ids([category.slug])]
    narrowed = (query.text, query.categories, query.ocop_stars, query.rural_industry, query.min_price,
                query.max_price, query.price_bands, query.season)
    if area is not None and not any(v not in (None, "", ()) for v in narrowed):
        return scopes + ["members"] + [f"la:{i}" for i in area_tree().descendant_ids([area.slug])]
    return scopes + ["lall"]


def category_label(category: Category, english: bool | None = None) -> str:
    """The category's name in the current language (``english``: already known)."""
    if (is_english() if english is None else english) and category.name_en:
        return category.name_en
    return category.name


def ocop_group_label(key: str) -> str:
    label = OCOP_GROUP_LABELS.get(key)
    return str(label) if label is not None else key


def _build_facets(listing: Listing, *, category: Category | None, area: Area | None) -> None:
    """Checkbox options with counts, and a removable chip for every active filter."""
    q = listing.query
    facets = listing.result.facets or {}
    chips: list[Chip] = []

    # Categories: the tree in order, indented; on a category page only its subtree.
    tree = category_tree()
    counts = facets.get("category", {})
    cat_options: list[FacetOption] = []
    english = is_english()

    def walk(parent_id: int | None, depth: int) -> None:
        for c in tree.children(parent_id):
            selected = c.slug in q.categories
            if counts.get(c.slug, 0) or selected:
                cat_options.append(FacetOption(c.slug, category_label(c, english), counts.get(c.slug, 0), selected,
                                               depth=depth))
            walk(c.id, depth + 1)

    if category is not None:
        walk(category.id, 0)
    else:
        walk(None, 0)
    fixed_cat = category.slug if category is not None else None
    for opt in cat_options:
        if opt.selected and opt.value != fixed_cat:
            chips.append(Chip(opt.label, "category", opt.value))

    # Areas
    area_counts = facets.get("area", {})
    area_options = []
    for a in sorted(area_tree().all, key=lambda a: a.name):
        slug = a.slug
        if area is not None and slug == area.slug:
            continue
        selected = slug in q.areas
        if area_counts.get(slug, 0) or selected:
            area_options.append(FacetOption(slug, a.name, area_counts.get(slug, 0), selected))
            if selected:
                chips.append(Chip(a.name, "area", slug))

    # OCOP stars, best first
    star_counts = facets.get("ocop_stars", {})
    star_options = []
    for stars in (5, 4, 3):
        selected = stars in q.ocop_stars
        label = _("OCOP %(n)s sao", n=stars)
        star_options.append(FacetOption(str(stars), label, star_counts.get(str(stars), 0), selected, stars=stars))
        if selected:
            chips.append(Chip(label, "stars", str(stars)))

    rural_counts = facets.get("rural_industry", {})
    rural_label = _("Sản phẩm CNNT tiêu biểu")
    rural_options = [FacetOption("1", rural_label, rural_counts.get("true", 0), bool(q.rural_industry))]
    if q.rural_industry:
        chips.append(Chip(rural_label, "rural", None))

    band_counts = facets.get("price_band", {})
    band_options = []
    for key, _low, _high in PRICE_BANDS:
        selected = key in q.price_bands
        label = str(PRICE_BAND_LABELS[key])
        band_options.append(FacetOption(key, label, band_counts.get(key, 0), selected))
        if selected:
            chips.append(Chip(label, "price", key))
    if q.min_price is not None:
        chips.append(Chip(_("Từ %(p)s", p=format_vnd(q.min_price)), "min_price", None))
    if q.max_price is not None:
        chips.append(Chip(_("Đến %(p)s", p=format_vnd(q.max_price)), "max_price", None))
    if q.season is not None:
        from ..seasons import current_month

        label = _("Đang vào mùa") if q.season == current_month() else _("Vào mùa tháng %(m)d", m=q.season)
        chips.append(Chip(label, "season", None))
    if q.text:
        chips.insert(0, Chip("“" + q.text + "”", "q", None))

    listing.facets = {
        "category": cat_options,
        "area": area_options,
        "stars": star_options,
        "rural": rural_options,
        "price": band_options,
    }
    listing.chips = chips
    listing.has_filters = bool(chips)
