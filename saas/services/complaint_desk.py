"""The platform operator's complaint desk: the queue (soonest due first), forwarding a complaint to the
merchant (its managers get an email) and the platform's reply to the consumer.

Filing, the 48-hour clock and the merchant's answer are in `complaints`.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case as sa_case
from sqlalchemy import func, select

from saas.extensions import db
from saas.locale import babel_locale, lang_of
from saas.models.base import utcnow
from saas.models.complaint import OPEN_COMPLAINT_STATUSES, PlatformComplaint
from saas.models.notification import Notification
from saas.models.user import User
from saas.services import audit, notifications
from saas.services.complaints import TEXT_MAX, ComplaintError, checked_text, terms_in_force
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context


def operator_queue(show: str = "open", tenant_id: int | None = None, limit: int = 500) -> list[PlatformComplaint]:
    """Open complaints soonest-due first (overdue on top); 'all' also lists the answered ones, newest first."""
    stmt = select(PlatformComplaint)
    if show == "open":
        stmt = stmt.where(PlatformComplaint.status.in_(OPEN_COMPLAINT_STATUSES)).order_by(
            PlatformComplaint.due_at, PlatformComplaint.id
        )
    else:
        stmt = stmt.order_by(PlatformComplaint.id.desc())
    if tenant_id is not None:
        stmt = stmt.where(PlatformComplaint.tenant_id == tenant_id)
    with cross_tenant("operator complaint queue"):
        return list(db.session.scalars(stmt.limit(limit)))


def open_counts() -> tuple[int, int]:
    """(open, overdue) complaints across the platform, for the operator's home page."""
    now = utcnow()
    with cross_tenant("operator complaint counts"):
        row = db.session.execute(
            select(
                func.count(PlatformComplaint.id),
                func.sum(sa_case((PlatformComplaint.due_at < now, 1), else_=0)),
            ).where(PlatformComplaint.status.in_(OPEN_COMPLAINT_STATUSES))
        ).one()
    return int(row[0] or 0), int(row[1] or 0)


def for_operator(complaint_id: int) -> PlatformComplaint | None:
    with cross_tenant("operator reads a complaint"):
        return db.session.get(PlatformComplaint, complaint_id)


def _tenant(complaint: PlatformComplaint) -> Tenant:
    return db.session.get(Tenant, complaint.tenant_id)


def forward(complaint: PlatformComplaint, operator: User, note: str = "") -> PlatformComplaint:
    """ "Verify with the merchant": the merchant's console shows it from now on, its managers get an email."""
    if not complaint.is_open:
        raise ComplaintError("answered")
    if len(note) > TEXT_MAX:
        raise ComplaintError("too_long", n=TEXT_MAX)
    tenant = _tenant(complaint)
    with tenant_context(tenant.id):
        first = complaint.forwarded_at is None
        complaint.forwarded_at, complaint.forwarded_by_id = utcnow(), operator.id
        complaint.forward_note = note.strip()
        if complaint.status == "new":
            complaint.status = "forwarded"
        db.session.flush()
        audit.record(tenant.id, operator, "complaint.forwarded", complaint, reference=complaint.reference)
        if first:
            _tell_managers(tenant, complaint)
    return complaint


def _tell_managers(tenant: Tenant, complaint: PlatformComplaint) -> list[Notification]:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    made = []
    for user in notifications.managers(tenant.id):
        due = complaint.due_at.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M")
        with force_locale(babel_locale(tenant.default_locale)):
            message = _(
                "The platform forwarded complaint %(reference)s about your after-sales service. "
                "Please verify it and answer in the console before %(due)s.",
                reference=complaint.reference,
                due=due,
            )
        n = notifications.schedule_direct(
            tenant,
            key="complaint_forwarded",
            channel="email",
            recipient=user.email,
            locale=tenant.default_locale,
            params={
                "case_number": complaint.reference,
                "message": message,
                "customer": user.name,
                "link": f"{base}/{tenant.slug}/console/complaints/{complaint.id}",
            },
            idempotency_key=f"complaint:{complaint.id}:forwarded:{user.id}",
        )
        if n is not None:
            n.audience = "staff"
            made.append(n)
    db.session.flush()
    return made


def reply(complaint: PlatformComplaint, operator: User, text: str) -> list[Notification]:
    """The platform's answer to the consumer, by SMS and/or email through the outbox, once."""
    if complaint.status == "answered":
        raise ComplaintError("answered")
    body = checked_text(text, "text")
    tenant = _tenant(complaint)
    with tenant_context(tenant.id):
        complaint.reply, complaint.replied_at, complaint.replied_by_id = body, utcnow(), operator.id
        complaint.status = "answered"
        db.session.flush()
        made = _send_reply(tenant, complaint)
        audit.record(
            tenant.id,
            operator,
            "complaint.answered",
            complaint,
            reference=complaint.reference,
            late=complaint.answered_late,
            messages=len(made),
        )
    return made


def _send_reply(tenant: Tenant, complaint: PlatformComplaint) -> list[Notification]:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    with force_locale(babel_locale(complaint.locale)):
        message = _(
            "The platform's answer to your complaint %(reference)s about %(shop)s: %(reply)s",
            reference=complaint.reference,
            shop=tenant.name(lang_of(complaint.locale)),
            reply=complaint.reply,
        )
        customer = complaint.contact_name or _("customer")
    case = complaint.case
    if case is None:
        link = f"{base}/{tenant.slug}/policy"
    else:  # a link that opens the case only for a complainant whose contact is the case's own
        link = (notifications.tracking_link if complaint.case_contact_matches else notifications.lookup_link)(
            tenant, case
        )
    params = {"case_number": complaint.reference, "message": message, "link": link, "customer": customer}
    terms = terms_in_force(tenant)
    made = []
    for channel, address in (("sms", complaint.contact_mobile), ("email", complaint.contact_email)):
        if not address or notifications.suppressed(tenant.id, channel, address):
            continue
        n = notifications.schedule_direct(
            tenant,
            key="complaint_reply",
            channel=channel,
            recipient=address,
            locale=complaint.locale,
            params=params,
            case=case,
            terms=terms,
            idempotency_key=f"complaint:{complaint.id}:reply:{channel}",
        )
        if n is not None:
            made.append(n)
    return made
