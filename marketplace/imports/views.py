"""Spreadsheet import (upload → preview → commit) and CSV export for the dashboard.

Sellers import into their own catalog; staff choose any seller. A preview runs the
whole import in the request's transaction and rolls it back; the commit runs it again
from the stored file and commits only if every row is good.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..sellers.models import Seller
from ..text import today_vn
from ..web.auth import require_seller
from . import storage
from .forms import ImportCommitForm, ImportUploadForm
from .services import apply_import, export_csv
from .spreadsheet import MAX_FILE_BYTES, COLUMNS, ImportFileError, read_table

bp = Blueprint("imports", __name__)

PREVIEW_ROWS = 500


def _is_staff() -> bool:
    return bool(getattr(current_user, "is_staff", False))


def _seller_by_slug(slug: str | None) -> Seller | None:
    if not slug:
        return None
    return db.session.scalars(sa.select(Seller).where(Seller.slug == slug)).first()


def _may_act_for(seller: Seller) -> bool:
    return _is_staff() or (current_user.seller_id is not None and current_user.seller_id == seller.id)


def _upload_page(form: ImportUploadForm, status: int = 200, seller: Seller | None = None):
    sellers = []
    if _is_staff():
        sellers = db.session.scalars(sa.select(Seller).order_by(Seller.name)).all()
    return render_template("imports/upload.html", form=form, sellers=sellers, seller=seller, columns=COLUMNS), status


@bp.route("/dashboard/nhap-du-lieu", methods=["GET", "POST"])
@login_required
def upload():
    staff = _is_staff()
    seller = None if staff else require_seller()
    form = ImportUploadForm()
    if staff:
        form.seller.choices = [("", _("— Chọn cơ sở —"))] + [
            (s.slug, s.name) for s in db.session.scalars(sa.select(Seller).order_by(Seller.name))
        ]
        if request.method == "GET" and request.args.get("seller"):
            form.seller.data = request.args["seller"]
    if request.method == "GET":
        return _upload_page(form, seller=seller)
    if not form.validate():
        return _upload_page(form, 400, seller)
    if staff:
        seller = _seller_by_slug(form.seller.data)
        if seller is None:
            form.seller.errors = [_("Hãy chọn cơ sở cần nhập sản phẩm.")]
            return _upload_page(form, 400, seller)
    upload_file = form.file.data
    if not upload_file or not getattr(upload_file, "filename", ""):
        form.file.errors = [_("Hãy chọn tệp CSV hoặc XLSX.")]
        return _upload_page(form, 400, seller)
    data = upload_file.stream.read(MAX_FILE_BYTES + 1)
    try:
        table = read_table(data)
    except ImportFileError as exc:
        form.file.errors = [exc.message]
        return _upload_page(form, 400, seller)
    result = apply_import(seller, table)
    db.session.rollback()  # a preview writes nothing
    token = None
    if result.ok:
        token = storage.save_upload(data, seller_id=seller.id, user_id=current_user.id, filename=upload_file.filename)
    return _preview(seller, result, token, upload_file.filename, status=200)


def _preview(seller: Seller, result, token: str | None, filename: str, *, status: int, stale: bool = False):
    commit_form = ImportCommitForm(token=token or "")
    return (
        render_template(
            "imports/preview.html",
            seller=seller,
            result=result,
            token=token,
            filename=filename,
            commit_form=commit_form,
            preview_rows=PREVIEW_ROWS,
            stale=stale,
        ),
        status,
    )


@bp.post("/dashboard/nhap-du-lieu/xac-nhan")
@login_required
def commit():
    if not _is_staff():
        require_seller()  # buyers: 404 like every seller page
    form = ImportCommitForm()
    if not form.validate_on_submit():
        abort(400)
    loaded = storage.load_upload(form.token.data or "")
    if loaded is None:
        flash(_("Phiên nhập dữ liệu đã hết hạn hoặc đã được lưu. Hãy tải tệp lên lại."), "error")
        return redirect(url_for("imports.upload"))
    data, meta = loaded
    seller = db.session.get(Seller, meta.get("seller_id"))
    if meta.get("user_id") != current_user.id or seller is None or not _may_act_for(seller):
        abort(404)
    try:
        table = read_table(data)
    except ImportFileError:
        abort(400)
    result = apply_import(seller, table, actor=current_user._get_current_object())
    if not result.ok:
        # The catalog changed since the preview (e.g. a code taken meanwhile): nothing saved.
        db.session.rollback()
        return _preview(seller, result, None, meta.get("filename", ""), status=409, stale=True)
    db.session.commit()
    storage.discard_upload(form.token.data)
    flash(_("Đã nhập xong: %(counts)s.", counts=result.counts_text()), "success")
    if result.review_note:
        flash(result.review_note, "warning")
    if _is_staff():
        return redirect(url_for("imports.upload", seller=seller.slug))
    return redirect(url_for("dashboard.home"))


@bp.get("/dashboard/xuat-du-lieu.csv")
@login_required
def export():
    if _is_staff() and request.args.get("seller"):
        seller = _seller_by_slug(request.args.get("seller"))
        if seller is None:
            abort(404)
    elif _is_staff() and current_user.seller_id is None:
        flash(_("Hãy chọn cơ sở cần xuất dữ liệu."), "error")
        return redirect(url_for("imports.upload"))
    else:
        seller = require_seller()
    filename = f"san-pham-{seller.slug}-{today_vn():%Y%m%d}.csv"
    return Response(
        export_csv(seller),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/dashboard/nhap-du-lieu/mau.csv")
@login_required
def template_csv():
    """An empty template with the expected headers and one example row."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([COLUMNS[f][0] for f in ("code", "name", "category", "price", "unit", "description", "area",
                                             "monthly_volume", "volume_unit", "min_order_qty", "lead_time_days",
                                             "packaging", "season")])
    writer.writerow(["CHE-001", "Chè búp Tân Cương đặc biệt", "Đồ uống", "150.000", "hộp 200 g",
                     "Chè búp hái tay, sao thủ công.", "", "2000", "kg", "50", "7", "hộp 200 g, túi 1 kg", "3-11"])
    return Response(
        b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="mau-nhap-san-pham.csv"'},
    )
