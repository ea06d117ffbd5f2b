"""The demo catalog (`flask --app marketplace seed-demo`): counts, realism, photos,
idempotence, --reset and determinism. The catalog is seeded once for the module (with
photos, as `make run` does); a second database is seeded without photos to compare."""
from __future__ import annotations

import unicodedata
from datetime import timedelta
from collections import Counter

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.catalog import queries as cq
from marketplace.catalog.models import (
    OCOP_GROUPS,
    Area,
    AreaAlias,
    Category,
    OcopCertification,
    Product,
    ProductPhoto,
    RuralIndustryRecognition,
)
from marketplace.demo import data
from marketplace.demo.plan import build_plan, plan_digest
from marketplace.demo.seed import catalog_digest
from marketplace.extensions import db
from marketplace.inquiries.models import Inquiry, InquiryItem
from marketplace.media import get_storage
from marketplace.media.images import WIDTHS, rendition_name
from marketplace.sellers.models import Seller
from marketplace.text import add_months, fold, today_vn
from tests.conftest import make_test_config, reset_schema
from tests.factories import make_user

pytestmark = pytest.mark.slow  # the full demo seed (2,760 products, photos), several times

VIETNAMESE_MARKS = set("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ")
MOJIBAKE = ("Ã", "Â", "Æ", "áº", "á»", "\ufffd", "Ä‘")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    app = create_app(make_test_config(tmp))
    with app.app_context():
        reset_schema()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "2760 công khai" in result.output
    app.seed_output = result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo(seeded):
    with seeded.app_context():
        yield seeded
        db.session.remove()


def _count(stmt) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def _row_counts() -> dict[str, int]:
    models = (Product, Seller, Category, Area, AreaAlias, OcopCertification, RuralIndustryRecognition, ProductPhoto)
    return {m.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in models}


def _valid_cert_products():
    return (
        cq.public_products()
        .join(OcopCertification, OcopCertification.product_id == Product.id)
        .where(cq.valid_certificate_condition())
    )


def test_at_least_2700_public_products(demo):
    assert _count(cq.public_products()) >= 2700
    assert _count(cq.public_products()) == data.PUBLIC_PRODUCTS


def test_non_public_products_exist_and_stay_hidden(demo):
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Product))
    public_ids = set(db.session.scalars(cq.public_product_ids()))
    hidden = db.session.scalars(sa.select(Product).where(Product.id.not_in(public_ids))).all()
    assert len(hidden) == total - len(public_ids) >= data.NON_PUBLIC_PRODUCTS
    statuses = Counter(p.status for p in hidden)
    assert set(statuses) == {"draft", "pending", "rejected", "archived", "published"}
    assert sum(n for status, n in statuses.items() if status != "published") == data.NON_PUBLIC_PRODUCTS
    pending_sellers = db.session.scalars(sa.select(Seller).where(Seller.status == "pending")).all()
    assert len(pending_sellers) == data.PENDING_SELLERS
    for seller in pending_sellers:
        assert seller.products, "a pending seller shows that its products are invisible"
        assert all(p.status == "published" and not p.is_public for p in seller.products)


def test_at_least_300_sellers_of_every_kind(demo):
    approved = db.session.scalars(sa.select(Seller).where(Seller.status == "approved")).all()
    assert len(approved) >= 300
    kinds = Counter(s.kind for s in approved)
    assert set(kinds) == {"cooperative", "enterprise", "household"}
    assert kinds["household"] > kinds["enterprise"] and kinds["cooperative"] > kinds["enterprise"]
    prefixes = Counter(s.name.split(" ")[0] for s in approved)
    assert prefixes["HTX"] >= 80 and prefixes["Tổ"] >= 5  # cooperatives and cooperative groups
    assert all(s.is_demo for s in approved)
    assert sum(s.verified for s in approved) > 0.8 * len(approved)
    for s in approved:
        assert s.phone.isdigit() and len(s.phone) == 10 and s.phone[0] == "0", s.phone
        assert "@" in s.email and s.address and s.area_id is not None
        assert len(s.story.split(". ")) >= 3
    names = {s.name for s in approved}
    assert {"HTX chè Hảo Đạt", "HTX miến Việt Cường", "HTX chè an toàn Nguyên Việt"} <= names
    # Every approved seller has products on the floor.
    with_products = set(db.session.scalars(sa.select(Product.seller_id).where(Product.status == "published")))
    assert {s.id for s in approved} <= with_products


