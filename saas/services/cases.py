"""Case lifecycle: filing, every agent action and consumer step, each an append-only event."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from saas.extensions import db
from saas.email_addresses import EMAIL_MESSAGE, email_matches, normalise_email
from saas.identifiers import new_case_number
from saas.locale import babel_locale
from saas.phones import MOBILE_MESSAGE, mainland_mobile
from saas.input_guard import parse_decimal
from saas.models.base import utcnow
from saas.models.case import (
    EXPECTED_RESOLUTIONS,
    INVOICE_CHOICES,
    INVOICE_HANDLING,
    PRIORITY,
    PROBLEM_TYPES,
    RESOLUTION_KINDS,
    RESPONSIBILITIES,
    Case,
    CaseEvent,
    CaseLine,
)
from saas.models.order import CHANNELS, Order, OrderLine
from saas.models.user import User
from saas.services import assignment, case_messages, notifications, policies, reasons, sla, surveys
from saas.services.errors import ServiceError
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.policy import mentions_food_safety

FOOD_CATEGORIES = ("fresh_food", "food", "dairy")


ERRORS = {
    "transition": _l("This action is not possible while the case is “%(status)s”."),
    "amount": _l("Please enter an amount of at least 0.01 yuan with at most two decimals."),
    "resolution_kind": _l("Please choose a resolution."),
    "responsibility": _l("Please choose who is responsible."),
    "reason": _l("Please give a reason the customer can understand."),
    "detail": _l("Please describe what you need."),
    "tracking": _l("Please enter the carrier and the tracking number."),
    "repair_cycle": _l("Please give the expected repair time in working days (1–60)."),
    "invoice": _l("Please choose how the invoice is handled."),
    "message": _l("Please write a message."),
    "contact": _l("Please give a mobile number or an email address."),
    "mobile": MOBILE_MESSAGE,
    "email": EMAIL_MESSAGE,
    "escalated": _l("This case is already with the manager."),
    "lines": _l("Please choose the items this request is about."),
    "not_emergency": _l("This case is not an emergency."),
}


class CaseError(ServiceError):
    """A refused case action; .message is for the person who tried it."""

    MESSAGES = ERRORS

# action → statuses it may start from; the target is decided by the action itself.
ALLOWED = {
    "accept": {"submitted"},
    "request_info": {"submitted", "accepted", "return_received", "inspected", "verified"},
    "request_return": {"accepted", "verified", "proposed"},
    "mark_return_received": {"awaiting_return"},
    "mark_inspected": {"return_received"},
    "verify": {"accepted", "return_received", "inspected"},
    "propose": {"accepted", "verified", "inspected"},
    "execute": {"proposed"},
    "reject": {"submitted", "accepted", "return_received", "inspected", "verified", "proposed"},
    "close": {"resolved", "rejected"},
    "reopen": {"resolved", "rejected", "closed"},
}


def can(case: Case, action: str) -> bool:
    if action == "escalate":
        return case.is_open and not case.escalated
    if action == "request_return" and _return_received(case):
        return False  # the goods are with the shop already
    return case.status in ALLOWED.get(action, set())


def _return_received(case: Case) -> bool:
    """Whether the shop has the returned goods since the case was last (re)opened."""
    for event in reversed(case.events):
        if event.kind == "reopened":
            return False
        if event.kind == "return_received":
            return True
    return False


def _require(case: Case, action: str) -> None:
    if not can(case, action):
        if action == "escalate" and case.escalated:
            raise CaseError("escalated")
        raise CaseError("transition", status=case_messages.label(case.status))


def record(case: Case, kind: str, *, actor: User | None = None, actor_type: str = "staff",
           to_status: str | None = None, msg: str | None = None, params: dict | None = None,
           text: str = "", note: str = "", data: dict | None = None, apply_clocks: bool = True,
           terms_and_calendar: tuple | None = None) -> CaseEvent:
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
        tenant_id=case.tenant_id, case=case, kind=kind, actor_type=actor_type,
        actor_id=actor.id if actor is not None else None,
        from_status=from_status, to_status=case.status if to_status is not None else None,
        customer_message=message, internal_note=note, data=payload, created_at=utcnow(),
    )
    db.session.add(event)
    if actor_type == "staff" and message and case.first_response_at is None:
        case.first_response_at = event.created_at
    if apply_clocks or message:
        terms, cal = terms_and_calendar or policies.service_terms(case)
        if apply_clocks:
            sla.on_event(case, event, terms, cal, at=event.created_at)
        if message:
            db.session.flush()  # the notifications' keys name the event
            notifications.notify_customer(case, event, terms)
    db.session.flush()
    return event


def _auto_reply_if_closed(case: Case, at) -> None:
    """Outside working hours the customer is told at once when we will handle it."""
    if case.emergency:
        return
    _terms, cal = policies.service_terms(case)
    if cal.is_working_time(at):
        return
    opening = cal.next_opening(at)
    when = format_datetime(opening, "yyyy-MM-dd HH:mm", locale=babel_locale(case.locale))
    record(case, "auto_reply", actor_type="system", msg="auto_reply", params={"when": when},
           data={"next_opening": opening.isoformat()})


def raise_emergency(case: Case, reason: str) -> CaseEvent:
    """Food safety found in the case's words: 1-hour 24/7 clock, owners alerted at once."""
    case.emergency, case.priority = True, PRIORITY["food_safety"]
    if case.problem_type == "quality":
        case.problem_type = "food_safety"
        _rejudge(case)
    event = record(case, "emergency_raised", actor_type="system", note=reason, data={"reason": reason})
    _alert_emergency(case, event)
    return event


