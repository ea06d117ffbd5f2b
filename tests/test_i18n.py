from flask_babel import gettext, refresh

from marketplace.i18n import select_locale


def test_gettext_outside_a_request_uses_vietnamese(app):
    with app.app_context():
        assert select_locale() == "vi"
        refresh()
        assert gettext("Về trang chủ") == "Về trang chủ"


def test_language_choice_sticks_for_the_session(client):
    assert 'lang="en"' in client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    assert 'lang="vi"' in client.get("/?lang=vi").get_data(as_text=True)


def test_unknown_language_falls_back_to_vietnamese(client):
    assert 'lang="vi"' in client.get("/?lang=xx").get_data(as_text=True)
