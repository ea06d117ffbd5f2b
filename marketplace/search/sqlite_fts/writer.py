"""Writing the FTS5 index: one product's rows, in the caller's transaction or a
connection of its own, the full rebuild, and the bookkeeping every write moves
(the index generation, the vocabulary of typo corrections, ``search_meta``)."""
from __future__ import annotations

import time
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ...catalog import generation as catalog_generation
from ...catalog.models import Product
from ...sellers.models import Seller
from ...text import utcnow
from ..analysis import fast_fold, marks_text, words_of
from ..base import Progress
from ..documents import load_products_for_documents, product_to_document
from ..facets import BAND_KEYS, pack_facets
from .schema import DOC_COLUMNS, FACET_COLUMNS, TEXT_COLUMNS, TRIGGER_NAMES, create_schema, drop_schema


def write(conn, ids: Sequence[int]) -> None:
    """Replace these products' rows with their current state (public ones only)."""
    # A fresh session on the same connection sees the flushed rows of this
    # transaction without the caller's possibly stale relationship state.
    with reader(conn) as session:
        docs, facets = public_rows(session, ids)
    delete(conn, ids)
    insert(conn, docs, facets)
    bump_generation(conn)


def delete(conn, ids: Sequence[int]) -> None:
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        for table in ("search_documents", "search_facets"):
            conn.execute(
                sa.text(f"DELETE FROM {table} WHERE id IN :ids").bindparams(sa.bindparam("ids", expanding=True)),
                {"ids": chunk},
            )


def public_rows(session, ids: Sequence[int]) -> tuple[list[dict], list[dict]]:
    """The search_documents and search_facets rows of the public ones among these products."""
    docs, facets = [], []
    for product in load_products_for_documents(ids, session=session):
        doc = product_to_document(product)
        if doc["is_public"]:
            d, f = document_rows(doc)
            docs.append(d)
            facets.append(f)
    return docs, facets


def count_terms(docs: list[dict], counts: dict[str, int]) -> dict[str, int]:
    """Add to ``counts`` the number of these documents holding each word."""
    for row in docs:
        for term in set(words_of(" ".join(row[c] for c in TEXT_COLUMNS))):
            counts[term] = counts.get(term, 0) + 1
    return counts


def document_rows(doc: dict) -> tuple[dict, dict]:
    """The search_documents row (folded text) and search_facets row of a document."""
    area_parts = []
    if doc["area"]:
        area_parts.append(doc["area"]["name"])
    area_parts.extend(doc["area_aliases"])
    text = {
        "id": doc["id"],
        "slug": doc["slug"],
        "display_name": doc["name"],
        "name": doc["name_folded"],
        "category": fast_fold(" ".join(doc["category_names"])),
        "seller": fast_fold(doc["seller"]["name"]),
        "area": fast_fold(" ".join(area_parts)),
        "description": fast_fold(doc["description"]),
        "marks": marks_text(doc["name"]),
    }
    until = doc.get("ocop_expires_on")
    facets = {
        "id": doc["id"],
        "category_id": doc["category_id"],
        "area_id": doc["area_id"],
        "seller_id": doc["seller_id"],
        "stars": doc["ocop_stars"],
        "stars_until": int(until.replace("-", "")) if doc["ocop_stars"] and until else None,
        "rural": 1 if doc["rural_industry"] else 0,
        "band": BAND_KEYS.index(doc["price_band"]),
        "price": doc["price_vnd"],
        "views": doc["view_count"],
        "featured": 1 if doc["featured"] else 0,
        "published": doc["published_at"],
        # Bit m-1: in season in month m (documents.season_months; 0 year-round or unstated).
        "season": sum(1 << (m - 1) for m in doc.get("season_months") or ()),
    }
    facets["fkey"] = pack_facets(
        facets["category_id"], facets["area_id"], facets["stars"], facets["rural"], facets["band"]
    )
    return text, facets


