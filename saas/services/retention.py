"""PIPL retention: anonymise cases closed longer ago than the tenant's retention_days, keeping the statistics.

What goes: the customer's name, mobile and email (on the case, its linked order once no live case
needs it, the order's recall contacts, the case's outbox rows), the description and the consumer's
own messages and survey comments (replaced by a placeholder), return/outbound tracking numbers,
evidence files (from disk, then their rows); names, contacts and anything shaped like a mobile,
email or ID number are scrubbed from staff-written texts (events, notes, reasons) too.
What stays: the case row itself with its number, dates, type, category, status, resolution kind and
amount, SLA clocks, survey scores — everything the reports and scorecards count.

Case events are append-only for the application; erasure required by law is the one exception, so
it is written with Core statements that bypass the ORM's append-only guard, here and nowhere else.
Survey opt-outs (contact suppressions) are kept: they are the person's own request and must keep
being honoured.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, not_, select, update

from saas.caches import case_pages
from saas.extensions import db
from saas.masking import mask_text
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent, Evidence
from saas.models.complaint import PlatformComplaint
from saas.models.notification import Notification
from saas.models.order import Order
from saas.models.recall import RecallContact
from saas.models.survey import FollowUpTask, Survey
from saas.services import audit, case_evidence
from saas.services.errors import ServiceError
from tenants.models import Tenant
from tenants.scoping import tenant_context

log = logging.getLogger(__name__)

ANONYMISED_NAME = "已匿名"
PLACEHOLDER = "（已匿名 / anonymised）"
REDACTED = "***"
MIN_DAYS, MAX_DAYS = 30, 3650
BATCH = 200

_EVENT_COLUMNS = CaseEvent.__table__.c


@dataclass
class RetentionResult:
    cases: int = 0
    orders: int = 0
    complaints: int = 0
    evidence_files: int = 0

    def add(self, other: RetentionResult) -> None:
        self.cases += other.cases
        self.orders += other.orders
        self.complaints += other.complaints
        self.evidence_files += other.evidence_files

    @property
    def anything(self) -> bool:
        return bool(self.cases or self.orders or self.complaints or self.evidence_files)


def cutoff(tenant: Tenant, now: datetime) -> datetime:
    return now - timedelta(days=tenant.retention_days or 365)


class RetentionError(ServiceError):
    MESSAGES = {"days": _l("Please enter a whole number of days from %(min)s to %(max)s.")}


def set_retention_days(tenant: Tenant, actor, days: int) -> None:
    if not isinstance(days, int) or isinstance(days, bool) or not MIN_DAYS <= days <= MAX_DAYS:
        raise RetentionError("days", field="retention_days", min=MIN_DAYS, max=MAX_DAYS)
    if tenant.retention_days != days:
        before, tenant.retention_days = tenant.retention_days, days
        db.session.flush()
        audit.record(tenant.id, actor, "retention.changed", tenant, days=[before, days])


# ---------------------------------------------------------------- scrubbing text


def _needles(*values: str) -> list[str]:
    return sorted(
        {v.strip() for v in values if v and v.strip() and v.strip() != ANONYMISED_NAME}, key=len, reverse=True
    )


def scrub(text: str, needles: list[str]) -> str:
    """The text with the given personal values removed, and whatever else masking finds (phones in any
    writing, e-mails, ID numbers, addresses) masked by the platform's one free-text rule (saas.masking)."""
    if not text:
        return text
    for needle in needles:
        text = re.sub(re.escape(needle), REDACTED, text, flags=re.IGNORECASE)
    return mask_text(text)


def _scrub_json(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, needles)
    if isinstance(value, list):
        return [_scrub_json(v, needles) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, needles) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- the sweep


