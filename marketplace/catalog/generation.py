"""What changed in the catalog, and where: the catalog generation and its *scopes*.

Caches of public pages (``web/pagecache``) and of things many pages show (the header's
categories, the home figures) must change exactly when what they show changes, whatever
made the write: a view, the staff workspace, a CLI import, the analytics rollup, a raw SQL
statement in a shell, another instance on another machine sharing the database. So the
bookkeeping is done by **database triggers**, in the writer's own transaction:

* ``catalog_generation`` is one row: ``value`` moves with every write a public page can
  show (never with one that changes nothing shown), ``epoch`` tells databases apart.
* ``cache_scopes`` holds one row per *scope* — a part of the catalog a page can depend on —
  with the generation ``value`` of the last write that touched it (``SCOPES`` below). A
  price edit of product 7 (seller 3, category 12, area 40) touches ``p:7``, ``ls:3``,
  ``lc:12``, ``la:40`` and ``lall``: its page, the pages showing its card, its seller's
  page, the listings filtered to its category or area and the unfiltered listings and
  searches — not the other product, seller, category and area pages.

A page records the scopes it read while it rendered (``depends``), and the generation
``as_of`` it read *before* reading anything else. It stays valid while no scope of it has
a version above ``as_of`` (``changed_since``): a write that commits while the page renders
either is seen by the page's reads or gives one of its scopes a version above ``as_of``,
so a page can be rendered anew too often, never kept stale.

What does not move anything: a write that changes no column a page shows (a re-submitted
unchanged form is usually not even an UPDATE; ``updated_at``, review notes, e-mail), rows
not public before nor after (drafts, pending or rejected products and sellers, unpublished
collections), ``view_count`` (popularity: the rollup moves the ``pop`` scope itself, and
only when the popularity *order* of public products changed, ``bump_scopes``), outbox rows
being queued (their delivery moves ``search``).

* SQLite: ``AFTER INSERT/UPDATE/DELETE … FOR EACH ROW WHEN …`` (one writer at a time).
* PostgreSQL: deferred constraint triggers, run at COMMIT after every other lock of the
  transaction; the first one of a transaction moves the generation row (and so holds its
  lock to the end), the others reuse its value from a transaction-local setting. Scope rows
  are only written by a transaction that holds the generation row, so two transactions can
  never deadlock on them.

Time moves pages too (a certificate valid until yesterday, a collection scheduled to start
at 08:00): the page cache adds today's date to its keys and ends entries at the next
schedule boundary (``showcase.provider().next_boundary``); this module is about writes only.

The same DDL serves the migration (``0017_cache_scopes``) and ``create_all`` (tests). A
later migration that rebuilds one of these tables on SQLite (Alembic's batch mode copies the
table) drops its triggers and must call ``create_triggers`` again; a test checks that the
migrated schema has every trigger.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import BigInteger, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

ROW_ID = 1
ALL = "*"  # every page depends on it: categories, areas, restores, index rebuilds

# Scope names (``kind:id`` or a word). ``l…`` scopes move with any visible change of a
# public product (a listing's content and order), ``m…`` scopes only when products enter
# or leave a set (membership: counts, "related", "newest").
SCOPES = {
    ALL: "everything (category or area edits, restores, rebuilds of the embedded index)",
    "p:ID": "one product's own page data and card (row, photos, certificates)",
    "s:ID": "one seller's public profile (and the seller name on its cards)",
    "ls:ID / lc:ID / la:ID": "listings of a seller / category / area (content and order)",
    "lall": "listings and searches over the whole catalog",
    "lprice": "listings ordered or filtered by price (a price change within its price band moves only this "
              "and the product's p:ID)",
    "ms:ID / mc:ID / ma:ID / members": "which products are public, per seller / category / area / at all",
    "pop": "the popularity order of public products (moved by the analytics rollup)",
    "coll:ID / colls": "one collection / which collections are shown where",
    "cert:ID": "one certification (pages showing it: its lots' scan pages)",
    "syn": "search synonyms",
    "lp:ID": "the public lots of one product (its scan pages, its lots on the product page)",
    "search": "a search engine delivery (Meilisearch outbox)",
}


class CatalogGeneration(db.Model):
    __tablename__ = "catalog_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # Random, set when the row is made: tells databases apart whose values may coincide
    # (a store shared by processes on one machine, tests recreating a database).
    epoch: Mapped[str] = mapped_column(String(32), nullable=False, default="")


class CacheScope(db.Model):
    __tablename__ = "cache_scopes"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)


# ------------------------------------------------------------------- the trigger rules


@dataclass(frozen=True)
class Rule:
    """How writes to one table move scopes. SQL fragments use ``R`` for the row (``NEW``
    or ``OLD``); ``shown`` is whether a row is public, ``columns`` the columns an UPDATE
    must change to matter (None: any), ``scopes`` SELECTs of scope names for a row (NULLs
    dropped), ``membership`` the columns whose change moves the ``m…`` scopes too."""

    table: str
    shown: str | None
    columns: tuple[str, ...] | None
    scopes: tuple[str, ...]
    membership: tuple[str, ...] = ()
    membership_scopes: tuple[str, ...] = ()
    ops: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE")
    # An UPDATE that changes, of ``columns``, only ``narrow`` and for which ``narrow_when``
    # (SQL on OLD and NEW) holds moves only the scopes of ``scopes`` that ``kept`` (SQL on
    # the scope name ``s``) admits, plus ``narrow_scopes``.
    narrow: str | None = None
    narrow_when: str = "true"
    kept: str = "true"
    narrow_scopes: tuple[str, ...] = ()


# Scopes of one product, its columns read from the row ``P`` (the products row itself, or
# the published product a photo or certificate belongs to).
_LISTS = ("'p:' || P.id", "'ls:' || P.seller_id", "'lc:' || P.category_id", "'la:' || P.area_id", "'lall'")
_MEMBERS = ("'ms:' || P.seller_id", "'mc:' || P.category_id", "'ma:' || P.area_id", "'members'")
_OWNER = " FROM products P WHERE P.id = R.product_id AND P.status = 'published'"
_SELLER_PRODUCTS = " FROM products P WHERE P.seller_id = R.id AND P.status = 'published'"
_CERT_SELLER_PRODUCTS = (" FROM products P WHERE R.scope = 'seller' AND P.seller_id = R.seller_id"
                         " AND P.status = 'published'")
_CERT_LINKED_PRODUCTS = (" FROM certification_products CP JOIN products P ON P.id = CP.product_id"
                         " WHERE CP.certification_id = R.id AND P.status = 'published'")


def _selects(expressions: Iterable[str], source: str = "") -> tuple[str, ...]:
    """``SELECT <expression> AS s<source>`` for each, where ``P`` is ``source``'s row, or
    the changed row itself without a source."""
    return tuple(f"SELECT {e if source else e.replace('P.', 'R.')} AS s{source}" for e in expressions)


_PRODUCT_COLUMNS = ("seller_id", "category_id", "area_id", "code", "gtin", "name", "slug", "description", "price_vnd",
                    "unit", "status", "featured", "search_text", "created_at", "published_at",
                    # supply capacity and season (issue 19): the product page and cards show them
                    "monthly_volume", "volume_unit", "min_order_qty", "lead_time_days", "packaging", "season_mask")


def _price_band(price: str) -> str:
    """SQL: the index of the search facet's price band (``search.base.PRICE_BANDS``)."""
    from ..search.base import PRICE_BANDS

    steps = " ".join(f"WHEN {price} < {high} THEN {i}" for i, (_k, _low, high) in enumerate(PRICE_BANDS)
                     if high is not None)
    return f"CASE {steps} ELSE {len(PRICE_BANDS) - 1} END"


