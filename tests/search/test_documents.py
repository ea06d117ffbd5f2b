"""product_to_document: the one document shape every backend indexes."""
from __future__ import annotations

from datetime import timedelta

from marketplace.catalog.models import AreaAlias
from marketplace.demo.factories import (
    make_area,
    make_category,
    make_certification,
    make_product,
    make_rural_industry,
    make_seller,
)
from marketplace.extensions import db
from marketplace.search.documents import documents_for, product_to_document
from marketplace.text import fold, today_vn


def test_document_shape(ctx):
    root = make_category(name="Đồ uống", slug="do-uong")
    tea = make_category(name="Chè", slug="che", parent=root)
    province = make_area(name="tỉnh Thái Nguyên", slug="thai-nguyen", kind="province")
    commune = make_area(name="xã Tân Cương", slug="tan-cuong", parent=province)
    db.session.add(AreaAlias(area=commune, name="Tân Cương (cũ)", folded=fold("Tân Cương (cũ)")))
    seller = make_seller(name="HTX Chè Hảo Đạt", slug="htx-hao-dat", area=commune)
    p = make_product(name="Chè búp Tân Cương", slug="che-bup", seller=seller, category=tea, area=commune,
                     price_vnd=450_000, view_count=12, featured=True)
    make_certification(p, stars=5)
    make_rural_industry(p, level="national")
    db.session.commit()

    doc = product_to_document(p)
    assert doc["id"] == p.id and doc["slug"] == "che-bup"
    assert doc["name"] == "Chè búp Tân Cương" and doc["name_folded"] == "che bup tan cuong"
    assert doc["category"] == {"slug": "che", "name": "Chè"}
    assert doc["category_slugs"] == ["che", "do-uong"]
    assert doc["area"] == {"slug": "tan-cuong", "name": "xã Tân Cương"}
    assert doc["area_slugs"] == ["tan-cuong", "thai-nguyen"]
    assert doc["area_aliases"] == ["Tân Cương (cũ)"]
    assert doc["seller"] == {"slug": "htx-hao-dat", "name": "HTX Chè Hảo Đạt", "kind": "cooperative"}
    assert doc["ocop_stars"] == 5 and doc["ocop_expires_on"] > today_vn().isoformat()
    assert doc["rural_industry"] is True and doc["rural_industry_level"] == "national"
    assert doc["price_vnd"] == 450_000 and doc["price_band"] == "300k-1m"
    assert isinstance(doc["published_at"], int)
    assert doc["view_count"] == 12 and doc["featured"] is True and doc["is_public"] is True
    assert documents_for([p.id, 999_999]) == [doc]


def test_invalid_certificate_gives_no_stars_and_hidden_products_are_not_public(ctx):
    p = make_product(status="draft")
    make_certification(p, stars=4, verified_at=None)
    q = make_product()
    make_certification(q, stars=3, issued_on=today_vn() - timedelta(days=2000))  # expired
    db.session.commit()
    draft, expired = product_to_document(p), product_to_document(q)
    assert draft["ocop_stars"] is None and draft["is_public"] is False
    assert expired["ocop_stars"] is None and expired["is_public"] is True
