"""Follow-up surveys after a case is resolved, and the follow-up visits (重点回访) low scores raise."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import Timestamps, UTCDateTime
from saas.models.case import Case
from saas.models.statuses import SurveyStatus, check_constraints
from tenants.scoping import TenantScoped

# scheduled → invited → answered; or cancelled (case reopened), opted_out, expired.
SURVEY_STATUSES = tuple(SurveyStatus)
LOW_SCORE = 2


class Survey(TenantScoped, Timestamps, db.Model):
    __tablename__ = "surveys"
    # The second index serves the reports' satisfaction: a shop's answers of a period.
    __table_args__ = (
        Index("ix_surveys_status_due_at", "status", "due_at"),
        Index("ix_surveys_tenant_answered", "tenant_id", "answered_at"),
        *check_constraints("surveys"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()


class FollowUpTask(TenantScoped, Timestamps, db.Model):
    """重点回访: a merchant calls back a customer who scored the service 2 or less."""

    __tablename__ = "follow_up_tasks"
    __table_args__ = check_constraints("follow_up_tasks")

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    outcome: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    case: Mapped[Case] = relationship()
