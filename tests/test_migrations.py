"""`flask db upgrade` alone must build the schema the models describe."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db
from tests.conftest import TEST_DATABASE_URL, make_test_config


def _schema_diff(app) -> list:
    with app.app_context():
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            dialect = conn.dialect.name
    # Tables the search engine owns (FTS5 shadow tables) are not in the models; an index
    # declared for one dialect only (the pg_trgm index: Index(...).ddl_if) exists only there.
    return [
        d
        for d in diff
        if not (d[0] == "remove_table" and d[1].name not in db.metadata.tables)
        and not (d[0] == "remove_index" and d[1].table.name not in db.metadata.tables)
        and not (d[0] == "add_index" and _only_on_other_dialect(d[1], dialect))
    ]


def _only_on_other_dialect(index, dialect: str) -> bool:
    ddl_if = getattr(index, "_ddl_if", None)
    if ddl_if is None:  # autogenerate may hand back a copy: look the model's index up
        model = db.metadata.tables[index.table.name]
        ddl_if = next((i._ddl_if for i in model.indexes if i.name == index.name), None)
    only = getattr(ddl_if, "dialect", None)
    return only is not None and only != dialect


def _fresh_app(tmp_path):
    app = create_app(make_test_config(tmp_path))
    if TEST_DATABASE_URL:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return app


def _dispose(app) -> None:
    with app.app_context():
        db.engine.dispose()


def test_upgrade_from_empty_matches_models(tmp_path):
    app = _fresh_app(tmp_path)
    with app.app_context():
        upgrade()
    assert _schema_diff(app) == []
    _dispose(app)


def test_downgrade_to_base_and_up_again(tmp_path):
    app = _fresh_app(tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        names = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert not (names & set(db.metadata.tables))
        upgrade()
    assert _schema_diff(app) == []
    _dispose(app)
