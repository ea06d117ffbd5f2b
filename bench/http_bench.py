"""HTTP benchmark: latency, throughput and memory of the real app served by gunicorn.

    .venv/bin/python bench/http_bench.py                   # seeds a demo DB in a temp folder
    .venv/bin/python bench/http_bench.py --db /tmp/demo.sqlite --requests 400 --concurrency 4

Starts ``gunicorn`` (``pip install -e '.[server]'``) with ``--workers`` processes on a
free loopback port against a SQLite demo catalog (seeded with ``seed-demo --no-photos`` if
the file does not exist), then sends a fixed, bounded mix of requests — home, listing with
and without filters, searches with and without diacritics, product, seller, category pages,
and the JSON API — from ``--concurrency`` client threads. Prints p50/p95/max per page kind,
overall requests/s, and the resident memory of the server processes. Asserts nothing.
Only 127.0.0.1 is contacted, and the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "marketplace", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def sample_slugs(db_path: Path) -> dict[str, list[str]]:
    import sqlite3

    con = sqlite3.connect(db_path)
    public = ("SELECT p.slug FROM products p JOIN sellers s ON s.id = p.seller_id "
              "WHERE p.status = 'published' AND s.status = 'approved' ORDER BY p.id")
    data = {
        "product": [r[0] for r in con.execute(public)],
        "seller": [r[0] for r in con.execute("SELECT slug FROM sellers WHERE status = 'approved' ORDER BY id")],
        "category": [r[0] for r in con.execute("SELECT slug FROM categories ORDER BY id")],
        "area": [r[0] for r in con.execute("SELECT slug FROM areas WHERE kind != 'province' ORDER BY id")],
    }
    con.close()
    return data


QUERIES = ("chè tân cương", "che tan cuong", "mat ong", "miến dong", "tra xanh", "gao nep", "hop qua",
           "tna cuong", "che moc cauu", "ruou", "dong hy", "ocop", "nam huong", "máy vò chè")


def request_mix(slugs: dict[str, list[str]], count: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    kinds = [
        ("home", lambda: "/"),
        ("listing", lambda: "/san-pham"),
        ("listing+filters", lambda: f"/san-pham?ocop_stars={rng.choice('345')}&sort=price_asc&page={rng.randint(1, 3)}"),
        ("search", lambda: "/san-pham?q=" + quote(rng.choice(QUERIES))),
        ("product", lambda: "/san-pham/" + rng.choice(slugs["product"])),
        ("seller", lambda: "/co-so/" + rng.choice(slugs["seller"])),
        ("category", lambda: "/danh-muc/" + rng.choice(slugs["category"])),
        ("api list", lambda: "/api/v1/products?q=" + quote(rng.choice(QUERIES)) + "&per_page=24"),
        ("api product", lambda: "/api/v1/products/" + rng.choice(slugs["product"])),
        ("suggest", lambda: "/goi-y?q=" + quote(rng.choice(QUERIES)[:4])),
    ]
    return [(kind, make()) for kind, make in (rng.choice(kinds) for _ in range(count))]


def run_clients(port: int, mix: list[tuple[str, str]], concurrency: int) -> tuple[dict[str, list[float]], float, int]:
    timings: dict[str, list[float]] = {}
    errors = 0
    lock = threading.Lock()
    cursor = iter(mix)

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            kind, path = item
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.setdefault(kind, []).append(elapsed)
                if response.status >= 500:
                    errors += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings, time.perf_counter() - started, errors


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def child_pids(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [pid] + [int(p) for p in out.split()]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="SQLite demo database (created and seeded if missing)")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="http-bench-"))
    db_path = Path(args.db) if args.db else workdir / "demo.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "UPLOAD_FOLDER": str(workdir / "uploads"),
           "SECRET_KEY": "bench"}
    if not db_path.exists():
        print(f"seeding {db_path} …", flush=True)
        flask(env, "db", "upgrade")
        flask(env, "seed-demo", "--no-photos")
    gunicorn = BIN / "gunicorn"
    if not gunicorn.exists():
        sys.exit("gunicorn is not installed: pip install -e '.[server]'")
    port = free_port()
    server = subprocess.Popen(
        [str(gunicorn), "-w", str(args.workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "marketplace:create_app()"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        slugs = sample_slugs(db_path)
        warm = request_mix(slugs, 100, seed=1)
        run_clients(port, warm, args.concurrency)  # warm caches and workers
        mix = request_mix(slugs, args.requests)
        timings, elapsed, errors = run_clients(port, mix, args.concurrency)
        memory = rss_mib(child_pids(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=10)

    every = [t for values in timings.values() for t in values]
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"server: gunicorn {args.workers} workers (sync), SQLite, {len(slugs['product'])} public products; "
          f"{args.concurrency} client threads, {len(every)} requests")
    print(f"{'page':<16} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in sorted(timings):
        values = timings[kind]
        print(f"{kind:<16} {len(values):>4} {statistics.median(values):>8.1f} {pct(values, 0.95):>8.1f} "
              f"{max(values):>8.1f}")
    print(f"{'all':<16} {len(every):>4} {statistics.median(every):>8.1f} {pct(every, 0.95):>8.1f} {max(every):>8.1f}")
    print(f"throughput: {len(every) / elapsed:.1f} requests/s; server errors (5xx): {errors}; "
          f"server memory (RSS, master + workers): {memory:.0f} MiB")


if __name__ == "__main__":
    main()
