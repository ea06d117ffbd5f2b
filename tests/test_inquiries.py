"""Order inquiries: product form, cart to several sellers, confirmation, seller inbox.

Real database, real mailer writing .eml files into the test's tmp folder, Flask test
client. Sign-in goes through Flask-Login's session key (the login page is another
feature's), so these tests don't depend on it.
"""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import sqlalchemy as sa
from flask import g, render_template, render_template_string

from auth import is_login_redirect
from auth import log_in as login
from marketplace.extensions import db
from marketplace.inquiries.models import Inquiry, InquiryItem, InquiryStatusChange
from marketplace.inquiries.services import new_reference, normalise_phone
from tests.factories import make_product, make_seller, make_user

BUYER = {
    "name": "Nguyễn Thị Hoa",
    "phone": "0912 345 678",
    "email": "",
    "message": "Cho tôi xin báo giá sỉ.",
    "quantity": "20",
}


# --- helpers ----------------------------------------------------------------------

def mails(app) -> list:
    folder = Path(app.config["MAIL_FOLDER"])
    if not folder.exists():
        return []
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def mails_to(app, address: str) -> list:
    return [m for m in mails(app) if m["To"] == address]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))



def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def catalog(ctx):
    """Two approved sellers with email; seller A has two products, B one; plus
    products that are not public (draft; approved seller pending)."""
    a = make_seller(name="HTX Chè Tân Cương", email="htx-tancuong@example.vn", phone="0208 3855 123")
    b = make_seller(name="Cơ sở Mật ong Bạch Thông", email="matong@example.vn")
    pending = make_seller(name="HTX Chờ Duyệt", status="pending", email="cho@example.vn")
    products = {
        "tea": make_product(seller=a, name="Chè móc câu Tân Cương", unit="hộp 200 g", price_vnd=180_000),
        "tea2": make_product(seller=a, name="Chè búp đặc biệt", unit="gói 500 g"),
        "honey": make_product(seller=b, name="Mật ong hoa rừng", unit="chai 500 ml"),
        "draft": make_product(seller=a, name="Chè nháp", status="draft"),
        "hidden": make_product(seller=pending, name="Miến dong chờ duyệt"),
    }
    owner_a = make_user(email="chu-a@example.vn", role="seller", seller_id=a.id, name="Chủ HTX A")
    owner_b = make_user(email="chu-b@example.vn", role="seller", seller_id=b.id)
    buyer = make_user(email="nguoimua@example.vn", role="buyer", name="Người Mua")
    db.session.commit()
    return {"a": a, "b": b, "owner_a": owner_a, "owner_b": owner_b, "buyer": buyer, **products}


def send_product_inquiry(client, product, **overrides):
    return client.post(f"/hoi-hang/{product.slug}", data={**BUYER, **overrides})


# --- phone numbers ----------------------------------------------------------------

@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("091-234-5678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("84912345678", "0912345678"),
        ("+84 (0) 912 345 678", "0912345678"),
        ("0386 123 456", "0386123456"),
        ("0708123456", "0708123456"),
        ("0562123456", "0562123456"),
        ("0208 3855 123", "02083855123"),
        ("(0208) 3855.123", "02083855123"),
        ("+84 208 3855 123", "02083855123"),
        ("842083855123", "02083855123"),
    ],
)
def test_vietnamese_phone_formats_are_normalised(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "12345", "0112345678", "0412345678", "091234567", "09123456789", "0208385512",
     "+1 912 345 678", "+8491234567", "0912a45678", "０９１２３４５６７８", "0912_345_678"],
)
def test_invalid_phone_numbers_are_rejected(raw):
    assert normalise_phone(raw) is None


