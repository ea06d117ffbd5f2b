"""Where cached pages live: per process in memory (``PageCache``), and per machine in files
shared by every worker (``SharedStore``). Both are bounded in bytes; neither decides
whether an entry is still valid (``web/pagecache`` checks its scopes against the database).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

TRASH_AGE = 600  # seconds after which a half-deleted folder is anyone's to remove
OVERHEAD = 256  # bytes an entry costs beyond what is counted (objects, dict slots)


@dataclass
class Entry:
    """A stored page: the body with its slot markers, compressed; what it depends on
    (``scopes`` as of generation ``as_of`` of database ``epoch``); until when it may be
    served at most (``expires``: the next collection schedule boundary)."""

    epoch: str
    as_of: int
    scopes: tuple[str, ...]
    compressed: bytes  # the UTF-8 body with its slots, zlib level 1 (~5× smaller)
    headers: list[tuple[str, str]]
    notes: dict
    expires: datetime | None
    markers: tuple[str, ...] = ()
    renderer: int = 0  # the process that rendered it
    checked: int = -1  # the latest generation it was found valid at (memory only)
    size: int = field(init=False, default=0)

    @property
    def body(self) -> bytes:
        return zlib.decompress(self.compressed)

    def meta(self, key: str) -> dict:
        return {"key": key, "epoch": self.epoch, "as_of": self.as_of, "scopes": list(self.scopes),
                "headers": self.headers, "notes": self.notes, "markers": list(self.markers),
                "renderer": self.renderer, "expires": self.expires.timestamp() if self.expires else None}

    @classmethod
    def from_meta(cls, meta: dict, compressed: bytes) -> Entry:
        expires = datetime.fromtimestamp(meta["expires"], timezone.utc) if meta.get("expires") else None
        return cls(meta["epoch"], int(meta["as_of"]), tuple(meta["scopes"]), compressed,
                   [tuple(h) for h in meta["headers"]], meta["notes"], expires, tuple(meta["markers"]),
                   int(meta.get("renderer") or 0))


def _cost(key: str, entry: Entry) -> int:
    """Bytes an entry holds in memory: body, key, notes, headers, scopes, markers."""
    return (len(entry.compressed) + len(key) + len(json.dumps(entry.notes, default=str))
            + sum(len(k) + len(v) for k, v in entry.headers) + sum(len(s) + 8 for s in entry.scopes)
            + sum(len(m) for m in entry.markers) + OVERHEAD)


PLAIN_SHARE = 4  # at most 1/PLAIN_SHARE of the memory bound holds bodies uncompressed


class PageCache:
    """Least recently used entries up to ``max_bytes`` (everything counted).

    Entries are kept compressed; the bodies most recently served are also kept as they
    are sent, up to a quarter of the bound and within it, least recently served dropped
    first: a hit on a popular page then skips the inflate, which was a tenth of a cached
    page's instructions."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._plain: OrderedDict[str, tuple[Entry, bytes]] = OrderedDict()
        self._bytes = 0  # entries (compressed) and plain bodies
        self._plain_total = 0  # plain bodies alone
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self.shared: SharedStore | None = None

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def body(self, key: str, entry: Entry) -> bytes:
        """The body of ``entry`` (stored under ``key``), uncompressed."""
        with self._lock:
            kept = self._plain.get(key)
            if kept is not None and kept[0] is entry:
                self._plain.move_to_end(key)
                return kept[1]
        body = entry.body
        plain_max = self.max_bytes // PLAIN_SHARE
        with self._lock:
            if self._entries.get(key) is entry and len(body) <= plain_max // 8:
                self._drop_plain(key)
                self._plain[key] = (entry, body)
                self._bytes += len(body)
                self._plain_total += len(body)
                while self._plain_total > plain_max:
                    self._drop_plain(next(iter(self._plain)))
                self._shrink()
        return body

    def put(self, key: str, entry: Entry) -> None:
        entry.size = _cost(key, entry)
        if entry.size > self.max_bytes // 4:
            return
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            self._bytes += entry.size
            self._shrink()

    def discard(self, key: str) -> None:
        with self._lock:
            self._drop(key)

    def _shrink(self) -> None:
        while self._bytes > self.max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: str) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old.size
        self._drop_plain(key)

    def _drop_plain(self, key: str) -> None:
        kept = self._plain.pop(key, None)
        if kept is not None:
            self._bytes -= len(kept[1])
            self._plain_total -= len(kept[1])

    @property
    def bytes(self) -> int:
        return self._bytes

    @property
    def plain_bytes(self) -> int:
        return self._plain_total

    def __len__(self) -> int:
        return len(self._entries)


