"""A case's KPI facts, kept as the events happen, so that reports are aggregate SQL (§7, issue 16 item 8).

Working time follows the shop's business calendar (holidays, 调休 Saturdays, opening hours), which SQL
cannot evaluate; so the calendar is applied once per case at the moment a figure becomes known:

- filing: when the first reply falls due (the terms' first-response working minutes) and when the
  resolution does (7 working days, the same local clock time);
- the first reply to the customer: the working minutes it took, and whether that was within the target;
- the resolution (executed or rejected): the working days it took and who resolved it;
- reopening: the resolution is undone (the next one is measured from filing again);
- the customer's words (description, messages): segmented once into problem words for the top problems.

Reports then count rows: "in time" is a column or a comparison of two columns.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import inspect as sa_inspect

from saas.models.case import Case, CaseEvent
from saas.services import reports_text
from tenants.calendar import BusinessCalendar
from tenants.terms import Terms

RESOLUTION_WORKING_DAYS = 7
RESOLVED_STATUSES = ("resolved", "rejected")


def _day_minutes(cal: BusinessCalendar) -> float:
    return (cal.closes.hour * 60 + cal.closes.minute) - (cal.opens.hour * 60 + cal.opens.minute)


def set_due(case: Case, filed_at: datetime, terms: Terms, cal: BusinessCalendar) -> None:
    case.first_response_due_at = cal.add_working_time(filed_at, timedelta(minutes=terms.first_response_minutes))
    case.resolution_due_at = cal.add_working_days(filed_at, RESOLUTION_WORKING_DAYS)


def set_first_response(case: Case, filed_at: datetime, at: datetime, terms: Terms, cal: BusinessCalendar) -> None:
    minutes = cal.working_time_between(filed_at, at).total_seconds() / 60
    case.first_response_minutes = round(minutes, 1)
    case.first_response_in_time = minutes <= terms.first_response_minutes


def set_resolution(
    case: Case, filed_at: datetime, at: datetime, resolver_id: int | None, cal: BusinessCalendar
) -> None:
    minutes = cal.working_time_between(filed_at, at).total_seconds() / 60
    case.resolution_days = round(minutes / _day_minutes(cal), 2)
    case.resolved_by_id = resolver_id


def set_words(case: Case, text: str, first: bool = False) -> None:
    """Add the problem words of a text the customer wrote (segmented here once, not by every report).

    first: the case's description at filing (nothing kept yet: the kept facts are not read)."""
    words = reports_text.terms(text)
    if first:
        # A new case's lines are in memory when it has any; an untouched collection means none (no query).
        lines = [] if "lines" in sa_inspect(case).unloaded else case.lines
        skus = sorted(line.order_line.sku for line in lines if line.order_line is not None)
        case.problem_product = (skus[0] if skus else case.category)[:64]
    else:
        words |= set((case.problem_words or "").split())
    case.problem_words = " ".join(sorted(words))


def on_event(case: Case, event: CaseEvent, terms_and_calendar) -> None:
    """Called by case_events.record() for every event; reads the calendar only when a figure becomes known.

    terms_and_calendar: a (Terms, BusinessCalendar) pair, or a callable returning one (read lazily).
    """
    filed_at = case.created_at or event.created_at
    due = event.kind == "submitted"
    replied = case.first_response_at is not None and case.first_response_at == event.created_at  # this event's
    resolved = event.to_status in RESOLVED_STATUSES and event.from_status not in RESOLVED_STATUSES
    if event.kind == "reopened":
        case.resolution_days = case.resolved_by_id = None
    if event.kind == "submitted":
        set_words(case, case.description, first=True)
    elif event.kind == "consumer_message" and case.problem_words is not None:  # None: filed before words were kept
        set_words(case, str((event.data or {}).get("text", "")))
    if not (due or replied or resolved):
        return
    terms, cal = terms_and_calendar() if callable(terms_and_calendar) else terms_and_calendar
    if due:
        set_due(case, filed_at, terms, cal)
    if replied:
        set_first_response(case, filed_at, case.first_response_at, terms, cal)
    if resolved:
        set_resolution(case, filed_at, case.resolved_at or event.created_at, event.actor_id, cal)


def values(
    created_at: datetime,
    first_response_at: datetime | None,
    resolved_at: datetime | None,
    terms: Terms,
    cal: BusinessCalendar,
) -> dict:
    """A case's facts from its timestamps, as column values (bulk writers: generated data, imports)."""
    out = {
        "first_response_due_at": cal.add_working_time(created_at, timedelta(minutes=terms.first_response_minutes)),
        "resolution_due_at": cal.add_working_days(created_at, RESOLUTION_WORKING_DAYS),
        "first_response_minutes": None,
        "first_response_in_time": None,
        "resolution_days": None,
    }
    if first_response_at is not None:
        minutes = cal.working_time_between(created_at, first_response_at).total_seconds() / 60
        out["first_response_minutes"] = round(minutes, 1)
        out["first_response_in_time"] = minutes <= terms.first_response_minutes
    if resolved_at is not None:
        minutes = cal.working_time_between(created_at, resolved_at).total_seconds() / 60
        out["resolution_days"] = round(minutes / _day_minutes(cal), 2)
    return out


def refresh(case: Case, terms: Terms, cal: BusinessCalendar) -> None:
    """All of a case's facts from its timestamps, for cases written without events (imports, test data);
    the resolver stays whoever is recorded."""
    for key, value in values(case.created_at, case.first_response_at, case.resolved_at, terms, cal).items():
        setattr(case, key, value)
