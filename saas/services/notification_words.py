"""Words for staff screens about notifications: what a message is, its channel, state and why it failed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from saas.models.notification import Notification

# The same words as the templates console, plus the messages merchants cannot edit.
TEMPLATE_LABELS = {
    "submitted": _l("Filed"),
    "accepted": _l("Accepted"),
    "info_requested": _l("Information requested"),
    "return_requested": _l("Return requested"),
    "return_received": _l("Return received"),
    "inspected": _l("Inspected"),
    "verified": _l("Responsibility recorded"),
    "proposed": _l("Proposal made"),
    "refund_paid": _l("Refund paid"),
    "replacement_shipped": _l("Replacement shipped"),
    "repair_done": _l("Repair done"),
    "resolved": _l("Resolved"),
    "rejected": _l("Rejected"),
    "escalated": _l("Escalated"),
    "closed": _l("Closed"),
    "reopened": _l("Reopened"),
    "message": _l("Message to the customer"),
    "auto_reply": _l("Automatic reply"),
    "survey_invitation": _l("Survey invitation"),
    "recall": _l("Product recall"),
    "review_pack": _l("Review pack"),
    "sla_breach": _l("Service level breached"),
    "emergency": _l("Food safety emergency"),
    "escalated_to_manager": _l("Case passed to a manager"),
    "complaint_forwarded": _l("Complaint forwarded by the platform"),
    "complaint_reply": _l("Platform's answer to a complaint"),
}
CHANNEL_LABELS = {"sms": _l("SMS"), "email": _l("Email")}
STATUS_LABELS = {
    "pending": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "retry": _l("Will retry"),
    "dead": _l("Failed"),
    "superseded": _l("Replaced by a newer update"),
    "cancelled": _l("Cancelled"),
}
# error_code → why, in words. Provider texts (SMTP replies, gateway errors) stay in the row for
# engineers; a merchant reads these.
REASONS = {
    "connection": _l("Could not reach the mail or SMS server. It will be tried again."),
    "timeout": _l("The mail or SMS server did not answer in time. It will be tried again."),
    "lookup_failed": _l("The provider could not tell whether the message arrived."),
    "interrupted": _l("Sending was interrupted; the provider is asked before trying again."),
    "throttled": _l("The provider asked us to slow down. It will be tried again."),
    "invalid_number": _l("This is not a valid mobile number."),
    "isv.MOBILE_NUMBER_ILLEGAL": _l("This is not a valid mobile number."),  # Aliyun's code for it
    "invalid_message": _l("The message could not be written (check the email address)."),
    "template": _l("The message template has an error; fix it under Message templates."),
    "config": _l("Sending is not set up on this platform; please tell the platform operator."),
    "store": _l("The development inbox could not store the message."),
    "stale": _l("No longer true when its time came"),
}


def template_label(key: str) -> str:
    return str(TEMPLATE_LABELS.get(key, _l("Message")))


def channel_label(channel: str) -> str:
    return str(CHANNEL_LABELS.get(channel, channel))


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, _l("Unknown")))


def reason(n: Notification) -> str:
    """Why a message failed or waits to be retried, in words; empty when nothing went wrong."""
    code = (n.error_code or "").strip()
    if not code:
        return ""
    if code in REASONS:
        return str(REASONS[code])
    if code.isdigit():
        smtp = int(code)
        if 500 <= smtp < 600:
            return str(_l("The recipient's mail server refused the message (code %(code)s).", code=code))
        return str(
            _l(
                "The recipient's mail server refused the message for now (code %(code)s). It will be tried again.",
                code=code,
            )
        )
    return str(_l("The provider refused the message."))
