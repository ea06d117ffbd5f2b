"""Configuration layering: defaults → instance/config.py → environment → test overrides."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask


class Defaults:
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled from instance path if unset
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SEARCH_BACKEND: str | None = None  # "sqlite" | "meilisearch" | "database"
    MEILI_URL: str | None = None
    MEILI_API_KEY: str | None = None
    MEILI_INDEX: str = "products"
    MEILI_TIMEOUT: float = 5.0
    MAX_CONTENT_LENGTH = 12 * 1024 * 1024  # photos are ≤ 10 MB; a little room for the form
    UPLOAD_FOLDER: str | None = None  # default: instance/uploads
    MAIL_FOLDER: str | None = None  # default: instance/mail
    MAIL_BACKEND: str = "file"  # "file" | "smtp"
    MAIL_DEFAULT_SENDER: str = "san-ocop@localhost"
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS: bool = True
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # default: True when SITE_URL is https (env SESSION_COOKIE_SECURE=1)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE: bool | None = None  # default: SESSION_COOKIE_SECURE (every cookie alike)
    WTF_CSRF_TIME_LIMIT = None
    SITE_NAME = "Sàn OCOP Thái Nguyên"
    PREFERRED_URL_SCHEME = "http"  # follows SITE_URL's scheme
    SITE_URL: str | None = None  # every absolute URL; default http://127.0.0.1:5000 (development)
    TRUSTED_PROXIES = 0  # reverse proxies in front; 0: X-Forwarded-For is ignored
    PER_PAGE = 24
    DEMO_ACCOUNTS_FILE: str | None = None  # default: instance/demo-accounts.txt
    # "production" refuses to start without SECRET_KEY; anything else is development.
    APP_ENV: str = "development"
    LOG_LEVEL: str = "INFO"  # level of the marketplace.* loggers (libraries log from WARNING)
    REQUEST_LOG: bool = True  # one JSON line per request on the marketplace.request logger
    HSTS_SECONDS: int = 31536000  # Strict-Transport-Security on HTTPS responses; 0 = off
    SQLITE_BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for another before "database is locked"
    UPLOADS_PER_HOUR: int = 60  # pictures per account per hour (media.services.reserve_uploads)
    IMAGE_DECODE_CONCURRENCY: int = 2  # picture decodes at once per process
    IMAGE_DECODE_WAIT_SECONDS: int = 30  # then a "busy" message
    PAGE_CACHE: bool = True  # rendered buyer pages for anonymous visitors (web/pagecache/)
    PAGE_CACHE_MAX_BYTES: int = 64 * 1024 * 1024  # per process (keys and notes counted), least recently used dropped
    PAGE_CACHE_DIR: str | None = None  # pages shared by the processes of a machine; default instance/pagecache, "off" = none
    PAGE_CACHE_DIR_MAX_BYTES: int = 512 * 1024 * 1024  # the whole shared folder, every process together
    PAGE_CACHE_PROCESS_HEADERS: bool = False  # X-Page-Rendered-By / X-Served-By (tests of the multi-worker topology)


_ENV_STRINGS = (
    "SECRET_KEY",
    "SEARCH_BACKEND",
    "MEILI_URL",
    "MEILI_API_KEY",
    "MEILI_INDEX",
    "UPLOAD_FOLDER",
    "MAIL_FOLDER",
    "MAIL_BACKEND",
    "MAIL_DEFAULT_SENDER",
    "SMTP_HOST",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "SERVER_NAME",
    "DEMO_ACCOUNTS_FILE",
    "APP_ENV",
    "LOG_LEVEL",
    "SITE_URL",
    "PAGE_CACHE_DIR",
)
_ENV_BOOLS = ("SESSION_COOKIE_SECURE", "SMTP_STARTTLS", "REQUEST_LOG", "PAGE_CACHE", "PAGE_CACHE_PROCESS_HEADERS")
_ENV_INTS = ("SMTP_PORT", "HSTS_SECONDS", "TRUSTED_PROXIES", "UPLOADS_PER_HOUR", "IMAGE_DECODE_CONCURRENCY",
             "IMAGE_DECODE_WAIT_SECONDS", "PAGE_CACHE_MAX_BYTES",
             "PAGE_CACHE_DIR_MAX_BYTES")
_ENV_FLOATS = ("SQLITE_BUSY_TIMEOUT",)


def _normalise_db_url(url: str) -> str:
    # Heroku-style URLs and bare "postgresql://" use psycopg 3, the driver we install.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _persistent_secret(instance: Path) -> str:
    """A random secret kept in instance/secret_key so sessions survive restarts."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def is_production(app: Flask) -> bool:
    """Production is what ``APP_ENV=production`` says, and only that: ``make run`` on a
    laptop (gunicorn, no debug) stays development and keeps its instance/secret_key."""
    return str(app.config.get("APP_ENV") or "").strip().lower() == "production"


