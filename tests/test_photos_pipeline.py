"""The upload pipeline with real image files: what is accepted, what is rejected and
what is stored (orientation applied, metadata gone, WebP renditions)."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from marketplace.media.images import (
    MAX_UPLOAD_BYTES,
    ImageRejected,
    process_upload,
    rendition_name,
    store_renditions,
)
from marketplace.media.storage import LocalStorage

import media_samples as samples


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(str(tmp_path / "uploads"))


def _open_rendition(storage, key, width) -> tuple[Image.Image, bytes]:
    data = storage.open_path(rendition_name(key, width)).read_bytes()
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, data


def test_phone_jpeg_is_turned_upright_and_loses_gps_and_camera_data(storage):
    original = samples.jpeg_with_orientation_and_gps(orientation=6)
    # The sample really carries what a phone writes.
    with Image.open(io.BytesIO(original)) as raw:
        assert raw.size == (300, 200)
        assert raw.getexif()[0x0112] == 6
        assert raw.getexif().get_ifd(0x8825)[2] == (21.0, 35.0, 12.5)

    image = process_upload(io.BytesIO(original))
    assert image.size == (200, 300)  # rotated 90° clockwise as the phone meant
    # The left (red) half of the sensor image is now on top.
    assert image.getpixel((100, 20))[0] > 180
    assert image.getpixel((100, 280))[2] > 180

    key, width, height = store_renditions(storage, image)
    assert (width, height) == (200, 300)
    for w in (320, 800, 1600):
        stored, data = _open_rendition(storage, key, w)
        assert stored.format == "WEBP"
        assert stored.size == (200, 300)  # never upscaled
        assert not stored.getexif()
        assert "exif" not in stored.info and "xmp" not in stored.info
        assert b"TestPhone" not in data and b"secret comment" not in data and b"Nha cua toi" not in data


def test_large_picture_gets_three_widths(storage):
    image = process_upload(samples.jpeg_bytes(samples.two_colour_image(2000, 1000)))
    key, width, height = store_renditions(storage, image)
    sizes = [_open_rendition(storage, key, w)[0].size for w in (320, 800, 1600)]
    assert sizes == [(320, 160), (800, 400), (1600, 800)]
    assert (width, height) == (2000, 1000)


@pytest.mark.parametrize("maker", [samples.png_bytes, samples.webp_bytes, samples.jpeg_bytes])
def test_png_webp_and_jpeg_are_accepted(maker):
    image = process_upload(io.BytesIO(maker()))
    assert image.size == (300, 200)
    assert image.mode == "RGB"


def test_png_transparency_is_kept():
    rgba = Image.new("RGBA", (64, 64), (0, 128, 0, 0))
    image = process_upload(samples.png_bytes(rgba))
    assert image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0


def test_same_picture_is_stored_once_under_the_same_key(storage):
    a = store_renditions(storage, process_upload(samples.png_bytes()))
    b = store_renditions(storage, process_upload(samples.png_bytes()))
    assert a == b
    files = [p for p in (storage.root).rglob("*.webp")]
    assert len(files) == 3


def _rejected(data: bytes) -> str:
    with pytest.raises(ImageRejected) as info:
        process_upload(io.BytesIO(data))
    return info.value.message


def test_text_file_named_jpg_is_rejected():
    assert "không phải ảnh" in _rejected("Đây là một tệp văn bản, không phải ảnh.".encode())


def test_truncated_jpeg_is_rejected():
    assert "bị hỏng" in _rejected(samples.truncated_jpeg())


def test_pixel_flood_png_is_rejected_before_decoding():
    flood = samples.pixel_flood_png(20000, 20000)
    assert len(flood) < 2000  # a tiny file that claims 400 megapixels
    assert "megapixel" in _rejected(flood)


def test_picture_just_over_the_pixel_limit_is_rejected_with_its_size():
    message = _rejected(samples.pixel_flood_png(7000, 7000))
    assert "7000 × 7000" in message and "12 megapixel" in message  # PNG: full decode, lower limit


def test_eleven_megabyte_file_is_rejected():
    data = samples.big_file()
    assert len(data) > MAX_UPLOAD_BYTES
    assert "10 MB" in _rejected(data)


def test_empty_upload_is_rejected():
    assert "rỗng" in _rejected(b"")


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_rejected(fmt):
    buf = io.BytesIO()
    samples.two_colour_image().save(buf, fmt)
    assert "JPEG, PNG hoặc WebP" in _rejected(buf.getvalue())
