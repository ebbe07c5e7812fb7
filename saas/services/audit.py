"""Recording staff actions in the tenant's audit trail, and saying them in words."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.extensions import db
from saas.i18n import ROLE_LABELS
from saas.locale import current_lang, localized
from saas.models.audit import AuditEvent
from saas.models.case import Case
from saas.models.complaint import PlatformComplaint
from saas.models.recall import Recall
from saas.models.user import User
from saas.services import notification_words
from tenants.models import PolicyVersion, Tenant
from tenants.presets import PRESETS


def record(tenant_id: int, actor: User | None, action: str, target=None, **details) -> AuditEvent:
    event = AuditEvent(
        tenant_id=tenant_id,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__ if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        details=details,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    db.session.flush()
    return event


ACTION_LABELS = {
    "auth.login": _l("Signed in"),
    "compensation.recorded": _l("Advance compensation recorded"),
    "compensation.recovered": _l("Advance compensation recovered"),
    "complaint.answered": _l("Platform answered a complaint"),
    "complaint.forwarded": _l("Platform forwarded a complaint"),
    "complaint.merchant_answered": _l("Answered a complaint"),
    "follow_up.done": _l("Follow-up visit recorded"),
    "message_template.reset": _l("Message template reset to the default"),
    "message_template.save": _l("Message template saved"),
    "notification.resend": _l("Message sent again"),
    "orders.imported": _l("Orders imported"),
    "policy.category_rule_saved": _l("Category rule saved"),
    "policy.draft_saved": _l("Policy draft saved"),
    "policy.preset_applied": _l("Policy preset applied"),
    "policy.published": _l("Policy published"),
    "reason.added": _l("Case reason added"),
    "reason.deactivated": _l("Case reason taken out of use"),
    "reason.moved": _l("Case reasons reordered"),
    "reason.reactivated": _l("Case reason in use again"),
    "reason.renamed": _l("Case reason renamed"),
    "recall.resume": _l("Product recall resumed"),
    "recall.start": _l("Product recall started"),
    "retention.anonymised": _l("Old personal data anonymised"),
    "retention.changed": _l("Retention period changed"),
    "shop.updated": _l("Shop settings changed"),
    "staff.created": _l("Staff member added"),
    "staff.updated": _l("Staff member changed"),
    "team.auto_assign": _l("Automatic assignment of new cases changed"),
    "team.availability": _l("Availability for new cases changed"),
    "supervision.granted": _l("Supervisor access granted"),
    "supervision.responded": _l("Answered a supervisor's finding"),
    "supervision.revoked": _l("Supervisor access revoked"),
    "supervision.sample_drawn": _l("Supervisor drew a sample of cases"),
    "tenant.created": _l("Shop created"),
    "tenant.reactivated": _l("Shop reactivated"),
    "tenant.suspended": _l("Shop suspended"),
}

# Targets named by a plain word; those with a number or name of their own are in _NAMED below.
TARGET_WORDS = {
    "Notification": _l("Message to a customer"),
    "FollowUpTask": _l("Follow-up visit"),
    "SupervisorGrant": _l("Supervisor access"),
    "Sample": _l("Review sample"),
    "SampleCase": _l("Case in a review sample"),
    "FindingResponse": _l("Answer to a finding"),
    "AdvanceCompensation": _l("Advance compensation"),
    "MessageTemplate": _l("Message template"),
    "Order": _l("Order"),
    "CalendarYear": _l("Official calendar"),
    "ReasonCode": _l("Case reason"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, _l("Other action")))


def _policy_version(v: PolicyVersion) -> str:
    if v.number is None:
        return str(_l("Policy draft"))
    return str(_l("Policy version %(number)s", number=v.number))


# type name → (model, how to name one); loaded in one query per type.
_NAMED = {
    "PolicyVersion": (PolicyVersion, _policy_version),
    "Case": (Case, lambda c: str(_l("Case %(number)s", number=c.number))),
    "User": (User, lambda u: str(_l("Staff member %(name)s", name=u.name))),
    "Tenant": (Tenant, lambda t: str(_l("Shop %(name)s", name=t.name(current_lang())))),
    "Recall": (Recall, lambda r: str(_l("Product recall %(sku)s", sku=r.sku))),
    "PlatformComplaint": (PlatformComplaint, lambda c: str(_l("Complaint %(reference)s", reference=c.reference))),
}


def target_labels(events: Iterable[AuditEvent]) -> dict[int, str]:
    """event id → what the action was about, in words ("Policy version 2", not "PolicyVersion 4")."""
    events = list(events)
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in events:
        if e.target_type in _NAMED and e.target_id.isdigit():
            wanted[e.target_type].add(int(e.target_id))
    found: dict[tuple[str, int], str] = {}
    for type_name, ids in wanted.items():
        model, name = _NAMED[type_name]
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            found[(type_name, obj.id)] = name(obj)
    labels = {}
    for e in events:
        if not e.target_type:
            labels[e.id] = "—"
        elif e.target_type in _NAMED:
            fallback = TARGET_WORDS.get(e.target_type) or _l("Removed record")
            labels[e.id] = found.get((e.target_type, int(e.target_id) if e.target_id.isdigit() else -1), str(fallback))
        else:
            labels[e.id] = str(TARGET_WORDS.get(e.target_type, _l("Other record")))
    return labels


DETAIL_LABELS = {
    "number": _l("Version"),
    "effective_date": _l("Effective date"),
    "preset": _l("Preset"),
    "category": _l("Category"),
    "supervisor": _l("Supervisor"),
    "starts_on": _l("From"),
    "ends_on": _l("Until"),
    "evidence_images": _l("Evidence photos included"),
    "orders": _l("Orders"),
    "lines": _l("Order lines"),
    "filename": _l("File"),
    "role": _l("Role"),
    "enabled": _l("Account enabled"),
    "key": _l("Message"),
    "channel": _l("Channel"),
    "locale": _l("Language"),
    "slug": _l("Web address"),
    "days": _l("Days"),
    "retention_days": _l("Retention (days)"),
    "cases": _l("Cases"),
    "sku": _l("SKU"),
    "case": _l("Case"),
    "reference": _l("Reference"),
    "amount": _l("Amount"),
    "seed": _l("Random seed"),
    "size": _l("Sample size"),
    "stratified": _l("Stratified"),
    "period": _l("Period"),
    "cursor": _l("Resumed after order"),
    "messages": _l("Messages"),
    "late": _l("Late"),
    "complaint": _l("Complaint"),
    "complaints": _l("Complaints"),
    "evidence_files": _l("Evidence files"),
    "form": _l("Form"),
    "available": _l("Takes new cases"),
    "auto_assign": _l("New cases handed out in turn"),
    "name_zh": _l("Name (Chinese)"),
    "name_en": _l("Name (English)"),
    "contact_phone": _l("Customer service phone"),
    "contact_email": _l("Customer service email"),
    "brand_colour": _l("Brand colour"),
    "return_recipient": _l("Returns: recipient"),
    "return_phone": _l("Returns: phone"),
    "return_address_zh": _l("Returns: address (Chinese)"),
    "return_address_en": _l("Returns: address (English, optional)"),
}


def _value(key: str, value) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_value(key, value[0])} → {_value(key, value[1])}"
    if isinstance(value, bool):
        return str(_l("Yes") if value else _l("No"))
    if value is None or value == "":
        return "—"
    if key == "preset" and value in PRESETS:
        preset = PRESETS[value]
        return localized(preset, "name")
    if key == "role" and value in ROLE_LABELS:
        return str(ROLE_LABELS[value])
    if key == "key":
        return notification_words.template_label(value)
    if key == "channel":
        return notification_words.channel_label(value)
    if key == "locale":
        return {"zh_Hans": "中文", "en": "English"}.get(value, str(value))
    return str(value)


def detail_rows(event: AuditEvent) -> list[tuple[str, str]]:
    """The event's details as (label, value) in words; a detail without a label keeps its name."""
    return [(str(DETAIL_LABELS.get(key, key)), _value(key, value)) for key, value in (event.details or {}).items()]