# A price change that keeps the product in its price band and changes nothing else shown:
# listings show it only through its card (``p:ID``, noted by every card) unless they are
# ordered or filtered by price (``lprice``). Facet counts, totals and every other order
# stay as they were, so the listings and searches not showing it stay valid.
_PRICE_IN_BAND = " AND ".join(["OLD.price_vnd IS NOT NULL", "NEW.price_vnd IS NOT NULL",
                                f"{_price_band('OLD.price_vnd')} = {_price_band('NEW.price_vnd')}"])
PRICE = "lprice"  # pages ordered or filtered by price


RULES: tuple[Rule, ...] = (
    Rule(
        "products",
        shown="R.status = 'published'",
        columns=_PRODUCT_COLUMNS,
        scopes=_selects(_LISTS),
        membership=("seller_id", "category_id", "area_id", "status", "featured", "published_at"),
        membership_scopes=_selects(_MEMBERS),
        narrow="price_vnd",
        narrow_when=_PRICE_IN_BAND,
        kept="substr(s, 1, 2) = 'p:'",  # no "%": the DDL runs through drivers that read it as a placeholder
        narrow_scopes=(f"SELECT '{PRICE}' AS s",),
    ),
    # Photos: the product's own page and its cards.
    Rule("product_photos", shown=f"EXISTS (SELECT 1{_OWNER})", columns=None, scopes=_selects(_LISTS[:1], _OWNER)),
    # Certificates: cards, star and certification filters and counts.
    Rule("rural_industry_recognitions", shown=f"EXISTS (SELECT 1{_OWNER})", columns=None,
         scopes=_selects((*_LISTS, *_MEMBERS), _OWNER)),
    # Certifications of every kind: an OCOP row's product; a seller-wide one's published
    # products; a products-scoped one's linked products; always the seller's profile and
    # ``cert:ID`` (the pages showing that certification, e.g. a lot's scan page).
    Rule(
        "certifications",
        shown=f"R.product_id IS NULL OR EXISTS (SELECT 1{_OWNER})",
        columns=None,
        scopes=(
            *_selects((*_LISTS, *_MEMBERS), _OWNER),
            *_selects((*_LISTS, *_MEMBERS), _CERT_SELLER_PRODUCTS),
            *_selects((*_LISTS, *_MEMBERS), _CERT_LINKED_PRODUCTS),
            "SELECT 's:' || R.seller_id AS s",
            "SELECT 'cert:' || R.id AS s",
        ),
    ),
    Rule("certification_products", shown=f"EXISTS (SELECT 1{_OWNER})", columns=None,
         scopes=(*_selects((*_LISTS, *_MEMBERS), _OWNER), "SELECT 'cert:' || R.certification_id AS s")),
    Rule(
        "sellers",
        shown="R.status = 'approved'",
        columns=("kind", "name", "slug", "story", "address", "area_id", "phone", "website", "logo_key", "status",
                 "verified"),
        # The profile, its cards everywhere (seller name), every listing of its products.
        scopes=("SELECT 's:' || R.id AS s", "SELECT 'ls:' || R.id AS s", "SELECT 'lall' AS s",
                *_selects(("'lc:' || P.category_id", "'la:' || P.area_id"), _SELLER_PRODUCTS)),
        membership=("status",),
        membership_scopes=("SELECT 'ms:' || R.id AS s", "SELECT 'members' AS s",
                           *_selects(("'mc:' || P.category_id", "'ma:' || P.area_id"), _SELLER_PRODUCTS)),
    ),
    *(Rule(table, shown=None, columns=None, scopes=(f"SELECT '{ALL}' AS s",))
      for table in ("categories", "areas", "area_aliases")),
    Rule(
        "collections",
        shown="R.published",
        columns=("slug", "title", "description", "cover_key", "cover_width", "cover_height", "placement",
                 "category_id", "position", "published", "starts_at", "ends_at"),
        scopes=("SELECT 'coll:' || R.id AS s",),
        # Which collections show where: pages listing collections (home, categories).
        membership=("placement", "category_id", "position", "published", "starts_at", "ends_at"),
        membership_scopes=("SELECT 'colls' AS s",),
    ),
    Rule("collection_items", shown="EXISTS (SELECT 1 FROM collections C WHERE C.id = R.collection_id AND C.published)",
         columns=None, scopes=("SELECT 'coll:' || R.collection_id AS s",)),
    # Lots (traceability): the scan pages of the product's lots ("other lots") and the
    # product page's list of lots. Public lots only (a hidden lot moves it once, leaving).
    Rule("lots", shown="R.status = 'published'",
         columns=("product_id", "code", "harvested_on", "quantity", "unit", "origin", "best_before",
                  "packing_facility", "notes", "photo_key", "status", "hidden_reason"),
         scopes=("SELECT 'lp:' || R.product_id AS s",)),
    Rule("lot_certifications",
         shown="EXISTS (SELECT 1 FROM lots L WHERE L.id = R.lot_id AND L.status = 'published')", columns=None,
         scopes=("SELECT 'lp:' || L.product_id AS s FROM lots L WHERE L.id = R.lot_id",)),
    Rule("search_synonyms", shown=None, columns=None, scopes=("SELECT 'syn' AS s",)),
    # A delivery to Meilisearch (row marked delivered, or removed undelivered) changes what
    # searches return; queueing a row does not (the write that queued it moved its scopes).
    Rule("search_outbox", shown="R.delivered_at IS NULL", columns=("delivered_at",),
         scopes=("SELECT CASE WHEN R.op = 'popularity' THEN 'pop' ELSE 'search' END AS s",),
         ops=("UPDATE", "DELETE")),
)
TABLES = tuple(rule.table for rule in RULES)
# Rules of tables that no longer exist, for migrations going back to them (and drop_ddl).
RETIRED_RULES: tuple[Rule, ...] = (
    # ocop_certifications until 0023_certifications moved its rows into certifications.
    Rule("ocop_certifications", shown=f"EXISTS (SELECT 1{_OWNER})", columns=None,
         scopes=_selects((*_LISTS, *_MEMBERS), _OWNER)),
)


