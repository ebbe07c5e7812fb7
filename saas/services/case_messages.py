"""What the customer is told at each step of a case, in the case's or the reader's language."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from saas.locale import pick
from saas.models.order import CHANNEL_LABELS

# Message keys stored on events (data["msg"]) so a page can re-render them in
# the reader's language; the event also keeps the text sent in the case's locale.
MESSAGES = {
    "submitted": _l("We have received your after-sales request %(number)s and will reply soon."),
    "accepted": _l("Your after-sales request has been accepted. We are now checking it."),
    "info_requested": _l("Please send us more information: %(detail)s"),
    "return_requested": _l(
        "Please send the goods back. The return address and a return slip are on your tracking page."
    ),
    "return_shipped": _l("Return parcel registered: %(carrier)s %(tracking)s."),
    "return_received": _l("Your return has been received and is being inspected."),
    "inspected": _l("Your returned goods have been inspected."),
    "verified_merchant": _l("We have checked your case: the problem is our responsibility."),
    "verified_customer": _l("We have checked your case: the damage is not covered (%(basis)s)."),
    "verified_logistics": _l(
        "We have checked your case: the goods were damaged in transit. We handle it with the carrier."
    ),
    "proposed_refund": _l("Our proposal: a refund of %(amount)s yuan."),
    "proposed_exchange": _l("Our proposal: an exchange for a replacement."),
    "proposed_repair": _l("Our proposal: repair, expected to take %(days)s working days."),
    "proposed_compensation": _l("Our proposal: compensation of %(amount)s yuan."),
    "proposed_explanation": _l("Our answer: %(detail)s"),
    "refund_paid": _l("Your refund of %(amount)s yuan has been paid to the original payment method."),
    "replacement_shipped": _l("Your replacement has been shipped, tracking number %(tracking)s."),
    "repair_done": _l("The repair is done and the item has passed its test."),
    "compensation_paid": _l("The compensation of %(amount)s yuan has been paid."),
    "explained": _l("Your question has been answered."),
    "rejected": _l("We are sorry, your request was not approved: %(reason)s"),
    "escalated": _l("Your case has been passed to the after-sales manager."),
    "closed": _l("Your case is closed. Thank you for your patience."),
    "reopened": _l("Your case has been reopened and we are looking at it again."),
    "auto_reply": _l("We received your message outside our working hours. We will handle it from %(when)s."),
}


# What an agent typed for the customer, added to a step's message when its sentence does not already
# carry it: the customer reads every word of it, on the tracking page and in the SMS/email alike.
ADDED = (
    ("basis", _l("Reason: %(basis)s")),
    ("clause", _l("Policy clause: %(clause)s")),
    ("detail", _l("Details: %(detail)s")),
    ("report", _l("Test report: %(report)s")),
)


def render(key: str, params: dict | None = None) -> str:
    """The message in the current locale (or the key's text left as is if unknown), with the agent's
    own words that its sentence leaves out."""
    template = MESSAGES.get(key)
    if template is None:
        return key
    params = params or {}
    sentence = str(template)
    text = sentence % params if params else sentence
    for name, added in ADDED:
        value = str(params.get(name) or "").strip()
        if value and f"%({name})s" not in sentence:
            if not text.endswith(SENTENCE_ENDS):  # typed words often end without a full stop
                text += pick("。", ".")
            # Chinese sentences follow each other without a space.
            text = f"{text}{pick('', ' ')}{str(added) % {name: value}}"
    return text


SENTENCE_ENDS = tuple(".!?。！？")


def render_in(locale: str, key: str, params: dict | None = None) -> str:
    with force_locale(locale):
        return render(key, params)


def event_message(event, locale: str | None = None) -> str:
    """What a customer-visible event says, re-rendered for the reader when it came from a key."""
    key = (event.data or {}).get("msg")
    if key and locale:
        params = dict(event.data.get("params") or {})
        if event.data.get("clause") and "clause" not in params:
            params["clause"] = event.data["clause"]  # recorded before the clause was part of the message
        with force_locale(locale):
            return render(key, params)
    return event.customer_message


def label(kind: str) -> str:
    """Short names of statuses, types, channels …, for pages, in the current language."""
    if kind in CHANNEL_LABELS:
        return pick(*CHANNEL_LABELS[kind])
    return str(LABELS.get(kind, kind))


LABELS = {
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "info_requested": _l("Waiting for your information"),
    "awaiting_return": _l("Waiting for the return parcel"),
    "return_received": _l("Return received"),
    "inspected": _l("Inspected"),
    "verified": _l("Checked"),
    "proposed": _l("Proposal made"),
    "resolved": _l("Resolved"),
    "rejected": _l("Not approved"),
    "closed": _l("Closed"),
    "quality": _l("Quality problem"),
    "return_exchange": _l("Return or exchange"),
    "complaint": _l("Service complaint"),
    "consultation": _l("Consultation or suggestion"),
    "food_safety": _l("Food safety emergency"),
    "return": _l("Return"),
    "exchange": _l("Exchange"),
    "repair": _l("Repair"),
    "refund": _l("Refund"),
    "compensation": _l("Compensation"),
    "explanation": _l("Explanation"),
    "merchant": _l("Merchant"),
    "customer": _l("Customer"),
    "logistics": _l("Logistics"),
    "red_letter": _l("Red-letter reversal (红冲)"),
    "endorsement": _l("Endorsement"),
    "return_original": _l("Return of the original invoice"),
    "none": _l("None"),
    "web": _l("Web form"),
    "agent": _l("Entered by staff"),
    "api": _l("API"),
}


# Where a status reads differently for the shop's staff than for the customer it addresses.
STAFF_LABELS = {"info_requested": _l("Waiting for the customer's information")}


def staff_label(kind: str) -> str:
    """label() as the shop's staff read it: the customer is "the customer", not "you"."""
    return str(STAFF_LABELS[kind]) if kind in STAFF_LABELS else label(kind)


NODE_LABELS = {
    "accepted": _l("Acceptance"),
    "verification": _l("Verification"),
    "resolution": _l("Resolution"),
    "closed": _l("Case closed"),
}


def node_names() -> list[tuple[str, str]]:
    """The four nodes the consumer sees: 受理 → 核查 → 解决 → 结案."""
    return [(key, str(text)) for key, text in NODE_LABELS.items()]


EVENT_LABELS = {
    "submitted": _l("Filed"),
    "accepted": _l("Accepted"),
    "info_requested": _l("Information requested"),
    "return_requested": _l("Return requested"),
    "return_shipped": _l("Return parcel registered"),
    "return_received": _l("Return received"),
    "inspected": _l("Inspected"),
    "verified": _l("Responsibility recorded"),
    "proposed": _l("Proposal made"),
    "refund_paid": _l("Refund paid"),
    "replacement_shipped": _l("Replacement shipped"),
    "repair_done": _l("Repair done"),
    "compensation_paid": _l("Compensation paid"),
    "explained": _l("Answered"),
    "rejected": _l("Rejected"),
    "escalated": _l("Escalated"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "note": _l("Internal note"),
    "staff_message": _l("Message to the customer"),
    "consumer_message": _l("Customer's message"),
    "auto_reply": _l("Automatic reply"),
    "sla_breached": _l("Service level breached"),
    "emergency_raised": _l("Raised to emergency"),
    "emergency_lowered": _l("Emergency lowered"),
    "consent_changed": _l("Update preferences changed"),
    "assigned": _l("Assignee"),
}


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))
