"""Complaints to the platform: filing, the operator's 48-hour queue, the merchant's answer, the reply, 先行赔付.

The clock: due_at = filed + `platform_complaint_hours` of the merchant's policy in force when the
complaint is filed, counted in wall-clock hours. It is the platform's own promise, printed on the
policy page as "within 48 hours", and the operator desk is not bound to any one merchant's working
calendar; a consumer reading "48 hours" means two days, nights and weekends included.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case as sa_case
from sqlalchemy import func, select

from saas.email_addresses import EMAIL_MESSAGE, email_matches, normalise_email
from saas.extensions import db
from saas.identifiers import normalise_case_number
from saas.input_guard import parse_decimal
from saas.locale import babel_locale, lang_of
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.complaint import OPEN_COMPLAINT_STATUSES, AdvanceCompensation, PlatformComplaint
from saas.models.notification import Notification
from saas.models.user import User
from saas.phones import MOBILE_MESSAGE, last4_matches, mainland_mobile
from saas.services import audit, notifications, policies
from saas.services.errors import ServiceError
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tenants.terms import Terms

TEXT_MAX = 4000
AMOUNT_MAX = Decimal("1000000")


ERRORS = {
    "case_number": _l("This is not a valid case number. Please check it, or leave the field empty."),
    "case_unknown": _l("We could not find this case number at this shop. Please check it, or leave the field empty."),
    "contact": _l("Please give a mobile number or an email address."),
    "mobile": MOBILE_MESSAGE,
    "email": EMAIL_MESSAGE,
    "text": _l("Please describe your complaint."),
    "too_long": _l("Please keep the text under %(n)s characters."),
    "answered": _l("This complaint has already been answered."),
    "not_forwarded": _l("This complaint was not forwarded to the shop."),
    "amount": _l("Please enter an amount of at least 0.01 yuan with at most two decimals."),
    "reason": _l("Please give the reason."),
    "recovered": _l("This compensation is already marked as recovered."),
}


class ComplaintError(ServiceError):
    """A refused complaint action; .message is for the person who tried it."""

    MESSAGES = ERRORS


def _terms(tenant: Tenant) -> Terms:
    version = policies.current_version(tenant)
    return policies.terms_of(version) if version is not None else Terms()


def answer_hours(tenant: Tenant) -> int:
    return _terms(tenant).platform_complaint_hours


def due_for(tenant: Tenant, filed_at: datetime) -> datetime:
    """Filed + the policy's platform_complaint_hours (48 by default), wall-clock (see the module docstring)."""
    return filed_at + timedelta(hours=answer_hours(tenant))


def find_case(tenant: Tenant, number: str) -> Case:
    """The tenant's case for a typed number; ComplaintError when malformed or unknown here."""
    normalised = normalise_case_number(number)
    if normalised is None:
        raise ComplaintError("case_number")
    case = db.session.scalar(select(Case).where(Case.tenant_id == tenant.id, Case.number == normalised))
    if case is None:
        raise ComplaintError("case_unknown")
    return case


