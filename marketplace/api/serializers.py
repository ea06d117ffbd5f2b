"""JSON shapes of API v1. One function per object; list and detail share ``product_json``.

The shapes are a public contract: add keys, never rename or remove them.
Dates are ISO ``YYYY-MM-DD``; datetimes ISO 8601 in UTC; URLs absolute.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import url_for
from werkzeug.routing import BuildError

from ..catalog.models import Area, Category, OcopCertification, Product, RuralIndustryRecognition
from ..media.images import WIDTHS, rendition_name
from ..sellers.models import Seller
from ..web.site import site_url

COVER_WIDTH = 800


def external_url(endpoint: str, fallback_path: str, **values) -> str:
    """``url_for(..., _external=True)``, or the documented path if the page is not there."""
    try:
        return url_for(endpoint, _external=True, **values)
    except BuildError:
        return site_url(fallback_path)


def media_url(name: str) -> str:
    return external_url("media.file", f"/media/{name}", name=name)


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _iso_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def product_url(slug: str) -> str:
    return external_url("catalog.product", f"/san-pham/{slug}", slug=slug)


def seller_url(slug: str) -> str:
    for endpoint in ("sellers.profile", "sellers.seller", "sellers.detail", "sellers.show"):
        try:
            return url_for(endpoint, slug=slug, _external=True)
        except BuildError:
            continue
    return site_url(f"/co-so/{slug}")


def category_ref(category: Category | None) -> dict | None:
    if category is None:
        return None
    return {"slug": category.slug, "name": category.name, "name_en": category.name_en or None}


def area_ref(area: Area | None) -> dict | None:
    if area is None:
        return None
    return {"slug": area.slug, "name": area.name}


def seller_ref(seller: Seller) -> dict:
    return {"slug": seller.slug, "name": seller.name, "kind": seller.kind, "verified": bool(seller.verified)}


def ocop_json(cert: OcopCertification | None) -> dict | None:
    """Only a valid certificate (3–5★, verified, not expired) is shown; else null."""
    if cert is None or not cert.is_valid():
        return None
    return {
        "stars": cert.stars,
        "group": cert.group_name,
        "group_slug": cert.product_group,
        "score": cert.score,
        "decision_number": cert.decision_number,
        "issued_on": _iso_date(cert.issued_on),
        "expires_on": _iso_date(cert.expires_on),
        "issuing_level": cert.issuing_level,
        "issuing_body": cert.issuing_body or None,
    }


def certification_json(cert) -> dict:  # noqa: ANN001
    """One certification as the API lists it (any kind; ``verified`` is staff's check,
    ``valid`` also needs it unexpired today and, for OCOP, 3–5★)."""
    return {
        "id": cert.id,
        "kind": cert.kind,
        "label": cert.label,
        "number": cert.number,
        "issuer": cert.issuer or None,
        "scheme": cert.scheme,
        "place": cert.place,
        "scope": cert.scope,
        "issued_on": _iso_date(cert.issued_on),
        "valid_until": _iso_date(cert.expires_on) if cert.expires_on else None,
        "verified": cert.verified_at is not None,
        "valid": cert.is_valid(),
    }


def rural_json(rec: RuralIndustryRecognition | None) -> dict | None:
    if rec is None:
        return None
    return {"level": rec.level, "year": rec.year}


def lot_url(code: str) -> str:
    return external_url("traceability.scan", f"/truy-xuat/{code}", code=code)


def lot_json(lot, *, detail: bool = False) -> dict:  # noqa: ANN001 — a traceability Lot
    """A public lot; ``detail=True`` adds its product, seller, certificates and history."""
    from ..traceability.gs1 import display_gtin, link_path

    product = lot.product
    data = {
        "code": lot.code,
        "harvested_on": _iso_date(lot.harvested_on),
        "quantity": int(lot.quantity),
        "unit": lot.unit,
        "origin": lot.origin,
        "best_before": _iso_date(lot.best_before),
        "url": lot_url(lot.code),
        "digital_link": site_url(link_path(product.gtin, lot.code)) if product.gtin else None,
    }
    if detail:
        data.update(
            packing_facility=lot.packing_facility or None,
            notes=lot.notes or None,
            photo_url=media_url(rendition_name(lot.photo_key, COVER_WIDTH)) if lot.photo_key else None,
            recorded_at=_iso_datetime(lot.created_at),
            product={"slug": product.slug, "name": product.name, "gtin": display_gtin(product.gtin) or None,
                     "url": product_url(product.slug)},
            seller=seller_ref(product.seller),
            certifications=lot_certifications_json(lot),
            history=[{"changed_at": _iso_datetime(r.changed_at),
                      "changes": {k: {"before": _history_value(k, v[0]), "after": _history_value(k, v[1])}
                                  for k, v in r.changes.items()}}
                     for r in lot.revisions],
        )
    return data


def _history_value(field: str, value):  # noqa: ANN001, ANN202
    """A history value as stored (ISO dates, numbers, text); a photo as its URL."""
    if field == "photo":
        return media_url(rendition_name(value, COVER_WIDTH)) if value else None
    return value


def lot_certifications_json(lot) -> list[dict]:  # noqa: ANN001
    """The certificates that apply to a lot (the product's, the seller-wide ones, the
    ones the lot links), each with its verification state (and stars for OCOP)."""
    from ..certifications.queries import for_lot

    return [certification_json(cert) | ({"stars": cert.stars} if cert.kind == "ocop" else {})
            for cert in for_lot(lot.id, lot.product)]


def product_json(product: Product, *, detail: bool = False, certifications: list | None = None,
                 lots: list | None = None) -> dict:
    """A product as the list shows it; ``detail=True`` adds description and images.
    ``certifications``: the product's, loaded for a whole page at once
    (``certifications.queries.shown_by_product``); looked up when not given. ``lots``: its
    latest public lots (``traceability.queries.latest_public_lots``)."""
    from ..traceability.gs1 import display_gtin

    if certifications is None:
        from ..certifications.queries import shown_by_product

        certifications = shown_by_product([product])[product.id]
    cover = product.cover
    data = {
        "id": product.id,
        "slug": product.slug,
        "name": product.name,
        "price_vnd": int(product.price_vnd),
        "unit": product.unit,
        "category": category_ref(product.category),
        "area": area_ref(product.area),
        "seller": seller_ref(product.seller),
        "ocop": ocop_json(product.certification),
        "rural_industry": rural_json(product.rural_industry),
        "certifications": [certification_json(c) for c in certifications],
        "featured": bool(product.featured),
        "published_at": _iso_datetime(product.published_at),
        "url": product_url(product.slug),
        "image_url": media_url(rendition_name(cover.key, COVER_WIDTH)) if cover is not None else None,
        "supply": supply_json(product),
        "season": season_json(product),
        "gtin": display_gtin(product.gtin) or None,
        "lots": [lot_json(lot) for lot in (lots or [])],
    }
    if detail:
        data["description"] = product.description
        data["code"] = product.code
        data["images"] = [photo_json(photo) for photo in product.photos]
    return data


def supply_json(product: Product) -> dict:
    """Supply capacity: every key always there, null when the seller did not say."""
    return {
        "monthly_volume": product.monthly_volume,
        "volume_unit": product.volume_unit,
        "min_order_qty": product.min_order_qty,
        "lead_time_days": product.lead_time_days,
        "packaging": product.packaging,
    }


def season_json(product: Product) -> dict:
    """``months``: 1–12 the product is available in ([] not stated); ``year_round``;
    ``in_season_now``: seasonal and in season this month (Asia/Ho_Chi_Minh)."""
    from ..seasons import current_month, in_season, is_year_round, months_of

    return {
        "months": months_of(product),
        "year_round": is_year_round(product.season_mask),
        "in_season_now": in_season(product, current_month()),
    }


ALWAYS_LISTED_WIDTHS = (320, 800)  # every stored photo has these (uploads and the demo)


def photo_json(photo) -> dict:
    """url_320 and url_800 always; larger renditions only when the file exists."""
    from ..media import get_storage

    storage = get_storage()
    data = {}
    for width in WIDTHS:
        name = rendition_name(photo.key, width)
        if width in ALWAYS_LISTED_WIDTHS or storage.exists(name):
            data[f"url_{width}"] = media_url(name)
    data.update({"width": photo.width, "height": photo.height, "alt": photo.alt or ""})
    return data


def _logo_url(key: str | None) -> str | None:
    if not key:
        return None
    # A stored file name ("<hash>-320.webp") or a rendition key ("<hash>").
    return media_url(key if "." in key else rendition_name(key, WIDTHS[0]))


def seller_json(seller: Seller, *, product_count: int) -> dict:
    return {
        "slug": seller.slug,
        "name": seller.name,
        "kind": seller.kind,
        "story": seller.story,
        "address": seller.address,
        "area": area_ref(seller.area),
        "phone": seller.phone,
        "email": seller.email,
        "website": seller.website,
        "verified": bool(seller.verified),
        "logo_url": _logo_url(seller.logo_key),
        "product_count": product_count,
        "url": seller_url(seller.slug),
    }


def category_tree(rows: list[Category], counts: dict[int, int]) -> list[dict]:
    """Roots (in the given order) with nested ``children``; counts include descendants."""
    by_parent: dict[int | None, list[Category]] = {}
    for c in rows:
        by_parent.setdefault(c.parent_id, []).append(c)
    slug_of = {c.id: c.slug for c in rows}
    placed: set[int] = set()  # guards against a parent cycle in hand-edited data

    def node(c: Category) -> dict:
        placed.add(c.id)
        return {
            "id": c.id,
            "slug": c.slug,
            "name": c.name,
            "name_en": c.name_en or None,
            "ocop_group": c.ocop_group,
            "parent": slug_of.get(c.parent_id),
            "product_count": counts.get(c.id, 0),
            "children": [node(child) for child in by_parent.get(c.id, []) if child.id not in placed],
        }

    roots = [c for c in rows if c.parent_id is None or c.parent_id not in slug_of]
    return [node(c) for c in roots]


def collection_url(slug: str) -> str:
    return external_url("collections.detail", f"/bo-suu-tap/{slug}", slug=slug)


def collection_json(collection, *, product_count: int) -> dict:
    """An active collection; ``product_count`` counts its public products only."""
    cover = collection.cover
    return {
        "slug": collection.slug,
        "title": collection.title,
        "description": collection.description,
        "placement": collection.placement,
        "category": category_ref(collection.category) if collection.placement == "category" else None,
        "position": collection.position,
        "starts_at": _iso_datetime(collection.starts_at),
        "ends_at": _iso_datetime(collection.ends_at),
        "cover": photo_json(cover) if cover is not None else None,
        "product_count": product_count,
        "url": collection_url(collection.slug),
    }


def area_json(area: Area, product_count: int) -> dict:
    return {
        "id": area.id,
        "slug": area.slug,
        "name": area.name,
        "kind": area.kind,
        "current": bool(area.is_current),
        "parent": area_ref(area.parent),
        "aliases": [alias.name for alias in area.aliases],
        "product_count": product_count,
    }


def sourcing_request_json(item, offer_count: int, cert_labels: dict[str, str]) -> dict:
    """An open sourcing request's public fields: never who the buyer is beyond its type
    and city (``buyer``), never an offer's contents. Codes come with their labels in the
    response's language (``frequency_label``, ``required_certification_labels`` from
    ``cert_labels``: ``sourcing.services.known_cert_codes()``, made once per response)."""
    from ..sourcing.models import FREQUENCIES

    codes = list(item.required_certs or [])
    return {
        "id": item.id,
        "title": item.title,
        "details": item.details,
        "category": {"slug": item.category.slug, "name": item.category.name},
        "quantity": item.quantity,
        "unit": item.unit,
        "frequency": item.frequency,
        "frequency_label": str(FREQUENCIES.get(item.frequency, item.frequency)),
        "required_certifications": codes,
        "required_certification_labels": [cert_labels.get(code, code) for code in codes],
        "delivery_area": item.delivery_area,
        "deadline": _iso_date(item.deadline),
        "target_price_vnd": item.target_price_vnd,
        "buyer": item.buyer_label,
        "buyer_type": item.buyer_type,
        "offer_count": offer_count,
        "approved_at": _iso_datetime(item.approved_at),
        "url": external_url("sourcing.public_detail", f"/tim-nguon-hang/{item.id}", request_id=item.id),
    }
