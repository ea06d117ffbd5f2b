"""Counting page views, searches and search clicks, exactly and without tracking.

Which pages count is data (``COUNTED_PAGES``: endpoint → kind). A view tells what it
shows by sending ``signals.page_viewed`` / ``product_viewed`` (the receivers below note
it in ``g``); an entry with a ``lookup`` (table, column) is resolved from the URL's slug
when its view sends nothing, so a page built by another feature counts with one line
here. Recording runs in ``after_request`` — after the response is built, from what the
view noted — so it does not depend on how the page was rendered (a page cache may serve
the body; the hook still counts).

One counted view = one transaction on the request's connection: the visitor mark
(``INSERT … ON CONFLICT DO NOTHING``), the daily counters of the site and the object and
their running totals (``INSERT … ON CONFLICT DO UPDATE SET views = views + 1``, returning
the totals: the figures the page shows), plus the search row or the click. The page
cache records the view just before it fills a page's slots (``before_fill``), so the
figures come from the view's own statement; ``after_request`` counts any other response. Nothing is buffered in memory: a worker killed at any moment
loses at most the request it was answering (whose transaction never committed).
Every transaction takes its row locks in the same order (visitor mark, site rows,
object rows, search rows), so PostgreSQL cannot deadlock on them; a lock timeout or
"database is locked" is retried.

Not counted: other methods than GET (HEAD included), link prefetches (``Sec-Purpose``
/ ``Purpose`` / ``X-Moz: prefetch``), any status other than 200 (errors, redirects),
bots (``BOT_PATTERN`` on the User-Agent, an empty User-Agent included), staff and
admins, and a seller's member looking at its own products or seller page.

Unique visitors: ``sha256(daily salt | address | User-Agent)``, stored only for the
current day; the salt is random per day and deleted with the day's marks by the rollup,
so nothing links a mark to an address afterwards. The address is
``request.remote_addr`` only: behind a reverse proxy it is right when the app is
configured with the number of trusted proxies (ProxyFix); a raw ``X-Forwarded-For`` is
never read here.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask_login import current_user
from markupsafe import Markup

from ..extensions import db, request_connection
from ..signals import page_viewed, product_viewed, search_performed
from ..text import fold, today_vn
from ..web.formats import thousands
from ..web.pagecache import before_fill, register_slot, slot, visitor_slot
from .models import SITE, DailySalt, SearchClick, SearchDaily, SearchEvent
from .privacy import mask_personal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageKind:
    kind: str
    # (table, column): resolve the object id from the URL's ``slug`` when the view
    # noted nothing (pages of features that do not send page_viewed).
    lookup: tuple[str, str] | None = None


# endpoint → what is counted. Collections count once ``collections.detail`` exists.
COUNTED_PAGES: dict[str, PageKind] = {
    "catalog.home": PageKind("home"),
    "catalog.listing": PageKind("search"),
    "catalog.product": PageKind("product"),
    "sellers.profile": PageKind("seller"),
    "catalog.category": PageKind("category"),
    "catalog.area": PageKind("area"),
    "collections.detail": PageKind("collection", lookup=("collections", "slug")),
    # A lot's scan page (traceability): a "scan" of its QR code.
    "traceability.scan": PageKind("lot"),
}

BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|curl|wget|python-requests|python-urllib|python/|httpx|aiohttp"
    r"|go-http-client|java/|okhttp|libwww|httpclient|node-fetch|axios|scrapy|headless|phantomjs|selenium"
    r"|puppeteer|playwright|lighthouse|pagespeed|facebookexternalhit|whatsapp|zalo-?link|preview|monitor"
    r"|uptime|pingdom|validator|feedfetcher|mediapartners",
    re.IGNORECASE,
)
REF_PATTERN = re.compile(r"^([A-Za-z0-9_-]{12})\.([0-9]{1,5})$")
RETRIES = 5


_KEPT = 4096  # answers kept per process for the pure functions below; emptied when full
_bot_answers: dict[str, bool] = {}


def is_bot(user_agent: str | None) -> bool:
    if not user_agent:
        return True
    answer = _bot_answers.get(user_agent)  # a page view asks once; a visitor's pages share the answer
    if answer is None:
        answer = not user_agent.strip() or bool(BOT_PATTERN.search(user_agent))
        if len(_bot_answers) >= _KEPT:
            _bot_answers.clear()
        _bot_answers[user_agent] = answer
    return answer


def is_prefetch(headers) -> bool:  # noqa: ANN001
    for name in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"):
        value = (headers.get(name) or "").lower()
        if "prefetch" in value or "prerender" in value or "preview" in value:
            return True
    return False


def normalize_query(text: str | None) -> str:
    """What a search is grouped by and stored as: folded (no marks, đ→d, lower case),
    spaces squeezed, personal data (phone numbers, e-mails, long digit runs, URLs)
    replaced by placeholders — nothing personal is ever written."""
    return mask_personal(fold(text or ""))[:200]


def filters_of(query) -> str:  # noqa: ANN001 — a SearchQuery
    """The filters of a search as canonical JSON ("" when there are none)."""
    data = {
        "category": list(query.categories),
        "area": list(query.areas),
        "stars": list(query.ocop_stars),
        "rural": query.rural_industry,
        "price": list(query.price_bands),
        "min_price": query.min_price,
        "max_price": query.max_price,
        "seller": query.seller,
        "sort": query.sort if query.sort != "relevance" else None,
    }
    data = {k: v for k, v in data.items() if v not in (None, [], "")}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))[:500] if data else ""


# ------------------------------------------------------------- what the view noted


def _on_page_viewed(sender, kind: str, object_id: int | None = None, seller_id: int | None = None, **_) -> None:  # noqa: ANN001
    g.analytics_page = (kind, int(object_id or 0), seller_id)


def _on_product_viewed(sender, product_id: int, seller_id: int | None = None, **_) -> None:  # noqa: ANN001
    g.analytics_page = ("product", int(product_id), seller_id)


def _on_search_performed(sender, query, total: int, **_) -> None:  # noqa: ANN001
    if query.page != 1:
        return  # a later page of the same search is not another search
    g.analytics_search = {
        "query": normalize_query(query.text),
        "filters": filters_of(query),
        "results": int(total or 0),
        "token": secrets.token_urlsafe(9),  # 12 characters
    }


page_viewed.connect(_on_page_viewed)
product_viewed.connect(_on_product_viewed)
search_performed.connect(_on_search_performed)


def search_ref(index: int) -> str | None:
    """``?ref=`` of the ``index``-th (1-based) result link on a counted results page: the
    search's token is a page-cache slot (each search, cached page or not, is its own)."""
    return f"{slot('ref')}.{index}" if g.get("analytics_search") else None


