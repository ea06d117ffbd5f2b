"""The English catalog is complete and in step with the source.

- every entry of ``messages.po`` has a non-empty, non-fuzzy English text with the same
  placeholders as the Vietnamese source;
- every string extracted from ``marketplace/`` and ``templates/`` (the ``babel.cfg``
  mapping, the keywords of the README command) is in the catalog, so a new string
  without a translation fails here;
- the committed ``.mo`` is the compiled ``.po`` (a .po edit left uncompiled fails);
- the seller dashboard and the public pages render in English with ``?lang=en``.

To fix a failure: ``make translations-update``, translate the new entries in the .po,
``make translations``, commit both files.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from auth import log_in as _log_in
from factories import make_area, make_category, make_certification, make_product, make_seller, make_user
from marketplace.extensions import db

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "marketplace/translations/en/LC_MESSAGES"
# The README / Makefile command: pybabel's default keywords plus the lazy aliases.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sd]|\{\w*\}")


def _po():
    with (LOCALE_DIR / "messages.po").open("rb") as fh:
        return read_po(fh)


def _forms(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _extracted() -> dict:
    """(context, msgid) -> (plural msgid or None, first location) from the current source."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        forms = _forms(message)
        if not forms[0]:
            continue
        found.setdefault((context, forms[0]), (forms[1] if len(forms) > 1 else None, f"{filename}:{lineno}"))
    return found


def test_every_catalog_entry_has_a_checked_english_translation():
    catalog = _po()
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids, texts = _forms(message.id), _forms(message.string)
        where = f"{message.id!r} ({message.locations[0][0] if message.locations else '?'})"
        if message.fuzzy:
            problems.append(f"fuzzy: {where}")
        if len(texts) != (catalog.num_plurals if message.pluralizable else 1) or not all(
                t and t.strip() for t in texts):
            problems.append(f"untranslated: {where}")
            continue
        wanted = sorted(PLACEHOLDER.findall(ids[-1]))
        for text in texts:
            if sorted(PLACEHOLDER.findall(text)) != wanted and not (
                    message.pluralizable and sorted(PLACEHOLDER.findall(ids[0])) == sorted(PLACEHOLDER.findall(text))):
                problems.append(f"placeholders differ: {where} -> {text!r}")
    assert catalog.obsolete == {}, f"obsolete #~ entries left: {list(catalog.obsolete)[:5]}"
    assert problems == [], "\n".join(problems)


def test_every_source_string_is_in_the_english_catalog():
    catalog = _po()
    known = {(m.context, _forms(m.id)[0]): m for m in catalog if m.id}
    missing = []
    for (context, msgid), (plural, where) in sorted(_extracted().items(), key=lambda i: i[1][1]):
        entry = known.get((context, msgid))
        if entry is None:
            missing.append(f"{where}: {msgid!r}" + (f" (context {context!r})" if context else ""))
        elif plural is not None and _forms(entry.id)[1:] != (plural,):
            missing.append(f"{where}: plural of {msgid!r} is {plural!r} in the source")
    assert missing == [], "not in messages.po (run `make translations-update`):\n" + "\n".join(missing)


def test_committed_mo_is_the_compiled_po():
    with (LOCALE_DIR / "messages.mo").open("rb") as fh:
        compiled = read_mo(fh)
    stale = []
    for message in _po():
        if not message.id:
            continue
        got = compiled.get(message.id, context=message.context)
        if got is None or _forms(got.string) != _forms(message.string):
            stale.append(_forms(message.id)[0])
    assert stale == [], f"messages.mo is out of date (run `make translations`): {stale[:5]}"


# ----------------------------------------------------------------- pages in English


@pytest.fixture
def seller_world(app, client):
    with app.app_context():
        area = make_area(name="xã Tân Cương")
        seller = make_seller(name="HTX Chè Tân Cương", slug="htx-tan-cuong", area=area)
        user = make_user(email="ban@example.vn", role="seller", seller_id=seller.id)
        category = make_category(name="Chè", slug="che")
        product = make_product(name="Chè móc câu", seller_id=seller.id, category_id=category.id, code="CHE-01")
        draft = make_product(name="Chè búp", seller_id=seller.id, category_id=category.id, status="draft")
        make_certification(product, stars=4)
        db.session.commit()
        _log_in(client, user)
        ids = {"product": product.id, "draft": draft.id, "product_slug": product.slug, "seller_slug": seller.slug,
               "category_slug": category.slug, "area_slug": area.slug}
    return ids


