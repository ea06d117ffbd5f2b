"""Issue 10 item 11 (log-in): ten wrong passwords locked the rightful owner out for five
minutes, from anywhere. Now failures are counted per (client, account) and cost growing
delays for that client only; the owner at another address logs in at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.throttle import FREE_FAILURES
from marketplace.extensions import db
from marketplace.web.ratelimit import RateLimitCounter
from auth import PASSWORD
from tests.conftest import make_test_config

EMAIL = "mua@example.vn"  # the buyer_account fixture's
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.20"}


@pytest.fixture
def app_config(tmp_path):
    return make_test_config(tmp_path, RATELIMIT_ENABLED=True)


def _time_passes(app, seconds: float) -> None:
    """Move the last recorded failure back instead of sleeping."""
    with app.app_context():
        table = RateLimitCounter.__table__
        for key, updated in db.session.execute(sa.select(table.c.key, table.c.updated_at)
                                               .where(table.c.key.startswith("login-fail:"))).all():
            db.session.execute(table.update().where(table.c.key == key)
                               .values(updated_at=updated - timedelta(seconds=seconds)))
        db.session.commit()


def test_an_attacker_cannot_lock_the_owner_out(app, auth, buyer_account):
    attacker = app.test_client()
    statuses = [auth.login(EMAIL, "doan-bua", client=attacker, environ_base=ATTACKER).status_code
                for _ in range(FREE_FAILURES * 3)]
    assert statuses == [400] * FREE_FAILURES + [429] * (FREE_FAILURES * 2)  # then delayed, without end
    owner = app.test_client()
    response = auth.login(EMAIL, PASSWORD, client=owner, environ_base=OWNER)
    assert response.status_code == 302, "the owner at another address must get in at once"
    assert owner.get("/tai-khoan", environ_base=OWNER).status_code == 200


def test_wrong_passwords_cost_growing_delays_for_that_client(app, auth, buyer_account):
    attacker = app.test_client()
    for _ in range(FREE_FAILURES):
        assert auth.login(EMAIL, "doan-bua", client=attacker, environ_base=ATTACKER).status_code == 400
    delays = []
    for _ in range(4):
        response = auth.login(EMAIL, "doan-bua", client=attacker, environ_base=ATTACKER)
        assert response.status_code == 429
        text = response.get_data(as_text=True)
        assert "Email hoặc mật khẩu không đúng." in text and "Vui lòng đợi" in text
        delays.append(int(response.headers["Retry-After"]))
        # Even the right password is refused before the delay has passed (no oracle).
        early = auth.login(EMAIL, PASSWORD, client=attacker, environ_base=ATTACKER)
        assert early.status_code == 429 and "Bạn đã đăng nhập sai quá nhiều lần" in early.get_data(as_text=True)
        _time_passes(app, delays[-1])
    assert delays == [1, 2, 4, 8]
    # After waiting, the right password works and the failures are forgotten.
    assert auth.login(EMAIL, PASSWORD, client=attacker, environ_base=ATTACKER).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitCounter)
                                 .where(RateLimitCounter.key.startswith("login-fail:"))) == 0


@pytest.mark.slow  # CLIENT_LIMIT + 2 log-ins, each a scrypt check (52 s at load 11)
def test_one_client_trying_many_accounts_is_limited(app, auth):
    from marketplace.accounts.throttle import CLIENT_LIMIT

    client = app.test_client()
    statuses = [auth.login(f"khach{i}@example.vn", "doan-bua", client=client, environ_base=ATTACKER).status_code for i in range(CLIENT_LIMIT + 1)]
    assert statuses[:CLIENT_LIMIT] == [400] * CLIENT_LIMIT
    assert statuses[-1] == 429
    # Another client is not affected.
    assert auth.login("khach0@example.vn", "doan-bua", client=client, environ_base=OWNER).status_code == 400
