"""A real gunicorn server for the ``load`` tests: the test configuration, sync workers,
a loopback port from ``LIVE_SERVER_PORTS`` (default 5450-5499), stopped afterwards."""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]


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


@contextmanager
def gunicorn(config: dict, tmp_path: Path, *, workers: int = 2, timeout: int = 60):
    """Serve ``create_app(config)`` with gunicorn; yields a LiveServer once it answers."""
    port = free_port()
    log = tmp_path / f"gunicorn-{port}.log"
    env = {**os.environ, "LIVE_APP_CONFIG": json.dumps(config)}
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
             "--timeout", str(timeout), "--graceful-timeout", "5", "tests.live_app:build()"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )
    server = LiveServer(port, process, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
            try:
                if server.get("/healthz", timeout=5).status in (200, 503):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
