"""Take the README's screenshots again from the demo catalog.

Seeds the demo into a temporary folder, serves it with gunicorn on a loopback port, and
drives Debian's Chromium through Playwright: a product page on a 360 px phone, the seller
workspace of a demo cooperative and the staff's visit analytics. Each picture is saved as
a palette PNG under 150 KB (Pillow).

    .venv/bin/python scripts/screenshots.py                 # → docs/screenshots/
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --no-photos

Needs the test extras (Playwright) and Chromium (``apt-get install -y chromium``).
"""
from __future__ import annotations

import argparse
import io
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_BYTES = 150_000
SELLER_EMAIL = "haodat@ocop-demo.example.com"  # HTX chè Hảo Đạt, a cooperative of the demo
STAFF_EMAIL = "nhanvien@ocop-demo.example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_env(workdir: Path, port: int) -> dict[str, str]:
    """The app's configuration for a demo that lives in ``workdir`` only."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'marketplace.sqlite'}",
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "MAIL_FOLDER": str(workdir / "mail"),
        "PAGE_CACHE_DIR": str(workdir / "pagecache"),
        "DEMO_ACCOUNTS_FILE": str(workdir / "demo-accounts.txt"),
        "SECRET_KEY": secrets.token_hex(16),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "REQUEST_LOG": "0",
        "WEB_CONCURRENCY": "2",
    }


def seed(env: dict[str, str], *, photos: bool) -> None:
    flask = [sys.executable, "-m", "flask", "--app", "marketplace"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo", *([] if photos else ["--no-photos"])], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def passwords(accounts_file: Path) -> dict[str, str]:
    """E-mail → one-time password, from the file seed-demo writes."""
    found = {}
    for line in accounts_file.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            _role, email, password = line.split()[:3]
            found[email] = password
    return found


def wait_ready(url: str, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout} s")


def save_small(png: bytes, path: Path) -> int:
    """Save as a palette PNG, with fewer colours until it is under MAX_BYTES."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    for colours in (128, 64, 32, 16):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
        if out.tell() < MAX_BYTES:
            break
    path.write_bytes(out.getvalue())
    return out.tell()


def log_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/dang-nhap")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('Đăng nhập')")


def shoot(url: str, accounts: dict[str, str], out: Path) -> dict[str, int]:
    from playwright.sync_api import sync_playwright

    sizes = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        phone = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                    is_mobile=True, has_touch=True, locale="vi-VN").new_page()
        phone.goto(f"{url}/san-pham?stars=5")  # a 5-star OCOP product: the badge shows
        phone.locator(".results .card-link").first.click()
        phone.wait_for_load_state("networkidle")
        sizes["product-phone.png"] = save_small(phone.screenshot(), out / "product-phone.png")

        # (file, account, page, element to scroll to the top: the staff's chart, under its heading)
        for name, email, path, start in (("seller-workspace.png", SELLER_EMAIL, "/dashboard/", None),
                                         ("staff-analytics.png", STAFF_EMAIL, "/nhan-vien/thong-ke/", "figure.chart")):
            page = browser.new_context(viewport={"width": 1100, "height": 900}, locale="vi-VN").new_page()
            log_in(page, url, email, accounts[email])
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            if start:
                page.locator(start).first.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + scrollY - 100)")
            sizes[name] = save_small(page.screenshot(), out / name)
            page.context.close()
        browser.close()
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--port", type=int, default=0, help="loopback port for gunicorn (default: a free one)")
    parser.add_argument("--no-photos", action="store_true", help="seed without product photos (faster)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    port = args.port or free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ocop-screenshots-") as tmp:
        workdir = Path(tmp)
        env = demo_env(workdir, port)
        seed(env, photos=not args.no_photos)
        with open(workdir / "gunicorn.log", "wb") as log:
            server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                                       "marketplace:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                wait_ready(url, server)
                sizes = shoot(url, passwords(workdir / "demo-accounts.txt"), args.out)
            finally:
                server.terminate()
                server.wait(timeout=30)
    for name, size in sizes.items():
        print(f"{args.out / name}: {size / 1000:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