@given(
    prefix=st.sampled_from(["0", "+84", "84", "+84 ", "(+84) "]),
    body=st.from_regex(r"[35789][0-9]{8}|2[0-9]{9}", fullmatch=True),
    separators=st.lists(st.sampled_from(["", "", " ", ".", "-"]), min_size=10, max_size=10),
)
def test_any_formatting_of_a_valid_number_normalises_to_the_same_digits(prefix, body, separators):
    raw = prefix + "".join(digit + sep for digit, sep in zip(body, separators))
    assert normalise_phone(raw) == "0" + body


@given(st.text(max_size=20))
def test_normalised_phone_is_always_a_valid_shape(raw):
    result = normalise_phone(raw)
    assert result is None or re.fullmatch(r"0[35789][0-9]{8}|02[0-9]{9}", result)


def test_references_are_unguessable_and_distinct():
    refs = {new_reference() for _ in range(500)}
    assert len(refs) == 500
    assert all(re.fullmatch(r"HH-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", r) for r in refs)


# --- one product ------------------------------------------------------------------

def test_product_inquiry_saves_mails_seller_and_confirms(client, app, catalog):
    tea = catalog["tea"]
    response = send_product_inquiry(client, tea, phone="+84 912.345.678", email="hoa@example.com")
    assert response.status_code == 302
    assert "/hoi-hang/da-gui/" in response.location

    inquiry = db.session.scalars(sa.select(Inquiry)).one()
    assert inquiry.seller_id == catalog["a"].id
    assert inquiry.phone == "0912345678"  # normalised for storage
    assert inquiry.status == "new"
    assert [(i.product_id, i.quantity, i.product_name, i.unit) for i in inquiry.items] == [
        (tea.id, 20, "Chè móc câu Tân Cương", "hộp 200 g")
    ]

    seller_mails = mails_to(app, "htx-tancuong@example.vn")
    assert len(seller_mails) == 1
    body = seller_mails[0].get_content()
    assert inquiry.reference in seller_mails[0]["Subject"]
    assert "Nguyễn Thị Hoa" in body and "0912 345 678" in body and "Chè móc câu Tân Cương" in body
    assert "Cho tôi xin báo giá sỉ." in body
    assert f"/dashboard/hoi-hang/{inquiry.id}" in body
    # An anonymous buyer's typed address gets no copy (see tests/security/test_inquiry_copy.py).
    assert len(mails_to(app, "hoa@example.com")) == 0

    page = client.get(response.location)
    assert page.status_code == 200
    html = text(page)
    assert inquiry.reference in html
    assert "HTX Chè Tân Cương" in html and "Chè móc câu Tân Cương" in html
    assert "0912 345 678" in html


def test_signed_in_buyer_is_recorded_and_gets_the_copy_at_the_account_address(client, app, catalog):
    login(client, catalog["buyer"])
    form_page = client.get(f"/hoi-hang/{catalog['tea'].slug}")
    assert 'value="nguoimua@example.vn"' in text(form_page)  # prefilled from the account
    assert send_product_inquiry(client, catalog["tea"]).status_code == 302
    assert sorted(m["To"] for m in mails(app)) == ["htx-tancuong@example.vn", "nguoimua@example.vn"]
    assert db.session.scalars(sa.select(Inquiry)).one().user_id == catalog["buyer"].id


def test_inquiry_form_page_and_product_partial(client, app, catalog):
    response = client.get(f"/hoi-hang/{catalog['tea'].slug}")
    assert response.status_code == 200
    html = text(response)
    assert "Gửi yêu cầu hỏi hàng" in html and "Số điện thoại" in html
    assert 'class="hp-field"' in html and 'name="website"' in html
    assert "style=" not in html and "<script>" not in html

    with app.test_request_context("/san-pham/x"):
        partial = render_template_string(
            '{% include "inquiries/_product_inquiry.html" %}', product=catalog["tea"]
        )
    assert f'action="/hoi-hang/{catalog["tea"].slug}"' in partial
    assert f'action="/gio-hoi-hang/them/{catalog["tea"].slug}"' in partial
    assert "Thêm vào giỏ hỏi hàng" in partial
    assert "style=" not in partial


