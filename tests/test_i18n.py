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


def test_template_gettext_follows_the_request_locale_force_locale_and_refresh(app):
    """The templates' translations, noted once per request, still follow every switch."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Tìm') }}|{{ ngettext('%(num)s sản phẩm', '%(num)s sản phẩm', 2) }}"
    with app.test_request_context("/?lang=en"):
        assert render_template_string("{{ _('Tìm') }}") == "Search"
        with force_locale("vi"):
            assert render_template_string("{{ _('Tìm') }}") == "Tìm"
        assert render_template_string("{{ _('Tìm') }}") == "Search"
    with app.test_request_context("/"):
        assert render_template_string(page).startswith("Tìm|")
        with force_locale("en"):
            assert render_template_string(page).startswith("Search|")
            refresh()  # keeps the forced locale
            assert render_template_string("{{ _('Trang chủ') }}") == "Home"
        assert render_template_string("{{ _('Trang chủ') }}") == "Trang chủ"


def test_template_gettext_kept_strings_format_and_escape_as_jinjas_newstyle_gettext(app):
    """Constant strings are kept per catalog; a kept string is what Jinja's own newstyle
    gettext gives: "%%" read as "%", variables escaped, raw text in an autoescape-off block."""
    from flask import render_template_string

    with app.test_request_context("/"):
        for _ in range(2):  # made, then kept
            assert render_template_string("{{ _('100%%') }}") == "100%"
            assert render_template_string("{{ _('Tìm') }}") == "Tìm"
            assert render_template_string("{{ _('Lượt xem: %(n)s', n='<b>') }}") == "Lượt xem: &lt;b&gt;"
            assert render_template_string(
                "{% autoescape false %}{{ _('Lượt xem: %(n)s', n='<b>') }}{% endautoescape %}") == "Lượt xem: <b>"
    with app.test_request_context("/?lang=en"):
        assert render_template_string("{{ _('Tìm') }}") == "Search"  # another catalog, its own strings


def test_durations_take_the_plural_form_of_the_count(app):
    """"1 hour" and "3 hours" in English ("1 hours" before); Vietnamese has one form; the
    CLI (no request) says the Vietnamese source."""
    from marketplace import durations
    from marketplace.sourcing.views import hours_vn

    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert [durations.hours(1), durations.hours(3)] == ["1 hour", "3 hours"]
        assert [durations.days(1), durations.minutes(1), durations.seconds(45)] == ["1 day", "1 minute", "45 seconds"]
        assert [hours_vn(0.2), hours_vn(1), hours_vn(30), hours_vn(72)] == ["12 minutes", "1 hour", "30 hours", "3 days"]
    with app.test_request_context("/"):
        app.preprocess_request()
        assert [durations.hours(1), durations.days(2)] == ["1 giờ", "2 ngày"]
    with app.app_context():
        assert durations.minutes(5) == "5 phút"