def _row(fragment: str, alias: str) -> str:
    return fragment.replace("R.", f"{alias}.")


def _changed(columns: Iterable[str], dialect: str) -> str:
    differs = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {differs} NEW.{c}" for c in columns)


def _scope_select(rule: Rule, op: str, dialect: str) -> str:
    """A SELECT of the scope names one row event moves (duplicates and NULLs included)."""
    aliases = {"INSERT": ("NEW",), "DELETE": ("OLD",), "UPDATE": ("OLD", "NEW")}[op]
    parts = [_row(s, a) for a in aliases for s in rule.scopes]
    if op == "UPDATE" and rule.narrow is not None:
        narrow = _narrow(" AND ".join([f"OLD.{c} IS NEW.{c}" for c in rule.columns or () if c != rule.narrow]
                                      + [rule.narrow_when]), dialect)
        parts = [f"SELECT s FROM ({' UNION '.join(parts)}) AS w WHERE NOT ({narrow}) OR {rule.kept}",
                 *(f"SELECT s FROM ({_row(n, 'NEW')}) AS n WHERE {narrow}" for n in rule.narrow_scopes)]
    if rule.membership_scopes:
        members = [_row(s, a) for a in aliases for s in rule.membership_scopes]
        if op == "UPDATE":
            condition = _changed(rule.membership, dialect)
            members = [f"SELECT s FROM ({m}) AS m WHERE {condition}" for m in members]
        parts += members
    return " UNION ".join(parts)


