"""Staff pages of collections (/nhan-vien/bo-suu-tap): list, create, edit, schedule,
cover, products (add by search, reorder, remove), publish/unpublish, delete, and the
printable trade-fair catalogue. Parse → service → commit once → redirect."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..accounts.forms import EmptyForm, apply_errors
from ..catalog import queries as cq
from ..catalog.listing import category_label
from ..extensions import db
from ..labels.qr import product_url, qr_inline_svg
from ..media.images import ImageRejected
from ..search import get_search
from ..search.base import SearchQuery
from ..staff.access import staff_blueprint
from ..text import to_local
from . import queries, services
from .forms import PLACEMENT_LABELS, CollectionForm
from .models import Collection

bp = staff_blueprint("collections_staff", __name__, "/nhan-vien/bo-suu-tap")
SEARCH_RESULTS = 20

def _state_labels() -> dict:
    return {
        "active": _("Đang hiển thị"),
        "scheduled": _("Chưa đến lịch"),
        "ended": _("Đã kết thúc"),
        "unpublished": _("Đang tắt"),
    }


def _get(collection_id: int) -> Collection:
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        abort(404)
    return collection


def _category_choices(form: CollectionForm) -> None:
    categories = db.session.scalars(cq.all_categories()).all()
    parents = {c.id: c for c in categories}
    labels = []
    for c in categories:
        parent = parents.get(c.parent_id)
        name = category_label(c)
        labels.append((c.id, f"{category_label(parent)} › {name}" if parent else name))
    labels.sort(key=lambda pair: pair[1])
    form.category_id.choices = [SelectChoice("", _("— Không —"))] + [SelectChoice(v, label) for v, label in labels]


def _form_for(collection: Collection | None) -> CollectionForm:
    form = CollectionForm(obj=collection) if collection is not None else CollectionForm()
    if collection is not None and request.method == "GET":
        # Staff read and type Vietnamese wall-clock times.
        form.starts_at.data = to_local(collection.starts_at).replace(tzinfo=None) if collection.starts_at else None
        form.ends_at.data = to_local(collection.ends_at).replace(tzinfo=None) if collection.ends_at else None
    _category_choices(form)
    return form


def _save(form: CollectionForm, collection: Collection | None):
    """Validate, write and commit; returns the collection, or None (errors on the form)."""
    if not form.validate_on_submit():
        return None
    try:
        if collection is None:
            collection = services.create_collection(form.service_data(), actor=current_user)
        else:
            services.update_collection(collection, form.service_data(), actor=current_user)
        upload = form.cover.data
        if upload and getattr(upload, "filename", ""):
            services.set_cover(collection, upload.stream, actor=current_user)
        elif form.remove_cover.data:
            services.remove_cover(collection, actor=current_user)
    except services.ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc.errors)
        return None
    except ImageRejected as exc:
        db.session.rollback()  # nothing of the form is saved with a bad picture
        form.cover.errors = [*form.cover.errors, exc.message]
        return None
    db.session.commit()
    return collection


@bp.get("/")
def index():
    collections = db.session.scalars(queries.staff_collections()).all()
    counts = queries.item_counts([c.id for c in collections])
    public_counts = queries.public_item_counts([c.id for c in collections])
    return render_template(
        "collections/staff_list.html", collections=collections, counts=counts, public_counts=public_counts,
        placement_labels=PLACEMENT_LABELS, state_labels=_state_labels(), action_form=EmptyForm(),
    )


@bp.route("/moi", methods=["GET", "POST"])
def create():
    form = _form_for(None)
    if request.method == "POST":
        collection = _save(form, None)
        if collection is not None:
            flash(_("Đã tạo bộ sưu tập “%(title)s”. Hãy thêm sản phẩm.", title=collection.title), "success")
            return redirect(url_for(".edit", collection_id=collection.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("collections/staff_form.html", form=form, collection=None), status


@bp.route("/<id:collection_id>", methods=["GET", "POST"])
def edit(collection_id: int):
    collection = _get(collection_id)
    form = _form_for(collection)
    if request.method == "POST":
        if _save(form, collection) is not None:
            flash(_("Đã lưu bộ sưu tập."), "success")
            return redirect(url_for(".edit", collection_id=collection.id))
        collection = _get(collection_id)
    text = " ".join(request.args.get("q", "").split())[:200]
    results, total, degraded = [], 0, False
    if text:
        found = get_search().search(SearchQuery(text=text, per_page=SEARCH_RESULTS, with_facets=False))
        results, total, degraded = cq.products_by_ids(found.ids), found.total, found.degraded
    items = db.session.scalars(queries.staff_items(collection.id)).all()
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "collections/staff_form.html", form=form, collection=collection, items=items,
        in_collection={item.product_id for item in items}, query=text, results=results, total=total,
        degraded=degraded, state=collection.state(), state_labels=_state_labels(), action_form=EmptyForm(),
    ), status


def _checked_post() -> None:
    if not EmptyForm().validate_on_submit():
        flash(_("Phiên làm việc đã hết hạn, vui lòng thử lại."), "error")
        abort(redirect(request.referrer or url_for(".index")))


def _back(collection: Collection):
    query = request.form.get("q")
    return redirect(url_for(".edit", collection_id=collection.id, q=query or None) + "#san-pham")


@bp.post("/<id:collection_id>/bat", endpoint="publish", defaults={"published": True})
@bp.post("/<id:collection_id>/tat", endpoint="unpublish", defaults={"published": False})
def set_published(collection_id: int, published: bool):
    _checked_post()
    collection = _get(collection_id)
    services.set_published(collection, published, actor=current_user)
    db.session.commit()
    if published:
        flash(_("Đã bật bộ sưu tập."), "success")
    else:
        flash(_("Đã tắt bộ sưu tập: khách không còn thấy nó."), "success")
    if request.form.get("next") == "list":
        return redirect(url_for(".index"))
    return redirect(url_for(".edit", collection_id=collection_id))


@bp.post("/<id:collection_id>/xoa")
def delete(collection_id: int):
    _checked_post()
    collection = _get(collection_id)
    title = collection.title
    services.delete_collection(collection, actor=current_user)
    db.session.commit()
    flash(_("Đã xoá bộ sưu tập “%(title)s”.", title=title), "success")
    return redirect(url_for(".index"))


def _product_id(name: str = "product_id") -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        abort(400)


def _item_action(collection_id: int, action, done: str | None = None):
    """Run ``action(collection)`` on a checked POST: commit, or roll back and say why."""
    _checked_post()
    collection = _get(collection_id)
    try:
        action(collection)
    except services.CollectionError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(collection)
    db.session.commit()
    if done:
        flash(done, "success")
    return _back(collection)


@bp.post("/<id:collection_id>/san-pham")
def add_product(collection_id: int):
    return _item_action(
        collection_id,
        lambda collection: services.add_product(collection, _product_id(), actor=current_user),
        _("Đã thêm sản phẩm vào bộ sưu tập."),
    )


@bp.post("/<id:collection_id>/san-pham/<id:product_id>/xoa")
def remove_product(collection_id: int, product_id: int):
    return _item_action(
        collection_id,
        lambda collection: services.remove_product(collection, product_id, actor=current_user),
        _("Đã bỏ sản phẩm khỏi bộ sưu tập."),
    )


@bp.post("/<id:collection_id>/san-pham/<id:product_id>/di-chuyen")
def move_product(collection_id: int, product_id: int):
    """"Lên"/"Xuống" buttons (huong=-1/1) or a position number (vi_tri), no JS needed."""
    direction = request.form.get("huong")
    raw_position = (request.form.get("vi_tri") or "").strip()
    if direction in ("-1", "1"):
        move = {"delta": int(direction)}
    elif raw_position.isdigit() and int(raw_position) >= 1:
        move = {"to_position": int(raw_position)}
    else:
        _checked_post()
        flash(_("Vị trí phải là số nguyên từ 1 trở lên."), "error")
        return _back(_get(collection_id))
    return _item_action(
        collection_id,
        lambda collection: services.move_product(collection, product_id, actor=current_user, **move),
    )


@bp.get("/<id:collection_id>/catalogue")
def catalogue(collection_id: int):
    """The printable A4 trade-fair catalogue: a cover, then one block per public product."""
    collection = _get(collection_id)
    entries = []
    for product in queries.catalogue_products(collection.id):
        url = product_url(product)
        cert = product.valid_certification
        entries.append({"product": product, "url": url, "qr": qr_inline_svg(url),
                        "stars": cert.stars if cert else None})
    return render_template("collections/catalogue.html", collection=collection, entries=entries,
                           state=collection.state(), state_labels=_state_labels())