def _site_config(app: Flask) -> None:
    """SITE_URL (checked, no trailing slash) sets the URL scheme and, unless set, whether
    cookies are Secure; the remember-me cookie follows the session cookie;
    TRUSTED_PROXIES is a whole number ≥ 0."""
    from .web.site import DEFAULT_SITE_URL, check_site_url

    app.config["SITE_URL"] = check_site_url(app.config.get("SITE_URL") or DEFAULT_SITE_URL)
    app.config["PREFERRED_URL_SCHEME"] = app.config["SITE_URL"].split(":", 1)[0]
    if app.config.get("SESSION_COOKIE_SECURE") is None:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PREFERRED_URL_SCHEME"] == "https"
    if app.config.get("REMEMBER_COOKIE_SECURE") is None:
        app.config["REMEMBER_COOKIE_SECURE"] = bool(app.config["SESSION_COOKIE_SECURE"])
    proxies = app.config.get("TRUSTED_PROXIES") or 0
    if isinstance(proxies, bool) or not isinstance(proxies, int) or proxies < 0:
        raise RuntimeError(f"TRUSTED_PROXIES={proxies!r} must be a whole number of proxies (0 without one).")


def load_config(app: Flask, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        env = os.environ
        if env.get("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
        for key in _ENV_STRINGS:
            if env.get(key):
                app.config[key] = env[key]
        for key in _ENV_BOOLS:
            if key in env:
                app.config[key] = env[key].lower() in ("1", "true", "yes", "on")
        for key in _ENV_INTS:
            if env.get(key):
                app.config[key] = int(env[key])
        for key in _ENV_FLOATS:
            if env.get(key):
                app.config[key] = float(env[key])
    else:
        app.config.update(test_config)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'marketplace.sqlite'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite: wait for a writer instead of failing with "database is locked".
        # (A configured connect_args timeout wins: the fault tests use a short one.)
        connect_args = dict((app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("connect_args") or {})
        connect_args.setdefault("timeout", float(app.config["SQLITE_BUSY_TIMEOUT"]))
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": connect_args}
    if not app.config.get("SECRET_KEY"):
        if is_production(app):
            raise RuntimeError(
                "APP_ENV=production needs SECRET_KEY: set it in the environment or instance/config.py "
                "(e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'); "
                "it signs sessions and must be the same on every instance."
            )
        app.config["SECRET_KEY"] = _persistent_secret(instance)
    app.config.setdefault("UPLOAD_FOLDER", None)
    app.config["UPLOAD_FOLDER"] = app.config["UPLOAD_FOLDER"] or str(instance / "uploads")
    app.config["MAIL_FOLDER"] = app.config.get("MAIL_FOLDER") or str(instance / "mail")
    _site_config(app)

    backend = app.config.get("SEARCH_BACKEND")
    if not backend:
        backend = "sqlite" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "database"
        app.config["SEARCH_BACKEND"] = backend
    if backend not in ("sqlite", "meilisearch", "database"):
        raise RuntimeError(
            f"SEARCH_BACKEND={backend!r} is not supported; use sqlite, meilisearch or database."
        )
    if backend == "meilisearch" and not app.config.get("MEILI_URL"):
        raise RuntimeError("SEARCH_BACKEND=meilisearch needs MEILI_URL (e.g. http://127.0.0.1:7700).")
    if backend == "sqlite" and not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise RuntimeError("SEARCH_BACKEND=sqlite needs a SQLite database; use meilisearch or database.")
