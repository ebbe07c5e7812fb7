"""Supervision review: the masked case view, the supervisor's review, the merchant's response, the access logs."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.extensions import db
from saas.masking import mask_case_number, mask_email, mask_mobile_head, mask_name, mask_text
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.sla import SlaClock
from saas.models.supervision import CHECKS, RESULTS, FindingResponse, SampleCase, SupervisorAccess
from saas.models.user import User
from saas.services import audit, case_messages, case_view, sla
from saas.services.supervision import (
    MAX_COMMENT,
    MAX_FINDINGS,
    MAX_RESPONSE,
    SupervisionError,
    access_label,
    check_label,
    result_label,
)
from tenants.scoping import tenant_context


def masked_case_view(case: Case, show_evidence: bool, lang: str) -> dict:
    """Everything a supervisor sees of a case, as plain masked values.

    Templates and exports only ever get this dict. Name, mobile and email are
    masked; there is no address; every free-text value goes through mask_text.
    Free text also loses the customer's name wherever it is written ("张三丰您好" → "张**您好") and any
    street address written out in it. Internal notes are left out: they are the merchant's working notes, not what
    was done or said to the customer, and may quote contact details verbatim.
    Videos are never offered (their metadata is not stripped); photos only when
    the grant allows them, and only by id, never by their original file name.
    Nothing here opens the consumer's tracking page (case number + last four digits of the
    mobile): the case number is shown in part and the mobile without its tail, in fields and text.
    """
    with tenant_context(case.tenant_id):
        mask = _masker(case)
        timeline = []
        for entry in case_view.timeline(case, lang, staff=True):
            files = entry.evidence
            photos = [e.id for e in files if e.kind == "image" and e.status == "ready"] if show_evidence else []
            # Who took the case is staff's personal data: the supervisor sees that it changed hands, not names.
            text = _("The case changed hands.") if entry.kind == "assigned" else mask(entry.text)
            timeline.append(
                {
                    "at": entry.at,
                    "who": entry.who,
                    "kind": case_messages.event_label(entry.kind),
                    "text": text,
                    "photos": photos,
                    "hidden_files": len(files) - len(photos),
                }
            )
        clocks = sorted(
            db.session.scalars(select(SlaClock).where(SlaClock.case_id == case.id)).all(),
            key=lambda c: (c.started_at, c.id),
        )
        lines = [{"name": mask(cl.order_line.name), "quantity": cl.quantity} for cl in case.lines]
        remedies = [
            {**r, "reason": mask(r["reason"]), "clause": mask(r["clause"]), "label": mask(r["label"])}
            for r in case_view.remedies(case, lang)
        ]
        return {
            "id": case.id,
            "number": mask_case_number(case.number),
            "problem_type": case_messages.label(case.problem_type),
            "status": case_messages.label(case.status),
            "emergency": case.emergency,
            "priority": case.priority,
            "customer_name": mask_name(case.customer_name),
            "mobile": mask_mobile_head(case.mobile),
            "email": mask_email(case.email),
            "address": "",
            "order_number": mask(case.order_number),
            "order_verified": case.order_verified,
            "purchase_channel": case_messages.label(case.purchase_channel),
            "intake_channel": case_messages.label(case.intake_channel),
            "purchase_date": case.purchase_date,
            "delivery_date": case.delivery_date,
            "category": case.category,
            "item_price": case.item_price,
            "lines": lines,
            "expected_resolution": case_messages.label(case.expected_resolution),
            "description": mask(case.description),
            "responsibility": case_messages.label(case.responsibility) if case.responsibility else "",
            "responsibility_basis": mask(case.responsibility_basis),
            "resolution_kind": case_messages.label(case.resolution_kind) if case.resolution_kind else "",
            "resolution_amount": case.resolution_amount,
            "repair_cycle_days": case.repair_cycle_days,
            "resolution_detail": mask(case.resolution_detail),
            "invoice_handling": case_messages.label(case.invoice_handling) if case.invoice_handling else "",
            "rejection_reason": mask(case.rejection_reason),
            "created_at": case.created_at,
            "first_response_at": case.first_response_at,
            "resolved_at": case.resolved_at,
            "closed_at": case.closed_at,
            "remedies": remedies,
            "clocks": [
                {
                    "kind": str(sla.CLOCK_LABELS.get(c.kind, c.kind)),
                    "around_the_clock": c.around_the_clock,
                    "started_at": c.started_at,
                    "due_at": c.due_at,
                    "stopped_at": c.stopped_at,
                    "state": c.state,
                    "state_label": str(sla.STATE_LABELS.get(c.state, c.state)),
                    "paused_hours": round(c.paused_seconds / 3600, 1),
                }
                for c in clocks
            ],
            "timeline": timeline,
            "show_evidence": show_evidence,
        }


def _masker(case: Case):
    """mask_text for one case's free text: its people's names, its number shown in part, and the shop's
    own order and parcel numbers left readable (a verified order number is the shop's, not typed by the consumer)."""
    people = (case.customer_name, case.order.customer_name if case.order is not None else "")
    known = (case.order.order_number if case.order is not None else "", case.outbound_tracking_number or "")
    numbers = (case.number,)
    return lambda text: mask_text(text or "", names=people, keep=known, case_numbers=numbers)


def masked_review(item: SampleCase) -> dict:
    """A review and the merchant's responses, as the supervisor sees them (free text masked)."""
    with tenant_context(item.tenant_id):
        mask = _masker(item.case)
    return {
        "checks": [
            {
                "key": k,
                "label": check_label(k),
                "result": getattr(item, f"{k}_result"),
                "result_label": result_label(getattr(item, f"{k}_result")),
                "comment": mask(getattr(item, f"{k}_comment")),
            }
            for k in CHECKS
        ],
        "verdict": item.verdict,
        "verdict_label": result_label(item.verdict),
        "findings": mask(item.findings),
        "reviewed_at": item.reviewed_at,
        "responses": [{"at": r.created_at, "text": mask(r.text)} for r in item.responses],
    }


def save_review(item: SampleCase, reviewer: User, form: dict) -> SampleCase:
    errors: dict = {}
    values: dict = {}
    for key in (*CHECKS, "verdict"):
        name = key if key == "verdict" else f"{key}_result"
        value = (form.get(name) or "").strip()
        if value not in RESULTS:
            errors[name] = _l("Please choose pass, concern or fail.")
        values[name] = value
    for key in CHECKS:
        comment = (form.get(f"{key}_comment") or "").strip()
        if len(comment) > MAX_COMMENT:
            errors[f"{key}_comment"] = _l("At most %(n)s characters.", n=MAX_COMMENT)
        values[f"{key}_comment"] = comment
    findings = (form.get("findings") or "").strip()
    if len(findings) > MAX_FINDINGS:
        errors["findings"] = _l("At most %(n)s characters.", n=MAX_FINDINGS)
    elif values["verdict"] in ("concern", "fail") and not findings:
        errors["findings"] = _l("Please write the findings for a concern or a fail.")
    if errors:
        raise SupervisionError(errors)
    with tenant_context(item.tenant_id):
        for name, value in values.items():
            setattr(item, name, value)
        item.findings, item.reviewed_at, item.reviewer_id = findings, utcnow(), reviewer.id
        db.session.flush()
    return item


def findings_for_case(case: Case) -> list[SampleCase]:
    """Reviewed sample entries of a case, for the merchant's own console (tenant-scoped by the guard)."""
    return list(
        db.session.scalars(
            select(SampleCase)
            .where(SampleCase.case_id == case.id, SampleCase.verdict.is_not(None))
            .order_by(SampleCase.reviewed_at.desc(), SampleCase.id.desc())
        )
    )


def case_access_log(case: Case, limit: int = 50) -> list[SupervisorAccess]:
    return list(
        db.session.scalars(
            select(SupervisorAccess)
            .where(SupervisorAccess.case_id == case.id)
            .order_by(SupervisorAccess.created_at.desc(), SupervisorAccess.id.desc())
            .limit(limit)
        )
    )


def console_panel(case: Case, user: User) -> dict:
    """What the merchant's case page shows about supervision: findings, responses, and (owner) the access log."""
    return {
        "findings": findings_for_case(case),
        "can_respond": user.can_manage,
        "access": case_access_log(case) if user.role == "owner" else None,
        "result": result_label,
        "check": check_label,
        "access_label": access_label,
    }


def respond(case: Case, author: User, finding_id, text: str) -> FindingResponse:
    try:
        finding_id = int(finding_id)
    except (TypeError, ValueError):
        raise SupervisionError({"finding": _l("These findings were not found.")}) from None
    item = db.session.get(SampleCase, finding_id)
    if item is None or item.tenant_id != case.tenant_id or item.case_id != case.id or item.verdict is None:
        raise SupervisionError({"finding": _l("These findings were not found.")})
    text = (text or "").strip()
    if not text:
        raise SupervisionError({"text": _l("Please write your response.")})
    if len(text) > MAX_RESPONSE:
        raise SupervisionError({"text": _l("At most %(n)s characters.", n=MAX_RESPONSE)})
    row = FindingResponse(
        tenant_id=case.tenant_id, sample_case_id=item.id, author_id=author.id, text=text, created_at=utcnow()
    )
    db.session.add(row)
    db.session.flush()
    audit.record(case.tenant_id, author, "supervision.responded", item, case=case.number)
    return row


def tenant_access_log(limit: int = 500) -> list[SupervisorAccess]:
    """The current tenant's supervisor access log, newest first (the guard scopes it)."""
    return list(
        db.session.scalars(
            select(SupervisorAccess)
            .order_by(SupervisorAccess.created_at.desc(), SupervisorAccess.id.desc())
            .limit(limit)
        )
    )