def test_exactly_173_valid_ocop_certificates(demo):
    assert _count(_valid_cert_products()) == 173
    certs = db.session.scalars(sa.select(OcopCertification)).all()
    valid = [c for c in certs if c.is_valid()]
    assert len(valid) == 173
    assert all(c.product.is_public for c in valid)
    # The expired and unverified ones exist and show no badge.
    expired = [c for c in certs if c.verified_at is not None and c.expires_on < data.BASE_DATE]
    unverified = [c for c in certs if c.verified_at is None]
    assert len(expired) == data.EXPIRED_CERTIFICATES and len(unverified) == data.UNVERIFIED_CERTIFICATES
    assert all(c.product.valid_certification is None for c in expired + unverified)
    # Valid for months to come, not just today — except the few that expire soon on
    # purpose (still valid today, so they count among the 173).
    days_left = sorted((c.expires_on - today_vn()).days for c in valid)
    near = len(data.NEAR_EXPIRY_DAYS)
    assert days_left[:near] == list(data.NEAR_EXPIRY_DAYS)
    assert sum(1 for d in days_left if d <= 30) == 2 and sum(1 for d in days_left if d <= 90) == 5
    assert min(c.expires_on for c in valid if (c.expires_on - today_vn()).days > 90) >= add_months(data.BASE_DATE, 6)


def test_star_mix_and_realistic_certificates(demo):
    valid = [c for c in db.session.scalars(sa.select(OcopCertification)).all() if c.is_valid()]
    stars = Counter(c.stars for c in valid)
    assert set(stars) == {3, 4, 5}
    assert stars[3] > stars[4] > stars[5] >= 2
    assert stars[3] / 173 > 0.55
    bands = {3: range(50, 70), 4: range(70, 90), 5: range(90, 101)}
    for c in valid:
        assert c.score in bands[c.stars]
        # The number as written on the decision ("1234/QĐ-UBND"); pages add "Quyết định số".
        number, _, suffix = c.decision_number.partition("/QĐ-")
        assert number.isdigit() and suffix in ("UBND", "BNNMT", "BNN-VPĐP"), c.decision_number
        assert c.product_group in OCOP_GROUPS
        category = c.product.category
        root = category.parent or category
        assert c.product_group == root.ocop_group
        if c.stars == 5:
            assert c.issuing_level == "central" and c.issuing_body.startswith("Bộ Nông nghiệp")
        if c.issuing_level == "district":
            assert c.issuing_body.startswith("UBND huyện") or c.issuing_body.startswith("UBND thành phố")
            assert c.issued_on.year <= 2025
    five = {c.product.name for c in valid if c.stars == 5}
    assert {"Miến dong Việt Cường", "Chè tôm nõn Hảo Đạt", "Miến dong Tài Hoan"} <= five


def test_exactly_90_rural_industry_products(demo):
    recs = db.session.scalars(sa.select(RuralIndustryRecognition)).all()
    assert len(recs) == 90
    assert all(r.product.is_public for r in recs)
    assert _count(cq.public_product_ids().where(cq.has_rural_industry())) == 90
    levels = Counter(r.level for r in recs)
    assert set(levels) == {"province", "region", "national"}
    assert all(2019 <= r.year <= 2025 for r in recs)
    national = {r.product.name for r in recs if r.level == "national"}
    assert national == {
        "Nhất diệp hảo trà", "Hương sơn trà", "Chè móc câu Hảo Đạt", "Miến tỏi đen Việt Cường", "Vạn lộc trà",
    }
    machinery = [r for r in recs if r.product.category.ocop_group is None]
    assert machinery, "machines and tools are typical rural-industry products too"


