"""Alerts in a real Chromium on a 360 px phone, against the real server (gunicorn
workers, CSRF on, the workers' own job runner): subscribe on a product page → confirm
from the mail → the scheduled job mails the digest → unsubscribe from the digest."""
from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest

from marketplace.extensions import db
from tests.e2e.conftest import fits_and_clean, screenshot, serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from marketplace.catalog.models import Product
    from marketplace.seasons import current_month, months_to_mask

    def prepare(data):
        product = db.session.scalars(db.select(Product).where(Product.slug == data["products"][0])).one()
        month = current_month()
        product.season_mask = months_to_mask([month, month % 12 + 1])  # in season today
        product.min_order_qty, product.volume_unit = 20, "kg"
        db.session.commit()

    # The digest job every 2 s instead of hourly, so the journey does not wait an hour.
    env = {"JOBS_INTERVALS": "alerts_digest=2", "JOBS_TICK_SECONDS": "1"}
    with serve(tmp_path_factory.mktemp("alerts-e2e"), prepare=prepare, env=env) as info:
        yield info


def mails(server) -> list:
    folder = Path(server["site"].env["MAIL_FOLDER"])
    paths = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
    return [message_from_bytes(p.read_bytes(), policy=default_policy) for p in paths]


def wait_for_mail(server, count: int, seconds: float = 40) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = mails(server)
        if len(found) >= count:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{count} mails expected, found {len(mails(server))}: {server['site'].server.log_tail()}")


def test_subscribe_confirm_receive_the_digest_and_unsubscribe_on_a_phone(server, phone):
    url = server["url"]
    slug = server["products"][0]
    phone.goto(f"{url}/san-pham/{slug}")
    assert phone.locator("text=Đang vào mùa").first.is_visible()
    assert phone.locator("text=tối thiểu 20 kg").first.is_visible()
    fits_and_clean(phone)
    phone.fill("#alert-email", "khach-mua@example.vn")
    phone.click("form.season-alert button[type=submit]")
    assert phone.locator("text=Vui lòng kiểm tra hộp thư").is_visible()
    fits_and_clean(phone)

    [confirmation] = wait_for_mail(server, 1)
    assert confirmation["To"] == "khach-mua@example.vn"
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    confirm_link = re.search(rf"{re.escape(url)}/thong-bao/xac-nhan/\S+", confirmation.get_content()).group(0)
    time.sleep(4)
    assert len(mails(server)) == 1  # no digest before the address confirms

    phone.goto(confirm_link)
    phone.click("button:has-text('Xác nhận')")
    assert phone.locator("h1:has-text('Đã xác nhận')").is_visible()
    fits_and_clean(phone)
    screenshot(phone, "phone-alert-confirmed")

    # The workers' job runner sends the digest, once.
    digest = wait_for_mail(server, 2)[1]
    assert digest["To"] == "khach-mua@example.vn"
    body = digest.get_content()
    assert "Đang vào mùa" in body and f"{url}/san-pham/{slug}" in body
    unsubscribe_link = digest["List-Unsubscribe"].strip("<>")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and unsubscribe_link in body
    time.sleep(5)  # several more runs of the job: still one digest today
    assert len(mails(server)) == 2

    phone.goto(unsubscribe_link)
    phone.click("button:has-text('Hủy nhận thông báo')")
    assert phone.locator("h1:has-text('Đã hủy nhận thông báo')").is_visible()
    fits_and_clean(phone)
    from marketplace.alerts.models import AlertSubscriber

    with server["site"].app():
        subscriber = db.session.scalars(db.select(AlertSubscriber)).one()
        assert subscriber.unsubscribed_at is not None
