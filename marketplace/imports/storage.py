"""Uploaded spreadsheets kept between the preview and the commit.

Each upload is saved under ``IMPORT_FOLDER`` (default ``<UPLOAD_FOLDER>/_imports``, so
several app servers sharing the uploads folder share these too; never served) as
``<token>.bin`` with ``<token>.json`` (seller, user, file name, time). The token is
random; the commit checks that the same user asks for the same seller. Files older
than a day are removed on the next upload.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from flask import current_app

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def _folder() -> Path:
    folder = Path(current_app.config.get("IMPORT_FOLDER") or Path(current_app.config["UPLOAD_FOLDER"]) / "_imports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cleanup(folder: Path) -> None:
    limit = time.time() - MAX_AGE_SECONDS
    for path in folder.glob("*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def save_upload(data: bytes, *, seller_id: int, user_id: int, filename: str) -> str:
    folder = _folder()
    _cleanup(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"seller_id": seller_id, "user_id": user_id, "filename": filename, "created": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token


def load_upload(token: str) -> tuple[bytes, dict] | None:
    if not token or not _TOKEN.match(token):
        return None
    folder = _folder()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
        data = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        return None
    if time.time() - meta.get("created", 0) > MAX_AGE_SECONDS:
        return None
    return data, meta


def discard_upload(token: str) -> None:
    if not token or not _TOKEN.match(token):
        return
    folder = _folder()
    for suffix in (".bin", ".json"):
        try:
            os.unlink(folder / f"{token}{suffix}")
        except FileNotFoundError:
            pass