def _narrow(condition: str, dialect: str) -> str:
    return condition.replace(" IS NEW.", " IS NOT DISTINCT FROM NEW.") if dialect == "postgresql" else condition


def _condition(rule: Rule, op: str, dialect: str) -> str | None:
    checks = []
    if rule.shown is not None:
        if op == "UPDATE":
            checks.append(f"({_row(rule.shown, 'OLD')} OR {_row(rule.shown, 'NEW')})")
        else:
            checks.append(f"({_row(rule.shown, 'NEW' if op == 'INSERT' else 'OLD')})")
    if op == "UPDATE" and rule.columns:
        checks.append(f"({_changed(rule.columns, dialect)})")
    return " AND ".join(checks) or None


_BUMP = f"UPDATE catalog_generation SET value = value + 1 WHERE id = {ROW_ID}"
_UPSERT = ("INSERT INTO cache_scopes (scope, version) SELECT DISTINCT s, {version} FROM ({select}) AS moved"
           " WHERE s IS NOT NULL ON CONFLICT (scope) DO UPDATE SET version = excluded.version")
_PG_VERSION = "catalog_scopes_version"  # function: this transaction's generation, moved once


def _sqlite_ddl(rule: Rule) -> list[str]:
    statements = []
    for op in rule.ops:
        condition = _condition(rule, op, "sqlite")
        select = _scope_select(rule, op, "sqlite")
        upsert = _UPSERT.format(version=f"(SELECT value FROM catalog_generation WHERE id = {ROW_ID})",
                                select=select)
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {_trigger_name(rule.table)}_{op.lower()} AFTER {op} ON {rule.table}"
            + (f" WHEN {condition}" if condition else "")
            + f" BEGIN {_BUMP}; {upsert}; END"
        )
    return statements


