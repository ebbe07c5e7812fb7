"""SLA breaches as case events: the sweep finds clocks past due, records each breach on its case,
escalates where the clock calls for it and alerts the managers once.

The clocks themselves (which start, pause and stop on which event) are saas.services.sla.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.sla import SlaClock
from saas.services import case_events, cases, policies, sla
from tenants.calendar import BusinessCalendar
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tenants.terms import Terms

# ---------------------------------------------------------------- the sweep


def _due_batches(now: datetime, batch: int) -> Iterator[list[int]]:
    """Ids of running clocks past due, in id order, a batch at a time (never all in memory)."""
    last = 0
    while True:
        with cross_tenant("SLA sweep"):
            ids = db.session.scalars(
                select(SlaClock.id)
                .where(SlaClock.state == "running", SlaClock.due_at < now, SlaClock.id > last)
                .order_by(SlaClock.id)
                .limit(batch)
            ).all()
        if not ids:
            return
        yield list(ids)
        last = ids[-1]


def sweep(
    now: datetime | None = None,
    batch: int = 500,
    notify: Callable[[Case, SlaClock], None] | None = None,
    end_batch: Callable[[], None] | None = None,
) -> int:
    """Mark clocks breached, record it on the case and alert the managers once; idempotent.

    After each batch `end_batch` runs: the job passes `db.session.commit` (one transaction per
    batch; the committed rows can then leave memory); by default the batch is only flushed.
    """
    now = now or utcnow()
    end_batch = end_batch or db.session.flush
    count = 0
    for ids in _due_batches(now, batch):
        with cross_tenant("SLA sweep"):
            clocks = db.session.scalars(
                select(SlaClock).where(SlaClock.id.in_(ids)).with_for_update(skip_locked=True)
            ).all()
        shared = _Batch(clocks)
        for clock in clocks:
            if clock.state != "running" or clock.due_at >= now:
                continue  # another sweeper got here first
            with tenant_context(clock.tenant_id):
                breach(clock, now, notify, shared.terms)
            count += 1
        # The identity map holds rows weakly: once a batch's list goes (and end_batch committed), its rows can go too.
        end_batch()
    return count


class _Batch:
    """What a batch's breaches share, read once for the batch instead of once per breach.

    The cases of the batch's clocks with all their clocks (two queries; each breach
    used to load its case, then the case's clocks), and the shops' rows, held here
    so that every db.session.get(Tenant, …) down the line finds them in the identity
    map (which keeps only what someone holds). Each shop's terms and business
    calendar are worked out at its first escalation in the batch.
    """

    def __init__(self, clocks: list[SlaClock]):
        case_ids = {c.case_id for c in clocks}
        with cross_tenant("SLA sweep"):
            self.cases = (
                db.session.scalars(select(Case).where(Case.id.in_(case_ids)).options(selectinload(Case.clocks))).all()
                if case_ids
                else []
            )
            tenant_ids = {c.tenant_id for c in clocks}
            self.tenants = (
                db.session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids))).all() if tenant_ids else []
            )
        self._terms: dict[int, tuple[Terms, BusinessCalendar]] = {}

    def terms(self, case: Case) -> tuple[Terms, BusinessCalendar]:
        if case.tenant_id not in self._terms:
            self._terms[case.tenant_id] = policies.service_terms(case)
        return self._terms[case.tenant_id]


def breach(
    clock: SlaClock,
    now: datetime,
    notify: Callable[[Case, SlaClock], None] | None = None,
    terms: Callable[[Case], tuple[Terms, BusinessCalendar]] | None = None,
) -> None:
    """terms: the case's terms and calendar when the caller already has them (a sweep, per shop)."""
    clock.state, clock.breached_at = "breached", clock.due_at
    # Marked before anything is flushed, so the clock is written once; the alert goes out below.
    alert, clock.breach_notified = not clock.breach_notified, True
    case = clock.case
    case_events.record(
        case,
        "sla_breached",
        actor_type="system",
        data={"clock": clock.kind, "due_at": clock.due_at.isoformat()},
        note=f"{clock.kind} due {clock.due_at.isoformat()}",
        apply_clocks=False,
    )
    if clock.kind in ("complaint_feedback", "emergency", "general") and not case.escalated and case.is_open:
        cases.escalate(
            case,
            None,
            note=f"SLA breached: {clock.kind}",
            actor_type="system",
            terms_and_calendar=terms(case) if terms is not None else None,
        )
    if alert and notify is not None:
        notify(case, clock)
    sla.refresh_due(case)
