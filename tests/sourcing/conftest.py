"""Shared builders for the sourcing tests: a small catalog with a tea category, three
tea sellers (one OCOP 4 stars, one rural-industry, one plain), a rice seller, a buyer
with a profile, and a staff member."""
from __future__ import annotations

from datetime import timedelta

import pytest

from factories import make_category, make_certification, make_product, make_rural_industry, make_seller, make_user
from marketplace.extensions import db
from marketplace.sourcing.models import BuyerProfile
from marketplace.text import today_vn


@pytest.fixture
def world(app):
    with app.app_context():
        tea = make_category(name="Chè", slug="che")
        green = make_category(name="Chè xanh", slug="che-xanh", parent=tea)
        rice = make_category(name="Gạo", slug="gao")
        star = make_seller(name="HTX chè Bốn Sao", email="bonsao@example.vn")
        rural = make_seller(name="HTX chè Làng Nghề", email="langnghe@example.vn")
        plain = make_seller(name="Hộ chè Bình Thường", email="")
        farmer = make_seller(name="HTX gạo Đồng Xanh", email="gao@example.vn")
        p1 = make_product(seller=star, category=green, name="Chè móc câu Bốn Sao")
        make_certification(p1, stars=4)
        p2 = make_product(seller=rural, category=tea, name="Chè búp Làng Nghề")
        make_rural_industry(p2)
        make_product(seller=plain, category=green, name="Chè xanh Bình Thường")
        make_product(seller=farmer, category=rice, name="Gạo bao thai")
        star_user = make_user(email="chu@bonsao.vn", role="seller", seller=star, name="Chủ HTX Bốn Sao")
        plain_user = make_user(email="chu@binhthuong.vn", role="seller", seller=plain)
        farmer_user = make_user(email="chu@gao.vn", role="seller", seller=farmer)
        buyer = make_user(email="mua@sieuthi.vn", name="Nguyễn Thị Mua")
        db.session.add(BuyerProfile(user_id=buyer.id, buyer_type="supermarket", organisation="Siêu thị Xanh",
                                    city="Hà Nội", phone="0987654321"))
        other_buyer = make_user(email="mua@nhahang.vn", name="Trần Văn Khác")
        db.session.add(BuyerProfile(user_id=other_buyer.id, buyer_type="restaurant", organisation="Nhà hàng Quê",
                                    city="Hải Phòng", phone="0911222333"))
        staff = make_user(email="nv@san.vn", role="staff", name="Nhân viên")
        db.session.commit()
        return {
            "tea": tea.id, "green": green.id, "rice": rice.id,
            "star": star.id, "rural": rural.id, "plain": plain.id, "farmer": farmer.id,
            "star_user": star_user.id, "plain_user": plain_user.id, "farmer_user": farmer_user.id,
            "buyer": buyer.id, "other_buyer": other_buyer.id, "staff": staff.id,
        }


def request_form(world, **overrides) -> dict:
    data = {
        "title": "Chè búp khô loại 1",
        "category_id": str(world["tea"]),
        "quantity": "2000",
        "unit": "kg",
        "frequency": "monthly",
        "delivery_area": "Hà Nội",
        "deadline": (today_vn() + timedelta(days=20)).isoformat(),
        "target_price_vnd": "250000",
        "details": "Đóng túi 500 g, giao kho Long Biên.",
        "buyer_type": "supermarket",
        "organisation": "Siêu thị Xanh",
        "city": "Hà Nội",
        "phone": "0987 654 321",
    }
    data.update(overrides)
    return data
