"""OCOP trade marketplace: the application factory."""
from __future__ import annotations

import importlib

from flask import Flask

from .config import load_config
from .web.site import MarketplaceFlask

# Feature packages whose ``views.bp`` blueprint is registered, in this order.
FEATURES = (
    "catalog",
    "sellers",
    "search",
    "api",
    "accounts",
    "dashboard",
    "inquiries",
    "media",
    "imports",
    "labels",
    "traceability",
    "staff",
    "collections",
    "analytics",
    "ops",
    "sourcing",
    "certifications",
    "seasons",
    "alerts",
)


def create_app(test_config: dict | None = None) -> Flask:
    app = MarketplaceFlask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    load_config(app, test_config)
    from .web.site import init_site
    init_site(app)

    from .ops import init_ops
    init_ops(app)  # logging, request ids and the request log, HSTS

    from .extensions import babel, csrf, db, login_manager, migrate
    from . import models  # noqa: F401  (every model registered before migrate/search)

    db.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and app.config.get("SQLITE_WAL", True):
        from sqlalchemy import event

        from .extensions import tune_sqlite

        with app.app_context():
            event.listen(db.engine, "connect", tune_sqlite)
    from .extensions import release_request_connection

    app.teardown_request(release_request_connection)
    migrate.init_app(app, db, directory=str((app.root_path + "/../migrations")))
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import i18n
    babel.init_app(app, locale_selector=i18n.selected_locale, timezone_selector=i18n.select_timezone)
    i18n.install_template_gettext(app)

    from .web import init_web
    init_web(app)

    from .media import init_media
    init_media(app)

    from .mail import init_mail
    init_mail(app)

    from .search import init_search
    init_search(app)

    for feature in FEATURES:
        views = importlib.import_module(f"{__name__}.{feature}.views")
        app.register_blueprint(views.bp)

    from .web.pagecache import init_pagecache
    init_pagecache(app)  # after the blueprints: its hooks wrap analytics' (see the module)

    from .cli import init_cli
    init_cli(app)

    from .jobs import init_jobs
    init_jobs(app)  # the periodic jobs (started in gunicorn workers by gunicorn.conf.py)

    from .web.errors import init_errors
    init_errors(app)
    return app
