"""Case lifecycle: what may happen in which state, and the agent's actions.

A case is filed in `case_intake`; what the consumer does on it (a message, the update channels, the
return parcel) is in `case_consumer_steps`; a food-safety emergency is raised and lowered in
`case_emergency`. Every change records its event through `case_events.record`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from saas.email_addresses import EMAIL_MESSAGE
from saas.input_guard import parse_decimal
from saas.models.base import utcnow
from saas.models.case import INVOICE_CHOICES, INVOICE_HANDLING, RESOLUTION_KINDS, RESPONSIBILITIES, Case, CaseEvent
from saas.models.user import User
from saas.phones import MOBILE_MESSAGE
from saas.services import case_messages, notifications, reasons, surveys
from saas.services.case_events import record
from saas.services.errors import ServiceError

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


# ---------------------------------------------------------------- agent actions


def accept(case: Case, actor: User) -> CaseEvent:
    _require(case, "accept")
    return record(case, "accepted", actor=actor, to_status="accepted", msg="accepted")


def request_info(case: Case, actor: User, detail: str) -> CaseEvent:
    _require(case, "request_info")
    if not detail.strip():
        raise CaseError("detail")
    case.resume_status = case.status if case.status != "submitted" else "accepted"
    return record(
        case,
        "info_requested",
        actor=actor,
        to_status="info_requested",
        msg="info_requested",
        params={"detail": detail.strip()},
    )


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


def verify(
    case: Case, actor: User, responsibility: str, basis: str, clause: str = "", *, reason_code: str | None = None
) -> CaseEvent:
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
    return record(
        case,
        "verified",
        actor=actor,
        to_status="verified",
        msg=f"verified_{responsibility}",
        params=params,
        data={
            "responsibility": responsibility,
            "clause": clause.strip(),
            **({"reason_code": case.reason_code} if case.reason_code else {}),
        },
    )


def _amount(raw) -> Decimal:
    value = parse_decimal(raw, max_digits=8)  # no NaN, Infinity or 1e400 reaches the arithmetic
    if value is None or value <= 0 or value != value.quantize(Decimal("0.01")) or value > Decimal("10000000"):
        raise CaseError("amount")
    return value


def propose(
    case: Case,
    actor: User,
    kind: str,
    *,
    amount=None,
    repair_days: int | None = None,
    detail: str = "",
    invoice: str | None = None,
) -> CaseEvent:
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
    return record(
        case,
        "proposed",
        actor=actor,
        to_status="proposed",
        msg=f"proposed_{kind}",
        params=params,
        data={"resolution": kind, "invoice": invoice},
    )


EXECUTED = {
    "refund": "refund_paid",
    "exchange": "replacement_shipped",
    "repair": "repair_done",
    "compensation": "compensation_paid",
    "explanation": "explained",
}


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
    event = record(
        case,
        EXECUTED[kind],
        actor=actor,
        to_status="resolved",
        msg=EXECUTED[kind],
        params=params,
        note=report.strip(),
        data={"resolution": kind, "invoice": case.invoice_handling, "report": report.strip()},
    )
    surveys.schedule(case, case.resolved_at)
    return event


def reject(case: Case, actor: User, reason: str) -> CaseEvent:
    _require(case, "reject")
    if not reason.strip():
        raise CaseError("reason")
    case.rejection_reason = reason.strip()
    case.resolved_at = utcnow()
    return record(
        case, "rejected", actor=actor, to_status="rejected", msg="rejected", params={"reason": reason.strip()}
    )


def escalate(
    case: Case, actor: User | None, note: str = "", actor_type: str = "staff", terms_and_calendar: tuple | None = None
) -> CaseEvent:
    """Pass the case to the after-sales manager: the customer is told, and the shop's managers are alerted
    when an agent escalates (an SLA breach escalates with its own alert to them)."""
    _require(case, "escalate")
    case.escalated = True
    event = record(
        case,
        "escalated",
        actor=actor,
        actor_type=actor_type,
        msg="escalated",
        note=note,
        terms_and_calendar=terms_and_calendar,
    )
    if actor is not None:
        reason = note.strip() or case.description[:200]
        notifications.notify_managers(
            case, "escalated_to_manager", f"escalated:{case.id}:{event.id}", f"{actor.name}: {reason}"
        )
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
