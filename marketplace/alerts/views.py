"""Alert pages: subscribe (no account), confirm (double opt-in), unsubscribe (one click,
RFC 8058). Business rules live in alerts.services."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Email, Length

from flask_babel import lazy_gettext as _l

from ..accounts.forms import apply_errors
from ..accounts.services import email_key
from ..extensions import csrf, db
from ..validation import ValidationError
from ..web.ratelimit import client_fingerprint, hit
from . import services

bp = Blueprint("alerts", __name__)

EMAIL_MESSAGE = _l("Vui lòng nhập một địa chỉ email hợp lệ.")


class SubscribeForm(FlaskForm):
    email = StringField(_l("Email của bạn"), validators=[
        DataRequired(message=EMAIL_MESSAGE), Length(max=254, message=EMAIL_MESSAGE),
        Email(message=EMAIL_MESSAGE, check_deliverability=False)],
        render_kw={"type": "email", "autocomplete": "email", "inputmode": "email", "placeholder": "ban@example.vn"})
    product = HiddenField()
    q = HiddenField()
    category = HiddenField()


def _target(form: SubscribeForm) -> services.Target:
    if (form.product.data or "").strip():
        return services.season_target(form.product.data)
    return services.search_target(form.q.data, form.category.data)


def _allowed(email: str) -> bool:
    """Count this request per address and per client (committed at once)."""
    per_address = hit(f"alert-sub:{email_key(email)}", *services.PER_ADDRESS)
    per_client = hit(f"alert-sub-client:{client_fingerprint()}", *services.PER_CLIENT)
    return per_address and per_client


@bp.route("/thong-bao/dang-ky", methods=["GET", "POST"])
def subscribe():
    if request.method == "GET":  # the fields come from the link (?product= or ?q=&category=)
        form = SubscribeForm(formdata=request.args)
        form.email.errors = []
    else:
        form = SubscribeForm()
    target = None
    try:
        target = _target(form)
    except ValidationError as exc:
        if request.method == "GET" or exc.field != "email":
            return render_template("alerts/invalid.html", message=exc.message), 400
    if request.method == "GET":
        return render_template("alerts/subscribe.html", form=form, target=target)
    if not form.validate():
        return render_template("alerts/subscribe.html", form=form, target=target), 400
    if not _allowed(form.email.data):
        return render_template("alerts/rate_limited.html"), 429
    try:
        services.subscribe(form.email.data, target)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc.errors)
        return render_template("alerts/subscribe.html", form=form, target=target), 400
    except sa.exc.IntegrityError:  # the same address subscribing twice at the same moment
        db.session.rollback()
    return render_template("alerts/sent.html", email=form.email.data.strip().lower(), target=target)


@bp.route("/thong-bao/xac-nhan/<token>", methods=["GET", "POST"])
def confirm(token: str):
    subscription = services.subscription_for_confirm(token)
    if subscription is None:
        return render_template("alerts/invalid.html", message=None), 404
    if request.method == "GET":  # a mail scanner's GET confirms nothing: the visitor presses the button
        return render_template("alerts/confirm.html", subscription=subscription, done=False)
    services.confirm(subscription)
    db.session.commit()
    return render_template("alerts/confirm.html", subscription=subscription, done=True)


@bp.route("/thong-bao/huy/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" without a form token
def unsubscribe(token: str):
    subscriber = services.subscriber_for_unsubscribe(token)
    if subscriber is None:
        return render_template("alerts/invalid.html", message=None), 404
    if request.method == "GET":
        return render_template("alerts/unsubscribe.html", done=False, token=token)
    services.unsubscribe(subscriber)
    db.session.commit()
    return render_template("alerts/unsubscribe.html", done=True, token=token)