def sweep(
    now: datetime | None = None, batch: int = BATCH, end_batch: Callable[[], None] | None = None
) -> RetentionResult:
    """Every tenant's expired cases and complaints; running it again changes nothing.

    After each batch (and each tenant) `end_batch` runs: the job passes `db.session.commit`, so a
    long backlog is never one transaction; by default batches are only flushed.
    """
    now = now or utcnow()
    end_batch = end_batch or db.session.flush
    total = RetentionResult()
    tenants = db.session.execute(select(Tenant.id, Tenant.retention_days).order_by(Tenant.id)).all()
    for tenant_id, _days in tenants:
        with tenant_context(tenant_id):
            tenant = db.session.get(Tenant, tenant_id)
            result = sweep_tenant(tenant, now, batch, end_batch)
            if result.anything:
                audit.record(
                    tenant_id,
                    None,
                    "retention.anonymised",
                    cases=result.cases,
                    orders=result.orders,
                    complaints=result.complaints,
                    evidence_files=result.evidence_files,
                    retention_days=tenant.retention_days,
                )
            end_batch()
        if result.anything:
            log.info("retention: tenant %s anonymised %s", tenant_id, result)
        total.add(result)
    return total


def _expired(tenant_id: int, before: datetime):
    return and_(
        Case.tenant_id == tenant_id, Case.status == "closed", Case.closed_at.is_not(None), Case.closed_at < before
    )


def sweep_tenant(
    tenant: Tenant, now: datetime, batch: int = BATCH, end_batch: Callable[[], None] | None = None
) -> RetentionResult:
    """One tenant (inside its tenant_context); `end_batch` after each batch (see `sweep`)."""
    end_batch = end_batch or db.session.flush
    before = cutoff(tenant, now)
    result = RetentionResult()
    last = 0
    while True:
        ids = db.session.scalars(
            select(Case.id)
            .where(
                _expired(tenant.id, before),
                Case.customer_name != ANONYMISED_NAME,
                Case.id > last,
            )
            .order_by(Case.id)
            .limit(batch)
        ).all()
        if not ids:
            break
        result.add(anonymise_cases(tenant, list(ids), before))
        last = ids[-1]
        end_batch()
    result.add(anonymise_complaints(tenant, before, now, batch, end_batch))
    return result


def anonymise_cases(tenant: Tenant, ids: list[int], before: datetime) -> RetentionResult:
    result = RetentionResult()
    cases = db.session.scalars(select(Case).where(Case.tenant_id == tenant.id, Case.id.in_(ids))).all()
    orders = {c.order_id for c in cases if c.order_id is not None}
    order_rows = {o.id: o for o in db.session.scalars(select(Order).where(Order.id.in_(orders)))} if orders else {}
    for case in cases:
        order = order_rows.get(case.order_id) if case.order_id else None
        needles = _needles(
            case.customer_name,
            case.mobile,
            case.email,
            case.return_tracking_number,
            case.outbound_tracking_number,
            *((order.customer_name, order.mobile, order.email) if order is not None else ()),
        )
        result.evidence_files += _drop_evidence(case)
        _scrub_events(case.id, needles)
        _scrub_outbox(case.id, needles)
        _scrub_surveys(case.id)
        case.customer_name, case.mobile, case.email = ANONYMISED_NAME, "", ""
        case.description = PLACEHOLDER
        case.problem_words = ""  # the words kept for the reports' top problems are the customer's too
        case.return_tracking_number = case.outbound_tracking_number = ""
        case.return_carrier = scrub(case.return_carrier, needles)
        case.rejection_reason = scrub(case.rejection_reason, needles)
        case.resolution_detail = scrub(case.resolution_detail, needles)
        case.responsibility_basis = scrub(case.responsibility_basis, needles)
        result.cases += 1
    db.session.flush()
    for order_id in sorted(orders):
        if _anonymise_order_if_unused(tenant, order_rows.get(order_id), before):
            result.orders += 1
    db.session.flush()
    return result


def _drop_evidence(case: Case) -> int:
    """Files first, then rows: if the transaction then fails, the rows stay and the next run tries again;
    deleting rows first could leave files on disk that nothing points at any more."""
    removed = 0
    for item in db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)).all():
        try:
            paths = case_evidence.file_paths(item)  # the file and the supervisors' rendition
        except ValueError:  # UnsafePath: never a file we wrote
            paths = []
        for n, path in enumerate(paths):
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            if n == 0:  # files are counted, not their renditions
                removed += 1
        db.session.delete(item)
    return removed


