"""Product photos: add, delete, reorder, choose the cover; garbage-collect files.

Services flush, never commit. The cover is the photo at position 0 (``Product.cover``);
positions stay 0..n-1 without gaps.

Files are content-addressed and may be shared (the same picture on two products), so a
rendition file is removed only when no row references its key any more. That check
runs after the transaction commits (``init_photo_gc``): it catches a photo deleted
here, a product deleted with its photos by any other code, and files written for a
photo whose transaction was rolled back.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import BinaryIO

import sqlalchemy as sa
from flask import has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from ..catalog.models import OcopCertification, Product, ProductPhoto
from ..extensions import db
from ..sellers.models import Seller
from . import get_storage
from .images import WIDTHS, ImageRejected, process_upload, rendition_name, rendition_names, store_renditions
from .storage import STORAGE_FULL_MESSAGE, StorageFull

log = logging.getLogger(__name__)

MAX_PHOTOS = 8
ALT_MAX = 200


class PhotoError(ValueError):
    """A photo action that cannot be done; ``message`` is Vietnamese UI text."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


UPLOADS_PER_HOUR = 60  # pictures an account may send per hour (config UPLOADS_PER_HOUR)


def reserve_uploads(user_id: int, count: int) -> None:
    """Count ``count`` pictures against the account's hourly quota before any is decoded.

    Raises ``PhotoError`` (Vietnamese) when the quota would be exceeded; otherwise adds
    the events (flush only). The caller commits them at once, before decoding, so they
    count even when the upload then fails. Counted in the database: the quota holds
    across processes and servers.
    """
    from flask import current_app

    from ..accounts.models import User
    from ..text import utcnow
    from .models import UploadEvent

    limit = int(current_app.config.get("UPLOADS_PER_HOUR", UPLOADS_PER_HOUR))
    now = utcnow()
    # Serialise one account's reservations (PostgreSQL row lock; SQLite has one writer).
    db.session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    used = db.session.scalar(
        sa.select(sa.func.count()).select_from(UploadEvent)
        .where(UploadEvent.user_id == user_id, UploadEvent.created_at > now - timedelta(hours=1))
    )
    if used + count > limit:
        raise PhotoError(
            _l(
                "Bạn đã tải lên %(used)d ảnh trong một giờ qua (tối đa %(limit)d ảnh mỗi giờ). "
                "Hãy thử lại sau ít phút.",
                used=used,
                limit=limit,
            )
        )
    db.session.add_all(UploadEvent(user_id=user_id, created_at=now) for _ in range(count))
    db.session.execute(sa.delete(UploadEvent).where(UploadEvent.created_at < now - timedelta(days=1)))
    db.session.flush()


def _ordered(product: Product) -> list[ProductPhoto]:
    return sorted(product.photos, key=lambda p: (p.position, p.id or 0))


def _photo_keys(product: Product) -> list[str]:
    return [p.key for p in _ordered(product)]


def _audit_photos(product: Product, action: str, before: list[str], actor) -> None:
    """One audit entry for a change of the product's photos (ordered keys)."""
    from ..audit.services import record

    db.session.expire(product, ["photos"])
    record(action, "product", product.id, actor=actor, before={"photos": before},
           after={"photos": _photo_keys(product)})


def add_photo(product: Product, stream: BinaryIO | bytes, *, alt: str = "", actor=None) -> ProductPhoto:
    """Decode, clean and store an uploaded picture as the product's last photo.

    Raises ``PhotoError`` when the product already has MAX_PHOTOS photos or already
    shows the same picture, and ``ImageRejected`` for a bad file. Nothing is stored
    when it raises.
    """
    if len(product.photos) >= MAX_PHOTOS:
        raise PhotoError(_l("Mỗi sản phẩm có tối đa %(n)d ảnh. Hãy xoá bớt ảnh trước khi thêm.", n=MAX_PHOTOS))
    image = process_upload(stream)
    return add_photo_image(product, image, alt=alt, actor=actor)