def _text(value: str, code: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ComplaintError(code)
    if len(text) > TEXT_MAX:
        raise ComplaintError("too_long", n=TEXT_MAX)
    return text


def _new_reference() -> str:
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    for _attempt in range(5):
        ref = "PC" + "".join(secrets.choice(alphabet) for _ in range(10))
        with cross_tenant("complaint reference is unique platform-wide"):
            taken = db.session.scalar(select(PlatformComplaint.id).where(PlatformComplaint.reference == ref))
        if taken is None:
            return ref
    raise RuntimeError("could not allocate a complaint reference")


def submit(
    tenant: Tenant,
    *,
    text: str,
    mobile: str = "",
    email: str = "",
    name: str = "",
    case_number: str = "",
    locale: str = "zh_Hans",
) -> PlatformComplaint:
    """A consumer's complaint about `tenant`; lands in the operator's queue with its due time."""
    clean_mobile = mainland_mobile(mobile) if mobile.strip() else ""
    if clean_mobile is None:
        raise ComplaintError("mobile")
    clean_email = normalise_email(email) if email.strip() else ""
    if clean_email is None:
        raise ComplaintError("email")
    if not clean_mobile and not clean_email:
        raise ComplaintError("contact")
    body = _text(text, "text")
    case = find_case(tenant, case_number) if case_number.strip() else None
    matches = bool(case) and (
        (bool(clean_mobile) and clean_mobile == case.mobile)
        or (bool(clean_email) and email_matches(clean_email, case.email))
    )
    now = utcnow()
    complaint = PlatformComplaint(
        tenant_id=tenant.id,
        reference=_new_reference(),
        case_id=case.id if case else None,
        case_contact_matches=matches,
        contact_name=name.strip()[:80],
        contact_mobile=clean_mobile,
        contact_email=clean_email,
        locale=babel_locale(locale),
        text=body,
        status="new",
        due_at=due_for(tenant, now),
        created_at=now,
        updated_at=now,
    )
    db.session.add(complaint)
    db.session.flush()
    return complaint


def normalise_reference(reference: str) -> str | None:
    """A typed complaint number: spaces and dashes dropped, upper-cased; None when it cannot be one."""
    ref = "".join(ch for ch in (reference or "") if ch not in " -\t").upper()
    return ref if len(ref) == 12 and ref.startswith("PC") and ref.isalnum() and ref.isascii() else None


def find_for_consumer(tenant: Tenant, reference: str, factor: str) -> PlatformComplaint | None:
    """The tenant's complaint with this number whose contact matches: the last 4 digits of the mobile, or the
    email. None for every kind of mismatch alike (the caller answers them all the same way)."""
    ref = normalise_reference(reference)
    if ref is None:
        return None
    complaint = db.session.scalar(
        select(PlatformComplaint).where(PlatformComplaint.tenant_id == tenant.id, PlatformComplaint.reference == ref)
    )
    if complaint is None or complaint.anonymised_at is not None:
        return None
    factor = (factor or "").strip()
    if "@" in factor:
        return complaint if complaint.contact_email and email_matches(factor, complaint.contact_email) else None
    return complaint if complaint.contact_mobile and last4_matches(complaint.contact_mobile, factor) else None


# ---------------------------------------------------------------- the operator's side


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
    body = _text(text, "text")
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
    terms = _terms(tenant)
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


def parse_amount(raw) -> Decimal:
    amount = parse_decimal(raw, max_digits=7)  # no NaN, Infinity or 1e400 reaches the arithmetic
    if amount is None or amount < Decimal("0.01") or amount > AMOUNT_MAX or amount != amount.quantize(Decimal("0.01")):
        raise ComplaintError("amount")
    return amount.quantize(Decimal("0.01"))


def record_compensation(complaint: PlatformComplaint, operator: User, amount, reason: str) -> AdvanceCompensation:
    """先行赔付: the platform pays now and recovers the amount from the merchant later."""
    value = parse_amount(amount)
    why = _text(reason, "reason")
    with tenant_context(complaint.tenant_id):
        comp = AdvanceCompensation(
            tenant_id=complaint.tenant_id,
            complaint=complaint,
            case_id=complaint.case_id,
            amount=value,
            reason=why,
            recorded_by_id=operator.id,
            recovered=False,
        )
        db.session.add(comp)
        db.session.flush()
        audit.record(
            complaint.tenant_id,
            operator,
            "compensation.recorded",
            comp,
            amount=str(value),
            complaint=complaint.reference,
        )
    return comp


def compensation_for_operator(compensation_id: int) -> AdvanceCompensation | None:
    with cross_tenant("operator reads a compensation"):
        return db.session.get(AdvanceCompensation, compensation_id)


def mark_recovered(comp: AdvanceCompensation, operator: User) -> AdvanceCompensation:
    if comp.recovered:
        raise ComplaintError("recovered")
    with tenant_context(comp.tenant_id):
        comp.recovered, comp.recovered_at = True, utcnow()
        db.session.flush()
        audit.record(comp.tenant_id, operator, "compensation.recovered", comp, amount=str(comp.amount))
    return comp


def compensations_for_case(case: Case) -> list[AdvanceCompensation]:
    """What the consumer's tracking page shows (the tenant's context is the request's)."""
    return list(
        db.session.scalars(
            select(AdvanceCompensation)
            .where(
                AdvanceCompensation.tenant_id == case.tenant_id,
                AdvanceCompensation.case_id == case.id,
            )
            .order_by(AdvanceCompensation.id)
        )
    )


# ---------------------------------------------------------------- the merchant's side


def merchant_list(tenant: Tenant) -> list[PlatformComplaint]:
    """Complaints the platform forwarded to this merchant, open ones first."""
    return list(
        db.session.scalars(
            select(PlatformComplaint)
            .where(
                PlatformComplaint.tenant_id == tenant.id,
                PlatformComplaint.forwarded_at.is_not(None),
            )
            .order_by(PlatformComplaint.status == "answered", PlatformComplaint.due_at)
            .limit(500)
        )
    )


def merchant_answer(complaint: PlatformComplaint, user: User, text: str) -> PlatformComplaint:
    """The merchant's account of what happened; it may be corrected until the platform has replied."""
    if not complaint.visible_to_merchant:
        raise ComplaintError("not_forwarded")
    if complaint.status == "answered":
        raise ComplaintError("answered")
    complaint.merchant_answer = _text(text, "text")
    complaint.merchant_answered_at, complaint.merchant_answered_by_id = utcnow(), user.id
    complaint.status = "merchant_answered"
    db.session.flush()
    audit.record(complaint.tenant_id, user, "complaint.merchant_answered", complaint, reference=complaint.reference)
    return complaint
