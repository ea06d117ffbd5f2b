"""Issue 10 item 12: the route × role matrix. EVERY route of the app (public pages,
accounts, inquiries, the seller dashboard, staff, API, files) × every method, requested
as an anonymous visitor, a buyer, the seller who owns the objects in the URL, a seller
of another cooperative, staff and admin, must answer exactly the status written here.

A route that is not in ``ROUTES`` fails ``test_every_route_is_in_the_matrix``: adding a
feature means adding one line per (endpoint, method) — a reviewed decision about who may
do what. A URL argument the walk cannot fill fails with a message naming ``ARGS``.

Codes: a number is the expected status; ``L`` is a redirect to the login page. Order:
anonymous, buyer, owner, other seller, staff, admin. POSTs are sent without a body (CSRF
is off here; tests/test_csrf*.py prove it is on in production), so a reachable form
answers 400 while a refused one answers 404/403/L. What each allowed request changes,
and that nobody but the owner changes the owner's objects, is checked by
tests/test_authz_walk.py.
"""
from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from tests.factories import make_collection, make_product
from tests.test_authz_walk import _make_inquiry, _make_photo, build_world, log_in

ROLES = ("anonymous", "buyer", "owner", "other", "staff", "admin")

# endpoint METHOD: anonymous buyer owner other staff admin
ROUTES = {
    # Public pages, files and the API: the same for everyone.
    "catalog.home GET": "200 200 200 200 200 200",
    "catalog.listing GET": "200 200 200 200 200 200",
    "catalog.product GET": "200 200 200 200 200 200",
    "catalog.category GET": "200 200 200 200 200 200",
    "catalog.area GET": "200 200 200 200 200 200",
    "catalog.robots GET": "200 200 200 200 200 200",
    "catalog.sitemap GET": "200 200 200 200 200 200",
    "catalog.sitemap_pages GET": "200 200 200 200 200 200",
    "catalog.sitemap_products GET": "200 200 200 200 200 200",
    "sellers.profile GET": "200 200 200 200 200 200",
    "search.suggest GET": "200 200 200 200 200 200",
    "media.file GET": "200 200 200 200 200 200",
    "static GET": "200 200 200 200 200 200",
    "api.products GET": "200 200 200 200 200 200",
    "api.product GET": "200 200 200 200 200 200",
    "api.seller GET": "200 200 200 200 200 200",
    "api.categories GET": "200 200 200 200 200 200",
    "api.areas GET": "200 200 200 200 200 200",
    "api.lot GET": "200 200 200 200 200 200",
    # Lots: the scan page is public; an unknown GS1 Digital Link is a 404 page.
    "traceability.scan GET": "200 200 200 200 200 200",
    "traceability.resolve GET": "404 404 404 404 404 404",
    "traceability.lots GET": "L 404 200 200 404 404",
    "traceability.lot_new GET": "L 404 200 200 404 404",
    "traceability.lot_new POST": "L 404 400 400 404 404",
    "traceability.lot_edit GET": "L 404 200 404 404 404",
    "traceability.lot_edit POST": "L 404 400 404 404 404",
    "labels.lot_sheet GET": "L 404 200 404 404 404",
    "labels.lot_png GET": "L 404 200 404 404 404",
    "imports.lot_template_csv GET": "L 200 200 200 200 200",
    "traceability_staff.index GET": "L 403 403 403 200 200",
    "traceability_staff.hide POST": "L 403 403 403 302 302",
    "traceability_staff.show POST": "L 403 403 403 302 302",
    # Inquiries and the cart: open to all; an empty form is a 400, the confirmation page
    # only for the browser that sent it (404 for an unknown reference).
    "inquiries.inquire GET": "200 200 200 200 200 200",
    "inquiries.inquire POST": "400 400 400 400 400 400",
    "inquiries.sent GET": "404 404 404 404 404 404",
    "inquiries.cart_view GET": "200 200 200 200 200 200",
    "inquiries.cart_add POST": "302 302 302 302 302 302",
    "inquiries.cart_update POST": "302 302 302 302 302 302",
    "inquiries.cart_remove POST": "302 302 302 302 302 302",
    "inquiries.cart_submit POST": "400 400 400 400 400 400",
    # Accounts: signed-in users are sent on from login/register; links with a bad token 400.
    "accounts.login GET": "200 302 302 302 302 302",
    "accounts.login POST": "400 302 302 302 302 302",
    "accounts.register GET": "200 302 302 302 302 302",
    "accounts.register POST": "400 302 302 302 302 302",
    "accounts.logout POST": "302 302 302 302 302 302",
    "accounts.logout_everywhere POST": "L L L L L L",
    "accounts.forgot_password GET": "200 200 200 200 200 200",
    "accounts.forgot_password POST": "400 400 400 400 400 400",
    "accounts.reset_password GET": "400 400 400 400 400 400",
    "accounts.reset_password POST": "400 400 400 400 400 400",
    "accounts.confirm_email GET": "400 400 400 400 400 400",
    "accounts.confirm_email POST": "400 400 400 400 400 400",
    "accounts.account GET": "L 200 200 200 200 200",
    "accounts.change_password GET": "L 200 200 200 200 200",
    "accounts.change_password POST": "L 400 400 400 400 400",
    # Seller dashboard: the owner only; another seller's ids and anyone without a
    # seller get 404 (never confirming the object exists). Routes without ids act on the
    # caller's own seller. A buyer is on-boarded at home/profile.
    "dashboard.home GET": "L 302 200 200 302 302",
    "dashboard.profile GET": "L 200 200 200 200 200",
    "dashboard.profile POST": "L 400 400 400 400 400",
    "dashboard.product_new GET": "L 404 200 200 404 404",
    "dashboard.product_new POST": "L 404 400 400 404 404",
    "dashboard.product_edit GET": "L 404 200 404 404 404",
    "dashboard.product_edit POST": "L 404 400 404 404 404",
    "dashboard.product_archive POST": "L 404 302 404 404 404",
    "dashboard.product_submit POST": "L 404 302 404 404 404",
    "dashboard.product_duplicate POST": "L 404 302 404 404 404",
    "dashboard.product_certification GET": "L 404 200 404 404 404",
    "dashboard.product_certification POST": "L 404 400 404 404 404",
    "dashboard.product_certification_delete POST": "L 404 302 404 404 404",
    # Staff verify certificates: they read the scan too.
    "dashboard.product_certification_scan GET": "L 404 200 404 200 200",
    # The seller's other certifications: the list and the new form for any seller (its own).
    "certifications.index GET": "L 404 200 200 404 404",
    "certifications.new GET": "L 404 200 200 404 404",
    "certifications.new POST": "L 404 400 400 404 404",
    "certifications.edit GET": "L 404 200 404 404 404",
    "certifications.edit POST": "L 404 400 404 404 404",
    "certifications.delete POST": "L 404 302 404 404 404",
    "certifications.scan GET": "L 404 200 404 200 200",
    "media.photos GET": "L 404 200 404 404 404",
    "media.photos POST": "L 404 400 404 404 404",
    "media.cover POST": "L 404 302 404 404 404",
    "media.move_up POST": "L 404 302 404 404 404",
    "media.move_down POST": "L 404 302 404 404 404",
    "media.delete POST": "L 404 302 404 404 404",
    "labels.sheet GET": "L 404 200 200 404 404",
    "labels.product_png GET": "L 404 200 404 404 404",
    "labels.product_svg GET": "L 404 200 404 404 404",
    "inquiries.inbox GET": "L 404 200 200 404 404",
    "inquiries.detail GET": "L 404 200 404 404 404",
    "inquiries.detail POST": "L 404 302 404 404 404",
    # Imports: sellers into their own catalog; staff choose any seller (the template is
    # a blank example file).
    "imports.template_csv GET": "L 200 200 200 200 200",
    "imports.upload GET": "L 404 200 200 200 200",
    "imports.upload POST": "L 404 400 400 400 400",
    "imports.commit POST": "L 404 302 302 302 302",
    "imports.export GET": "L 404 200 200 302 302",
    # Seller analytics: the caller's own seller's figures; no seller (buyer, staff) → 404.
    "analytics.seller GET": "L 404 200 200 404 404",
    # Featured collections, the operations probe: public.
    "collections.detail GET": "200 200 200 200 200 200",
    "api.collections GET": "200 200 200 200 200 200",
    "api.collection GET": "200 200 200 200 200 200",
    "ops.healthz GET": "200 200 200 200 200 200",
    # Staff area: one guard (anonymous → login, other roles → 403). An empty decision
    # (no reason) goes back to the page with the service's message (302); form pages
    # answer an empty form with 400. Staff walk before admin, so admin finds a deleted
    # collection gone (404).
    "staff.home GET": "L 403 403 403 200 200",
    "staff.sellers GET": "L 403 403 403 200 200",
    "staff.sellers_bulk POST": "L 403 403 403 302 302",
    "staff.seller GET": "L 403 403 403 200 200",
    "staff.seller_approve POST": "L 403 403 403 302 302",
    "staff.seller_reject POST": "L 403 403 403 302 302",
    "staff.seller_suspend POST": "L 403 403 403 302 302",
    "staff.seller_reinstate POST": "L 403 403 403 302 302",
    "staff.products GET": "L 403 403 403 200 200",
    "staff.products_bulk POST": "L 403 403 403 302 302",
    "staff.product GET": "L 403 403 403 200 200",
    "staff.product_approve POST": "L 403 403 403 302 302",
    "staff.product_reject POST": "L 403 403 403 302 302",
    "staff.product_take_down POST": "L 403 403 403 302 302",
    "staff.product_edit GET": "L 403 403 403 200 200",
    "staff.product_edit POST": "L 403 403 403 400 400",
    "staff.revisions GET": "L 403 403 403 200 200",
    "staff.revision_approve POST": "L 403 403 403 302 302",
    "staff.revision_reject POST": "L 403 403 403 302 302",
    "staff.certificates GET": "L 403 403 403 200 200",
    "staff.certificate GET": "L 403 403 403 200 200",
    "staff.certificate_verify POST": "L 403 403 403 302 302",
    "staff.certificate_reject POST": "L 403 403 403 302 302",
    "staff.audit GET": "L 403 403 403 200 200",
    "collections_staff.index GET": "L 403 403 403 200 200",
    "collections_staff.create GET": "L 403 403 403 200 200",
    "collections_staff.create POST": "L 403 403 403 400 400",
    "collections_staff.edit GET": "L 403 403 403 200 200",
    "collections_staff.edit POST": "L 403 403 403 302 302",
    "collections_staff.publish POST": "L 403 403 403 302 302",
    "collections_staff.unpublish POST": "L 403 403 403 302 302",
    "collections_staff.delete POST": "L 403 403 403 302 404",
    "collections_staff.add_product POST": "L 403 403 403 400 400",
    "collections_staff.remove_product POST": "L 403 403 403 302 302",
    "collections_staff.move_product POST": "L 403 403 403 302 302",
    "collections_staff.catalogue GET": "L 403 403 403 200 200",
    "analytics_staff.overview GET": "L 403 403 403 200 200",
    "analytics_staff.baseline POST": "L 403 403 403 302 302",
    "analytics_staff.searches GET": "L 403 403 403 200 200",
    "analytics_staff.synonym_list GET": "L 403 403 403 200 200",
    "analytics_staff.synonym_add POST": "L 403 403 403 302 302",
    "analytics_staff.synonym_remove POST": "L 403 403 403 302 302",
    "analytics_staff.export GET": "L 403 403 403 200 200",
    # Seasons and alerts (issue 19): the harvest calendar is public; subscribing needs no
    # account (the form without what to follow, GET or POST: 400); confirm and
    # unsubscribe links with a token nobody signed: 404.
    "seasons.calendar_page GET": "200 200 200 200 200 200",
    "api.calendar GET": "200 200 200 200 200 200",
    "alerts.subscribe GET": "400 400 400 400 400 400",
    "alerts.subscribe POST": "400 400 400 400 400 400",
    "alerts.confirm GET": "404 404 404 404 404 404",
    "alerts.confirm POST": "404 404 404 404 404 404",
    "alerts.unsubscribe GET": "404 404 404 404 404 404",
    "alerts.unsubscribe POST": "404 404 404 404 404 404",
    # Sourcing requests: the board, a request page and the API are public; only buyer
    # accounts post; a buyer reaches its own requests (accepting or declining with an
    # empty form works: the buttons carry nothing but the CSRF token), a seller only the
    # requests it was matched to; the staff side behind the staff guard (a decision that
    # does not apply goes back with the service's message: 302).
    "api.sourcing_requests GET": "200 200 200 200 200 200",
    "sourcing.board GET": "200 200 200 200 200 200",
    "sourcing.public_detail GET": "200 200 200 200 200 200",
    "sourcing.new GET": "L 200 403 403 403 403",
    "sourcing.new POST": "L 400 403 403 403 403",
    "sourcing.mine GET": "L 200 200 200 200 200",
    "sourcing.mine_detail GET": "L 200 404 404 404 404",
    "sourcing.accept POST": "L 302 404 404 404 404",
    "sourcing.decline POST": "L 302 404 404 404 404",
    "sourcing.close POST": "L 302 404 404 404 404",
    "sourcing.seller_list GET": "L 404 200 200 404 404",
    "sourcing.seller_detail GET": "L 404 200 404 404 404",
    "sourcing.seller_detail POST": "L 404 400 404 404 404",
    "sourcing.withdraw POST": "L 404 302 404 404 404",
    "sourcing_staff.index GET": "L 403 403 403 200 200",
    "sourcing_staff.detail GET": "L 403 403 403 200 200",
    "sourcing_staff.metrics GET": "L 403 403 403 200 200",
    "sourcing_staff.approve POST": "L 403 403 403 302 302",
    "sourcing_staff.reject POST": "L 403 403 403 302 302",
    "sourcing_staff.open_to_all POST": "L 403 403 403 302 302",
    "sourcing_staff.add_seller POST": "L 403 403 403 302 302",
    "sourcing_staff.remove_seller POST": "L 403 403 403 302 302",
}

