"""Storage interface and the local-folder implementation (instance/uploads/).

Keys are content hashes, so the same bytes are stored once and a stored file never
changes: it can be served with a year-long cache header.
"""
from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

from flask_babel import lazy_gettext as _l

_NAME = re.compile(r"^[0-9a-f]{16,64}(-[a-z0-9]{1,16})?\.(webp|png|jpg|pdf|svg)$")


STORAGE_FULL_MESSAGE = _l(
    "Máy chủ đã hết chỗ lưu trữ nên tệp chưa được lưu. Vui lòng thử lại sau hoặc báo cho ban quản trị sàn."
)


class StorageFull(OSError):
    """The disk (or quota) is full: nothing was stored; the caller tells the user."""


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
        # A failed write (disk full) leaves nothing behind: no half file under any name.
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            raise _storage_error(exc) from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _storage_error(exc) from exc
            raise

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def open_path(self, name: str) -> Path:
        return self._path(name)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def _storage_error(exc: OSError) -> OSError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(exc.errno, f"storage full: {exc.strerror}")
    return exc
