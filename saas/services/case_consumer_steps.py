"""What a consumer does on an open case: write a message, choose how to hear back, send the goods back."""

from __future__ import annotations

from saas.models.case import Case, CaseEvent
from saas.services import case_messages, notifications, policies
from saas.services.case_emergency import FOOD_CATEGORIES, raise_emergency
from saas.services.case_events import auto_reply_if_closed, record
from saas.services.cases import CaseError
from tenants.policy import mentions_food_safety


def consumer_message(case: Case, text: str) -> CaseEvent:
    """The consumer writes (or sends files); an information request is answered by it."""
    if not text.strip():
        raise CaseError("message")
    to_status = None
    if case.status == "info_requested":
        to_status = case.resume_status or "accepted"
        case.resume_status = None
    event = record(
        case, "consumer_message", actor_type="consumer", to_status=to_status, data={"text": text.strip()[:4000]}
    )
    if not case.emergency and case.category in FOOD_CATEGORIES:
        _terms, _cal = policies.service_terms(case)
        if mentions_food_safety(_terms, text):
            raise_emergency(case, "food-safety words in the customer's message")
    auto_reply_if_closed(case, event.created_at)
    return event


def set_update_channels(case: Case, sms: bool, email: bool) -> CaseEvent | None:
    """The consumer's choice of channels for updates about the case (spec §5: per the consent on the case).

    Only channels the case has a contact for change. Turning one off cancels the messages on it not yet
    taken by a worker (progress updates and the survey invitation alike). Recorded as an event; no message
    is sent about it. None when nothing changed.
    """
    wanted = {
        "sms": bool(sms) if case.mobile else case.sms_consent,
        "email": bool(email) if case.email else case.email_consent,
    }
    if (wanted["sms"], wanted["email"]) == (case.sms_consent, case.email_consent):
        return None
    case.sms_consent, case.email_consent = wanted["sms"], wanted["email"]
    off = [channel for channel, on in wanted.items() if not on]
    cancelled = notifications.cancel_unsent(case, off) if off else 0
    return record(
        case,
        "consent_changed",
        actor_type="consumer",
        apply_clocks=False,
        data={"sms": wanted["sms"], "email": wanted["email"], "cancelled": cancelled},
    )


def consumer_return_shipped(case: Case, carrier: str, tracking: str) -> CaseEvent:
    if case.status != "awaiting_return":
        raise CaseError("transition", status=case_messages.label(case.status))
    if not carrier.strip() or not tracking.strip():
        raise CaseError("tracking")
    case.return_carrier, case.return_tracking_number = carrier.strip()[:40], tracking.strip()[:64]
    return record(
        case,
        "return_shipped",
        actor_type="consumer",
        msg="return_shipped",
        params={"carrier": case.return_carrier, "tracking": case.return_tracking_number},
    )
