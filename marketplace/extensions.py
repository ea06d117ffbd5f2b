"""Flask extensions, created unbound and attached in create_app()."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel
from flask_login import LoginManager
from flask_login.config import AUTH_HEADER_NAME, COOKIE_NAME
from flask_login.signals import user_accessed
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import SingletonThreadPool, StaticPool

# Stable constraint names so Alembic migrations are reproducible on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
class MarketplaceLoginManager(LoginManager):
    """Flask-Login's, with an anonymous newcomer's case first. For a request with an
    empty session, no remember-me cookie, no auth header and no request loader,
    Flask-Login's own ``_load_user`` hashes the address and User-Agent for session
    protection (which it then skips: the session is empty) and ends with the anonymous
    user; so does this, without the hash. Every cached page asks this once."""

    def _load_user(self):  # noqa: ANN202 — Flask-Login's
        if self._request_callback is None and self._user_callback is not None and not session:
            req = request._get_current_object()
            config = current_app.config
            if (config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) not in req.cookies
                    and config.get("AUTH_HEADER_NAME", AUTH_HEADER_NAME) not in req.headers):
                user_accessed.send(current_app._get_current_object())
                return self._update_request_context_with_user()
        return super()._load_user()


login_manager = MarketplaceLoginManager()
csrf = CSRFProtect()
babel = Babel()


def tune_sqlite(dbapi_connection, _record) -> None:  # noqa: ANN001
    """SQLite connections: write-ahead log (readers never block the writer, the writer
    never blocks readers) and ``synchronous=NORMAL`` (a commit appends to the log without
    an fsync; durable across a crash of the app, the last commits may be lost on power
    loss). Without it every counted page view paid a journal fsync (tens of ms).
    ``SQLITE_WAL = False`` keeps SQLite's defaults (e.g. on a network file system)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()


def request_connection(*, open_one: bool = True):  # noqa: ANN201 — sqlalchemy.engine.Connection or None
    """This request's own connection (from the engine's pool) for the few constant
    statements a page served from the cache runs — the catalog stamp, the view counter's
    writes and their commit — apart from the ORM session, whose transaction bookkeeping
    cost more than those statements: a cache hit never touches the session at all. The
    page cache opens it for a cacheable request and gives it back as soon as the page
    has to be rendered (``release_request_connection``), so a request never holds two
    connections of the pool (a burst of requests would run the pool dry). Its reads and
    the session's see the same committed data (each statement reads the latest commit:
    SQLite outside a write, PostgreSQL's READ COMMITTED).

    ``open_one=False``: the one already open, or None. None outside a request, and on an
    engine whose pool hands one thread the same connection twice (an in-memory SQLite
    database): callers use the session then."""
    if not has_request_context():
        return None
    noted = vars(g._get_current_object())
    conn = noted.get("_request_connection")
    if conn is None and open_one:
        engine = db.engine
        if isinstance(engine.pool, (SingletonThreadPool, StaticPool)):
            return None
        conn = noted["_request_connection"] = engine.connect()
    return conn


def release_request_connection(_exc=None) -> None:  # noqa: ANN001
    """The request connection back to the pool (uncommitted work of it, as after an
    error, rolled back): when the page is to be rendered, and at teardown_request."""
    conn = g.pop("_request_connection", None)
    if conn is not None:
        conn.close()