def _fill_ref() -> str:
    search = g.get("analytics_search")
    return search["token"] if search else ""


# ------------------------------------------------------------------ classification


def _page_of_request() -> tuple[str, int, int | None] | None:
    """(kind, object id, owner seller id) of this request if it is a counted page."""
    req = request._get_current_object()
    spec = COUNTED_PAGES.get(req.endpoint or "")
    if spec is None:
        return None
    noted = g.get("analytics_page")
    if noted is not None:
        return (spec.kind, noted[1], noted[2])
    if spec.lookup is None:
        return None  # the view did not reach its page (404 and the like)
    table = db.metadata.tables.get(spec.lookup[0])
    slug = (req.view_args or {}).get("slug")
    if table is None or slug is None:
        return None
    oid = db.session.scalar(sa.select(table.c.id).where(table.c[spec.lookup[1]] == slug))
    return (spec.kind, int(oid), None) if oid is not None else None


def _excluded_visitor(owner_seller_id: int | None) -> bool:
    req = request._get_current_object()
    if req.method != "GET" or is_prefetch(req.headers):
        return True
    if is_bot(req.headers.get("User-Agent")):
        return True
    user = current_user._get_current_object()
    if user and user.is_authenticated:
        if user.role in ("staff", "admin"):
            return True
        if owner_seller_id is not None and user.seller_id == owner_seller_id:
            return True
    return False


