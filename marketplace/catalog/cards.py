"""Product cards: what a grid of products shows (home rows, listings, collections,
related products), loaded as plain rows in one statement.

A card needs a few columns of the product, its seller's name, the stars of a valid
OCOP certificate, whether it holds a rural-industry mark, the kinds of its other valid
certifications (``certifications.queries.valid_kind_columns``) and its cover photo; loading
whole ORM objects with their relationships for that cost more than the rest of a
listing. ``cards_by_ids`` reads exactly those columns with one flat ``SELECT`` (the
cover is the photo first by position, as ``Product.cover``; the certificate rule is
``queries.valid_certificate_condition``, the SQL twin of ``OcopCertification.is_valid``),
only for products visible to buyers, and keeps the order of the ids it was given. The
page being rendered depends on each product and its seller (``generation.depends``).
The statement is built once per process; nothing read is kept: every call reads the
database.
"""
from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup

from ..extensions import db
from ..seasons import mask_in_season
from ..sellers.models import Seller
from ..text import today_vn
from ..web.urls import url_for_value
from . import generation, queries
from ..certifications import queries as cert_queries
from ..certifications.models import KINDS, OCOP
from .models import OcopCertification, Product, ProductPhoto, RuralIndustryRecognition


@dataclass(frozen=True, slots=True)
class CardPhoto:
    """The cover photo of a card (what ``picture()`` and ``seo.photo_url`` read)."""

    key: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    slug: str
    name: str
    price_vnd: int
    unit: str
    seller_id: int
    seller_name: str
    stars: int | None  # of a valid OCOP certificate, else None
    rural_industry: bool
    cover: CardPhoto | None
    # "Đang vào mùa": in season in today's month (Asia/Ho_Chi_Minh) when read; part of the
    # card's identity, so a new month renders the card anew.
    in_season: bool = False
    # Kinds of its valid certifications other than OCOP (VietGAP, organic…), in KINDS order.
    cert_kinds: tuple[str, ...] = ()

    def url(self, ref: str | None = None) -> str:
        """The product page (``ref``: the search result token, see analytics.search_ref)."""
        return url_for_value("catalog.product", "slug", self.slug, ref=ref)


def _cover_id() -> sa.ScalarSelect:
    return (
        sa.select(ProductPhoto.id)
        .where(ProductPhoto.product_id == Product.id)
        .order_by(ProductPhoto.position, ProductPhoto.id)
        .limit(1)
        .correlate(Product)
        .scalar_subquery()
    )


@functools.cache
def _card_rows() -> sa.Select:
    """One row per public product among the ``ids`` parameter with every column a card
    shows (built once; ``today`` is a parameter too)."""
    return _card_columns().where(Product.id.in_(sa.bindparam("ids", expanding=True)))


@functools.cache
def _related_card_rows(limit: int) -> sa.Select:
    """The card rows of a product's related products (``queries.related_ranked``), in
    their order: one statement for the ids and the cards."""
    ranked = queries.related_ranked(limit)
    return (_card_columns().join(ranked, ranked.c.id == Product.id)
            .order_by(*queries.related_order(ranked)).limit(limit))


def _card_columns() -> sa.Select:
    """Every column a card shows, of public products (no condition on which)."""
    return (
        sa.select(
            Product.id,
            Product.slug,
            Product.name,
            Product.price_vnd,
            Product.unit,
            Product.seller_id,
            Seller.name,
            sa.case((queries.valid_certificate_condition(queries.today_param()), OcopCertification.stars), else_=None),
            RuralIndustryRecognition.id,
            ProductPhoto.key,
            ProductPhoto.width,
            ProductPhoto.height,
            ProductPhoto.alt,
            Product.season_mask,
            *cert_queries.valid_kind_columns(Product, queries.today_param()),
        )
        .join(Seller, Product.seller_id == Seller.id)
        .outerjoin(OcopCertification, OcopCertification.product_id == Product.id)
        .outerjoin(RuralIndustryRecognition, RuralIndustryRecognition.product_id == Product.id)
        .outerjoin(ProductPhoto, ProductPhoto.id == _cover_id())
        .where(queries.public_condition())
    )