def add_photo_image(product: Product, image, *, alt: str = "", actor=None) -> ProductPhoto:
    """Store an already cleaned image (see ``process_upload``) as a new last photo."""
    # Serialise concurrent uploads to one product (PostgreSQL row lock until commit;
    # SQLite has a single writer anyway), then count what is really there.
    db.session.execute(sa.select(Product.id).where(Product.id == product.id).with_for_update())
    db.session.expire(product, ["photos"])
    if len(product.photos) >= MAX_PHOTOS:
        raise PhotoError(_l("Mỗi sản phẩm có tối đa %(n)d ảnh. Hãy xoá bớt ảnh trước khi thêm.", n=MAX_PHOTOS))
    try:
        key, width, height = store_renditions(get_storage(), image)
    except StorageFull:
        raise PhotoError(STORAGE_FULL_MESSAGE) from None
    if any(photo.key == key for photo in product.photos):
        raise PhotoError(_l("Ảnh này đã có trong sản phẩm."))
    photos = _ordered(product)
    before = [p.key for p in photos]
    photo = ProductPhoto(
        key=key,
        width=width,
        height=height,
        alt=(alt or "").strip()[:ALT_MAX] or product.name[:ALT_MAX],
        position=(photos[-1].position + 1) if photos else 0,
    )
    product.photos.append(photo)
    db.session.flush()
    _audit_photos(product, "product.photo_add", before, actor)
    return photo


def _photo_of(product: Product, photo_id: int) -> ProductPhoto:
    for photo in product.photos:
        if photo.id == photo_id:
            return photo
    raise LookupError(photo_id)


def delete_photo(product: Product, photo_id: int, *, actor=None) -> None:
    """Remove a photo; its files go after commit unless another row still uses them."""
    photo = _photo_of(product, photo_id)
    before = _photo_keys(product)
    product.photos.remove(photo)  # delete-orphan cascade deletes the row
    for position, item in enumerate(_ordered(product)):
        item.position = position
    db.session.flush()
    _audit_photos(product, "product.photo_delete", before, actor)


def move_photo(product: Product, photo_id: int, delta: int, *, actor=None) -> None:
    """Move a photo ``delta`` places (−1 earlier, +1 later); ends are clamped."""
    photos = _ordered(product)
    before = [p.key for p in photos]
    photo = _photo_of(product, photo_id)
    index = photos.index(photo)
    target = max(0, min(len(photos) - 1, index + delta))
    if target != index:
        photos.insert(target, photos.pop(index))
    for position, item in enumerate(photos):
        item.position = position
    db.session.flush()
    if target != index:
        _audit_photos(product, "product.photo_move", before, actor)
    else:
        db.session.expire(product, ["photos"])


def set_cover(product: Product, photo_id: int, *, actor=None) -> None:
    """Make a photo the cover (position 0); the others keep their order."""
    photos = _ordered(product)
    before = [p.key for p in photos]
    photo = _photo_of(product, photo_id)
    photos.remove(photo)
    photos.insert(0, photo)
    for position, item in enumerate(photos):
        item.position = position
    db.session.flush()
    if before and before[0] != photo.key:
        _audit_photos(product, "product.photo_cover", before, actor)
    else:
        db.session.expire(product, ["photos"])


def reorder_photos(product: Product, photo_ids: list[int], *, actor=None) -> None:
    """Set the complete order at once (ids of all the product's photos)."""
    before = _photo_keys(product)
    photos = {p.id: p for p in product.photos}
    if sorted(photo_ids) != sorted(photos):
        raise PhotoError(_l("Danh sách ảnh không khớp, hãy tải lại trang rồi thử lại."))
    for position, photo_id in enumerate(photo_ids):
        photos[photo_id].position = position
    db.session.flush()
    _audit_photos(product, "product.photo_reorder", before, actor)


# ---------------------------------------------------------------------------
# Garbage collection of rendition files no longer referenced.
# ---------------------------------------------------------------------------

_GC_KEYS = "media_gc_keys"  # keys of photos deleted in this transaction
_GC_NEW = "media_new_keys"  # keys of photos inserted in this transaction


