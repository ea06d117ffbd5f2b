"""The one real-server harness: the app served exactly as ``make run`` serves it, for the
``load``, fault and browser (``e2e``) tests.

``make run`` starts ``gunicorn --bind HOST:PORT 'marketplace:create_app()'`` in the
project folder: gunicorn reads ``gunicorn.conf.py`` (sync workers, timeouts, recycling),
the app is configured by environment variables only, and the page cache runs with its
defaults — memory level on, shared file level (``PAGE_CACHE_DIR``) on. A ``Site`` is one
such deployment: a database, its folders, a loopback port and the environment; it starts
and stops gunicorn any number of times on the same database and ``PAGE_CACHE_DIR``::

    site = Site(tmp_path)                  # SQLite in tmp_path, or TEST_DATABASE_URL
    data = site.build(make_rows)           # fresh schema + rows, before any server runs
    with site.serving() as server:         # gunicorn, 3 workers, gunicorn.conf.py
        server.get("/")
        server = site.restart()            # same database, same PAGE_CACHE_DIR, same port

* **The environment** is this process's, without any setting the app or gunicorn reads
  (a developer's shell cannot change a test), plus ``DATABASE_URL`` (``TEST_DATABASE_URL``
  when set, so the PostgreSQL run serves PostgreSQL), ``SECRET_KEY``, ``UPLOAD_FOLDER``,
  ``MAIL_FOLDER``, ``DEMO_ACCOUNTS_FILE``, ``PAGE_CACHE_DIR``, ``SITE_URL`` (this server)
  and ``WEB_CONCURRENCY`` (workers, at least 3: the page cache's shared level is only
  exercised when one worker serves what another rendered). ``env=`` adds settings as an
  operator would (``TRUSTED_PROXIES``, ``SEARCH_BACKEND``, ...); nothing else differs
  from production defaults (CSRF on, rate limits on, no ``TESTING``).
* **The rows** are written before gunicorn starts: ``build(fn)`` creates a fresh schema
  and runs ``fn()`` in an app of this process on the same database and folders
  (``app_config()``), commits and closes its connections. ``app_config()`` also serves to
  read the database afterwards.
* **The server**: output to a log file, never a pipe (the per-request log lines would
  fill a pipe's buffer and block every worker until someone read it); ready once
  ``/healthz`` answers; stopped with SIGTERM (SIGKILL after a grace period).
  ``LiveServer.worker_pids()`` lets a test ``kill -9`` workers; ``threads`` > 0 runs
  gthread workers (a burst of one client's requests in one process).
* **Which process rendered a page**: with ``PAGE_CACHE_PROCESS_HEADERS=1`` (set by
  ``process_headers=True``) a page-cache response names the worker that rendered it
  (``X-Page-Rendered-By``) and the one serving it (``X-Served-By``); ``cross_served()``
  tells when they differ — what the journeys must see happen.

Ports come from ``LIVE_SERVER_PORTS`` (default 5450-5499), or the range named by
``free_port(variable)``.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from marketplace import config as app_settings

ROOT = Path(__file__).resolve().parents[1]
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
WORKERS = 3
SECRET_KEY = "live-server-secret"
# A desktop Chrome: counted as a visitor by analytics (Playwright's "HeadlessChrome" and
# Python's own User-Agents are bots there).
BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
# A page-cache slot marker left unfilled (``_pc<nonce>_<kind>…_``, web/pagecache.py).
PLACEHOLDER = re.compile(r"_pc[0-9a-f]{6,}_[a-z]*(?:-[A-Za-z0-9]+)*_?")

# Settings read from the environment by the app or by gunicorn: they come from the test,
# never from the shell that runs it.
_APP_SETTINGS = {*app_settings._ENV_STRINGS, *app_settings._ENV_BOOLS, *app_settings._ENV_INTS,
                 *app_settings._ENV_FLOATS}
_NOT_INHERITED = {*_APP_SETTINGS, "DATABASE_URL", "TEST_DATABASE_URL", "WEB_CONCURRENCY", "BIND",
                  "GUNICORN_CMD_ARGS", "FLASK_APP", "PAGE_CACHE_PROCESS_HEADERS"}

_handed_out: set[int] = set()


def free_port(variable: str = "LIVE_SERVER_PORTS") -> int:
    """A loopback port in the range ``$variable`` ("5450-5499"; LIVE_SERVER_PORTS's when
    that variable is unset) that nothing listens on and this process has not yet handed
    out (a test may reserve one for a server it starts later)."""
    spec = os.environ.get(variable) or os.environ.get("LIVE_SERVER_PORTS") or "5450-5499"
    low, _, high = spec.partition("-")
    low, high = int(low), int(high or low)
    for _attempt in range(2):
        for port in range(low, high + 1):
            if port in _handed_out:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                _handed_out.add(port)
                return port
        _handed_out.clear()  # a long run: the servers of earlier tests are gone
    raise RuntimeError(f"no free port in {low}-{high}")


def cross_served(headers: Mapping[str, str]) -> bool:
    """True when a page-cache response was rendered by another process than the one that
    served it (``X-Page-Rendered-By`` ≠ ``X-Served-By``; header names in lower case)."""
    rendered, served = headers.get("x-page-rendered-by"), headers.get("x-served-by")
    return bool(rendered and served and rendered != served)


def placeholders(body: str) -> list[str]:
    """The distinct unfilled slot markers of a page body (none on a whole page)."""
    return sorted({m.group(0) for m in PLACEHOLDER.finditer(body)})


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class LiveServer:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None,
                timeout: float = 60) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            body = urlencode(data, doseq=True) if data is not None else None
            hdrs = dict(headers or {})
            if body is not None:
                hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, **kw) -> Response:
        return self.request("POST", path, data=data, **kw)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def log_tail(self, chars: int = 2000) -> str:
        return self.log.read_bytes().decode("utf-8", "replace")[-chars:]


class Site:
    """One deployment served by gunicorn as ``make run`` does (see the module)."""

    def __init__(self, folder: Path, *, database_url: str | None = None, env: Mapping[str, str] | None = None,
                 workers: int = WORKERS, threads: int = 0, timeout: int | None = None,
                 extra_args: tuple[str, ...] = (), port: int | None = None, process_headers: bool = False,
                 start_seconds: float = 60) -> None:
        if workers < WORKERS:
            raise ValueError(f"at least {WORKERS} workers, as make run on a 2-core machine")
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.database_url = database_url or TEST_DATABASE_URL or f"sqlite:///{self.folder / 'site.sqlite'}"
        self.port = port or free_port()
        self.workers, self.threads, self.timeout = workers, threads, timeout
        self.extra_args, self.start_seconds = tuple(extra_args), start_seconds
        self.log = self.folder / f"gunicorn-{self.port}.log"
        self.server: LiveServer | None = None
        self.env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        self.env.update({
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": SECRET_KEY,
            "UPLOAD_FOLDER": str(self.folder / "uploads"),
            "MAIL_FOLDER": str(self.folder / "mail"),
            "DEMO_ACCOUNTS_FILE": str(self.folder / "demo-accounts.txt"),
            "PAGE_CACHE_DIR": str(self.folder / "pagecache"),
            "SITE_URL": self.url,
            "WEB_CONCURRENCY": str(workers),
        })
        if process_headers:
            self.env["PAGE_CACHE_PROCESS_HEADERS"] = "1"
        self.env.update(env or {})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --------------------------------------------------------------- the database

    def app_config(self, **overrides: Any) -> dict:
        """A configuration for ``create_app`` in this process on the same database and
        folders (to write rows before the server starts, or read them afterwards)."""
        from tests.conftest import make_test_config

        env = self.env
        config = make_test_config(
            self.folder, SQLALCHEMY_DATABASE_URI=self.database_url, SECRET_KEY=env["SECRET_KEY"],
            UPLOAD_FOLDER=env["UPLOAD_FOLDER"], MAIL_FOLDER=env["MAIL_FOLDER"],
            DEMO_ACCOUNTS_FILE=env["DEMO_ACCOUNTS_FILE"], PAGE_CACHE_DIR=env["PAGE_CACHE_DIR"],
            SITE_URL=env["SITE_URL"],
        )
        for key in ("SEARCH_BACKEND", "MEILI_URL", "MEILI_API_KEY", "MEILI_INDEX"):
            if env.get(key):
                config[key] = env[key]
        config.update(overrides)
        return config

    def build(self, fill: Callable[[], Any] | None = None) -> Any:
        """A fresh schema, then ``fill()`` in an app context of this process, committed;
        its result. Connections are closed before the server starts."""
        if self.server is not None:
            raise RuntimeError("build the database before the server starts")
        from marketplace.extensions import db
        from tests.conftest import built_app

        with built_app(self.app_config()) as app, app.app_context():
            result = fill() if fill is not None else None
            db.session.commit()
            return result

    @contextmanager
    def app(self) -> Iterator[Any]:
        """An app context of this process on the same database (no schema reset)."""
        from marketplace import create_app
        from marketplace.extensions import db

        app = create_app(self.app_config())
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()

    # ----------------------------------------------------------------- the server

    def start(self) -> LiveServer:
        """Start gunicorn; returns once ``/healthz`` answers (200, or 503 when a
        dependency is down)."""
        if self.server is not None:
            raise RuntimeError("already serving")
        args = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}"]
        if self.timeout:
            args += ["--timeout", str(self.timeout)]
        if self.threads:
            args += ["--worker-class", "gthread", "--threads", str(self.threads)]
        with self.log.open("ab") as log_file:
            process = subprocess.Popen([*args, *self.extra_args, "marketplace:create_app()"], cwd=ROOT,
                                       env=self.env, stdout=log_file, stderr=subprocess.STDOUT)
        server = self.server = LiveServer(self.port, process, self.log)
        deadline = time.monotonic() + self.start_seconds
        try:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited: {server.log_tail()}")
                try:
                    if server.get("/healthz", timeout=5).status in (200, 503):
                        return server
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not answer: {server.log_tail()}")
                time.sleep(0.2)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM (gunicorn lets workers finish their request), SIGKILL after 30 s."""
        server, self.server = self.server, None
        if server is None or server.process.poll() is not None:
            return
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()

    def restart(self) -> LiveServer:
        """Stop and start again: same database, same PAGE_CACHE_DIR, same port."""
        self.stop()
        return self.start()

    @contextmanager
    def serving(self) -> Iterator[LiveServer]:
        """The running server for the block (started unless it runs); stopped afterwards."""
        server = self.server or self.start()
        try:
            yield server
        finally:
            self.stop()