# URL argument → how to fill it from the world (see matrix_world); per endpoint where
# the same name means different things.
ARGS = {
    "product_id": lambda w, endpoint: (w["public_product_id"] if endpoint.startswith(("inquiries.", "collections_staff."))
                                       else w["product"]),
    "seller_id": lambda w, endpoint: w["owner_seller"],
    "cert_id": lambda w, endpoint: w["cert"],
    "revision_id": lambda w, endpoint: w["revision"],
    "collection_id": lambda w, endpoint: w["collection"],
    "photo_id": lambda w, endpoint: w["photo"],
    "inquiry_id": lambda w, endpoint: w["inquiry"],
    "request_id": lambda w, endpoint: w["sourcing_request"],
    "offer_id": lambda w, endpoint: w["sourcing_offer"],
    "slug": lambda w, endpoint: {
        "sellers.profile": w["seller_slug"], "api.seller": w["seller_slug"],
        "catalog.category": w["category_slug"], "catalog.area": w["area_slug"],
        "collections.detail": w.get("collection_slug"), "api.collection": w.get("collection_slug"),
    }.get(endpoint, w["public_slug"]),
    "token": lambda w, endpoint: "lien-ket-khong-hop-le",
    "reference": lambda w, endpoint: "HH-2345-6789-ABCD",
    "name": lambda w, endpoint: "tu-khoa" if endpoint == "analytics_staff.export" else w["media_name"],
    "filename": lambda w, endpoint: "css/site.css",
    "lot_id": lambda w, endpoint: w["lot"],
    "code": lambda w, endpoint: w["lot_code"],
    "rest": lambda w, endpoint: "08930000000019/10/KHONG-CO",
    "number": lambda w, endpoint: 1,
}


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def route_keys(app) -> dict[str, object]:
    return {f"{rule.endpoint} {method}": rule for rule in app.url_map.iter_rules() for method in methods_of(rule)}


