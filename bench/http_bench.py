"""HTTP benchmark: the marketplace's pages against a bare-Flask ceiling, in one run.

    .venv/bin/python bench/http_bench.py                      # seeds a demo DB in a temp folder
    .venv/bin/python bench/http_bench.py --db /tmp/demo.sqlite --rounds 3 --requests 200

Starts two ``gunicorn`` servers with the same settings (``--workers`` sync workers,
default 2, on free loopback ports): the marketplace on a SQLite demo catalog (seeded
with ``seed-demo --no-photos`` if the file does not exist) and the ceiling in
``bench/ceiling/`` (a bare Flask app rendering 24 rows of a 2,700-row SQLite table
through a Jinja template with a ~50-line layout). ``--concurrency`` client threads
(default 10) then load one page kind at a time, in interleaved rounds: in every round
each page kind runs right next to a run of the ceiling, in a shuffled order, so a
noisy machine slows both sides of each ratio alike.

Page kinds: home, listing, filtered listing (``stars``, ``sort``, ``page``), search
results, product, seller, category, area; when present (found in the URL map and
answering 200): a collection page and the staff pages (logged in as a staff user the
bench creates). Prints, per page kind: requests/s, p50/p95/p99 latency and the ratio of
its requests/s to the ceiling's; non-200 answers are counted. Asserts nothing.
Only 127.0.0.1 is contacted; both servers are stopped at the end.
"""
from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CEILING = ROOT / "bench" / "ceiling"
STAFF_EMAIL = "bench-staff@example.vn"
STAFF_PASSWORD = "bench-staff-password-2026"

# A phone browser's User-Agent: without one a request counts as a bot and its view is
# not recorded (analytics/recording.py), and the issue measures with view counting on.
USER_AGENT = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"

SORTS = ("price_asc", "price_desc", "newest")
QUERIES = ("chè tân cương", "che tan cuong", "mat ong", "miến dong", "tra xanh", "gao nep", "hop qua",
           "tna cuong", "che moc cauu", "ruou", "dong hy", "ocop", "nam huong", "máy vò chè")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flask(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "flask"), "--app", "marketplace", *args], cwd=ROOT, env=env, check=check,
                          capture_output=True, text=True)


def sample_slugs(db_path: Path) -> dict[str, list[str]]:
    con = sqlite3.connect(db_path)
    public = ("SELECT p.slug FROM products p JOIN sellers s ON s.id = p.seller_id "
              "WHERE p.status = 'published' AND s.status = 'approved' ORDER BY p.id")
    data = {
        "product": [r[0] for r in con.execute(public)],
        "seller": [r[0] for r in con.execute("SELECT slug FROM sellers WHERE status = 'approved' ORDER BY id")],
        "category": [r[0] for r in con.execute("SELECT slug FROM categories ORDER BY id")],
        "area": [r[0] for r in con.execute(
            "SELECT DISTINCT a.slug FROM areas a JOIN products p ON p.area_id = a.id "
            "WHERE a.kind != 'province' ORDER BY a.slug")],
    }
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    data["collection"] = (
        [r[0] for r in con.execute("SELECT slug FROM collections ORDER BY id")] if "collections" in tables else []
    )
    con.close()
    return data


@dataclass
class Page:
    name: str
    paths: object  # callable(rng) -> path
    cookie: str = ""
    space: object = None  # callable() -> every path ``paths`` can return (for the warm-up)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0
    not_ok: int = 0
    server_errors: int = 0
    ratios: list[float] = field(default_factory=list)
    hits: int = 0  # answered from the page cache


class Client:
    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, method: str, path: str, body: dict | None = None, cookie: str = "",
                conn: http.client.HTTPConnection | None = None):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if own:
            conn.close()
        return response, payload


def burst(port: int, page: Page, count: int, concurrency: int, rng: random.Random) -> tuple[list[float], float, int, int, int]:
    paths = [page.paths(rng) for _ in range(count)]
    return _load(port, paths, page.cookie, concurrency)


def _load(port: int, paths: list[str], cookie: str, concurrency: int) -> tuple[list[float], float, int, int, int]:
    """Latencies, seconds, non-200 answers, 5xx answers, page-cache hits (X-Page-Cache)."""
    cursor = iter(paths)
    lock = threading.Lock()
    latencies: list[float] = []
    not_ok = server_errors = 0
    hits = 0
    client = Client(port)

    def worker() -> None:
        nonlocal not_ok, server_errors, hits
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                path = next(cursor, None)
            if path is None:
                break
            started = time.perf_counter()
            response, _ = client.request("GET", path, cookie=cookie, conn=conn)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    not_ok += 1
                if response.status >= 500:
                    server_errors += 1
                if response.getheader("X-Page-Cache") == "hit":
                    hits += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, not_ok, server_errors, hits