def _rejudge(case: Case) -> None:
    """The remedies the case is eligible for, judged again for its problem type as on the day it was filed."""
    if case.purchase_date is None:
        return
    tenant = db.session.get(Tenant, case.tenant_id)
    judgement = policies.judge(tenant, case.category, case.purchase_date, case.delivery_date, case.problem_type,
                               as_of=shop_today(tenant, case.created_at), price=case.item_price)
    if judgement is not None:
        case.eligibility = [r.to_dict() for r in judgement.remedies]


def _alert_emergency(case: Case, event: CaseEvent) -> None:
    notifications.notify_managers(case, "emergency", f"emergency:{case.id}:{event.id}",
                                  f"{case.number}: {case.description[:200]}")


def lower_emergency(case: Case, actor: User, reason: str) -> CaseEvent:
    if not case.emergency:
        raise CaseError("not_emergency")
    if not reason.strip():
        raise CaseError("reason")
    case.emergency = False
    if case.problem_type == "food_safety":
        case.problem_type = "quality"
    case.priority = PRIORITY.get(case.problem_type, 3)
    return record(case, "emergency_lowered", actor=actor, note=reason.strip(), data={"reason": reason.strip()})


# ---------------------------------------------------------------- intake

@dataclass
class Intake:
    order_number: str
    customer_name: str
    mobile: str
    email: str
    purchase_channel: str
    problem_type: str
    description: str
    expected_resolution: str
    purchase_date: date | None = None
    delivery_date: date | None = None
    category: str = "general"
    item_price: Decimal | None = None
    line_ids: list[int] = field(default_factory=list)
    emergency: bool = False
    locale: str = "zh_Hans"
    intake_channel: str = "web"


def find_order(tenant: Tenant, order_number: str, mobile: str = "", email: str = "") -> Order | None:
    """The tenant's order with this number, only if the contact given matches it."""
    order = db.session.scalar(select(Order).where(Order.tenant_id == tenant.id,
                                                  Order.order_number == order_number.strip()))
    if order is None:
        return None
    mobile_ok = bool(mobile) and bool(order.mobile) and mainland_mobile(mobile) == order.mobile
    email_ok = bool(email) and bool(order.email) and email_matches(email, order.email)
    return order if (mobile_ok or email_ok) else None


def judge_intake(tenant: Tenant, intake: Intake, order: Order | None, problem: str | None = None):
    """The eligibility judgement a consumer sees before submitting.

    A quality problem the consumer marks as food safety is judged as food safety (the statutory
    compensation is then among the remedies); `problem`: the type to judge as, when decided already.
    """
    purchase, delivery, category, price = _facts(intake, order)
    if purchase is None:
        return None
    if problem is None:
        problem = _case_problem(intake.problem_type, intake.emergency)
    problem = problem if problem in PROBLEM_TYPES else "consultation"
    return policies.judge(tenant, category, purchase, delivery, problem, price=price)


def _case_problem(problem_type: str, emergency: bool) -> str:
    """A quality problem that is an emergency is a food-safety case."""
    return "food_safety" if emergency and problem_type in ("quality", "food_safety") else problem_type


def _facts(intake: Intake, order: Order | None):
    if order is None:
        return intake.purchase_date, intake.delivery_date, intake.category, intake.item_price
    chosen = [line for line in order.lines if line.id in intake.line_ids] or list(order.lines)
    top = max(chosen, key=lambda line: line.unit_price) if chosen else None
    return (order.purchase_date, order.delivery_date, top.category if top else intake.category,
            top.unit_price if top else None)


