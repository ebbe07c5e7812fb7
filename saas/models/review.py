"""Improvement actions of the weekly and monthly review (复盘): what the team will change about a problem."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import Timestamps, UTCDateTime
from saas.models.user import User
from tenants.scoping import TenantScoped

ACTION_STATUSES = ("open", "done")


class ImprovementAction(TenantScoped, Timestamps, db.Model):
    """One action recorded against a top problem, with an owner and a due date; open until marked done.

    The problem is kept as its key (product and phrase, as reports_text finds it) and the label it had,
    so the action reads the same in later packs when the problem no longer ranks.
    """

    __tablename__ = "improvement_actions"
    __table_args__ = (Index("ix_improvement_actions_tenant_status_due", "tenant_id", "status", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_key: Mapped[str] = mapped_column(String(200))
    problem_label: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | done
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
