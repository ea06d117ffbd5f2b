"""Log-in throttling per (client, account) with growing delays — never a lock-out.

The first ``FREE_FAILURES`` wrong passwords from one client for one account cost
nothing; each further one doubles the wait before that client may try that account
again (1 s, 2 s, 4 s … up to ``MAX_DELAY``). Another client — the owner at home — is not
affected, so an attacker cannot lock anyone out. A success forgets the failures.
Separately, one client may try at most ``CLIENT_LIMIT`` log-ins per ``CLIENT_WINDOW``
across all accounts (credential stuffing from one address).
"""
from __future__ import annotations

import math

from ..text import utcnow
from ..web.ratelimit import clear, client_fingerprint, failures, hit, record_failure
from .services import email_key

FREE_FAILURES = 5
MAX_DELAY = 15 * 60  # seconds
FAILURE_WINDOW = 3600  # failures are counted per hour
CLIENT_LIMIT, CLIENT_WINDOW = 60, 300


def _key(email: str) -> str:
    return f"login-fail:{client_fingerprint()}:{email_key(email)}"


def delay_after(count: int) -> int:
    """Seconds to wait after ``count`` failures: 0 up to FREE_FAILURES, then 1, 2, 4 …"""
    if count <= FREE_FAILURES:
        return 0
    return min(2 ** (count - FREE_FAILURES - 1), MAX_DELAY)


def client_allowed() -> bool:
    """Count one log-in attempt of this client (any account)."""
    return hit(f"login:{client_fingerprint()}", CLIENT_LIMIT, CLIENT_WINDOW)


def wait_seconds(email: str) -> int:
    """How long this client must still wait before trying ``email`` again (0: go)."""
    count, last = failures(_key(email), FAILURE_WINDOW)
    delay = delay_after(count)
    if not delay or last is None:
        return 0
    remaining = delay - (utcnow() - last).total_seconds()
    return max(0, math.ceil(remaining))


def failed(email: str) -> int:
    """Record a wrong password (committed at once); the wait it causes, in seconds."""
    return delay_after(record_failure(_key(email), FAILURE_WINDOW))


def succeeded(email: str) -> None:
    """Forget this client's failures for ``email`` (the caller commits)."""
    clear(_key(email))
