"""Service-level clocks: which start and stop on which case event, pauses and due times.

A clock past due is handled as a case event in saas.services.case_breaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import WAITING_ON_CONSUMER, Case, CaseEvent
from saas.models.sla import SlaClock
from tenants.calendar import BusinessCalendar
from tenants.term_fields import CLOCK_UNIT_FIELDS
from tenants.terms import Terms

CLOCK_LABELS = {
    "first_response": _l("First response"),
    "message_response": _l("Reply to the customer's message"),
    "emergency": _l("Emergency response (24/7)"),
    "consultation": _l("Answer the question"),
    "quality_proposal": _l("Propose a solution"),
    "quality_execution": _l("Carry out the solution"),
    "inspection": _l("Inspect the returned parcel"),
    "return_processing": _l("Process the return or exchange"),
    "complaint_feedback": _l("Feed back the complaint result"),
    "general": _l("Resolve the case"),
}
STATE_LABELS = {"running": _l("running"), "paused": _l("paused"), "met": _l("met"), "breached": _l("breached")}

# Staff events that put a human answer in front of the customer.
RESPONSES = {
    "accepted",
    "info_requested",
    "return_requested",
    "verified",
    "proposed",
    "rejected",
    "staff_message",
    "refund_paid",
    "replacement_shipped",
    "repair_done",
    "compensation_paid",
    "explained",
    "closed",
}
RESOLUTIONS = {
    "refund_paid",
    "replacement_shipped",
    "repair_done",
    "compensation_paid",
    "explained",
    "rejected",
    "closed",
}

# event kind → clocks it stops (met, or stays breached).
STOPS = {
    **{kind: {"first_response", "message_response", "emergency"} for kind in RESPONSES},
}
for _kind in ("proposed", "rejected", "staff_message", "explained", "closed"):
    STOPS[_kind] = STOPS[_kind] | {"consultation"}
for _kind in ("proposed", "rejected", "closed"):
    STOPS[_kind] = STOPS[_kind] | {"quality_proposal", "complaint_feedback"}
for _kind in RESOLUTIONS:
    STOPS[_kind] = STOPS[_kind] | {
        "quality_execution",
        "return_processing",
        "general",
        "complaint_feedback",
        "quality_proposal",
        "inspection",
    }
STOPS["inspected"] = {"inspection"}
STOPS["emergency_lowered"] = {"emergency"}


@dataclass(frozen=True)
class Target:
    minutes: int  # working minutes, or wall minutes when around the clock
    around_the_clock: bool = False  # calendar time: nights, weekends and holidays count
    working_days: int = 0  # whole working days instead of minutes


# clock → the term holding its duration and how that duration is counted in minutes.
CLOCK_TERMS: dict[str, tuple[str, int]] = {
    "first_response": ("first_response_minutes", 1),
    "message_response": ("first_response_minutes", 1),
    "consultation": ("consultation_written_hours", 60),
    "quality_proposal": ("quality_proposal_hours", 60),
    "quality_execution": ("quality_execution_hours", 60),
    "inspection": ("inspection_hours", 60),
    "complaint_feedback": ("complaint_feedback_hours", 60),
    "return_processing": ("return_processing_working_days", 0),
    "general": ("general_working_days", 0),
}


def target(kind: str, terms: Terms) -> Target:
    """The clock's promise in the unit the policy makes it in: working time or calendar time.

    A day clock in calendar time is that many whole days of 24 hours; in working time, working days.
    The emergency clock always runs around the clock.
    """
    if kind == "emergency":
        return Target(terms.emergency_response_minutes, around_the_clock=True)
    name, per = CLOCK_TERMS[kind]
    amount = getattr(terms, name)
    calendar = getattr(terms, CLOCK_UNIT_FIELDS[name]) == "calendar"
    if per == 0:  # days
        return Target(amount * 24 * 60, around_the_clock=True) if calendar else Target(0, working_days=amount)
    return Target(amount * per, around_the_clock=calendar)


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
        clock = SlaClock(
            tenant_id=case.tenant_id,
            case=case,
            kind=kind,
            around_the_clock=t.around_the_clock,
            target_minutes=t.minutes or t.working_days * 24 * 60,
            started_at=at,
            due_at=due_from(cal, at, t),
            state="running",
            paused_seconds=0,
            breach_notified=False,
        )
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
