"""Order inquiries: the product-page form, the inquiry cart, the confirmation page and
the seller's inbox under /dashboard/hoi-hang."""
from __future__ import annotations

from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..catalog.queries import get_public_product
from ..extensions import db
from ..web import integers
from ..web.auth import current_seller, require_seller
from ..web.pagecache import register_slot
from ..web.ratelimit import client_fingerprint, hit
from . import cart, queries, services
from .forms import STATUS_LABELS, AddToCartForm, CartSubmitForm, InquiryStatusForm, ProductInquiryForm
from .models import INQUIRY_STATUSES, MAX_QUANTITY
from .services import MESSAGE_MAX, NAME_MAX, InquiryError, Line

bp = Blueprint("inquiries", __name__)

RATE_LIMIT = 5  # submissions per client…
RATE_WINDOW = 600  # …per 10 minutes
INBOX_PER_PAGE = 20
MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database we run on
INQUIRY_LIMITS = {"quantity": MAX_QUANTITY, "name": NAME_MAX, "message": MESSAGE_MAX}


register_slot("cart", lambda: str(cart.count()))  # the header's count (a page-cache slot)


@bp.app_context_processor
def inject_inquiry_helpers() -> dict:
    """Helpers for the partials other pages include (no queries except on dashboards)."""
    context = {
        # The product page's inquiry box is plain markup (templates/inquiries/_product_inquiry.html)
        # with ProductInquiryForm's limits; the forms validate the POST.
        "inquiry_prefill": _prefill,
        "inquiry_limits": INQUIRY_LIMITS,
        "inquiry_status_labels": STATUS_LABELS,
    }
    endpoint = request.endpoint or ""
    if endpoint.startswith("dashboard.") or endpoint in ("inquiries.inbox", "inquiries.detail"):
        seller = current_seller()
        if seller is not None:
            context["inquiries_new_count"] = queries.count_new(seller)
    return context


@bp.app_template_filter("qty")
def format_quantity(value: int | None) -> str:
    """``12000`` → ``12.000`` (Vietnamese thousands separator)."""
    return "" if value is None else f"{int(value):,}".replace(",", ".")


@bp.app_template_filter("phone")
def format_phone_filter(value: str | None) -> str:
    return services.format_phone(value or "")


# --- helpers ----------------------------------------------------------------------

def _public_product_or_404(slug: str):
    """Only public products can be asked about (the slug converter turns junk into a 404)."""
    product = get_public_product(slug)
    if product is None:
        abort(404)
    return product


def _prefill() -> dict:
    if current_user.is_authenticated:
        return {"name": current_user.name or "", "email": current_user.email or ""}
    return {}


def _user():
    return current_user if current_user.is_authenticated else None


class Busy(Exception):
    """The database could not take the write in time (SQLite "database is locked")."""


def _rate_limited() -> bool:
    """Count this submission (committed at once, before anything else is written)."""
    try:
        return not hit(f"inquiry:{client_fingerprint()}", RATE_LIMIT, RATE_WINDOW)
    except sa.exc.OperationalError as exc:
        raise Busy from exc


def _too_many():
    return render_template("inquiries/rate_limited.html"), 429


def _busy_message(form) -> None:
    """Nothing was stored: say so on the form, which keeps the input (never a 500)."""
    current_app.logger.warning("inquiry refused: database busy")
    form.form_errors.append(_("Hệ thống đang bận nên yêu cầu chưa được gửi. Vui lòng bấm gửi lại sau vài giây."))


def _store(form, lines):
    """Submit and commit; the inquiries, or None after an InquiryError shown on the form.
    Raises Busy when the database cannot take the write (nothing is stored then)."""
    try:
        inquiries = services.submit_inquiry(form.data, lines, user=_user())
        db.session.commit()
    except InquiryError as exc:
        db.session.rollback()
        _attach_error(form, exc)
        return None
    except sa.exc.OperationalError as exc:
        db.session.rollback()
        raise Busy from exc
    return inquiries


