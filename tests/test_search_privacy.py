"""Search analytics keep no personal data: phone numbers, e-mail addresses, long digit
runs and URLs are masked before anything is written (raw tables read back here, on
SQLite and on PostgreSQL), and staff read a query's text only once
SEARCH_TEXT_MIN_VISITORS distinct visitors searched it on one day."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from auth import log_in
from factories import make_user
from marketplace import create_app
from marketplace.analytics import services
from marketplace.analytics.models import SearchDaily, SearchEvent, SearchVisitorMark
from marketplace.analytics.privacy import EMAIL, NUMBER, PHONE, URL, mask_personal
from marketplace.extensions import db
from marketplace.text import today_vn
from test_analytics import BROWSER, get, shop  # noqa: F401 (fixture)

PERSONAL = "0912345678 nguyen.van.a@example.com"


@pytest.mark.parametrize("typed, stored", [
    ("0912345678", PHONE),
    ("0912 345 678", PHONE),
    ("+84 912.345.678", PHONE),
    ("84-912-345-678 mật ong", f"{PHONE} mật ong"),
    ("nguyen.van.a@example.com", EMAIL),
    ("cccd 001203004567", f"cccd {NUMBER}"),
    ("stk 1234 5678 9012", f"stk {NUMBER}"),
    ("https://shopee.vn/mat-ong?x=1", URL),
    ("www.example.org chè", f"{URL} chè"),
    ("xem htxtancuong.vn/san-pham", f"xem {URL}"),
    # Not personal: prices, weights, years, short numbers stay searchable.
    ("chè 500g 2024", "chè 500g 2024"),
    ("gạo 25 kg giá 150000", "gạo 25 kg giá 150000"),
    ("mật ong 3 sao", "mật ong 3 sao"),
])
def test_masking_rules(typed, stored):
    assert mask_personal(typed) == stored


def from_address(client, url: str, address: str) -> None:
    assert client.get(url, headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": address}).status_code == 200


def _raw_texts() -> list[str]:
    """Every text column of every analytics table, as stored."""
    texts = []
    for table in db.metadata.sorted_tables:
        if not table.name.startswith("analytics_"):
            continue
        columns = [c for c in table.columns if isinstance(c.type, sa.String)]
        for row in db.session.execute(sa.select(*columns)) if columns else []:
            texts.extend(str(v) for v in row if v is not None)
    return texts


def test_personal_data_never_reaches_a_table(app, client, shop):
    get(client, f"/san-pham?q={PERSONAL}")
    get(client, "/san-pham?q=Mật ong gọi 0987.654.321 hoặc xem https://zalo.me/0987654321")
    with app.app_context():
        stored = set(db.session.scalars(sa.select(SearchEvent.query)))
        assert stored == {f"{PHONE} {EMAIL}", f"mat ong goi {PHONE} hoac xem {URL}"}
        assert set(db.session.scalars(sa.select(SearchDaily.query))) == stored
        raw = " ".join(_raw_texts())
        for secret in ("0912345678", "912345678", "nguyen", "example.com", "0987", "654", "zalo"):
            assert secret not in raw, secret


def test_texts_below_the_visitor_threshold_show_counts_only(app, client, shop):
    """One visitor searching three times is one visitor; three visitors show the text,
    on the page and in both CSV exports (zero-result queries alike)."""
    for _ in range(3):
        get(client, "/san-pham?q=bà nguyễn thị hoa xóm 3")  # finds nothing: a zero-result query
    for n in range(3):
        get(client, "/san-pham?q=nem chua", ua=f"{BROWSER} #{n}")
    for n in range(2):
        from_address(client, "/san-pham?q=chè búp", f"198.51.100.{n + 1}")
    with app.app_context():
        visitors = dict(db.session.execute(sa.select(SearchDaily.query, SearchDaily.visitors)).all())
        assert visitors == {"ba nguyen thi hoa xom 3": 1, "nem chua": 3, "che bup": 2}
        staff = make_user(email="nv-privacy@example.vn", role="staff")
        db.session.commit()
        log_in(client, staff)
    html = client.get("/nhan-vien/thong-ke/tim-kiem").get_data(as_text=True)
    assert "nem chua" in html
    assert "nguyen thi hoa" not in html and "che bup" not in html
    assert "Thêm 2 từ khoá (5 lượt tìm) chỉ hiện số liệu" in html  # top table: the two hidden, 3 + 2
    assert "Thêm 1 từ khoá (3 lượt tìm) chỉ hiện số liệu" in html  # zero-result table: 3 zero-result searches
    for name in ("tu-khoa", "khong-ket-qua"):
        text = client.get(f"/nhan-vien/thong-ke/xuat/{name}.csv").data.decode("utf-8-sig")
        assert "nguyen thi hoa" not in text and "che bup" not in text
        assert "dưới 3 khách: chỉ hiện số liệu" in text
    assert "nem chua" in client.get("/nhan-vien/thong-ke/xuat/tu-khoa.csv").data.decode("utf-8-sig")
    # A fourth and a third visitor: both texts may now be read.
    from_address(app.test_client(), "/san-pham?q=chè búp", "198.51.100.9")
    assert "che bup" in client.get("/nhan-vien/thong-ke/tim-kiem").get_data(as_text=True)


def test_rollup_forgets_visitors_and_keeps_aggregates_for_their_retention(app, client, shop):
    get(client, "/san-pham?q=nem chua")
    today = today_vn()
    with app.app_context():
        old = today - timedelta(days=401)
        db.session.add_all([SearchDaily(day=old, query="xa xua", searches=1, zero_results=0, results=1, clicked=0,
                                        clicks=0, visitors=5),
                            SearchDaily(day=today - timedelta(days=399), query="gan day", searches=1,
                                        zero_results=0, results=1, clicked=0, clicks=0, visitors=5),
                            SearchVisitorMark(day=today - timedelta(days=1), digest="y" * 32)])
        db.session.commit()
        report = services.rollup()
        db.session.commit()
        assert report.daily_purged == 1
        assert set(db.session.scalars(sa.select(SearchDaily.query))) == {"nem chua", "gan day"}
        # Today's pair stays (it counts today's visitors); yesterday's is gone.
        assert [m.day for m in db.session.scalars(sa.select(SearchVisitorMark))] == [today]
        app.config["SEARCH_DAILY_RETENTION_DAYS"] = 30
        services.rollup()
        db.session.commit()
        assert set(db.session.scalars(sa.select(SearchDaily.query))) == {"nem chua"}


@pytest.mark.parametrize("value", ["0", "-2", "ba"])
def test_a_threshold_of_zero_or_less_is_refused_at_start(monkeypatch, tmp_path, value):
    monkeypatch.setenv("SEARCH_TEXT_MIN_VISITORS", value)
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    with pytest.raises(RuntimeError, match="SEARCH_TEXT_MIN_VISITORS"):
        create_app()


def test_texts_stored_before_masking_are_masked_and_merged(app):
    """What migration 0019 does to rows written before masking existed."""
    from marketplace.analytics.privacy import scrub_stored_queries

    today = today_vn()
    with app.app_context():
        db.session.add_all([
            SearchEvent(token="t1", day=today, query="0912345678 mat ong", results=1),
            SearchEvent(token="t2", day=today, query="mat ong", results=1),
            SearchDaily(day=today, query="0912345678 mat ong", searches=2, zero_results=0, results=3, clicked=1,
                        clicks=1, visitors=2),
            SearchDaily(day=today, query="0987654321 mat ong", searches=1, zero_results=1, results=0, clicked=0,
                        clicks=0, visitors=1),
        ])
        db.session.commit()
        with db.engine.begin() as conn:
            assert scrub_stored_queries(conn) == 3
        db.session.expire_all()
        assert sorted(db.session.scalars(sa.select(SearchEvent.query))) == ["mat ong", f"{PHONE} mat ong"]
        rows = db.session.execute(sa.select(SearchDaily.query, SearchDaily.searches, SearchDaily.zero_results,
                                            SearchDaily.clicks, SearchDaily.visitors)).all()
        assert [tuple(r) for r in rows] == [(f"{PHONE} mat ong", 3, 1, 1, 2)]  # visitors: the larger, never a sum