def _vietnamese_chrome(html: str, catalog) -> list[str]:
    """Catalog strings (no placeholders, long enough not to be data) left in Vietnamese."""
    left = []
    for message in catalog:
        if not message.id or message.pluralizable or "%" in message.id or len(message.id) < 12:
            continue
        if message.string != message.id and message.id in html:
            left.append(message.id)
    return left


def test_seller_dashboard_pages_are_in_english(client, seller_world):
    catalog = _po()
    p, d = seller_world["product"], seller_world["draft"]
    pages = {
        "/dashboard/": ["Add product", "Submit for review", "Duplicate", "Archive", "Updated", "0 photos",
                        "Business status:", "Import products from CSV/XLSX"],
        "/dashboard/ho-so": ["Business profile", "Business name", "Commune/ward", "Save profile"],
        "/dashboard/san-pham/moi": ["Product name", "Unit / packaging", "Create product", "— Choose a category —"],
        f"/dashboard/san-pham/{p}": ["Save changes", "Product photos", "Manage photos", "Product QR code"],
        f"/dashboard/san-pham/{d}": ["Only you can see a draft", "Submit for review"],
        f"/dashboard/san-pham/{p}/chung-nhan": ["OCOP stars", "Decision date", "Save certificate", "valid until"],
        f"/dashboard/san-pham/{p}/anh": ["Upload photos", "Back to the product"],
        "/dashboard/nhap-du-lieu": ["Import products from a spreadsheet", "Preview", "File columns"],
        "/dashboard/nhan-qr": ["Print QR labels", "Labels per product", "Update"],
        "/dashboard/hoi-hang": ["Order inquiries"],
        "/tai-khoan": ["Your account"],
        "/tai-khoan/mat-khau": ["Change password"],
    }
    for url, expected in pages.items():
        response = client.get(url + ("&" if "?" in url else "?") + "lang=en")
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert 'lang="en"' in html, url
        for text in expected:
            assert text in html, (url, text)
        assert _vietnamese_chrome(html, catalog) == [], url
    # The choice sticks: the next page without ?lang is English too.
    assert "Add product" in client.get("/dashboard/").get_data(as_text=True)


def test_public_pages_and_api_never_fail_in_english(client, seller_world):
    w = seller_world
    urls = ["/", "/san-pham", "/san-pham?q=ch%C3%A8&stars=4&sort=gia-tang&price=xx", f"/san-pham/{w['product_slug']}",
            f"/danh-muc/{w['category_slug']}", f"/khu-vuc/{w['area_slug']}", f"/co-so/{w['seller_slug']}",
            "/gio-hoi-hang", f"/hoi-hang/{w['product_slug']}", "/san-pham/khong-co", "/dang-nhap", "/dang-ky",
            "/quen-mat-khau", "/dat-lai-mat-khau/bad-token", "/sitemap.xml", "/robots.txt",
            "/api/v1/products", "/api/v1/products?ocop_stars=9", f"/api/v1/products/{w['product_slug']}",
            "/api/v1/products/khong-co", f"/api/v1/sellers/{w['seller_slug']}", "/api/v1/categories", "/api/v1/areas"]
    # Everything else is a 200; the seller is signed in, so log-in and registration send them on.
    not_ok = {"/san-pham/khong-co": 404, "/api/v1/products/khong-co": 404, "/dang-nhap": 302, "/dang-ky": 302,
              "/dat-lai-mat-khau/bad-token": 400, "/api/v1/products?ocop_stars=9": 400}
    catalog = _po()
    for url in urls:
        response = client.get(url + ("&" if "?" in url else "?") + "lang=en")
        assert response.status_code == not_ok.get(url, 200), (url, response.status_code)
        if response.mimetype == "text/html":
            assert _vietnamese_chrome(response.get_data(as_text=True), catalog) == [], url
    error = client.get("/api/v1/products?ocop_stars=9&lang=en").get_json()
    assert "OCOP stars can only be 3, 4 or 5." in str(error)


def test_login_prompt_is_in_english(app):
    client = app.test_client()
    page = client.get("/dashboard/?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "Please log in to continue." in page
    page = app.test_client().get("/dashboard/?lang=vi", follow_redirects=True).get_data(as_text=True)
    assert "Vui lòng đăng nhập để tiếp tục." in page
