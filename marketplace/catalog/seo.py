"""SEO helpers for buyer pages: image URLs, OpenGraph data and schema.org JSON-LD.

JSON-LD is built as a Python dict here and rendered with Jinja's ``|tojson``, which
escapes ``<``, ``>``, ``&`` and ``'``: a product name cannot break out of the
``<script type="application/ld+json">`` block.
"""
from __future__ import annotations

from flask import url_for

from ..media.images import WIDTHS, rendition_name
from ..web.urls import url_builder, url_for_value
from .models import Product, ProductPhoto

CARD_WIDTH = 320


def photo_url(photo: ProductPhoto, width: int, *, external: bool = False) -> str:
    return url_for_value("media.file", "name", rendition_name(photo.key, width), external=external)


def photo_srcset(photo: ProductPhoto) -> str:
    """Every rendition with its width."""
    build = url_builder("media.file", "name")
    return ", ".join(f"{build(rendition_name(photo.key, w))} {w}w" for w in WIDTHS)


def photo_height(photo: ProductPhoto, width: int) -> int:
    """Height of the ``width`` rendition (keeps the aspect ratio; avoids layout shift)."""
    if not photo.width or not photo.height:
        return width
    return max(1, round(photo.height * width / photo.width))


def product_url(product: Product) -> str:
    return url_for("catalog.product", slug=product.slug, _external=True)


def product_jsonld(product: Product) -> dict:
    """schema.org Product with an Offer in VND."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "url": product_url(product),
        "sku": product.code or f"SP{product.id}",
        "description": (product.description or product.name)[:5000],
        "category": product.category.name if product.category else None,
        "brand": {"@type": "Brand", "name": product.seller.name},
        "offers": {
            "@type": "Offer",
            "url": product_url(product),
            "price": str(product.price_vnd),
            "priceCurrency": "VND",
            "availability": "https://schema.org/InStock",
            "itemCondition": "https://schema.org/NewCondition",
            "seller": {
                "@type": "Organization",
                "name": product.seller.name,
                "url": url_for("sellers.profile", slug=product.seller.slug, _external=True),
            },
        },
    }
    if product.photos:
        data["image"] = [photo_url(p, 800, external=True) for p in product.photos]
    cert = product.valid_certification
    if cert is not None:
        data["award"] = f"OCOP {cert.stars}★ ({cert.decision_number})"
    return {k: v for k, v in data.items() if v is not None}


def product_opengraph(product: Product) -> dict[str, str]:
    og = {
        "og:type": "product",
        "og:title": product.name,
        "og:description": (product.description or product.name)[:300],
        "og:url": product_url(product),
        "og:locale": "vi_VN",
        "product:price:amount": str(product.price_vnd),
        "product:price:currency": "VND",
    }
    if product.cover is not None:
        og["og:image"] = photo_url(product.cover, 800, external=True)
    return og


def breadcrumb_jsonld(trail: list[tuple[str, str]]) -> dict:
    """schema.org BreadcrumbList from (name, absolute url) pairs."""
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": url}
            for i, (name, url) in enumerate(trail, start=1)
        ],
    }


def product_breadcrumb(product: Product) -> dict:
    trail = [("Trang chủ", url_for("catalog.home", _external=True))]
    category = product.category
    if category is not None:
        if category.parent is not None:
            trail.append((category.parent.name, url_for("catalog.category", slug=category.parent.slug, _external=True)))
        trail.append((category.name, url_for("catalog.category", slug=category.slug, _external=True)))
    trail.append((product.name, product_url(product)))
    return breadcrumb_jsonld(trail)


def seller_jsonld(seller) -> dict:
    """schema.org Organization for a seller profile (only what the seller published)."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": seller.name,
        "url": url_for("sellers.profile", slug=seller.slug, _external=True),
    }
    if seller.story:
        data["description"] = seller.story[:5000]
    if seller.phone:
        data["telephone"] = seller.phone
    if seller.email:
        data["email"] = seller.email
    if seller.address or seller.area is not None:
        data["address"] = {
            "@type": "PostalAddress",
            "streetAddress": seller.address or None,
            "addressLocality": seller.area.name if seller.area is not None else None,
            "addressCountry": "VN",
        }
        data["address"] = {k: v for k, v in data["address"].items() if v}
    if seller.website.startswith(("http://", "https://")):
        data["sameAs"] = [seller.website]
    return data
