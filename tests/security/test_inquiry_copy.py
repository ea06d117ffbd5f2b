"""Issue 10 item 11 (inquiry copy): the "copy to buyer" let anyone mail 2,000 characters
of their own text to any address typed into the form. Now the copy goes only to a
signed-in buyer's own account address, and carries none of the typed text."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from tests.factories import make_product, make_user

from .mailbox import body, read_mails

SPAM = "MUA THUỐC GIẢM CÂN GIÁ RẺ tại http://spam.example — " * 20


@pytest.fixture
def shop(app):
    with app.app_context():
        product = make_product(name="Mật ong rừng Đồng Hỷ")
        product.seller.email = "htx@example.vn"
        buyer = make_user(email="nguoi-mua@example.vn", name="Trần Văn Mua")
        db.session.commit()
        return {"slug": product.slug, "buyer": buyer.id}


def _send(client, slug, **extra):
    data = {"name": "Ai Đó", "phone": "0912345678", "email": "nan-nhan@example.com",
            "message": SPAM[:2000], "quantity": "1", **extra}
    return client.post(f"/hoi-hang/{slug}", data=data)


def test_an_anonymous_inquiry_mails_no_copy_to_the_typed_address(client, shop, tmp_path):
    assert _send(client, shop["slug"]).status_code == 302
    recipients = [m["To"] for m in read_mails(tmp_path / "mail")]
    assert recipients == ["htx@example.vn"], "only the seller is mailed"


def test_a_signed_in_buyer_gets_the_copy_at_the_account_address_without_typed_text(app, client, auth, shop, tmp_path):
    auth.log_in_as(shop["buyer"])
    response = _send(client, shop["slug"], name="Nạn Nhân Giả")
    assert response.status_code == 302
    mails = {m["To"]: m for m in read_mails(tmp_path / "mail")}
    assert set(mails) == {"htx@example.vn", "nguoi-mua@example.vn"}
    copy = body(mails["nguoi-mua@example.vn"])
    assert "spam.example" not in copy and "Nạn Nhân Giả" not in copy
    assert "Trần Văn Mua" in copy and "Mật ong rừng Đồng Hỷ" in copy
    with app.app_context():
        from marketplace.inquiries.models import Inquiry

        reference = db.session.scalars(sa.select(Inquiry.reference)).one()
    assert reference in copy and reference in mails["nguoi-mua@example.vn"]["Subject"]
    # The seller still gets the buyer's message and typed e-mail to answer.
    assert "spam.example" in body(mails["htx@example.vn"]) and "nan-nhan@example.com" in body(mails["htx@example.vn"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "nguoi-mua@example.vn" in page
