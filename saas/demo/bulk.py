"""Writing the load-test generator's rows in bulk: ids allocated up front, COPY on PostgreSQL, executemany elsewhere.

The rows are consistent by construction (`saas.demo.generate` gives every row its id and its
foreign keys), so nothing here goes through the ORM: a million cases take minutes, not hours.
"""

from __future__ import annotations

import json

from sqlalchemy import JSON, func, select, text

from saas.extensions import db
from tenants.scoping import cross_tenant


class Defaults:
    """Per table: column names, and what a column left out gets (its scalar or callable default)."""

    def __init__(self, table):
        self.table = table
        self.columns = [c.name for c in table.columns]
        self.json = {c.name for c in table.columns if isinstance(c.type, JSON)}
        self.fill: dict[str, object] = {}
        for c in table.columns:
            d = c.default
            if d is None:
                self.fill[c.name] = None
            elif d.is_scalar:
                self.fill[c.name] = d.arg
            elif d.is_callable:
                self.fill[c.name] = d.arg(None)
            else:
                self.fill[c.name] = None


def first_free_ids(models) -> dict[str, int]:
    """Per table, the first id past every tenant's rows: the generator numbers its rows from there."""
    next_id = {}
    with cross_tenant("demo generate: allocate ids past every tenant's rows"):
        for model in models:
            next_id[model.__table__.name] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
    db.session.commit()
    return next_id


def write(rows: dict[str, list[dict]], defaults: dict[str, Defaults]) -> None:
    """One transaction per chunk, tables in foreign-key order."""
    with db.engine.begin() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            _skip_fk_triggers(conn)
        for name, batch in rows.items():
            if not batch:
                continue
            d = defaults[name]
            if postgres:
                raw = conn.connection.driver_connection
                cols = d.columns
                with raw.cursor() as cur:
                    with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(
                                [
                                    (
                                        json.dumps(row[c] if c in row else d.fill[c], ensure_ascii=False)
                                        if c in d.json
                                        else (row[c] if c in row else d.fill[c])
                                    )
                                    for c in cols
                                ]
                            )
            else:
                full = [{c: (row[c] if c in row else d.fill[c]) for c in d.columns} for row in batch]
                conn.execute(d.table.insert(), full)


def _skip_fk_triggers(conn) -> None:
    """Foreign-key triggers fire per row and dominate a COPY; the rows are consistent by construction.

    Needs a superuser (or replication rights); otherwise the checks simply run.
    """
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
    except Exception:  # not allowed: keep the checks
        pass


def reset_sequences(models) -> None:
    """Ids were allocated by the generator: move PostgreSQL's sequences past them."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for model in models:
            name = model.__table__.name
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {name}))"
                )
            )
