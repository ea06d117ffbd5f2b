"""Alert rules: subscribing (double opt-in), confirming, unsubscribing, and the daily
digest the ``alerts_digest`` job sends. Services flush; callers commit — except
``send_digests``, the job, which commits each claim before it mails (see the package)."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from ..catalog.models import Category, Product
from ..catalog.queries import public_products
from ..extensions import db
from ..mail import send_after_commit, send_mail
from ..seasons import format_months, in_season, is_year_round, season_start
from ..text import fold, today_vn, utcnow
from ..validation import ValidationError, _
from ..web.site import site_url
from .models import AlertDigest, AlertSubscriber, AlertSubscription

log = logging.getLogger(__name__)

CONFIRM_SALT = "alert-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600
UNSUBSCRIBE_SALT = "alert-unsubscribe"
QUERY_MAX = 100
EMAIL_MAX = 254
MAX_SUBSCRIPTIONS = 50  # active ones per address
MAX_ITEMS = 30  # lines per digest
NEW_PER_SEARCH = 10
# Subscription requests: per address and per client (accounts throttle counters).
PER_ADDRESS = (5, 3600)
PER_CLIENT = (30, 3600)

CONFIRM_PATH = "/thong-bao/xac-nhan/"
UNSUBSCRIBE_PATH = "/thong-bao/huy/"


# ------------------------------------------------------------------ tokens


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def confirm_token(subscription: AlertSubscription) -> str:
    return _serializer(CONFIRM_SALT).dumps({"c": subscription.id, "k": subscription.subscriber.secret[:16]})


def unsubscribe_token(subscriber: AlertSubscriber) -> str:
    """Signed with the app's secret and the address's own random secret; no expiry (an
    old mail's link must still work)."""
    return _serializer(UNSUBSCRIBE_SALT).dumps({"s": subscriber.id, "k": subscriber.secret[:16]})


def _load(token: str, salt: str, max_age: int | None) -> dict | None:
    if not isinstance(token, str) or len(token) > 400:
        return None
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31 else None


def subscription_for_confirm(token: str) -> AlertSubscription | None:
    data = _load(token, CONFIRM_SALT, CONFIRM_MAX_AGE)
    sid = _int(data.get("c")) if data else None
    if sid is None:
        return None
    found = db.session.get(AlertSubscription, sid)
    if found is None or not secrets.compare_digest(found.subscriber.secret[:16], str(data.get("k"))):
        return None
    return found


def subscriber_for_unsubscribe(token: str) -> AlertSubscriber | None:
    data = _load(token, UNSUBSCRIBE_SALT, None)
    sid = _int(data.get("s")) if data else None
    if sid is None:
        return None
    found = db.session.get(AlertSubscriber, sid)
    if found is None or not secrets.compare_digest(found.secret[:16], str(data.get("k"))):
        return None
    return found


def unsubscribe_url(subscriber: AlertSubscriber) -> str:
    return site_url(UNSUBSCRIBE_PATH + unsubscribe_token(subscriber))


def unsubscribe_headers(subscriber: AlertSubscriber) -> dict[str, str]:
    """RFC 8058 one-click: a POST of ``List-Unsubscribe=One-Click`` to the URL."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


# ------------------------------------------------------------------ subscribing


def clean_email(value: object) -> str:
    from email_validator import EmailNotValidError, validate_email

    email = str(value or "").strip().lower()
    if not email or len(email) > EMAIL_MAX:
        raise ValidationError("email", _("Vui lòng nhập một địa chỉ email hợp lệ."))
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError("email", _("Vui lòng nhập một địa chỉ email hợp lệ.")) from None
    return email


@dataclass(frozen=True)
class Target:
    """What to be told about: a product's season, or new products of a search."""

    kind: str
    key: str
    product: Product | None = None
    query_text: str = ""
    category: Category | None = None

    def describe(self) -> str:
        if self.kind == "season":
            return _("“%(name)s” vào mùa", name=self.product.name)
        parts = []
        if self.query_text:
            parts.append(_("“%(q)s”", q=self.query_text))
        if self.category is not None:
            parts.append(_("danh mục %(name)s", name=self.category.name))
        return _("sản phẩm mới: %(what)s", what=", ".join(parts))


def season_target(product_id: object) -> Target:
    """A public product with a season (not year-round)."""
    from ..web import integers

    try:
        pid = integers.parse_int(str(product_id or "").strip(), low=1, high=integers.MAX_ID)
    except ValueError:
        pid = None
    product = db.session.scalars(public_products().where(Product.id == pid)).first() if pid else None
    if product is None:
        raise ValidationError("product", _("Không tìm thấy sản phẩm."))
    if not product.season_mask:
        raise ValidationError("product", _("Sản phẩm này chưa ghi mùa vụ nên chưa thể báo khi vào mùa."))
    if is_year_round(product.season_mask):
        raise ValidationError("product", _("Sản phẩm này có hàng quanh năm."))
    return Target("season", f"season:{product.id}", product=product)


def search_target(query_text: object, category_slug: object = None) -> Target:
    """A saved search: some words and/or a category."""
    text = " ".join(str(query_text or "").split())
    if len(text) > QUERY_MAX:
        raise ValidationError("q", _("Từ khóa tìm kiếm tối đa 100 ký tự."))
    category = None
    slug = str(category_slug or "").strip()
    if slug:
        category = db.session.scalars(sa.select(Category).where(Category.slug == slug[:120])).first()
        if category is None:
            raise ValidationError("category", _("Không tìm thấy danh mục."))
    if not text and category is None:
        raise ValidationError("q", _("Vui lòng nhập từ khóa hoặc chọn danh mục để theo dõi."))
    return Target("search", f"search:{category.slug if category else ''}:{fold(text)}"[:300], query_text=text,
                  category=category)


def subscribe(email: object, target: Target) -> AlertSubscription | None:
    """Ask for ``target`` at ``email``. A new (or unconfirmed, or unsubscribed) one is
    mailed a confirmation link after the commit; one already running changes nothing
    (None). The answer the visitor sees is the same either way."""
    email = clean_email(email)
    subscriber = db.session.scalars(sa.select(AlertSubscriber).where(AlertSubscriber.email == email)).first()
    if subscriber is None:
        subscriber = AlertSubscriber(email=email, secret=secrets.token_urlsafe(32))
        db.session.add(subscriber)
        db.session.flush()
    subscription = db.session.scalars(sa.select(AlertSubscription).where(
        AlertSubscription.subscriber_id == subscriber.id, AlertSubscription.key == target.key)).first()
    running = (subscription is not None and subscription.active and subscription.confirmed_at is not None
               and subscriber.unsubscribed_at is None)
    if running:
        return None
    active = db.session.scalar(sa.select(sa.func.count()).select_from(AlertSubscription).where(
        AlertSubscription.subscriber_id == subscriber.id, AlertSubscription.active))
    if subscription is None and active >= MAX_SUBSCRIPTIONS:
        raise ValidationError("email", _("Địa chỉ này đã theo dõi tối đa 50 mục. Hãy hủy bớt trước khi thêm."))
    if subscription is None:
        subscription = AlertSubscription(subscriber=subscriber, kind=target.kind, key=target.key,
                                         product_id=target.product.id if target.product else None,
                                         query_text=target.query_text,
                                         category_slug=target.category.slug if target.category else None)
        db.session.add(subscription)
    subscription.active = True
    subscription.confirmed_at = None
    db.session.flush()
    _mail_confirmation(subscription, target)
    return subscription


def _site_name() -> str:
    return current_app.config.get("SITE_NAME") or "Sàn OCOP Thái Nguyên"


def _mail_confirmation(subscription: AlertSubscription, target: Target) -> None:
    subscriber = subscription.subscriber
    link = site_url(CONFIRM_PATH + confirm_token(subscription))
    body = _(
        "Xin chào,\n\nĐịa chỉ %(email)s vừa được dùng để đăng ký nhận thông báo trên %(site)s: %(what)s.\n\n"
        "Mở liên kết sau trong vòng 7 ngày và bấm “Xác nhận” để bắt đầu nhận thông báo "
        "(tối đa một thư mỗi ngày):\n%(link)s\n\n"
        "Nếu bạn không đăng ký, hãy bỏ qua thư này; bạn sẽ không nhận thêm thư nào.\n\n"
        "Hủy mọi thông báo cho địa chỉ này: %(unsubscribe)s\n",
        email=subscriber.email, site=_site_name(), what=target.describe(), link=link,
        unsubscribe=unsubscribe_url(subscriber),
    )
    send_after_commit(subscriber.email, _("Xác nhận nhận thông báo"), body, headers=unsubscribe_headers(subscriber))


def confirm(subscription: AlertSubscription) -> AlertSubscription:
    """The mailed link was opened: the subscription runs (the address again, if it had
    unsubscribed). A saved search counts products published from now on as new."""
    now = utcnow()
    subscriber = subscription.subscriber
    if subscription.confirmed_at is None or not subscription.active or subscriber.unsubscribed_at is not None:
        subscription.confirmed_at = now
        subscription.active = True
        if subscription.kind == "search":
            subscription.cursor = now
        subscriber.confirmed_at = subscriber.confirmed_at or now
        subscriber.unsubscribed_at = None
        db.session.flush()
    return subscription


def unsubscribe(subscriber: AlertSubscriber) -> None:
    """Every alert of the address stops (idempotent)."""
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = utcnow()
    db.session.execute(sa.update(AlertSubscription).where(AlertSubscription.subscriber_id == subscriber.id)
                       .values(active=False))
    db.session.flush()


# ------------------------------------------------------------------ the digest


def _product_url(product: Product) -> str:
    return site_url(f"/san-pham/{product.slug}")


def _season_items(subscription: AlertSubscription, today: date) -> list[dict]:
    product = subscription.product
    if product is None or not product.is_public or not in_season(product, today.month):
        return []
    started = season_start(product.season_mask, today)
    if subscription.notified_on is not None and subscription.notified_on >= started:
        return []  # already told about this season
    return [{"kind": "season", "subscription": subscription.id, "product": product.id, "name": product.name,
             "months": format_months(product.season_mask), "url": _product_url(product)}]


def _search_items(subscription: AlertSubscription) -> list[dict]:
    from ..search import get_search
    from ..search.base import SearchQuery

    query = SearchQuery(text=subscription.query_text,
                        categories=(subscription.category_slug,) if subscription.category_slug else (),
                        sort="newest", per_page=NEW_PER_SEARCH * 2, with_facets=False)
    ids = get_search().search(query).ids
    if not ids:
        return []
    stmt = public_products().where(Product.id.in_(ids))
    if subscription.cursor is not None:
        stmt = stmt.where(Product.published_at > subscription.cursor)
    products = sorted(db.session.scalars(stmt), key=lambda p: (_aware(p.published_at or utcnow()), p.id),
                      reverse=True)
    what = subscription.query_text or subscription.category_slug or ""
    return [{"kind": "search", "subscription": subscription.id, "product": p.id, "name": p.name, "search": what,
             "published_at": _aware(p.published_at).isoformat() if p.published_at else None,
             "url": _product_url(p)}
            for p in products[:NEW_PER_SEARCH]]


def due_items(subscriber: AlertSubscriber, today: date) -> list[dict]:
    """What the address would be told today (confirmed, running subscriptions only)."""
    items: list[dict] = []
    for subscription in subscriber.subscriptions:
        if not subscription.active or subscription.confirmed_at is None:
            continue
        if subscription.kind == "season":
            items += _season_items(subscription, today)
        else:
            items += _search_items(subscription)
    return items[:MAX_ITEMS]


def _advance(subscriber: AlertSubscriber, items: list[dict], today: date) -> None:
    """Mark what the digest tells as told (in the claim's transaction)."""
    by_id = {s.id: s for s in subscriber.subscriptions}
    for item in items:
        subscription = by_id[item["subscription"]]
        if item["kind"] == "season":
            subscription.notified_on = today
        else:
            published = _aware(datetime.fromisoformat(item["published_at"])) if item["published_at"] else utcnow()
            if subscription.cursor is None or published > _aware(subscription.cursor):
                subscription.cursor = published


def _aware(moment: datetime) -> datetime:
    from datetime import timezone

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def digest_body(subscriber: AlertSubscriber, items: list[dict]) -> str:
    lines = [_("Xin chào,"), ""]
    season = [i for i in items if i["kind"] == "season"]
    if season:
        lines.append(_("Đang vào mùa:"))
        lines += [f"- {i['name']} ({i['months']}): {i['url']}" for i in season]
        lines.append("")
    searches: dict[str, list[dict]] = {}
    for item in items:
        if item["kind"] == "search":
            searches.setdefault(item["search"], []).append(item)
    for what, found in searches.items():
        lines.append(_("Sản phẩm mới cho “%(what)s”:", what=what))
        lines += [f"- {i['name']}: {i['url']}" for i in found]
        lines.append("")
    lines += [_("Bạn nhận thư này vì đã đăng ký và xác nhận nhận thông báo trên %(site)s (tối đa một thư mỗi ngày).",
                site=_site_name()),
              _("Hủy nhận mọi thông báo (một lần bấm): %(link)s", link=unsubscribe_url(subscriber)), ""]
    return "\n".join(lines)


@dataclass
class DigestReport:
    sent: int = 0
    skipped: int = 0  # already had today's digest
    failed: int = 0
    stale: int = 0  # claimed earlier but never confirmed sent (a crash): not retried


def _candidates() -> list[int]:
    stmt = (
        sa.select(AlertSubscriber.id)
        .where(AlertSubscriber.unsubscribed_at.is_(None), AlertSubscriber.confirmed_at.is_not(None))
        .where(sa.exists().where(AlertSubscription.subscriber_id == AlertSubscriber.id, AlertSubscription.active,
                                 AlertSubscription.confirmed_at.is_not(None)))
        .order_by(AlertSubscriber.id)
    )
    return list(db.session.scalars(stmt))


def send_digests(today: date | None = None) -> DigestReport:
    """The job: for each running address without today's digest, claim it (digest row
    and advanced cursors, committed), then mail it, then mark it sent."""
    today = today or today_vn()
    report = DigestReport()
    report.stale = db.session.scalar(sa.select(sa.func.count()).select_from(AlertDigest).where(
        AlertDigest.status == "sending", AlertDigest.day < today)) or 0
    for subscriber_id in _candidates():
        done = db.session.scalar(sa.select(AlertDigest.id).where(AlertDigest.subscriber_id == subscriber_id,
                                                                 AlertDigest.day == today))
        if done is not None:
            report.skipped += 1
            continue
        subscriber = db.session.get(AlertSubscriber, subscriber_id)
        items = due_items(subscriber, today)
        if not items:
            db.session.rollback()
            continue
        digest = AlertDigest(subscriber_id=subscriber.id, day=today, status="sending", items=items)
        db.session.add(digest)
        _advance(subscriber, items, today)
        try:
            db.session.commit()  # the claim: from here on this digest is never sent again
        except IntegrityError:  # another runner claimed today's digest of this address first
            db.session.rollback()
            report.skipped += 1
            continue
        try:
            send_mail(subscriber.email, _("Thông báo mùa vụ và sản phẩm mới"), digest_body(subscriber, items),
                      headers=unsubscribe_headers(subscriber))
        except Exception as exc:  # noqa: BLE001 — recorded; at most once, so not retried
            log.exception("alert digest %s failed", digest.id)
            digest.status = "failed"
            digest.error = f"{type(exc).__name__}: {exc}"[:500]
            report.failed += 1
        else:
            digest.status = "sent"
            digest.sent_at = utcnow()
            report.sent += 1
        db.session.commit()
    return report