def matrix_world(app, rule) -> dict:
    """The authorization walk's world (owner with a draft product, another seller, a
    buyer) plus what public routes need, staff and admin accounts."""
    from tests.factories import make_user

    kinds = {"photo"} if "photo_id" in rule.arguments else set()
    if "inquiry_id" in rule.arguments:
        kinds.add("inquiry")
    if "request_id" in rule.arguments:
        kinds.add("sourcing_request")
    if "lot_id" in rule.arguments:
        kinds.add("lot")
    world = build_world(app, kinds)
    with app.app_context():
        from marketplace.catalog.models import Area, Category, OcopCertification, Product
        from marketplace.catalog.services import propose_revision
        from marketplace.media.images import rendition_name
        from marketplace.sellers.models import Seller

        public = make_product(seller_id=world["owner_seller"], category_id=world["category_id"],
                              area_id=world["area_id"], slug=f"cong-khai-{secrets.token_hex(4)}")
        world.update(
            public_slug=public.slug, public_product_id=public.id,
            seller_slug=db.session.get(Seller, world["owner_seller"]).slug,
            category_slug=db.session.get(Category, world["category_id"]).slug,
            area_slug=db.session.get(Area, world["area_id"]).slug,
            staff=make_user(role="staff").id, admin=make_user(role="admin").id,
        )
        if "cert_id" in rule.arguments and rule.endpoint.startswith("certifications."):
            from tests.factories import make_seller_certification

            owned = make_seller_certification(db.session.get(Seller, world["owner_seller"]), "vietgap")
            owned.scan_key = db.session.scalar(
                sa.select(OcopCertification.scan_key).where(OcopCertification.product_id == world["product"]))
            world["cert"] = owned.id
        elif "cert_id" in rule.arguments:
            world["cert"] = db.session.scalar(
                sa.select(OcopCertification.id).where(OcopCertification.product_id == world["product"]))
        if "code" in rule.arguments:
            from tests.factories import make_lot

            world["lot_code"] = make_lot(public, code=f"CONG-KHAI-{secrets.token_hex(3).upper()}").code
        if "revision_id" in rule.arguments:
            world["revision"] = propose_revision(public, {"name": "Tên mới chờ duyệt"}).id
        if "collection_id" in rule.arguments or rule.endpoint in ("collections.detail", "api.collection"):
            collection = make_collection([public])
            world.update(collection=collection.id, collection_slug=collection.slug)
        if "name" in rule.arguments and rule.endpoint.startswith("media."):
            world["media_name"] = rendition_name(_make_photo(db.session.get(Product, public.id)).key, 320)
        db.session.commit()
    return world


