"""Image handling with Pillow: the upload pipeline and WebP renditions.

Nothing a user sent is served back as-is. ``process_upload`` decodes the bytes with
explicit size and pixel limits, accepts only JPEG, PNG and WebP (by content, never by
file name), applies the EXIF orientation and returns a fresh image without any
metadata (EXIF, GPS, XMP, comments). ``store_renditions`` re-encodes it as WebP at a
few widths under a content-addressed key.
"""
from __future__ import annotations

import hashlib
import io
import struct
import threading
import warnings
from typing import BinaryIO

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageCms, UnidentifiedImageError

from .storage import Storage

WIDTHS = (320, 800, 1600)
WEBP_QUALITY = 80

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # 10 MB
# Pixel limits, checked from the header before any pixel is decoded. A JPEG is decoded
# at a reduced scale (draft mode: 1/2, 1/4 or 1/8, never below what the largest
# rendition needs), so it may be large. PNG and WebP cannot be decoded at a reduced
# size: the whole bitmap is allocated (4 bytes a pixel with alpha), so their limit is
# what a 1600-pixel rendition can use from a phone photo (4000 × 3000), not more —
# a 6,245 × 6,245 PNG of 124 KB used to cost a worker 350 MiB.
MAX_PIXELS = 40_000_000  # JPEG
MAX_FULL_DECODE_PIXELS = 12_000_000  # PNG, WebP
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")
# Decoding keeps at least this many pixels of width once upright (the largest rendition).
DECODE_MIN_SIDE = max(WIDTHS)
DECODE_CONCURRENCY = 2  # decodes at once per process (config IMAGE_DECODE_CONCURRENCY)
DECODE_WAIT_SECONDS = 30

_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_slots_lock = threading.Lock()


def _decode_slots() -> threading.BoundedSemaphore:
    """The per-process semaphore bounding simultaneous decodes (one per app)."""
    app = current_app._get_current_object() if has_app_context() else None
    store = app.extensions if app is not None else _DEFAULT_SLOTS
    with _slots_lock:
        slots = store.get("image_decode_slots")
        if slots is None:
            size = int(app.config.get("IMAGE_DECODE_CONCURRENCY", DECODE_CONCURRENCY)) if app else DECODE_CONCURRENCY
            slots = store["image_decode_slots"] = threading.BoundedSemaphore(max(1, size))
        return slots


_DEFAULT_SLOTS: dict = {}