def _pg_ddl(rule: Rule) -> list[str]:
    branches = []
    for op in rule.ops:
        condition = _condition(rule, op, "postgresql") or "true"
        upsert = _UPSERT.format(version=f"{_PG_VERSION}()", select=_scope_select(rule, op, "postgresql"))
        branches.append(f"IF TG_OP = '{op}' AND ({condition}) THEN\n        {upsert};\n    END IF;")
    body = "\n    ".join(branches)
    function = f"{_trigger_name(rule.table)}_fn"
    return [
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
BEGIN
    {body}
    RETURN NULL;
END $$ LANGUAGE plpgsql""",
        f"CREATE CONSTRAINT TRIGGER {_trigger_name(rule.table)} AFTER {' OR '.join(rule.ops)} ON {rule.table}"
        f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


_PG_VERSION_FUNCTION = f"""CREATE OR REPLACE FUNCTION {_PG_VERSION}() RETURNS bigint AS $$
DECLARE
    moved text := current_setting('marketplace.catalog_version', true);
    v bigint;
BEGIN
    IF coalesce(moved, '') <> '' THEN
        RETURN moved::bigint;
    END IF;
    {_BUMP} RETURNING value INTO v;
    PERFORM set_config('marketplace.catalog_version', v::text, true);
    RETURN v;
END $$ LANGUAGE plpgsql"""


def _trigger_name(table: str) -> str:
    return f"cache_scopes_{table}"


def trigger_ddl(dialect: str, rules: tuple[Rule, ...] = RULES) -> list[str]:
    """CREATE statements of the triggers (and PostgreSQL's functions)."""
    if dialect == "postgresql":
        return [_PG_VERSION_FUNCTION, *(s for rule in rules for s in _pg_ddl(rule))]
    return [s for rule in rules for s in _sqlite_ddl(rule)]


def drop_ddl(dialect: str, rules: tuple[Rule, ...] = RULES + RETIRED_RULES) -> list[str]:
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {_trigger_name(r.table)} ON {r.table}" for r in rules] + [
            f"DROP FUNCTION IF EXISTS {_trigger_name(r.table)}_fn()" for r in rules] + [
            f"DROP FUNCTION IF EXISTS {_PG_VERSION}()"]
    return [f"DROP TRIGGER IF EXISTS {_trigger_name(r.table)}_{op.lower()}" for r in rules for op in r.ops]


# The tables of migration 0015's triggers (before 0023 moved ocop_certifications into certifications).
_LEGACY_TABLES = ("products", "product_photos", "ocop_certifications", "rural_industry_recognitions", "sellers",
                  "categories", "areas", "area_aliases", "collections", "collection_items", "search_synonyms",
                  "search_outbox")


def drop_legacy_ddl(dialect: str) -> list[str]:
    """The triggers of migration 0015 (one generation for every write), replaced by 0017."""
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS catalog_generation_{t} ON {t}" for t in _LEGACY_TABLES] + [
            "DROP FUNCTION IF EXISTS catalog_generation_bump()"]
    return [f"DROP TRIGGER IF EXISTS catalog_generation_{t}_{op}" for t in _LEGACY_TABLES
            for op in ("insert", "update", "delete")]


def create_row(conn) -> None:  # noqa: ANN001
    """The generation row, if missing (a random epoch)."""
    exists = conn.execute(sa.text("SELECT 1 FROM catalog_generation WHERE id = :id"), {"id": ROW_ID}).first()
    if exists is None:
        conn.execute(sa.text("INSERT INTO catalog_generation (id, value, epoch) VALUES (:id, 0, :epoch)"),
                     {"id": ROW_ID, "epoch": secrets.token_hex(8)})


