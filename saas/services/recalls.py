"""Recalls (召回): start one from a confirmed food-safety emergency, count what happened, and record the
customers' answers. Notifying every affected customer, a batch of orders per RQ job, is `recall_batches`.

Rules (decided here, see also the recall page):

* A recall starts only from a case that is a food-safety **emergency** whose responsibility has been
  recorded as the **merchant's** (§4: "recall if confirmed"). Owners and admins only.
* Affected orders: every order of the tenant with a line of the SKU, bought within the optional
  date range (both ends inclusive). The batch text is told to customers but selects nothing:
  orders carry no batch numbers.
* One contact per affected order (a customer with two affected orders hears twice, once per order),
  by SMS and email (`recall_batches` has the details).
* A customer answers on ``/<slug>/recall/<token>``: "I have stopped using it" or "I want a
  refund"; the first answer is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.notification import Notification
from saas.models.order import Order, OrderLine
from saas.models.recall import ANSWERS, Recall, RecallContact
from saas.models.user import User
from saas.queues import enqueue_after_commit
from saas.services import audit, case_events
from saas.services.errors import ServiceError
from tenants.models import Tenant

JOB = "workers.jobs.run_recall_batch"  # runs recall_batches.run_batch
QUEUE = "default"
MAX_REASON = 2000
# channel, the contact's address for it, the contact's outbox row on it
CHANNELS = (("sms", "mobile", "sms_notification_id"), ("email", "email", "email_notification_id"))


ERRORS = {
    "not_emergency": _l("A recall can only be started from a food-safety emergency case."),
    "not_confirmed": _l(
        "Record the merchant's responsibility on this case first: a recall follows a confirmed food-safety problem."
    ),
    "sku": _l("Please enter the SKU to recall."),
    "too_long": _l("%(field)s is too long."),
    "dates": _l("The end of the purchase period cannot be before its start."),
    "reason": _l("Please explain the reason for the recall to customers (in Chinese or English)."),
    "no_orders": _l("No order with this SKU was bought in this period: there is nobody to notify."),
    "duplicate": _l("The same recall was already started (recall %(id)s)."),
    "answer": _l("Please choose an answer."),
}


class RecallError(ServiceError):
    """A refused recall; .message is for the person who tried it."""

    MESSAGES = ERRORS


# ---------- starting -------------------------------------------------------


def refusal(case: Case) -> str | None:
    """Why a recall cannot start from this case, as an error code; None if it can."""
    if not case.emergency:
        return "not_emergency"
    if case.responsibility != "merchant":
        return "not_confirmed"
    return None


def case_skus(case: Case) -> list[tuple[str, str]]:
    """The SKUs a recall from this case would most likely name: its lines', else its order's."""
    lines = [cl.order_line for cl in case.lines] or (list(case.order.lines) if case.order else [])
    seen: dict[str, str] = {}
    for line in lines:
        seen.setdefault(line.sku, line.name)
    return list(seen.items())


@dataclass
class RecallRequest:
    sku: str
    batch: str = ""
    purchased_from: date | None = None
    purchased_to: date | None = None
    reason_zh: str = ""
    reason_en: str = ""

    def clean(self) -> dict:
        sku, batch = (self.sku or "").strip(), (self.batch or "").strip()
        reason_zh, reason_en = (self.reason_zh or "").strip(), (self.reason_en or "").strip()
        if not sku:
            raise RecallError("sku")
        if len(sku) > 64:
            raise RecallError("too_long", field="SKU")
        if len(batch) > 64:
            raise RecallError("too_long", field=str(_l("Batch")))
        if self.purchased_from and self.purchased_to and self.purchased_to < self.purchased_from:
            raise RecallError("dates")
        if not (reason_zh or reason_en):
            raise RecallError("reason")
        if len(reason_zh) > MAX_REASON or len(reason_en) > MAX_REASON:
            raise RecallError("too_long", field=str(_l("Reason")))
        return dict(
            sku=sku,
            batch=batch,
            purchased_from=self.purchased_from,
            purchased_to=self.purchased_to,
            reason_zh=reason_zh,
            reason_en=reason_en,
        )


def _affected(sku: str, purchased_from: date | None, purchased_to: date | None):
    """Orders (of the current tenant: the guard scopes both tables) with a line of the SKU, in the period."""
    stmt = select(Order).where(Order.id.in_(select(OrderLine.order_id).where(OrderLine.sku == sku)))
    if purchased_from is not None:
        stmt = stmt.where(Order.purchase_date >= purchased_from)
    if purchased_to is not None:
        stmt = stmt.where(Order.purchase_date <= purchased_to)
    return stmt


def affected_orders(recall: Recall):
    return _affected(recall.sku, recall.purchased_from, recall.purchased_to)


def count_affected(sku: str, purchased_from: date | None = None, purchased_to: date | None = None) -> int:
    stmt = _affected(sku, purchased_from, purchased_to)
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def start(tenant: Tenant, case: Case, actor: User, request: RecallRequest) -> Recall:
    """Create the recall and enqueue its first batch (after the commit); nothing is sent in the request."""
    # One recall start per case at a time: a double click waits here and then finds the first one.
    db.session.scalar(select(Case.id).where(Case.id == case.id).with_for_update())
    code = refusal(case)
    if code:
        raise RecallError(code)
    values = request.clean()
    same = db.session.scalar(
        select(Recall.id).where(
            Recall.case_id == case.id,
            Recall.sku == values["sku"],
            Recall.batch == values["batch"],
            Recall.purchased_from.is_(None)
            if values["purchased_from"] is None
            else Recall.purchased_from == values["purchased_from"],
            Recall.purchased_to.is_(None)
            if values["purchased_to"] is None
            else Recall.purchased_to == values["purchased_to"],
        )
    )
    if same is not None:
        raise RecallError("duplicate", id=same)
    expected = count_affected(values["sku"], values["purchased_from"], values["purchased_to"])
    if expected == 0:
        raise RecallError("no_orders")
    name = (
        db.session.scalar(select(OrderLine.name).where(OrderLine.sku == values["sku"]).order_by(OrderLine.id).limit(1))
        or ""
    )
    recall = Recall(
        tenant_id=tenant.id,
        case_id=case.id,
        product_name=name[:200],
        status="running",
        created_by_id=actor.id,
        customers_expected=expected,
        customers_found=0,
        unreachable=0,
        batches_done=0,
        cursor_order_id=0,
        **values,
    )
    db.session.add(recall)
    db.session.flush()
    case_events.record(
        case,
        "recall_started",
        actor=actor,
        apply_clocks=False,
        note=f"Recall {recall.id}: SKU {recall.sku}"
        + (f", batch {recall.batch}" if recall.batch else "")
        + f", {expected} orders",
        data={"recall_id": recall.id, "sku": recall.sku, "orders": expected},
    )
    audit.record(tenant.id, actor, "recall.start", recall, case=case.number, sku=recall.sku, orders=expected)
    enqueue_after_commit(db.session, QUEUE, JOB, recall.id, 0)
    return recall


def resume(recall: Recall) -> bool:
    """Enqueue the batch after the cursor again (a lost job, Redis down); harmless if the chain is alive."""
    if recall.status != "running":
        return False
    enqueue_after_commit(db.session, QUEUE, JOB, recall.id, recall.cursor_order_id)
    return True


# ---------- the recall page ------------------------------------------------

WAITING = ("pending", "retry", "sending")


@dataclass
class Stats:
    found: int
    expected: int
    unreachable: int
    batches: int
    by_channel: dict  # channel → {status: count}
    sent: int  # outbox rows sent (both channels)
    failed: int  # rows dead
    waiting: int  # rows not yet sent (quiet hours, retrying)
    reached: int  # contacts with at least one message sent
    answered: int
    answers: dict  # answer → count


def stats(recall: Recall) -> Stats:
    by_channel: dict[str, dict[str, int]] = {}
    for channel, _address, id_attr in CHANNELS:
        column = getattr(RecallContact, id_attr)
        rows = db.session.execute(
            select(Notification.status, func.count())
            .join(RecallContact, column == Notification.id)
            .where(RecallContact.recall_id == recall.id)
            .group_by(Notification.status)
        ).all()
        by_channel[channel] = {status: count for status, count in rows}
    total = lambda statuses: sum(c for ch in by_channel.values() for s, c in ch.items() if s in statuses)  # noqa: E731
    sms, email = aliased(Notification), aliased(Notification)
    reached = (
        db.session.scalar(
            select(func.count(RecallContact.id))
            .outerjoin(sms, sms.id == RecallContact.sms_notification_id)
            .outerjoin(email, email.id == RecallContact.email_notification_id)
            .where(RecallContact.recall_id == recall.id, or_(sms.status == "sent", email.status == "sent"))
        )
        or 0
    )
    answers = {
        a: c
        for a, c in db.session.execute(
            select(RecallContact.answer, func.count())
            .where(RecallContact.recall_id == recall.id, RecallContact.answered_at.is_not(None))
            .group_by(RecallContact.answer)
        ).all()
    }
    return Stats(
        found=recall.customers_found,
        expected=recall.customers_expected,
        unreachable=recall.unreachable,
        batches=recall.batches_done,
        by_channel=by_channel,
        sent=total(("sent",)),
        failed=total(("dead",)),
        waiting=total(WAITING),
        reached=reached,
        answered=sum(answers.values()),
        answers=answers,
    )


def answered_contacts(recall: Recall, limit: int = 200) -> list[RecallContact]:
    """The latest answers, refund requests first (they need the merchant to act)."""
    return list(
        db.session.scalars(
            select(RecallContact)
            .where(RecallContact.recall_id == recall.id, RecallContact.answered_at.is_not(None))
            .order_by((RecallContact.answer == "refund").desc(), RecallContact.answered_at.desc())
            .limit(limit)
        )
    )


# ---------- the customer's answer ------------------------------------------


def find_contact(token: str) -> RecallContact | None:
    """The contact a link belongs to, within the current tenant (the URL's slug)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(RecallContact).where(RecallContact.token == token))


def answer(contact: RecallContact, choice: str) -> bool:
    """Record the customer's answer; the first one stays (returns False if there already was one)."""
    if choice not in ANSWERS:
        raise RecallError("answer")
    result = db.session.execute(
        update(RecallContact)
        .where(RecallContact.id == contact.id, RecallContact.answered_at.is_(None))
        .values(answer=choice, answered_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(contact)
    return result.rowcount == 1