def insert(conn, docs: list[dict], facets: list[dict], *, update_terms: bool = True) -> None:
    if not docs:
        return
    conn.execute(
        sa.text(
            f"INSERT INTO search_documents ({', '.join(DOC_COLUMNS)})"
            f" VALUES ({', '.join(':' + c for c in DOC_COLUMNS)})"
        ),
        docs,
    )
    conn.execute(
        sa.text(
            f"INSERT INTO search_facets ({', '.join(FACET_COLUMNS)})"
            f" VALUES ({', '.join(':' + c for c in FACET_COLUMNS)})"
        ),
        facets,
    )
    if update_terms:
        upsert_terms(conn, count_terms(docs, {}))


def rebuild(conn, progress: Progress | None = None, batch_size: int = 2000) -> int:
    """Rebuild everything from the database on ``conn`` (one transaction: readers keep
    seeing the old index until the caller commits); returns documents indexed."""
    started = time.monotonic()
    count = 0
    # Start from scratch: this also repairs a damaged or outdated layout.
    drop_schema(conn)
    create_schema(conn)
    for name in TRIGGER_NAMES:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    ids = [
        row[0]
        for row in conn.execute(
            sa.select(Product.id)
            .join(Seller, Product.seller_id == Seller.id)
            .where(Product.status == "published", Seller.status == "approved")
            .order_by(Product.id)
        ).all()
    ]
    terms: dict[str, int] = {}
    with reader(conn) as session:
        for start in range(0, len(ids), batch_size):
            chunk = ids[start:start + batch_size]
            docs, facets = public_rows(session, chunk)
            count_terms(docs, terms)
            insert(conn, docs, facets, update_terms=False)
            count += len(docs)
            # Drop this batch's products (and, by cascade, their certificates,
            # marks and photos); categories, areas and sellers stay loaded.
            for obj in list(session.identity_map.values()):
                if isinstance(obj, Product) and obj in session:
                    session.expunge(obj)
            if progress:
                progress(len(chunk))
    upsert_terms(conn, terms)
    conn.exec_driver_sql(
        "INSERT INTO search_facet_counts (fkey, stars_until, n)"
        " SELECT fkey, coalesce(stars_until, 0), count(*) FROM search_facets GROUP BY 1, 2"
    )
    conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
    conn.exec_driver_sql("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
    create_schema(conn)  # triggers back
    bump_generation(conn)
    catalog_generation.bump(conn)  # cached pages show search results: render them anew
    set_meta(conn, "last_rebuild", utcnow().isoformat(timespec="seconds"))
    set_meta(conn, "last_rebuild_seconds", f"{time.monotonic() - started:.1f}")
    set_meta(conn, "last_error", "")
    return count


def update_views(conn, counts: dict[int, int]) -> None:
    """Popularity in place: only ``search_facets.views`` changes (no FTS row, trigger
    or term is touched); the generation moves on so cached suggestions re-sort."""
    conn.execute(
        sa.text("UPDATE search_facets SET views = :views WHERE id = :id"),
        [{"id": int(pid), "views": int(n)} for pid, n in sorted(counts.items())],
    )
    bump_generation(conn)


def bump_generation(conn) -> None:
    """Every index write moves the generation on (same transaction): cached facet
    counts of older generations are never used again, in any process."""
    conn.exec_driver_sql(
        "INSERT INTO search_meta (key, value) VALUES ('generation', lower(hex(randomblob(8))))"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )


def reader(conn) -> Session:
    """A read-only session joined to ``conn``'s transaction; closing it neither
    commits nor rolls back (no savepoint of its own)."""
    return Session(bind=conn, join_transaction_mode="rollback_only", autoflush=False)


def upsert_terms(conn, counts: dict[str, int]) -> None:
    if not counts:
        return
    conn.execute(
        sa.text(
            "INSERT INTO search_terms (term, head, len, docs) VALUES (:term, :head, :len, :docs)"
            " ON CONFLICT (term) DO UPDATE SET docs = docs + excluded.docs"
        ),
        [{"term": t, "head": t[0], "len": len(t), "docs": n} for t, n in counts.items()],
    )


def set_meta(conn, key: str, value: str) -> None:
    conn.execute(
        sa.text("INSERT INTO search_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
        {"k": key, "v": value},
    )
