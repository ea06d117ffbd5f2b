"""Staff decisions: moderation of sellers, products and revisions, certificate
verification, expiry reminders. Every decision is audited in the same transaction and
the seller is mailed after the commit (``mail.send_after_commit``).

Services flush, never commit; the view or CLI command commits once. Reasons the
seller must see are required (``ValidationError`` on the ``reason`` field).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from ..audit.services import record, snapshot
from ..catalog import services as catalog
from ..catalog.models import OcopCertification, Product, ProductRevision
from ..certifications import services as certifications
from ..validation import ValidationError, _
from ..extensions import db
from ..mail import send_after_commit, send_mail
from ..sellers import services as sellers
from ..sellers.models import Seller
from ..text import format_date, utcnow
from .models import REMINDER_DAYS, CertificateReminder

log = logging.getLogger(__name__)

REASON_MAX = 2000


class DecisionError(ValidationError):
    """A decision that does not apply to the object's current state."""


def clean_reason(reason: str | None, *, required: bool) -> str | None:
    text = (reason or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError("reason", _("Vui lòng ghi lý do (người bán sẽ đọc được)."))
    if len(text) > REASON_MAX:
        raise ValidationError("reason", _("Lý do tối đa 2.000 ký tự."))
    return text or None


# ----------------------------------------------------------------------- mail


@contextmanager
def _vietnamese():
    """Mail to sellers is in Vietnamese whatever language the staff page is in."""
    if has_request_context():
        from flask_babel import force_locale

        with force_locale("vi"):
            yield
    else:
        yield


def _link(endpoint: str, **values) -> str:
    try:
        return url_for(endpoint, _external=True, **values)
    except RuntimeError:  # CLI without SERVER_NAME
        return ""


def _mail_seller(seller: Seller, subject: str, lines: list[str]) -> None:
    if not seller.email:
        log.info("seller %s has no e-mail; decision mail skipped", seller.slug)
        return
    site = current_app.config["SITE_NAME"]
    with _vietnamese():
        body = "\n".join([_("Kính gửi %(seller)s,", seller=seller.name), "", *lines, "",
                          _("Trân trọng,"), site]) + "\n"
        send_after_commit(seller.email, f"[{site}] {subject}", body)


def _reason_lines(reason: str | None) -> list[str]:
    return ["", _("Lý do: %(reason)s", reason=reason)] if reason else []


# -------------------------------------------------------------------- sellers

SELLER_AUDIT_FIELDS = ("status", "rejected_at", "review_note")


def _seller_decision(seller: Seller, action: str, actor, reason: str | None, change) -> Seller:
    before = snapshot(seller, SELLER_AUDIT_FIELDS)
    change()
    seller.updated_at = utcnow()
    db.session.flush()
    record(action, "seller", seller.id, actor=actor, before=before,
           after=snapshot(seller, SELLER_AUDIT_FIELDS), reason=reason)
    return seller


def approve_seller(seller: Seller, *, actor=None) -> Seller:
    """A pending (or rejected) registration is approved: its published products go public."""
    if seller.status == "approved":
        raise DecisionError("status", _("Cơ sở này đã được duyệt."))
    if seller.status == "suspended":
        raise DecisionError("status", _("Cơ sở đang bị tạm ngừng; hãy dùng “Khôi phục”."))

    def change() -> None:
        sellers.approve_seller(seller)
        seller.rejected_at = None
        seller.review_note = None

    _seller_decision(seller, "seller.approve", actor, None, change)
    with _vietnamese():
        _mail_seller(seller, _("Cơ sở của bạn đã được duyệt"), [
            _("Hồ sơ cơ sở của bạn đã được duyệt. Các sản phẩm đã duyệt nay hiển thị với người mua."),
            _link("dashboard.home"),
        ])
    return seller


def reject_seller(seller: Seller, reason: str | None, *, actor=None) -> Seller:
    """A pending registration is refused with a reason; it stays pending (invisible) and
    returns to the queue when the seller edits its profile."""
    reason = clean_reason(reason, required=True)
    if seller.status != "pending":
        raise DecisionError("status", _("Chỉ từ chối được cơ sở đang chờ duyệt."))

    def change() -> None:
        seller.rejected_at = utcnow()
        seller.review_note = reason

    _seller_decision(seller, "seller.reject", actor, reason, change)
    with _vietnamese():
        _mail_seller(seller, _("Hồ sơ cơ sở chưa được duyệt"), [
            _("Hồ sơ cơ sở của bạn chưa được duyệt."), *_reason_lines(reason), "",
            _("Hãy cập nhật hồ sơ; hồ sơ sẽ được xem xét lại: %(link)s", link=_link("dashboard.profile")),
        ])
    return seller


def suspend_seller(seller: Seller, reason: str | None, *, actor=None) -> Seller:
    """Hide the seller and all its products at once. Product statuses are untouched
    (public = approved seller + published product), so reinstating restores exactly
    the products that were public before."""
    reason = clean_reason(reason, required=True)
    if seller.status == "suspended":
        raise DecisionError("status", _("Cơ sở này đang bị tạm ngừng."))

    def change() -> None:
        sellers.suspend_seller(seller)
        seller.review_note = reason

    _seller_decision(seller, "seller.suspend", actor, reason, change)
    with _vietnamese():
        _mail_seller(seller, _("Cơ sở của bạn bị tạm ngừng"), [
            _("Cơ sở của bạn và toàn bộ sản phẩm tạm thời không hiển thị trên sàn."), *_reason_lines(reason),
        ])
    return seller


def reinstate_seller(seller: Seller, reason: str | None = None, *, actor=None) -> Seller:
    reason = clean_reason(reason, required=False)
    if seller.status != "suspended":
        raise DecisionError("status", _("Chỉ khôi phục được cơ sở đang bị tạm ngừng."))

    def change() -> None:
        sellers.approve_seller(seller)
        seller.review_note = None

    _seller_decision(seller, "seller.reinstate", actor, reason, change)
    with _vietnamese():
        _mail_seller(seller, _("Cơ sở của bạn đã được khôi phục"), [
            _("Cơ sở của bạn đã được khôi phục; các sản phẩm đã duyệt hiển thị trở lại."), *_reason_lines(reason),
        ])
    return seller


# ------------------------------------------------------------------- products

PRODUCT_AUDIT_FIELDS = ("status", "review_note")


def _product_decision(product: Product, action: str, actor, reason: str | None, change) -> Product:
    before = snapshot(product, PRODUCT_AUDIT_FIELDS)
    change()
    db.session.flush()
    record(action, "product", product.id, actor=actor, before=before,
           after=snapshot(product, PRODUCT_AUDIT_FIELDS), reason=reason)
    return product


def approve_product(product: Product, *, actor=None) -> Product:
    """A pending product is published (public once its seller is approved)."""
    if product.status != "pending":
        raise DecisionError("status", _("Chỉ duyệt được sản phẩm đang chờ duyệt."))

    def change() -> None:
        catalog.publish_product(product)
        product.review_note = None

    _product_decision(product, "product.approve", actor, None, change)
    with _vietnamese():
        _mail_seller(product.seller, _("Sản phẩm “%(name)s” đã được duyệt", name=product.name), [
            _("Sản phẩm “%(name)s” đã được duyệt.", name=product.name),
            _link("dashboard.product_edit", product_id=product.id),
        ])
    return product


def _refuse_product(product: Product, reason: str | None, actor, *, action: str, from_status: str,
                    state_message: str, mail_texts) -> Product:
    """Reject (pending) or take down (published): status ``rejected`` with the reason the
    seller sees; the seller may fix the product and submit it again. ``mail_texts()``
    gives the mail's subject and first line (called in Vietnamese)."""
    reason = clean_reason(reason, required=True)
    if product.status != from_status:
        raise DecisionError("status", state_message)

    def change() -> None:
        catalog.reject_product(product)
        product.review_note = reason

    _product_decision(product, action, actor, reason, change)
    with _vietnamese():
        subject, headline = mail_texts()
        _mail_seller(product.seller, subject, [
            headline, *_reason_lines(reason), "",
            _("Hãy sửa sản phẩm rồi gửi duyệt lại: %(link)s",
              link=_link("dashboard.product_edit", product_id=product.id)),
        ])
    return product


def reject_product(product: Product, reason: str | None, *, actor=None) -> Product:
    return _refuse_product(
        product, reason, actor, action="product.reject", from_status="pending",
        state_message=_("Chỉ từ chối được sản phẩm đang chờ duyệt."),
        mail_texts=lambda: (_("Sản phẩm “%(name)s” chưa được duyệt", name=product.name),
                            _("Sản phẩm “%(name)s” chưa được duyệt.", name=product.name)))


def take_down_product(product: Product, reason: str | None, *, actor=None) -> Product:
    """Remove a published product from public view at once."""
    return _refuse_product(
        product, reason, actor, action="product.take_down", from_status="published",
        state_message=_("Chỉ gỡ được sản phẩm đang hiển thị."),
        mail_texts=lambda: (_("Sản phẩm “%(name)s” đã bị gỡ khỏi sàn", name=product.name),
                            _("Sản phẩm “%(name)s” đã bị gỡ khỏi sàn.", name=product.name)))


def edit_product_on_behalf(product: Product, data: dict, rural: dict | None = None, *, actor,
                           reason: str | None = None) -> Product:
    """Staff edit a listing for its seller: applied directly (no revision), audited as
    ``product.edit_on_behalf``."""
    reason = clean_reason(reason, required=False)
    catalog.update_product(product, data, actor=actor, review=False, action="product.edit_on_behalf",
                           reason=reason)
    if rural is not None:
        catalog.set_rural_industry(product, rural, actor=actor)
    return product


def bulk_decide(kind: str, ids: Iterable[int], decision: str, reason: str | None, *, actor) -> tuple[int, list[str]]:
    """Approve or reject many pending sellers (``kind="seller"``) or products at once.

    Returns (number decided, messages for the ones skipped). A reason is required to
    reject; the whole batch is refused without one.
    """
    if decision not in ("approve", "reject"):
        raise ValidationError("decision", _("Thao tác không hợp lệ."))
    if decision == "reject":
        reason = clean_reason(reason, required=True)
    model = Seller if kind == "seller" else Product
    ids = sorted({int(i) for i in ids})
    if not ids:
        raise ValidationError("ids", _("Chưa chọn mục nào."))
    done, skipped = 0, []
    for obj in db.session.scalars(sa.select(model).where(model.id.in_(ids)).order_by(model.id)):
        # Decisions check the state before changing anything, so a refused one leaves
        # nothing half-done and the batch goes on.
        try:
            if kind == "seller":
                approve_seller(obj, actor=actor) if decision == "approve" else reject_seller(obj, reason, actor=actor)
            else:
                approve_product(obj, actor=actor) if decision == "approve" else reject_product(obj, reason, actor=actor)
        except DecisionError as exc:
            skipped.append(f"{obj.name}: {exc.message}")
        else:
            done += 1
    return done, skipped


# ------------------------------------------------------------------ revisions


def approve_revision(revision: ProductRevision, *, actor=None) -> ProductRevision:
    """Publish the proposed values (slug, search index follow as for any product change)."""
    if revision.status != "pending":
        raise DecisionError("status", _("Bản sửa này đã được xử lý."))
    product = revision.product
    before = {key: getattr(product, key) for key in revision.fields}
    catalog.apply_revision(revision)
    revision.status = "approved"
    revision.decided_by_id = getattr(actor, "id", None)
    revision.decided_at = utcnow()
    db.session.flush()
    record("product.revision_approve", "product", product.id, actor=actor, before=before,
           after={key: getattr(product, key) for key in revision.fields})
    with _vietnamese():
        _mail_seller(product.seller, _("Thay đổi sản phẩm “%(name)s” đã được duyệt", name=product.name), [
            _("Thay đổi của bạn cho sản phẩm “%(name)s” đã được duyệt và đang hiển thị.", name=product.name),
            _link("dashboard.product_edit", product_id=product.id),
        ])
    return revision


def reject_revision(revision: ProductRevision, reason: str | None, *, actor=None) -> ProductRevision:
    """Keep the approved version; the seller sees the reason."""
    reason = clean_reason(reason, required=True)
    if revision.status != "pending":
        raise DecisionError("status", _("Bản sửa này đã được xử lý."))
    product = revision.product
    revision.status = "rejected"
    revision.reason = reason
    revision.decided_by_id = getattr(actor, "id", None)
    revision.decided_at = utcnow()
    db.session.flush()
    record("product.revision_reject", "product", product.id, actor=actor,
           before={key: value for key, value in revision.fields.items()},
           after={key: getattr(product, key) for key in revision.fields}, reason=reason)
    with _vietnamese():
        _mail_seller(product.seller, _("Thay đổi sản phẩm “%(name)s” chưa được duyệt", name=product.name), [
            _("Thay đổi của bạn cho sản phẩm “%(name)s” chưa được duyệt; người mua vẫn thấy phiên bản cũ.",
              name=product.name),
            *_reason_lines(reason), "", _link("dashboard.product_edit", product_id=product.id),
        ])
    return revision


# --------------------------------------------------------------- certificates

CERT_AUDIT_FIELDS = ("verified_at", "verified_by_id", "rejected_at", "review_note")


def _cert_name(cert: OcopCertification) -> str:
    """"Chứng nhận VietGAP số 12/2024/VG" (call in Vietnamese)."""
    return _("Chứng nhận %(kind)s số %(number)s", kind=cert.kind_label, number=cert.number)


def verify_certificate(cert: OcopCertification, *, actor) -> OcopCertification:
    """The details match the scan: the badge shows (while the certificate is unexpired)."""
    if cert.verified_at is not None:
        raise DecisionError("status", _("Chứng nhận này đã được xác minh."))
    before = snapshot(cert, CERT_AUDIT_FIELDS)
    certifications.verify(cert, actor)
    record("certificate.verify", "certificate", cert.id, actor=actor, before=before,
           after=snapshot(cert, CERT_AUDIT_FIELDS))
    product = cert.product
    if product is None:  # a kind other than OCOP: the seller's certificate
        with _vietnamese():
            name = _cert_name(cert)
            _mail_seller(cert.seller, _("%(cert)s đã được xác minh", cert=name), [
                _("%(cert)s của cơ sở đã được xác minh; người mua thấy huy hiệu %(kind)s.",
                  cert=name, kind=cert.kind_label),
                _("Chứng nhận có hiệu lực đến %(date)s.", date=format_date(cert.expires_on))
                if cert.expires_on else _("Chứng nhận không có thời hạn."),
            ])
        return cert
    with _vietnamese():
        _mail_seller(product.seller, _("Chứng nhận OCOP của “%(name)s” đã được xác minh", name=product.name), [
            _("Chứng nhận OCOP %(stars)s sao của sản phẩm “%(name)s” đã được xác minh.",
              stars=cert.stars, name=product.name),
            _("Chứng nhận có hiệu lực đến %(date)s.", date=format_date(cert.expires_on)),
        ])
    return cert


def reject_certificate(cert: OcopCertification, reason: str | None, *, actor) -> OcopCertification:
    """The details do not match the scan (or no scan): no badge; the seller sees why."""
    reason = clean_reason(reason, required=True)
    before = snapshot(cert, CERT_AUDIT_FIELDS)
    cert.verified_at = None
    cert.verified_by_id = None
    cert.rejected_at = utcnow()
    cert.review_note = reason
    db.session.flush()
    record("certificate.reject", "certificate", cert.id, actor=actor, before=before,
           after=snapshot(cert, CERT_AUDIT_FIELDS), reason=reason)
    product = cert.product
    if product is None:
        with _vietnamese():
            name = _cert_name(cert)
            _mail_seller(cert.seller, _("%(cert)s chưa được xác minh", cert=name), [
                _("%(cert)s của cơ sở chưa được xác minh nên chưa hiển thị huy hiệu.",
                  cert=name),
                *_reason_lines(reason), "",
                _("Hãy sửa thông tin hoặc tải lại bản quét: %(link)s",
                  link=_link("certifications.edit", cert_id=cert.id)),
            ])
        return cert
    with _vietnamese():
        _mail_seller(product.seller, _("Chứng nhận OCOP của “%(name)s” chưa được xác minh", name=product.name), [
            _("Chứng nhận OCOP của sản phẩm “%(name)s” chưa được xác minh nên chưa hiển thị huy hiệu.",
              name=product.name),
            *_reason_lines(reason), "",
            _("Hãy sửa thông tin hoặc tải lại bản quét: %(link)s",
              link=_link("dashboard.product_certification", product_id=product.id)),
        ])
    return cert


def due_reminders(today: date) -> list[tuple[OcopCertification, int]]:
    """(certificate, days) for every reminder due on ``today`` (Vietnamese date) and
    not yet sent: certified stars, expiring within 90 (or 30) days, not yet expired.
    When both are due (first run late), only the nearer one is sent."""
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    certs = db.session.scalars(
        sa.select(OcopCertification)
        .where(sa.or_(OcopCertification.kind != "ocop", OcopCertification.stars >= 3),
               OcopCertification.expires_on >= today,
               OcopCertification.expires_on <= horizon)
        .order_by(OcopCertification.expires_on, OcopCertification.id)
    ).all()
    sent = {
        (cid, expires, days)
        for cid, expires, days in db.session.execute(
            sa.select(CertificateReminder.certification_id, CertificateReminder.expires_on,
                      CertificateReminder.days_before)
            .where(CertificateReminder.certification_id.in_([c.id for c in certs] or [0]))
        )
    }
    due = []
    for cert in certs:
        for days in sorted(REMINDER_DAYS):  # nearest first
            if cert.expires_on - timedelta(days=days) <= today and (cert.id, cert.expires_on, days) not in sent:
                due.append((cert, days))
                break
    return due


def send_expiry_reminder(cert: OcopCertification, days: int, today: date) -> bool:
    """Mail the seller now and record the reminder (and any earlier one it supersedes).
    The caller commits right after; a failed delivery raises and records nothing."""
    seller = cert.seller
    if not seller.email:
        return False
    left = (cert.expires_on - today).days
    site = current_app.config["SITE_NAME"]
    product = cert.product
    if product is None:  # a kind other than OCOP
        with _vietnamese():
            name = _cert_name(cert)
            subject = _("[%(site)s] %(cert)s sắp hết hạn", site=site, cert=name)
            body = "\n".join([
                _("Kính gửi %(seller)s,", seller=seller.name), "",
                _("%(cert)s của cơ sở hết hạn ngày %(date)s, còn %(days)d ngày.",
                  cert=name, date=format_date(cert.expires_on), days=left),
                _("Sau ngày này sản phẩm không còn hiển thị huy hiệu %(kind)s. Hãy gia hạn và cập nhật "
                  "chứng nhận mới trên sàn.", kind=cert.kind_label),
                _link("certifications.edit", cert_id=cert.id), "",
                _("Trân trọng,"), site,
            ]) + "\n"
    else:
        subject, body = _ocop_reminder(cert, seller, product, left, site)
    return _record_and_send(cert, seller, days, subject, body)


def _ocop_reminder(cert: OcopCertification, seller: Seller, product: Product, left: int,
                   site: str) -> tuple[str, str]:
    with _vietnamese():
        subject = _("[%(site)s] Chứng nhận OCOP của “%(name)s” sắp hết hạn", site=site, name=product.name)
        body = "\n".join([
            _("Kính gửi %(seller)s,", seller=seller.name), "",
            _("Chứng nhận OCOP %(stars)s sao (quyết định %(number)s) của sản phẩm “%(name)s” hết hạn ngày "
              "%(date)s, còn %(days)d ngày.", stars=cert.stars, number=cert.decision_number, name=product.name,
              date=format_date(cert.expires_on), days=left),
            _("Sau ngày này sản phẩm không còn hiển thị huy hiệu OCOP. Hãy làm thủ tục đánh giá lại và cập nhật "
              "chứng nhận mới trên sàn."),
            _link("dashboard.product_certification", product_id=product.id), "",
            _("Trân trọng,"), site,
        ]) + "\n"
    return subject, body


def _record_and_send(cert: OcopCertification, seller: Seller, days: int, subject: str, body: str) -> bool:
    recorded = set(db.session.scalars(
        sa.select(CertificateReminder.days_before).where(CertificateReminder.certification_id == cert.id,
                                                         CertificateReminder.expires_on == cert.expires_on)))
    for step in REMINDER_DAYS:
        if step >= days and step not in recorded:
            db.session.add(CertificateReminder(certification_id=cert.id, expires_on=cert.expires_on,
                                               days_before=step, sent_to=seller.email if step == days else ""))
    db.session.flush()  # the unique key refuses a reminder another process just sent
    send_mail(seller.email, subject, body)
    return True


def send_due_reminders(today: date, on_each: Callable[[], object] | None = None) -> tuple[int, int, int]:
    """Send every reminder due on ``today``, each committed on its own (one failure does
    not stop the others; it is retried next run). Returns (sent, skipped, failed).
    ``on_each`` is called after each (the CLI's progress bar)."""
    items = [(cert.id, days) for cert, days in due_reminders(today)]
    sent = skipped = failed = 0
    for cert_id, days in items:
        cert = db.session.get(OcopCertification, cert_id)
        try:
            if send_expiry_reminder(cert, days, today):
                db.session.commit()
                sent += 1
            else:
                db.session.rollback()
                skipped += 1
        except Exception:  # noqa: BLE001 — one failure must not stop the run; retried next run
            db.session.rollback()
            log.exception("reminder for certificate %s failed", cert_id)
            failed += 1
        if on_each:
            on_each()
    return sent, skipped, failed
