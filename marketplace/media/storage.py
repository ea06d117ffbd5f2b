"""Storage interface and the local-folder implementation (instance/uploads/).

Keys are content hashes, so the same bytes are stored once and a stored file never
changes: it can be served with a year-long cache header.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_NAME = re.compile(r"^[0-9a-f]{16,64}(-[a-z0-9]{1,16})?\.(webp|png|jpg|pdf|svg)$")


class Storage:
    def save(self, name: str, data: bytes) -> None:
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def open_path(self, name: str) -> Path:
        raise NotImplementedError

    def delete(self, name: str) -> None:
        raise NotImplementedError


def is_valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


class LocalStorage(Storage):
    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        if not is_valid_name(name):
            raise ValueError(f"invalid storage name: {name!r}")
        return self.root / name[:2] / name

    def save(self, name: str, data: bytes) -> None:
        path = self._path(name)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write atomically so a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def open_path(self, name: str) -> Path:
        return self._path(name)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
