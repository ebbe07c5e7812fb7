"""Every status a row can be in, as `StrEnum`s; the database holds them to these with CHECK constraints.

Members compare equal to their strings (`case.status == CaseStatus.CLOSED == "closed"`), so rows
read back as plain strings work with them unchanged. `saas.models.base.status_check` makes the
constraint; migrations/versions/20261205_c4e8a1f7b302_status_check_constraints.py created them.
Adding a value needs a migration that replaces the constraint. The policy versions' statuses
live with their model in the tenants layer (`tenants.models.PolicyStatus`) and are listed here.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint

from saas.models.base import status_check
from tenants.models import PolicyStatus


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    INFO_REQUESTED = "info_requested"
    AWAITING_RETURN = "awaiting_return"
    RETURN_RECEIVED = "return_received"
    INSPECTED = "inspected"
    VERIFIED = "verified"
    PROPOSED = "proposed"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    CLOSED = "closed"


class EvidenceStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    REFUSED = "refused"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class SurveyStatus(StrEnum):
    SCHEDULED = "scheduled"
    INVITED = "invited"
    ANSWERED = "answered"
    CANCELLED = "cancelled"
    OPTED_OUT = "opted_out"
    EXPIRED = "expired"


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class ComplaintStatus(StrEnum):
    NEW = "new"
    FORWARDED = "forwarded"
    MERCHANT_ANSWERED = "merchant_answered"
    ANSWERED = "answered"


class RecallStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"


# (table, column, enum, nullable): every status column and its constraint, named ck_<table>_<column>.
CHECKED = (
    ("cases", "status", CaseStatus, False),
    ("cases", "resume_status", CaseStatus, True),
    ("evidence", "status", EvidenceStatus, False),
    ("notifications", "status", NotificationStatus, False),
    ("sla_clocks", "state", ClockState, False),
    ("surveys", "status", SurveyStatus, False),
    ("follow_up_tasks", "status", FollowUpStatus, False),
    ("platform_complaints", "status", ComplaintStatus, False),
    ("recalls", "status", RecallStatus, False),
    ("policy_versions", "status", PolicyStatus, False),
)


def check_constraints(table: str) -> tuple[CheckConstraint, ...]:
    """The table's status constraints, for its model's __table_args__ (named ck_<table>_<column>)."""
    return tuple(status_check(column, enum, nullable) for name, column, enum, nullable in CHECKED if name == table)
