"""Fixtures: a real database (PostgreSQL via TEST_DATABASE_URL, else SQLite) and a real Redis."""

from __future__ import annotations

import functools
import os
import re
import secrets
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from saas.embedded_redis import answers, start_embedded
from tests.outer_transaction import OuterTransaction, install

TEST_REDIS_DB = 13


# ---------- services -------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The machine's Redis (its own database number) if it answers, else an embedded one."""
    url = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{TEST_REDIS_DB}")
    if answers(url):
        yield url
        return
    proc, url = start_embedded(tmp_path_factory.mktemp("redis"), db=TEST_REDIS_DB)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Databases:
    """Creates throwaway databases for one test run and drops them at the end."""

    def __init__(self, base_url: str | None, tmpdir: Path):
        self.base_url = base_url
        self.tmpdir = tmpdir
        self.created: list[str] = []

    @property
    def is_postgres(self) -> bool:
        return bool(self.base_url) and self.base_url.startswith("postgresql")

    def new(self, label: str) -> str:
        if not self.is_postgres:
            return f"sqlite:///{self.tmpdir / (label + '.db')}"
        import psycopg

        name = f"aftersales_test_{label}_{secrets.token_hex(4)}"
        assert re.fullmatch(r"[a-z0-9_]+", name)
        url = make_url(self.base_url)
        with psycopg.connect(self._conninfo(url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return url.set(database=name).render_as_string(hide_password=False)

    @staticmethod
    def _conninfo(url) -> str:
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drops them all at once: each DROP DATABASE waits for a checkpoint (≈1.5-3 s on a busy machine),
        and concurrent drops share one, so the browser suite's ~20 databases go in seconds, not a minute."""
        if not self.created:
            return
        from concurrent.futures import ThreadPoolExecutor

        import psycopg

        conninfo = self._conninfo(make_url(self.base_url))

        def drop(name: str) -> None:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        with ThreadPoolExecutor(max_workers=min(8, len(self.created))) as pool:
            list(pool.map(drop, self.created))


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = Databases(os.environ.get("TEST_DATABASE_URL"), tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


def make_config(database_url: str, redis_url: str, **extra):
    from config import TestingConfig

    return type(
        "RunConfig",
        (TestingConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url,
            "UPLOAD_DIR": tempfile.mkdtemp(prefix="uploads-"),
            **extra,
        },
    )


# ---------- the app --------------------------------------------------------


@pytest.fixture(scope="session")
def app(databases, redis_url):
    from saas import create_app
    from saas.extensions import db

    install(db)  # every test's sessions join its outer transaction (see clean_state)
    app = create_app(make_config(databases.new("main"), redis_url))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def demo_app(databases, redis_url):
    """A second app on its own database where `flask demo seed` ran once, for tests that only read the demo data."""
    from saas import create_app
    from saas.extensions import db, redis

    app = create_app(make_config(databases.new("demo"), redis_url))
    with app.app_context():
        db.create_all()
        redis.client.flushdb()
    clear_process_caches()
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    clear_process_caches()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def seeded_demo(demo_app):
    """The seeded demo app, shared by the session: the test must leave every table's row count as it found it."""
    from saas.extensions import db
    from tenants.scoping import cross_tenant

    clear_process_caches()
    tables, _ = _tables_and_probe()
    count = text(" UNION ALL ".join(f'SELECT {i}, count(*) FROM "{name}"' for i, name in enumerate(tables)))
    with demo_app.app_context(), cross_tenant("test: demo row counts"):
        before = dict(db.session.execute(count).all())
        db.session.rollback()
    yield demo_app
    with demo_app.app_context(), cross_tenant("test: demo row counts"):
        db.session.remove()
        after = dict(db.session.execute(count).all())
        db.session.remove()
    changed = [tables[i] for i in before if before[i] != after[i]]
    assert not changed, f"a read-only demo test changed {changed}: give it the function-scoped `app` instead"
    clear_process_caches()


def _wipe(app) -> None:
    from saas.extensions import db

    with app.app_context():
        db.session.remove()
        tables, probe = _tables_and_probe()
        # One round trip finds the tables that hold rows; only those are emptied (children first).
        # DELETE beats TRUNCATE on tables this small (TRUNCATE pays a fixed cost per table on PostgreSQL).
        with db.engine.begin() as conn:
            dirty = {position for (position,) in conn.execute(probe)}
            for position, name in enumerate(tables):
                if position in dirty:
                    conn.execute(text(f'DELETE FROM "{name}"'))
    _empty_redis_and_caches(app)


def _empty_redis_and_caches(app) -> None:
    from saas.extensions import redis

    with app.app_context():
        redis.client.flushdb()
    clear_process_caches()


@functools.cache
def _tables_and_probe():
    """The tables, children before parents, and one query naming (by position) those that hold any row."""
    from saas.extensions import db

    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    probe = " UNION ALL ".join(f'SELECT {i} WHERE EXISTS (SELECT 1 FROM "{name}")' for i, name in enumerate(tables))
    return tables, text(probe)


def clear_process_caches() -> None:
    """The per-process caches and counts: another app of this process (e2e apps share tenant ids) starts clean."""
    from saas.caches import auto_assign, case_pages, pages, tenant_rows, worker_shops
    from saas.metrics import figures

    figures.clear()
    auto_assign.clear()
    pages.clear()
    case_pages.clear()
    tenant_rows.clear()
    worker_shops.clear()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "real_commits: the test's commits must reach the database (another connection, app, thread or process "
        "reads them, or it counts statements): tables are emptied with DELETE instead of a rollback",
    )


class _Tables:
    # Rows may have been committed for real (at the start of the run, after a `real_commits` test, or when a
    # rolled-back test found rows left): the next test empties the tables first.
    may_hold_rows = True


@pytest.fixture(autouse=True)
def clean_state(request):
    """Every test that uses the app starts from empty tables and an empty Redis database.

    By default its rows go with one rollback at its end (tests/outer_transaction.py); a test marked
    `real_commits` (and every fault and browser test: worker processes, a server thread) commits for real
    and the tables are emptied before it and before the next test.
    """
    if "app" not in request.fixturenames:
        yield
        return
    from saas.extensions import db

    app = request.getfixturevalue("app")
    if any(request.node.get_closest_marker(name) for name in ("real_commits", "faults", "e2e")):
        _Tables.may_hold_rows = True
        _wipe(app)
        yield
        return
    if _Tables.may_hold_rows:
        _wipe(app)
    else:
        _empty_redis_and_caches(app)
    with app.app_context():
        outer = OuterTransaction(db.engine)
    _Tables.may_hold_rows = True  # until the rollback below is known to have left nothing
    try:
        yield
    finally:
        outer.rollback()
        _Tables.may_hold_rows = outer.holds_rows(_tables_and_probe()[1])


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


# ---------- helpers --------------------------------------------------------

from tests.factories import *  # noqa: E402,F401,F403  (fixtures and factories)