def counted_page() -> tuple[str, int] | None:
    """(kind, object id) if this request counts (status aside), decided once."""
    noted = vars(g._get_current_object())
    if "analytics_counted" not in noted:
        page = _page_of_request()
        noted["analytics_counted"] = None if page is None or _excluded_visitor(page[2]) else page[:2]
    return noted["analytics_counted"]


# -------------------------------------------------------------------- the figures


_FIGURES = sa.text(
    "SELECT kind, object_id, views FROM analytics_totals"
    " WHERE (kind = 'site' AND object_id = 0) OR (kind = :kind AND object_id = :oid)"
    " UNION ALL SELECT 'baseline', 0, value FROM analytics_settings WHERE key = 'baseline'"
)


def shown_views(kind: str | None = None, object_id: int | None = None) -> int:
    """Public figure: the site total (baseline + counted views) or one object's views,
    this request included when it counts. One small query per page, cached in ``g``."""
    key = (kind or SITE, int(object_id or 0))
    shown = g.get("analytics_shown")
    if shown is not None and key in shown:
        return shown[key]  # returned by this view's own recording, this view included
    cache = g.get("analytics_figures")
    if cache is None or key not in cache:
        pairs = {(SITE, 0), key}
        try:
            # A constant statement on the session's connection: this runs on every
            # counted page, cached or not (the ORM path cost ~0.4 ms of a ~2 ms cached page).
            rows = db.session.connection().execute(_FIGURES, {"kind": key[0], "oid": key[1]}).all()
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            rows = []
        cache = dict(cache or {})
        cache.update({p: 0 for p in pairs})
        cache[("baseline", 0)] = 0
        cache.update({(k, o): int(v or 0) for k, o, v in rows})
        g.analytics_figures = cache
    value = cache[key]
    try:
        page = counted_page()
    except sa.exc.SQLAlchemyError:
        page = None
    if page is not None and (key == (SITE, 0) or key == page):
        value += 1  # the page being shown
    if key == (SITE, 0):
        value += cache[("baseline", 0)]
    return value


def views_slot(kind: str | None = None, object_id: int | None = None) -> Markup:
    """Template global: the shown figure as a page-cache slot, filled per request (it
    changes with every view, so it is never part of a cached page)."""
    return visitor_slot("views", *((kind, int(object_id or 0)) if kind else ()))


FIGURE_KINDS = frozenset({"product", "seller", "category", "area", "collection"})


def _fill_views(kind: str = "", object_id: str = "0", *_extra: str) -> str:
    """The figure of a ``views`` slot; "" for anything no template makes."""
    if kind and (kind not in FIGURE_KINDS or not object_id.isdigit() or len(object_id) > 12):
        return ""
    return thousands(shown_views(kind or None, int(object_id) if kind else None))


# ---------------------------------------------------------------------- recording

_salts: dict[date, str] = {}
_salt_lock = threading.Lock()


def daily_salt(day: date) -> str:
    """The day's random salt, shared by every process through the database (created by
    whoever needs it first); cached per process since a day's salt never changes."""
    with _salt_lock:
        salt = _salts.get(day)
    if salt is not None:
        return salt
    table = DailySalt.__table__
    with db.engine.begin() as conn:
        conn.execute(_insert(conn, table).values(day=day, salt=secrets.token_hex(32)).on_conflict_do_nothing())
        salt = conn.execute(sa.select(table.c.salt).where(table.c.day == day)).scalar_one()
    with _salt_lock:
        _salts.clear()  # only today's is ever needed
        _salts[day] = salt
    return salt


# Today's digests by (salt, address, User-Agent), today's salt only: a visitor's pages hash
# once. In memory only, and forgotten with the day (the salt), like the marks themselves.
_digests: dict[tuple[str, str | None, str | None], str] = {}
_digests_salt: list[str] = [""]


def visitor_digest(day: date, address: str | None, user_agent: str | None) -> str:
    salt = daily_salt(day)
    if _digests_salt[0] != salt or len(_digests) >= _KEPT:
        _digests.clear()
        _digests_salt[0] = salt
    digest = _digests.get((salt, address, user_agent))
    if digest is None:
        raw = f"{salt}|{address or '-'}|{user_agent or ''}"
        digest = _digests[(salt, address, user_agent)] = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return digest


