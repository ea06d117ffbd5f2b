"""``scripts/screenshots.py`` (the README's pictures) runs end to end: demo seeded, gunicorn
served, Chromium driven, three small PNG files written."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.live_server import free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {"product-phone.png": (720, 1480), "seller-workspace.png": (1100, 900), "staff-analytics.png": (1100, 900)}


def test_the_screenshot_script_writes_three_small_pictures(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--out", str(tmp_path),
                           "--no-photos", "--port", str(free_port("E2E_PORTS"))],
                          capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stderr[-3000:]
    for name, size in EXPECTED.items():
        path = tmp_path / name
        assert 10_000 < path.stat().st_size < 150_000, (name, path.stat().st_size)
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == size
            # a real page, not a blank one: the header's green and many other colours
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or []) > 8


def test_the_committed_screenshots_are_small_pngs():
    for name, size in EXPECTED.items():
        path = ROOT / "docs" / "screenshots" / name
        assert path.stat().st_size < 150_000, name
        with Image.open(path) as image:
            assert image.format == "PNG" and image.size == size
