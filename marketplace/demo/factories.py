"""Object factories shared by the demo catalog and the tests.

Each ``build_*`` returns a valid new object with sensible defaults that any keyword
overrides (slug from the name, a product's area from its seller, its folded search text,
a certificate's expiry), without touching the session: the demo seed builds thousands and
adds them in batches. Each ``make_*`` builds one, adds it to the session, flushes and
returns it. Callers commit.
"""
from __future__ import annotations

import functools
import itertools
from datetime import date, timedelta

from ..accounts.models import User
from ..catalog.models import (
    Area,
    Category,
    OcopCertification,
    Product,
    RuralIndustryRecognition,
)
from ..catalog.product_data import build_search_text
from ..catalog.services import certificate_expiry
from ..certifications.models import Certification
from ..extensions import db
from ..sellers.models import Seller
from ..text import slugify, today_vn, utcnow

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def _added(obj):
    db.session.add(obj)
    db.session.flush()
    return obj


def build_area(**kw) -> Area:
    name = kw.pop("name", None) or f"xã Thử Nghiệm {_n()}"
    return Area(name=name, slug=kw.pop("slug", None) or slugify(name), kind=kw.pop("kind", "commune"), **kw)


def make_area(**kw) -> Area:
    return _added(build_area(**kw))


def build_category(**kw) -> Category:
    name = kw.pop("name", None) or f"Danh mục {_n()}"
    return Category(name=name, slug=kw.pop("slug", None) or slugify(name), **kw)


def make_category(**kw) -> Category:
    return _added(build_category(**kw))


def build_seller(**kw) -> Seller:
    name = kw.pop("name", None) or f"HTX chè Thử Nghiệm {_n()}"
    kw.setdefault("kind", "cooperative")
    kw.setdefault("status", "approved")
    kw.setdefault("phone", "0912345678")
    if "area" not in kw and "area_id" not in kw:
        kw["area"] = make_area()
    return Seller(name=name, slug=kw.pop("slug", None) or slugify(name), **kw)


def make_seller(**kw) -> Seller:
    return _added(build_seller(**kw))


def build_product(**kw) -> Product:
    """A product; its ``search_text`` from the seller, category and area objects given
    (``make_product`` builds it again from the rows once flushed, for ids given instead)."""
    name = kw.pop("name", None) or f"Chè móc câu Thử Nghiệm {_n()}"
    if "seller" not in kw and "seller_id" not in kw:
        kw["seller"] = make_seller()
    if "category" not in kw and "category_id" not in kw:
        kw["category"] = make_category()
    kw.setdefault("price_vnd", 150_000)
    kw.setdefault("unit", "hộp 200 g")
    kw.setdefault("status", "published")
    kw.setdefault("description", "Sản phẩm dùng trong kiểm thử.")
    if kw["status"] == "published":
        kw.setdefault("published_at", utcnow())
    # no_autoflush: assigning a persisted seller loads Seller.products, which must not
    # flush the half-built product.
    with db.session.no_autoflush:
        product = Product(name=name, slug=kw.pop("slug", None) or slugify(name), **kw)
        if product.area is None and product.area_id is None and product.seller is not None:
            product.area = product.seller.area
        product.search_text = build_search_text(product)
    return product


def make_product(**kw) -> Product:
    with db.session.no_autoflush:
        product = build_product(**kw)
        db.session.add(product)
    db.session.flush()
    product.search_text = build_search_text(product)
    db.session.flush()
    return product


def build_certification(product: Product, **kw) -> OcopCertification:
    """The product's OCOP certificate (set as ``product.certification``)."""
    issued = kw.pop("issued_on", None) or (today_vn() - timedelta(days=200))
    kw.setdefault("stars", 4)
    kw.setdefault("score", {3: 60, 4: 78, 5: 92}.get(kw["stars"], 40))
    kw.setdefault("product_group", "thuc-pham")
    kw.setdefault("decision_number", f"{_n()}/QĐ-UBND")
    kw.setdefault("issuing_level", "central" if kw["stars"] == 5 else "province")
    kw.setdefault(
        "issuing_body",
        "Bộ Nông nghiệp và Môi trường" if kw["issuing_level"] == "central" else "UBND tỉnh Thái Nguyên",
    )
    kw.setdefault("expires_on", certificate_expiry(issued))
    kw.setdefault("verified_at", utcnow())
    return OcopCertification(product=product, issued_on=issued, **kw)