def _is_emergency(tenant: Tenant, intake: Intake, category: str, version) -> bool:
    if intake.problem_type == "food_safety" or intake.emergency:
        return True
    if category in FOOD_CATEGORIES and version is not None:
        return mentions_food_safety(policies.terms_of(version), intake.description)
    return False


def file_case(tenant: Tenant, intake: Intake, actor: User | None = None, prejudged: tuple | None = None) -> Case:
    """Create a case from the public form, an agent's phone entry or the API.

    `prejudged`: (order, judgement) as find_order and judge_intake already gave them for this intake.
    """
    mobile = mainland_mobile(intake.mobile) if (intake.mobile or "").strip() else ""
    email = normalise_email(intake.email) if (intake.email or "").strip() else ""
    if mobile is None or email is None:
        raise CaseError("mobile" if mobile is None else "email")
    if not mobile and not email:
        raise CaseError("contact")
    if prejudged is None:
        order = find_order(tenant, intake.order_number, mobile or "", email or "")
        prejudged = (order, judge_intake(tenant, intake, order))
    order, judgement = prejudged
    purchase, delivery, category, price = _facts(intake, order)
    emergency = _is_emergency(tenant, intake, category, judgement.version if judgement else None)
    problem = _case_problem(intake.problem_type, emergency)
    if judgement is not None and problem != _case_problem(intake.problem_type, intake.emergency):
        judgement = judge_intake(tenant, intake, order, problem)  # food safety found in the words: judged as such
    case = Case(
        tenant_id=tenant.id, number="", order=order, order_verified=order is not None,
        order_number=intake.order_number.strip(), purchase_channel=(order.channel if order else intake.purchase_channel),
        purchase_date=purchase, delivery_date=delivery, category=category, item_price=price,
        customer_name=intake.customer_name.strip(), mobile=mobile or "", email=email or "", locale=intake.locale,
        intake_channel=intake.intake_channel, problem_type=problem, emergency=emergency,
        priority=PRIORITY["food_safety"] if emergency else PRIORITY.get(problem, 3),
        description=intake.description.strip(), expected_resolution=intake.expected_resolution,
        status="submitted",
        policy_version_id=judgement.version.id if judgement else None,
        eligibility=[r.to_dict() for r in judgement.remedies] if judgement else [],
    )
    for name in ("events", "evidence", "clocks"):  # a new case has none: no lazy loads after the INSERT
        set_committed_value(case, name, [])
    policies.service_terms(case)  # read now, so that no query flushes the case before its clocks set its deadline
    if order is not None:
        for line in order.lines:
            if not intake.line_ids or line.id in intake.line_ids:
                case.lines.append(CaseLine(tenant_id=tenant.id, order_line_id=line.id, quantity=line.quantity))
    _insert_with_number(case)
    event = record(case, "submitted", actor=actor, actor_type="staff" if actor else "consumer",
                   msg="submitted", params={"number": case.number},
                   data={"intake_channel": intake.intake_channel, "emergency": emergency})
    if emergency:
        _alert_emergency(case, event)
    if actor is None:
        _auto_reply_if_closed(case, event.created_at)
    assignment.auto_assign(case)  # the shop's round-robin, when it has one on
    return case


def _insert_with_number(case: Case, attempts: int = 5) -> None:
    """Random case numbers (50 bits); a taken one, astronomically rare, is drawn again."""
    today = shop_today(db.session.get(Tenant, case.tenant_id))
    for _ in range(attempts):
        number = new_case_number(today)
        taken = db.session.scalar(select(Case.id).where(Case.tenant_id == case.tenant_id, Case.number == number))
        if taken is None:
            case.number = number
            db.session.add(case)  # inserted with its first event and clocks, in one flush
            return
    raise RuntimeError("could not allocate a case number")


# ---------------------------------------------------------------- agent actions

def accept(case: Case, actor: User) -> CaseEvent:
    _require(case, "accept")
    return record(case, "accepted", actor=actor, to_status="accepted", msg="accepted")


def request_info(case: Case, actor: User, detail: str) -> CaseEvent:
    _require(case, "request_info")
    if not detail.strip():
        raise CaseError("detail")
    case.resume_status = case.status if case.status != "submitted" else "accepted"
    return record(case, "info_requested", actor=actor, to_status="info_requested", msg="info_requested",
                  params={"detail": detail.strip()})


def request_return(case: Case, actor: User) -> CaseEvent:
    _require(case, "request_return")
    case.resume_status = case.status
    return record(case, "return_requested", actor=actor, to_status="awaiting_return", msg="return_requested")