def start(args: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    with log.open("wb") as fh:
        return subprocess.Popen(args, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)


def wait_for(port: int, path: str) -> None:
    for _ in range(300):
        try:
            Client(port).request("GET", path)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def staff_cookie(port: int, env: dict) -> str:
    """Log in as the bench's staff user (created if missing); '' when that fails."""
    flask(env, "users", "create", STAFF_EMAIL, "--role", "staff", "--password", STAFF_PASSWORD, check=False)
    client = Client(port)
    response, body = client.request("GET", "/dang-nhap")
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    cookie = (response.getheader("Set-Cookie") or "").split(";", 1)[0]
    if not token:
        return ""
    response, _ = client.request("POST", "/dang-nhap", {"email": STAFF_EMAIL, "password": STAFF_PASSWORD,
                                                        "csrf_token": token.group(1).decode()}, cookie=cookie)
    if response.status != 302:
        return ""
    return (response.getheader("Set-Cookie") or cookie).split(";", 1)[0]


def discover(env: dict, port: int, slugs: dict) -> list[Page]:
    """Collection and staff pages, when the running code has them."""
    os.environ.update(env)
    from marketplace import create_app

    app = create_app()
    pages: list[Page] = []
    client = Client(port)
    rules = [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ())]
    collection_rules = [r for r in rules if "collection" in r.endpoint and set(r.arguments) == {"slug"}
                        and not r.rule.startswith(("/nhan-vien", "/dashboard", "/api"))]
    with app.test_request_context():
        from flask import url_for

        for rule in collection_rules:
            ok = [s for s in slugs["collection"]
                  if client.request("GET", url_for(rule.endpoint, slug=s))[0].status == 200]
            if ok:
                urls = [_url(app, rule.endpoint, slug=s) for s in ok]
                pages.append(Page("collection", lambda rng, urls=urls: rng.choice(urls), space=lambda urls=urls: urls))
                break
        staff_rules = sorted((r for r in rules if r.rule.startswith("/nhan-vien") and not r.arguments),
                             key=lambda r: r.rule)
        cookie = staff_cookie(port, env) if staff_rules else ""
        wanted = [r for r in staff_rules if r.rule in ("/nhan-vien/", "/nhan-vien/thong-ke/")]
        for rule in wanted or staff_rules[:8]:  # staff home and analytics overview
            if cookie and client.request("GET", rule.rule, cookie=cookie)[0].status == 200:
                pages.append(Page(f"staff {rule.rule}", lambda rng, p=rule.rule: p, cookie=cookie))
    return pages