def referenced_keys(connection, keys: set[str]) -> set[str]:
    """Which of ``keys`` are still used by a photo, a seller logo or a certificate scan."""
    if not keys:
        return set()
    used = set(
        connection.execute(sa.select(ProductPhoto.key).where(ProductPhoto.key.in_(keys))).scalars()
    )
    used |= {
        k
        for k in connection.execute(sa.select(Seller.logo_key).where(Seller.logo_key.in_(keys))).scalars()
        if k
    }
    from ..collections.models import Collection  # covers share the content-addressed store

    used |= {
        k
        for k in connection.execute(sa.select(Collection.cover_key).where(Collection.cover_key.in_(keys))).scalars()
        if k
    }
    from ..traceability.models import Lot  # a lot's one photo

    used |= {k for k in connection.execute(sa.select(Lot.photo_key).where(Lot.photo_key.in_(keys))).scalars() if k}
    scan_names = {name: key for key in keys for name in rendition_names(key, WIDTHS)}
    for name in connection.execute(
        sa.select(OcopCertification.scan_key).where(OcopCertification.scan_key.in_(list(scan_names)))
    ).scalars():
        used.add(scan_names[name])
    return used


def collect_garbage(keys: set[str], storage=None) -> list[str]:
    """Delete the rendition files of ``keys`` that nothing references. Returns the
    names deleted. Reads the committed state through its own connection."""
    keys = {k for k in keys if k}
    if not keys:
        return []
    storage = storage or get_storage()
    with db.engine.connect() as connection:
        unused = keys - referenced_keys(connection, keys)
    deleted = []
    for key in sorted(unused):
        for width in WIDTHS:
            name = rendition_name(key, width)
            if storage.exists(name):
                storage.delete(name)
                deleted.append(name)
    return deleted


def _remember_key(target: ProductPhoto) -> None:
    session = object_session(target)
    if session is not None and target.key:
        session.info.setdefault(_GC_KEYS, set()).add(target.key)


def release_file_key(key: str | None) -> None:
    """A row stopped using ``key`` (e.g. a replaced cover): its files go after commit
    unless another row still uses them."""
    if key:
        db.session.info.setdefault(_GC_KEYS, set()).add(key)


def track_new_file_key(key: str | None) -> None:
    """Files were just stored for ``key``: removed again if the transaction rolls back
    and nothing else uses them."""
    if key:
        db.session.info.setdefault(_GC_NEW, set()).add(key)


def _on_photo_delete(mapper, connection, target: ProductPhoto) -> None:
    _remember_key(target)


def _on_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released inside the transaction: nothing is committed yet
    keys = session.info.pop(_GC_KEYS, None)
    if not keys or not has_app_context():
        return
    try:
        collect_garbage(keys)
    except Exception:  # a leftover file is harmless; never fail the request for it
        log.exception("photo garbage collection failed for %d keys", len(keys))


def _on_after_rollback(session: Session) -> None:
    # Photos inserted in a rolled-back transaction may have left files behind.
    if session.in_nested_transaction():
        return  # only a SAVEPOINT was rolled back; the transaction goes on
    pending = session.info.pop(_GC_NEW, None)
    session.info.pop(_GC_KEYS, None)
    if pending and has_app_context():
        try:
            collect_garbage(pending)
        except Exception:
            log.exception("photo garbage collection after rollback failed")


def _on_photo_insert(mapper, connection, target: ProductPhoto) -> None:
    session = object_session(target)
    if session is not None and target.key:
        session.info.setdefault(_GC_NEW, set()).add(target.key)


def _on_after_commit_clear_new(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_GC_NEW, None)


def init_photo_gc() -> None:
    """Install the listeners once per process (idempotent)."""
    pairs = [
        (ProductPhoto, "after_delete", _on_photo_delete),
        (ProductPhoto, "after_insert", _on_photo_insert),
        (Session, "after_commit", _on_after_commit),
        (Session, "after_commit", _on_after_commit_clear_new),
        (Session, "after_rollback", _on_after_rollback),
    ]
    for target, name, fn in pairs:
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)


__all__ = [
    "MAX_PHOTOS",
    "PhotoError",
    "ImageRejected",
    "add_photo",
    "reserve_uploads",
    "add_photo_image",
    "delete_photo",
    "move_photo",
    "set_cover",
    "reorder_photos",
    "collect_garbage",
    "init_photo_gc",
    "release_file_key",
    "track_new_file_key",
]