def cards_by_ids(ids: Sequence[int]) -> list[Card]:
    """Cards of the public products among ``ids``, in the order given (repeats and
    hidden or vanished products left out). Card rows are plain columns: they are read on
    the session's connection (same transaction), without the ORM session's execution
    path, which cost about as much again as the statement (~0.1 ms of a page)."""
    ids = list(dict.fromkeys(ids))
    if not ids:
        return []
    today = today_vn()
    cards = _cards(db.session.connection().execute(_card_rows(), {"ids": ids, queries.TODAY_PARAM: today}), today)
    by_id = {card.id: card for card in cards}
    # A page showing a card changes with the product and with its seller's name; a
    # product asked for but not public shows nothing until it is published again.
    generation.depends(*(f"p:{i}" for i in ids), *(f"s:{c.seller_id}" for c in by_id.values()))
    return [by_id[i] for i in ids if i in by_id]


def related_cards(product, limit: int = 4) -> list[Card]:  # noqa: ANN001 — a Product
    """The cards of ``queries.related_product_ids(product, limit)``, in that order, read
    with them in one statement."""
    today = today_vn()
    params = {**queries.related_params(product), queries.TODAY_PARAM: today}
    cards = _cards(db.session.connection().execute(_related_card_rows(limit), params), today)
    generation.depends(*(f"p:{c.id}" for c in cards), *(f"s:{c.seller_id}" for c in cards))
    return cards


def _cards(rows, today) -> list[Card]:  # noqa: ANN001
    cards = []
    for (pid, slug, name, price, unit, seller_id, seller, stars, rural, key, width, height, alt, season,
         *kind_columns) in rows:
        cover = CardPhoto(key, width, height, alt or "") if key is not None else None
        kinds = cert_queries.kinds_of(*kind_columns)
        cards.append(Card(pid, slug, name, price, unit or "", seller_id, seller, stars, rural is not None, cover,
                          mask_in_season(season, today.month),
                          cert_kinds=tuple(k for k in KINDS if k in kinds and k != OCOP)))
    return cards


# --------------------------------------------------------------------- rendered cards

CARD_HTML_ENTRIES = 20_000  # per process (~1 KB each)
_KEPT_PREFIX = "_pc" + "0" * 16 + "_"  # a slot prefix no render draws in practice
_card_lock = threading.Lock()


def card_html(card: Card, highlight: str | None = None, ref: str | None = None) -> Markup:
    """A card's markup (``templates/_product_card.html``), kept per process by everything
    it is made of: the card's fields (the whole frozen ``Card``, as read from the database
    for this request), the language, the search highlight and the link's click reference
    (a page-cache slot: kept with a fixed prefix, given this render's on the way out). A
    changed product is a different ``Card``, so nothing stale can be shown; after a
    catalog change a page re-renders only the cards that changed. Off while templates
    reload (development)."""
    from flask import current_app
    from ..i18n import current_locale

    from ..web.pagecache import slots

    app = current_app._get_current_object()
    mark = slots.prefix() if ref else ""
    kept_ref = ref.replace(mark, _KEPT_PREFIX) if ref else None
    key = (card, str(current_locale()), str(highlight) if highlight else None, kept_ref)
    memo = app.extensions.setdefault("card_html", OrderedDict())
    with _card_lock:
        html = memo.get(key)
        if html is not None:
            memo.move_to_end(key)
    if html is None:
        html = Markup(app.jinja_env.get_template("_product_card.html").render(product=card, highlight=highlight,
                                                                               ref=kept_ref))
        if not app.jinja_env.auto_reload:
            with _card_lock:
                memo[key] = html
                while len(memo) > CARD_HTML_ENTRIES:
                    memo.popitem(last=False)
    return Markup(html.replace(_KEPT_PREFIX, mark)) if ref else html
