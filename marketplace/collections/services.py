"""Write side of collections: every staff change is validated here and recorded in the
audit log in the same transaction. Services flush, never commit; the view commits once.

Moments arrive as naive wall-clock datetimes in Asia/Ho_Chi_Minh (what staff type) and
are stored as UTC.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, BinaryIO

import sqlalchemy as sa

from ..audit.services import record, snapshot
from ..catalog.models import Category, Product
from ..validation import ValidationError, _
from ..extensions import db
from ..media import get_storage
from ..media.images import process_upload, store_renditions
from ..media.services import release_file_key, track_new_file_key
from ..text import VN_TZ, is_slug, slugify
from .models import PLACEMENTS, Collection, CollectionItem, aware_utc

AUDITED = ("title", "slug", "description", "placement", "category_id", "position", "published",
           "starts_at", "ends_at", "cover_key")
MAX_ITEMS = 200
TITLE_MAX, DESCRIPTION_MAX, POSITION_MAX = 200, 5000, 9999

__all__ = ["ValidationError", "CollectionError", "create_collection", "update_collection", "delete_collection",
           "set_published", "set_cover", "remove_cover", "add_product", "remove_product", "move_product",
           "vn_to_utc"]


class CollectionError(ValueError):
    """An item action that cannot be done; ``message`` is Vietnamese UI text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def vn_to_utc(moment: datetime | None) -> datetime | None:
    """A wall-clock moment in Asia/Ho_Chi_Minh (naive) → aware UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(timezone.utc)


def _snapshot(collection: Collection) -> dict[str, Any]:
    """Audited fields; moments as aware UTC (SQLite hands back naive ones)."""
    data = snapshot(collection, AUDITED)
    for name in ("starts_at", "ends_at"):
        value = aware_utc(getattr(collection, name))
        data[name] = value.astimezone(timezone.utc).isoformat() if value is not None else None
    return data


def _audit(action: str, collection: Collection, actor, before: dict | None = None, reason: str | None = None,
           after: dict | None = None) -> None:
    record(action, "collection", collection.id, actor=actor, before=before,
           after=after if after is not None else _snapshot(collection), reason=reason)


def _clean(data: dict[str, Any], current: Collection | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = " ".join(str(data.get("title") or "").split())
    if not 3 <= len(title) <= TITLE_MAX:
        errors["title"] = _("Tiêu đề phải dài từ 3 đến 200 ký tự.")
    raw_slug = str(data.get("slug") or "").strip().lower()
    slug = raw_slug or slugify(title, max_length=100)
    if not is_slug(slug):
        errors["slug"] = _("Đường dẫn chỉ gồm chữ thường không dấu, số và dấu gạch ngang.")
    else:
        taken = db.session.scalar(
            sa.select(Collection.id).where(Collection.slug == slug, Collection.id != (current.id if current else -1))
        )
        if taken is not None:
            errors["slug"] = _("Đường dẫn này đã được bộ sưu tập khác dùng.")
    description = str(data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("Mô tả tối đa 5.000 ký tự.")
    placement = data.get("placement") or "home_row"
    if placement not in PLACEMENTS:
        errors["placement"] = _("Vị trí hiển thị không hợp lệ.")
    category_id = data.get("category_id")
    if placement == "category":
        if category_id is None or db.session.get(Category, category_id) is None:
            errors["category_id"] = _("Hãy chọn danh mục để đặt bộ sưu tập.")
    else:
        category_id = None
    position = data.get("position")
    position = 0 if position is None else position
    if not isinstance(position, int) or not 0 <= position <= POSITION_MAX:
        errors["position"] = _("Thứ tự là số nguyên từ 0 đến 9999.")
    starts_at, ends_at = vn_to_utc(data.get("starts_at")), vn_to_utc(data.get("ends_at"))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = _("Thời điểm kết thúc phải sau thời điểm bắt đầu.")
    if errors:
        raise ValidationError.from_errors(errors)
    return {
        "title": title, "slug": slug, "description": description, "placement": placement,
        "category_id": category_id, "position": position, "published": bool(data.get("published")),
        "starts_at": starts_at, "ends_at": ends_at,
    }


def create_collection(data: dict[str, Any], *, actor) -> Collection:
    values = _clean(data, None)
    collection = Collection(created_by_id=getattr(actor, "id", None), **values)
    db.session.add(collection)
    db.session.flush()
    _audit("collection.create", collection, actor)
    return collection


def update_collection(collection: Collection, data: dict[str, Any], *, actor) -> Collection:
    before = _snapshot(collection)
    for name, value in _clean(data, collection).items():
        setattr(collection, name, value)
    db.session.flush()
    if _snapshot(collection) != before:
        _audit("collection.update", collection, actor, before)
    return collection


def set_published(collection: Collection, published: bool, *, actor) -> None:
    if collection.published == published:
        return
    before = _snapshot(collection)
    collection.published = published
    db.session.flush()
    _audit("collection.publish" if published else "collection.unpublish", collection, actor, before)


def delete_collection(collection: Collection, *, actor) -> None:
    before = _snapshot(collection)
    before["products"] = [item.product_id for item in collection.items]
    _audit("collection.delete", collection, actor, before, after={})
    release_file_key(collection.cover_key)
    db.session.delete(collection)
    db.session.flush()


def set_cover(collection: Collection, stream: BinaryIO | bytes, *, actor) -> None:
    """Decode, clean and store a cover picture (WebP renditions); raises ImageRejected."""
    image = process_upload(stream)
    key, width, height = store_renditions(get_storage(), image)
    track_new_file_key(key)
    before = _snapshot(collection)
    if collection.cover_key and collection.cover_key != key:
        release_file_key(collection.cover_key)
    collection.cover_key, collection.cover_width, collection.cover_height = key, width, height
    db.session.flush()
    if before["cover_key"] != key:
        _audit("collection.cover", collection, actor, before)


def remove_cover(collection: Collection, *, actor) -> None:
    if not collection.cover_key:
        return
    before = _snapshot(collection)
    release_file_key(collection.cover_key)
    collection.cover_key = collection.cover_width = collection.cover_height = None
    db.session.flush()
    _audit("collection.cover", collection, actor, before)


def _ordered_items(collection: Collection) -> list[CollectionItem]:
    return sorted(collection.items, key=lambda item: (item.position, item.id or 0))


def _renumber(items: list[CollectionItem]) -> None:
    for position, item in enumerate(items):
        item.position = position


def _item(collection: Collection, product_id: int) -> CollectionItem:
    for item in collection.items:
        if item.product_id == product_id:
            return item
    raise CollectionError(_("Sản phẩm này không có trong bộ sưu tập."))


def _product_ids(collection: Collection) -> list[int]:
    return [item.product_id for item in _ordered_items(collection)]


def add_product(collection: Collection, product_id: int, *, actor) -> CollectionItem:
    """Append a product at the end. Any existing product may be added; only public
    ones are ever shown."""
    product = db.session.get(Product, product_id)
    if product is None:
        raise CollectionError(_("Không tìm thấy sản phẩm."))
    items = _ordered_items(collection)
    if any(item.product_id == product_id for item in items):
        raise CollectionError(_("Sản phẩm này đã có trong bộ sưu tập."))
    if len(items) >= MAX_ITEMS:
        raise CollectionError(_("Mỗi bộ sưu tập có tối đa %(n)s sản phẩm.", n=MAX_ITEMS))
    before = _product_ids(collection)
    item = CollectionItem(product_id=product_id, position=(items[-1].position + 1) if items else 0)
    collection.items.append(item)
    db.session.flush()
    _audit("collection.add_product", collection, actor, {"products": before},
           after={"products": _product_ids(collection)}, reason=product.name)
    return item


def remove_product(collection: Collection, product_id: int, *, actor) -> None:
    item = _item(collection, product_id)
    before = _product_ids(collection)
    collection.items.remove(item)
    _renumber(_ordered_items(collection))
    db.session.flush()
    _audit("collection.remove_product", collection, actor, {"products": before},
           after={"products": _product_ids(collection)})


def move_product(collection: Collection, product_id: int, *, delta: int | None = None,
                 to_position: int | None = None, actor) -> None:
    """Move a product ``delta`` places (−1 up, +1 down) or to a 1-based ``to_position``;
    the ends are clamped."""
    items = _ordered_items(collection)
    item = _item(collection, product_id)
    index = items.index(item)
    target = index + (delta or 0) if to_position is None else to_position - 1
    target = max(0, min(len(items) - 1, target))
    if target == index:
        return
    before = [i.product_id for i in items]
    items.insert(target, items.pop(index))
    _renumber(items)
    db.session.flush()
    _audit("collection.move_product", collection, actor, {"products": before},
           after={"products": [i.product_id for i in items]})