def test_every_product_has_a_photo_with_files(demo):
    storage = get_storage()
    products = db.session.scalars(sa.select(Product).options(sa.orm.selectinload(Product.photos))).all()
    keys = set()
    for p in products:
        assert len(p.photos) == 1, p.slug
        photo = p.photos[0]
        assert (photo.width, photo.height) == (600, 600) and photo.alt == p.name
        keys.add(photo.key)
    assert len(keys) > 1000  # varied pictures (size variants of a line share one)
    for key in keys:
        for width in WIDTHS:  # every width the pages link to
            assert storage.exists(rendition_name(key, width)), key
    with Image.open(storage.open_path(rendition_name(sorted(keys)[0], 320))) as img:
        assert img.format == "WEBP" and img.size == (320, 320)


def test_names_have_vietnamese_diacritics_and_no_mojibake(demo):
    names = list(db.session.scalars(sa.select(Product.name)))
    texts = names + list(db.session.scalars(sa.select(Product.description)))
    texts += list(db.session.scalars(sa.select(Seller.name))) + list(db.session.scalars(sa.select(Seller.story)))
    for text in texts:
        assert unicodedata.is_normalized("NFC", text)
        assert not any(bad in text for bad in MOJIBAKE), text
        assert "{" not in text and "}" not in text, text  # no unfilled template
    with_marks = [n for n in names if VIETNAMESE_MARKS & set(n.lower())]
    assert len(with_marks) > 0.9 * len(names)
    assert {"Chè búp Tân Cương đặc biệt", "Miến dong Việt Cường", "Nhất diệp hảo trà"} <= set(names)
    assert any(n.startswith("Chè móc câu Hảo Đạt ") and n.endswith(" g hộp giấy") for n in names)
    for p in db.session.scalars(cq.public_products()):
        sentences = [s for s in p.description.split(". ") if s]
        assert 2 <= len(sentences) <= 5, p.description
        assert p.unit and p.search_text == fold(p.search_text)


def test_prices_are_plausible_integers(demo):
    rows = db.session.execute(
        sa.select(Product.price_vnd, Product.unit, Category.name).join(Category, Product.category_id == Category.id)
    ).all()
    for price, unit, category in rows:
        assert isinstance(price, int) and price % 1000 == 0
        assert 5_000 <= price <= 100_000_000, (price, unit, category)
    tea_kg = [price for price, unit, category in rows if category == "Chè (trà)" and unit.endswith(" 1 kg")]
    assert tea_kg and all(100_000 <= p <= 5_000_000 for p in tea_kg)
    machines = [price for price, _, category in rows if category == "Máy chế biến chè, nông sản"]
    assert machines and all(p >= 5_000_000 for p in machines)
    tourism = [(price, unit) for price, unit, category in rows if category == "Du lịch cộng đồng"]
    assert tourism and all(u.startswith("người/") for _, u in tourism)


def test_popularity_is_skewed_and_some_products_are_featured(demo):
    views = sorted(db.session.scalars(sa.select(Product.view_count)), reverse=True)
    top = views[: len(views) // 10]
    assert sum(top) > 0.4 * sum(views)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(Product.featured)) == data.FEATURED
    published = list(db.session.scalars(sa.select(Product.published_at).where(Product.status == "published")))
    days = {p.date() for p in published}
    assert len(days) > 300  # spread over the last two years
    assert max(published).date() <= data.BASE_DATE


