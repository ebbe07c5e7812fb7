"""Column types and mixins shared by every model."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, func
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

_frozen: datetime | None = None


def utcnow() -> datetime:
    """The platform's clock; tests and simulations may set it with travel_to()."""
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextmanager
def travel_to(at: datetime) -> Iterator[None]:
    """Run a block as if it were `at` (aware); used by tests and by sweeps over simulated time."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("travel_to needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on PostgreSQL and SQLite alike.

    SQLite keeps no offset, so values are normalised to UTC before storing and
    tagged as UTC when read back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=func.now()
    )


def exists_on(dialect: str):
    """Alembic's include_object for a database of `dialect`: leaves out what `.ddl_if(dialect=…)` keeps off it
    (PostgreSQL's trigram index on SQLite), which autogenerate and schema comparisons would otherwise ask for."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)  # set by SchemaItem.ddl_if()
        return condition is None or condition.dialect is None or condition.dialect == dialect

    return include_object


def status_sql(column: str, values: type[StrEnum], nullable: bool = False) -> str:
    """SQL for a CHECK constraint: `column` holds one of the enum's values (or NULL)."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    condition = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


def status_check(column: str, values: type[StrEnum], nullable: bool = False) -> CheckConstraint:
    """The constraint for a model's __table_args__, named ck_<table>_<column> by the naming convention."""
    return CheckConstraint(status_sql(column, values, nullable), name=column)