def _insert(conn, table: sa.Table):  # noqa: ANN001
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


# The same SQL on SQLite (≥ 3.35) and PostgreSQL: plain text statements, compiled once.
_MARK_VISITOR = sa.text(
    "INSERT INTO analytics_visitors (day, digest) VALUES (:day, :digest)"
    " ON CONFLICT (day, digest) DO NOTHING RETURNING day"
)
# The site row first: every transaction locks rows in the same order (no deadlock).
_BUMP_DAILY = sa.text(
    "INSERT INTO analytics_daily (day, kind, object_id, views, visitors, is_demo)"
    " VALUES (:day, 'site', 0, 1, :new, false), (:day, :kind, :oid, 1, 0, false)"
    " ON CONFLICT (day, kind, object_id) DO UPDATE SET views = analytics_daily.views + excluded.views,"
    " visitors = analytics_daily.visitors + excluded.visitors"
)
# Returns the running totals with this view in them, and the baseline: the figures the
# page shows (no second statement to read them).
_BUMP_TOTALS = sa.text(
    "INSERT INTO analytics_totals (kind, object_id, views) VALUES ('site', 0, 1), (:kind, :oid, 1)"
    " ON CONFLICT (kind, object_id) DO UPDATE SET views = analytics_totals.views + excluded.views"
    " RETURNING kind, object_id, views, (SELECT value FROM analytics_settings WHERE key = 'baseline')"
)
_ADD_SEARCH = sa.text(
    "INSERT INTO analytics_searches (token, day, created_at, query, filters, results, clicks, is_demo)"
    " VALUES (:token, :day, :now, :query, :filters, :results, 0, false)"
)
_MARK_SEARCH_VISITOR = sa.text(
    "INSERT INTO analytics_search_visitors (day, digest) VALUES (:day, :digest)"
    " ON CONFLICT (day, digest) DO NOTHING RETURNING day"
)
_BUMP_SEARCH_DAILY = sa.text(
    "INSERT INTO analytics_search_daily (day, query, searches, zero_results, results, clicked, clicks, visitors,"
    " is_demo) VALUES (:day, :query, 1, :zero, :results, 0, 0, :new, false)"
    " ON CONFLICT (day, query) DO UPDATE SET searches = analytics_search_daily.searches + 1,"
    " zero_results = analytics_search_daily.zero_results + excluded.zero_results, results = excluded.results,"
    " visitors = analytics_search_daily.visitors + excluded.visitors"
)


_PYFORMAT = re.compile(r"(?<![:\w]):(\w+)")
_driver_sql: dict[tuple[str, str], str] = {}


def _run(conn, statement: sa.TextClause, params: dict):  # noqa: ANN001, ANN202
    """``statement`` (one of the constant statements above) on the driver's own connection
    under ``conn``, in its transaction: this runs on every counted view, cached page or
    not, and SQLAlchemy's execution path cost four times the statements themselves
    (~0.26 ms against ~0.05 ms for a view's three). Same SQL, same parameters (the
    driver adapts them as SQLAlchemy would for a text statement); a driver error is
    raised as SQLAlchemy's ``DBAPIError`` (the retry below reads it)."""
    dialect = conn.dialect.name
    sql = _driver_sql.get((dialect, statement.text))
    if sql is None:
        sql = statement.text if dialect == "sqlite" else _PYFORMAT.sub(r"%(\1)s", statement.text)
        _driver_sql[(dialect, statement.text)] = sql
    driver = conn.connection.driver_connection
    try:
        return driver.execute(sql, params)
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error) from exc


def search_visitor_digest(digest: str, query: str) -> str:
    """The (visitor, query) pair, hashed again: distinct per query without telling which
    other queries the same visitor typed."""
    return hashlib.sha256(f"{digest}|{query}".encode()).hexdigest()[:32]