def test_category_tree_and_areas(demo):
    roots = db.session.scalars(cq.root_categories()).all()
    groups = {c.ocop_group for c in roots}
    assert set(OCOP_GROUPS) <= groups and None in groups
    assert all(c.name_en for c in db.session.scalars(sa.select(Category)))
    child_names = {c.name for c in db.session.scalars(sa.select(Category).where(Category.parent_id.is_not(None)))}
    assert {"Chè (trà)", "Miến, bún, phở khô", "Mật ong", "Đồ gỗ mỹ nghệ", "Mây tre đan"} <= child_names
    areas = db.session.scalars(cq.current_areas()).all()
    assert 30 <= len(areas) <= 60
    real = {a.name for a in areas if not a.is_demo}
    assert {"xã Tân Cương", "xã Đại Phúc", "phường Quyết Thắng", "phường Tích Lương", "xã Võ Nhai"} <= real
    assert any(a.is_demo for a in areas)
    tan_cuong = cq.area_by_slug("xa-tan-cuong")
    assert {"Thịnh Đức", "Tân Cương (cũ)", "TP Thái Nguyên"} <= {a.name for a in tan_cuong.aliases}
    assert all(a.folded == fold(a.name) for a in db.session.scalars(sa.select(AreaAlias)))
    # A former district name still finds the products of its communes.
    dong_hy = db.session.scalars(cq.public_products().where(Product.search_text.like("%dong hy%"))).all()
    assert any(p.name == "Miến dong Việt Cường" for p in dong_hy)


def test_search_index_is_built(demo):
    from marketplace.search import SearchQuery, get_search

    result = get_search().search(SearchQuery(text="miến dong", per_page=5))
    assert result.total >= 50
    result = get_search().search(SearchQuery(ocop_stars=(5,), per_page=50))
    assert result.total == 6


def test_featured_collections_on_the_home_and_a_category_page(demo):
    from marketplace.collections.models import Collection

    collections = {c.slug: c for c in db.session.scalars(sa.select(Collection))}
    assert set(collections) == {"san-pham-ocop-5-sao", "dac-san-che-thai-nguyen", "qua-tet-thai-nguyen",
                                "mien-dong-ocop"}
    assert all(c.is_active() for c in collections.values())
    five = collections["san-pham-ocop-5-sao"]
    assert five.placement == "home_hero" and len(five.items) == 6
    assert all(i.product.valid_certification.stars == 5 and i.product.is_public for i in five.items)
    tea = collections["dac-san-che-thai-nguyen"]
    assert tea.placement == "home_row" and len(tea.items) == data.COLLECTION_ROW_PRODUCTS
    assert all(i.product.category.name == "Chè (trà)" and i.product.valid_certification for i in tea.items)
    gifts = collections["qua-tet-thai-nguyen"]
    assert gifts.placement == "home_row" and gifts.ends_at is not None and len(gifts.items) >= 8
    assert all("quà" in i.product.name for i in gifts.items)
    noodles = collections["mien-dong-ocop"]
    assert noodles.placement == "category" and noodles.category.name == "Miến, bún, phở khô"
    assert all(c.cover_key for c in collections.values())  # the first product's picture
    client = demo.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'class="collection-hero"' in home
    assert home.index("Sản phẩm OCOP 5 sao") < home.index("Đặc sản chè Thái Nguyên") < home.index("Quà Tết từ")
    category = client.get(f"/danh-muc/{noodles.category.slug}").get_data(as_text=True)
    assert "Miến dong OCOP" in category


def test_demo_accounts_get_one_time_passwords_in_a_private_file(demo):
    from pathlib import Path

    from marketplace.accounts.services import authenticate

    path = Path(demo.config["DEMO_ACCOUNTS_FILE"])
    assert path.stat().st_mode & 0o777 == 0o600
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    accounts = {line.split()[1]: (line.split()[0], line.split()[2]) for line in lines}
    assert sorted(role for role, _ in accounts.values()) == ["admin", "buyer", "seller", "seller", "seller", "staff"]
    for email, (role, password) in accounts.items():
        assert len(password) >= 16 and password in demo.seed_output  # printed once, at seed time
        user = authenticate(email, password)
        assert user is not None and user.role == role
        if role == "seller":
            assert user.seller is not None and user.seller.status == "approved" and user.seller.products
    # Every seed makes new passwords: none is in the code.
    source = "".join(p.read_text(encoding="utf-8") for p in Path("marketplace/demo").glob("*.py"))
    assert not any(password in source for _, password in accounts.values())
    # `make run` re-runs with --if-empty: nothing printed, the file is left as it was.
    before = path.read_bytes()
    quiet = demo.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0 and quiet.output == ""
    assert path.read_bytes() == before