def url_for_rule(app, rule, world) -> str:
    from flask import url_for

    values = {}
    for arg in rule.arguments:
        if arg in (rule.defaults or {}):
            continue  # filled by the rule itself (publish/unpublish share a view)
        if arg not in ARGS:
            pytest.fail(f"{rule.rule} ({rule.endpoint}) takes <{arg}>: teach ARGS in "
                        f"tests/security/test_route_matrix.py how to fill it.")
        values[arg] = ARGS[arg](world, rule.endpoint)
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def outcome(response) -> str:
    if response.status_code in (302, 303) and response.headers["Location"].startswith("/dang-nhap"):
        return "L"
    return str(response.status_code)


def walk(app, rule, method) -> list[str]:
    world = matrix_world(app, rule)
    url = url_for_rule(app, rule, world)
    users = {"buyer": world["buyer"], "owner": world["owner"], "other": world["other"],
             "staff": world["staff"], "admin": world["admin"]}
    results = {}
    # The owner goes last: its POST may change what the others would see.
    for role in ("anonymous", "buyer", "other", "staff", "admin", "owner"):
        client = app.test_client()
        if role != "anonymous":
            with app.app_context():
                log_in(client, users[role])
        response = client.open(url, method=method, data={} if method == "POST" else None)
        results[role] = outcome(response)
        response.close()
    return [results[role] for role in ROLES]


