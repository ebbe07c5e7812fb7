"""A recall's notices: every affected customer is told, a batch of orders per RQ job, through the outbox.

Rules (decided here; which orders are affected is `recalls`):

* Each contact gets an SMS to the order's mobile and an email to its address, idempotency keys
  ``recall:<recall_id>:<order_id>:<channel>``; SMS waits for the end of quiet hours. Addresses on
  the tenant's suppression list (invalid number, hard bounce) are skipped.
* Work is done ``RECALL_BATCH_SIZE`` (config.py) orders per job, in order id order; each job enqueues the next one.
  The recall row keeps a cursor (every affected order up to it is done), so running any batch
  again creates nothing new and a chain that stopped can be resumed from the cursor (`recalls.resume`).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from saas.email_addresses import normalise_email
from saas.extensions import db
from saas.identifiers import new_token
from saas.locale import babel_locale, lang_of
from saas.models.base import utcnow
from saas.models.notification import ContactSuppression, Notification
from saas.models.order import Order
from saas.models.recall import Recall, RecallContact
from saas.phones import mainland_mobile
from saas.queues import enqueue_after_commit
from saas.services import notifications, policies
from saas.services.recalls import CHANNELS, JOB, QUEUE, affected_orders
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tenants.terms import Terms


def batch_size() -> int:
    return int(current_app.config["RECALL_BATCH_SIZE"])


def answer_link(tenant: Tenant, token: str) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/{tenant.slug}/recall/{token}"


def message_text(recall: Recall, locale: str) -> str:
    """What customers are told (the `message` of the recall template), in their language."""
    with force_locale(babel_locale(locale)):
        batch = _(", batch %(batch)s", batch=recall.batch) if recall.batch else ""
        return _(
            "Product recall: %(product)s (SKU %(sku)s%(batch)s) that you bought is being recalled for a "
            "food-safety problem. %(reason)s Please stop using it now and tell us whether you want a refund "
            "at the link.",
            product=recall.product_name or recall.sku,
            sku=recall.sku,
            batch=batch,
            reason=recall.reason(lang_of(locale)),
        )


def _mobile(raw: str) -> str:
    raw = (raw or "").strip()
    return mainland_mobile(raw) or raw


def _email(raw: str) -> str:
    raw = (raw or "").strip()
    return normalise_email(raw) or raw


def _locale(tenant: Tenant) -> str:
    return babel_locale(tenant.default_locale)


def _terms(tenant: Tenant) -> Terms:
    version = policies.current_version(tenant)
    return policies.terms_of(version) if version else Terms()


def idempotency_key(recall_id: int, order_id: int, channel: str) -> str:
    return f"recall:{recall_id}:{order_id}:{channel}"


def _process(recall: Recall, tenant: Tenant, orders: list[Order]) -> int:
    """Contacts and outbox rows for a batch of orders; what exists already is left alone. Returns rows made."""
    if not orders:
        return 0
    contacts = _contacts(recall, tenant, orders)
    suppressed = _suppressed(contacts)
    terms = _terms(tenant)
    texts: dict[str, str] = {}
    made = 0
    for contact in contacts:
        for channel, address_attr, id_attr in CHANNELS:
            address = getattr(contact, address_attr)
            if not address or getattr(contact, id_attr) is not None or (channel, address) in suppressed:
                continue
            if contact.locale not in texts:
                texts[contact.locale] = message_text(recall, contact.locale)
            notification_id, new = _notify(recall, tenant, contact, (channel, address), texts[contact.locale], terms)
            made += new
            setattr(contact, id_attr, notification_id)
    db.session.flush()
    return made


def _contacts(recall: Recall, tenant: Tenant, orders: list[Order]) -> list[RecallContact]:
    """One contact per order, in the orders' order: an earlier run's, else a new one (flushed)."""
    existing = {
        c.order_id: c
        for c in db.session.scalars(
            select(RecallContact).where(
                RecallContact.recall_id == recall.id, RecallContact.order_id.in_([o.id for o in orders])
            )
        )
    }
    locale = _locale(tenant)
    contacts = []
    for order in orders:
        contact = existing.get(order.id)
        if contact is None:
            contact = RecallContact(
                tenant_id=tenant.id,
                recall_id=recall.id,
                order_id=order.id,
                customer_name=(order.customer_name or "")[:80],
                mobile=_mobile(order.mobile)[:20],
                email=_email(order.email)[:254],
                locale=locale,
                token=new_token(),
            )
            db.session.add(contact)
        contacts.append(contact)
    db.session.flush()
    return contacts


def _suppressed(contacts: list[RecallContact]) -> set[tuple[str, str]]:
    """(channel, address) of the contacts' addresses on the tenant's suppression list."""
    addresses = {c.mobile for c in contacts if c.mobile} | {c.email for c in contacts if c.email}
    if not addresses:
        return set()
    return set(
        db.session.execute(
            select(ContactSuppression.channel, ContactSuppression.address).where(
                ContactSuppression.address.in_(addresses)
            )
        ).all()
    )


def _notify(
    recall: Recall, tenant: Tenant, contact: RecallContact, to: tuple[str, str], text: str, terms: Terms
) -> tuple[int, int]:
    """The outbox row telling one contact on one (channel, address): its id, and 1 if this run made it."""
    channel, address = to
    key = idempotency_key(recall.id, contact.order_id, channel)
    params = {
        "message": text,
        "link": answer_link(tenant, contact.token),
        "customer": contact.customer_name,
        "case_number": "",
    }
    n = notifications.schedule_direct(
        tenant,
        key="recall",
        channel=channel,
        recipient=address,
        locale=contact.locale,
        params=params,
        idempotency_key=key,
        terms=terms,
    )
    if n is not None:
        return n.id, 1
    # written by an earlier run that lost track of it: point at the same row
    return db.session.scalar(select(Notification.id).where(Notification.idempotency_key == key)), 0


def run_batch(recall_id: int, after_order_id: int = 0) -> str:
    """One batch of affected orders after `after_order_id`; enqueues the next batch (after the commit,
    which the job makes). Safe to run again."""
    with cross_tenant("recall batch: which tenant"):
        tenant_id = db.session.scalar(select(Recall.tenant_id).where(Recall.id == recall_id))
    if tenant_id is None:
        return "missing"
    with tenant_context(tenant_id):
        outcome = _run_batch(recall_id, after_order_id)
        db.session.flush()
    return outcome


def _run_batch(recall_id: int, after_order_id: int) -> str:
    # The row lock makes two jobs for the same recall (a resumed chain meeting a slow one) take turns.
    recall = db.session.scalar(
        select(Recall).where(Recall.id == recall_id).with_for_update().execution_options(populate_existing=True)
    )
    if recall is None:
        return "missing"
    if recall.status != "running":
        return "finished"
    tenant = db.session.get(Tenant, recall.tenant_id)
    size = batch_size()
    orders = list(
        db.session.scalars(affected_orders(recall).where(Order.id > after_order_id).order_by(Order.id).limit(size))
    )
    made = _process(recall, tenant, orders)
    # Everything up to the cursor is done; this batch continues it only if it starts at or before it.
    contiguous = after_order_id <= recall.cursor_order_id
    advanced = contiguous and bool(orders) and orders[-1].id > recall.cursor_order_id
    if advanced:
        recall.cursor_order_id = orders[-1].id
        recall.batches_done += 1
    _recount(recall)
    if contiguous and len(orders) < size:
        recall.status, recall.finished_at = "done", utcnow()
    elif advanced:
        enqueue_after_commit(db.session, QUEUE, JOB, recall.id, recall.cursor_order_id)
    db.session.flush()
    return f"{len(orders)} orders, {made} messages" + (" (done)" if recall.status == "done" else "")


def _recount(recall: Recall) -> None:
    """The recall's contacts so far, and those no message can reach."""
    recall.customers_found = (
        db.session.scalar(select(func.count(RecallContact.id)).where(RecallContact.recall_id == recall.id)) or 0
    )
    recall.unreachable = (
        db.session.scalar(
            select(func.count(RecallContact.id)).where(
                RecallContact.recall_id == recall.id,
                RecallContact.sms_notification_id.is_(None),
                RecallContact.email_notification_id.is_(None),
            )
        )
        or 0
    )