def record_view(
    conn,  # noqa: ANN001
    day: date,
    kind: str,
    object_id: int,
    digest: str | None,
    *,
    search: dict | None = None,
    click: tuple[str, int] | None = None,
    marked: bool = False,
) -> dict[tuple[str, int], int]:
    """Count one page view in ``conn``'s transaction (the caller commits). Returns the
    public figures with this view counted: the site's (baseline included) and the
    object's, keyed as ``shown_views`` keys them. ``marked``: the visitor's mark for
    ``day`` is known to be in the database already (not a new visitor; not asked)."""
    new_visitor = 0
    if digest is not None and not marked:
        new_visitor = 1 if _run(conn, _MARK_VISITOR, {"day": day, "digest": digest}).fetchone() is not None else 0
    _run(conn, _BUMP_DAILY, {"day": day, "new": new_visitor, "kind": kind, "oid": object_id})
    shown: dict[tuple[str, int], int] = {}
    for row_kind, row_id, views, baseline in _run(conn, _BUMP_TOTALS, {"kind": kind, "oid": object_id}).fetchall():
        key = (row_kind, int(row_id))
        shown[key] = int(views or 0) + (int(baseline or 0) if key == (SITE, 0) else 0)
    if search is not None:
        from ..text import utcnow

        _run(conn, _ADD_SEARCH, {"token": search["token"], "day": day, "now": utcnow(), "query": search["query"],
                                 "filters": search["filters"], "results": search["results"]})
        new_searcher = 0
        if digest is not None:
            pair = search_visitor_digest(digest, search["query"])
            new_searcher = 1 if _run(conn, _MARK_SEARCH_VISITOR, {"day": day, "digest": pair}).fetchone() else 0
        _run(conn, _BUMP_SEARCH_DAILY, {"day": day, "query": search["query"], "results": search["results"],
                                        "zero": 1 if search["results"] == 0 else 0, "new": new_searcher})
    if click is not None and kind == "product":
        _record_click(conn, day, object_id, *click)
    return shown


def _record_click(conn, day: date, product_id: int, token: str, position: int) -> None:  # noqa: ANN001
    events = SearchEvent.__table__
    row = conn.execute(
        events.update().where(events.c.token == token).values(clicks=events.c.clicks + 1)
        .returning(events.c.id, events.c.day, events.c.query, events.c.clicks)
    ).first()
    if row is None:
        return  # unknown or purged search: the view counts, the click does not
    conn.execute(sa.insert(SearchClick.__table__).values(
        search_id=row.id, product_id=product_id, position=position, day=day,
    ))
    table = SearchDaily.__table__
    conn.execute(
        table.update().where(table.c.day == row.day, table.c.query == row.query)
        .values(clicks=table.c.clicks + 1, clicked=table.c.clicked + (1 if row.clicks == 1 else 0))
    )


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    text = str(exc.orig or exc).lower()
    return any(s in text for s in ("locked", "deadlock", "could not serialize", "lock timeout", "busy"))


def _write(day: date, kind: str, object_id: int, digest: str, search: dict | None, click) -> dict:  # noqa: ANN001
    """One transaction, committed; the figures shown. On a cache hit, on the request's
    own connection (``extensions.request_connection``: the one the page cache read the
    catalog stamp on), else on the session's. PostgreSQL: continuing its read-only transaction
    (counted pages only read), committed without waiting for the WAL flush. SQLite: the
    driver opens a transaction only at the first write, so the view's reads left none
    open and this one starts fresh (were one open, it is ended first: a read lock
    upgraded to a write lock fails instead of waiting)."""
    conn = request_connection(open_one=False)  # a cache hit's; a rendered page uses the session's
    own = conn is not None
    if not own:
        conn = db.session.connection()
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        # A crash of the database server (not of the app) may lose the last ~0.6 s.
        _run(conn, _NO_SYNC_COMMIT, {})
    elif driver.in_transaction:
        if own:
            _rollback(conn)
        else:
            db.session.rollback()
            conn = db.session.connection()
    stamp = g.get("catalog_generation")  # (database epoch, generation), when the request read it
    known = (stamp[0], day, digest) if stamp is not None and digest is not None else None
    shown = record_view(conn, day, kind, object_id, digest, search=search, click=click,
                        marked=known is not None and known in _marked)
    if own or _nothing_for_the_session_to_commit():
        # Nothing of the ORM's to flush and no commit hook with work queued (mail, search
        # delivery): the connection's own commit, without the session's commit machinery.
        # The session's transaction, if any, now empty, ends with the request.
        _commit(conn)
    else:
        db.session.commit()
    if known is not None:
        if len(_marked) >= _KEPT:
            _marked.clear()
        _marked.add(known)
    return shown


