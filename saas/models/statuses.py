"""Every status a row can be in, as `StrEnum`s; the database holds them to these with CHECK constraints.

Members compare equal to their strings (`case.status == CaseStatus.CLOSED == "closed"`), so rows
read back as plain strings work with them unchanged. `check(column, Enum)` is the constraint's
SQL; migrations/versions/20261205_c4e8a1f7b302_status_check_constraints.py created them.
Adding a value needs a migration that replaces the constraint.

It sits at the bottom layer (the tenants layer's policy versions use it too).
"""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


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


class PolicyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


def check(column: str, values: type[StrEnum], nullable: bool = False) -> str:
    """The CHECK constraint's SQL text: `column` holds one of the enum's values (or NULL)."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    condition = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


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
    return tuple(CheckConstraint(check(column, enum, nullable), name=column)
                 for name, column, enum, nullable in CHECKED if name == table)
