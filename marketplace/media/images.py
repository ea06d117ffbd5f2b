"""Image renditions with Pillow: every stored picture is re-encoded WebP."""
from __future__ import annotations

import hashlib
import io

from PIL import Image

from .storage import Storage

WIDTHS = (320, 800, 1600)
WEBP_QUALITY = 80


def rendition_name(key: str, width: int) -> str:
    return f"{key}-{width}.webp"


def store_renditions(storage: Storage, image: Image.Image, *, widths=WIDTHS, key: str | None = None) -> tuple[str, int, int]:
    """Store ``image`` (already decoded, oriented and stripped) as WebP renditions.

    Widths larger than the image are not upscaled: the image's own width is used.
    Returns (key, width, height) of the original.
    """
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if key is None:
        key = hashlib.sha256(image.tobytes()).hexdigest()[:32]
    w, h = image.size
    for width in widths:
        name = rendition_name(key, width)
        if storage.exists(name):
            continue
        target = image if width >= w else image.resize((width, max(1, round(h * width / w))), Image.LANCZOS)
        buf = io.BytesIO()
        target.save(buf, "WEBP", quality=WEBP_QUALITY, method=4)
        storage.save(name, buf.getvalue())
    return key, w, h