def make_certification(product: Product, **kw) -> OcopCertification:
    return _added(build_certification(product, **kw))


def build_rural_industry(product: Product, **kw) -> RuralIndustryRecognition:
    """The product's rural-industry recognition (set as ``product.rural_industry``)."""
    kw.setdefault("level", "province")
    kw.setdefault("year", 2023)
    return RuralIndustryRecognition(product=product, **kw)


def make_seller_certification(seller: Seller, kind: str = "vietgap", **kw) -> Certification:
    """A certification of another kind than OCOP; seller-wide unless ``products`` given."""
    from ..certifications.models import NO_EXPIRY

    products = kw.pop("products", None)
    issued = kw.pop("issued_on", None) or (today_vn() - timedelta(days=200))
    kw.setdefault("scope", "products" if products else "seller")
    kw.setdefault("number", f"{kind.upper()}-{_n():05d}")
    kw.setdefault("issuer", "Trung tâm Chứng nhận Phù hợp (QUACERT)")
    kw.setdefault("expires_on", None if kind in NO_EXPIRY else issued + timedelta(days=3 * 365))
    kw.setdefault("verified_at", utcnow())
    if kind == "organic":
        kw.setdefault("scheme", "TCVN 11041")
    cert = Certification(seller_id=seller.id, kind=kind, issued_on=issued, **kw)
    if products:
        cert.products = list(products)
    db.session.add(cert)
    db.session.flush()
    return cert


def make_rural_industry(product: Product, **kw) -> RuralIndustryRecognition:
    return _added(build_rural_industry(product, **kw))


def make_collection(products=(), **kw):
    """A featured collection holding ``products`` in that order (published, home row,
    no schedule unless overridden)."""
    from ..collections.models import Collection, CollectionItem

    title = kw.pop("title", None) or f"Bộ sưu tập {_n()}"
    kw.setdefault("placement", "home_row")
    kw.setdefault("published", True)
    collection = Collection(title=title, slug=kw.pop("slug", None) or slugify(title), **kw)
    collection.items = [CollectionItem(product=p, position=i) for i, p in enumerate(products)]
    db.session.add(collection)
    db.session.flush()
    return collection


@functools.cache
def _password_hash(password: str) -> str:
    """One scrypt hash per password and process (0.1 s of CPU each): users made with the
    same password share it, still a valid hash of that password. Factory users only —
    real accounts are hashed one by one (accounts.services, demo.accounts)."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


def make_user(**kw) -> User:
    password = kw.pop("password", "mat-khau-123")
    kw.setdefault("email", f"user{_n()}@example.vn")
    kw.setdefault("role", "buyer")
    user = User(password_hash=_password_hash(password), **kw)
    db.session.add(user)
    db.session.flush()
    return user


def make_lot(product: Product, **kw):
    """A public lot of ``product`` harvested 10 days ago (built directly, like the other
    factories; ``traceability.services.create_lot`` is what sellers go through)."""
    from ..traceability.models import Lot

    kw.setdefault("code", f"LOT-{_n()}")
    kw.setdefault("harvested_on", today_vn() - timedelta(days=10))
    kw.setdefault("quantity", 120)
    kw.setdefault("unit", "kg")
    kw.setdefault("origin", "Xóm Hồng Thái, Tân Cương")
    kw.setdefault("status", "published")
    lot = Lot(product=product, seller_id=product.seller_id, **kw)
    db.session.add(lot)
    db.session.flush()
    return lot


__all__ = [
    "make_lot",
    "build_area",
    "build_category",
    "build_seller",
    "build_product",
    "build_certification",
    "build_rural_industry",
    "make_area",
    "make_category",
    "make_seller",
    "make_product",
    "make_certification",
    "make_rural_industry",
    "make_user",
    "make_collection",
    "date",
]
