"""Writing the outbox: notification rows in the same transaction as the event that causes them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from saas.extensions import db
from saas.locale import pick
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent
from saas.models.notification import ContactSuppression, Notification
from saas.models.user import User
from saas.queues import enqueue_after_commit, outbox_wake_key
from saas.services import case_links
from saas.services.message_templates import template_key_for
from tenants.models import Tenant
from tenants.terms import Terms

COALESCE_WINDOW = timedelta(minutes=10)
# Consumer-side steps the consumer already knows about.
NOT_NOTIFIED = {"return_shipped", "consumer_message"}


def tracking_link(tenant: Tenant, case: Case) -> str:
    """The signed link that opens the case page without typing: {link} in every message about a case."""
    return case_links.link_for(tenant, case)


def lookup_link(tenant: Tenant, case: Case) -> str:
    """The tracking form with the number filled in, for someone not known to be the case's consumer."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/{tenant.slug}/track?number={case.number}"


def suppressed(tenant_id: int, channel: str, address: str) -> bool:
    return (
        db.session.scalar(
            select(ContactSuppression.id).where(
                ContactSuppression.tenant_id == tenant_id,
                ContactSuppression.channel == channel,
                ContactSuppression.address == address,
            )
        )
        is not None
    )


def suppress(tenant_id: int, channel: str, address: str, reason: str) -> None:
    if not suppressed(tenant_id, channel, address):
        db.session.add(ContactSuppression(tenant_id=tenant_id, channel=channel, address=address, reason=reason[:200]))
        db.session.flush()


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, terms: Terms, tz: str) -> datetime | None:
    """If `now` falls in the tenant's SMS quiet hours, the moment they end; else None."""
    local = now.astimezone(ZoneInfo(tz))
    start, end = _clock(terms.sms_quiet_start), _clock(terms.sms_quiet_end)
    t = local.time()
    crosses_midnight = start > end
    inside = (t >= start or t < end) if crosses_midnight else (start <= t < end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1) if crosses_midnight and t >= start else local.date()
    return datetime.combine(day, end, tzinfo=ZoneInfo(tz)).astimezone(now.tzinfo)


def _create(tenant_id: int, *, key_is_new: bool = False, **fields) -> Notification | None:
    """Insert once per idempotency key: the same cause never makes a second row.

    `key_is_new`: the key names an event inserted in this transaction, so no row can have it yet.
    """
    if (
        not key_is_new
        and db.session.scalar(select(Notification.id).where(Notification.idempotency_key == fields["idempotency_key"]))
        is not None
    ):
        return None
    n = Notification(tenant_id=tenant_id, status="pending", attempts=0, **fields)
    db.session.add(n)
    db.session.flush()
    if n.next_attempt_at <= utcnow():
        enqueue_after_commit(
            db.session, "notifications", "workers.jobs.send_notification", n.id, wake_key=outbox_wake_key(n.id)
        )
    return n


def _coalesce_sms(case: Case, event: CaseEvent, recipient: str, due: datetime) -> tuple[datetime, list[Notification]]:
    """Updates to one case within 10 minutes make one SMS carrying all their news.

    An unsent SMS for the case is superseded by the new one (which keeps its
    slot and their words: see _coalesced_message); after one was sent, the
    next waits until the window has passed.
    """
    if event.kind == "submitted":
        return due, []  # a case's first event: nothing was sent about the case yet
    now = utcnow()
    recent = db.session.scalars(
        select(Notification)
        .where(
            Notification.case_id == case.id,
            Notification.channel == "sms",
            Notification.audience == "customer",
            Notification.recipient == recipient,
            Notification.created_at >= now - COALESCE_WINDOW,
            Notification.status.in_(("pending", "retry", "sent", "sending")),
        )
        .order_by(Notification.id)
    ).all()
    superseded = [n for n in recent if n.status in ("pending", "retry") and n.attempts == 0]
    if superseded:
        due = max(due, min(n.next_attempt_at for n in superseded))
    sent = [n.sent_at or n.updated_at for n in recent if n.status in ("sent", "sending")]
    if sent:
        due = max(due, max(sent) + COALESCE_WINDOW)
    return due, superseded


def _coalesced_message(event: CaseEvent, superseded: list[Notification]) -> str:
    """The superseded SMS' words, then the new event's: a refund amount or a tracking number told in one
    of them is never lost to the next. An out-of-hours reply is left out once staff have answered."""
    parts: list[str] = []
    for old in superseded:
        if old.template_key == "auto_reply" and event.actor_type == "staff":
            continue
        text = str((old.params or {}).get("message") or "")
        if text and text not in parts:
            parts.append(text)
    if event.customer_message not in parts:
        parts.append(event.customer_message)
    gap = pick("", " ", event.case.locale)  # Chinese sentences follow each other without a space
    return gap.join(parts)