class SharedStore:
    """Pages shared by the worker processes of a machine, as files
    ``PAGE_CACHE_DIR/<code>-<epoch>/<sha1 of the key>``: a page one worker rendered is
    served by the others from their first request, and a restarted or recycled worker
    starts warm. ``<code>`` is a digest of the app's code, templates and translations (a
    deploy never serves an old render); ``<epoch>`` tells databases apart; other folders
    are removed. Validity is the caller's business (each file carries its scopes).

    Bounded per machine: ``max_bytes`` over the whole folder. Each process counts what it
    writes; after writing an eighth of the bound it sweeps — one process at a time (a
    lock file), in a background thread — the folder's real size, and removes the least
    recently used files (``mtime``: a load refreshes it at most once a minute) down to
    three quarters of the bound. Files are written whole (temporary file, then rename);
    any OS error only means a miss."""

    def __init__(self, root: Path, code: str, max_bytes: int) -> None:
        self.root, self.code, self.max_bytes = root, code, max_bytes
        self._folder: Path | None = None
        self._made: Path | None = None  # the folder this process made (or found) last
        self._written = 0
        self._sweeping = threading.Lock()

    def _at(self, epoch: str) -> Path:
        folder = self.root / f"{self.code}-{epoch}"
        if folder != self._folder:
            self._folder = folder
            self._purge(folder.name)
        return folder

    def _purge(self, keep: str) -> None:
        """Remove every other folder (older code, another database). Each is first renamed
        to a ``.trash-`` name — one rename, and only one process wins it — then deleted
        in a background thread."""
        doomed = []
        try:
            for child in self.root.iterdir():
                name = child.name
                if name.startswith(".trash-"):
                    if time.time() - child.stat().st_mtime > TRASH_AGE:  # left by a process that died
                        doomed.append(child)
                    continue
                if not child.is_dir() or name == keep:
                    continue
                trash = self.root / f".trash-{secrets.token_hex(6)}"
                try:
                    child.rename(trash)
                except OSError:
                    continue  # another process took it
                doomed.append(trash)
        except OSError:
            pass
        if doomed:
            threading.Thread(target=_remove_folders, args=(doomed,), daemon=True).start()

    @staticmethod
    def _name(key: str) -> str:
        return hashlib.sha1(key.encode()).hexdigest()

    def load(self, key: str, epoch: str) -> Entry | None:
        path = self._at(epoch) / self._name(key)
        try:
            data = path.read_bytes()
            head, _, compressed = data.partition(b"\n")
            meta = json.loads(head)
            if meta.get("key") != key or meta.get("epoch") != epoch:
                return None
            entry = Entry.from_meta(meta, compressed)
            if time.time() - path.stat().st_mtime > 60:
                os.utime(path)  # recently used: the sweep keeps it
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return entry

    def save(self, key: str, entry: Entry) -> None:
        folder = self._at(entry.epoch)
        data = json.dumps(entry.meta(key), ensure_ascii=False).encode() + b"\n" + entry.compressed
        if len(data) > self.max_bytes // 8:
            return
        path = folder / self._name(key)
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        try:
            if folder != self._made:  # made once per folder, again after any failed write
                folder.mkdir(parents=True, exist_ok=True)
                self._made = folder
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError:
            self._made = None
            temporary.unlink(missing_ok=True)
            return
        self._written += len(data)
        if self._written >= self.max_bytes // 8 and self._sweeping.acquire(blocking=False):
            threading.Thread(target=self._sweep_in_background, daemon=True).start()

    def _sweep_in_background(self) -> None:
        try:
            if self.sweep() >= 0:
                self._written = 0  # else another process was sweeping: try again at the next save
        finally:
            self._sweeping.release()

    def sweep(self) -> int:
        """Bring the folder under the bound (if no other process is sweeping it); the
        bytes it holds after."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".sweep.lock", "a+b") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return -1  # another process is sweeping
            files = []
            total = 0
            for folder in (p for p in self.root.iterdir() if p.is_dir()):
                try:
                    with os.scandir(folder) as entries:
                        for item in entries:
                            try:
                                stat = item.stat()
                            except OSError:
                                continue
                            files.append((stat.st_mtime, stat.st_size, item.path))
                            total += stat.st_size
                except OSError:
                    continue
            if total > self.max_bytes:
                files.sort()
                target = self.max_bytes * 3 // 4
                for _mtime, size, path in files:
                    if total <= target:
                        break
                    try:
                        os.unlink(path)
                    except OSError:
                        continue
                    total -= size
            return total


def _remove_folders(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)  # another process may be removing it too
