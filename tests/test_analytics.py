"""Visit and search analytics: what counts and what does not, the public figures,
search click-through, dashboards with CSV, synonyms from a zero-result query, the
rollup (popularity in search without reindexing) and the purge."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from auth import log_in
from factories import make_area, make_category, make_product, make_seller, make_user
from marketplace.analytics import services
from marketplace.analytics.models import DailyCount, SearchClick, SearchDaily, SearchEvent, TotalCount, VisitorMark
from marketplace.analytics.recording import is_bot
from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.search.synonyms import Synonym
from marketplace.text import today_vn

BROWSER = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"


@pytest.fixture
def shop(app):
    with app.app_context():
        area = make_area(name="xã Tân Cương", slug="tan-cuong")
        category = make_category(name="Chè", slug="che")
        seller = make_seller(name="HTX Chè Tân Cương", slug="htx-tan-cuong", area=area)
        tea = make_product(name="Chè móc câu Tân Cương", slug="che-moc-cau", seller_id=seller.id,
                           category_id=category.id, area_id=area.id)
        honey = make_product(name="Mật ong rừng", slug="mat-ong", seller_id=seller.id, category_id=category.id)
        member = make_user(email="htx@example.vn", role="seller", seller_id=seller.id)
        staff = make_user(email="nv@example.vn", role="staff")
        buyer = make_user(email="mua@example.vn", role="buyer")
        db.session.commit()
        ids = {"seller": seller.id, "tea": tea.id, "honey": honey.id, "member": member.id, "staff": staff.id,
               "buyer": buyer.id, "category": category.id, "area": area.id}
    # Yield outside the app context: each request must get its own context (and g).
    yield ids


def get(client, url, ua=BROWSER, **headers):
    return client.get(url, headers={"User-Agent": ua, **headers})


def views(kind, oid=0) -> int:
    return int(db.session.scalar(sa.select(TotalCount.views).where(TotalCount.kind == kind,
                                                                   TotalCount.object_id == oid)) or 0)


def footer_total(html: str) -> int:
    m = re.search(r"Lượt truy cập: ([0-9.]+)", html)
    assert m, "footer counter missing"
    return int(m.group(1).replace(".", ""))


def test_public_pages_count_per_object_and_day_with_site_total(app, client, shop):
    for url in ("/", "/san-pham", "/san-pham/che-moc-cau", "/san-pham/che-moc-cau", "/co-so/htx-tan-cuong",
                "/danh-muc/che", "/khu-vuc/tan-cuong", "/san-pham?q=chè"):
        assert get(client, url).status_code == 200, url
    with app.app_context():
        assert views("site") == 8
        assert views("product", shop["tea"]) == 2
        assert views("seller", shop["seller"]) == 1
        assert views("category", shop["category"]) == 1
        assert views("area", shop["area"]) == 1
        assert views("home") == 1 and views("search") == 2
        day = db.session.get(DailyCount, (today_vn(), "site", 0))
        assert day.views == 8 and day.visitors == 1  # one browser, one address
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitorMark)) == 1


def test_excluded_requests_are_not_counted(app, client, shop):
    excluded = [
        ("/", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", {}),
        ("/", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", {}),
        ("/", "curl/8.5.0", {}),
        ("/", "python-requests/2.32.3", {}),
        ("/", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36", {}),
        ("/", "", {}),
        ("/", BROWSER, {"Sec-Purpose": "prefetch"}),
        ("/", BROWSER, {"Purpose": "prefetch"}),
        ("/san-pham/khong-co", BROWSER, {}),  # 404
        ("/danh-muc/khong-co", BROWSER, {}),
    ]
    for url, ua, headers in excluded:
        get(client, url, ua, **headers)
    client.head("/", headers={"User-Agent": BROWSER})
    with app.app_context():
        assert views("site") == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyCount)) == 0


def test_staff_and_own_seller_are_not_counted_but_other_sellers_and_buyers_are(app, client, shop):
    with app.app_context():
        from marketplace.accounts.models import User

        log_in(client, db.session.get(User, shop["staff"]))
    get(client, "/san-pham/che-moc-cau")
    get(client, "/")
    with app.app_context():
        log_in(client, db.session.get(User, shop["member"]))
    get(client, "/san-pham/che-moc-cau")  # its own product
    get(client, "/co-so/htx-tan-cuong")  # its own page
    with app.app_context():
        assert views("site") == 0
    get(client, "/")  # the home page is nobody's own page
    with app.app_context():
        log_in(client, db.session.get(User, shop["buyer"]))
    get(client, "/san-pham/che-moc-cau")
    with app.app_context():
        assert views("site") == 2 and views("product", shop["tea"]) == 1


def test_footer_shows_total_with_baseline_and_the_page_itself(app, client, shop):
    with app.app_context():
        services.set_baseline(5_012_340)
        db.session.commit()
    html = get(client, "/").get_data(as_text=True)
    assert "Lượt truy cập: 5.012.341" in html  # the page being shown is included
    html = get(client, "/san-pham/che-moc-cau").get_data(as_text=True)
    assert footer_total(html) == 5_012_342
    assert "Lượt xem: 1" in html
    html = get(client, "/san-pham/che-moc-cau").get_data(as_text=True)
    assert "Lượt xem: 2" in html
    # A page that does not count still shows the total, unchanged by itself.
    html = get(client, "/dang-nhap").get_data(as_text=True)
    assert footer_total(html) == 5_012_343
    html = get(client, "/", ua="curl/8").get_data(as_text=True)
    assert footer_total(html) == 5_012_343
    assert "Visits: 5,012,343" in get(client, "/dang-nhap?lang=en").get_data(as_text=True)


def test_raw_forwarded_for_is_ignored_by_default(app, client, shop):
    """Without a configured trusted proxy, X-Forwarded-For cannot mint new visitors."""
    for i in range(3):
        get(client, "/", **{"X-Forwarded-For": f"203.0.113.{i}"})
    with app.app_context():
        day = db.session.get(DailyCount, (today_vn(), "site", 0))
        assert day.views == 3 and day.visitors == 1
    client.get("/", headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    with app.app_context():
        assert db.session.get(DailyCount, (today_vn(), "site", 0)).visitors == 2


def test_search_records_query_filters_results_and_clicks(app, client, shop):
    html = get(client, "/san-pham?q=CHÈ  Tân Cương&stars=5").get_data(as_text=True)
    get(client, "/san-pham?q=che tan cuong")
    html = get(client, "/san-pham?q=che tan cuong").get_data(as_text=True)
    ref = re.search(r'href="/san-pham/che-moc-cau\?ref=([A-Za-z0-9_-]{12})\.([0-9])"', html)
    assert ref, "result links carry the search reference"
    get(client, "/san-pham?q=xyzzy khong co")
    position = int(ref.group(2))
    assert get(client, f"/san-pham/che-moc-cau?ref={ref.group(1)}.{position}").status_code == 200
    get(client, f"/san-pham/che-moc-cau?ref={ref.group(1)}.{position}")  # a second click of the same search
    get(client, "/san-pham/che-moc-cau?ref=forgedforged.3")  # unknown search: a view, no click
    with app.app_context():
        events = list(db.session.scalars(sa.select(SearchEvent).order_by(SearchEvent.id)))
        assert [e.query for e in events] == ["che tan cuong"] * 3 + ["xyzzy khong co"]
        assert events[0].filters == '{"stars":[5]}' and events[1].filters == ""
        assert events[0].results == 0 and events[1].results == 2 and events[3].results == 0
        assert [e.clicks for e in events] == [0, 0, 2, 0]
        daily = db.session.get(SearchDaily, (today_vn(), "che tan cuong"))
        assert (daily.searches, daily.zero_results, daily.clicked, daily.clicks) == (3, 1, 1, 2)
        clicks = list(db.session.scalars(sa.select(SearchClick)))
        assert [(c.product_id, c.position) for c in clicks] == [(shop["tea"], position)] * 2
        assert views("product", shop["tea"]) == 3


def test_staff_dashboards_charts_tables_and_csv(app, client, shop):
    app.config["SEARCH_TEXT_MIN_VISITORS"] = 1  # one visitor's search is shown (privacy: test_search_privacy)
    get(client, "/san-pham/che-moc-cau")
    get(client, "/san-pham?q=tra shan")
    with app.app_context():
        from marketplace.accounts.models import User

        log_in(client, db.session.get(User, shop["staff"]))
    html = client.get("/nhan-vien/thong-ke/").get_data(as_text=True)
    assert "<svg" in html and html.count("<rect") == 30  # one bar per day of the default range
    assert "<div class=\"visually-hidden\"><table>" in html and "<td>2</td><td>1</td>" in html  # today: 2 views, 1 visitor
    assert "Chè móc câu Tân Cương" in html and "Cách đếm" in html
    assert " style=" not in html and "<script>" not in html  # CSP: no inline style or script
    html = client.get("/nhan-vien/thong-ke/tim-kiem?ngay=7").get_data(as_text=True)
    assert "tra shan" in html and "<svg" in html
    csv = client.get("/nhan-vien/thong-ke/xuat/san-pham.csv?ngay=30")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    assert "Chè móc câu Tân Cương,1" in csv.data.decode("utf-8-sig")
    for name in ("ngay", "co-so", "danh-muc", "khu-vuc", "tu-khoa", "khong-ket-qua", "tim-kiem-ngay", "vi-tri"):
        assert client.get(f"/nhan-vien/thong-ke/xuat/{name}.csv").status_code == 200, name
    assert client.get("/nhan-vien/thong-ke/xuat/khac.csv").status_code == 404
    # Bad dates: a Vietnamese notice and the default range, never a 500.
    html = client.get("/nhan-vien/thong-ke/?tu=32/13/2026&den=abc").get_data(as_text=True)
    assert "Ngày bắt đầu không hợp lệ" in html
    # Staff views are not counted.
    with app.app_context():
        assert views("site") == 2


def test_dashboards_are_staff_only(app, client, shop):
    assert client.get("/nhan-vien/thong-ke/").status_code == 302
    with app.app_context():
        from marketplace.accounts.models import User

        log_in(client, db.session.get(User, shop["member"]))
    assert client.get("/nhan-vien/thong-ke/").status_code == 403
    assert client.get("/nhan-vien/thong-ke/xuat/ngay.csv").status_code == 403


def test_zero_result_query_gets_a_synonym_in_one_step_and_the_table_is_managed(app, client, shop):
    for n in range(3):  # three distinct visitors: the text may be shown (SEARCH_TEXT_MIN_VISITORS)
        get(client, "/san-pham?q=tra shan tuyet", ua=f"{BROWSER} v{n}")
    with app.app_context():
        from marketplace.accounts.models import User

        log_in(client, db.session.get(User, shop["staff"]))
    html = client.get("/nhan-vien/thong-ke/tim-kiem").get_data(as_text=True)
    assert 'name="term" value="tra shan tuyet"' in html
    r = client.post("/nhan-vien/thong-ke/tu-dong-nghia",
                    data={"term": "tra", "synonym": "chè", "two_way": "y", "next": "/nhan-vien/thong-ke/tim-kiem"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/nhan-vien/thong-ke/tim-kiem")
    with app.app_context():
        rows = {(s.term, s.synonym) for s in db.session.scalars(sa.select(Synonym))}
        assert rows == {("tra", "che"), ("che", "tra")}
    html = client.get("/nhan-vien/thong-ke/tu-dong-nghia").get_data(as_text=True)
    assert "tra" in html and "Xoá" in html
    client.post("/nhan-vien/thong-ke/tu-dong-nghia/xoa", data={"term": "che", "synonym": "tra"})
    with app.app_context():
        assert {(s.term, s.synonym) for s in db.session.scalars(sa.select(Synonym))} == {("tra", "che")}
    r = client.post("/nhan-vien/thong-ke/tu-dong-nghia", data={"term": "tra", "synonym": "tra", "next": "//evil"},
                    follow_redirects=True)
    assert "Từ đồng nghĩa phải khác từ gốc." in r.get_data(as_text=True)


def test_baseline_form_accepts_dotted_numbers_and_refuses_garbage(app, client, shop):
    with app.app_context():
        from marketplace.accounts.models import User

        log_in(client, db.session.get(User, shop["staff"]))
    r = client.post("/nhan-vien/thong-ke/moc-ban-dau", data={"baseline": "5.000.000"}, follow_redirects=True)
    assert "Đã lưu mốc ban đầu." in r.get_data(as_text=True)
    r = client.post("/nhan-vien/thong-ke/moc-ban-dau", data={"baseline": "năm triệu"}, follow_redirects=True)
    assert "Số lượt ban đầu phải là số nguyên" in r.get_data(as_text=True)
    with app.app_context():
        assert services.get_baseline() == 5_000_000


def test_seller_sees_own_views_inquiries_and_ratio(app, client, shop):
    get(client, "/san-pham/che-moc-cau")
    get(client, "/san-pham/che-moc-cau")
    get(client, "/co-so/htx-tan-cuong")
    with app.app_context():
        from marketplace.accounts.models import User

        other = make_seller(name="Cơ sở khác")
        make_product(name="Miến dong", slug="mien-dong", seller_id=other.id)
        db.session.commit()
        log_in(client, db.session.get(User, shop["member"]))
    get(client, "/san-pham/mien-dong")
    html = client.get("/dashboard/thong-ke/").get_data(as_text=True)
    assert "3 lượt xem (trong đó 1 lượt xem trang cơ sở)" in html
    assert "Miến dong" not in html and "<svg" in html
    csv = client.get("/dashboard/thong-ke/?xuat=san-pham").data.decode("utf-8-sig")
    assert "Chè móc câu Tân Cương,2,0," in csv
    assert client.get("/dashboard/thong-ke/?xuat=ngay").data.startswith(b"\xef\xbb\xbf")


def test_rollup_sets_popularity_in_place_and_is_idempotent(app, client, runner, shop):
    for _ in range(3):
        get(client, "/san-pham/mat-ong")
    get(client, "/san-pham/che-moc-cau")
    with app.app_context():
        old = today_vn() - timedelta(days=40)
        db.session.add(DailyCount(day=old, kind="product", object_id=shop["tea"], views=50, visitors=0))
        updated_before = db.session.get(Product, shop["honey"]).updated_at
        db.session.commit()
    result = runner.invoke(args=["analytics", "rollup"])
    assert result.exit_code == 0, result.output
    assert "2 sản phẩm thay đổi" in result.output
    with app.app_context():
        honey = db.session.get(Product, shop["honey"])
        assert honey.view_count == 3 and db.session.get(Product, shop["tea"]).view_count == 1  # 40 days ago: out
        assert honey.updated_at == updated_before
        if db.engine.dialect.name == "sqlite":
            facets = dict(db.session.execute(sa.text("SELECT id, views FROM search_facets")).all())
            assert facets == {shop["tea"]: 1, shop["honey"]: 3}
    assert "0 sản phẩm thay đổi" in runner.invoke(args=["analytics", "rollup"]).output
    html = get(client, "/san-pham?sort=popular").get_data(as_text=True)
    assert html.index("/san-pham/mat-ong") < html.index("/san-pham/che-moc-cau")


def test_purge_command_deletes_raw_rows_and_keeps_daily_counters(app, client, runner, shop):
    get(client, "/san-pham?q=che")
    with app.app_context():
        old = today_vn() - timedelta(days=100)
        event = SearchEvent(token="oldoldoldold", day=old, query="mien", filters="", results=0)
        db.session.add(event)
        db.session.flush()
        db.session.add(SearchClick(search_id=event.id, product_id=shop["tea"], position=1, day=old))
        db.session.add(SearchDaily(day=old, query="mien", searches=1, zero_results=1, results=0))
        db.session.commit()
    assert runner.invoke(args=["analytics", "purge", "--before", "khong-phai-ngay"]).exit_code != 0
    result = runner.invoke(args=["analytics", "purge", "--before", (today_vn() - timedelta(days=90)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "analytics_searches 1" in result.output and "analytics_search_clicks 1" in result.output
    with app.app_context():
        assert [e.query for e in db.session.scalars(sa.select(SearchEvent))] == ["che"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchClick)) == 0
        assert db.session.get(SearchDaily, (old, "mien")).searches == 1  # daily figures are kept


@pytest.mark.parametrize("ua,bot", [
    ("Mozilla/5.0 (compatible; Googlebot/2.1)", True), ("Wget/1.21", True), ("okhttp/4.9", True),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile Safari/604.1", False),
    (BROWSER, False), (None, True),
])
def test_bot_patterns(ua, bot):
    assert is_bot(ua) is bot


@pytest.mark.slow  # the full demo seed (without photos)
def test_demo_history_has_baseline_90_days_and_consistent_popularity(app, runner):
    result = runner.invoke(args=["seed-demo", "--no-photos"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        days = db.session.scalars(sa.select(DailyCount.day).where(DailyCount.kind == "site").order_by(DailyCount.day)).all()
        assert len(days) == 90 and days[-1] == today_vn() - timedelta(days=1)
        assert all(db.session.scalars(sa.select(DailyCount.is_demo)))
        baseline = services.get_baseline()
        assert baseline > 0
        site = db.session.scalar(sa.select(sa.func.sum(DailyCount.views)).where(DailyCount.kind == "site"))
        assert views("site") == site
        counts = services.popularity_counts()
        assert counts and services.changed_popularity(counts) == {}  # view_count = last 30 days already
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchDaily).where(SearchDaily.zero_results > 0))
    with app.app_context():
        from marketplace.accounts.models import User

        staff = make_user(email="nv2@example.vn", role="staff")
        db.session.commit()
        client = app.test_client()
        log_in(client, db.session.get(User, staff.id))
    response = client.get("/nhan-vien/thong-ke/?ngay=90")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:3000]
    assert html.count("<rect") >= 90, re.findall(r"<h1>.*?</h1>|<p class=\"flash[^<]*", html)
    html = get(client, "/").get_data(as_text=True)  # staff: shown, not counted
    assert footer_total(html) == baseline + site


def test_kept_bot_answers_and_visitor_digests_are_what_computing_gives(app):
    """A visitor's pages share one bot check and one digest; each is what computing it
    anew gives, and a new day's salt gives new digests."""
    import hashlib
    from datetime import timedelta

    from marketplace.analytics import recording

    agents = ["Mozilla/5.0 (Linux; Android 13) Chrome/120.0 Mobile Safari/537.36", "Googlebot/2.1", "  ", "",
              "curl/8.0", "Zalo-Link preview"]
    for _ in range(2):
        assert [recording.is_bot(a) for a in agents] == [False, True, True, True, True, True]
    with app.app_context():
        today = today_vn()
        for day in (today, today + timedelta(days=1), today):
            for address in ("203.0.113.5", None):
                salt = recording.daily_salt(day)
                expected = hashlib.sha256(f"{salt}|{address or '-'}|{agents[0]}".encode()).hexdigest()[:32]
                assert recording.visitor_digest(day, address, agents[0]) == expected
        assert recording.visitor_digest(today, "203.0.113.5", agents[0]) != recording.visitor_digest(
            today + timedelta(days=1), "203.0.113.5", agents[0])