def test_product_page_includes_the_inquiry_form(client, catalog):
    response = client.get(f"/san-pham/{catalog['tea'].slug}")
    assert response.status_code == 200
    assert f'action="/hoi-hang/{catalog["tea"].slug}"' in text(response)


def _form_controls(html: str) -> list[str]:
    """The inquiry form's controls (tag, attributes sorted), the CSRF token left out
    (tests run with CSRF off, where WTForms leaves it out)."""
    form = re.search(r'<form[^>]*class="inq-form".*?</form>', html, re.S).group(0)
    controls = []
    for tag, attrs in re.findall(r"<(input|textarea)([^>]*)>", form):
        pairs = sorted(re.findall(r'([\w-]+)(?:="([^"]*)")?', attrs))
        if ("name", "csrf_token") not in pairs:
            controls.append(tag + " " + " ".join(f"{k}={v}" for k, v in pairs))
    return controls


def test_product_page_box_has_the_inquiry_forms_fields_limits_and_prefill(client, catalog):
    """The product page shows plain markup (no WTForms rendering on every product view):
    same controls, limits and account prefill as the WTForms form of the inquiry page."""
    slug = catalog["tea"].slug
    for signed_in in (False, True):
        if signed_in:
            login(client, catalog["buyer"])
        product_page = text(client.get(f"/san-pham/{slug}"))
        form_page = text(client.get(f"/hoi-hang/{slug}"))
        assert _form_controls(product_page) == _form_controls(form_page)
        assert ('value="nguoimua@example.vn"' in product_page) is signed_in
    assert any("maxlength=100" in c and "name=name" in c for c in _form_controls(product_page))


@pytest.mark.parametrize(
    "overrides, field_message",
    [
        ({"phone": "12345"}, "Số điện thoại không hợp lệ"),
        ({"phone": ""}, "Số điện thoại không hợp lệ"),
        ({"name": "A"}, "Họ tên cần từ 2 đến 100 ký tự"),
        ({"name": "x" * 101}, "Họ tên cần từ 2 đến 100 ký tự"),
        ({"email": "khong-phai-email"}, "Địa chỉ email không hợp lệ"),
        ({"quantity": "0"}, "Số lượng phải là số nguyên từ 1 đến 100.000"),
        ({"quantity": "100001"}, "Số lượng phải là số nguyên từ 1 đến 100.000"),
        ({"quantity": "mười"}, "Số lượng phải là số nguyên từ 1 đến 100.000"),
        ({"quantity": ""}, "Vui lòng nhập số lượng"),
        ({"message": "x" * 2001}, "Lời nhắn tối đa 2.000 ký tự"),
    ],
)
def test_invalid_input_shows_vietnamese_message_and_saves_nothing(client, app, catalog, overrides, field_message):
    response = send_product_inquiry(client, catalog["tea"], **overrides)
    assert response.status_code == 400
    html = text(response)
    assert field_message in html
    assert "Chưa gửi được" in html
    # What the buyer typed is still there.
    if "message" not in overrides:
        assert "Cho tôi xin báo giá sỉ." in html
    if "name" not in overrides:
        assert 'value="Nguyễn Thị Hoa"' in html
    assert count(Inquiry) == 0 and count(InquiryItem) == 0
    assert mails(app) == []


def test_quantity_accepts_thousands_separator(client, catalog):
    assert send_product_inquiry(client, catalog["tea"], quantity="1.000").status_code == 302
    assert db.session.scalars(sa.select(InquiryItem.quantity)).one() == 1000


def test_limits_are_inclusive(client, catalog):
    response = send_product_inquiry(client, catalog["tea"], name="An", quantity="100000", message="x" * 2000)
    assert response.status_code == 302
    assert db.session.scalars(sa.select(InquiryItem.quantity)).one() == 100_000


