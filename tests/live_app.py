"""WSGI entry for tests that run a real gunicorn: ``tests.live_app:build()`` builds the
app from the JSON test configuration in ``LIVE_APP_CONFIG``."""
from __future__ import annotations

import json
import os

from marketplace import create_app


def build():
    return create_app(json.loads(os.environ["LIVE_APP_CONFIG"]))
