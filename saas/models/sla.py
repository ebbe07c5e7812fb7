"""Service-level clocks on a case: start, due, pauses, stop, and whether the promise was kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import UTCDateTime, utcnow
from saas.models.case import Case
from saas.models.statuses import ClockState, check_constraints
from tenants.scoping import TenantScoped

CLOCK_STATES = tuple(ClockState)


class SlaClock(TenantScoped, db.Model):
    __tablename__ = "sla_clocks"
    # The second index serves the reports' breaches: a shop's clocks breached in a period.
    __table_args__ = (
        Index("ix_sla_clocks_state_due_at", "state", "due_at"),
        Index("ix_sla_clocks_tenant_breached", "tenant_id", "breached_at"),
        *check_constraints("sla_clocks"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # Calendar-time clocks (the food-safety emergency, and those the policy sets in calendar time) count
    # wall time; the rest count working time. Set when the clock starts, from the policy then in force.
    around_the_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    target_minutes: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(10), default="running")
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once the managers were told, so many sweeps alert once.
    breach_notified: Mapped[bool] = mapped_column(Boolean, default=False)

    case: Mapped[Case] = relationship(backref="clocks")

    @property
    def is_active(self) -> bool:
        return self.stopped_at is None

    def __repr__(self) -> str:
        return f"<SlaClock {self.kind} {self.state} due {self.due_at:%Y-%m-%d %H:%M}>"
