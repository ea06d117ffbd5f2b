"""The seller's certifications (/dashboard/chung-nhan): every kind listed, kinds other
than OCOP added and edited here (OCOP stays on each product's certificate page).

Views parse the form, call a service, commit once, redirect; a refused form rolls back
so nothing already saved changes. Another seller's certification gives 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.forms import EmptyForm, apply_errors
from ..catalog import services as catalog_services
from ..catalog.models import Product
from ..extensions import db
from ..validation import ValidationError
from ..web.auth import require_seller
from . import queries, services
from .forms import SellerCertificationForm
from .models import KIND_LABELS, OCOP, SCOPE_LABELS, Certification

bp = Blueprint("certifications", __name__, url_prefix="/dashboard/chung-nhan")


@bp.before_request
@login_required
def _require_login() -> None:
    return None


@bp.context_processor
def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "scope_labels": SCOPE_LABELS}


def _owned(cert_id: int) -> Certification:
    seller = require_seller()
    cert = db.session.get(Certification, cert_id)
    if cert is None or cert.seller_id != seller.id:
        abort(404)
    return cert


def _read_scan() -> bytes | None:
    storage = request.files.get("scan")
    if storage is None or not storage.filename:
        return None
    return storage.read(catalog_services.MAX_SCAN_BYTES + 1) or None


def _form(seller, cert: Certification | None = None) -> SellerCertificationForm:
    if request.method == "GET" and cert is not None:
        form = SellerCertificationForm(obj=cert)
        form.product_ids.data = [p.id for p in cert.products]
    else:
        form = SellerCertificationForm()
    products = db.session.execute(
        db.select(Product.id, Product.name).where(Product.seller_id == seller.id).order_by(Product.name)).all()
    form.product_ids.choices = [(pid, name) for pid, name in products]
    return form


def _save(seller, cert: Certification | None):
    form = _form(seller, cert)
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            actor = current_user._get_current_object()
            try:
                if cert is None:
                    cert = services.create_certification(seller, form.certification_data(), _read_scan(), actor=actor)
                else:
                    services.update_certification(cert, form.certification_data(), _read_scan(), actor=actor)
            except ValidationError as exc:
                db.session.rollback()
                apply_errors(form, exc.errors)
            else:
                db.session.commit()
                flash(_("Đã lưu chứng nhận. Cán bộ sẽ đối chiếu bản quét trước khi hiển thị huy hiệu."), "success")
                return redirect(url_for("certifications.edit", cert_id=cert.id))
    return render_template("certifications/form.html", form=form, cert=cert, seller=seller,
                           action_form=EmptyForm()), status


@bp.get("/")
def index():
    seller = require_seller()
    certs = db.session.scalars(queries.seller_certifications(seller.id)).all()
    return render_template("certifications/index.html", certs=certs, seller=seller, OCOP=OCOP)


@bp.route("/moi", methods=["GET", "POST"])
def new():
    return _save(require_seller(), None)


@bp.route("/<id:cert_id>", methods=["GET", "POST"])
def edit(cert_id: int):
    cert = _owned(cert_id)
    if cert.kind == OCOP:
        return redirect(url_for("dashboard.product_certification", product_id=cert.product_id))
    return _save(cert.seller, cert)


@bp.post("/<id:cert_id>/xoa")
def delete(cert_id: int):
    cert = _owned(cert_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.delete_certification(cert, actor=current_user._get_current_object())
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("certifications.index"))
    db.session.commit()
    flash(_("Đã xoá chứng nhận."), "success")
    return redirect(url_for("certifications.index"))


@bp.get("/<id:cert_id>/ban-quet")
def scan(cert_id: int):
    """The scan, for its seller and for staff only (never cached publicly)."""
    cert = (db.session.get(Certification, cert_id) or abort(404)) if current_user.is_staff else _owned(cert_id)
    if not cert.scan_key:
        abort(404)
    from ..media import get_storage

    storage = get_storage()
    if not storage.exists(cert.scan_key):
        abort(404)
    pdf = cert.scan_key.endswith(".pdf")
    response = send_file(storage.open_path(cert.scan_key), mimetype="application/pdf" if pdf else "image/webp",
                         max_age=0, download_name=f"chung-nhan-{cert.id}{'.pdf' if pdf else '.webp'}")
    response.headers["Cache-Control"] = "private, no-store"
    return response
