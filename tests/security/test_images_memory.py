"""Issue 10 item 6: an upload cannot balloon a worker. A small-file 6,245 × 6,245 PNG
(inside the old 40-megapixel limit, 117–156 MB once decoded) is refused from its header;
accepted pictures are decoded no larger than the renditions need (JPEG draft mode,
PNG reduced right after decoding); decodes per process are capped; and each account
has an hourly upload quota counted in the database. Memory is measured in a separate
real process (peak RSS from /proc), never estimated."""
from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from auth import log_in
from marketplace.extensions import db
from marketplace.media.images import DECODE_MIN_SIDE, ImageRejected, _decode_slots, process_upload

import media_samples as samples
from factories import make_product, make_seller, make_user

ROOT = Path(__file__).resolve().parents[2]


def solid_png(width: int, height: int, rgb=(200, 40, 40)) -> bytes:
    """A real, fully decodable RGB PNG written row by row (never held as a bitmap)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


MEASURE = r"""
import json, sys
from marketplace.media.images import ImageRejected, process_upload
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
data = sys.stdin.buffer.read()
before = hwm()
try:
    image = process_upload(data)
    outcome = [image.width, image.height]
except ImageRejected as exc:
    outcome = exc.message
print(json.dumps({"outcome": outcome, "grew_mib": hwm() - before}))
"""


def measure(data: bytes) -> dict:
    """process_upload in a fresh Python process; its peak RSS growth in MiB."""
    done = subprocess.run([sys.executable, "-c", MEASURE], input=data, capture_output=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


@pytest.mark.slow  # a fresh Python process measures the decode
def test_the_small_file_6245_square_png_is_refused_without_decoding():
    data = solid_png(6245, 6245)
    assert len(data) < 300 * 1024  # a small file…
    result = measure(data)
    assert "6245 × 6245" in result["outcome"] and "12 megapixel" in result["outcome"]
    assert result["grew_mib"] < 20  # …that is never decoded (117 MiB of pixels before)


@pytest.mark.slow  # a fresh Python process measures the decode
def test_the_largest_accepted_png_is_reduced_as_soon_as_it_is_decoded():
    result = measure(solid_png(4000, 3000))
    width, height = result["outcome"]
    assert (width, height) == (2000, 1500)  # reduced by 2 at once, still ≥ 1600 wide
    assert result["grew_mib"] < 80  # the 4000 × 3000 bitmap (34 MiB) and small copies only


@pytest.mark.slow  # a fresh Python process measures the decode
def test_a_large_jpeg_is_decoded_at_reduced_scale():
    image = Image.new("RGB", (7000, 5000), (30, 120, 60))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=70)
    del image
    result = measure(buf.getvalue())
    width, height = result["outcome"]
    assert (width, height) == (1750, 1250)  # draft mode at 1/4: still ≥ 1600 wide
    assert result["grew_mib"] < 30  # 35 MP × 3 bytes = 100 MiB at full size


def test_orientation_survives_the_reduced_decode():
    image = Image.new("RGB", (6400, 3200), (30, 120, 60))  # landscape on disk, portrait upright
    exif = image.getexif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif.tobytes())
    upright = process_upload(buf.getvalue())
    assert (upright.width, upright.height) == (1600, 3200)  # draft 1/2 keeps 1600 of upright width


def test_decodes_per_process_are_capped(app, tmp_path):
    app.config.update(IMAGE_DECODE_CONCURRENCY=1, IMAGE_DECODE_WAIT_SECONDS=0.2)
    with app.app_context():
        slots = _decode_slots()
        slots.acquire()  # another request is decoding
        try:
            with pytest.raises(ImageRejected, match="Máy chủ đang bận xử lý các ảnh khác"):
                process_upload(samples.png_bytes())
        finally:
            slots.release()
        assert process_upload(samples.png_bytes()).width > 0  # the slot is free again


@pytest.fixture
def app_config(tmp_path):
    from conftest import make_test_config

    return make_test_config(tmp_path, UPLOADS_PER_HOUR=3)


@pytest.fixture
def seller_product(app):
    with app.app_context():
        seller = make_seller(name="HTX Ảnh", status="pending")
        user = make_user(role="seller", seller=seller)
        product = make_product(seller=seller, name="Sản phẩm có ảnh", status="draft")
        db.session.commit()
        return user.id, product.id


def upload(client, product_id: int, *files: bytes):
    values = MultiDict()
    for n, content in enumerate(files):
        values.add("photos", FileStorage(io.BytesIO(content), filename=f"anh-{n}.png"))
    boundary, body = encode_multipart(values)
    return client.post(f"/dashboard/san-pham/{product_id}/anh", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_hourly_upload_quota_per_account_counts_failures_and_holds_across_processes(app, app_config, seller_product):
    from marketplace import create_app

    user_id, product_id = seller_product
    client = app.test_client()
    log_in(client, user_id)
    assert upload(client, product_id, b"not a picture").status_code == 400  # refused, still counted
    assert upload(client, product_id, samples.png_bytes()).status_code == 302
    response = upload(client, product_id, samples.png_bytes(samples.two_colour_image(320, 240)),
                      samples.png_bytes(samples.two_colour_image(330, 240)))
    assert response.status_code == 429
    assert "Bạn đã tải lên 2 ảnh trong một giờ qua (tối đa 3 ảnh mỗi giờ)" in response.get_data(as_text=True)

    # Another process (a second app on the same database) sees the same count.
    other = create_app(app_config)
    other_client = other.test_client()
    log_in(other_client, user_id)
    assert upload(other_client, product_id, samples.png_bytes(samples.two_colour_image(340, 240))).status_code == 302
    assert upload(other_client, product_id, samples.png_bytes(samples.two_colour_image(350, 240))).status_code == 429
    with other.app_context():
        db.engine.dispose()