def mark_return_received(case: Case, actor: User, note: str = "") -> CaseEvent:
    _require(case, "mark_return_received")
    return record(case, "return_received", actor=actor, to_status="return_received", msg="return_received", note=note)


def mark_inspected(case: Case, actor: User, note: str = "") -> CaseEvent:
    _require(case, "mark_inspected")
    return record(case, "inspected", actor=actor, to_status="inspected", msg="inspected", note=note)


def verify(case: Case, actor: User, responsibility: str, basis: str, clause: str = "", *,
           reason_code: str | None = None) -> CaseEvent:
    """Responsibility determination (责任判定) with the evidence and clause it rests on, and the case's reason
    from the shop's list (required when given: the console's form always gives it, "" when none was chosen;
    None leaves the case's reason as it was). An unknown or inactive code raises reasons.ReasonError."""
    _require(case, "verify")
    if responsibility not in RESPONSIBILITIES:
        raise CaseError("responsibility")
    if not basis.strip():
        raise CaseError("reason")
    if reason_code is not None:
        case.reason_code = reasons.check(case.tenant_id, reason_code)
    case.responsibility, case.responsibility_basis = responsibility, basis.strip()
    params = {"basis": basis.strip(), **({"clause": clause.strip()} if clause.strip() else {})}
    return record(case, "verified", actor=actor, to_status="verified", msg=f"verified_{responsibility}",
                  params=params, data={"responsibility": responsibility, "clause": clause.strip(),
                                       **({"reason_code": case.reason_code} if case.reason_code else {})})


def _amount(raw) -> Decimal:
    value = parse_decimal(raw, max_digits=8)  # no NaN, Infinity or 1e400 reaches the arithmetic
    if value is None or value <= 0 or value != value.quantize(Decimal("0.01")) or value > Decimal("10000000"):
        raise CaseError("amount")
    return value


def propose(case: Case, actor: User, kind: str, *, amount=None, repair_days: int | None = None,
            detail: str = "", invoice: str | None = None) -> CaseEvent:
    _require(case, "propose")
    if kind not in RESOLUTION_KINDS:
        raise CaseError("resolution_kind")
    params: dict[str, Any] = {"detail": detail.strip()}
    case.resolution_amount = None
    if kind in ("refund", "compensation"):
        case.resolution_amount = _amount(amount)
        params["amount"] = f"{case.resolution_amount:.2f}"
    if kind == "repair":
        if repair_days is None or not 1 <= int(repair_days) <= 60:
            raise CaseError("repair_cycle")
        case.repair_cycle_days = int(repair_days)
        params["days"] = case.repair_cycle_days
    if kind == "explanation" and not detail.strip():
        raise CaseError("detail")
    invoice = invoice or INVOICE_HANDLING.get(kind, "none")
    if invoice not in INVOICE_CHOICES:
        raise CaseError("invoice")
    case.resolution_kind, case.resolution_detail, case.invoice_handling = kind, detail.strip(), invoice
    return record(case, "proposed", actor=actor, to_status="proposed", msg=f"proposed_{kind}", params=params,
                  data={"resolution": kind, "invoice": invoice})


EXECUTED = {"refund": "refund_paid", "exchange": "replacement_shipped", "repair": "repair_done",
            "compensation": "compensation_paid", "explanation": "explained"}


def execute(case: Case, actor: User, *, tracking: str = "", report: str = "") -> CaseEvent:
    """Carry out the proposal: refund paid, replacement shipped, repair done with its test report …"""
    _require(case, "execute")
    kind = case.resolution_kind or "explanation"
    params: dict[str, Any] = {}
    if kind in ("refund", "compensation"):
        params["amount"] = f"{case.resolution_amount:.2f}"
    if kind == "exchange":
        if not tracking.strip():
            raise CaseError("tracking")
        case.outbound_tracking_number = tracking.strip()[:64]
        params["tracking"] = case.outbound_tracking_number
    if kind == "repair" and not report.strip():
        raise CaseError("detail")
    if report.strip():
        params["report"] = report.strip()  # the test report is for the customer too
    case.resolved_at = utcnow()
    event = record(case, EXECUTED[kind], actor=actor, to_status="resolved", msg=EXECUTED[kind], params=params,
                   note=report.strip(), data={"resolution": kind, "invoice": case.invoice_handling, "report": report.strip()})
    surveys.schedule(case, case.resolved_at)
    return event