def test_queues_have_work_for_the_staff(demo):
    pending_products = db.session.scalar(
        sa.select(sa.func.count()).select_from(Product).where(Product.status == "pending"))
    pending_sellers = db.session.scalar(sa.select(sa.func.count()).select_from(Seller).where(Seller.status == "pending"))
    unverified = db.session.scalar(
        sa.select(sa.func.count()).select_from(OcopCertification).where(OcopCertification.verified_at.is_(None)))
    assert pending_products >= 5 and pending_sellers == data.PENDING_SELLERS and unverified >= 1


def test_second_run_changes_nothing(demo):
    before, digest = _row_counts(), catalog_digest()
    result = demo.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "không thay đổi" in result.output
    db.session.expire_all()
    assert _row_counts() == before and catalog_digest() == digest
    quiet = demo.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0 and quiet.output == ""
    assert _row_counts() == before


def test_reset_starts_over_with_the_same_catalog(demo):
    before, digest = _row_counts(), catalog_digest()
    # Someone edits the demo: a price changes and a seller adds a product.
    product = db.session.scalars(sa.select(Product).where(Product.name == "Miến dong Việt Cường")).one()
    product.price_vnd += 1000
    db.session.add(Product(seller=product.seller, category=product.category, name="Miến thử", slug="mien-thu",
                           price_vnd=1000, status="draft"))
    member = make_user(email="nguoiban@example.vn", role="seller", seller=product.seller)
    # A buyer's inquiry references the seller and the product (foreign keys on PostgreSQL).
    db.session.add(Inquiry(reference="DEMO-1", seller=product.seller, name="Nguyễn Văn An", phone="0912345678",
                           items=[InquiryItem(product=product, product_name=product.name, quantity=2)]))
    db.session.commit()
    member_id = member.id
    assert catalog_digest() != digest
    from pathlib import Path

    accounts_file = Path(demo.config["DEMO_ACCOUNTS_FILE"]).read_bytes()
    result = demo.test_cli_runner().invoke(args=["seed-demo", "--reset"])
    assert result.exit_code == 0, result.output
    # Demo accounts survive a reset with their passwords; sellers are attached to the new rows.
    assert "Tài khoản demo" not in result.output
    assert Path(demo.config["DEMO_ACCOUNTS_FILE"]).read_bytes() == accounts_file
    demo_seller = db.session.scalars(sa.select(User).where(User.email == "haodat@ocop-demo.example.com")).one()
    assert demo_seller.seller is not None and demo_seller.seller.name == "HTX chè Hảo Đạt"
    db.session.expire_all()
    assert _row_counts() == before
    assert catalog_digest() == digest
    assert _count(_valid_cert_products()) == 173
    # Accounts are not catalog data: the seller member keeps the account, without the seller.
    member = db.session.get(User, member_id)
    assert member is not None and member.seller_id is None
    # Inquiries to sellers that no longer exist cannot stay.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Inquiry)) == 0


def test_deterministic_across_databases(demo, tmp_path):
    """A second, empty SQLite database seeded separately (without photos) holds the same
    catalog as the module's database (SQLite or PostgreSQL)."""
    digest = catalog_digest()
    assert digest == plan_digest(build_plan())
    other = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'other.sqlite'}"))
    with other.app_context():
        reset_schema()
        result = other.test_cli_runner().invoke(args=["seed-demo", "--no-photos"])
        assert result.exit_code == 0, result.output
        assert catalog_digest() == digest
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductPhoto)) == 0
        db.session.remove()
        db.engine.dispose()


def test_seed_refuses_reset_with_if_empty(demo):
    result = demo.test_cli_runner().invoke(args=["seed-demo", "--reset", "--if-empty"])
    assert result.exit_code != 0
    assert _count(cq.public_products()) == data.PUBLIC_PRODUCTS


