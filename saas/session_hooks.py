"""Every listener on SQLAlchemy's `Session`, registered in one place, in the order they run.

`create_app` calls `register` (so the web, the worker and the CLI get the same hooks);
importing a module registers nothing. SQLAlchemy runs the listeners of one event in the
order they were registered, which is the order of `LISTENERS` below.

Not here, because they belong to a table's definition rather than to a transaction: the
immutability guards on `CaseEvent` and `PolicyVersion` rows (mapper events in their model
modules), the DDL event in `saas/models/case.py`, and SQLite's connection pragmas
(`saas/database.py`, on the engine).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from saas import queues
from saas.caches import auto_assign, case_pages, pages, tenant_rows, tokens, worker_shops
from saas.services import case_evidence
from tenants import scoping


def _shops_changed(tenant_ids: set[int]) -> None:
    """A commit touched these shops' rows, policy versions or message templates."""
    tenant_rows.forget(tenant_ids)  # this process's copies go at once …
    pages.forget(tenant_ids)
    worker_shops.forget(tenant_ids)
    auto_assign.forget(tenant_ids)
    tokens.delete(tokens.current_redis(), tenant_ids)  # … every other process's at its next check


shop_changes = tokens.Invalidation("tenants", tokens.touched_shops, _shops_changed)
case_changes = tokens.Invalidation("cases", case_pages.touched_cases, case_pages.invalidate)

# (event, listener, why it is there and why at this place)
LISTENERS: tuple[tuple[str, Callable, str], ...] = (
    (
        "do_orm_execute",
        scoping.guard_query,
        "the tenant guard: every ORM SELECT/UPDATE/DELETE of tenant data is limited to the "
        "current tenant, or refused when none is set (fail closed)",
    ),
    (
        "before_flush",
        scoping.stamp_new_rows,
        "new rows take the current tenant, another tenant's are refused; first, because the "
        "collectors below read the rows' tenant_id",
    ),
    (
        "before_flush",
        shop_changes.collect,
        "note the shops whose cached data (row, policy versions, templates) this flush changes",
    ),
    ("before_flush", case_changes.collect, "note the cases whose kept pages this flush changes"),
    (
        "after_commit",
        shop_changes.after_commit,
        "drop the changed shops' copies and delete their cache tokens; before any enqueue, so a "
        "job started at once cannot trust a stale copy",
    ),
    ("after_commit", case_changes.after_commit, "drop the changed cases' kept pages and delete their tokens"),
    (
        "after_commit",
        queues.flush_pending,
        "enqueue the jobs the transaction asked for (enqueue_after_commit), now that the rows exist",
    ),
    ("after_commit", case_evidence.keep_written_files, "evidence files written in the transaction stay"),
    ("after_rollback", shop_changes.forget, "nothing was committed: no shop changed"),
    ("after_rollback", case_changes.forget, "nothing was committed: no case changed"),
    ("after_soft_rollback", queues.drop_pending, "the outermost transaction rolled back: its jobs are not enqueued"),
    (
        "after_soft_rollback",
        case_evidence.remove_written_files,
        "the outermost transaction rolled back: remove the evidence files it wrote",
    ),
)


def register(app=None) -> None:
    """Register every listener on `Session` (once per process: later calls add nothing)."""
    for name, listener, _why in LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def registered() -> list[tuple[str, Callable]]:
    """The listeners of `LISTENERS` that are registered now, in their order."""
    return [(name, listener) for name, listener, _why in LISTENERS if event.contains(Session, name, listener)]
