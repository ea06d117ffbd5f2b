"""Backups: a consistent database snapshot plus the uploads, with a manifest; restore.

A backup is a folder::

    DEST/manifest.json        what, when, revision, checksums, row counts
    DEST/database.sqlite      SQLite: the online backup API (a consistent copy while
                              the app keeps writing)
    DEST/database.pgdump      PostgreSQL: ``pg_dump --format=custom`` (one snapshot)
    DEST/uploads/             a copy of UPLOAD_FOLDER (content-addressed files)

Uploads are copied twice around the database snapshot: every file present before it,
then every file added while it ran, so a row in the snapshot finds its file. (A file
both created and deleted during the snapshot can be missed; its row is gone too
unless the snapshot caught the instant in between.) Files never change once written,
so copies are exact.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..catalog import generation as catalog_generation
from ..extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
COUNTED_TABLES = ("products", "sellers", "product_photos", "inquiries", "users")


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class BackupReport:
    path: Path
    manifest: dict


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _upload_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(
        p.relative_to(root) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")
    )


def _copy_new(source: Path, target: Path) -> int:
    copied = 0
    for rel in _upload_files(source):
        dest = target / rel
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(source / rel, dest)
        except FileNotFoundError:  # deleted (garbage-collected) while we copied
            continue
        copied += 1
    return copied


def _sqlite_path(url: sa.engine.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup API: a consistent copy even while other processes write."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=1024)
    finally:
        dst.close()
        src.close()


def _pg_args(url: sa.engine.URL) -> tuple[list[str], dict]:
    args = []
    if url.host:
        args += ["-h", url.host]
    if url.port:
        args += ["-p", str(url.port)]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password  # not on the command line, where `ps` shows it
    return args, env


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if not tool:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return tool


def check_pg_dump_version(server_version_num: int, tool: str = "pg_dump") -> str:
    """pg_dump refuses servers newer than itself; say so before it does, clearly."""
    path = _pg_tool(tool)
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not match:
        raise BackupError(f"Cannot read the version of {tool}: {out.strip()!r}")
    client_major = int(match.group(1))
    server_major = server_version_num // 10000
    if client_major < server_major:
        raise BackupError(
            f"{tool} {client_major} cannot dump a PostgreSQL {server_major} server; "
            f"install the postgresql-client-{server_major} package."
        )
    return out.strip()


def backup(dest: str | os.PathLike) -> BackupReport:
    """Write a backup folder at ``dest`` (which must not exist or be empty)."""
    target = Path(dest)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; choose a new folder for each backup.")
    target.mkdir(parents=True, exist_ok=True)
    uploads_source = Path(current_app.config["UPLOAD_FOLDER"])
    uploads_target = target / "uploads"
    uploads_target.mkdir()
    _copy_new(uploads_source, uploads_target)  # first pass: everything already there

    url = db.engine.url
    dialect = db.engine.dialect.name
    started = datetime.now(timezone.utc)
    if dialect == "sqlite":
        database_file = target / "database.sqlite"
        _sqlite_copy(_sqlite_path(url), database_file)
        check = sqlite3.connect(database_file)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0]
            counts = {
                t: check.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in COUNTED_TABLES
                if check.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (t,)).fetchone()
            }
            has_version = check.execute("SELECT 1 FROM sqlite_master WHERE name='alembic_version'").fetchone()
            row = check.execute("SELECT version_num FROM alembic_version").fetchone() if has_version else None
        finally:
            check.close()
        if ok != "ok":
            raise BackupError(f"The snapshot failed SQLite's integrity check: {ok}")
        revision = row[0] if row else None
        tool = f"sqlite3 {sqlite3.sqlite_version} online backup"
    elif dialect == "postgresql":
        database_file = target / "database.pgdump"
        db.session.rollback()
        # One snapshot for everything: a REPEATABLE READ transaction exports its snapshot,
        # the row counts and revision are read in it, and pg_dump dumps that same snapshot.
        with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with conn.begin():
                tool = check_pg_dump_version(int(conn.execute(sa.text("SHOW server_version_num")).scalar()))
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
                names = set(sa.inspect(conn).get_table_names())
                counts = {
                    t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() or 0
                    for t in COUNTED_TABLES if t in names
                }
                revision = (
                    conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                    if "alembic_version" in names else None
                )
                args, env = _pg_args(url)
                result = subprocess.run(
                    [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                     f"--snapshot={snapshot}", *args, "-f", str(database_file), url.database],
                    capture_output=True, text=True, env=env,
                )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:  # pragma: no cover — only SQLite and PostgreSQL are supported
        raise BackupError(f"Backups of {dialect} databases are not supported.")

    _copy_new(uploads_source, uploads_target)  # second pass: files added meanwhile
    files = _upload_files(uploads_target)
    manifest = {
        "format": FORMAT,
        "app": "ocop-marketplace",
        "created_at": started.isoformat(timespec="seconds"),
        "dialect": dialect,
        "tool": tool,
        "alembic_revision": revision,
        "database_file": database_file.name,
        "database_sha256": _sha256(database_file),
        "database_bytes": database_file.stat().st_size,
        "row_counts": counts,  # from the snapshot itself
        "uploads": {"files": len(files), "bytes": sum((uploads_target / f).stat().st_size for f in files)},
        "search_backend": current_app.config.get("SEARCH_BACKEND"),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return BackupReport(target, manifest)


def read_manifest(src: str | os.PathLike) -> dict:
    source = Path(src)
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a backup folder (no {MANIFEST}).")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT or manifest.get("app") != "ocop-marketplace":
        raise BackupError(f"{path} is not a backup of this application (format {manifest.get('format')!r}).")
    database_file = source / manifest["database_file"]
    if not database_file.is_file() or _sha256(database_file) != manifest["database_sha256"]:
        raise BackupError(f"{database_file} is missing or does not match its checksum; the backup is damaged.")
    return manifest


def restore(src: str | os.PathLike) -> dict:
    """Bring a backup back: the database replaced by the snapshot, its upload files copied
    into UPLOAD_FOLDER (files already there are identical by construction and kept)."""
    source = Path(src)
    manifest = read_manifest(source)
    dialect = db.engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"This backup is of a {manifest['dialect']} database; the app is configured for {dialect}."
        )
    database_file = source / manifest["database_file"]
    url = db.engine.url
    try:
        generation_before = catalog_generation.current()
    except sa.exc.SQLAlchemyError:
        generation_before = 0
    db.session.remove()
    if dialect == "sqlite":
        # The backup API in the other direction: page by page under SQLite's locks, so a
        # running app sees the old database or the new one, never a mixture.
        db.engine.dispose()
        src_con = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
        dst_con = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            src_con.backup(dst_con)
        finally:
            dst_con.close()
            src_con.close()
    else:
        tool = _pg_tool("pg_restore")
        args, env = _pg_args(url)
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        db.engine.dispose()
        result = subprocess.run(
            [tool, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", *args,
             "-d", url.database, str(database_file)],
            capture_output=True, text=True, env=env,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    _move_generation_past(generation_before)
    copied = _copy_new(source / "uploads", Path(current_app.config["UPLOAD_FOLDER"]))
    return {**manifest, "uploads_restored": copied}


def _move_generation_past(before: int) -> None:
    """The restored catalog generation may be one the running processes already cached
    pages under (for other content): move it past both the old and the restored value."""
    try:
        with db.engine.begin() as conn:
            catalog_generation.move_past(conn, before)
    except sa.exc.SQLAlchemyError:  # a backup from before the generation existed: `flask db upgrade` adds it
        pass
