"""Required certification kinds beyond OCOP (issue 19 item 3 with issue 18's kinds): a
buyer may require VietGAP, organic, …; only sellers holding one verified and valid
today (Vietnamese date), covering the whole seller or the matched product, qualify."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from factories import make_product, make_seller, make_seller_certification
from marketplace.extensions import db
from marketplace.sourcing.models import SourcingRequest
from marketplace.text import today_vn, utcnow

from .conftest import request_form


def _vietgap_sellers(app, world) -> dict[str, int]:
    """Tea sellers each with one VietGAP certificate in a different state."""
    today = today_vn()
    with app.app_context():
        from marketplace.catalog.models import Category

        green = db.session.get(Category, world["green"])
        ids = {}
        for name, kw in {
            "valid": {},
            "pending": {"verified_at": None},
            "refused": {"verified_at": None, "rejected_at": utcnow(), "review_note": "Ảnh mờ"},
            "expired": {"issued_on": today - timedelta(days=400), "expires_on": today - timedelta(days=1)},
            "product": "products",
            "other_product": "other",
        }.items():
            seller = make_seller(name=f"HTX chè {name}", email=f"{name}@example.vn")
            product = make_product(seller=seller, category=green, name=f"Chè {name}")
            if kw == "products":
                make_seller_certification(seller, "vietgap", products=[product])
            elif kw == "other":  # the VietGAP covers another category's product only
                rice = make_product(seller=seller, category_id=world["rice"], name=f"Gạo {name}")
                make_seller_certification(seller, "vietgap", products=[rice])
            else:
                make_seller_certification(seller, "vietgap", **kw)
            ids[name] = seller.id
        # an organic seller-wide certificate is not VietGAP
        organic = make_seller(name="HTX chè hữu cơ", email="huuco@example.vn")
        make_product(seller=organic, category=green, name="Chè hữu cơ")
        make_seller_certification(organic, "organic")
        ids["organic"] = organic.id
        db.session.commit()
    return ids


def _post_and_approve(app, client, auth, world, **overrides) -> int:
    auth.log_in_as(world["buyer"])
    response = client.post("/tim-nguon-hang/moi", data=request_form(world, **overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        item_id = db.session.scalars(sa.select(SourcingRequest.id)).one()
    auth.log_in_as(world["staff"])
    assert client.post(f"/nhan-vien/tim-nguon-hang/{item_id}/duyet").status_code == 302
    return item_id


def test_form_offers_every_kind_with_its_vietnamese_label(client, auth, world):
    auth.log_in_as(world["buyer"])
    page = client.get("/tim-nguon-hang/moi").get_data(as_text=True)
    for code, label in (("vietgap", "VietGAP"), ("organic", "Hữu cơ"), ("geographical_indication", "Chỉ dẫn địa lý"),
                        ("growing_area_code", "Mã số vùng trồng"), ("ocop4", "OCOP từ 4 sao"),
                        ("rural_industry", "công nghiệp nông thôn")):
        assert f'value="{code}"' in page
        assert label in page


def test_vietgap_request_matches_verified_valid_vietgap_only(app, client, auth, world):
    sellers = _vietgap_sellers(app, world)
    item_id = _post_and_approve(app, client, auth, world, required_certs="vietgap")
    with app.app_context():
        item = db.session.get(SourcingRequest, item_id)
        assert item.required_certs == ["vietgap"]
        matched = {m.seller_id for m in item.matches}
    assert matched == {sellers["valid"], sellers["product"]}
    # the board, the request page and the API show the requirement
    board = client.get("/tim-nguon-hang").get_data(as_text=True)
    assert "VietGAP" in board
    assert "VietGAP" in client.get(f"/tim-nguon-hang/{item_id}").get_data(as_text=True)
    api = client.get("/api/v1/sourcing-requests").get_json()
    assert api["items"][0]["required_certifications"] == ["vietgap"]
    # Codes come with their labels, in the response's language.
    labels = {"once": ("một lần", "once"), "monthly": ("mỗi tháng", "per month")}
    item = api["items"][0]
    assert item["required_certification_labels"] == ["VietGAP"]
    assert item["frequency_label"] == labels[item["frequency"]][0]
    english = client.get("/api/v1/sourcing-requests?lang=en").get_json()["items"][0]
    assert english["required_certification_labels"] == ["VietGAP"]
    assert english["frequency_label"] == labels[english["frequency"]][1]


def test_every_required_kind_is_needed(app, client, auth, world):
    sellers = _vietgap_sellers(app, world)
    with app.app_context():
        from marketplace.sellers.models import Seller

        make_seller_certification(db.session.get(Seller, sellers["valid"]), "organic")
        db.session.commit()
    item_id = _post_and_approve(app, client, auth, world, required_certs=["organic", "vietgap"])
    with app.app_context():
        item = db.session.get(SourcingRequest, item_id)
        assert item.required_certs == ["vietgap", "organic"]
        assert {m.seller_id for m in item.matches} == {sellers["valid"]}


def test_a_certificate_expiring_today_still_counts_and_not_the_day_after(app, world):
    from marketplace.sourcing.matching import meets

    with app.app_context():
        from marketplace.catalog.models import Product

        seller = make_seller(name="HTX hạn hôm nay")
        product = make_product(seller=seller, category_id=world["green"], name="Chè hạn hôm nay")
        make_seller_certification(seller, "vietgap", expires_on=today_vn())
        db.session.commit()
        product = db.session.get(Product, product.id)
        assert meets(product, "vietgap", today_vn())
        assert not meets(product, "vietgap", today_vn() + timedelta(days=1))
        assert not meets(product, "organic", today_vn())


def test_unknown_kind_is_refused_in_vietnamese_and_nothing_saved(app, client, auth, world):
    auth.log_in_as(world["buyer"])
    response = client.post("/tim-nguon-hang/moi", data=request_form(world, required_certs=["vietgap", "iso9999"]))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Không có loại chứng nhận “iso9999”" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SourcingRequest)) == 0
