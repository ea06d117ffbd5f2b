"""Upload memory benchmark: peak RSS of a real gunicorn worker while four hostile
pictures are uploaded at once.

    .venv/bin/pip install -e '.[server]'          # gunicorn
    .venv/bin/python bench/upload_memory_bench.py  # port 5440 by default
    .venv/bin/python bench/upload_memory_bench.py --port 5441 --threads 4

It prints figures; it asserts nothing (target from issue 10: four such uploads at once
keep the worker under 300 MiB). One gunicorn worker with ``--threads 4`` (gthread), so
the four uploads land in the same process, as they did with the threaded server in the
report (134 → 480 MiB for one, 1.7 GiB for four). A sync worker serves one request at a
time and is bounded by the single-upload figure.

Cases, each as four simultaneous POSTs to the photo page of one product:

* png-6245 — a 6,245 × 6,245 RGB PNG of ~120 KB (refused from its header now);
* png-4000x3000 — the largest PNG size a phone sends (12 MP, accepted, reduced);
* jpeg-7000x5000 — a 35 MP JPEG (accepted, decoded in draft mode).

The worker's RSS is sampled from /proc/<pid>/status every 10 ms (VmRSS) and its peak
(VmHWM) is read after each case.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import io
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APP_MODULE = """
import os
from marketplace import create_app
app = create_app({
    "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
    "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DB"], "UPLOAD_FOLDER": os.environ["BENCH_UPLOADS"],
    "MAIL_FOLDER": os.environ["BENCH_UPLOADS"] + "/mail", "UPLOADS_PER_HOUR": 10_000,
})
"""


def solid_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)

    row = b"\x00" + bytes((200, 40, 40)) * width
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def noisy_jpeg(width: int, height: int) -> bytes:
    from PIL import Image

    image = Image.effect_noise((width, height), 12).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=40)
    return buf.getvalue()


def prepare(workdir: Path) -> tuple[str, str]:
    from marketplace import create_app
    from marketplace.extensions import db

    db_url = f"sqlite:///{workdir / 'bench.sqlite'}"
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": db_url, "UPLOAD_FOLDER": str(workdir / "up")})
    with app.app_context():
        db.create_all()
        init = app.extensions.get("search_schema_init")
        if init:
            init()
        from marketplace.demo.factories import make_product, make_seller, make_user

        seller = make_seller(name="HTX Đo Bộ Nhớ")
        make_user(role="seller", seller=seller, email="seller@bench.vn", password="mat-khau-123")
        products = [make_product(seller=seller, name=f"Sản phẩm đo {i}", status="draft").id for i in range(12)]
        db.session.commit()
        db.engine.dispose()
    return db_url, ",".join(map(str, products))


def rss(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    return 0


def worker_pid(master: int) -> int:
    for _ in range(100):
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("no gunicorn worker")


def login(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    data = urllib.parse.urlencode({"email": "seller@bench.vn", "password": "mat-khau-123"}).encode()
    opener.open(base + "/dang-nhap", data=data, timeout=30).read()
    return opener


def post_photo(opener, url: str, content: bytes, out: list) -> None:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"a.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    t0 = time.perf_counter()
    try:
        with opener.open(request, timeout=120) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    out.append((status, time.perf_counter() - t0))


def main() -> None:
    import urllib.parse  # noqa: F401

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5440)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrent", type=int, default=4)
    args = parser.parse_args()
    cases = {
        "png-6245": solid_png(6245, 6245),
        "png-4000x3000": solid_png(4000, 3000),
        "jpeg-7000x5000": noisy_jpeg(7000, 5000),
    }
    print(f"upload memory bench: 1 gunicorn worker, gthread × {args.threads}, {args.concurrent} uploads at once; "
          f"load average {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as tmp:
        workdir = Path(tmp)
        db_url, product_ids = prepare(workdir)
        (workdir / "bench_app.py").write_text(APP_MODULE)
        env = dict(os.environ, BENCH_DB=db_url, BENCH_UPLOADS=str(workdir / "up"),
                   PYTHONPATH=f"{workdir}:{ROOT}")
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", str(args.threads), "-k", "gthread",
             "-b", f"127.0.0.1:{args.port}", "--timeout", "120", "bench_app:app"],
            env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{args.port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/robots.txt", timeout=2).read()
                    break
                except OSError:
                    time.sleep(0.2)
            pid = worker_pid(server.pid)
            openers = [login(base) for _ in range(args.concurrent)]
            ids = product_ids.split(",")
            print(f"  worker pid {pid}, RSS after start and login: {rss(pid)} MiB")
            for n, (name, content) in enumerate(cases.items()):
                results: list = []
                peak, stop = [0], threading.Event()

                def sample() -> None:
                    while not stop.is_set():
                        peak[0] = max(peak[0], rss(pid))
                        time.sleep(0.01)

                before = rss(pid)
                sampler = threading.Thread(target=sample)
                sampler.start()
                threads = [
                    threading.Thread(target=post_photo, args=(
                        opener, f"{base}/dashboard/san-pham/{ids[n * args.concurrent + i]}/anh", content, results))
                    for i, opener in enumerate(openers)
                ]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                stop.set()
                sampler.join()
                statuses = sorted(s for s, _ in results)
                slowest = max(d for _, d in results)
                print(f"  {name:15s} {len(content) / 1024:7.0f} KiB ×{args.concurrent}: statuses {statuses}, "
                      f"RSS before {before} MiB, peak sampled {peak[0]} MiB, VmHWM {rss(pid, 'VmHWM')} MiB, "
                      f"slowest {slowest:.2f} s")
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
