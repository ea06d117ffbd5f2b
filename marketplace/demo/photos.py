"""Generated product photos for the demo catalog (Pillow, no external files).

Each picture is 600×600: a background colour by category, a simple motif by product
family (leaf, cup, jar, box, bottle, noodles…) whose size and position vary with the
product, and the product's short name on a band. Rendering is deterministic for a
given ``PhotoSpec``; storing goes through ``media.images.store_renditions`` so the
files are the same content-addressed WebP renditions that uploads produce.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..media.images import WIDTHS, rendition_name, store_renditions
from ..media.storage import Storage
from ..text import fold

SIZE = 600
DEMO_WIDTHS = (320, 800)  # the 800 rendition holds the 600 px original (no upscaling)

# Vietnamese needs a font with Latin Extended Additional; Pillow's built-in font lacks
# it, so prefer DejaVu Sans and fall back to folded ASCII text with the built-in font.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
)

# Background colours by root category slug (soft, readable under white text bands).
PALETTE = {
    "thuc-pham": [(86, 140, 74), (120, 150, 60), (170, 120, 60), (150, 90, 60), (96, 128, 92)],
    "do-uong": [(122, 60, 84), (150, 80, 60), (96, 70, 120)],
    "duoc-lieu": [(190, 140, 40), (110, 130, 70), (160, 110, 50)],
    "thu-cong-my-nghe": [(130, 90, 60), (110, 80, 55), (90, 100, 120)],
    "sinh-vat-canh": [(60, 120, 100), (80, 140, 90)],
    "du-lich": [(60, 110, 150), (70, 130, 120)],
    "may-moc-thiet-bi": [(80, 90, 105), (100, 100, 110)],
}


@dataclass(frozen=True)
class PhotoSpec:
    seed: str  # product slug: varies the layout
    root: str  # root category slug: background colour
    motif: str
    title: str  # short name shown on the photo
    subtitle: str  # size / unit


@lru_cache(maxsize=8)
def _font(size: int) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, bool]:
    """(font, supports Vietnamese)."""
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            try:
                return ImageFont.truetype(path, size), True
            except OSError:
                continue
    return ImageFont.load_default(size=size), False


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(max(0, min(255, round(c * factor))) for c in colour)  # type: ignore[return-value]


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, max_width: int, max_lines: int = 2) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= max_width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        if len(lines) == max_lines:
            break
    if line and len(lines) < max_lines:
        lines.append(line)
    if len(lines) == max_lines and " ".join(lines) != text:
        while lines[-1] and draw.textlength(lines[-1] + "…", font=font) > max_width:
            lines[-1] = lines[-1][:-1]
        lines[-1] = lines[-1].rstrip() + "…"
    return lines


def _leaf(draw: ImageDraw.ImageDraw, origin, length: float, width: float, angle: float, fill, vein) -> None:
    """A pointed leaf from ``origin``, ``angle`` degrees from vertical, with its midrib."""
    a = math.radians(angle)
    ux, uy = math.sin(a), -math.cos(a)  # along the leaf
    px, py = -uy, ux  # across
    ox, oy = origin
    left, right = [], []
    for i in range(17):
        t = i / 16
        half = width * 0.5 * math.sin(math.pi * t) ** 0.8
        x, y = ox + ux * length * t, oy + uy * length * t
        left.append((x + px * half, y + py * half))
        right.append((x - px * half, y - py * half))
    draw.polygon(left + right[::-1], fill=fill)
    draw.line((ox, oy, ox + ux * length * 0.92, oy + uy * length * 0.92), fill=vein, width=3)


def _motif(draw: ImageDraw.ImageDraw, motif: str, cx: int, cy: int, r: int, fg, accent) -> None:
    if motif == "leaf":  # "một tôm hai lá": a bud and two leaves on a stem
        base = (cx, cy + r * 0.95)
        draw.line((base[0], base[1], cx, cy - r * 0.35), fill=accent, width=max(4, r // 14))
        _leaf(draw, (cx, cy + r * 0.35), r * 1.2, r * 0.5, -62, fg, accent)
        _leaf(draw, (cx, cy + r * 0.05), r * 1.1, r * 0.45, 58, fg, accent)
        _leaf(draw, (cx, cy - r * 0.3), r * 0.75, r * 0.2, -4, _shade(fg, 0.93), accent)
    elif motif == "cup":
        draw.ellipse((cx - r, cy + r * 0.55, cx + r, cy + r * 0.85), fill=accent)
        draw.chord((cx - r * 0.75, cy - r * 0.6, cx + r * 0.75, cy + r * 0.9), 0, 180, fill=fg)
        draw.rectangle((cx - r * 0.75, cy - r * 0.2, cx + r * 0.75, cy + r * 0.15), fill=fg)
        draw.arc((cx + r * 0.55, cy - r * 0.15, cx + r * 1.05, cy + r * 0.4), 270, 90, fill=fg, width=max(4, r // 12))
        for i in (-1, 0, 1):
            x = cx + i * r * 0.3
            draw.arc((x - r * 0.12, cy - r * 0.95, x + r * 0.12, cy - r * 0.35), 90, 270, fill=accent, width=4)
    elif motif == "jar":
        draw.rounded_rectangle((cx - r * 0.6, cy - r * 0.5, cx + r * 0.6, cy + r), radius=r // 4, fill=fg)
        draw.rectangle((cx - r * 0.45, cy - r * 0.8, cx + r * 0.45, cy - r * 0.5), fill=accent)
        draw.rectangle((cx - r * 0.45, cy, cx + r * 0.45, cy + r * 0.45), fill=accent)
    elif motif == "box":
        draw.polygon([(cx - r, cy - r * 0.3), (cx, cy - r * 0.8), (cx + r, cy - r * 0.3), (cx, cy + r * 0.2)], fill=accent)
        draw.polygon([(cx - r, cy - r * 0.3), (cx, cy + r * 0.2), (cx, cy + r), (cx - r, cy + r * 0.5)], fill=fg)
        draw.polygon([(cx + r, cy - r * 0.3), (cx, cy + r * 0.2), (cx, cy + r), (cx + r, cy + r * 0.5)],
                     fill=_shade(fg, 0.8))
    elif motif == "bottle":
        draw.rounded_rectangle((cx - r * 0.45, cy - r * 0.2, cx + r * 0.45, cy + r), radius=r // 5, fill=fg)
        draw.polygon([(cx - r * 0.45, cy - r * 0.2), (cx - r * 0.15, cy - r * 0.6), (cx + r * 0.15, cy - r * 0.6),
                      (cx + r * 0.45, cy - r * 0.2)], fill=fg)
        draw.rectangle((cx - r * 0.15, cy - r, cx + r * 0.15, cy - r * 0.55), fill=fg)
        draw.rectangle((cx - r * 0.35, cy + r * 0.15, cx + r * 0.35, cy + r * 0.6), fill=accent)
    elif motif in ("noodle", "bowl"):
        draw.chord((cx - r, cy - r * 0.6, cx + r, cy + r), 0, 180, fill=fg)
        step = r // 5
        for i in range(-3, 4):
            x = cx + i * step
            if motif == "noodle":
                draw.arc((x - step, cy - r * 0.8, x + step, cy + r * 0.1), 200, 340, fill=accent, width=4)
            else:
                draw.ellipse((x - 8, cy - r * 0.1 - abs(i) * 4, x + 8, cy + r * 0.1 - abs(i) * 4), fill=accent)
    elif motif == "mushroom":
        draw.chord((cx - r, cy - r * 0.7, cx + r, cy + r * 0.5), 180, 360, fill=fg)
        draw.rounded_rectangle((cx - r * 0.25, cy - r * 0.12, cx + r * 0.25, cy + r), radius=r // 8, fill=accent)
    elif motif == "fruit":
        for dx, dy, k in ((-0.45, 0.2, 0.6), (0.45, 0.25, 0.55), (0.0, -0.3, 0.62)):
            rr = r * k
            x, y = cx + dx * r, cy + dy * r
            draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=fg if k != 0.55 else _shade(fg, 0.85))
        draw.ellipse((cx - r * 0.1, cy - r * 1.0, cx + r * 0.3, cy - r * 0.8), fill=accent)
    elif motif == "herb":
        for i in range(5):
            a = math.radians(-60 + i * 30)
            x2, y2 = cx + math.sin(a) * r, cy - math.cos(a) * r
            draw.line((cx, cy + r * 0.8, x2, y2), fill=accent, width=5)
            draw.ellipse((x2 - r * 0.18, y2 - r * 0.18, x2 + r * 0.18, y2 + r * 0.18), fill=fg)
    elif motif == "flower":
        for i in range(6):
            a = math.radians(i * 60)
            x, y = cx + math.cos(a) * r * 0.5, cy + math.sin(a) * r * 0.5
            draw.ellipse((x - r * 0.38, y - r * 0.38, x + r * 0.38, y + r * 0.38), fill=fg)
        draw.ellipse((cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3), fill=accent)
    elif motif == "chair":
        draw.rectangle((cx - r * 0.7, cy - r, cx - r * 0.5, cy + r), fill=fg)
        draw.rectangle((cx - r * 0.7, cy, cx + r * 0.7, cy + r * 0.2), fill=fg)
        draw.rectangle((cx + r * 0.5, cy, cx + r * 0.7, cy + r), fill=fg)
        for k in (-0.7, -0.35):
            draw.rectangle((cx - r * 0.5, cy + k * r, cx + r * 0.1, cy + k * r + r * 0.12), fill=accent)
    elif motif == "basket":
        draw.chord((cx - r, cy - r * 0.9, cx + r, cy + r * 0.9), 0, 180, fill=fg)
        draw.arc((cx - r * 0.8, cy - r * 1.1, cx + r * 0.8, cy + r * 0.5), 180, 360, fill=fg, width=max(6, r // 10))
        for i in range(-4, 5):
            x = cx + i * r * 0.2
            draw.line((x, cy, x, cy + r * 0.8), fill=accent, width=3)
    elif motif == "weave":
        draw.rectangle((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=fg)
        for i in range(-3, 4):
            y = cy + i * r * 0.22
            draw.polygon([(cx - r, y), (cx - r * 0.5, y - 14), (cx, y), (cx + r * 0.5, y - 14), (cx + r, y)],
                         outline=accent, width=4)
    elif motif == "plant":
        draw.polygon([(cx - r * 0.5, cy + r * 0.4), (cx + r * 0.5, cy + r * 0.4), (cx + r * 0.35, cy + r),
                      (cx - r * 0.35, cy + r)], fill=accent)
        draw.line((cx, cy + r * 0.4, cx - r * 0.1, cy - r * 0.3), fill=accent, width=10)
        for dx, dy in ((-0.45, -0.5), (0.3, -0.6), (-0.05, -0.95)):
            x, y = cx + dx * r, cy + dy * r
            draw.ellipse((x - r * 0.4, y - r * 0.25, x + r * 0.4, y + r * 0.25), fill=fg)
    elif motif == "house":
        draw.polygon([(cx - r, cy - r * 0.1), (cx, cy - r), (cx + r, cy - r * 0.1)], fill=accent)
        draw.rectangle((cx - r * 0.75, cy - r * 0.1, cx + r * 0.75, cy + r * 0.35), fill=fg)
        for k in (-0.65, -0.2, 0.25, 0.6):
            draw.rectangle((cx + k * r - 6, cy + r * 0.35, cx + k * r + 6, cy + r), fill=fg)
    elif motif == "gear":
        teeth = 10
        for i in range(teeth):
            a = 2 * math.pi * i / teeth
            x, y = cx + math.cos(a) * r * 0.85, cy + math.sin(a) * r * 0.85
            draw.ellipse((x - r * 0.18, y - r * 0.18, x + r * 0.18, y + r * 0.18), fill=fg)
        draw.ellipse((cx - r * 0.8, cy - r * 0.8, cx + r * 0.8, cy + r * 0.8), fill=fg)
        draw.ellipse((cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3), fill=accent)
    else:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fg)


def render(spec: PhotoSpec) -> Image.Image:
    rng = random.Random(spec.seed)
    colours = PALETTE.get(spec.root, PALETTE["thuc-pham"])
    bg = _shade(colours[rng.randrange(len(colours))], rng.uniform(0.9, 1.12))
    img = Image.new("RGB", (SIZE, SIZE), bg)
    draw = ImageDraw.Draw(img)
    # Soft circles in the background for depth.
    for _ in range(3):
        rr = rng.randint(60, 180)
        x, y = rng.randint(0, SIZE), rng.randint(0, 380)
        draw.ellipse((x - rr, y - rr, x + rr, y + rr), fill=_shade(bg, rng.uniform(1.06, 1.18)))
    fg = _shade((245, 240, 220), rng.uniform(0.92, 1.0))
    accent = _shade(bg, 0.6)
    r = rng.randint(118, 150)
    cx, cy = SIZE // 2 + rng.randint(-40, 40), 215 + rng.randint(-20, 20)
    _motif(draw, spec.motif, cx, cy, r, fg, accent)
    # Name band.
    band_top = 420
    draw.rectangle((0, band_top, SIZE, SIZE), fill=_shade(bg, 0.55))
    title_font, unicode_ok = _font(38)
    small_font, _ = _font(26)
    title = spec.title if unicode_ok else fold(spec.title).title()
    subtitle = spec.subtitle if unicode_ok else fold(spec.subtitle)
    y = band_top + 22
    for line in _wrap(draw, title, title_font, SIZE - 60):
        draw.text((30, y), line, font=title_font, fill=(255, 255, 255))
        y += 46
    if subtitle:
        draw.text((30, min(y + 6, SIZE - 40)), subtitle, font=small_font, fill=(235, 235, 220))
    return img


def render_and_store(storage: Storage, spec: PhotoSpec, widths=DEMO_WIDTHS) -> tuple[str, int, int]:
    """Render ``spec`` and store its renditions; returns (key, width, height).

    Pages link every width of ``media.images.WIDTHS``. Renditions are never upscaled, so
    for a 600 px picture the 800 and 1600 ones hold the same bytes: the larger widths are
    copied from the largest one encoded instead of being encoded again."""
    key, w, h = store_renditions(storage, render(spec), widths=widths)
    source = rendition_name(key, max(widths))
    for width in WIDTHS:
        if width > max(widths) and max(widths) >= w:
            name = rendition_name(key, width)
            if not storage.exists(name):
                storage.save(name, storage.open_path(source).read_bytes())
    return key, w, h


# ---- parallel rendering --------------------------------------------------------------
_worker_storage: Storage | None = None


def _init_worker(storage: Storage) -> None:
    global _worker_storage
    _worker_storage = storage


def _work(spec: PhotoSpec) -> tuple[str, int, int]:
    assert _worker_storage is not None
    return render_and_store(_worker_storage, spec)


def render_all(
    storage: Storage,
    specs: list[PhotoSpec],
    *,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
) -> list[tuple[str, int, int]]:
    """Render and store every spec (in order), in a process pool when it helps."""
    # Identical specs (variants of one product line) are drawn and stored once.
    unique = list(dict.fromkeys(specs))
    done: dict[PhotoSpec, tuple[str, int, int]] = {}
    iterator: Iterable[tuple[str, int, int]] | Iterator[tuple[str, int, int]]
    pool = None
    if workers > 1 and len(specs) > 50 and "fork" in multiprocessing.get_all_start_methods():
        # fork: workers inherit the loaded modules; they only draw and write files.
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(storage,))
        iterator = pool.imap(_work, unique, chunksize=8)
    else:
        iterator = (render_and_store(storage, spec) for spec in unique)
    counts: dict[PhotoSpec, int] = {}
    for spec in specs:
        counts[spec] = counts.get(spec, 0) + 1
    try:
        for spec, result in zip(unique, iterator):
            done[spec] = result
            if progress:
                progress(counts[spec])
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    return [done[spec] for spec in specs]