def unlisted_routes(app) -> tuple[list[str], list[str]]:
    """(routes without an entry, entries without a route)."""
    keys = route_keys(app)
    return sorted(set(keys) - set(ROUTES)), sorted(set(ROUTES) - set(keys))


def test_every_route_is_in_the_matrix(app):
    missing, stale = unlisted_routes(app)
    assert not missing, ("routes without an entry in ROUTES (tests/security/test_route_matrix.py); add one line "
                         "each, e.g.\n" + "\n".join(f'    "{key}": "200 200 200 200 200 200",' for key in missing))
    assert not stale, f"ROUTES names routes that no longer exist: {stale}"


def test_a_new_route_without_an_entry_is_caught(app):
    """What happens at merge when another feature adds routes: the matrix test fails."""
    app.add_url_rule("/nhan-vien/bo-suu-tap/<int:collection_id>", "collections.edit",
                     lambda collection_id: "", methods=["GET", "POST"])
    missing, stale = unlisted_routes(app)
    assert missing == ["collections.edit GET", "collections.edit POST"] and not stale


def test_every_route_answers_each_role_as_the_matrix_says(app):
    keys = route_keys(app)
    problems = []
    for key in sorted(set(keys) & set(ROUTES)):
        expected = ROUTES[key].split()
        assert len(expected) == len(ROLES), f"{key}: {len(ROLES)} codes expected"
        actual = walk(app, keys[key], key.rsplit(" ", 1)[1])
        if actual != expected:
            problems.append(f'    "{key}": "{" ".join(actual)}",  # expected {" ".join(expected)}')
    assert not problems, "routes answering differently from the matrix (anonymous buyer owner other staff admin):\n" \
        + "\n".join(problems)
