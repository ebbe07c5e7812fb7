"""After-sales cases (售后案件), the order lines they cover, their append-only events and evidence."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.extensions import db
from saas.models.base import Timestamps, UTCDateTime, utcnow
from saas.models.order import Order, OrderLine
from saas.models.statuses import CaseStatus, EvidenceStatus, check_constraints
from saas.models.user import User
from tenants.scoping import TenantScoped

PROBLEM_TYPES = ("quality", "return_exchange", "complaint", "consultation", "food_safety")
EXPECTED_RESOLUTIONS = ("return", "exchange", "repair", "refund", "compensation", "consultation")
INTAKE_CHANNELS = ("web", "agent", "api")

# Priority from the service promise: emergency (food safety) overrides all.
PRIORITY = {"food_safety": 6, "quality": 5, "return_exchange": 4, "complaint": 4, "consultation": 3}

# Fine-grained statuses, and the four nodes the consumer sees.
STATUSES = tuple(CaseStatus)  # submitted … closed (saas/models/statuses.py)
NODES = ("accepted", "verification", "resolution", "closed")
NODE_OF_STATUS = {
    "submitted": "accepted",
    "accepted": "accepted",
    "info_requested": "accepted",
    "awaiting_return": "verification",
    "return_received": "verification",
    "inspected": "verification",
    "verified": "verification",
    "proposed": "resolution",
    "resolved": "resolution",
    "rejected": "resolution",
    "closed": "closed",
}
OPEN_STATUSES = tuple(s for s in STATUSES if s != "closed")
# While the case waits on the consumer, service-level clocks pause.
WAITING_ON_CONSUMER = ("info_requested", "awaiting_return")

RESPONSIBILITIES = ("merchant", "customer", "logistics")
RESOLUTION_KINDS = ("refund", "exchange", "repair", "compensation", "explanation")
INVOICE_HANDLING = {"refund": "red_letter", "exchange": "endorsement", "repair": "return_original"}
INVOICE_CHOICES = ("red_letter", "endorsement", "return_original", "none")


class Case(TenantScoped, Timestamps, db.Model):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("tenant_id", "number"), *check_constraints("cases"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    order_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    order_number: Mapped[str] = mapped_column(String(64))
    purchase_channel: Mapped[str] = mapped_column(String(20), default="other")
    purchase_date: Mapped[date] = mapped_column(Date)
    delivery_date: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(40), default="general")
    item_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    customer_name: Mapped[str] = mapped_column(String(80))
    mobile: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(10), default="zh_Hans")
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    email_consent: Mapped[bool] = mapped_column(Boolean, default=True)

    intake_channel: Mapped[str] = mapped_column(String(10), default="web")
    problem_type: Mapped[str] = mapped_column(String(20), index=True)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    description: Mapped[str] = mapped_column(Text)
    expected_resolution: Mapped[str] = mapped_column(String(20))
    # The shop's reason (saas.models.reason) as its stable code, set by the agent at verification. Deferred:
    # loaded only where it is shown, so the queue and the consumer's pages still run one migration down.
    reason_code: Mapped[str | None] = mapped_column(String(40), deferred=True)

    status: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    # Where an info request or return request came from, to resume after the consumer answers.
    resume_status: Mapped[str | None] = mapped_column(String(20))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    policy_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id", ondelete="SET NULL"))
    eligibility: Mapped[list] = mapped_column(JSON, default=list)

    responsibility: Mapped[str | None] = mapped_column(String(20))
    responsibility_basis: Mapped[str] = mapped_column(Text, default="")
    resolution_kind: Mapped[str | None] = mapped_column(String(20))
    resolution_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    resolution_detail: Mapped[str] = mapped_column(Text, default="")
    repair_cycle_days: Mapped[int | None] = mapped_column(Integer)
    invoice_handling: Mapped[str | None] = mapped_column(String(20))
    return_carrier: Mapped[str] = mapped_column(String(40), default="")
    return_tracking_number: Mapped[str] = mapped_column(String(64), default="")
    outbound_tracking_number: Mapped[str] = mapped_column(String(64), default="")
    rejection_reason: Mapped[str] = mapped_column(Text, default="")

    # The next promised deadline (None while waiting on the consumer or closed); the queue sorts by it.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # KPI facts, kept by services/kpi_facts.py as the events happen, so reports are aggregate SQL (§7):
    # when the first reply and the resolution fall due (10 working minutes, 7 working days after filing),
    # the working minutes it took to reply, the working days to resolve, and who resolved it; the customer's
    # problem words (description and messages, segmented once when written, space-separated) and the product
    # they are about (the first SKU named, else the category), which the top problems count. Deferred as one
    # group: loaded only where used, so the queue and the consumer's pages still run one migration down.
    first_response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), deferred=True, deferred_group="kpi")
    first_response_minutes: Mapped[float | None] = mapped_column(Float, deferred=True, deferred_group="kpi")
    first_response_in_time: Mapped[bool | None] = mapped_column(Boolean, deferred=True, deferred_group="kpi")
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), deferred=True, deferred_group="kpi")
    resolution_days: Mapped[float | None] = mapped_column(Float, deferred=True, deferred_group="kpi")
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), deferred=True, deferred_group="kpi"
    )
    problem_words: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="kpi")
    problem_product: Mapped[str | None] = mapped_column(String(64), deferred=True, deferred_group="kpi")

    order: Mapped[Order | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    lines: Mapped[list[CaseLine]] = relationship(back_populates="case", cascade="all, delete-orphan")
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )
    evidence: Mapped[list[Evidence]] = relationship(back_populates="case", order_by="Evidence.id")

    @property
    def node(self) -> str:
        return NODE_OF_STATUS[self.status]

    @property
    def is_open(self) -> bool:
        return self.status != "closed"

    @property
    def waiting_on_consumer(self) -> bool:
        return self.status in WAITING_ON_CONSUMER

    def __repr__(self) -> str:
        return f"<Case {self.number} {self.status}>"


# The agent queue: a shop's open cases, emergencies and higher priority first, then the nearest deadline
# (none last), then the oldest; the id settles ties so that pages do not overlap. The partial index below
# has exactly these columns in this order after tenant_id, so PostgreSQL reads the first page straight off
# it and stops after LIMIT rows however many cases the shop has (due_at ASC in an index is NULLS LAST).
# "Open" is written `status <> 'closed'` with an inline literal, as in the index predicate: PostgreSQL
# only uses a partial index when it can prove, while planning, that the query's WHERE implies the
# predicate, and a bound parameter ('closed' or an IN list of open statuses sent as $1, $2, …) defeats
# that in the generic plan of a prepared statement (psycopg prepares a statement after a few runs).
CASE_IS_OPEN = Case.status != literal_column("'closed'")
QUEUE_ORDER = (Case.priority.desc(), Case.due_at.asc().nulls_last(), Case.created_at, Case.id)
Index(
    "ix_cases_queue",
    Case.tenant_id,
    Case.priority.desc(),
    Case.due_at,
    Case.created_at,
    Case.id,
    postgresql_where=CASE_IS_OPEN,
    sqlite_where=CASE_IS_OPEN,
)
# The same order over all of a shop's cases: the "All" view, any one status (closed cases are most of a big
# shop's) and deep pages are read off it in order too, instead of sorting every case of the shop.
Index("ix_cases_all", Case.tenant_id, Case.priority.desc(), Case.due_at, Case.created_at, Case.id)
# Reports: a shop's cases filed in a period, read off the index however many older cases the shop has.
Index("ix_cases_tenant_created", Case.tenant_id, Case.created_at)
# "My cases" and "unassigned": a shop's cases by assignee.
Index("ix_cases_assignee", Case.tenant_id, Case.assignee_id)
# The queue's search box matches a substring of these fields. On PostgreSQL a trigram index finds the few
# matching cases among a million (a number, a phone or its last digits, an email, a name of 3+ characters);
# shorter words have no trigram and are filtered along the queue order. SQLite (development) scans.
SEARCHED = (Case.number, Case.order_number, Case.customer_name, Case.mobile, Case.email)
Index(
    "ix_cases_search", *SEARCHED, postgresql_using="gin", postgresql_ops={c.key: "gin_trgm_ops" for c in SEARCHED}
).ddl_if(dialect="postgresql")
event.listen(
    Case.__table__, "before_create", DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)


class CaseLine(TenantScoped, db.Model):
    """An order line a case covers (a case may cover several)."""

    __tablename__ = "case_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)

    case: Mapped[Case] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class CaseEvent(TenantScoped, db.Model):
    """One append-only step in a case's life: who, when, what changed, what the customer was told."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_type: Mapped[str] = mapped_column(String(10))  # consumer | staff | system
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    customer_message: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    @property
    def customer_visible(self) -> bool:
        return bool(self.customer_message)


