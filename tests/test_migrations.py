"""Alembic: one head, and upgrading an empty database gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from saas import create_app
from saas.extensions import db
from saas.models.base import exists_on
from tests.conftest import make_config


def test_single_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_upgrade_from_empty_matches_models(databases, redis_url):
    fresh = create_app(make_config(databases.new("migrations"), redis_url))
    with fresh.app_context():
        upgrade()
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_object": exists_on(conn.dialect.name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        db.engine.dispose()
    assert diff == []