class ImageRejected(ValueError):
    """An upload that is not an acceptable picture; ``message`` is Vietnamese UI text."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


def rendition_name(key: str, width: int) -> str:
    return f"{key}-{width}.webp"


def rendition_names(key: str, widths=WIDTHS) -> list[str]:
    return [rendition_name(key, w) for w in widths]


def _read_limited(stream: BinaryIO | bytes, limit: int) -> bytes:
    """At most ``limit + 1`` bytes: enough to tell that a file is too large."""
    if isinstance(stream, (bytes, bytearray)):
        return bytes(stream)
    return stream.read(limit + 1)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert pixels to sRGB when the file carries another ICC profile (best effort)."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, target, outputMode=out_mode)
        return converted if converted is not None else image
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _normalise_mode(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit/float greyscale: scale down to 8 bits.
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if has_alpha:
        return image.convert("RGBA")
    return image.convert("RGB") if image.mode != "RGB" else image


def _decode_reduced(image: Image.Image) -> Image.Image:
    """Decode ``image`` (opened, not loaded) no larger than the renditions need, upright:
    its width once upright stays ≥ the largest rendition (when it had that much).

    JPEG: draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale directly. PNG/WebP:
    the full bitmap (bounded by MAX_FULL_DECODE_PIXELS), then ``reduce`` by a whole
    factor at once, so the full-size bitmap is freed before any other copy is made.
    """
    orientation = image.getexif().get(0x0112, 1)  # read before the file's image is replaced
    transpose = _ORIENTATION_TRANSPOSE.get(orientation)
    swaps = transpose in (Image.Transpose.TRANSPOSE, Image.Transpose.TRANSVERSE,
                          Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270)
    width, height = image.size
    upright_width = height if swaps else width
    factor = upright_width / DECODE_MIN_SIDE
    if image.format == "JPEG" and factor >= 2:
        # draft() picks the smallest DCT scale that keeps at least the requested size.
        image.draft(image.mode, (max(1, int(width / factor)), max(1, int(height / factor))))
    image.load()
    upright_width = image.height if swaps else image.width
    factor = upright_width // DECODE_MIN_SIDE
    if factor >= 2:
        info = dict(image.info)
        image = image.reduce(factor)
        image.info.update(info)  # keep the ICC profile for the sRGB conversion
    if transpose is not None:
        image = image.transpose(transpose)
    return image


def process_upload(stream: BinaryIO | bytes, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode an uploaded picture safely and return a clean, upright RGB/RGBA image,
    no larger than the renditions need (at least 1600 pixels wide when the original had
    that much).

    Raises ``ImageRejected`` with a Vietnamese message for: an empty upload, a file over
    ``max_bytes``, anything that is not a JPEG/PNG/WebP picture, more than
    ``max_pixels`` pixels (``MAX_FULL_DECODE_PIXELS`` for PNG/WebP: pixel floods and
    decompression bombs), truncated or corrupt files, and when the process is already
    decoding IMAGE_DECODE_CONCURRENCY pictures for longer than DECODE_WAIT_SECONDS.
    """
    data = _read_limited(stream, max_bytes)
    if not data:
        raise ImageRejected(_l("Chưa chọn tệp ảnh hoặc tệp rỗng."))
    if len(data) > max_bytes:
        raise ImageRejected(
            _l("Ảnh quá lớn: tối đa %(mb)d MB mỗi ảnh.", mb=max_bytes // (1024 * 1024))
        )
    slots = _decode_slots()
    wait = float(current_app.config.get("IMAGE_DECODE_WAIT_SECONDS", DECODE_WAIT_SECONDS)) if has_app_context() else DECODE_WAIT_SECONDS
    if not slots.acquire(timeout=wait):
        raise ImageRejected(_l("Máy chủ đang bận xử lý các ảnh khác. Hãy thử lại sau ít phút."))
    try:
        with warnings.catch_warnings():
            # A DecompressionBombWarning becomes an error: never decode such an image.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            except UnidentifiedImageError:
                raise ImageRejected(
                    _l("Tệp này không phải ảnh JPEG, PNG hoặc WebP. Hãy chọn một tệp ảnh khác.")
                ) from None
            if image.format not in ALLOWED_FORMATS:
                raise ImageRejected(_l("Chỉ nhận ảnh JPEG, PNG hoặc WebP."))
            limit = max_pixels if image.format == "JPEG" else min(max_pixels, MAX_FULL_DECODE_PIXELS)
            width, height = image.size
            if width < 1 or height < 1 or width * height > limit:
                raise ImageRejected(
                    _l(
                        "Ảnh có kích thước quá lớn (%(w)d × %(h)d điểm ảnh); tối đa %(mp)d megapixel.",
                        w=width,
                        h=height,
                        mp=limit // 1_000_000,
                    )
                )
            # Only the first frame of an animated picture is kept.
            image = _decode_reduced(image)
            image = _to_srgb(image)
            image = _normalise_mode(image)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            _l("Ảnh có quá nhiều điểm ảnh (tối đa %(mp)d megapixel).", mp=max_pixels // 1_000_000)
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error):
        raise ImageRejected(
            _l("Tệp ảnh bị hỏng hoặc không đầy đủ (có thể tải lên bị gián đoạn). Hãy thử lại với tệp gốc.")
        ) from None
    finally:
        slots.release()
    # A fresh image: pixels only, no EXIF/GPS/XMP/ICC/comments carried along.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def store_renditions(storage: Storage, image: Image.Image, *, widths=WIDTHS, key: str | None = None) -> tuple[str, int, int]:
    """Store ``image`` (already decoded, oriented and stripped) as WebP renditions.

    Widths larger than the image are not upscaled: the image's own width is used.
    Returns (key, width, height) of the original.
    """
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if key is None:
        digest = hashlib.sha256(f"{image.mode}:{image.width}x{image.height}:".encode())
        digest.update(image.tobytes())
        key = digest.hexdigest()[:32]
    w, h = image.size
    written: list[str] = []
    try:
        for width in widths:
            name = rendition_name(key, width)
            if storage.exists(name):
                continue
            target = image if width >= w else image.resize((width, max(1, round(h * width / w))), Image.LANCZOS)
            buf = io.BytesIO()
            target.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
            storage.save(name, buf.getvalue())
            written.append(name)
    except OSError:
        for name in written:  # all renditions or none (e.g. the disk filled up half-way)
            storage.delete(name)
        raise
    return key, w, h
