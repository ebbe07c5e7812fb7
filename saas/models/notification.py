"""The notification outbox, suppressed contacts, merchant templates, the dev SMS inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.caches.tokens import ShopData
from saas.extensions import db
from saas.models.base import Timestamps, UTCDateTime, utcnow
from saas.models.case import Case
from saas.models.statuses import NotificationStatus, check_constraints
from tenants.scoping import TenantScoped

CHANNELS = ("sms", "email")
# pending → sending → sent; errors → retry (→ sending …) or dead; coalesced SMS → superseded;
# a survey invitation for a reopened case → cancelled.
STATUSES = tuple(NotificationStatus)
DUE_STATUSES = ("pending", "retry")


class Notification(TenantScoped, Timestamps, db.Model):
    """One message to one recipient on one channel; the row is the record, Redis only wakes workers."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_notifications_status_lease_expires_at", "status", "lease_expires_at"),
        *check_constraints("notifications"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique per event and channel (or per survey, alert …): the same cause never makes two rows.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(String(10), default="customer")  # customer | staff
    channel: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(254))
    template_key: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_message_id: Mapped[str] = mapped_column(String(120), default="")
    error_code: Mapped[str] = mapped_column(String(60), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))

    case: Mapped[Case | None] = relationship()


class ContactSuppression(TenantScoped, db.Model):
    """A contact a channel must not use again (invalid number, hard bounce, unsubscribed)."""

    __tablename__ = "contact_suppressions"
    __table_args__ = (UniqueConstraint("tenant_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessageTemplate(ShopData, TenantScoped, Timestamps, db.Model):
    """A merchant's own wording for one message, per channel and locale (defaults otherwise)."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "key", "channel", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)


class DevSms(db.Model):
    """The development SMS backend's inbox (shown at /dev/inbox); never used in production."""

    __tablename__ = "dev_sms"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(160), unique=True)
    tenant_slug: Mapped[str] = mapped_column(String(40), default="")
    to: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
