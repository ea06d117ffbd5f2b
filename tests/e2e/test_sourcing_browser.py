"""A sourcing request's whole loop in a real Chromium against the app served as
``make run`` serves it (gunicorn workers, CSRF on): the buyer posts on a 360 px phone,
staff approve on a desktop, the matching seller gets the mail (the file mailer's
.eml: delivery is the one thing faked), follows its link and offers, and the buyer
accepts and then sees the seller's contact details."""
from __future__ import annotations

import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import pytest

from marketplace.extensions import db
from marketplace.text import today_vn
from tests.e2e.conftest import fits_and_clean, screenshot, serve

pytestmark = pytest.mark.e2e

SELLER_MAIL = "htx-hoang-binh@example.vn"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from marketplace.sellers.models import Seller
    from tests.factories import make_user

    def prepare(data):
        tea_coop = db.session.scalars(db.select(Seller).where(Seller.slug == data["seller"])).one()
        tea_coop.email = SELLER_MAIL
        tea_coop.phone = "0208 3855 123"
        for other in db.session.scalars(db.select(Seller).where(Seller.id != tea_coop.id)):
            other.email = f"{other.slug}@example.vn"
        make_user(email="chu-htx@example.vn", password="mat-khau-123", role="seller", seller_id=tea_coop.id)
        make_user(email="mua@sieuthi.vn", password="mat-khau-123", name="Nguyễn Thị Mua")
        make_user(email="nv@san.vn", password="mat-khau-123", role="staff", name="Nhân viên")
        db.session.commit()

    with serve(tmp_path_factory.mktemp("sourcing-e2e"), prepare=prepare) as info:
        yield info


