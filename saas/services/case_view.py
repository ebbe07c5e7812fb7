"""What a case page shows: the four nodes, the timeline, remedies, return instructions, the return slip."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import segno
from sqlalchemy import exists
from sqlalchemy.orm.attributes import set_committed_value

from saas.extensions import db
from saas.locale import babel_locale, localized
from saas.models.case import NODES, Case
from saas.models.loading import load_collections
from saas.services import assignment, case_messages, complaint_compensations
from tenants.models import Tenant


@dataclass
class Node:
    key: str
    label: str
    state: str  # done | current | todo


@dataclass
class TimelineEntry:
    at: datetime
    who: str  # consumer | staff | system
    text: str
    kind: str
    evidence: list = field(default_factory=list)
    note: str = ""  # internal: staff pages only


def nodes(case: Case) -> list[Node]:
    current = NODES.index(case.node)
    names = dict(case_messages.node_names())
    out = []
    for i, key in enumerate(NODES):
        state = "done" if i < current else ("current" if i == current else "todo")
        if key == "closed" and case.status == "closed":
            state = "done"
        out.append(Node(key, names[key], state))
    return out


def remedies(case: Case, lang: str) -> list[dict]:
    """The eligibility snapshot taken at intake, in the reader's language; only those that concern the problem."""
    out = []
    for r in case.eligibility or []:
        if not r.get("applicable", True):
            continue
        out.append(
            {
                "label": localized(r, "label", lang),
                "eligible": r["eligible"],
                "deadline": r["deadline"],
                "amount": r.get("amount"),
                "reason": localized(r, "reason", lang),
                "clause": localized(r["clause"], "text", lang),
            }
        )
    return out


def responsibility_clause(case: Case) -> str:
    """The policy clause the agent cited when the responsibility was last recorded."""
    for event in reversed(case.events):
        if event.kind == "verified":
            return (event.data or {}).get("clause", "")
    return ""


def has_rows(model):
    """A column for a case query: does `model` have rows for the case?"""
    return exists().where(model.case_id == Case.id).correlate(Case)


def load_page_data(case: Case, has_evidence: bool = True, has_compensations: bool = True) -> list:
    """Load what a consumer's case page shows: the events, and the files where the case has
    some; return the platform's advance compensations on it."""
    load_collections(case, Case.events, *([Case.evidence] if has_evidence else []))
    if not has_evidence:
        set_committed_value(case, "evidence", [])
    return complaint_compensations.compensations_for_case(case) if has_compensations else []


def case_tenant(case: Case) -> Tenant:
    return db.session.get(Tenant, case.tenant_id)


def timeline(case: Case, lang: str, staff: bool = False) -> list[TimelineEntry]:
    """Customer-visible steps (and the consumer's own messages); staff also see internal notes."""
    locale = babel_locale(lang)
    by_event: dict[int, list] = {}
    for item in case.evidence:
        by_event.setdefault(item.event_id or 0, []).append(item)
    out = []
    for event in case.events:
        if event.kind == "consumer_message":
            text = event.data.get("text", "")
        elif event.customer_message:
            text = case_messages.event_message(event, locale)
        elif staff:
            text = assignment.describe(event, locale) if event.kind == "assigned" else ""
        else:
            continue
        entry = TimelineEntry(
            event.created_at,
            event.actor_type,
            text,
            event.kind,
            by_event.get(event.id, []),
            note=event.internal_note if staff else "",
        )
        if event.kind == "submitted":
            entry.evidence = by_event.get(0, []) + entry.evidence
        out.append(entry)
    return out


@dataclass
class ConsumerView:
    nodes: list[Node]
    timeline: list[TimelineEntry]
    remedies: list[dict]
    promise: datetime | None
    status_label: str
    show_return: bool
    return_address: str


def for_consumer(case: Case, lang: str) -> ConsumerView:
    tenant = case_tenant(case)
    return ConsumerView(
        nodes=nodes(case),
        timeline=timeline(case, lang),
        remedies=remedies(case, lang),
        promise=case.due_at if case.is_open and not case.waiting_on_consumer else None,
        status_label=case_messages.label(case.status),
        show_return=case.status == "awaiting_return",
        return_address=tenant.return_address(lang),
    )


@dataclass
class SlipView:
    qr_svg: str
    items: list[tuple[str, str, int]]
    address: str
    recipient: str
    phone: str


def qr_svg(payload: str) -> str:
    """An inline SVG QR code (segno); CSP-safe, prints crisply."""
    return segno.make(payload, error="m").svg_inline(scale=4, border=2)


def slip(case: Case, lang: str) -> SlipView:
    tenant = case_tenant(case)
    items = [(cl.order_line.sku, cl.order_line.name, cl.quantity) for cl in case.lines]
    return SlipView(
        qr_svg(case.number), items, tenant.return_address(lang), tenant.return_recipient, tenant.return_phone
    )
