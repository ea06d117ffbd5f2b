"""As-you-type suggestions in a real Chromium (static/js/search.js), on a phone."""
from __future__ import annotations

import pytest


pytestmark = pytest.mark.e2e


def test_suggestions_appear_and_keyboard_opens_a_product(live_server, phone):
    page = phone
    page.goto(live_server["url"] + "/")
    box = page.locator("#search-q")
    box.click()
    box.type("tan cu", delay=40)
    options = page.locator("#search-suggest [role=option]")
    options.first.wait_for(state="visible", timeout=5000)
    texts = options.all_inner_texts()
    assert "Chè móc câu Tân Cương đặc biệt hộp thiếc 200 g" in texts
    assert "Chè búp Tân Cương loại 1" in texts
    assert "Chè nháp chưa đăng" not in texts
    assert box.get_attribute("aria-expanded") == "true"

    box.press("ArrowDown")
    active = page.locator("#search-suggest [aria-selected=true]")
    assert active.count() == 1
    assert box.get_attribute("aria-activedescendant") == active.get_attribute("id")
    expected = active.inner_text()
    box.press("Enter")
    page.wait_for_url("**/san-pham/*")
    assert expected in page.locator("h1").inner_text()
    assert page.problems == []


def test_escape_closes_and_enter_searches(live_server, phone):
    page = phone
    page.goto(live_server["url"] + "/")
    box = page.locator("#search-q")
    box.click()
    box.type("mat o", delay=40)
    page.locator("#search-suggest [role=option]").first.wait_for(state="visible", timeout=5000)
    box.press("Escape")
    assert page.locator("#search-suggest").is_hidden()
    box.press("Enter")  # nothing highlighted: the plain form submits the search
    page.wait_for_url("**/san-pham?q=*")
    assert "Mật ong rừng" in page.content()
    assert page.problems == []