def test_honeypot_pretends_success_but_stores_and_sends_nothing(client, app, catalog):
    response = send_product_inquiry(client, catalog["tea"], website="http://spam.example")
    assert response.status_code == 200
    html = text(response)
    assert "Đã gửi yêu cầu hỏi hàng" in html and "HH-" in html
    assert count(Inquiry) == 0 and mails(app) == []


@pytest.mark.parametrize("key", ["draft", "hidden"])
def test_non_public_products_cannot_be_asked_about(client, app, catalog, key):
    slug = catalog[key].slug
    assert client.get(f"/hoi-hang/{slug}").status_code == 404
    assert send_product_inquiry(client, catalog[key]).status_code == 404
    assert client.post(f"/gio-hoi-hang/them/{slug}").status_code == 404
    assert client.get("/hoi-hang/khong-co-san-pham-nay").status_code == 404
    assert count(Inquiry) == 0 and mails(app) == []


def test_rate_limit_gives_429_in_vietnamese_after_five(client, app, catalog):
    app.config["RATELIMIT_ENABLED"] = True
    for _ in range(5):
        assert send_product_inquiry(client, catalog["tea"]).status_code == 302
    response = send_product_inquiry(client, catalog["tea"])
    assert response.status_code == 429
    assert "Bạn đã gửi quá nhiều yêu cầu" in text(response)
    client.post(f"/gio-hoi-hang/them/{catalog['honey'].slug}")
    assert client.post("/gio-hoi-hang/gui", data={**BUYER, "lines-0-product_id": catalog["honey"].id,
                                                  "lines-0-quantity": "1"}).status_code == 429
    assert count(Inquiry) == 5