def _attach_error(form, exc: InquiryError) -> None:
    field = getattr(form, exc.field, None)
    if field is not None and exc.field != "lines":
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _pretend_sent(contact: dict, lines: list[Line]):
    """Honeypot filled: show a plausible confirmation, store and send nothing."""
    current_app.logger.info("inquiry honeypot triggered; nothing stored")
    groups: dict[int, SimpleNamespace] = {}
    for line in lines:
        seller = line.product.seller
        group = groups.setdefault(seller.id, SimpleNamespace(seller=seller, items=[]))
        group.items.append(SimpleNamespace(product=line.product, product_name=line.product.name,
                                           unit=line.product.unit, quantity=line.quantity))
    return render_template(
        "inquiries/sent.html",
        reference=services.new_reference(),
        inquiries=list(groups.values()),
        contact=SimpleNamespace(name=contact.get("name") or "", phone=contact.get("phone") or "",
                                email=contact.get("email") or "", message=contact.get("message") or ""),
    )


def _product_id(value) -> int | None:
    """A posted product id, or None unless it is a plausible database id."""
    text = str(value or "")
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def _cart_rows(form: CartSubmitForm, products_by_id: dict) -> list[tuple]:
    """(line form, product) pairs for the lines whose product is still public."""
    rows = []
    for line in form.lines:
        product = products_by_id.get(_product_id(line.product_id.data))
        if product is not None:
            rows.append((line, product))
    return rows


def _render_cart(form: CartSubmitForm, products: list, status: int = 200):
    rows = _cart_rows(form, {p.id: p for p in products})
    sellers = {p.seller_id for _line, p in rows}
    return render_template("inquiries/cart.html", form=form, rows=rows, seller_count=len(sellers)), status


def _posted_products(form: CartSubmitForm) -> tuple[list, bool]:
    """Public products named by the posted lines, and whether any named one is gone."""
    ids = [_product_id(line.product_id.data) for line in form.lines]
    known = [i for i in ids if i is not None]
    products = queries.public_products_by_ids(known)
    return products, len(products) < len(set(ids))


# --- one product ------------------------------------------------------------------

@bp.route("/hoi-hang/<slug:slug>", methods=["GET", "POST"])
def inquire(slug: str):
    if request.method == "GET":
        product = _public_product_or_404(slug)
        form = ProductInquiryForm(formdata=None, data=_prefill())
        return render_template("inquiries/inquire.html", product=product, form=form)

    try:
        return _inquire_post(slug)
    except Busy:
        form = ProductInquiryForm()
        _busy_message(form)
        return render_template("inquiries/inquire.html", product=_public_product_or_404(slug),
                               form=form), 503, {"Retry-After": "5"}


def _inquire_post(slug: str):
    if _rate_limited():
        return _too_many()
    product = _public_product_or_404(slug)
    form = ProductInquiryForm()
    if form.website.data:
        quantity = form.quantity.data if isinstance(form.quantity.data, int) else 1
        return _pretend_sent(form.data, [Line(product, quantity)])
    if form.validate():
        inquiries = _store(form, [Line(product, form.quantity.data)])
        if inquiries is not None:
            reference = inquiries[0].reference
            cart.remember_reference(reference)
            services.send_notifications(inquiries)
            return redirect(url_for(".sent", reference=reference))
    return render_template("inquiries/inquire.html", product=product, form=form), 400


@bp.get("/hoi-hang/da-gui/<reference>")
def sent(reference: str):
    # Only the browser that sent it may see it (the code is also unguessable).
    if not cart.knows_reference(reference):
        abort(404)
    inquiries = db.session.scalars(queries.inquiries_by_reference(reference)).all()
    if not inquiries:
        abort(404)
    return render_template("inquiries/sent.html", reference=reference, inquiries=inquiries, contact=inquiries[0])


# --- the cart ---------------------------------------------------------------------

@bp.post("/gio-hoi-hang/them/<slug:slug>")
def cart_add(slug: str):
    product = _public_product_or_404(slug)
    form = AddToCartForm()
    quantity = form.quantity.data if form.validate() and form.quantity.data else 1
    if cart.add(product.id, quantity):
        flash(_("Đã thêm “%(name)s” vào giỏ hỏi hàng.", name=product.name), "success")
    else:
        flash(_("Giỏ hỏi hàng đã đầy (tối đa %(max)d sản phẩm).", max=services.MAX_LINES), "error")
    return redirect(url_for(".cart_view"))