def log_in(page, url: str, email: str, next_path: str) -> None:
    page.goto(f"{url}/dang-nhap?next={next_path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "mat-khau-123")
    page.click("form button[type=submit]:has-text('Đăng nhập')")
    page.wait_for_url(f"**{next_path}")


def invitations(site, to: str) -> list:
    parser = BytesParser(policy=policy.default)
    found = []
    for path in sorted((site.folder / "mail").glob("*.eml")):
        message = parser.parsebytes(path.read_bytes())
        if message["To"] == to and "Người mua đang tìm nguồn hàng" in message["Subject"]:
            found.append(message.get_content())
    return found


def test_buyer_posts_staff_approve_seller_offers_buyer_accepts(server, phone, browser):
    url, site = server["url"], server["site"]

    # The buyer posts on a phone (the form also asks who the buyer is, once).
    log_in(phone, url, "mua@sieuthi.vn", "/tim-nguon-hang/moi")
    fits_and_clean(phone)
    phone.fill("#title", "Chè búp Tân Cương cho chuỗi siêu thị")
    phone.select_option("#category_id", label="Thực phẩm › Chè")
    phone.fill("#quantity", "500")
    phone.fill("#unit", "kg")
    phone.check("input[name=frequency][value=monthly]")
    phone.fill("#delivery_area", "Hà Nội")
    phone.fill("#deadline", (today_vn() - timedelta(days=1)).isoformat())
    phone.fill("#target_price_vnd", "250000")
    phone.select_option("#buyer_type", "supermarket")
    phone.fill("#organisation", "Siêu thị Xanh Long Biên")
    phone.fill("#city", "Hà Nội")
    phone.fill("#phone", "0987 654 321")
    phone.click("button:has-text('Gửi yêu cầu')")
    assert phone.locator("text=Hạn nhận chào hàng đã qua").is_visible()  # refused, nothing lost
    assert phone.locator("#title").input_value() == "Chè búp Tân Cương cho chuỗi siêu thị"
    fits_and_clean(phone)
    phone.fill("#deadline", (today_vn() + timedelta(days=14)).isoformat())
    phone.click("button:has-text('Gửi yêu cầu')")
    phone.wait_for_url(re.compile(r".*/tim-nguon-hang/cua-toi/\d+$"))
    request_id = int(phone.url.rsplit("/", 1)[1])
    assert phone.locator("text=Chờ duyệt").first.is_visible()
    fits_and_clean(phone)
    screenshot(phone, "phone-sourcing-posted")

    # Not on the public board before staff approve it.
    anonymous = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    board = anonymous.new_page()
    board.goto(f"{url}/tim-nguon-hang")
    assert board.locator("text=Chè búp Tân Cương cho chuỗi siêu thị").count() == 0

    # Staff approve on a desktop: the tea cooperative is matched and mailed.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    staff = staff_context.new_page()
    log_in(staff, url, "nv@san.vn", "/nhan-vien/tim-nguon-hang/")
    staff.click("text=Chè búp Tân Cương cho chuỗi siêu thị")
    staff.click("button:has-text('Duyệt và thông báo cơ sở phù hợp')")
    assert staff.locator("text=Đã duyệt yêu cầu").is_visible()
    assert staff.locator(".src-matches >> text=Hợp tác xã Chè Đặc sản Tân Cương Hoàng Bình").is_visible()
    staff_context.close()

    # The public board shows the request with the buyer type only.
    board.goto(f"{url}/tim-nguon-hang")
    card = board.locator(".src-card", has_text="Chè búp Tân Cương cho chuỗi siêu thị")
    assert "siêu thị tại Hà Nội" in card.inner_text()
    page_text = board.content()
    assert "0987" not in page_text and "mua@sieuthi.vn" not in page_text and "Long Biên" not in page_text
    assert board.evaluate("document.documentElement.scrollWidth") <= 360
    anonymous.close()

    # The seller follows the link in its mail, logs in and offers.
    mails = invitations(site, SELLER_MAIL)
    assert len(mails) == 1 and "siêu thị tại Hà Nội" in mails[0] and "0987" not in mails[0]
    link = re.search(r"https?://\S+/dashboard/tim-nguon-hang/\d+", mails[0]).group(0)
    assert link.endswith(f"/dashboard/tim-nguon-hang/{request_id}")
    seller_context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="vi-VN")
    seller = seller_context.new_page()
    log_in(seller, url, "chu-htx@example.vn", f"/dashboard/tim-nguon-hang/{request_id}")
    seller.fill("#price_vnd", "240000")
    seller.fill("#quantity", "500")
    seller.fill("#first_delivery", (today_vn() + timedelta(days=7)).isoformat())
    seller.fill("#message", "Chè vụ xuân, đóng túi 500 g.")
    seller.click("button:has-text('Gửi chào hàng')")
    assert seller.locator("text=Đã gửi chào hàng").first.is_visible()
    assert seller.locator("text=mua@sieuthi.vn").count() == 0  # no contact before acceptance
    screenshot(seller, "phone-sourcing-offer")

    # The buyer sees the offer, accepts it and then sees the seller's contact.
    phone.goto(f"{url}/tim-nguon-hang/cua-toi/{request_id}")
    offer = phone.locator(".src-offer", has_text="Hợp tác xã Chè Đặc sản Tân Cương Hoàng Bình")
    assert "240.000 ₫" in offer.inner_text()
    assert phone.locator(f"text={SELLER_MAIL}").count() == 0
    offer.locator("button:has-text('Nhận chào hàng')").click()
    assert phone.locator("text=Đã nhận chào hàng").first.is_visible()
    contact = phone.locator(".src-contact")
    assert SELLER_MAIL in contact.inner_text() and "0208 3855 123" in contact.inner_text()
    fits_and_clean(phone)
    screenshot(phone, "phone-sourcing-accepted")

    # … and the seller now sees the buyer's.
    seller.goto(f"{url}/dashboard/tim-nguon-hang/{request_id}")
    contact = seller.locator(".src-contact").inner_text()
    assert "mua@sieuthi.vn" in contact and "0987 654 321" in contact and "Siêu thị Xanh Long Biên" in contact
    seller_context.close()
