"""The small catalog of the browser and real-server tests: five categories, two sellers of
Thái Nguyên, eight public products (seven with photos, one with two; OCOP stars and
rural-industry marks on some) and one draft. ``build_catalog()`` runs in an app context
(``Site.build``) and returns the public products' slugs and the first seller's."""
from __future__ import annotations

from PIL import Image, ImageDraw

from marketplace.extensions import db


def _photo(color: tuple[int, int, int], size=(1200, 900)) -> Image.Image:
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=(250, 245, 230))
    return image


def build_catalog() -> dict:
    from marketplace.catalog.models import ProductPhoto
    from marketplace.media import get_storage
    from marketplace.media.images import store_renditions
    from tests.factories import (
        make_area,
        make_category,
        make_certification,
        make_product,
        make_rural_industry,
        make_seller,
    )

    food = make_category(name="Thực phẩm", slug="thuc-pham", ocop_group="thuc-pham", position=1, name_en="Food")
    tea = make_category(name="Chè", slug="che", parent=food, ocop_group="thuc-pham", name_en="Tea")
    drinks = make_category(name="Đồ uống", slug="do-uong", ocop_group="do-uong", position=2, name_en="Beverages")
    herbs = make_category(name="Dược liệu và sản phẩm từ dược liệu", slug="duoc-lieu", ocop_group="duoc-lieu", position=3)
    crafts = make_category(name="Hàng thủ công mỹ nghệ", slug="thu-cong-my-nghe", ocop_group="thu-cong-my-nghe", position=4)
    province = make_area(name="tỉnh Thái Nguyên", kind="province")
    tan_cuong = make_area(name="xã Tân Cương", parent=province)
    dong_hy = make_area(name="xã Đồng Hỷ", parent=province)
    tea_coop = make_seller(name="Hợp tác xã Chè Đặc sản Tân Cương Hoàng Bình", area=tan_cuong, verified=True,
                           story="Ba thế hệ gắn bó với cây chè Tân Cương.")
    honey_house = make_seller(name="Cơ sở Mật ong Đồng Hỷ", area=dong_hy, kind="household")
    storage = get_storage()
    specs = [
        ("Chè móc câu Tân Cương đặc biệt hộp thiếc 200 g", tea_coop, tea, 150_000, 5, (70, 120, 50)),
        ("Chè búp Tân Cương loại 1", tea_coop, tea, 220_000, 4, (90, 140, 60)),
        ("Chè nõn tôm thượng hạng", tea_coop, tea, 450_000, 5, (60, 100, 40)),
        ("Mật ong rừng nguyên chất Đồng Hỷ chai 500 ml", honey_house, drinks, 180_000, 4, (200, 150, 40)),
        ("Rượu chuối hột", honey_house, drinks, 120_000, 3, (160, 110, 60)),
        ("Cao chè dây", honey_house, herbs, 95_000, None, (100, 80, 60)),
        ("Giỏ mây tre đan thủ công", tea_coop, crafts, 65_000, 3, (180, 140, 90)),
        ("Bộ ấm chén gốm men lam", tea_coop, crafts, 1_250_000, None, (40, 80, 160)),
    ]
    slugs = []
    for i, (name, seller, cat, price, stars, color) in enumerate(specs):
        product = make_product(name=name, seller=seller, category=cat, price_vnd=price,
                               description=f"{name}: sản phẩm đặc trưng của Thái Nguyên.")
        if i != 5:  # one product without photo: the placeholder
            key, w, h = store_renditions(storage, _photo(color))
            db.session.add(ProductPhoto(product=product, key=key, width=w, height=h, alt=name))
        if i == 0:  # a second photo for the gallery
            key2, w2, h2 = store_renditions(storage, _photo((150, 60, 40), size=(900, 1200)))
            db.session.add(ProductPhoto(product=product, key=key2, width=w2, height=h2, alt="Hộp thiếc", position=1))
        if stars:
            make_certification(product, stars=stars)
        if i in (0, 6):
            make_rural_industry(product, level="province", year=2023)
        slugs.append(product.slug)
    make_product(name="Chè nháp chưa đăng", seller=tea_coop, category=tea, status="draft")
    db.session.commit()
    return {"products": slugs, "seller": tea_coop.slug}
