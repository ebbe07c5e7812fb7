"""Third-party supervision (第三方监督): grants, recorded samples, per-case reviews, responses, access log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import UTCDateTime, utcnow
from saas.models.case import Case
from saas.models.user import User
from tenants.models import Tenant
from tenants.scoping import TenantScoped

RESULTS = ("pass", "concern", "fail")
CHECKS = ("policy", "sla", "resolution", "communication")
ACCESS_KINDS = ("view_case", "view_evidence", "review", "report", "export")


class SupervisorGrant(db.Model):
    """An operator's grant of one tenant to one supervisor, for a date range.

    Deliberately not TenantScoped: it is the platform's record of who may look at
    which tenant, read by operators and supervisors who have no tenant. Every
    query names its supervisor (and tenant) explicitly.
    """

    __tablename__ = "supervisor_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Off by default: photos may show faces, labels and addresses that masking cannot reach.
    evidence_images: Mapped[bool] = mapped_column(Boolean, default=False)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    supervisor: Mapped[User] = relationship(foreign_keys=[supervisor_id])
    tenant: Mapped[Tenant] = relationship()

    def is_active_on(self, day: date) -> bool:
        return self.revoked_at is None and self.starts_on <= day <= self.ends_on

    def state_on(self, day: date) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if day < self.starts_on:
            return "upcoming"
        return "active" if day <= self.ends_on else "expired"


class Sample(TenantScoped, db.Model):
    """One recorded draw: the inputs and the seed reproduce exactly the same cases."""

    __tablename__ = "supervision_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    size_requested: Mapped[int] = mapped_column(Integer)
    stratified: Mapped[bool] = mapped_column(Boolean, default=False)
    seed: Mapped[int] = mapped_column(BigInteger)
    population: Mapped[int] = mapped_column(Integer)
    # {problem_type: [population, drawn]} when stratified; {} otherwise.
    allocation: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    supervisor: Mapped[User | None] = relationship()
    tenant: Mapped[Tenant] = relationship()
    items: Mapped[list[SampleCase]] = relationship(
        back_populates="sample", order_by="SampleCase.position", cascade="all, delete-orphan"
    )


class SampleCase(TenantScoped, db.Model):
    """A case drawn into a sample, with the supervisor's review checklist once filled in."""

    __tablename__ = "supervision_sample_cases"
    __table_args__ = (UniqueConstraint("sample_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("supervision_samples.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    stratum: Mapped[str] = mapped_column(String(20), default="")

    policy_result: Mapped[str | None] = mapped_column(String(10))
    policy_comment: Mapped[str] = mapped_column(Text, default="")
    sla_result: Mapped[str | None] = mapped_column(String(10))
    sla_comment: Mapped[str] = mapped_column(Text, default="")
    resolution_result: Mapped[str | None] = mapped_column(String(10))
    resolution_comment: Mapped[str] = mapped_column(Text, default="")
    communication_result: Mapped[str | None] = mapped_column(String(10))
    communication_comment: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str | None] = mapped_column(String(10), index=True)
    findings: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    sample: Mapped[Sample] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()
    reviewer: Mapped[User | None] = relationship()
    responses: Mapped[list[FindingResponse]] = relationship(
        back_populates="sample_case", order_by="FindingResponse.id", cascade="all, delete-orphan"
    )

    @property
    def reviewed(self) -> bool:
        return self.verdict is not None


class FindingResponse(TenantScoped, db.Model):
    """The merchant's answer to a supervisor's findings on one case."""

    __tablename__ = "supervision_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_case_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_sample_cases.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sample_case: Mapped[SampleCase] = relationship(back_populates="responses")
    author: Mapped[User | None] = relationship()


class SupervisorAccess(TenantScoped, db.Model):
    """One look by a supervisor at a tenant's case (page, photo, review, report, export); the owner reads these."""

    __tablename__ = "supervisor_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_samples.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(120), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    supervisor: Mapped[User | None] = relationship()
    case: Mapped[Case | None] = relationship()