def test_seed_on_a_database_without_tables_says_what_to_do(tmp_path):
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.sqlite'}"))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "db upgrade" in result.output
    with app.app_context():
        db.engine.dispose()


def test_seed_keeps_the_catalog_when_the_search_engine_is_down(tmp_path):
    """A real Meilisearch client pointed at a closed port: the catalog is saved, and the
    command says how to build the index later."""
    config = make_test_config(
        tmp_path,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'nomeili.sqlite'}",
        SEARCH_BACKEND="meilisearch",
        MEILI_URL="http://127.0.0.1:9",
        MEILI_TIMEOUT=1.0,
    )
    app = create_app(config)
    with app.app_context():
        reset_schema()
        result = app.test_cli_runner().invoke(args=["seed-demo", "--no-photos"])
        assert result.exit_code == 0, result.output
        assert "search reindex" in result.output
        assert _count(cq.public_products()) == data.PUBLIC_PRODUCTS
        db.session.remove()
        db.engine.dispose()


def test_an_aged_demo_keeps_its_promises_after_the_refresh_job(demo):
    """A demo seeded 400 days ago, as it would read without the demo_refresh job: most
    badges expired. The job moves the seeded dates to today: 173 valid again, the
    near-expiry examples as many days from expiry as on the seed day."""
    from marketplace.demo.refresh import ANCHOR, anchor, refresh_dates
    from marketplace.analytics.models import Setting
    from marketplace.jobs import jobs, run_job

    def snapshot():
        db.session.expire_all()
        certs = db.session.scalars(sa.select(OcopCertification).order_by(OcopCertification.id)).all()
        return [(c.id, c.is_valid(), (c.expires_on - today_vn()).days) for c in certs]

    before = snapshot()
    assert anchor() == today_vn()
    age = timedelta(days=400)
    table = OcopCertification.__table__
    for cid, issued, expires in db.session.execute(sa.select(table.c.id, table.c.issued_on, table.c.expires_on)).all():
        db.session.execute(table.update().where(table.c.id == cid).values(issued_on=issued - age,
                                                                          expires_on=expires - age))
    db.session.get(Setting, ANCHOR).value = (today_vn() - age).toordinal()
    db.session.commit()
    assert _count(_valid_cert_products()) < 173  # what an unrefreshed demo shows after 400 days (121)
    assert run_job(jobs(demo)["demo_refresh"], "test", force=True) is True
    after = snapshot()
    assert [(cid, valid) for cid, valid, _d in after] == [(cid, valid) for cid, valid, _d in before]
    assert [d for _c, _v, d in after] == [d for _c, _v, d in before]
    assert _count(_valid_cert_products()) == 173
    assert anchor() == today_vn() and refresh_dates() == 0  # once a day: nothing more to move


def test_demo_follows_real_seasons_and_states_supply(demo):
    """Tea March–November, custard apple of Võ Nhai August–September, glass noodles
    November–January (the facts file's "Seasons"); the calendar has something every month."""
    from marketplace.seasons import mask_to_months

    with demo.app_context():
        rows = db.session.execute(sa.select(Product.name, Product.season_mask, Product.monthly_volume,
                                            Product.volume_unit, Product.min_order_qty)).all()
    by_stem = {}
    for name, mask, *_ in rows:
        for stem in ("Chè móc câu", "Na dai", "Miến dong"):
            if name.startswith(stem):
                by_stem.setdefault(stem, set()).add(tuple(mask_to_months(mask)))
    assert by_stem["Chè móc câu"] == {tuple(range(3, 12))}
    assert by_stem["Na dai"] == {(8, 9)}
    assert by_stem["Miến dong"] == {(1, 11, 12)}
    assert sum(1 for r in rows if r.monthly_volume and r.volume_unit and r.min_order_qty) > 500
    client = demo.test_client()
    for month in (1, 4, 8, 12):
        assert "class=\"season-category\"" in client.get(f"/mua-vu?thang={month}").get_data(as_text=True)
