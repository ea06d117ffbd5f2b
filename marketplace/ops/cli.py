"""``flask --app marketplace backup DEST`` and ``restore SRC --yes``."""
from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(file_okay=False))
    def backup_command(dest: str) -> None:
        """Write a consistent snapshot of the database and the uploads into DEST."""
        from .backup import BackupError, backup

        try:
            report = backup(dest)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        m = report.manifest
        counts = ", ".join(f"{k} {v}" for k, v in m["row_counts"].items())
        click.echo(f"Backup written to {report.path} ({m['dialect']}, revision {m['alembic_revision']}).")
        click.echo(f"database: {m['database_file']} {m['database_bytes']} bytes; {counts}")
        click.echo(f"uploads:  {m['uploads']['files']} files, {m['uploads']['bytes']} bytes")

    @app.cli.command("restore")
    @click.argument("src", type=click.Path(exists=True, file_okay=False))
    @click.option("--yes", is_flag=True, help="Replace the current database without asking.")
    def restore_command(src: str, yes: bool) -> None:
        """Replace the database with the backup in SRC and bring its uploads back."""
        from .backup import BackupError, read_manifest, restore

        try:
            manifest = read_manifest(src)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        if not yes:
            click.confirm(
                f"Replace the current database with the backup of {manifest['created_at']} "
                f"(revision {manifest['alembic_revision']})? Everything written since is lost.",
                abort=True,
            )
        try:
            result = restore(src)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Restored the backup of {result['created_at']}; {result['uploads_restored']} upload files copied.")
        click.echo("Next: flask --app marketplace db upgrade (if the code is newer than the backup)")
        if result.get("search_backend") == "meilisearch":
            click.echo("      flask --app marketplace search reindex (Meilisearch keeps its own index)")