def present_rules(conn) -> tuple[Rule, ...]:  # noqa: ANN001
    """The rules whose table exists, limited to the columns that exist: an earlier
    migration (``0017_cache_scopes``) installs the triggers of the schema it has, and the
    migration that adds a table or a watched column installs them again."""
    from dataclasses import replace

    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    rules = []
    for rule in RULES:
        if rule.table not in tables:
            continue
        columns = {c["name"] for c in inspector.get_columns(rule.table)}
        rules.append(replace(
            rule,
            columns=None if rule.columns is None else tuple(c for c in rule.columns if c in columns),
            membership=tuple(c for c in rule.membership if c in columns),
        ))
    return tuple(rules)


def create_triggers(conn) -> None:  # noqa: ANN001
    """The generation row (if missing) and the triggers, on ``conn`` (a migration's or
    ``create_all``'s connection). Rules of tables a migration has not created yet are
    left for the migration that creates them (which calls this again)."""
    create_row(conn)
    rules = present_rules(conn)
    for statement in drop_ddl(conn.dialect.name, rules):
        conn.exec_driver_sql(statement)
    for statement in trigger_ddl(conn.dialect.name, _rules_for_schema(conn, rules)):
        conn.exec_driver_sql(statement)


def _rules_for_schema(conn, rules: tuple[Rule, ...] = RULES) -> tuple[Rule, ...]:  # noqa: ANN001
    """RULES with the watched columns the database has: an older migration's downgrade
    recreates the triggers on a schema without the columns later revisions added."""
    from dataclasses import replace

    inspector = sa.inspect(conn)
    out = []
    for rule in rules:
        if rule.columns:
            present = {c["name"] for c in inspector.get_columns(rule.table)}
            rule = replace(rule, columns=tuple(c for c in rule.columns if c in present),
                           membership=tuple(c for c in rule.membership if c in present))
        out.append(rule)
    return tuple(out)


