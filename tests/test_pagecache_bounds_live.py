"""The page cache stays within its bounds on the real topology (issue 15 item 4, marker
``load``): gunicorn as ``make run`` starts it, 50,000 distinct random URLs — unknown
parameters on every page kind, random search words, 2,000-character URLs, text that looks
like a slot marker — then the workers' memory and the shared folder are within the
configured bounds and not one answer was a 5xx. Small bounds here, so eviction runs."""
from __future__ import annotations

import http.client
import os
import re
import random
import string
import threading
from pathlib import Path

import pytest

from tests.live_server import BROWSER_UA, Site, placeholders
from tests.shop_catalog import build_catalog

pytestmark = pytest.mark.load

URLS = int(os.environ.get("PAGECACHE_BOUNDS_URLS") or 50_000)  # fewer for a quick look by hand
CLIENTS = 8
DIR_BYTES = 8 * 1024 * 1024
MEMORY_BYTES = 4 * 1024 * 1024


PLANTED = "_pcfeedfacefeedface_"  # marker-shaped text typed into the search box: shown as typed
_PLANTED = re.compile(re.escape(PLANTED) + r"[\w-]*_?")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))


def _random_url(rng: random.Random, catalog: dict) -> str:
    word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9)))
    roll = rng.random()
    if roll < 0.3:
        return f"/san-pham/{rng.choice(catalog['products'])}?utm_source={word}&fbclid={rng.getrandbits(64)}"
    if roll < 0.6:
        return f"/san-pham?q={word}+{rng.randint(0, 10**9)}&sort={rng.choice(['', 'newest', 'price_asc', 'bogus'])}"
    if roll < 0.7:
        return f"/?x{rng.getrandbits(40)}={word}"
    if roll < 0.8:
        return f"/co-so/{catalog['seller']}?page={rng.randint(-5, 10**6)}&area={word}&area={word}"
    if roll < 0.9:
        return f"/san-pham?q={PLANTED}views-a-{'9' * rng.randint(1, 30)}_&n={word}"
    return f"/san-pham?q={word * (2000 // len(word))}"  # ~2,000 characters: rendered, never stored


def test_fifty_thousand_random_urls_stay_within_the_bounds_without_a_5xx(tmp_path):
    site = Site(tmp_path, env={"PAGE_CACHE_DIR_MAX_BYTES": str(DIR_BYTES),
                               "PAGE_CACHE_MAX_BYTES": str(MEMORY_BYTES)})
    catalog = site.build(build_catalog)
    folder = Path(site.env["PAGE_CACHE_DIR"])
    statuses: dict[int, int] = {}
    marked: list[str] = []
    lock = threading.Lock()
    with site.serving() as server:
        pids = server.worker_pids()
        baseline = {pid: _rss_kib(pid) for pid in pids}

        def client(n: int) -> None:
            rng = random.Random(n)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            seen: dict[int, int] = {}
            for _ in range(URLS // CLIENTS):
                conn.request("GET", _random_url(rng, catalog), headers={"User-Agent": BROWSER_UA})
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
                seen[response.status] = seen.get(response.status, 0) + 1
                if placeholders(_PLANTED.sub("", body)):
                    with lock:
                        marked.append(body[:200])
            conn.close()
            with lock:
                for status, count in seen.items():
                    statuses[status] = statuses.get(status, 0) + count

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=1500)
        grown = {pid: _rss_kib(pid) - baseline[pid] for pid in pids if Path(f"/proc/{pid}").exists()}
        on_disk = _folder_bytes(folder)
    assert sum(statuses.values()) == URLS, statuses
    assert not [s for s in statuses if s >= 500], statuses
    assert not marked, marked[:3]
    # Between two sweeps each worker may add an eighth of the bound.
    assert on_disk <= DIR_BYTES + len(pids) * DIR_BYTES // 8, on_disk
    # The memory level holds at most MEMORY_BYTES per worker; the rest of the growth is
    # the interpreter's own (caches of statements, cards, allocator slack): bounded too.
    assert all(kib * 1024 < MEMORY_BYTES + 48 * 1024 * 1024 for kib in grown.values()), grown
