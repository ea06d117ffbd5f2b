"""The realistic traffic mix (issue 15, item 6): every buyer URL, Zipf-weighted, against
gunicorn as ``make run`` starts it, next to the bare-Flask ceiling, in one run.

    .venv/bin/python bench/mixed.py                       # seeds a demo instance (~1.5 min), three modes
    .venv/bin/python bench/mixed.py --instance /tmp/mix   # seeds there once, reuses it afterwards
    .venv/bin/python bench/mixed.py --modes off --measure 10 --json

The app: ``gunicorn -c gunicorn.conf.py 'marketplace:create_app()'`` configured by the
environment only, ``WEB_CONCURRENCY`` workers (``--workers``, default 2), on a copy of a
demo instance seeded as ``make run`` seeds it (``flask db upgrade`` + ``flask seed-demo``,
photos included) in a temporary folder: database, uploads, mail, page-cache folder and
secret all there, none in the worktree's instance/. A fresh copy of the database and an
empty page-cache folder for each mode.

The URL set, read from the app itself: ``/sitemap.xml`` (home, listing, every category
and area page with public products, every seller, every public product), the active
collections, 22 listing variants (pages, sorts, filters) and 400 searches made of the
demo catalog's words (a third without diacritics, one in ten with a typo). The URLs are
shuffled, then weighted 1/rank (Zipf, s = 1); one sequence of ``--sequence`` draws is
replayed by every mode. Requests carry a phone browser's User-Agent, so views are
counted.

The client: ``wrk`` (``-t2 -c10`` by default) with ``bench/mixed.lua``; the ceiling
(``bench/ceiling``: bare Flask + Jinja + sqlite3, 24 rows, the same gunicorn settings
and worker count) is measured by the same client before and after the modes.

Modes (``--modes``, default all three):
- ``warm``: the page cache on;
- ``writes``: the page cache on, and one catalog write every ``--write-every`` seconds
  (10): a random public product's price changed through ``catalog.services.update_product``
  and committed, as the seller dashboard does (it shows on its pages and listings);
- ``off``: ``PAGE_CACHE=0``, every page rendered.
Each mode: ``--warmup`` seconds (15) of the same mix, then ``--measure`` seconds (20).

Prints, per mode: req/s, ratio to the ceiling, p50, p90, p99, non-2xx answers (5xx
apart), the share of answers that were page-cache hits, catalog writes made, and the
workers' resident memory (sum and largest) at the end; with ``--json`` one JSON object
as well. Asserts nothing. Only 127.0.0.1 is contacted. Ports: ``--port N`` (the app on N,
the ceiling on N + 1), else a free port of ``--ports`` / ``$LIVE_SERVER_PORTS`` (the range
the tests' servers of this checkout use), else two ports the kernel picks from its
ephemeral range — never a fixed range another checkout's tests may be using.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CEILING = ROOT / "bench" / "ceiling"
LUA = ROOT / "bench" / "mixed.lua"
# A phone browser: without a browser User-Agent a request counts as a bot and its view
# is not recorded (analytics/recording.py).
USER_AGENT = ("Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0 Mobile Safari/537.36")
MODES = ("warm", "writes", "off")
SEARCHES = 400
# Settings that must come from this script, not from the shell that runs it.
NOT_INHERITED = ("DATABASE_URL", "TEST_DATABASE_URL", "SEARCH_BACKEND", "PAGE_CACHE", "PAGE_CACHE_DIR",
                 "REQUEST_LOG", "WEB_CONCURRENCY", "BIND", "LIVE_APP_CONFIG")


# --- the instance -------------------------------------------------------------------------


def instance_env(folder: Path) -> dict[str, str]:
    """Environment settings putting every instance file of the app under ``folder``."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update({
        "DATABASE_URL": f"sqlite:///{folder / 'marketplace.sqlite'}",
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "MAIL_FOLDER": str(folder / "mail"),
        "PAGE_CACHE_DIR": str(folder / "pagecache"),
        "DEMO_ACCOUNTS_FILE": str(folder / "demo-accounts.txt"),
        "SECRET_KEY": "mixed-bench",
    })
    return env


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "marketplace", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def seeded_instance(folder: Path) -> Path:
    """``folder`` with a seeded demo catalog (seeded now unless it already is)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = instance_env(folder)
    if not (folder / "seeded").exists():
        print(f"seeding the demo instance in {folder} (photos included, ~1.5 min) …", flush=True)
        flask(env, "db", "upgrade")
        flask(env, "seed-demo", "--if-empty")
        (folder / "seeded").write_text(datetime.now(timezone.utc).isoformat())
    flask(env, "db", "upgrade")
    return folder


def mode_instance(seed: Path, folder: Path) -> dict[str, str]:
    """A fresh copy of the seeded database (uploads shared, read-only for buyer pages)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    src = sqlite3.connect(seed / "marketplace.sqlite")
    dst = sqlite3.connect(folder / "marketplace.sqlite")
    src.backup(dst)
    src.close()
    dst.close()
    env = instance_env(folder)
    env["UPLOAD_FOLDER"] = str(seed / "uploads")
    return env


