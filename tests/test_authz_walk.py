"""Authorization walk: every /dashboard route × every method, as an anonymous visitor,
a buyer, a seller of another cooperative and the owner.

Rules are read from ``app.url_map``, so routes other features add under /dashboard
are covered automatically. URL arguments are filled with the OWNER's objects by
argument name; an argument kind the walk cannot build fails the test with a message
saying what to teach it.

Expected outcomes
- anonymous → redirect to the login page (or 401);
- buyer → one consistent refusal (404 or 403) everywhere, except the routes open to
  any logged-in user (the dashboard home sends a buyer to the seller-profile form,
  where a buyer becomes a seller);
- seller of another cooperative → 404 for every route that names an owner's object;
  routes without ids act on their own seller and never show the owner's data;
- owner → GET 200/302; POST: the action succeeds (checked in the database for the
  routes whose payload this test knows; never 403/404/5xx for the others).
Nobody but the owner changes anything of the owner's.
"""
from __future__ import annotations

from datetime import timedelta

import io
import re
import secrets

import pytest
import sqlalchemy as sa
from PIL import Image

from auth import log_in
from factories import make_area, make_category, make_certification, make_product, make_seller, make_user
from marketplace.catalog.models import OcopCertification, Product, ProductPhoto
from marketplace.extensions import db
from marketplace.sellers.models import Seller
from marketplace.sourcing.models import SourcingOffer

# Open to any logged-in user: a buyer is on-boarded as a seller at the first two; the
# spreadsheet template is a blank file with example headers (no seller data). Adding
# an endpoint here is a deliberate, reviewed decision.
ANY_USER_ENDPOINTS = {"dashboard.home", "dashboard.profile", "imports.template_csv", "imports.lot_template_csv"}
OWNER_NAME = "Chè bí mật của chủ sở hữu"
OWNER_CODE = "OWNER-ONLY-77"
ID_ARGS = {"product_id": "product", "id": "product", "photo_id": "photo", "inquiry_id": "inquiry",
           "request_id": "sourcing_request", "cert_id": "cert", "lot_id": "lot"}



def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _make_photo(product: Product) -> ProductPhoto:
    from marketplace.media import get_storage
    from marketplace.media.images import store_renditions

    image = Image.new("RGB", (64, 48), (secrets.randbelow(255), 120, 60))
    key, width, height = store_renditions(get_storage(), image, widths=(320, 800, 1600))
    photo = ProductPhoto(product_id=product.id, key=key, width=width, height=height, position=len(product.photos))
    db.session.add(photo)
    db.session.flush()
    return photo


def _make_inquiry(seller: Seller, product: Product):
    from marketplace.inquiries.models import Inquiry, InquiryItem

    inquiry = Inquiry(reference=secrets.token_hex(8), seller_id=seller.id, name="Người mua thử",
                      phone="0912345678", message="Cho tôi hỏi giá sỉ.")
    inquiry.items.append(InquiryItem(product_id=product.id, product_name=product.name, unit=product.unit,
                                     price_vnd=product.price_vnd, quantity=3))
    db.session.add(inquiry)
    db.session.flush()
    return inquiry


def _make_sourcing_request(seller: Seller, category, buyer_id: int) -> tuple[int, int]:
    """An open sourcing request of ``buyer_id`` the owner was matched to, with the
    owner's pending offer."""
    from datetime import timedelta

    from marketplace.sourcing.models import SourcingMatch, SourcingOffer, SourcingRequest
    from marketplace.text import today_vn, utcnow

    item = SourcingRequest(buyer_id=buyer_id, title="Chè cần tìm", category_id=category.id,
                           quantity=100, unit="kg", frequency="once", required_certs=[], delivery_area="Hà Nội",
                           deadline=today_vn() + timedelta(days=10), status="open", buyer_type="supermarket", buyer_city="Hà Nội",
                           approved_at=utcnow())
    item.matches.append(SourcingMatch(seller_id=seller.id, notified_at=utcnow()))
    offer = SourcingOffer(seller_id=seller.id, price_vnd=100_000, quantity=100, first_delivery=today_vn())
    item.offers.append(offer)
    db.session.add(item)
    db.session.flush()
    return item.id, offer.id


