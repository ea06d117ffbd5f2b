"""Builders of real sample files (pictures, spreadsheets) for the media, import and
label tests. Everything is generated at test time with Pillow, openpyxl and csv."""
from __future__ import annotations

import csv
import io
import struct
import unicodedata
import zlib

from PIL import ExifTags, Image

RED = (220, 20, 20)
BLUE = (20, 20, 220)


def two_colour_image(width: int = 300, height: int = 200) -> Image.Image:
    """Left half red, right half blue: orientation changes are visible in the pixels."""
    image = Image.new("RGB", (width, height), BLUE)
    image.paste(RED, (0, 0, width // 2, height))
    return image


def jpeg_bytes(image: Image.Image | None = None, **save_kw) -> bytes:
    buf = io.BytesIO()
    (image or two_colour_image()).save(buf, "JPEG", quality=90, **save_kw)
    return buf.getvalue()


def png_bytes(image: Image.Image | None = None) -> bytes:
    buf = io.BytesIO()
    (image or two_colour_image()).save(buf, "PNG")
    return buf.getvalue()


def webp_bytes(image: Image.Image | None = None) -> bytes:
    buf = io.BytesIO()
    (image or two_colour_image()).save(buf, "WEBP", quality=90)
    return buf.getvalue()


def jpeg_with_orientation_and_gps(orientation: int = 6) -> bytes:
    """A phone-style JPEG: stored sideways with EXIF Orientation, GPS position,
    camera make and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.ImageDescription] = "Nha cua toi"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 35.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 50.0, 3.25)
    return jpeg_bytes(two_colour_image(), exif=exif.tobytes(), comment=b"secret comment")


def truncated_jpeg() -> bytes:
    data = jpeg_bytes(Image.effect_noise((400, 300), 60).convert("RGB"))
    return data[: len(data) // 2]


def pixel_flood_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG that declares huge dimensions (IDAT of a few zero rows only)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    raw = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def big_file(size: int = 11 * 1024 * 1024) -> bytes:
    """An 11 MB upload that starts like a real JPEG."""
    head = jpeg_bytes()
    return head + b"\x00" * (size - len(head))


def to_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters (â ă ê ô ơ ư đ) precomposed,
    tone marks as combining characters."""
    out: list[str] = []
    base = -1
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch) and base >= 0:
            combined = unicodedata.normalize("NFC", out[base] + ch)
            if len(combined) == 1:
                try:
                    combined.encode("cp1258")
                    out[base] = combined
                    continue
                except UnicodeEncodeError:
                    pass
            out.append(ch)
        else:
            out.append(ch)
            base = len(out) - 1
    return "".join(out).encode("cp1258")


def csv_bytes(rows: list[list], *, bom: bool = True, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    for row in rows:
        writer.writerow(row)
    text = buf.getvalue()
    data = to_cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom and encoding == "utf-8" else data


def xlsx_bytes(rows: list[list], *, title: str = "San pham") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_zip_bomb(rows: list[list], inflated_mb: int = 101) -> bytes:
    """A real workbook plus one member that inflates to ``inflated_mb`` MB of zeros."""
    import zipfile

    buf = io.BytesIO(xlsx_bytes(rows))
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/padding.bin", "w") as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(inflated_mb):
                member.write(chunk)
    return buf.getvalue()
