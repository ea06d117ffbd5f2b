"""``flask --app marketplace search ...``: reindex, status, deliver, key, synonyms."""
from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from ..catalog.models import Product
from ..extensions import db
from ..sellers.models import Seller


def _public_count() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Product)
            .join(Seller, Product.seller_id == Seller.id)
            .where(Product.status == "published", Seller.status == "approved")
        )
        or 0
    )


def register(app: Flask) -> None:
    group = AppGroup("search", help="Search index: rebuild, status and synonyms.")

    @group.command("reindex")
    def reindex() -> None:
        """Rebuild the search index from the database (with a progress bar)."""
        from . import get_search

        backend = get_search()
        total = _public_count()
        db.session.commit()  # release our read transaction before the rebuild writes
        started = time.monotonic()
        with click.progressbar(length=total, label=f"Đang lập chỉ mục ({backend.name})") as bar:
            count = backend.rebuild(progress=bar.update)
        elapsed = time.monotonic() - started
        click.echo(f"Indexed {count} products with {backend.name} in {elapsed:.1f} s.")

    @group.command("status")
    def status() -> None:
        """Show backend, document count, pending outbox and last error."""
        from . import get_search

        health = get_search().health()
        click.echo(f"backend:    {health.backend}")
        click.echo(f"ok:         {'yes' if health.ok else 'NO'}")
        click.echo(f"status:     {health.status or ('ok' if health.ok else 'down')}")
        click.echo(f"documents:  {health.documents if health.documents is not None else '?'}")
        click.echo(f"pending:    {health.pending}")
        click.echo(f"last error: {health.last_error or '-'}")
        for key, value in sorted(health.detail.items()):
            click.echo(f"{key}: {value}")
        if not health.ok:
            raise SystemExit(1)

    @group.command("deliver")
    @click.option("--all", "force", is_flag=True, help="Ignore the retry backoff: try every pending change now.")
    @click.option("--limit", default=1000, show_default=True, help="Changes per round.")
    def deliver(force: bool, limit: int) -> None:
        """Repair the engine's index if it needs it (see `search maintain`), then send
        pending outbox changes, content first, until none is due or the time budget
        (MEILI_DELIVER_BUDGET_S) is spent. Run every minute (cron or the job runner)."""
        from . import get_search
        from .base import SearchUnavailable

        backend = get_search()
        inner = getattr(backend, "primary", backend)
        if not hasattr(inner, "drain"):
            click.echo(f"{backend.name}: the index is written in the same transaction; no outbox.")
            return
        from .outbox import outbox_stats

        try:
            done = inner.maintain()
        except SearchUnavailable as exc:
            click.echo(f"repair failed: {exc}", err=True)
            done = None
        if done:
            click.echo(f"Index repaired: {done}.")
        report = inner.drain(db.session, force=force, limit=limit)
        pending = outbox_stats(db.session).pending
        click.echo(f"Delivered {report.delivered} change(s); {pending} still pending.")
        if report.error:
            click.echo(f"last error: {report.error}")
            raise SystemExit(1)

    @group.command("maintain")
    def maintain() -> None:
        """Do the repair the engine's index waits for: a full reindex when the live index
        is missing or not the one the last reindex built, or its settings re-applied.
        Searches answer from the database meanwhile. For the job runner or cron."""
        from . import get_search
        from .base import SearchUnavailable

        try:
            done = get_search().maintain()
        except SearchUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Index repaired: {done}." if done else "Nothing to repair.")

    @group.command("key")
    @click.option("--create", is_flag=True, help="Create the key if there is none yet.")
    def key(create: bool) -> None:
        """Print a search-only key for this index (the only key a browser may get)."""
        from . import get_search
        from .base import SearchUnavailable

        backend = get_search()
        inner = getattr(backend, "primary", backend)
        if not hasattr(inner, "search_only_key"):
            click.echo(f"{backend.name}: no engine keys; browsers search through the site.")
            return
        try:
            click.echo(inner.search_only_key(create=create))
        except SearchUnavailable as exc:
            click.echo(str(exc), err=True)
            raise SystemExit(1) from exc

    synonyms = AppGroup("synonyms", help="Search synonyms (a query word also finds its synonyms).")

    def _synonym_error(exc) -> click.ClickException:
        db.session.rollback()
        field = {"term": "TERM", "synonym": "SYNONYM"}.get(exc.field, exc.field)
        return click.ClickException(f"{field}: {exc.message}")

    @synonyms.command("add")
    @click.argument("term")
    @click.argument("synonym")
    @click.option("--one-way", is_flag=True, help="TERM finds SYNONYM, but not the other way round.")
    def synonyms_add(term: str, synonym: str, one_way: bool) -> None:
        """Add TERM ↔ SYNONYM (folded; up to 4 words each)."""
        from .synonyms import SynonymError, add_synonym

        try:
            created = add_synonym(term, synonym, two_way=not one_way)
        except SynonymError as exc:
            raise _synonym_error(exc) from exc
        db.session.commit()
        if not created:
            click.echo("Already there: nothing added.")
        for row in created:
            click.echo(f"added: {row.term} -> {row.synonym}")

    @synonyms.command("remove")
    @click.argument("term")
    @click.argument("synonym")
    @click.option("--one-way", is_flag=True, help="Remove TERM -> SYNONYM only.")
    def synonyms_remove(term: str, synonym: str, one_way: bool) -> None:
        """Remove TERM ↔ SYNONYM."""
        from .synonyms import SynonymError, remove_synonym

        try:
            removed = remove_synonym(term, synonym, two_way=not one_way)
        except SynonymError as exc:
            raise _synonym_error(exc) from exc
        if not removed:
            db.session.rollback()
            raise click.ClickException(f"No such synonym: {term} -> {synonym} (see `search synonyms list`).")
        db.session.commit()
        click.echo(f"Removed {removed} row(s).")

    @synonyms.command("list")
    def synonyms_list() -> None:
        """Print every synonym, one direction per line."""
        from .synonyms import list_synonyms

        rows = db.session.scalars(list_synonyms()).all()
        if not rows:
            click.echo("No synonyms.")
        for row in rows:
            click.echo(f"{row.term} -> {row.synonym}")

    @synonyms.command("seed")
    def synonyms_seed() -> None:
        """Add the region's seed synonyms (marketplace/search/synonym_seed.py) that are missing."""
        from .synonym_seed import seed_synonyms

        added = seed_synonyms()
        db.session.commit()
        click.echo(f"Added {added} row(s).")

    group.add_command(synonyms)
    app.cli.add_command(group)