def build_world(app, kinds: set[str]) -> dict:
    """Owner (with a draft product, certificate with scan, photos, inquiry as needed),
    another cooperative with its own product, and a buyer."""
    with app.app_context():
        from marketplace.catalog.services import store_certificate_scan

        category = make_category()
        area = make_area()
        owner_seller = make_seller(area=area)
        other_seller = make_seller()
        product = make_product(seller_id=owner_seller.id, area_id=area.id, category_id=category.id,
                               name=OWNER_NAME, code=OWNER_CODE, status="draft", price_vnd=123_000,
                               slug=f"owner-{secrets.token_hex(6)}")
        make_product(seller_id=other_seller.id, area_id=other_seller.area_id, category_id=category.id,
                     name="Sản phẩm của cơ sở khác", status="draft", slug=f"other-{secrets.token_hex(6)}")
        cert = make_certification(product, decision_number="777/QĐ-UBND")
        cert.scan_key = store_certificate_scan(_pdf())
        world = {
            "category_id": category.id, "area_id": area.id,
            "owner_seller": owner_seller.id, "other_seller": other_seller.id,
            "product": product.id,
            "owner": make_user(role="seller", seller_id=owner_seller.id).id,
            "other": make_user(role="seller", seller_id=other_seller.id).id,
            "buyer": make_user(role="buyer").id,
        }
        if "photo" in kinds:
            world["photo"] = _make_photo(product).id
            _make_photo(product)  # a second one so reordering has somewhere to go
        if "inquiry" in kinds:
            world["inquiry"] = _make_inquiry(owner_seller, product).id
        if "sourcing_request" in kinds:
            world["sourcing_request"], world["sourcing_offer"] = _make_sourcing_request(owner_seller, category,
                                                                                             world["buyer"])
        if "lot" in kinds:
            from tests.factories import make_lot

            world["lot"] = make_lot(product, code=f"LOT-{secrets.token_hex(4).upper()}").id
        if "cert" in kinds:  # a certification of another kind than OCOP (the seller's certificate pages)
            from factories import make_seller_certification

            other_cert = make_seller_certification(owner_seller, "vietgap", number="VG-OWNER-1")
            other_cert.scan_key = cert.scan_key
            world["cert"] = other_cert.id
        db.session.commit()
    return world


def snapshot(app, world) -> tuple:
    """Everything of the owner's a foreign request must not change."""
    with app.app_context():
        seller = db.session.get(Seller, world["owner_seller"])
        products = db.session.scalars(
            sa.select(Product).where(Product.seller_id == seller.id).order_by(Product.id)).all()
        certs = db.session.execute(sa.select(OcopCertification.product_id, OcopCertification.decision_number,
                                             OcopCertification.verified_at)
                                   .where(OcopCertification.seller_id == seller.id)).all()
        photos = db.session.execute(sa.select(ProductPhoto.id, ProductPhoto.product_id, ProductPhoto.position)
                                    .order_by(ProductPhoto.id)).all()
        from marketplace.traceability.models import Lot

        lots = db.session.execute(sa.select(Lot.id, Lot.quantity, Lot.origin, Lot.status, Lot.version)
                                  .where(Lot.seller_id == seller.id).order_by(Lot.id)).all()
        state = [
            (seller.name, seller.phone, seller.status, seller.logo_key), lots,
            [(p.id, p.name, p.status, p.price_vnd, p.code, p.updated_at) for p in products],
            sorted(certs, key=repr), photos,
        ]
        if "inquiry" in world:
            from marketplace.inquiries.models import Inquiry

            inquiry = db.session.get(Inquiry, world["inquiry"])
            state.append((inquiry.status, inquiry.status_changed_at))
        if "sourcing_offer" in world:
            from marketplace.sourcing.models import SourcingOffer

            offer = db.session.get(SourcingOffer, world["sourcing_offer"])
            state.append((offer.status, offer.price_vnd, offer.quantity))
        return repr(state)


