"""Per-test isolation by rollback: a test that uses `app` runs inside one transaction, rolled back at its end.

SQLAlchemy's recipe "Joining a Session into an External Transaction": the test holds one connection with an
outer transaction, and every session of the app (Flask-SQLAlchemy makes one per app context: the test's, each
test-client request's, a CLI command's) runs on that connection with join_transaction_mode="create_savepoint".
The app's own commit() then releases a SAVEPOINT instead of committing; the session's transaction still ends
as committed, so the `after_commit` listeners of saas/session_hooks.py run as in production (caches dropped,
jobs enqueued), and a rollback() rolls back to the savepoint (`after_soft_rollback` sees the outermost
session transaction). Other sessions of the test see the released rows: they share the connection.

What this cannot give, and why such tests are marked `real_commits` (tables emptied with DELETE instead, see
conftest.py): another connection (a second app, `db.engine.begin()`, a thread, a subprocess, a browser's
server) does not see the uncommitted rows and would wait on their locks; the extra SAVEPOINT/RELEASE
statements show in tests that count statements; the connection cannot switch to autocommit.

Flask-SQLAlchemy 3.1's `Session.get_bind` returns the app's engine and ignores a `bind=` session option, so
`JoinedSession` maps that engine to the test's connection instead; sessions of any other engine (another
app, the demo app) are untouched.
"""

from __future__ import annotations

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import Connection, Engine

# The app engine whose sessions join the running test's outer transaction, and that transaction's connection.
_joined: dict[Engine, Connection] = {}


class JoinedSession(FlaskSession):
    """db.session's class in tests: while a test holds an outer transaction on the engine, runs on its connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        chosen = super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
        return _joined.get(chosen, chosen)

    def connection(self, bind_arguments=None, execution_options=None):
        # A connection inside a transaction cannot switch to autocommit (workers/outbox.py asks for it when
        # its statement is a transaction of its own): here the statement runs in the savepoint instead.
        if execution_options and "isolation_level" in execution_options and self._bound_to_test():
            execution_options = {k: v for k, v in execution_options.items() if k != "isolation_level"}
        return super().connection(bind_arguments=bind_arguments, execution_options=execution_options or None)

    def _bound_to_test(self) -> bool:
        return any(conn is self.get_bind() for conn in _joined.values())


def install(db) -> None:
    """Make every new session of `db` a JoinedSession that joins an outer transaction with a savepoint."""
    factory = db.session.session_factory
    if not issubclass(factory.class_, JoinedSession):
        factory.class_ = type("Session", (JoinedSession,), {})
        factory.configure(join_transaction_mode="create_savepoint")


class OuterTransaction:
    """One connection and its transaction; every session of `engine` runs inside it until `rollback`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.conn = engine.connect()
        self.sqlite = engine.dialect.name == "sqlite"
        self.driver = self.conn.connection.driver_connection
        if self.sqlite:
            # pysqlite begins a transaction only before a write, so the app's first SAVEPOINT would open one
            # of its own and its RELEASE would commit. The driver leaves transactions to us: we begin it.
            self.isolation = self.driver.isolation_level
            self.driver.isolation_level = None
        self.outer = self.conn.begin()
        if self.sqlite:
            self.conn.exec_driver_sql("BEGIN")
        _joined[engine] = self.conn

    def rollback(self) -> None:
        del _joined[self.engine]
        self.outer.rollback()
        if self.sqlite:
            self.driver.isolation_level = self.isolation

    def holds_rows(self, probe) -> bool:
        """After the rollback: does any table still hold rows (committed by another connection)? Closes."""
        try:
            return self.conn.execute(probe).first() is not None
        finally:
            self.conn.rollback()
            self.conn.close()
