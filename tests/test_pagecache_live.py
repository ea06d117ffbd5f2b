"""The page cache on the real topology (issue 15, marker ``load``): gunicorn as ``make run``
starts it — 3 workers, one shared ``PAGE_CACHE_DIR`` — answers many plain GETs of the
home page, listings, searches, product, seller and category pages from concurrent
clients, then again after a restart on the same database and folder. Not one body may
carry an unfilled slot marker, and the run must have shown what it is about: pages
rendered by one worker served by another (``X-Page-Rendered-By`` ≠ ``X-Served-By``),
and after the restart pages rendered by the stopped server's workers."""
from __future__ import annotations

import random
import re
import threading

import pytest

from tests.live_server import BROWSER_UA, Site, cross_served, placeholders
from tests.shop_catalog import build_catalog

pytestmark = pytest.mark.load

CLIENTS = 6
GETS = 40  # per client and phase
FIGURE = re.compile(r"Lượt truy cập: ([^<]*)</p>")


def burst(server, paths: list[str], seed: int) -> list[tuple[str, int, dict, str]]:
    """CLIENTS concurrent clients, GETS random pages each: (path, status, headers, body)."""
    results: list[tuple[str, int, dict, str]] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        mine = []
        for _ in range(GETS):
            path = rng.choice(paths)
            response = server.get(path, headers={"User-Agent": BROWSER_UA})
            mine.append((path, response.status, response.headers, response.text))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert len(results) == CLIENTS * GETS
    return results


def broken(phase: str, results: list[tuple[str, int, dict, str]]) -> list[str]:
    """What is wrong with the pages of one phase: placeholders, other statuses, counters."""
    faults = []
    marked = [(path, headers.get("x-page-rendered-by"), headers.get("x-served-by"), placeholders(body))
              for path, _status, headers, body in results if placeholders(body)]
    if marked:
        faults.append(f"{phase}: {len(marked)} of {len(results)} pages carried placeholders, "
                      f"e.g. (path, rendered by, served by, markers) {marked[:3]}")
    statuses = sorted({status for _path, status, _headers, _body in results})
    if statuses != [200]:
        faults.append(f"{phase}: statuses {statuses}")
    figures = {(FIGURE.search(body) or FIGURE.search("Lượt truy cập: -</p>")).group(1)
               for _path, _status, _headers, body in results}
    odd = sorted(f for f in figures if not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})*", f))
    if odd:
        faults.append(f"{phase}: visit counters {odd}")
    return faults


def test_pages_across_workers_and_a_restart_never_carry_placeholders(tmp_path):
    site = Site(tmp_path, process_headers=True)
    data = site.build(build_catalog)
    paths = ["/", "/san-pham", "/san-pham?sort=price_asc", "/san-pham?q=ch%C3%A8", "/san-pham?q=m%E1%BA%ADt+ong",
             *(f"/san-pham/{slug}" for slug in data["products"][:4]), f"/co-so/{data['seller']}",
             "/danh-muc/thuc-pham"]
    with site.serving() as server:
        first_pids = set(server.worker_pids())
        first = burst(server, paths, seed=1)
        server = site.restart()
        second_pids = set(server.worker_pids())
        second = burst(server, paths, seed=2)

    assert len(first_pids) == len(second_pids) == 3 and not first_pids & second_pids
    faults = broken("first server", first) + broken("after the restart", second)
    assert not faults, "\n".join(faults)
    for phase, results, pids in (("first server", first, first_pids), ("after the restart", second, second_pids)):
        served = {int(headers["x-served-by"]) for _p, _s, headers, _b in results}
        assert served == pids, f"{phase}: pages served by {served}, workers {pids}"
        crossed = [path for path, _s, headers, _b in results if cross_served(headers)]
        assert crossed, f"{phase}: no page rendered by one worker was served by another"
    from_before = [path for path, _s, headers, _b in second if int(headers["x-page-rendered-by"]) in first_pids]
    assert from_before, "after the restart no page stored by the stopped server was served"
