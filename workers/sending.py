"""How a worker sends: the SMS gateway and e-mail sender it uses, a row's identity at the provider, one row's send.

`workers.outbox` claims a row and settles its outcome; `send` in between renders it and hands
it to the provider under the row's stable key, first asking the provider (SMS gateways that
can be asked) whether it already has the message when the row was taken over from a worker
that died mid-send. The development inbox stores SMS in the database (`DevSms`).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from saas.extensions import db
from saas.locale import lang_of
from saas.models.notification import DevSms, Notification
from saas.services import message_templates
from tenants.models import Tenant
from workers.providers import (
    DevInboxGateway,
    OutgoingEmail,
    OutgoingSms,
    ProviderError,
    Retryable,
    SendResult,
    build_email_sender,
    build_sms_gateway,
)


def _dev_store(msg: OutgoingSms, provider_id: str) -> None:
    # Upsert on the provider id: a retried send of the same row stores nothing new.
    exists = db.session.scalar(select(DevSms.id).where(DevSms.provider_message_id == provider_id))
    if exists is None:
        db.session.add(DevSms(provider_message_id=provider_id, tenant_slug=msg.tenant_slug, to=msg.to, text=msg.text))
        db.session.flush()


class DevGateway(DevInboxGateway):
    """The development inbox, which can also answer whether it already holds a message."""

    can_lookup = True

    def lookup(self, msg: OutgoingSms, since) -> SendResult | None:
        provider_id = f"dev-{msg.idempotency_key}"
        found = db.session.scalar(select(DevSms.id).where(DevSms.provider_message_id == provider_id))
        return SendResult(provider_id) if found else None


def sms_gateway():
    if current_app.config.get("SMS_BACKEND", "dev") == "dev":
        return DevGateway(_dev_store)
    return build_sms_gateway(current_app.config, store=_dev_store)


def email_sender():
    return build_email_sender(current_app.config)


def provider_key(n: Notification) -> str:
    """The row's identity at the provider (OutId, Message-ID): stable across retries."""
    return f"n{n.id}"


def _reconcile(n: Notification, tenant: Tenant, rendered) -> str | None:
    """After a worker died mid-send, ask the provider whether it already has the message."""
    if n.channel != "sms":
        return None  # SMTP cannot be asked; receivers dedupe on the stable Message-ID
    gateway = sms_gateway()
    if not getattr(gateway, "can_lookup", False):
        return None
    since = n.created_at - timedelta(minutes=5)
    try:
        found = gateway.lookup(
            OutgoingSms(to=n.recipient, text=rendered.text, idempotency_key=provider_key(n), tenant_slug=tenant.slug),
            since,
        )
    except ProviderError as exc:
        # No answer: sending blind could double it, so ask again on the next attempt.
        raise Retryable(f"lookup failed: {exc}", code="lookup_failed") from exc
    return found.provider_message_id if found else None


def send(
    n: Notification,
    tenant: Tenant,
    taken_over: bool = False,
    wordings: message_templates.Wordings | None = None,
    on_accepted=None,
) -> str:
    rendered = message_templates.render(tenant, n.template_key, n.channel, n.locale, n.params, wordings)
    key = provider_key(n)
    if taken_over:
        already = _reconcile(n, tenant, rendered)
        if already:
            return already
    if n.channel == "sms":
        result = sms_gateway().send(
            OutgoingSms(to=n.recipient, text=rendered.text, idempotency_key=key, tenant_slug=tenant.slug)
        )
    else:
        result = email_sender().send(
            OutgoingEmail(
                to=n.recipient,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                idempotency_key=key,
                from_name=tenant.name(lang_of(n.locale)),
                on_accepted=on_accepted,
            )
        )
    return result.provider_message_id