@bp.get("/gio-hoi-hang")
def cart_view():
    entries = cart.items()
    products = queries.public_products_by_ids([pid for pid, _qty in entries])
    if len(products) < len(entries):
        cart.keep_only({p.id for p in products})
        flash(_("Một số sản phẩm không còn được bán nên đã được bỏ khỏi giỏ."), "info")
    quantities = dict(entries)
    data = {"lines": [{"product_id": p.id, "quantity": quantities[p.id]} for p in products], **_prefill()}
    form = CartSubmitForm(formdata=None, data=data)
    return _render_cart(form, products)


@bp.post("/gio-hoi-hang/cap-nhat")
def cart_update():
    form = CartSubmitForm()
    products, _gone = _posted_products(form)
    if not form.lines.validate(form):
        return _render_cart(form, products, 400)
    cart.set_quantities(form.quantities())
    flash(_("Đã cập nhật giỏ hỏi hàng."), "success")
    return redirect(url_for(".cart_view"))


@bp.post("/gio-hoi-hang/xoa/<id:product_id>")
def cart_remove(product_id: int):
    cart.remove(product_id)
    flash(_("Đã bỏ sản phẩm khỏi giỏ hỏi hàng."), "success")
    return redirect(url_for(".cart_view"))


@bp.post("/gio-hoi-hang/gui")
def cart_submit():
    try:
        return _cart_submit()
    except Busy:
        form = CartSubmitForm()
        _busy_message(form)
        products, _gone = _posted_products(form)
        body, status = _render_cart(form, products, 503)
        return body, status, {"Retry-After": "5"}


def _cart_submit():
    if _rate_limited():
        return _too_many()
    form = CartSubmitForm()
    products, gone = _posted_products(form)
    by_id = {p.id: p for p in products}
    if form.website.data:
        lines = [Line(p, line.quantity.data if isinstance(line.quantity.data, int) and line.quantity.data > 0 else 1)
                 for line, p in _cart_rows(form, by_id)]
        return _pretend_sent(form.data, lines)
    if gone:
        cart.keep_only(set(by_id))
        form.form_errors.append(
            _("Một số sản phẩm trong giỏ không còn được bán và đã được bỏ ra. Vui lòng kiểm tra lại rồi gửi.")
        )
        form.validate()
        return _render_cart(form, products, 400)
    if form.validate():
        lines = [Line(p, line.quantity.data) for line, p in _cart_rows(form, by_id) if line.quantity.data]
        inquiries = _store(form, lines)
        if inquiries is not None:
            reference = inquiries[0].reference
            cart.clear()
            cart.remember_reference(reference)
            services.send_notifications(inquiries)
            return redirect(url_for(".sent", reference=reference))
    return _render_cart(form, products, 400)


# --- the seller's inbox -----------------------------------------------------------

@bp.get("/dashboard/hoi-hang")
@login_required
def inbox():
    seller = require_seller()
    status = request.args.get("trang-thai")
    status = status if status in INQUIRY_STATUSES else None
    page = integers.page_number(request.args.get("trang"), high=100_000)  # never a huge OFFSET
    pagination = db.paginate(queries.inbox(seller, status), page=page, per_page=INBOX_PER_PAGE,
                             error_out=False)
    return render_template(
        "inquiries/inbox.html",
        seller=seller,
        pagination=pagination,
        inquiries=pagination.items,
        status=status,
        counts=queries.status_counts(seller),
    )


@bp.route("/dashboard/hoi-hang/<id:inquiry_id>", methods=["GET", "POST"])
@login_required
def detail(inquiry_id: int):
    seller = require_seller()
    inquiry = services.get_owned_inquiry(seller, inquiry_id)
    form = InquiryStatusForm(formdata=None, data={"status": inquiry.status})
    if request.method == "POST":
        form = InquiryStatusForm()
        if form.validate():
            try:
                changed = services.change_status(inquiry, form.status.data, by_user=current_user)
                db.session.commit()
            except InquiryError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            else:
                if changed:
                    flash(_("Đã chuyển yêu cầu sang trạng thái “%(status)s”.",
                            status=STATUS_LABELS[inquiry.status]), "success")
        else:
            flash(_("Trạng thái không hợp lệ, chưa có gì thay đổi."), "error")
        return redirect(url_for(".detail", inquiry_id=inquiry.id))
    return render_template("inquiries/detail.html", seller=seller, inquiry=inquiry, form=form)
