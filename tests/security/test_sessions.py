"""Issue 10 item 4: a session cookie or remember_token copied before ``POST /dang-xuat``
kept working afterwards. Logout now ends the account's sessions server-side (a session
version in every session id, checked on every request, raised on logout, "log out
everywhere", password change and reset)."""
from __future__ import annotations

import re

from auth import PASSWORD, log_in
from marketplace.extensions import db
from tests.factories import make_user

from .mailbox import body, read_mails

EMAIL = "mua@example.vn"  # the buyer_account fixture's


def _signed_in(client) -> bool:
    response = client.get("/tai-khoan")
    return response.status_code == 200


def _copy(source, names=("session", "remember_token")):
    """A thief's browser holding copies of ``source``'s cookies."""
    thief = source.application.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def test_copied_session_and_remember_cookies_stop_working_after_logout(app, auth, buyer_account):
    browser = app.test_client()
    assert auth.login(EMAIL, remember="y", client=browser).status_code == 302
    session_copy = _copy(browser, ("session",))
    remember_copy = _copy(browser, ("remember_token",))
    assert _signed_in(session_copy) and _signed_in(remember_copy)
    # The copies are taken again so that the checks above did not refresh anything.
    session_copy = _copy(browser, ("session",))
    remember_copy = _copy(browser, ("remember_token",))

    assert browser.post("/dang-xuat", data={}).status_code == 302
    assert not _signed_in(browser)
    assert not _signed_in(session_copy), "a copied session cookie still works after logout"
    assert not _signed_in(remember_copy), "a copied remember_token still works after logout"
    # Logging in again works, and a fresh session is valid.
    assert auth.login(EMAIL, remember="y", client=browser).status_code == 302
    assert _signed_in(browser)


def test_log_out_everywhere_from_the_account_page(app, auth, buyer_account):
    phone, laptop = app.test_client(), app.test_client()
    assert auth.login(EMAIL, remember="y", client=phone).status_code == 302
    assert auth.login(EMAIL, remember="y", client=laptop).status_code == 302
    page = laptop.get("/tai-khoan").get_data(as_text=True)
    assert "Đăng xuất khỏi mọi thiết bị" in page
    response = laptop.post("/tai-khoan/dang-xuat-moi-thiet-bi", data={})
    assert response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap")
    assert not _signed_in(phone) and not _signed_in(laptop)
    phone_remember_only = app.test_client()
    assert not _signed_in(phone_remember_only)


def test_log_out_everywhere_is_a_csrf_protected_post(csrf_app):
    """A forged cross-site form cannot log a victim out of everything."""
    client = csrf_app.test_client()
    with csrf_app.app_context():
        user = make_user(email=EMAIL)
        db.session.commit()
        log_in(client, user)
    assert client.post("/tai-khoan/dang-xuat-moi-thiet-bi").status_code == 400
    assert _signed_in(client)
    assert client.get("/tai-khoan/dang-xuat-moi-thiet-bi").status_code == 405


def test_password_change_ends_other_sessions_but_not_this_one(app, auth, buyer_account):
    mine, other = app.test_client(), app.test_client()
    assert auth.login(EMAIL, remember="y", client=mine).status_code == 302
    assert auth.login(EMAIL, remember="y", client=other).status_code == 302
    response = mine.post("/tai-khoan/mat-khau", data={"current_password": PASSWORD,
                                                     "new_password": "mat-khau-moi-456",
                                                     "confirm": "mat-khau-moi-456"})
    assert response.status_code == 302
    assert _signed_in(mine)
    assert not _signed_in(other)


def test_password_reset_ends_every_session(app, auth, buyer_account, tmp_path):
    other = app.test_client()
    assert auth.login(EMAIL, remember="y", client=other).status_code == 302
    stranger = app.test_client()
    stranger.post("/quen-mat-khau", data={"email": EMAIL})
    [mail] = read_mails(tmp_path / "mail")
    link = re.search(r"http://localhost(/dat-lai-mat-khau/\S+)", body(mail)).group(1)
    response = stranger.post(link, data={"password": "mat-khau-moi-456", "confirm": "mat-khau-moi-456"})
    assert response.status_code == 302
    assert not _signed_in(other)
