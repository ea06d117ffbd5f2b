"""A real gunicorn server on a loopback port of the suite's range, serving the app with
the configuration given as environment variables (the production path: no test config)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(5350, 5400)  # the loopback ports this suite may use


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, threads: int = 25, log_path: Path):
    """Yield the base URL of ``marketplace:create_app()`` served by gunicorn (gthread
    workers, so one process serves many requests at once, as behind a busy proxy)."""
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}
    full_env.update(env)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread", "--threads", str(threads),
             "-b", f"127.0.0.1:{port}", "--backlog", "256", "--timeout", "120", "--log-level", "warning",
             "marketplace:create_app()"],
            cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(url + "/", timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
