"""Service-level clocks: which start and stop on which case event, pauses, breaches and escalation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterator

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import WAITING_ON_CONSUMER, Case, CaseEvent
from saas.models.sla import SlaClock
from tenants.calendar import BusinessCalendar
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tenants.terms import Terms

CLOCK_LABELS = {
    "first_response": _l("First response"), "message_response": _l("Reply to the customer's message"),
    "emergency": _l("Emergency response (24/7)"), "consultation": _l("Answer the question"),
    "quality_proposal": _l("Propose a solution"), "quality_execution": _l("Carry out the solution"),
    "inspection": _l("Inspect the returned parcel"), "return_processing": _l("Process the return or exchange"),
    "complaint_feedback": _l("Feed back the complaint result"), "general": _l("Resolve the case"),
}
STATE_LABELS = {"running": _l("running"), "paused": _l("paused"), "met": _l("met"), "breached": _l("breached")}

# Staff events that put a human answer in front of the customer.
RESPONSES = {"accepted", "info_requested", "return_requested", "verified", "proposed", "rejected", "staff_message",
             "refund_paid", "replacement_shipped", "repair_done", "compensation_paid", "explained", "closed"}
RESOLUTIONS = {"refund_paid", "replacement_shipped", "repair_done", "compensation_paid", "explained", "rejected", "closed"}

# event kind → clocks it stops (met, or stays breached).
STOPS = {
    **{kind: {"first_response", "message_response", "emergency"} for kind in RESPONSES},
}
for _kind in ("proposed", "rejected", "staff_message", "explained", "closed"):
    STOPS[_kind] = STOPS[_kind] | {"consultation"}
for _kind in ("proposed", "rejected", "closed"):
    STOPS[_kind] = STOPS[_kind] | {"quality_proposal", "complaint_feedback"}
for _kind in RESOLUTIONS:
    STOPS[_kind] = STOPS[_kind] | {"quality_execution", "return_processing", "general", "complaint_feedback",
                                   "quality_proposal", "inspection"}
STOPS["inspected"] = {"inspection"}
STOPS["emergency_lowered"] = {"emergency"}


@dataclass(frozen=True)
class Target:
    minutes: int  # working minutes, or wall minutes when around the clock
    around_the_clock: bool = False
    working_days: int = 0  # whole working days instead of minutes


def target(kind: str, terms: Terms) -> Target:
    return {
        "first_response": Target(terms.first_response_minutes),
        "message_response": Target(terms.first_response_minutes),
        "emergency": Target(terms.emergency_response_minutes, around_the_clock=True),
        "consultation": Target(terms.consultation_written_hours * 60),
        "quality_proposal": Target(terms.quality_proposal_hours * 60),
        "quality_execution": Target(terms.quality_execution_hours * 60),
        "inspection": Target(terms.inspection_hours * 60),
        "return_processing": Target(0, working_days=terms.return_processing_working_days),
        "complaint_feedback": Target(terms.complaint_feedback_hours * 60),
        "general": Target(0, working_days=terms.general_working_days),
    }[kind]


def starts_for(case: Case, event: CaseEvent, running: set[str]) -> list[str]:
    """Clocks an event starts (none that already run)."""
    kinds: list[str] = []
    if event.kind == "submitted":
        kinds.append("emergency" if case.emergency else "first_response")
        if case.problem_type == "consultation":
            kinds.append("consultation")
        if case.problem_type in ("quality", "food_safety"):
            kinds.append("quality_proposal")
        if case.problem_type == "complaint":
            kinds.append("complaint_feedback")
        kinds.append("general")
    elif event.kind == "consumer_message" and not running & {"first_response", "message_response", "emergency"}:
        kinds.append("message_response")
    elif event.kind == "emergency_raised":
        kinds.append("emergency")
    elif event.kind == "proposed" and case.problem_type in ("quality", "food_safety"):
        kinds.append("quality_execution")
    elif event.kind == "return_received":
        kinds += ["inspection", "return_processing"]
    elif event.kind == "reopened":
        kinds.append("general")
    return [k for k in kinds if k not in running]


def due_from(cal: BusinessCalendar, start: datetime, t: Target) -> datetime:
    if t.around_the_clock:
        return start + timedelta(minutes=t.minutes)
    if t.working_days:
        return cal.add_working_days(start, t.working_days)
    return cal.add_working_time(start, timedelta(minutes=t.minutes))


def active_clocks(case: Case) -> list[SlaClock]:
    return [c for c in getattr(case, "clocks", []) if c.stopped_at is None]


def _stop(clock: SlaClock, at: datetime) -> None:
    if clock.state == "paused":
        clock.state = "running"
    clock.stopped_at = at
    if clock.state != "breached":
        clock.state = "met" if at <= clock.due_at else "breached"
        if clock.state == "breached":
            clock.breached_at = clock.due_at


def _pause(clock: SlaClock, at: datetime) -> None:
    if clock.state == "running":
        clock.state, clock.paused_at = "paused", at


def _resume(clock: SlaClock, at: datetime, cal: BusinessCalendar) -> None:
    """Paused time is not counted: the due time moves on by the time spent waiting."""
    if clock.state != "paused" or clock.paused_at is None:
        return
    if clock.around_the_clock:
        waited = at - clock.paused_at
    else:
        waited = cal.working_time_between(clock.paused_at, at)
    clock.paused_seconds += int(waited.total_seconds())
    clock.due_at = clock.due_at + waited if clock.around_the_clock else cal.add_working_time(clock.due_at, waited)
    clock.state, clock.paused_at = "running", None


def on_event(case: Case, event: CaseEvent, terms: Terms, cal: BusinessCalendar, at: datetime | None = None) -> None:
    """Apply one case event to the case's clocks, then refresh the case's next deadline."""
    at = at or utcnow()
    clocks = active_clocks(case)
    stopping = STOPS.get(event.kind, set()) if event.actor_type in ("staff", "system") else set()
    for clock in clocks:
        if clock.kind in stopping:
            _stop(clock, at)
    running = {c.kind for c in active_clocks(case)}
    for kind in starts_for(case, event, running):
        t = target(kind, terms)
        clock = SlaClock(tenant_id=case.tenant_id, case=case, kind=kind, around_the_clock=t.around_the_clock,
                         target_minutes=t.minutes or t.working_days * 24 * 60, started_at=at,
                         due_at=due_from(cal, at, t), state="running", paused_seconds=0, breach_notified=False)
        db.session.add(clock)
    if case.status == "closed":
        for clock in active_clocks(case):
            _stop(clock, at)
    elif case.status in WAITING_ON_CONSUMER:
        for clock in active_clocks(case):
            _pause(clock, at)
    else:
        for clock in active_clocks(case):
            _resume(clock, at, cal)
    refresh_due(case)


def refresh_due(case: Case) -> None:
    running = [c.due_at for c in active_clocks(case) if c.state in ("running", "breached")]
    case.due_at = min(running) if running else None


# ---------------------------------------------------------------- the sweep

def _due_batches(now: datetime, batch: int) -> Iterator[list[int]]:
    """Ids of running clocks past due, in id order, a batch at a time (never all in memory)."""
    last = 0
    while True:
        with cross_tenant("SLA sweep"):
            ids = db.session.scalars(
                select(SlaClock.id).where(SlaClock.state == "running", SlaClock.due_at < now, SlaClock.id > last)
                .order_by(SlaClock.id).limit(batch)
            ).all()
        if not ids:
            return
        yield list(ids)
        last = ids[-1]


def sweep(now: datetime | None = None, batch: int = 500,
          notify: Callable[[Case, SlaClock], None] | None = None) -> int:
    """Mark clocks breached, record it on the case and alert the managers once; idempotent."""
    now = now or utcnow()
    count = 0
    for ids in _due_batches(now, batch):
        with cross_tenant("SLA sweep"):
            clocks = db.session.scalars(select(SlaClock).where(SlaClock.id.in_(ids)).with_for_update(skip_locked=True)).all()
        shared = _Batch(clocks)
        for clock in clocks:
            if clock.state != "running" or clock.due_at >= now:
                continue  # another sweeper got here first
            with tenant_context(clock.tenant_id):
                breach(clock, now, notify, shared.terms)
            count += 1
        # The identity map holds rows weakly: once a batch's list goes, its rows can go too.
        db.session.commit()
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
            self.cases = db.session.scalars(
                select(Case).where(Case.id.in_(case_ids)).options(selectinload(Case.clocks))).all() if case_ids else []
            tenant_ids = {c.tenant_id for c in clocks}
            self.tenants = db.session.scalars(select(Tenant).where(Tenant.id.in_(tenant_ids))).all() if tenant_ids else []
        self._terms: dict[int, tuple[Terms, BusinessCalendar]] = {}

    def terms(self, case: Case) -> tuple[Terms, BusinessCalendar]:
        if case.tenant_id not in self._terms:
            from saas.services import cases

            self._terms[case.tenant_id] = cases.service_terms(case)
        return self._terms[case.tenant_id]


def breach(clock: SlaClock, now: datetime, notify: Callable[[Case, SlaClock], None] | None = None,
           terms: Callable[[Case], tuple[Terms, BusinessCalendar]] | None = None) -> None:
    """terms: the case's terms and calendar when the caller already has them (a sweep, per shop)."""
    from saas.services import cases

    clock.state, clock.breached_at = "breached", clock.due_at
    # Marked before anything is flushed, so the clock is written once; the alert goes out below.
    alert, clock.breach_notified = not clock.breach_notified, True
    case = clock.case
    cases.record(case, "sla_breached", actor_type="system", data={"clock": clock.kind, "due_at": clock.due_at.isoformat()},
                 note=f"{clock.kind} due {clock.due_at.isoformat()}", apply_clocks=False)
    if clock.kind in ("complaint_feedback", "emergency", "general") and not case.escalated and case.is_open:
        cases.escalate(case, None, note=f"SLA breached: {clock.kind}", actor_type="system",
                       terms_and_calendar=terms(case) if terms is not None else None)
    if alert and notify is not None:
        notify(case, clock)
    refresh_due(case)