_NO_SYNC_COMMIT = sa.text("SET LOCAL synchronous_commit = off")


def _nothing_for_the_session_to_commit() -> bool:
    session = db.session()
    return not (session.new or session.dirty or session.deleted or session.info)


def _commit(conn) -> None:  # noqa: ANN001
    """Commit ``conn``'s transaction: SQLAlchemy's, when a statement went through it (a
    search click), else the driver's (the constant statements run on it directly)."""
    if conn.in_transaction():
        conn.commit()
        return
    try:
        conn.connection.driver_connection.commit()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance("COMMIT", None, exc, conn.dialect.loaded_dbapi.Error) from exc


def _rollback(conn) -> None:  # noqa: ANN001
    if conn.in_transaction():
        conn.rollback()
    conn.connection.driver_connection.rollback()


# Visitors whose mark for the day this process saw committed, by (database epoch, day,
# digest): their next views skip the mark's INSERT (it can only answer "not new"). Marks
# of a day are deleted only after the day (rollup, purge), and the epoch tells one
# database from another (tests, a restored copy).
_marked: set[tuple[str, date, str]] = set()


def record_response(response: Response) -> None:
    """Count this response if it is a counted page view, once per request (the page
    cache calls it before filling the page's slots, so the figures shown are the ones
    this view's own statement returned; ``after_request`` calls it for any other
    response). Never breaks the response."""
    noted = vars(g._get_current_object())  # one context lookup, not one per name
    if noted.get("analytics_recorded"):
        return
    noted["analytics_recorded"] = True
    req = request._get_current_object()
    if response.status_code != 200 or req.method != "GET" or req.endpoint not in COUNTED_PAGES:
        return
    if not current_app.config.get("ANALYTICS_ENABLED", True):
        return
    try:
        page = counted_page()
        if page is None:
            return
        kind, object_id = page
        search = noted.get("analytics_search") if kind == "search" else None
        click = None
        if kind == "product":
            match = REF_PATTERN.match(req.args["ref"]) if "ref" in req.args else None
            if match:
                click = (match.group(1), int(match.group(2)))
        day = today_vn()
        digest = visitor_digest(day, req.remote_addr, req.headers.get("User-Agent"))
        for attempt in range(RETRIES):
            try:
                noted["analytics_shown"] = _write(day, kind, object_id, digest, search, click)
                break
            except sa.exc.DBAPIError as exc:
                conn = request_connection(open_one=False)
                if conn is not None:
                    _rollback(conn)
                db.session.rollback()
                if attempt == RETRIES - 1 or not _retryable(exc):
                    raise
                time.sleep(0.01 * (attempt + 1))
    except Exception:  # noqa: BLE001 — a page must never fail because counting did
        log.exception("analytics: a page view could not be recorded")


def after_request(response: Response) -> Response:
    """Count this response if it is a counted page view and the page cache did not
    already (never breaks the response)."""
    record_response(response)
    return response


def _forget() -> None:
    """What an earlier request in the same app context noted is not this request's."""
    noted = vars(g._get_current_object())  # one context lookup, not one per key
    for key in ("analytics_page", "analytics_search", "analytics_counted", "analytics_figures", "analytics_recorded",
                "analytics_shown"):
        noted.pop(key, None)


def init_recording(app: Flask) -> None:
    app.before_request(_forget)
    app.after_request(after_request)
    app.add_template_global(shown_views, "shown_views")
    app.add_template_global(search_ref, "search_ref")
    app.add_template_global(views_slot, "views_slot")
    register_slot("views", _fill_views)
    before_fill(record_response)
    register_slot("ref", _fill_ref)