def installed_triggers(conn) -> set[str]:  # noqa: ANN001
    """Names of the tables that have every scope trigger of their rule (checks, tests)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(sa.text(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE 'cache_scopes_%' AND NOT t.tgisinternal"
        ))
        return {r[0] for r in rows}
    rows = conn.execute(sa.text("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
                                " AND name LIKE 'cache_scopes_%'"))
    names: dict[str, int] = {}
    for table, _name in rows:
        names[table] = names.get(table, 0) + 1
    return {r.table for r in RULES if names.get(r.table) == len(r.ops)}


@event.listens_for(db.metadata, "after_create")
def _after_create(target, connection, **_kw) -> None:  # noqa: ANN001
    """``create_all`` (tests, a first run without migrations) installs them too."""
    if CatalogGeneration.__table__.name in target.tables:
        create_triggers(connection)


# ------------------------------------------------------------------------ reading

_READ = sa.text(f"SELECT value, epoch FROM catalog_generation WHERE id = {ROW_ID}")
_SCOPES_MAX = sa.text("SELECT max(version) FROM cache_scopes WHERE scope IN :scopes").bindparams(
    sa.bindparam("scopes", expanding=True))

Stamp = tuple[str, int]  # (epoch, value): equal stamps, equal catalog


def _core(session=None) -> sa.engine.Connection:  # noqa: ANN001
    """The Core connection of ``session`` (default: the request's), or ``session`` itself
    when it is one: these reads run on every cached page, and the ORM session's own
    ``execute`` was most of their cost."""
    session = session or db.session
    return session if isinstance(session, sa.engine.Connection) else session.connection()


def stamp(session=None) -> Stamp:  # noqa: ANN001
    """(epoch, generation) as this session's transaction sees them."""
    # On the driver's connection: read on every page, cached or not (SQLAlchemy's
    # execution path cost ~25 µs against ~5 µs for the statement). A constant statement.
    # A driver error is raised as SQLAlchemy's DBAPIError, as the ORM would raise it: the
    # error pages (a locked or unreachable database gives a 503) and the navigation read it.
    conn = _core(session)
    try:
        row = conn.connection.driver_connection.execute(_READ.text).fetchone()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(_READ.text, None, exc, conn.dialect.loaded_dbapi.Error) from exc
    return (row[1], int(row[0])) if row is not None else ("", 0)


def current(session=None) -> int:  # noqa: ANN001
    """The generation as this session's transaction sees it (0 before the first write)."""
    return stamp(session)[1]


def of_request(conn=None) -> Stamp:  # noqa: ANN001
    """The stamp as this request first read it — before any catalog data the request
    reads, so it is the ``as_of`` of whatever the request renders. Read on ``conn`` (the
    page cache's request connection) or the session."""
    noted = vars(g._get_current_object())
    seen = noted.get("catalog_generation")
    if seen is None:
        seen = noted["catalog_generation"] = stamp(conn)
    return seen


def latest(scopes: Iterable[str], session=None) -> int:  # noqa: ANN001
    """The highest version among ``scopes`` (0: never moved)."""
    names = sorted(set(scopes) | {ALL})
    return int(_core(session).execute(_SCOPES_MAX, {"scopes": names}).scalar() or 0)


def changed_since(as_of: int, scopes: Iterable[str], session=None) -> bool:  # noqa: ANN001
    return latest(scopes, session) > as_of


def moved_since(seen: Stamp, scopes: Iterable[str], session=None) -> bool:  # noqa: ANN001
    """Whether any of ``scopes`` moved after the stamp ``seen`` was read. One constant
    statement when the generation has not moved at all (no scope can have): the page
    cache asks this of every page it stores."""
    if stamp(session) == seen:
        return False
    return changed_since(seen[1], scopes, session)


def depends(*scopes: str) -> None:
    """Note that what this request renders depends on ``scopes`` (``"p:7"``, ``"lall"``…).
    The page cache stores them with the page; outside a request nothing happens."""
    if has_request_context():
        noted = g.get("catalog_scopes")
        if noted is None:
            noted = g.catalog_scopes = set()
        noted.update(scopes)


def noted_scopes() -> frozenset[str]:
    return frozenset(g.get("catalog_scopes") or ())


class Memo:
    """A value computed from the catalog and kept per process while its scopes do not
    move (the header's categories, the home figures): one statement per request at most
    after a catalog change, none before."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes
        self._value: object = None
        self._stamp: Stamp | None = None  # the generation last checked at
        self._as_of = -1

    def get(self, compute):  # noqa: ANN001, ANN201
        seen = of_request()
        depends(*self.scopes)
        if self._stamp is not None and self._stamp[0] == seen[0]:
            if self._stamp == seen or not changed_since(self._as_of, self.scopes):
                self._stamp = seen
                return self._value
        value = compute()
        self._value, self._stamp, self._as_of = value, seen, seen[1]
        return value


# ------------------------------------------------------------------------ writing


_SET_SCOPE = sa.text("INSERT INTO cache_scopes (scope, version) VALUES (:s, :v)"
                     " ON CONFLICT (scope) DO UPDATE SET version = excluded.version")


def bump_scopes(conn, scopes: Iterable[str]) -> None:  # noqa: ANN001
    """Move ``scopes`` explicitly, for writes the triggers do not see (a rebuild of the
    embedded search index, the popularity order after a rollup). Same lock order as the
    triggers: the generation row first."""
    names = sorted(set(scopes))
    if not names:
        return
    if conn.dialect.name == "postgresql":
        value = conn.execute(sa.text(f"SELECT {_PG_VERSION}()")).scalar()
    else:
        conn.execute(sa.text(_BUMP))
        value = current(conn)
    for name in names:
        conn.execute(_SET_SCOPE, {"s": name, "v": value})


def bump(conn) -> None:  # noqa: ANN001
    """Move everything (every cached page renders anew)."""
    bump_scopes(conn, [ALL])


def move_past(conn, seen: int) -> None:  # noqa: ANN001
    """Set it above both ``seen`` and its current value, and move everything (after a
    restore brought back an older number that running processes cached pages under)."""
    value = max(seen, current(conn)) + 1
    conn.execute(sa.text(f"UPDATE catalog_generation SET value = :v WHERE id = {ROW_ID}"), {"v": value})
    conn.execute(_SET_SCOPE, {"s": ALL, "v": value})