# --- servers --------------------------------------------------------------------------------


class Server:
    def __init__(self, name: str, args: list[str], env: dict, port: int, log: Path) -> None:
        self.name, self.port, self.log = name, port, log
        with log.open("ab") as fh:
            self.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"{name} exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                    response.read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not answer on {port}") from None
                time.sleep(0.2)

    def get(self, path: str) -> bytes:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def worker_pids(self) -> list[str]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                             capture_output=True, text=True).stdout
        return out.split()

    def worker_rss(self) -> list[int]:
        """Resident memory (bytes) of each worker process."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
            if match:
                sizes.append(int(match.group(1)) * 1024)
        return sizes

    def cpu_seconds(self) -> float:
        """User + system CPU time of the workers so far (this one's children)."""
        ticks = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def gunicorn_args(port: int, workers: int) -> list[str]:
    # make run's command, with the production settings file named explicitly.
    return [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "-w", str(workers),
            "--bind", f"127.0.0.1:{port}"]


def start_app(env: dict, port: int, workers: int, log: Path, page_cache: bool) -> Server:
    env = {**env, "WEB_CONCURRENCY": str(workers), "PAGE_CACHE": "1" if page_cache else "0"}
    return Server("marketplace", [*gunicorn_args(port, workers), "marketplace:create_app()"], env, port, log)


def start_ceiling(workdir: Path, port: int, workers: int) -> Server:
    env = {**os.environ, "CEILING_DB": str(workdir / "ceiling.sqlite")}
    return Server("ceiling", [*gunicorn_args(port, workers), "--pythonpath", str(CEILING), "app:create_app()"],
                  env, port, workdir / "ceiling.log")


# --- the URL set -----------------------------------------------------------------------------


def typo(word: str, rng: random.Random) -> str:
    """One edit a hurried buyer makes: a letter dropped, doubled or two swapped."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


def search_terms(db_path: Path, count: int, rng: random.Random) -> list[str]:
    """``count`` distinct searches made of the demo catalog's words: the first one to three
    words of product names (what a product is), place names, categories; a third folded
    (no diacritics), one in ten with a typo in one word."""
    from marketplace.text import fold

    con = sqlite3.connect(db_path)
    names = [r[0] for r in con.execute("SELECT name FROM products WHERE status = 'published' ORDER BY id")]
    categories = [r[0] for r in con.execute("SELECT name FROM categories ORDER BY id")]
    places = [r[0].split(" ", 1)[-1] for r in con.execute("SELECT name FROM areas WHERE kind != 'province' ORDER BY id")]
    con.close()
    words_of = [[w for w in name.split() if not any(c.isdigit() for c in w) and w not in ("×",)] for name in names]
    terms: list[str] = []
    seen: set[str] = set()
    while len(terms) < count:
        roll = rng.random()
        if roll < 0.6:
            words = rng.choice(words_of)
            size = min(len(words), rng.choice((1, 2, 2, 3, 3)))
            term = " ".join(words[:size])
        elif roll < 0.75:
            words = rng.choice(words_of)
            term = " ".join(words[:2]) + " " + rng.choice(places)
        elif roll < 0.9:
            term = rng.choice(categories).split(",")[0].split("(")[0].strip()
        else:
            term = rng.choice(places)
        term = term.lower()
        style = rng.random()
        if style < 0.33:
            term = fold(term)
        if style > 0.9:
            words = term.split()
            k = rng.randrange(len(words))
            words[k] = typo(words[k], rng)
            term = " ".join(words)
        if term and term not in seen:
            seen.add(term)
            terms.append(term)
    return terms


def listing_urls(db_path: Path) -> list[str]:
    """22 listing variants besides /san-pham: pages, sorts, filters and their pages."""
    con = sqlite3.connect(db_path)
    categories = [r[0] for r in con.execute("SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 3")]
    areas = [r[0] for r in con.execute(
        "SELECT a.slug FROM areas a JOIN products p ON p.area_id = a.id GROUP BY a.slug "
        "ORDER BY count(*) DESC LIMIT 2")]
    con.close()
    urls = [f"/san-pham?page={p}" for p in (2, 3, 4, 5)]
    urls += [f"/san-pham?sort={s}" for s in ("price_asc", "price_desc", "popular")]
    urls += ["/san-pham?sort=price_asc&page=2", "/san-pham?sort=popular&page=2"]
    urls += [f"/san-pham?stars={s}" for s in ("3", "4", "5")]
    urls += ["/san-pham?stars=4&stars=5", "/san-pham?stars=5&sort=price_desc", "/san-pham?stars=4&page=2"]
    urls += ["/san-pham?rural=1", "/san-pham?price=under-100k", "/san-pham?price=100k-300k&sort=price_asc"]
    urls += [f"/san-pham?category={c}" for c in categories[:2]]
    urls += [f"/san-pham?area={a}" for a in areas[:2]]
    urls += [f"/san-pham?category={categories[2]}&stars=4"] if len(categories) > 2 else []
    return urls


def buyer_urls(server: Server, db_path: Path, rng: random.Random) -> dict[str, list[str]]:
    """Every buyer URL by kind: the sitemap's, collections, listing variants, searches."""
    site = None
    kinds: dict[str, list[str]] = {k: [] for k in ("home", "listing", "category", "area", "seller", "product",
                                                     "collection", "search")}
    for loc in re.findall(rb"<loc>([^<]+)</loc>", server.get("/sitemap.xml")):
        parts = urlsplit(loc.decode())
        site = site or f"{parts.scheme}://{parts.netloc}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        kind = {"": "home", "san-pham": "listing" if path == "/san-pham" else "product", "danh-muc": "category",
                "khu-vuc": "area", "co-so": "seller"}.get(path.split("/")[1], "other")
        kinds.setdefault(kind, []).append(path)
    con = sqlite3.connect(db_path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    collections = [r[0] for r in con.execute("SELECT slug FROM collections ORDER BY id")] if "collections" in tables else []
    con.close()
    for slug in collections:
        try:
            server.get(f"/bo-suu-tap/{slug}")
        except OSError:  # not active (404)
            continue
        kinds["collection"].append(f"/bo-suu-tap/{slug}")
    kinds["listing"] += listing_urls(db_path)
    kinds["search"] = ["/san-pham?q=" + quote(term) for term in search_terms(db_path, SEARCHES, rng)]
    return kinds


def ports(port: int | None, spec: str | None) -> tuple[int, int]:
    """The app's and the ceiling's ports: ``port`` and the next; else two free ports of the
    range ``spec`` ("5500-5549"); else two the kernel hands out (its ephemeral range, never
    a range reserved for some checkout's test servers)."""
    if port:
        return port, port + 1
    if spec:
        os.environ["LIVE_SERVER_PORTS"] = spec
        from tests.live_server import free_port

        return free_port(), free_port()
    import socket

    found = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            found.append(sock.getsockname()[1])
    return found[0], found[1]


def zipf_sequence(urls: list[str], draws: int, rng: random.Random) -> list[str]:
    """``draws`` URLs drawn with weight 1/rank over a shuffled order of ``urls``."""
    order = urls[:]
    rng.shuffle(order)
    weights = [1 / rank for rank in range(1, len(order) + 1)]
    return rng.choices(order, weights=weights, k=draws)


# --- load ---------------------------------------------------------------------------------


def wrk(server: Server, paths_file: Path, seconds: float, connections: int, threads: int) -> dict:
    """One wrk run on ``server``; its figures, and the workers' CPU time per request."""
    port = server.port
    cpu_before = server.cpu_seconds()
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
         "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(paths_file), USER_AGENT],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next((l for l in out.splitlines() if l.startswith("MIXED ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    result = json.loads(line[len("MIXED "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu_ms_per_request"] = 1000 * (server.cpu_seconds() - cpu_before) / max(1, result["requests"])
    return result


def writer(env: dict, every: float, stop: threading.Event, count: list[int], rng: random.Random) -> None:
    """Every ``every`` seconds, a random public product's price changed and committed
    through the catalog services (what a seller's save on the dashboard does)."""
    code = (
        "import os, random, sys, time\n"
        "import sqlalchemy as sa\n"
        "from marketplace import create_app\n"
        "from marketplace.catalog import services\n"
        "from marketplace.catalog.models import Product\n"
        "from marketplace.extensions import db\n"
        "app = create_app()\n"
        "rng = random.Random(int(sys.argv[1]))\n"
        "with app.app_context():\n"
        "    ids = list(db.session.scalars(sa.select(Product.id).where(Product.status == 'published')))\n"
        "for line in sys.stdin:\n"
        "    with app.test_request_context():\n"
        "        product = db.session.get(Product, rng.choice(ids))\n"
        "        services.update_product(product, {'price_vnd': product.price_vnd + rng.choice((-1, 1)) * 1000},\n"
        "                                review=False)\n"
        "        slug = product.slug\n"
        "        db.session.commit()\n"
        "    print(slug, flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(rng.randrange(1 << 30))], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        while not stop.wait(every):
            proc.stdin.write("write\n")
            proc.stdin.flush()
            if proc.stdout.readline():
                count[0] += 1
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def run_mode(mode: str, args, seed: Path, workdir: Path, port: int, paths_file: Path, rng: random.Random) -> dict:
    env = mode_instance(seed, workdir / mode)
    server = start_app(env, port, args.workers, workdir / f"{mode}.log", page_cache=mode != "off")
    stop = threading.Event()
    writes = [0]
    thread = None
    try:
        if mode == "writes":
            thread = threading.Thread(target=writer, args=(env, args.write_every, stop, writes, rng), daemon=True)
            thread.start()
        load_before = os.getloadavg()[0]
        wrk(server, paths_file, args.warmup, args.connections, args.threads)
        writes_before = writes[0]
        result = wrk(server, paths_file, args.measure, args.connections, args.threads)
        result["writes"] = writes[0] - writes_before
        rss = server.worker_rss()
        result["worker_rss_mib"] = [round(r / 2**20) for r in rss]
        result["load"] = (load_before, os.getloadavg()[0])
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=60)
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", help="folder of the seeded demo instance (seeded there if not yet; "
                                           "default: a new temporary folder)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY") or 2))
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=15, help="seconds of the mix before each measure")
    parser.add_argument("--measure", type=float, default=20, help="seconds measured per mode")
    parser.add_argument("--ceiling-measure", type=float, default=10,
                        help="seconds the ceiling is measured, before and after the modes")
    parser.add_argument("--write-every", type=float, default=10, help="seconds between catalog writes (writes mode)")
    parser.add_argument("--sequence", type=int, default=200_000, help="Zipf draws replayed by every mode")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--port", type=int, help="the app's port (the ceiling's: the next one)")
    parser.add_argument("--ports", default=os.environ.get("LIVE_SERVER_PORTS"),
                        help="loopback port range, e.g. 5700-5749 (default: $LIVE_SERVER_PORTS, else two "
                             "ports from the kernel's ephemeral range)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (servers' logs, mode databases)")
    args = parser.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := [m for m in modes if m not in MODES]:
        parser.error(f"unknown modes {unknown}; choose from {', '.join(MODES)}")
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk)")
    sys.path.insert(0, str(ROOT))

    workdir = Path(tempfile.mkdtemp(prefix="mixed-bench-"))
    seed = seeded_instance(Path(args.instance) if args.instance else workdir / "seed")
    app_port, ceiling_port = ports(args.port, args.ports)
    rng = random.Random(args.seed)
    started = datetime.now(timezone.utc)
    load_start = os.getloadavg()

    # The URL set, from a server on a copy of the instance (the sitemap is the app's own list).
    env = mode_instance(seed, workdir / "urls")
    server = start_app(env, app_port, 1, workdir / "urls.log", page_cache=False)
    try:
        kinds = buyer_urls(server, seed / "marketplace.sqlite", rng)
    finally:
        server.stop()
    urls = [u for kind in kinds.values() for u in kind]
    paths_file = workdir / "paths.txt"
    paths_file.write_text("\n".join(zipf_sequence(urls, args.sequence, rng)) + "\n")
    print(f"{len(urls)} buyer URLs: " + ", ".join(f"{len(v)} {k}" for k, v in kinds.items() if v), flush=True)

    ceiling = start_ceiling(workdir, ceiling_port, args.workers)
    ceiling_file = workdir / "ceiling-paths.txt"
    ceiling_file.write_text("\n".join(f"/?page={rng.randint(1, 112)}" for _ in range(20_000)) + "\n")
    results: dict[str, dict] = {}
    ceilings = []
    try:
        wrk(ceiling, ceiling_file, 3, args.connections, args.threads)
        ceilings.append(wrk(ceiling, ceiling_file, args.ceiling_measure, args.connections, args.threads))
        print(f"ceiling: {ceilings[-1]['rps']:.0f} req/s (load {os.getloadavg()[0]:.2f})", flush=True)
        for mode in modes:
            results[mode] = run_mode(mode, args, seed, workdir, app_port, paths_file, rng)
            print(f"{mode}: {results[mode]['rps']:.0f} req/s (load {os.getloadavg()[0]:.2f})", flush=True)
        ceilings.append(wrk(ceiling, ceiling_file, args.ceiling_measure, args.connections, args.threads))
        print(f"ceiling: {ceilings[-1]['rps']:.0f} req/s (load {os.getloadavg()[0]:.2f})", flush=True)
    finally:
        ceiling.stop()
    ceiling_rps = sum(c["rps"] for c in ceilings) / len(ceilings)

    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"\nmachine: {platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; started {started:%Y-%m-%d %H:%M} UTC")
    print(f"load average at start {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}; at end: {uptime}")
    print(f"gunicorn {args.workers} sync workers (gunicorn.conf.py); wrk -t{args.threads} -c{args.connections}; "
          f"{args.warmup:g} s warm-up + {args.measure:g} s per mode; {len(urls)} URLs, Zipf s=1; "
          f"ceiling " + " / ".join(f"{c['rps']:.0f}" for c in ceilings) + " req/s (before / after)")
    ceiling_cpu = sum(c["cpu_ms_per_request"] for c in ceilings) / len(ceilings)
    header = (f"{'mode':<22} {'req/s':>7} {'ratio':>6} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'non-2xx':>8}"
              f" {'5xx':>5} {'hits':>6} {'writes':>6} {'CPU ms':>7} {'CPU ratio':>9} {'RSS MiB':>10} {'load':>10}")
    print(header)
    print("-" * len(header))
    first = ceilings[0]
    print(f"{'ceiling (bare Flask)':<22} {ceiling_rps:>7.0f} {1:>6.2f} {first['p50_us'] / 1000:>7.1f} "
          f"{first['p90_us'] / 1000:>7.1f} {max(c['p99_us'] for c in ceilings) / 1000:>7.1f} "
          f"{sum(c['requests'] - c['ok'] for c in ceilings):>8} {sum(c['server_errors'] for c in ceilings):>5} "
          f"{'':>6} {'':>6} {ceiling_cpu:>7.2f} {1:>9.2f}")
    labels = {"warm": "cache on, warm", "writes": "cache on, writes", "off": "cache off"}
    for mode, r in results.items():
        answered = r["ok"] + r["redirects"] + r["client_errors"] + r["server_errors"]
        hits = f"{100 * r['hits'] / answered:.0f} %" if answered else "—"
        rss = "+".join(str(x) for x in r["worker_rss_mib"])
        r["ratio"] = r["rps"] / ceiling_rps
        r["cpu_ratio"] = ceiling_cpu / r["cpu_ms_per_request"] if r["cpu_ms_per_request"] else 0
        r["non_2xx"] = answered - r["ok"] + r["socket_errors"]
        print(f"{labels[mode]:<22} {r['rps']:>7.0f} {r['ratio']:>6.2f} {r['p50_us'] / 1000:>7.1f} "
              f"{r['p90_us'] / 1000:>7.1f} {r['p99_us'] / 1000:>7.1f} {r['non_2xx']:>8} {r['server_errors']:>5} "
              f"{hits:>6} {r['writes']:>6} {r['cpu_ms_per_request']:>7.2f} {r['cpu_ratio']:>9.2f} {rss:>10} "
              f"{r['load'][0]:>4.2f}-{r['load'][1]:.2f}")
    print("ratio: req/s ÷ the ceiling's (mean of before and after); hits: answers served from the page cache; "
          "CPU ms: the workers' CPU time per request (user + system), CPU ratio: the ceiling's ÷ the mode's "
          "(less sensitive to other load on the machine); RSS: each worker at the end of the measure; "
          "load: the 1-minute load average before and after the mode")
    if args.json:
        print(json.dumps({"started_utc": started.isoformat(timespec="seconds"), "machine": platform.node(),
                          "cores": os.cpu_count(), "uptime": uptime, "workers": args.workers,
                          "connections": args.connections, "urls": {k: len(v) for k, v in kinds.items()},
                          "ceiling": ceilings, "ceiling_rps": ceiling_rps, "modes": results}))
    if args.keep:
        print(f"servers' logs (one JSON line per request, with its duration in the app) kept in {workdir}")
        return
    shutil.rmtree(workdir, ignore_errors=True)  # the seeded instance too, unless --instance named it


if __name__ == "__main__":
    main()