def notify_customer(case: Case, event: CaseEvent, terms: Terms) -> list[Notification]:
    key = template_key_for(event.kind)
    if key is None or not event.customer_message or event.kind in NOT_NOTIFIED:
        return []
    tenant = db.session.get(Tenant, case.tenant_id)
    params = {
        "case_number": case.number,
        "message": event.customer_message,
        "link": tracking_link(tenant, case),
        "customer": case.customer_name,
    }
    made: list[Notification] = []
    now = utcnow()
    if case.mobile and case.sms_consent and not suppressed(tenant.id, "sms", case.mobile):
        due = quiet_until(now, terms, tenant.timezone) or now
        due, superseded = _coalesce_sms(case, event, case.mobile, due)
        due = quiet_until(due, terms, tenant.timezone) or due  # the coalescing delay may end in quiet hours
        sms_params = {**params, "message": _coalesced_message(event, superseded)} if superseded else params
        n = _create(
            tenant.id,
            key_is_new=True,
            idempotency_key=f"event:{event.id}:sms",
            case_id=case.id,
            event_id=event.id,
            channel="sms",
            recipient=case.mobile,
            template_key=key,
            locale=case.locale,
            params=sms_params,
            next_attempt_at=due,
        )
        if n is not None:
            for old in superseded:
                old.status, old.superseded_by_id = "superseded", n.id
            made.append(n)
    if case.email and case.email_consent and not suppressed(tenant.id, "email", case.email):
        n = _create(
            tenant.id,
            key_is_new=True,
            idempotency_key=f"event:{event.id}:email",
            case_id=case.id,
            event_id=event.id,
            channel="email",
            recipient=case.email,
            template_key=key,
            locale=case.locale,
            params=params,
            next_attempt_at=now,
        )
        if n is not None:
            made.append(n)
    db.session.flush()
    return made


# Messages that can stop being true before they go out (an SMS held for the quiet hours or coalescing):
# key → what makes them stale, checked by the worker at the moment of sending.
PERISHABLE = {"auto_reply", "info_requested"}


def no_longer_true(n: Notification) -> str | None:
    """Why a customer message should not go out any more, or None: the case was closed, or what it says
    was overtaken (an out-of-hours reply after staff answered, a request for information the customer
    has answered). Runs in the tenant's context; a query only for the few perishable messages."""
    if n.template_key not in PERISHABLE or n.audience != "customer" or n.case_id is None or n.event_id is None:
        return None
    status = db.session.scalar(select(Case.status).where(Case.id == n.case_id))
    if status is None or status == "closed":
        return "case closed"
    later = select(CaseEvent.id).where(CaseEvent.case_id == n.case_id, CaseEvent.id > n.event_id)
    if n.template_key == "auto_reply":
        answered = later.where(CaseEvent.actor_type == "staff", CaseEvent.customer_message != "")
        return "answered" if db.session.scalar(answered.limit(1)) is not None else None
    answered = later.where(CaseEvent.kind == "consumer_message")
    return "answered" if db.session.scalar(answered.limit(1)) is not None else None


def cancel_unsent(case: Case, channels: list[str]) -> int:
    """Messages to the customer about `case` on `channels` that no worker has taken yet: cancelled
    (one already being sent goes out). Returns how many."""
    rows = db.session.scalars(
        select(Notification).where(
            Notification.case_id == case.id,
            Notification.audience == "customer",
            Notification.channel.in_(channels),
            Notification.status.in_(("pending", "retry")),
        )
    ).all()
    for n in rows:
        n.status = "cancelled"
    return len(rows)


def managers(tenant_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(
                User.tenant_id == tenant_id, User.role.in_(("owner", "admin")), User.is_enabled.is_(True)
            )
        )
    )


def notify_managers(case: Case, key: str, cause: str, message: str, recipients=None) -> list[Notification]:
    """Email the tenant's owners and admins once per cause (a breach, an emergency …).

    recipients: managers() (anything with their id, name and email) when the caller already has them.
    """
    tenant = db.session.get(Tenant, case.tenant_id)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    made = []
    for user in managers(tenant.id) if recipients is None else recipients:
        params = {
            "case_number": case.number,
            "message": message,
            "customer": user.name,
            "link": f"{base}/{tenant.slug}/console/cases/{case.id}",
        }
        n = _create(
            tenant.id,
            idempotency_key=f"staff:{cause}:{user.id}",
            case_id=case.id,
            audience="staff",
            channel="email",
            recipient=user.email,
            template_key=key,
            locale=tenant.default_locale,
            params=params,
            next_attempt_at=utcnow(),
        )
        if n is not None:
            made.append(n)
    return made


def schedule_direct(
    tenant: Tenant,
    *,
    key: str,
    channel: str,
    recipient: str,
    locale: str,
    params: dict,
    idempotency_key: str,
    case: Case | None = None,
    terms: Terms | None = None,
) -> Notification | None:
    """A notification not tied to a case event (survey invitation, recall); SMS respects quiet hours."""
    now = utcnow()
    due = now
    if channel == "sms" and terms is not None:
        due = quiet_until(now, terms, tenant.timezone) or now
    return _create(
        tenant.id,
        idempotency_key=idempotency_key,
        case_id=case.id if case else None,
        channel=channel,
        recipient=recipient,
        template_key=key,
        locale=locale,
        params=params,
        next_attempt_at=due,
    )