class EventsAreAppendOnly(RuntimeError):
    """Case events are a record: they are added, never changed or removed."""


@event.listens_for(CaseEvent, "before_update")
def _no_event_update(mapper, connection, target) -> None:
    raise EventsAreAppendOnly("case events are append-only")


@event.listens_for(CaseEvent, "before_delete")
def _no_event_delete(mapper, connection, target) -> None:
    raise EventsAreAppendOnly("case events are append-only")


EVIDENCE_STATUSES = tuple(EvidenceStatus)


class Evidence(TenantScoped, db.Model):
    """A photo or video attached to a case, stored outside the web root under a generated name.

    An uploaded photo is `processing` while it waits in quarantine for the evidence worker
    (decoding, re-encoding without metadata, the supervisors' rendition), then `ready`, or
    `refused` with the reason's code in `refusal`; only a ready file is ever served.
    """

    __tablename__ = "evidence"
    __table_args__ = (
        Index("ix_evidence_status_lease_expires_at", "status", "lease_expires_at"),
        *check_constraints("evidence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))  # image | video
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(255))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by: Mapped[str] = mapped_column(String(10), default="consumer")  # consumer | staff
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="ready", server_default="ready")
    refusal: Mapped[str] = mapped_column(String(20), default="", server_default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship(back_populates="evidence")

    def refusal_text(self, lang: str) -> str:
        """Why the file was refused, in the reader's language ("" unless refused)."""
        if self.status != "refused":
            return ""
        from saas.evidence import refusal  # a pure helper module (Pillow only), below the models

        return refusal(self.refusal, self.original_name, self.mime).message(lang)
