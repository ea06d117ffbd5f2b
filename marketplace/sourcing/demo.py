"""The sourcing demo: a few dozen realistic requests from four kinds of buyers (a
supermarket, a restaurant, an exporter, a tea shop) in every state, with offers from
the sellers the ranking picks, and the demo seller accounts invited to the open tea
and noodle requests so every demo account can walk the whole loop.

Deterministic (seeded), relative to today; no mail is sent and no product is added.
Running it again replaces the demo requests (those of the demo buyer accounts)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from ..accounts.models import User
from ..catalog.models import Category
from ..extensions import db
from ..sellers.models import Seller
from ..text import VN_TZ, today_vn
from . import matching
from .models import BuyerProfile, SourcingMatch, SourcingOffer, SourcingRequest

DOMAIN = "ocop-demo.example.com"
SEED = 19_2026
# e-mail local part → (buyer type, organisation, city, phone)
BUYERS = {
    "nguoimua": ("supermarket", "Siêu thị Xanh Long Biên (demo)", "Hà Nội", "0987650001"),
    "nhahang": ("restaurant", "Nhà hàng Bếp Việt (demo)", "Đà Nẵng", "0987650002"),
    "xuatkhau": ("exporter", "Công ty CP Xuất khẩu Nông sản Cảng Hải (demo)", "Hải Phòng", "0987650003"),
    "quantra": ("tea_shop", "Quán trà Hương Sen (demo)", "TP. Hồ Chí Minh", "0987650004"),
}
# Demo seller accounts invited to the open requests of these categories.
DEMO_SELLERS = {"Chè (trà)": ("htx-che-hao-dat", "htx-che-an-toan-nguyen-viet"),
                "Miến, bún, phở khô": ("htx-mien-viet-cuong",)}


@dataclass(frozen=True)
class Spec:
    buyer: str
    title: str
    category: str  # child category name (demo.data.CHILD_CATEGORIES)
    quantity: int
    unit: str
    frequency: str
    certs: tuple[str, ...]
    area: str
    price: int | None  # target price per unit
    status: str
    details: str = ""
    offers: int = 0  # offers from the ranked sellers


SPECS = (
    Spec("nguoimua", "Chè búp khô Tân Cương loại 1, túi 200 g", "Chè (trà)", 2000, "kg", "monthly", ("ocop4",),
         "Hà Nội", 380_000, "open", "Giao kho Long Biên hai lần mỗi tháng; có phiếu kiểm nghiệm dư lượng.", 2),
    Spec("nguoimua", "Miến dong đóng gói 500 g cho chuỗi 12 siêu thị", "Miến, bún, phở khô", 1500, "kg", "monthly",
         ("ocop3",), "Hà Nội", 90_000, "open", "Bao bì có mã vạch, hạn dùng từ 12 tháng.", 2),
    Spec("nguoimua", "Mật ong rừng chai 500 ml", "Mật ong", 600, "chai", "monthly", (), "Hà Nội", 180_000,
         "fulfilled", "", 2),
    Spec("nguoimua", "Gạo nếp vải đóng túi 2 kg", "Gạo, nếp", 3000, "kg", "monthly", (), "Hà Nội", 45_000,
         "closed", "", 1),
    Spec("nguoimua", "Măng khô đóng túi 250 g", "Măng, nấm, rau củ khô", 300, "kg", "once", (), "Hà Nội", None,
         "pending", "Hàng phơi nắng, không lưu huỳnh."),
    Spec("nguoimua", "Hộp quà Tết sản phẩm OCOP", "Bánh kẹo, tương, gia vị", 500, "hộp", "once", ("ocop3",),
         "Hà Nội", 450_000, "open", "Giao trước 20 tháng Chạp.", 1),
    Spec("nguoimua", "Chè xanh túi lọc", "Chè (trà)", 200, "hộp", "monthly", (), "Hà Nội", None, "rejected"),
    Spec("nhahang", "Lạp sườn gác bếp", "Thịt, lạp sườn", 200, "kg", "monthly", (), "Đà Nẵng", 320_000, "open",
         "Hút chân không 500 g, giữ lạnh khi giao.", 1),
    Spec("nhahang", "Rượu ngô men lá", "Rượu", 300, "lít", "monthly", (), "Đà Nẵng", 120_000, "open", "", 2),
    Spec("nhahang", "Nấm hương khô", "Măng, nấm, rau củ khô", 100, "kg", "monthly", (), "Đà Nẵng", 420_000,
         "fulfilled", "", 2),
    Spec("nhahang", "Miến dong cho món lẩu", "Miến, bún, phở khô", 400, "kg", "monthly", (), "Đà Nẵng", 85_000,
         "fulfilled", "Sợi dai, không gãy khi nấu lâu.", 3),
    Spec("nhahang", "Chè đinh pha trà đãi khách", "Chè (trà)", 50, "kg", "once", ("ocop4",), "Đà Nẵng", None,
         "closed", "", 1),
    Spec("nhahang", "Bưởi, cam theo mùa", "Trái cây", 1000, "kg", "monthly", (), "Đà Nẵng", 35_000, "pending"),
    Spec("nhahang", "Tương ớt, gia vị dân tộc", "Bánh kẹo, tương, gia vị", 200, "chai", "monthly", (), "Đà Nẵng",
         40_000, "open", "", 1),
    Spec("xuatkhau", "Chè xanh xuất khẩu sang Đài Loan", "Chè (trà)", 20_000, "kg", "once", ("ocop3",),
         "Cảng Hải Phòng", 150_000, "open", "Đạt chỉ tiêu dư lượng thuốc bảo vệ thực vật của Đài Loan.", 3),
    Spec("xuatkhau", "Tinh bột nghệ nguyên chất", "Tinh bột nghệ", 2000, "kg", "once", ("ocop4",),
         "Cảng Hải Phòng", 600_000, "open", "", 1),
    Spec("xuatkhau", "Giỏ, khay mây tre đan xuất khẩu", "Mây tre đan", 5000, "chiếc", "once", (), "Cảng Hải Phòng",
         60_000, "open", "Mẫu theo đơn hàng Nhật Bản; cần xử lý chống mốc."),
    Spec("xuatkhau", "Chè hữu cơ cho thị trường EU", "Chè (trà)", 5000, "kg", "once", ("ocop5",), "Cảng Hải Phòng",
         None, "open", "Cần chứng nhận hữu cơ; mẫu gửi trước 2 tuần."),
    Spec("xuatkhau", "Hồng trà đóng bao 20 kg", "Chè (trà)", 8000, "kg", "once", (), "Cảng Hải Phòng", 130_000,
         "fulfilled", "", 3),
    Spec("xuatkhau", "Gạo bao thai xuất khẩu", "Gạo, nếp", 50_000, "kg", "once", (), "Cảng Hải Phòng", 18_000,
         "closed", "", 0),
    Spec("xuatkhau", "Đồ gỗ mỹ nghệ trang trí", "Đồ gỗ mỹ nghệ", 300, "bộ", "once", (), "Cảng Hải Phòng", None,
         "pending"),
    Spec("quantra", "Chè móc câu Tân Cương", "Chè (trà)", 100, "kg", "monthly", ("ocop4",), "TP. Hồ Chí Minh",
         600_000, "open", "Mỗi tháng hai đợt, đóng túi 1 kg hút chân không.", 2),
    Spec("quantra", "Chè nõn tôm thượng hạng", "Chè (trà)", 30, "kg", "monthly", ("ocop5",), "TP. Hồ Chí Minh",
         1_500_000, "open", "", 1),
    Spec("quantra", "Trà thảo dược hoa cúc, giảo cổ lam", "Trà thảo dược", 50, "kg", "monthly", (),
         "TP. Hồ Chí Minh", 250_000, "open", "", 1),
    Spec("quantra", "Chè đinh cho thực đơn trà cao cấp", "Chè (trà)", 10, "kg", "monthly", ("ocop4",),
         "TP. Hồ Chí Minh", 2_000_000, "fulfilled", "", 2),
    Spec("quantra", "Hoa lan trang trí quán", "Hoa lan", 40, "chậu", "once", (), "TP. Hồ Chí Minh", 350_000,
         "closed", "", 1),
    Spec("quantra", "Bánh cốm, bánh chè lam ăn kèm trà", "Bánh kẹo, tương, gia vị", 200, "hộp", "monthly", (),
         "TP. Hồ Chí Minh", 60_000, "pending"),
    Spec("quantra", "Mật ong hoa nhãn", "Mật ong", 100, "lít", "monthly", (), "TP. Hồ Chí Minh", None, "rejected"),
)
MATCHES = 6
MESSAGES = (
    "Cơ sở có vùng nguyên liệu riêng, giao được hằng tháng.",
    "Hàng vụ mới, có phiếu kiểm nghiệm; hỗ trợ vận chuyển đến kho.",
    "Có thể giao thử một lô nhỏ trước khi ký hợp đồng.",
    "Giá đã gồm bao bì; đơn từ 500 kg giảm thêm 3%.",
)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=VN_TZ).astimezone(timezone.utc)


def _buyers() -> dict[str, User]:
    found = {}
    for local, (kind, organisation, city, phone) in BUYERS.items():
        user = db.session.scalars(sa.select(User).where(User.email == f"{local}@{DOMAIN}")).first()
        if user is None:
            continue
        if db.session.get(BuyerProfile, user.id) is None:
            db.session.add(BuyerProfile(user_id=user.id, buyer_type=kind, organisation=organisation, city=city,
                                        phone=phone))
        found[local] = user
    db.session.flush()
    return found


def seed_sourcing_demo(today: date | None = None) -> int:
    """Replace the demo buyers' requests; returns how many were made. Flushes."""
    today = today or today_vn()
    buyers = _buyers()
    if not buyers:
        return 0
    old = db.session.scalars(sa.select(SourcingRequest).where(
        SourcingRequest.buyer_id.in_([u.id for u in buyers.values()]))).all()
    for item in old:
        db.session.delete(item)
    db.session.flush()
    categories = {c.name: c for c in db.session.scalars(sa.select(Category))}
    demo_sellers = {s.slug: s for s in db.session.scalars(sa.select(Seller).where(
        Seller.slug.in_([slug for slugs in DEMO_SELLERS.values() for slug in slugs])))}
    rng = random.Random(SEED)
    made = 0
    for n, spec in enumerate(SPECS):
        buyer, category = buyers.get(spec.buyer), categories.get(spec.category)
        if buyer is None or category is None:
            continue
        profile = db.session.get(BuyerProfile, buyer.id)
        posted = today - timedelta(days=rng.randint(2, 40))
        deadline = (today - timedelta(days=rng.randint(1, 20)) if spec.status == "closed"
                    else today + timedelta(days=rng.randint(8, 45)))
        item = SourcingRequest(
            buyer_id=buyer.id, title=spec.title, details=spec.details, category_id=category.id,
            quantity=spec.quantity, unit=spec.unit, frequency=spec.frequency, required_certs=list(spec.certs),
            delivery_area=spec.area, deadline=deadline, target_price_vnd=spec.price, status=spec.status,
            buyer_type=profile.buyer_type, buyer_city=profile.city, created_at=_at(posted, 8 + n % 9),
        )
        if spec.status == "rejected":
            item.review_note = "Yêu cầu trùng với một yêu cầu đang mở; vui lòng gộp vào yêu cầu đó."
            item.closed_at = _at(posted + timedelta(days=1), 10)
        db.session.add(item)
        db.session.flush()
        made += 1
        if spec.status in ("pending", "rejected"):
            continue
        item.approved_at = _at(posted + timedelta(days=1), 9)
        qualified = [c.seller for c in matching.candidates(item)]
        ranked = qualified[:MATCHES]
        invited = [demo_sellers[s] for s in DEMO_SELLERS.get(spec.category, ()) if s in demo_sellers
                   and spec.status == "open" and demo_sellers[s] in qualified]
        rank = 0
        for seller in ranked + [s for s in invited if s not in ranked]:
            rank += 1
            db.session.add(SourcingMatch(request=item, seller=seller, rank=rank, score=max(0, 90 - 7 * rank),
                                         source="auto" if seller in ranked else "staff",
                                         notified_at=item.approved_at))
        offering = [s for s in ranked if s.slug not in demo_sellers][:spec.offers]
        for k, seller in enumerate(offering):
            status = "pending"
            if spec.status == "fulfilled":
                status = "accepted" if k == 0 else "declined"
            elif spec.status == "closed":
                status = "declined"
            price = spec.price or 100_000
            created = item.approved_at + timedelta(hours=rng.randint(2, 70))
            db.session.add(SourcingOffer(
                request=item, seller=seller, price_vnd=int(round(price * rng.uniform(0.9, 1.05), -3)) or price,
                quantity=spec.quantity, first_delivery=today + timedelta(days=rng.randint(5, 30)),
                message=MESSAGES[(n + k) % len(MESSAGES)], status=status, created_at=created,
                decided_at=created + timedelta(days=1) if status != "pending" else None,
            ))
        if spec.status in ("fulfilled", "closed"):
            item.closed_at = _at(min(today, posted + timedelta(days=rng.randint(5, 12))), 15)
    db.session.flush()
    return made