def _scrub_events(case_id: int, needles: list[str]) -> None:
    rows = db.session.execute(
        select(
            _EVENT_COLUMNS.id,
            _EVENT_COLUMNS.kind,
            _EVENT_COLUMNS.customer_message,
            _EVENT_COLUMNS.internal_note,
            _EVENT_COLUMNS.data,
        ).where(_EVENT_COLUMNS.case_id == case_id)
    ).all()
    for event_id, kind, message, note, data in rows:
        old = {"customer_message": message or "", "internal_note": note or "", "data": data or {}}
        clean = dict(old["data"])
        if kind == "consumer_message" and clean.get("text"):
            clean["text"] = PLACEHOLDER
        new = {
            "customer_message": scrub(old["customer_message"], needles),
            "internal_note": scrub(old["internal_note"], needles),
            "data": _scrub_json(clean, needles),
        }
        if new != old:
            db.session.execute(update(CaseEvent.__table__).where(_EVENT_COLUMNS.id == event_id).values(**new))
            case_pages.mark_changed(db.session(), case_id)


def _scrub_outbox(case_id: int, needles: list[str]) -> None:
    for n in db.session.scalars(select(Notification).where(Notification.case_id == case_id)).all():
        _scrub_notification(n, needles)


def _scrub_notification(n: Notification, needles: list[str]) -> None:
    params = dict(n.params or {})
    if "customer" in params:
        params["customer"] = ANONYMISED_NAME
    n.params = _scrub_json(params, needles)
    n.recipient = ""
    n.last_error = scrub(n.last_error or "", needles)
    if n.status in ("pending", "retry"):
        n.status = "cancelled"  # nobody left to send it to


def _scrub_surveys(case_id: int) -> None:
    for survey in db.session.scalars(select(Survey).where(Survey.case_id == case_id, Survey.comment != "")).all():
        survey.comment = PLACEHOLDER
    for task in db.session.scalars(select(FollowUpTask).where(FollowUpTask.case_id == case_id)).all():
        if task.reason:
            task.reason = PLACEHOLDER
        if task.outcome:
            task.outcome = PLACEHOLDER


def _anonymise_order_if_unused(tenant: Tenant, order: Order | None, before: datetime) -> bool:
    """The order's customer data goes once no case that is still within retention points at it."""
    if order is None or order.customer_name == ANONYMISED_NAME:
        return False
    live = db.session.scalar(
        select(Case.id)
        .where(
            Case.tenant_id == tenant.id,
            Case.order_id == order.id,
            not_(_expired(tenant.id, before)),
        )
        .limit(1)
    )
    if live is not None:
        return False
    order.customer_name, order.mobile, order.email = ANONYMISED_NAME, "", ""
    for contact in db.session.scalars(select(RecallContact).where(RecallContact.order_id == order.id)).all():
        contact.customer_name, contact.mobile, contact.email = ANONYMISED_NAME, "", ""
    return True


def anonymise_complaints(
    tenant: Tenant, before: datetime, now: datetime, batch: int = BATCH, end_batch: Callable[[], None] | None = None
) -> RetentionResult:
    """Complaints to the platform answered before the cutoff lose their contact data and texts too."""
    end_batch = end_batch or db.session.flush
    result = RetentionResult()
    while True:
        rows = db.session.scalars(
            select(PlatformComplaint)
            .where(
                PlatformComplaint.tenant_id == tenant.id,
                PlatformComplaint.anonymised_at.is_(None),
                PlatformComplaint.status == "answered",
                PlatformComplaint.replied_at < before,
            )
            .order_by(PlatformComplaint.id)
            .limit(batch)
        ).all()
        if not rows:
            return result
        for complaint in rows:
            needles = _needles(complaint.contact_name, complaint.contact_mobile, complaint.contact_email)
            for n in db.session.scalars(
                select(Notification).where(Notification.idempotency_key.like(f"complaint:{complaint.id}:reply:%"))
            ).all():
                _scrub_notification(n, needles)
            complaint.contact_name = ANONYMISED_NAME if complaint.contact_name else ""
            complaint.contact_mobile = complaint.contact_email = ""
            complaint.text = PLACEHOLDER
            complaint.reply = scrub(complaint.reply, needles)
            complaint.merchant_answer = scrub(complaint.merchant_answer, needles)
            complaint.forward_note = scrub(complaint.forward_note, needles)
            complaint.anonymised_at = now
            result.complaints += 1
        end_batch()
