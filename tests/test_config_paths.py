"""A relative SQLite URL is relative to the project root, as the README documents."""

from __future__ import annotations

import secrets

from sqlalchemy import text

from config import BASE_DIR, database_url
from tests.conftest import make_config


def test_relative_sqlite_paths_are_made_absolute_against_the_project_root():
    assert database_url("sqlite:///instance/aftersales.db") == f"sqlite:///{BASE_DIR}/instance/aftersales.db"
    assert database_url("sqlite:///data/a b.db") == f"sqlite:///{BASE_DIR}/data/a b.db"
    assert database_url("sqlite+pysqlite:///x.db?timeout=5") == f"sqlite+pysqlite:///{BASE_DIR}/x.db?timeout=5"


def test_other_urls_are_left_alone():
    for url in (
        "sqlite:////var/lib/aftersales/a.db",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://app:pw@db.internal:5432/aftersales",
    ):
        assert database_url(url) == url


def test_the_documented_default_opens_the_file_under_the_project_instance_folder(redis_url):
    from saas import create_app
    from saas.extensions import db

    name = f"relative-{secrets.token_hex(4)}.db"
    expected = BASE_DIR / "instance" / name
    app = create_app(make_config(database_url(f"sqlite:///instance/{name}"), redis_url))
    try:
        with app.app_context():
            db.session.execute(text("CREATE TABLE probe (id INTEGER)"))
            db.session.commit()
            assert db.engine.url.database == str(expected)
            db.engine.dispose()
        assert expected.is_file()
        assert not (BASE_DIR / "instance" / "instance" / name).exists()
    finally:
        for suffix in ("", "-wal", "-shm"):
            (BASE_DIR / "instance" / (name + suffix)).unlink(missing_ok=True)