def test_csrf_enforced_post_without_token_fails_and_saves_nothing(client, app, catalog):
    app.config["WTF_CSRF_ENABLED"] = True
    tea = catalog["tea"]
    response = send_product_inquiry(client, tea)
    assert response.status_code == 400
    assert client.post(f"/gio-hoi-hang/them/{tea.slug}").status_code == 400
    assert count(Inquiry) == 0 and mails(app) == []

    # With the token from the page, the same submission goes through.
    page = text(client.get(f"/hoi-hang/{tea.slug}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert send_product_inquiry(client, tea, csrf_token=token).status_code == 302
    assert count(Inquiry) == 1


def test_mail_outage_does_not_lose_the_inquiry(app_config, tmp_path, catalog):
    """A real SMTP connection to a closed local port: the inquiry is saved anyway."""
    from marketplace import create_app

    smtp_app = create_app({**app_config, "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 1})
    try:
        # The request pushes (and tears down) its own app context of smtp_app.
        response = smtp_app.test_client().post(f"/hoi-hang/{catalog['tea'].slug}", data=BUYER)
    finally:
        with smtp_app.app_context():
            db.engine.dispose()
    assert response.status_code == 302
    assert count(Inquiry) == 1


def test_seller_without_email_is_skipped(client, app, catalog, caplog):
    catalog["b"].email = ""
    db.session.commit()
    with caplog.at_level("INFO", logger="marketplace.inquiries.services"):
        assert send_product_inquiry(client, catalog["honey"]).status_code == 302
    assert count(Inquiry) == 1 and mails(app) == []
    assert "has no email" in caplog.text


# --- the cart ---------------------------------------------------------------------

def cart_form(lines: list[tuple[int, int | str]], **contact) -> dict:
    data = {**BUYER, **contact}
    data.pop("quantity")
    for i, (pid, qty) in enumerate(lines):
        data[f"lines-{i}-product_id"] = str(pid)
        data[f"lines-{i}-quantity"] = str(qty)
    return data


def test_cart_to_two_sellers_makes_two_inquiries_one_reference(client, app, catalog):
    tea, tea2, honey = catalog["tea"], catalog["tea2"], catalog["honey"]
    for product in (tea, tea2, honey):
        assert client.post(f"/gio-hoi-hang/them/{product.slug}").status_code == 302
    client.post(f"/gio-hoi-hang/them/{tea.slug}", data={"quantity": "4"})  # adds to the line

    page = client.get("/gio-hoi-hang")
    html = text(page)
    assert page.status_code == 200
    for name in ("Chè móc câu Tân Cương", "Chè búp đặc biệt", "Mật ong hoa rừng"):
        assert name in html
    assert 'name="lines-0-quantity" type="number" value="5"' in html
    for path in ("/gio-hoi-hang", "/", "/"):  # the header's count, on a cached page too
        assert "Giỏ hỏi hàng (<span class=\"nav-cart__count\">3</span>)" in text(client.get(path))

    response = client.post("/gio-hoi-hang/gui", data=cart_form(
        [(tea.id, 5), (tea2.id, 2), (honey.id, 12)], email="hoa@example.com"))
    assert response.status_code == 302

    inquiries = db.session.scalars(sa.select(Inquiry).order_by(Inquiry.seller_id)).all()
    assert len(inquiries) == 2
    assert len({i.reference for i in inquiries}) == 1
    by_seller = {i.seller_id: {it.product_id: it.quantity for it in i.items} for i in inquiries}
    assert by_seller == {catalog["a"].id: {tea.id: 5, tea2.id: 2}, catalog["b"].id: {honey.id: 12}}

    mail_a = mails_to(app, "htx-tancuong@example.vn")
    mail_b = mails_to(app, "matong@example.vn")
    assert len(mail_a) == 1 and len(mail_b) == 1
    # Each seller sees only its own part.
    assert "Mật ong hoa rừng" not in mail_a[0].get_content()
    assert "Chè móc câu" not in mail_b[0].get_content()
    assert mails_to(app, "hoa@example.com") == []  # anonymous: no copy to a typed address

    confirmation = text(client.get(response.location))
    assert inquiries[0].reference in confirmation
    assert "HTX Chè Tân Cương" in confirmation and "Cơ sở Mật ong Bạch Thông" in confirmation
    # The cart is empty afterwards.
    assert "Giỏ hỏi hàng đang trống" in text(client.get("/gio-hoi-hang"))


def test_cart_update_and_remove(client, catalog):
    tea, honey = catalog["tea"], catalog["honey"]
    client.post(f"/gio-hoi-hang/them/{tea.slug}")
    client.post(f"/gio-hoi-hang/them/{honey.slug}")
    response = client.post("/gio-hoi-hang/cap-nhat", data=cart_form([(tea.id, 7), (honey.id, 3)]))
    assert response.status_code == 302
    html = text(client.get("/gio-hoi-hang"))
    assert 'name="lines-0-quantity" type="number" value="7"' in html

    bad = client.post("/gio-hoi-hang/cap-nhat", data=cart_form([(tea.id, "abc"), (honey.id, 3)]))
    assert bad.status_code == 400 and "Số lượng phải là số nguyên" in text(bad)
    assert 'value="7"' in text(client.get("/gio-hoi-hang"))  # unchanged

    assert client.post(f"/gio-hoi-hang/xoa/{tea.id}", data=cart_form([])).status_code == 302
    html = text(client.get("/gio-hoi-hang"))
    assert "Chè móc câu Tân Cương" not in html and "Mật ong hoa rừng" in html

    client.post("/gio-hoi-hang/cap-nhat", data=cart_form([(honey.id, 0)]))  # 0 removes
    assert "Giỏ hỏi hàng đang trống" in text(client.get("/gio-hoi-hang"))


def test_failed_cart_submission_saves_nothing_and_keeps_the_cart(client, app, catalog):
    tea, honey = catalog["tea"], catalog["honey"]
    client.post(f"/gio-hoi-hang/them/{tea.slug}")
    client.post(f"/gio-hoi-hang/them/{honey.slug}")

    response = client.post("/gio-hoi-hang/gui", data=cart_form([(tea.id, 1), (honey.id, 1)], phone="0123"))
    assert response.status_code == 400
    assert "Số điện thoại không hợp lệ" in text(response)
    assert count(Inquiry) == 0 and mails(app) == []

    # A product withdrawn meanwhile: nothing is sent to anyone, the buyer is told.
    honey.status = "archived"
    db.session.commit()
    response = client.post("/gio-hoi-hang/gui", data=cart_form([(tea.id, 1), (honey.id, 1)]))
    assert response.status_code == 400
    assert "không còn được bán" in text(response)
    assert count(Inquiry) == 0 and count(InquiryItem) == 0 and mails(app) == []
    html = text(client.get("/gio-hoi-hang"))
    assert "Chè móc câu Tân Cương" in html and "Mật ong hoa rừng" not in html

    assert client.post("/gio-hoi-hang/gui", data=cart_form([(tea.id, 1)])).status_code == 302
    assert count(Inquiry) == 1


def test_empty_cart_submission_is_refused(client, catalog):
    response = client.post("/gio-hoi-hang/gui", data=cart_form([]))
    assert response.status_code == 400
    assert "Chưa có sản phẩm nào để hỏi hàng" in text(response)
    assert count(Inquiry) == 0


def test_cart_honeypot_stores_nothing(client, app, catalog):
    client.post(f"/gio-hoi-hang/them/{catalog['tea'].slug}")
    response = client.post("/gio-hoi-hang/gui", data=cart_form([(catalog["tea"].id, 1)], website="x"))
    assert response.status_code == 200 and "Đã gửi yêu cầu hỏi hàng" in text(response)
    assert count(Inquiry) == 0 and mails(app) == []


def test_cart_lives_in_the_signed_cookie_not_server_memory(app, catalog):
    """A second app instance (another process) with the same secret sees the cart."""
    from marketplace import create_app

    first = app.test_client()
    first.post(f"/gio-hoi-hang/them/{catalog['honey'].slug}")
    cookie = first.get_cookie("session")
    other_app = create_app(dict(app.config))
    other = other_app.test_client()
    other.set_cookie("session", cookie.value)
    try:
        assert "Mật ong hoa rừng" in text(other.get("/gio-hoi-hang"))
    finally:
        with other_app.app_context():
            db.engine.dispose()


def test_confirmation_is_visible_only_to_the_sender(client, app, catalog):
    response = send_product_inquiry(client, catalog["tea"])
    url = response.location
    assert client.get(url).status_code == 200
    stranger = app.test_client()
    assert stranger.get(url).status_code == 404
    assert stranger.get("/hoi-hang/da-gui/HH-AAAA-BBBB-CCCC").status_code == 404


# --- the seller's inbox -----------------------------------------------------------

def make_inquiries(client, catalog) -> tuple[Inquiry, Inquiry]:
    send_product_inquiry(client, catalog["tea"], name="Khách Chè")
    send_product_inquiry(client, catalog["honey"], name="Khách Mật Ong")
    a = db.session.scalars(sa.select(Inquiry).where(Inquiry.seller_id == catalog["a"].id)).one()
    b = db.session.scalars(sa.select(Inquiry).where(Inquiry.seller_id == catalog["b"].id)).one()
    return a, b


def test_inbox_shows_only_own_inquiries(client, app, catalog):
    mine, theirs = make_inquiries(client, catalog)
    login(client, catalog["owner_a"])
    response = client.get("/dashboard/hoi-hang")
    assert response.status_code == 200
    html = text(response)
    assert "Khách Chè" in html and "Khách Mật Ong" not in html
    assert "1 yêu cầu mới" in html
    assert f"/dashboard/hoi-hang/{mine.id}" in html and f"/dashboard/hoi-hang/{theirs.id}" not in html


def test_inbox_lists_newest_first_and_filters_by_status(client, catalog):
    for name in ("Khách Một", "Khách Hai", "Khách Ba"):
        send_product_inquiry(client, catalog["tea"], name=name)
    first = db.session.scalars(sa.select(Inquiry).where(Inquiry.name == "Khách Một")).one()
    login(client, catalog["owner_a"])
    html = text(client.get("/dashboard/hoi-hang"))
    assert html.index("Khách Ba") < html.index("Khách Hai") < html.index("Khách Một")

    client.post(f"/dashboard/hoi-hang/{first.id}", data={"status": "closed"})
    for junk in ("?trang=99999999999999999999999", "?trang=-5", "?trang=abc", "?trang-thai=%00"):
        assert client.get(f"/dashboard/hoi-hang{junk}").status_code == 200
    closed = text(client.get("/dashboard/hoi-hang?trang-thai=closed"))
    assert "Khách Một" in closed and "Khách Hai" not in closed
    new = text(client.get("/dashboard/hoi-hang?trang-thai=new"))
    assert "Khách Một" not in new and "Khách Hai" in new and "2 yêu cầu mới" in new


def test_status_changes_are_recorded_with_time(client, catalog):
    mine, _theirs = make_inquiries(client, catalog)
    login(client, catalog["owner_a"])
    detail = text(client.get(f"/dashboard/hoi-hang/{mine.id}"))
    assert "Khách Chè" in detail and "0912 345 678" in detail and 'href="tel:0912345678"' in detail

    response = client.post(f"/dashboard/hoi-hang/{mine.id}", data={"status": "contacted"})
    assert response.status_code == 302
    client.post(f"/dashboard/hoi-hang/{mine.id}", data={"status": "closed"})
    client.post(f"/dashboard/hoi-hang/{mine.id}", data={"status": "new"})  # any change allowed

    db.session.expire_all()
    inquiry = db.session.get(Inquiry, mine.id)
    assert inquiry.status == "new"
    assert inquiry.status_changed_at is not None
    history = [(c.from_status, c.to_status, c.changed_by_id) for c in inquiry.status_changes]
    owner_id = catalog["owner_a"].id
    assert history == [("new", "contacted", owner_id), ("contacted", "closed", owner_id), ("closed", "new", owner_id)]
    page = text(client.get(f"/dashboard/hoi-hang/{mine.id}"))
    assert "Lịch sử" in page and "Đã liên hệ → Đã đóng" in page


def test_invalid_status_changes_nothing(client, catalog):
    mine, _ = make_inquiries(client, catalog)
    login(client, catalog["owner_a"])
    response = client.post(f"/dashboard/hoi-hang/{mine.id}", data={"status": "deleted"}, follow_redirects=True)
    assert "Trạng thái không hợp lệ" in text(response)
    db.session.expire_all()
    assert db.session.get(Inquiry, mine.id).status == "new"
    assert count(InquiryStatusChange) == 0


def test_another_sellers_inquiry_is_404(client, catalog):
    _mine, theirs = make_inquiries(client, catalog)
    login(client, catalog["owner_a"])
    assert client.get(f"/dashboard/hoi-hang/{theirs.id}").status_code == 404
    assert client.post(f"/dashboard/hoi-hang/{theirs.id}", data={"status": "closed"}).status_code == 404
    assert client.get("/dashboard/hoi-hang/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Inquiry, theirs.id).status == "new"


def test_inbox_needs_a_seller(client, catalog):
    mine, _ = make_inquiries(client, catalog)
    assert is_login_redirect(client.get("/dashboard/hoi-hang"), "/dashboard/hoi-hang")
    assert is_login_redirect(client.get(f"/dashboard/hoi-hang/{mine.id}"), f"/dashboard/hoi-hang/{mine.id}")
    login(client, catalog["buyer"])
    assert client.get("/dashboard/hoi-hang").status_code == 404
    assert client.get(f"/dashboard/hoi-hang/{mine.id}").status_code == 404


def test_dashboard_summary_partial(app, catalog):
    with app.test_request_context("/dashboard/"):
        html = render_template_string(
            '{% include "inquiries/_dashboard_summary.html" %}', seller=catalog["a"], inquiries_new_count=3
        )
        assert "3 yêu cầu mới" in html and 'href="/dashboard/hoi-hang"' in html
        empty = render_template_string('{% include "inquiries/_dashboard_summary.html" %}', seller=catalog["a"])
        assert "Không có yêu cầu mới." in empty



def test_dashboard_home_shows_new_inquiry_count(client, catalog):
    make_inquiries(client, catalog)
    send_product_inquiry(client, catalog["tea2"])
    login(client, catalog["owner_a"])
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = text(response)
    assert "2 yêu cầu mới" in html and 'href="/dashboard/hoi-hang"' in html


def test_header_cart_link_on_every_page(client, catalog):
    client.post(f"/gio-hoi-hang/them/{catalog['tea'].slug}")
    html = text(client.get("/"))
    assert 'href="/gio-hoi-hang"' in html and "Giỏ hỏi hàng" in html
    assert '<span class="nav-cart__count">1</span>' in html


def test_csrf_enforced_on_cart_and_status_change(client, app, catalog):
    mine, _ = make_inquiries(client, catalog)
    client.post(f"/gio-hoi-hang/them/{catalog['honey'].slug}")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/gio-hoi-hang/gui", data=cart_form([(catalog["honey"].id, 2)])).status_code == 400
    assert client.post("/gio-hoi-hang/cap-nhat", data=cart_form([(catalog["honey"].id, 2)])).status_code == 400
    assert client.post(f"/gio-hoi-hang/xoa/{catalog['honey'].id}").status_code == 400
    login(client, catalog["owner_a"])
    assert client.post(f"/dashboard/hoi-hang/{mine.id}", data={"status": "closed"}).status_code == 400
    db.session.expire_all()
    assert count(Inquiry) == 2 and db.session.get(Inquiry, mine.id).status == "new"
    assert "Mật ong hoa rừng" in text(client.get("/gio-hoi-hang"))  # the cart is untouched


def test_control_characters_and_junk_slugs_never_reach_the_database(client, app, catalog):
    response = send_product_inquiry(client, catalog["tea"], name="Nguyễn\x00 Thị\x07 Hoa",
                                    message="Dòng 1\r\nDòng 2\x00 hết")
    assert response.status_code == 302
    inquiry = db.session.scalars(sa.select(Inquiry)).one()
    assert inquiry.name == "Nguyễn Thị Hoa"
    assert inquiry.message == "Dòng 1\nDòng 2  hết"
    bad_email = send_product_inquiry(client, catalog["tea"], email="a\x00@example.com")
    assert bad_email.status_code == 400 and "Địa chỉ email không hợp lệ" in text(bad_email)
    for slug in ("%00", "ch%C3%A8", "x" * 300):
        assert client.get(f"/hoi-hang/{slug}").status_code == 404
        assert client.post(f"/gio-hoi-hang/them/{slug}").status_code == 404
    assert client.post("/gio-hoi-hang/gui", data=cart_form([("1\x00", 1)])).status_code == 400
    huge = "9" * 30
    assert client.post("/gio-hoi-hang/gui", data=cart_form([(huge, 1)])).status_code == 400
    assert client.post("/gio-hoi-hang/cap-nhat", data=cart_form([(huge, 1)])).status_code == 400  # the cart again
    assert count(Inquiry) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(max_size=120), phone=st.text(max_size=25), email=st.text(max_size=40),
    quantity=st.one_of(st.text(max_size=12), st.integers().map(str)), message=st.text(max_size=50),
)
def test_any_input_is_saved_or_refused_never_a_500(client, catalog, name, phone, email, quantity, message):
    data = {"name": name, "phone": phone, "email": email, "quantity": quantity, "message": message}
    before = count(Inquiry)
    response = client.post(f"/hoi-hang/{catalog['tea'].slug}", data=data)
    assert response.status_code in (302, 400)
    assert count(Inquiry) == before + (response.status_code == 302)
