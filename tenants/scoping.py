"""Tenant isolation: the TenantScoped mixin, the ORM guard and scoped getters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TypeVar

from flask import abort
from sqlalchemy import ForeignKey, Table
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from sqlalchemy.sql import visitors

from saas.extensions import db

_tenant_id: ContextVar[int | None] = ContextVar("tenant_id", default=None)
_cross_tenant: ContextVar[str | None] = ContextVar("cross_tenant", default=None)

# The execution option that lets one statement read across tenants.
CROSS_TENANT = "cross_tenant"

M = TypeVar("M")


class TenantNotSet(RuntimeError):
    """A tenant-scoped query ran with no tenant and no explicit opt-out."""


class TenantScoped:
    """Mixin for every tenant-owned table: tenant_id NOT NULL, indexed."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True)


def current_tenant_id() -> int | None:
    return _tenant_id.get()


@contextmanager
def tenant_context(tenant_id: int | None) -> Iterator[None]:
    """Run a block (a job, a CLI command, a test) as one tenant."""
    token = _tenant_id.set(tenant_id)
    try:
        yield
    finally:
        _tenant_id.reset(token)


def bind_tenant(tenant_id: int | None):
    """Set the tenant for the rest of a request; reset with unbind_tenant(token)."""
    return _tenant_id.set(tenant_id)


def unbind_tenant(token) -> None:
    _tenant_id.reset(token)


@contextmanager
def cross_tenant(reason: str) -> Iterator[None]:
    """The named opt-out for audited cross-tenant work (sweepers, supervisors, operators)."""
    if not reason:
        raise ValueError("cross-tenant access needs a reason")
    token = _cross_tenant.set(reason)
    try:
        yield
    finally:
        _cross_tenant.reset(token)


def _is_scoped(mapper) -> bool:
    return issubclass(mapper.class_, TenantScoped)


@lru_cache(maxsize=1)
def _scoped_tables() -> frozenset:
    return frozenset(m.local_table for m in db.Model.registry.mappers if _is_scoped(m))


def _names_scoped_table(statement) -> bool:
    """Whether a tenant-owned table appears anywhere in the statement: in select_from(),
    a subquery or an EXISTS, where ORMExecuteState.all_mappers does not look."""
    scoped = _scoped_tables()
    return any(isinstance(element, Table) and element in scoped for element in visitors.iterate(statement))


@lru_cache(maxsize=4096)
def _tenant_criteria(tenant_id: int):
    # propagate_to_loaders=False: objects must not carry the option into later
    # refreshes, where it piled up once per reload in long-lived sessions;
    # relationship loads get their own criteria from the guard below.
    # The option is immutable: one per tenant is built once and reused.
    return with_loader_criteria(
        TenantScoped,
        lambda cls: cls.tenant_id == tenant_id,
        include_aliases=True,
        propagate_to_loaders=False,
    )


def guard_query(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(CROSS_TENANT) or _cross_tenant.get():
        return
    tenant_id = _tenant_id.get()
    if state.is_column_load:
        return  # refreshing an object an earlier, checked query admitted, by its primary key
    if state.is_relationship_load:
        # Related rows of an admitted object: still only the current tenant's.
        if tenant_id is not None:
            state.statement = state.statement.options(_tenant_criteria(tenant_id))
        return
    if not any(_is_scoped(m) for m in state.all_mappers) and not _names_scoped_table(state.statement):
        return
    if tenant_id is None:
        raise TenantNotSet("tenant-scoped query without a tenant; use tenant_context() or cross_tenant(reason)")
    state.statement = state.statement.options(_tenant_criteria(tenant_id))


def stamp_new_rows(session: Session, flush_context, instances) -> None:
    """New rows take the current tenant; a row for another tenant is refused."""
    if _cross_tenant.get():
        return
    tenant_id = _tenant_id.get()
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenantNotSet(f"new {type(obj).__name__} without a tenant")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantNotSet(f"new {type(obj).__name__} for another tenant")


def get_for_tenant_or_404(model: type[M], ident) -> M:
    """Fetch a tenant-owned row by primary key; another tenant's id is a 404, never a 403."""
    tenant_id = _tenant_id.get()
    if tenant_id is None:
        abort(404)
    try:
        obj = db.session.get(model, ident)
    except (ValueError, TypeError):
        abort(404)
    # The identity map can hand back a row loaded earlier under another
    # tenant, so the guard's criteria alone are not enough here.
    if obj is None or getattr(obj, "tenant_id", None) != tenant_id:
        abort(404)
    return obj
