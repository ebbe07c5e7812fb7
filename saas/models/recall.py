"""Recalls (召回): from a confirmed food-safety emergency, every customer who bought a SKU is told and answers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.locale import pick
from saas.models.base import Timestamps, UTCDateTime, utcnow
from saas.models.case import Case
from saas.models.notification import Notification  # noqa: F401  (the contacts point at outbox rows)
from saas.models.order import Order
from saas.models.statuses import RecallStatus, check_constraints
from saas.models.user import User
from tenants.scoping import TenantScoped

RECALL_STATUSES = tuple(RecallStatus)
# What a customer can answer on the public recall page.
ANSWERS = ("stopped", "refund")


class Recall(TenantScoped, Timestamps, db.Model):
    """One recall of one SKU (optionally one batch, optionally bought within a date range).

    The affected orders are worked through in batches by RQ jobs; the row keeps
    the progress (cursor, batches, customers found) so a page can show it and a
    stalled chain can be resumed where it stopped.
    """

    __tablename__ = "recalls"
    __table_args__ = check_constraints("recalls")

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    product_name: Mapped[str] = mapped_column(String(200), default="")
    # Free text (orders carry no batch number): told to customers, not used to select orders.
    batch: Mapped[str] = mapped_column(String(64), default="")
    purchased_from: Mapped[date | None] = mapped_column(Date)
    purchased_to: Mapped[date | None] = mapped_column(Date)
    reason_zh: Mapped[str] = mapped_column(Text, default="")
    reason_en: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="running", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Progress, written by the batch jobs.
    customers_expected: Mapped[int] = mapped_column(Integer, default=0)  # counted when the recall started
    customers_found: Mapped[int] = mapped_column(Integer, default=0)  # contacts created so far
    unreachable: Mapped[int] = mapped_column(Integer, default=0)  # contacts with no usable mobile or email
    batches_done: Mapped[int] = mapped_column(Integer, default=0)
    cursor_order_id: Mapped[int] = mapped_column(Integer, default=0)  # every affected order ≤ this is done
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    created_by: Mapped[User | None] = relationship()

    def reason(self, lang: str) -> str:
        """The reason in a language ('zh' or 'en'), falling back to the other one."""
        return pick(self.reason_zh, self.reason_en, lang, fallback=True) or self.reason_en

    def __repr__(self) -> str:
        return f"<Recall {self.id} {self.sku} {self.status}>"


class RecallContact(TenantScoped, db.Model):
    """One affected order: who was told how, their answer link, and what they answered."""

    __tablename__ = "recall_contacts"
    __table_args__ = (UniqueConstraint("recall_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recall_id: Mapped[int] = mapped_column(ForeignKey("recalls.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_name: Mapped[str] = mapped_column(String(80), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    # The capability in the customer's link: unguessable, unique across tenants.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    sms_notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
    email_notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
    answer: Mapped[str | None] = mapped_column(String(20))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    recall: Mapped[Recall] = relationship()
    order: Mapped[Order] = relationship()