def reject(case: Case, actor: User, reason: str) -> CaseEvent:
    _require(case, "reject")
    if not reason.strip():
        raise CaseError("reason")
    case.rejection_reason = reason.strip()
    case.resolved_at = utcnow()
    return record(case, "rejected", actor=actor, to_status="rejected", msg="rejected", params={"reason": reason.strip()})


def escalate(case: Case, actor: User | None, note: str = "", actor_type: str = "staff",
             terms_and_calendar: tuple | None = None) -> CaseEvent:
    """Pass the case to the after-sales manager: the customer is told, and the shop's managers are alerted
    when an agent escalates (an SLA breach escalates with its own alert to them)."""
    _require(case, "escalate")
    case.escalated = True
    event = record(case, "escalated", actor=actor, actor_type=actor_type, msg="escalated", note=note,
                   terms_and_calendar=terms_and_calendar)
    if actor is not None:
        reason = note.strip() or case.description[:200]
        notifications.notify_managers(case, "escalated_to_manager", f"escalated:{case.id}:{event.id}",
                                      f"{actor.name}: {reason}")
    return event


def close(case: Case, actor: User) -> CaseEvent:
    _require(case, "close")
    case.closed_at = utcnow()
    return record(case, "closed", actor=actor, to_status="closed", msg="closed")


def reopen(case: Case, actor: User, reason: str) -> CaseEvent:
    _require(case, "reopen")
    if not reason.strip():
        raise CaseError("reason")
    case.closed_at = case.resolved_at = None
    surveys.cancel_pending(case)
    return record(case, "reopened", actor=actor, to_status="accepted", msg="reopened", note=reason.strip())


def add_note(case: Case, actor: User, note: str) -> CaseEvent:
    """Internal note: never shown to the consumer."""
    if not note.strip():
        raise CaseError("message")
    return record(case, "note", actor=actor, note=note.strip())


def message_customer(case: Case, actor: User, text: str) -> CaseEvent:
    if not text.strip():
        raise CaseError("message")
    return record(case, "staff_message", actor=actor, text=text.strip())


# ---------------------------------------------------------------- consumer steps

def consumer_message(case: Case, text: str) -> CaseEvent:
    """The consumer writes (or sends files); an information request is answered by it."""
    if not text.strip():
        raise CaseError("message")
    to_status = None
    if case.status == "info_requested":
        to_status = case.resume_status or "accepted"
        case.resume_status = None
    event = record(case, "consumer_message", actor_type="consumer", to_status=to_status,
                   data={"text": text.strip()[:4000]})
    if not case.emergency and case.category in FOOD_CATEGORIES:
        _terms, _cal = policies.service_terms(case)
        if mentions_food_safety(_terms, text):
            raise_emergency(case, "food-safety words in the customer's message")
    _auto_reply_if_closed(case, event.created_at)
    return event


def set_update_channels(case: Case, sms: bool, email: bool) -> CaseEvent | None:
    """The consumer's choice of channels for updates about the case (spec §5: per the consent on the case).

    Only channels the case has a contact for change. Turning one off cancels the messages on it not yet
    taken by a worker (progress updates and the survey invitation alike). Recorded as an event; no message
    is sent about it. None when nothing changed.
    """
    wanted = {"sms": bool(sms) if case.mobile else case.sms_consent,
              "email": bool(email) if case.email else case.email_consent}
    if (wanted["sms"], wanted["email"]) == (case.sms_consent, case.email_consent):
        return None
    case.sms_consent, case.email_consent = wanted["sms"], wanted["email"]
    off = [channel for channel, on in wanted.items() if not on]
    cancelled = notifications.cancel_unsent(case, off) if off else 0
    return record(case, "consent_changed", actor_type="consumer", apply_clocks=False,
                  data={"sms": wanted["sms"], "email": wanted["email"], "cancelled": cancelled})


def consumer_return_shipped(case: Case, carrier: str, tracking: str) -> CaseEvent:
    if case.status != "awaiting_return":
        raise CaseError("transition", status=case_messages.label(case.status))
    if not carrier.strip() or not tracking.strip():
        raise CaseError("tracking")
    case.return_carrier, case.return_tracking_number = carrier.strip()[:40], tracking.strip()[:64]
    return record(case, "return_shipped", actor_type="consumer", msg="return_shipped",
                  params={"carrier": case.return_carrier, "tracking": case.return_tracking_number})


def valid_channel(value: str) -> bool:
    return value in CHANNELS


def valid_expected(value: str) -> bool:
    return value in EXPECTED_RESOLUTIONS


def lines_of(order: Order | None) -> list[OrderLine]:
    return list(order.lines) if order is not None else []
