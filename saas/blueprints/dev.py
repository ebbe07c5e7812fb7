"""Development-only pages: the dev inbox (/dev/inbox) of SMS, emails and messages held for later."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from saas.dev_mail import read_inbox
from saas.extensions import db
from saas.models.base import utcnow
from saas.models.notification import DevSms, Notification
from saas.services import message_templates, notification_words, notifications, policies
from tenants.models import Tenant
from tenants.scoping import CROSS_TENANT, tenant_context

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def only_in_development():
    """Every shop's messages (numbers, addresses and texts) are on this page: development only, and only to
    this machine, so that a development server bound to a public address does not publish them."""
    if not current_app.config.get("DEV_INBOX") or not _from_this_machine(request.remote_addr):
        abort(404)


def _from_this_machine(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass
class Held:
    """A message the outbox holds for later: an SMS in quiet hours, or a retry after a failure."""

    notification: Notification
    tenant_slug: str
    text: str
    quiet_hours: bool


def held_messages(now: datetime, limit: int = 100) -> list[Held]:
    rows = db.session.execute(
        select(Notification, Tenant)
        .join(Tenant, Tenant.id == Notification.tenant_id)
        .where(Notification.status.in_(("pending", "retry")), Notification.next_attempt_at > now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .execution_options(**{CROSS_TENANT: "dev inbox"})
    ).all()
    held = []
    for n, tenant in rows:
        with tenant_context(tenant.id):
            try:
                text = message_templates.render(tenant, n.template_key, n.channel, n.locale, n.params or {}).text
            except message_templates.TemplateError:
                text = notification_words.template_label(n.template_key)
            held.append(Held(n, tenant.slug, text, _held_by_quiet_hours(n, tenant)))
    return held


def _held_by_quiet_hours(n: Notification, tenant: Tenant) -> bool:
    """An SMS whose turn comes as the shop's quiet hours end (not a retry's or coalescing's delay)."""
    if n.channel != "sms":
        return False
    version = policies.current_version(tenant)
    if version is None:
        return False
    just_before = n.next_attempt_at - timedelta(minutes=1)
    return notifications.quiet_until(just_before, policies.terms_of(version), tenant.timezone) == n.next_attempt_at


@bp.get("/inbox")
def inbox():
    sms = db.session.scalars(select(DevSms).order_by(DevSms.id.desc()).limit(200)).all()
    emails = read_inbox(Path(current_app.config["DEV_MAIL_DIR"]))
    return render_template(
        "dev/inbox.html", messages=sms, emails=emails, held=held_messages(utcnow()), words=notification_words
    )
