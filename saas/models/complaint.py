"""Complaints to the platform about a merchant, and the platform's advance compensations (先行赔付)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import Timestamps, UTCDateTime
from saas.models.case import Case
from saas.models.statuses import ComplaintStatus, check_constraints
from tenants.scoping import TenantScoped

# new → forwarded (the operator asks the merchant to verify) → merchant_answered → answered (the platform
# replied to the consumer). The operator may answer at any step; answered is final.
COMPLAINT_STATUSES = tuple(ComplaintStatus)
OPEN_COMPLAINT_STATUSES = ("new", "forwarded", "merchant_answered")


class PlatformComplaint(TenantScoped, Timestamps, db.Model):
    """A consumer's complaint to the platform about one merchant's after-sales service.

    tenant_id is the merchant complained about: the merchant's console sees its own complaints
    (once forwarded) through the ordinary tenant guard; the operator desk reads across tenants.
    """

    __tablename__ = "platform_complaints"
    __table_args__ = (
        Index("ix_platform_complaints_status_due_at", "status", "due_at"),
        *check_constraints("platform_complaints"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Told to the consumer; not a lookup key (nothing is opened by it), so short is fine.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    # The contact given matches the case's own mobile or email (a hint for the operator, not a gate).
    case_contact_matches: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str] = mapped_column(String(80), default="")
    contact_mobile: Mapped[str] = mapped_column(String(20), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    text: Mapped[str] = mapped_column(Text)

    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    # created_at + the policy's platform_complaint_hours, in wall-clock hours (see services/complaints.py).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())

    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    forward_note: Mapped[str] = mapped_column(Text, default="")

    merchant_answer: Mapped[str] = mapped_column(Text, default="")
    merchant_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    merchant_answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    reply: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Set by the retention sweep once the contact data and texts are gone.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case | None] = relationship()
    compensations: Mapped[list[AdvanceCompensation]] = relationship(
        back_populates="complaint", order_by="AdvanceCompensation.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_COMPLAINT_STATUSES

    @property
    def visible_to_merchant(self) -> bool:
        return self.forwarded_at is not None

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at < now

    @property
    def answered_late(self) -> bool:
        return self.replied_at is not None and self.replied_at > self.due_at

    def __repr__(self) -> str:
        return f"<PlatformComplaint {self.reference} {self.status}>"


class AdvanceCompensation(TenantScoped, Timestamps, db.Model):
    """先行赔付: the platform pays the consumer where the merchant did not keep its own terms.

    The amount is to be recovered from the merchant (tenant_id); `recovered` records that it was.
    """

    __tablename__ = "advance_compensations"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("platform_complaints.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recovered: Mapped[bool] = mapped_column(Boolean, default=False)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    complaint: Mapped[PlatformComplaint] = relationship(back_populates="compensations")
    case: Mapped[Case | None] = relationship()

    def __repr__(self) -> str:
        return f"<AdvanceCompensation {self.amount} recovered={self.recovered}>"