def dashboard_rules(app) -> list:
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/dashboard")]
    assert rules, "no /dashboard routes registered"
    return sorted(rules, key=lambda r: r.rule)


def rule_kinds(rule) -> set[str]:
    kinds = set()
    for arg in rule.arguments:
        if arg not in ID_ARGS:
            pytest.fail(
                f"{rule.rule} ({rule.endpoint}) takes <{arg}>, which the authorization walk cannot fill. "
                f"Teach tests/test_authz_walk.py (ID_ARGS and build_world) to build an owner's object for it."
            )
        kinds.add(ID_ARGS[arg])
    return kinds


def url_for_rule(app, rule, world) -> str:
    values = {arg: world[ID_ARGS[arg]] for arg in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


# --------------------------------------------------------------- owner payloads


def _product_payload(world, **kw):
    data = {"name": OWNER_NAME, "category_id": str(world["category_id"]), "price_vnd": "130.000",
            "unit": "hộp 200 g", "code": OWNER_CODE, "description": "", "area_id": ""}
    data.update(kw)
    return data


def _cert_payload():
    return {"stars": "5", "score": "91", "product_group": "do-uong", "decision_number": "999/QĐ-TTg",
            "issued_on": "2024-06-01", "issuing_level": "central", "issuing_body": "Thủ tướng Chính phủ"}


def _other_cert_payload(number: str) -> dict:
    return {"kind": "globalgap", "number": number, "issuer": "Control Union Vietnam", "issued_on": "01/06/2025",
            "expires_on": "01/06/2026", "scope": "seller"}


def _other_cert(number: str, seller_id: int):
    from marketplace.certifications.models import Certification

    return db.session.scalar(sa.select(Certification).where(Certification.number == number,
                                                            Certification.seller_id == seller_id))


def _profile_payload(world, phone="0987654321"):
    return {"kind": "cooperative", "name": "HTX Đổi Tên", "address": "Xóm 3", "area_id": str(world["area_id"]),
            "phone": phone}


def _owner_product(world) -> Product:
    return db.session.get(Product, world["product"])


def _lot_model():
    from marketplace.traceability.models import Lot

    return Lot


def _lot_payload(world, **kw):
    from marketplace.text import today_vn

    data = {"product_id": str(world["product"]), "harvested_on": (today_vn() - timedelta(days=10)).isoformat(),
            "quantity": "120", "unit": "kg", "origin": "Xóm Hồng Thái, Tân Cương"}
    data.update(kw)
    return data


def _owner_lots(world) -> int:
    lot = _lot_model()
    return db.session.scalar(sa.select(sa.func.count()).select_from(lot).where(lot.seller_id == world["owner_seller"]))


# endpoint → (payload builder, check(world) run in an app context after the owner's POST)
OWNER_POSTS = {
    "certifications.new": (lambda w: _other_cert_payload("GGN-NEW"),
                           lambda w: _other_cert("GGN-NEW", w["owner_seller"]) is not None),
    "certifications.edit": (lambda w: _other_cert_payload("GGN-EDIT"),
                            lambda w: _other_cert("GGN-EDIT", w["owner_seller"]).id == w["cert"]),
    "certifications.delete": (lambda w: {}, lambda w: _other_cert("VG-OWNER-1", w["owner_seller"]) is None),
    "dashboard.product_new": (
        lambda w: _product_payload(w, name="Sản phẩm mới của chủ", code="NEW-1"),
        lambda w: db.session.scalar(sa.select(sa.func.count()).select_from(Product)
                                    .where(Product.seller_id == w["owner_seller"])) == 2,
    ),
    "dashboard.product_edit": (
        lambda w: _product_payload(w),
        lambda w: _owner_product(w).price_vnd == 130_000,
    ),
    "dashboard.product_duplicate": (
        lambda w: {},
        lambda w: db.session.scalar(sa.select(sa.func.count()).select_from(Product)
                                    .where(Product.seller_id == w["owner_seller"])) == 2,
    ),
    "dashboard.product_archive": (lambda w: {}, lambda w: _owner_product(w).status == "archived"),
    "dashboard.product_submit": (lambda w: {}, lambda w: _owner_product(w).status == "pending"),
    "dashboard.product_certification": (
        lambda w: _cert_payload(),
        lambda w: _owner_product(w).certification.decision_number == "999/QĐ-TTg",
    ),
    "dashboard.product_certification_delete": (
        lambda w: {}, lambda w: _owner_product(w).certification is None),
    "dashboard.profile": (
        lambda w: _profile_payload(w),
        lambda w: db.session.get(Seller, w["owner_seller"]).phone == "0987654321",
    ),
    "traceability.lot_new": (
        lambda w: _lot_payload(w),
        lambda w: _owner_lots(w) == 1,
    ),
    "traceability.lot_edit": (
        lambda w: _lot_payload(w, quantity="77"),
        lambda w: db.session.get(_lot_model(), w["lot"]).quantity == 77,
    ),
    "media.delete": (
        lambda w: {}, lambda w: db.session.get(ProductPhoto, w["photo"]) is None),
    "sourcing.withdraw": (
        lambda w: {}, lambda w: db.session.get(SourcingOffer, w["sourcing_offer"]).status == "withdrawn"),
    "media.cover": (
        lambda w: {}, lambda w: _owner_product(w).photos[0].id == w["photo"]),
}


def _is_login_redirect(response) -> bool:
    return response.status_code == 401 or (
        response.status_code in (302, 303) and response.headers["Location"].startswith("/dang-nhap")
    )


def test_every_dashboard_route_enforces_ownership(app):
    rules = dashboard_rules(app)
    buyer_refusals: dict[str, int] = {}
    problems: list[str] = []
    checked = 0

    def expect(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    for rule in rules:
        kinds = rule_kinds(rule)
        for method in methods_of(rule):
            world = build_world(app, kinds)
            url = url_for_rule(app, rule, world)
            where = f"{method} {url} ({rule.endpoint})"
            before = snapshot(app, world)

            # Anonymous.
            response = app.test_client().open(url, method=method)
            response.close()
            expect(_is_login_redirect(response), f"anonymous {where}: {response.status_code}")

            # Buyer (logged in, no seller).
            buyer = app.test_client()
            with app.app_context():
                log_in(buyer, world["buyer"])
            response = buyer.open(url, method=method, data={})
            buyer_body = response.get_data(as_text=True)
            response.close()
            expect(OWNER_NAME not in buyer_body and OWNER_CODE not in buyer_body, f"buyer {where} sees the owner's data")
            if rule.endpoint in ANY_USER_ENDPOINTS:
                expect(response.status_code in ((200, 302) if method == "GET" else (400,)), f"buyer {where}: {response.status_code}")
            else:
                expect(response.status_code in (403, 404), f"buyer {where}: {response.status_code}")
                buyer_refusals[where] = response.status_code

            # Seller of another cooperative.
            other = app.test_client()
            with app.app_context():
                log_in(other, world["other"])
            payload = OWNER_POSTS.get(rule.endpoint, (lambda w: {}, None))[0](world) if method == "POST" else None
            response = other.open(url, method=method, data=payload)
            body = response.get_data(as_text=True)
            response.close()
            if rule.arguments:
                expect(response.status_code == 404, f"other seller {where}: {response.status_code}")
            else:
                expect(response.status_code < 500 and response.status_code not in (401, 403), f"other seller {where}: {response.status_code}")
            expect(OWNER_NAME not in body and OWNER_CODE not in body, f"other seller {where} sees the owner's data")
            expect(snapshot(app, world) == before, f"{where} by a buyer/anonymous/other seller changed owner data")

            # Owner.
            owner = app.test_client()
            with app.app_context():
                log_in(owner, world["owner"])
            if method == "GET":
                response = owner.open(url, method="GET")
                expect(response.status_code in (200, 302), f"owner {where}: {response.status_code}")
                response.close()
            elif rule.endpoint in OWNER_POSTS:
                build, check = OWNER_POSTS[rule.endpoint]
                response = owner.open(url, method=method, data=build(world))
                text = re.sub(r"\s+", " ", response.get_data(as_text=True))[:300]
                response.close()
                expect(response.status_code in (200, 302, 303), f"owner {where}: {response.status_code} {text}")
                with app.app_context():
                    expect(check(world), f"owner {where}: the action did not happen")
            else:
                # A route another feature owns, payload unknown here: it must reach the
                # view (not refused) and not crash.
                response = owner.open(url, method=method, data={})
                response.close()
                expect(response.status_code < 500 and response.status_code not in (401, 403, 404, 405), f"owner {where}: {response.status_code}")
            checked += 1

    assert not problems, "authorization walk found problems:\n" + "\n".join(problems)
    assert len(set(buyer_refusals.values())) <= 1, f"buyers are refused inconsistently: {buyer_refusals}"
    # The routes this feature owns are all walked.
    endpoints = {r.endpoint for r in rules}
    for expected in ("dashboard.home", "dashboard.profile", "dashboard.product_new", "dashboard.product_edit",
                     "dashboard.product_duplicate", "dashboard.product_archive", "dashboard.product_submit",
                     "dashboard.product_certification"):
        assert expected in endpoints
    assert checked >= 12


def test_staff_without_a_seller_is_refused_like_a_buyer_except_the_certificate_scan(app):
    world = build_world(app, set())
    staff = app.test_client()
    with app.app_context():
        staff_id = make_user(role="staff").id
        db.session.commit()
        log_in(staff, staff_id)
    product = world["product"]
    assert staff.get(f"/dashboard/san-pham/{product}").status_code == 404
    assert staff.post(f"/dashboard/san-pham/{product}/luu-tru").status_code == 404
    with staff.get(f"/dashboard/san-pham/{product}/chung-nhan/ban-quet") as scan:
        assert scan.status_code == 200 and scan.mimetype == "application/pdf"


def test_get_owned_product_is_the_single_ownership_check(app):
    """Services and other features call access.get_owned_product: 404 for others."""
    from werkzeug.exceptions import NotFound

    from marketplace.sellers.access import get_owned_product

    world = build_world(app, set())
    with app.app_context():
        owner = db.session.get(Seller, world["owner_seller"])
        other = db.session.get(Seller, world["other_seller"])
        assert get_owned_product(owner, world["product"]).id == world["product"]
        for seller, product_id in ((other, world["product"]), (None, world["product"]), (owner, 10**9), (owner, "x")):
            with pytest.raises(NotFound):
                get_owned_product(seller, product_id)


# ------------------------------------------------------------------- staff area
# Every route under /nhan-vien (this feature's and those other features add later) is
# found in app.url_map and walked as anonymous, buyer, seller, staff and admin.

STAFF_ID_ARGS = {"seller_id": "seller", "product_id": "product", "cert_id": "cert", "revision_id": "revision"}


def build_staff_world(app) -> dict:
    with app.app_context():
        from marketplace.catalog.services import propose_revision

        seller = make_seller(status="pending")
        published = make_product(seller_id=seller.id, name="Chè có bản sửa", slug=f"rev-{secrets.token_hex(6)}")
        product = make_product(seller_id=seller.id, name=OWNER_NAME, status="pending",
                               slug=f"owner-{secrets.token_hex(6)}")
        cert = make_certification(product, verified_at=None)
        revision = propose_revision(published, {"name": "Tên mới chờ duyệt"})
        world = {"seller": seller.id, "product": product.id, "cert": cert.id, "revision": revision.id,
                 "buyer": make_user(role="buyer").id, "seller_user": make_user(role="seller", seller_id=seller.id).id,
                 "staff": make_user(role="staff").id, "admin": make_user(role="admin").id}
        db.session.commit()
    return world


def staff_url(app, rule, world) -> str:
    values = {}
    for arg in rule.arguments:
        if arg in (rule.defaults or {}):
            continue  # filled by the rule itself (e.g. publish/unpublish share a view)
        converter = rule._converters[arg].__class__.__name__
        if arg in STAFF_ID_ARGS:
            values[arg] = world[STAFF_ID_ARGS[arg]]
        elif converter in ("IntegerConverter", "NumberConverter", "IdConverter"):
            values[arg] = 1  # another feature's object: the guard runs before any lookup
        else:
            values[arg] = "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def staff_state(app) -> str:
    from marketplace.audit.models import AuditEntry

    with app.app_context():
        return repr([
            db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)),
            db.session.execute(sa.select(Seller.id, Seller.status, Seller.rejected_at).order_by(Seller.id)).all(),
            db.session.execute(sa.select(Product.id, Product.status, Product.name).order_by(Product.id)).all(),
            db.session.execute(sa.select(OcopCertification.id, OcopCertification.verified_at,
                                         OcopCertification.rejected_at)).all(),
        ])


