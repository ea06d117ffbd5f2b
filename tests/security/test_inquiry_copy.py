"""Issue 10 item 11 (inquiry copy): the "copy to buyer" let anyone mail 2,000 characters
of their own text to any address typed into the form. Now the copy goes only to a
signed-in buyer's own account address, and carries none of the typed text."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db

from .mailbox import body, read_mails

SPAM = "MUA THUỐC GIẢM CÂN GIÁ RẺ tại http://spam.example — " * 20


def _send(client, slug, **extra):
    data = {"name": "Ai Đó", "phone": "0912345678", "email": "nan-nhan@example.com",
            "message": SPAM[:2000], "quantity": "1", **extra}
    return client.post(f"/hoi-hang/{slug}", data=data)


def test_an_anonymous_inquiry_mails_no_copy_to_the_typed_address(client, product, tmp_path):
    assert _send(client, product.slug).status_code == 302
    recipients = [m["To"] for m in read_mails(tmp_path / "mail")]
    assert recipients == ["htx-che@example.vn"], "only the seller is mailed"


def test_a_signed_in_buyer_gets_the_copy_at_the_account_address_without_typed_text(app, client, auth, product, tmp_path):
    auth.as_buyer()
    response = _send(client, product.slug, name="Nạn Nhân Giả")
    assert response.status_code == 302
    mails = {m["To"]: m for m in read_mails(tmp_path / "mail")}
    assert set(mails) == {"htx-che@example.vn", "mua@example.vn"}
    copy = body(mails["mua@example.vn"])
    assert "spam.example" not in copy and "Nạn Nhân Giả" not in copy
    assert "Người Mua" in copy and "Chè móc câu Tân Cương" in copy
    with app.app_context():
        from marketplace.inquiries.models import Inquiry

        reference = db.session.scalars(sa.select(Inquiry.reference)).one()
    assert reference in copy and reference in mails["mua@example.vn"]["Subject"]
    # The seller still gets the buyer's message and typed e-mail to answer.
    assert "spam.example" in body(mails["htx-che@example.vn"]) and "nan-nhan@example.com" in body(mails["htx-che@example.vn"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "mua@example.vn" in page
