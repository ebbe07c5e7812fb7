"""The event every change to a case records, and what travels with it: the status change, the customer's
message and its notifications, the SLA clocks and the KPI facts; and the automatic reply outside working hours.

Every case service records through `record` here: the agent's actions (`cases`), filing (`case_intake`),
the consumer's steps (`case_consumer_steps`), emergencies (`case_emergency`), SLA breaches and recalls.
"""

from __future__ import annotations

from babel.dates import format_datetime

from saas.extensions import db
from saas.locale import babel_locale
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent
from saas.models.user import User
from saas.services import case_messages, kpi_facts, notifications, policies, sla


def record(
    case: Case,
    kind: str,
    *,
    actor: User | None = None,
    actor_type: str = "staff",
    to_status: str | None = None,
    msg: str | None = None,
    params: dict | None = None,
    text: str = "",
    note: str = "",
    data: dict | None = None,
    apply_clocks: bool = True,
    terms_and_calendar: tuple | None = None,
) -> CaseEvent:
    """Append an event; a status change, the customer's message and the clocks travel together.

    The message is stored in the case's language (what notifications send) and
    as a key + parameters so pages can show it in the reader's language.
    terms_and_calendar: policies.service_terms(case), when the caller already has it (the SLA sweep).
    """
    from_status = case.status
    if to_status is not None:
        case.status = to_status
    payload = dict(data or {})
    message = text
    if msg is not None:
        payload["msg"], payload["params"] = msg, params or {}
        message = case_messages.render_in(case.locale, msg, params)
    event = CaseEvent(
        tenant_id=case.tenant_id,
        case=case,
        kind=kind,
        actor_type=actor_type,
        actor_id=actor.id if actor is not None else None,
        from_status=from_status,
        to_status=case.status if to_status is not None else None,
        customer_message=message,
        internal_note=note,
        data=payload,
        created_at=utcnow(),
    )
    db.session.add(event)
    if actor_type == "staff" and message and case.first_response_at is None:
        case.first_response_at = event.created_at
    if apply_clocks or message:
        terms, cal = terms_and_calendar or policies.service_terms(case)
        kpi_facts.on_event(case, event, (terms, cal))  # before any flush: a new case's INSERT carries its facts
        if apply_clocks:
            sla.on_event(case, event, terms, cal, at=event.created_at)
        if message:
            db.session.flush()  # the notifications' keys name the event
            notifications.notify_customer(case, event, terms)
    else:
        kpi_facts.on_event(case, event, lambda: terms_and_calendar or policies.service_terms(case))
    db.session.flush()
    return event


def auto_reply_if_closed(case: Case, at) -> None:
    """Outside working hours the customer is told at once when we will handle it."""
    if case.emergency:
        return
    _terms, cal = policies.service_terms(case)
    if cal.is_working_time(at):
        return
    opening = cal.next_opening(at)
    when = format_datetime(opening, "yyyy-MM-dd HH:mm", locale=babel_locale(case.locale))
    record(
        case,
        "auto_reply",
        actor_type="system",
        msg="auto_reply",
        params={"when": when},
        data={"next_opening": opening.isoformat()},
    )