def test_every_staff_route_refuses_everyone_but_staff(app):
    rules = sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/nhan-vien")), key=lambda r: r.rule)
    endpoints = {r.endpoint for r in rules}
    for expected in ("staff.home", "staff.sellers", "staff.seller_approve", "staff.seller_suspend",
                     "staff.products_bulk", "staff.product_take_down", "staff.product_edit", "staff.revision_approve",
                     "staff.certificate", "staff.certificate_verify", "staff.audit"):
        assert expected in endpoints
    problems: list[str] = []
    walked = 0
    for rule in rules:
        for method in methods_of(rule):
            world = build_staff_world(app)
            url = staff_url(app, rule, world)
            where = f"{method} {url} ({rule.endpoint})"
            before = staff_state(app)
            response = app.test_client().open(url, method=method, data={"reason": "x", "ids": [world["product"]],
                                                                        "decision": "approve"})
            response.close()
            if not _is_login_redirect(response):
                problems.append(f"anonymous {where}: {response.status_code}")
            for role in ("buyer", "seller_user"):
                client = app.test_client()
                with app.app_context():
                    log_in(client, world[role])
                response = client.open(url, method=method, data={"reason": "x", "ids": [world["product"]],
                                                                 "decision": "approve"})
                body = response.get_data(as_text=True)
                response.close()
                if response.status_code != 403:
                    problems.append(f"{role} {where}: {response.status_code}")
                if OWNER_NAME in body:
                    problems.append(f"{role} {where} sees staff data")
            if staff_state(app) != before:
                problems.append(f"{where}: a refused request changed something")
            staff = app.test_client()
            with app.app_context():
                log_in(staff, world["staff"])
            response = staff.open(url, method=method, data={} if method == "POST" else None)
            response.close()
            if response.status_code >= 500 or response.status_code in (401, 403, 405):
                problems.append(f"staff {where}: {response.status_code}")
            if method == "GET" and all(a in STAFF_ID_ARGS for a in rule.arguments) and response.status_code != 200:
                problems.append(f"staff {where}: {response.status_code}")
            walked += 1
    assert not problems, "staff authorization walk found problems:\n" + "\n".join(problems)
    assert walked >= len(rules)
    # Admins are staff too.
    world = build_staff_world(app)
    admin = app.test_client()
    with app.app_context():
        log_in(admin, world["admin"])
    assert admin.get("/nhan-vien/").status_code == 200
