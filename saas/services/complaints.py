"""Complaints to the platform: the consumer files one (and finds it again), the clock, the merchant's answer.

The operator's side (the 48-hour queue, forwarding to the merchant, the platform's reply) is
`complaint_desk`; the platform's 先行赔付 is `complaint_compensations`.

The clock: due_at = filed + `platform_complaint_hours` of the merchant's policy in force when the
complaint is filed, counted in wall-clock hours. It is the platform's own promise, printed on the
policy page as "within 48 hours", and the operator desk is not bound to any one merchant's working
calendar; a consumer reading "48 hours" means two days, nights and weekends included.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.email_addresses import EMAIL_MESSAGE, email_matches, normalise_email
from saas.extensions import db
from saas.identifiers import normalise_case_number
from saas.locale import babel_locale
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.complaint import PlatformComplaint
from saas.models.user import User
from saas.phones import MOBILE_MESSAGE, last4_matches, mainland_mobile
from saas.services import audit, policies
from saas.services.errors import ServiceError
from tenants.models import Tenant
from tenants.scoping import cross_tenant
from tenants.terms import Terms

TEXT_MAX = 4000


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


def terms_in_force(tenant: Tenant) -> Terms:
    version = policies.current_version(tenant)
    return policies.terms_of(version) if version is not None else Terms()


def answer_hours(tenant: Tenant) -> int:
    return terms_in_force(tenant).platform_complaint_hours


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


def checked_text(value: str, code: str) -> str:
    """The stripped text; ComplaintError `code` when empty, "too_long" past TEXT_MAX."""
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
    body = checked_text(text, "text")
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
    complaint.merchant_answer = checked_text(text, "text")
    complaint.merchant_answered_at, complaint.merchant_answered_by_id = utcnow(), user.id
    complaint.status = "merchant_answered"
    db.session.flush()
    audit.record(complaint.tenant_id, user, "complaint.merchant_answered", complaint, reference=complaint.reference)
    return complaint