def _url(app, endpoint: str, **values) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="SQLite demo database (created and seeded if missing)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind per round")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="marketplace port (default: a free one)")
    parser.add_argument("--ceiling-port", type=int, default=0, help="ceiling port (default: a free one)")
    parser.add_argument("--warm", type=int, default=3,
                        help="before the rounds, request every URL of each page kind this many times "
                             "(0: only 40 random requests per kind)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="http-bench-"))
    db_path = Path(args.db) if args.db else workdir / "demo.sqlite"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}", "UPLOAD_FOLDER": str(workdir / "uploads"),
           "SECRET_KEY": "bench", "MAIL_FOLDER": str(workdir / "mail"), "CEILING_DB": str(workdir / "ceiling.sqlite")}
    if not db_path.exists():
        print(f"seeding {db_path} …", flush=True)
        flask(env, "db", "upgrade")
        flask(env, "seed-demo", "--no-photos")
    else:
        flask(env, "db", "upgrade")
    gunicorn = BIN / "gunicorn"
    if not gunicorn.exists():
        sys.exit("gunicorn is not installed: pip install -e .")
    # The same settings for both servers: the production gunicorn.conf.py, then the
    # workers and the worker class from the command line.
    common = ["-c", str(ROOT / "gunicorn.conf.py"), "-w", str(args.workers), "-k", "sync", "--log-level", "warning"]
    app_port, ceiling_port = args.port or free_port(), args.ceiling_port or free_port()
    servers = [
        start([str(gunicorn), *common, "-b", f"127.0.0.1:{app_port}", "marketplace:create_app()"],
              env, workdir, workdir / "marketplace.log"),
        start([str(gunicorn), *common, "-b", f"127.0.0.1:{ceiling_port}", "--pythonpath", str(CEILING),
               "app:create_app()"], env, workdir, workdir / "ceiling.log"),
    ]
    load_start = os.getloadavg()
    cold: dict[str, tuple[float, float, float, int]] = {}
    try:
        wait_for(app_port, "/healthz")
        wait_for(ceiling_port, "/")
        slugs = sample_slugs(db_path)
        pages = [
            Page("home", lambda rng: "/", space=lambda: ["/"]),
            Page("listing", lambda rng: f"/san-pham?page={rng.randint(1, 5)}",
                 space=lambda: [f"/san-pham?page={p}" for p in range(1, 6)]),
            Page("filtered listing", lambda rng: f"/san-pham?stars={rng.choice('345')}&sort="
                 f"{rng.choice(SORTS)}&page={rng.randint(1, 3)}",
                 space=lambda: [f"/san-pham?stars={s}&sort={o}&page={p}" for s in "345" for o in SORTS
                                for p in range(1, 4)]),
            Page("search", lambda rng: "/san-pham?q=" + quote(rng.choice(QUERIES)),
                 space=lambda: ["/san-pham?q=" + quote(q) for q in QUERIES]),
            Page("product", lambda rng: "/san-pham/" + rng.choice(slugs["product"]),
                 space=lambda: ["/san-pham/" + s for s in slugs["product"]]),
            Page("seller", lambda rng: "/co-so/" + rng.choice(slugs["seller"]),
                 space=lambda: ["/co-so/" + s for s in slugs["seller"]]),
            Page("category", lambda rng: "/danh-muc/" + rng.choice(slugs["category"]),
                 space=lambda: ["/danh-muc/" + s for s in slugs["category"]]),
            Page("area", lambda rng: "/khu-vuc/" + rng.choice(slugs["area"]),
                 space=lambda: ["/khu-vuc/" + s for s in slugs["area"]]),
        ]
        pages += discover(env, app_port, slugs)
        ceiling_page = Page("ceiling", lambda rng: f"/?page={rng.randint(1, 112)}")
        rng = random.Random(7)
        if args.warm:
            # Every URL each page kind can ask for, ``--warm`` times in a shuffled order:
            # the page cache is per worker, so a URL is cached in a worker once that
            # worker has served it. The first pass is timed: every page rendered, the caches empty.
            for page in pages:
                space = page.space() if page.space else []
                if not space:
                    continue
                first = space[:]
                rng.shuffle(first)
                lat, secs, _n, errors, _hits = _load(app_port, first, page.cookie, args.concurrency)
                cold[page.name] = (len(lat) / secs, statistics.median(lat), pct(lat, .95), errors)
                rest = space * (args.warm - 1)
                rng.shuffle(rest)
                _load(app_port, rest, page.cookie, args.concurrency)

        for page in pages:  # warm both servers' workers and caches
            burst(app_port, page, 40, args.concurrency, rng)
        burst(ceiling_port, ceiling_page, 100, args.concurrency, rng)
        stats = {page.name: Stats() for page in pages}
        ceiling = Stats()
        for round_no in range(args.rounds):
            order = pages[:]
            rng.shuffle(order)
            for i, page in enumerate(order):
                runs = [(ceiling_port, ceiling_page, ceiling), (app_port, page, stats[page.name])]
                if (i + round_no) % 2:
                    runs.reverse()
                rps = {}
                for port, which, into in runs:
                    lat, secs, not_ok, errors, hits = burst(port, which, args.requests, args.concurrency, rng)
                    into.hits += hits
                    into.latencies += lat
                    into.seconds += secs
                    into.requests += len(lat)
                    into.not_ok += not_ok
                    into.server_errors += errors
                    rps[which.name] = len(lat) / secs
                stats[page.name].ratios.append(rps[page.name] / rps["ceiling"])
            print(f"round {round_no + 1}/{args.rounds} done (load {os.getloadavg()[0]:.1f})", flush=True)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)

    load_end = os.getloadavg()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nmachine: {platform.node()} {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}; at end: {uptime}")
    print(f"servers: gunicorn {args.workers} sync workers each; {args.concurrency} concurrent clients; "
          f"{args.rounds} interleaved rounds × {args.requests} requests per page kind; "
          f"{len(slugs['product'])} public products")
    ceiling_rps = ceiling.requests / ceiling.seconds
    header = (f"{'page':<26} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'ratio':>7} {'non-200':>8}"
              f" {'cached':>7}")
    print(header)
    print("-" * len(header))
    print(f"{'ceiling (bare Flask)':<26} {ceiling_rps:>7.0f} {statistics.median(ceiling.latencies):>7.1f} "
          f"{pct(ceiling.latencies, .95):>7.1f} {pct(ceiling.latencies, .99):>7.1f} {'100 %':>7} {ceiling.not_ok:>8}")
    for page in pages:
        s = stats[page.name]
        ratio = statistics.median(s.ratios) * 100
        print(f"{page.name:<26} {s.requests / s.seconds:>7.0f} {statistics.median(s.latencies):>7.1f} "
              f"{pct(s.latencies, .95):>7.1f} {pct(s.latencies, .99):>7.1f} {ratio:>6.1f}% {s.not_ok:>8}"
              f" {100 * s.hits / max(1, s.requests):>6.0f}%")
    if cold:
        print("\nfirst request of every URL (warm-up pass 1: rendered, the page cache empty):")
        print(f"{'page':<26} {'URLs':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'5xx':>8}")
        for page in pages:
            if page.name in cold:
                rps, p50, p95, errs = cold[page.name]
                print(f"{page.name:<26} {len(page.space()):>7} {rps:>7.0f} {p50:>7.1f} {p95:>7.1f} {errs:>8}")
    errors = sum(s.server_errors for s in stats.values()) + sum(c[3] for c in cold.values())
    print(f"\nratio: the median over rounds of (page req/s ÷ ceiling req/s measured next to it); "
          f"server errors (5xx): {errors}")


if __name__ == "__main__":
    main()
