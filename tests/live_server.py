"""Real gunicorn servers for the ``load`` and fault tests, on a loopback port from
``LIVE_SERVER_PORTS`` (default 5450-5499), the one launcher every such test uses.

* ``gunicorn(config, tmp_path)`` serves the app built from a test configuration dict
  (``tests.live_app``), sync workers;
* ``gunicorn_from_env(env, log)`` serves ``marketplace:create_app()`` configured by
  environment variables only (the production path), optionally with threaded workers.

Both start ``run_gunicorn``: the server's stdout and stderr go to a log file, never a
pipe (the per-request log lines would fill a pipe's buffer and block every worker until
someone read it); it yields once ``/healthz`` answers, and stops with SIGTERM (SIGKILL
after a grace period). ``LiveServer.worker_pids()`` lets a test ``kill -9`` workers.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
# Settings the app reads from the environment that must come from the test, not from the
# shell that runs it.
_NOT_INHERITED = ("DATABASE_URL", "TEST_DATABASE_URL", "SEARCH_BACKEND", "LIVE_APP_CONFIG")

_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on and not yet handed out by this process (a test
    may reserve one for a server it starts later)."""
    low, high = (int(x) for x in os.environ.get("LIVE_SERVER_PORTS", "5450-5499").split("-"))
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


@contextmanager
def run_gunicorn(app: str, env: dict[str, str], log: Path, *, port: int | None = None, workers: int = 2,
                 threads: int = 0, timeout: int = 60, extra_args: tuple[str, ...] = (),
                 start_seconds: float = 60) -> Iterator[LiveServer]:
    """Serve the WSGI ``app`` ("module:callable") with gunicorn and exactly ``env`` as its
    environment; ``threads`` > 0 uses gthread workers. Yields a LiveServer once
    ``/healthz`` answers (200, or 503 when a dependency is down)."""
    port = port or free_port()
    args = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
            "--timeout", str(timeout), "--graceful-timeout", "5"]
    if threads:
        args += ["--worker-class", "gthread", "--threads", str(threads)]
    with log.open("ab") as log_file:
        process = subprocess.Popen([*args, *extra_args, app], cwd=ROOT, env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    server = LiveServer(port, process, log)
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {server.log_tail()}")
            try:
                if server.get("/healthz", timeout=5).status in (200, 503):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer: {server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _inherited_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}


@contextmanager
def gunicorn(config: dict, tmp_path: Path, *, workers: int = 2, timeout: int = 60) -> Iterator[LiveServer]:
    """Serve ``create_app(config)`` (a test configuration) with sync workers; the log is
    ``tmp_path/gunicorn-PORT.log``."""
    port = free_port()
    env = {**_inherited_env(), "LIVE_APP_CONFIG": json.dumps(config)}
    with run_gunicorn("tests.live_app:build()", env, tmp_path / f"gunicorn-{port}.log", port=port,
                      workers=workers, timeout=timeout, start_seconds=30) as server:
        yield server


@contextmanager
def gunicorn_from_env(env: dict[str, str], log: Path, *, workers: int = 2, threads: int = 0,
                      timeout: int = 120, extra_args: tuple[str, ...] = ()) -> Iterator[LiveServer]:
    """Serve ``marketplace:create_app()`` configured by ``env`` (added to this process's
    environment, without its database and search settings), as in production."""
    with run_gunicorn("marketplace:create_app()", {**_inherited_env(), **env}, log, workers=workers,
                      threads=threads, timeout=timeout, extra_args=extra_args) as server:
        yield server
