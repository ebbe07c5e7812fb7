"""The after-sales KPIs of shops over a period, as aggregate SQL (§7; issue 16 items 3, 7 and 8).

One code path for every reader: the shop's reports page, the supervisors' overview of the shops they
were granted and the operator's monthly scorecard all call figures(); each figure is one grouped
query over the shops asked for, never a load of cases into Python. Working time was applied to each
case when it happened (services/kpi_facts.py), so "in time" is a column or a comparison of columns.

The period's cases are those filed in [start, end); satisfaction counts the answers given in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, cast, func, literal, or_, select
from sqlalchemy import case as sa_case

from saas.extensions import db
from saas.models.case import CASE_IS_OPEN, Case
from saas.models.complaint import PlatformComplaint
from saas.models.sla import SlaClock
from saas.models.survey import Survey

FIRST_RESPONSE_TARGET_PCT = 95.0
RESOLUTION_TARGET_PCT = 95.0
SATISFACTION_TARGET = 90.0


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """One shop's headline figures for a period: counts, and the percentages derived from them."""

    cases: int = 0
    complaint_cases: int = 0
    platform_complaints: int = 0
    first_response_median: float | None = None
    first_response_decided: int = 0  # replied, or unanswered past its due time
    first_response_in_time: int = 0
    resolution_decided: int = 0  # resolved, or unresolved past its 7 working days
    resolved_in_time: int = 0
    answers: int = 0
    satisfaction: float | None = None  # mean score × 20, out of 100
    open_now: int = 0
    overdue_now: int = 0
    breaches: dict[str, int] = field(default_factory=dict)

    @property
    def first_response_pct(self) -> float | None:
        return pct(self.first_response_in_time, self.first_response_decided)

    @property
    def resolution_pct(self) -> float | None:
        return pct(self.resolved_in_time, self.resolution_decided)

    @property
    def complaint_rate(self) -> float | None:
        """Service complaints filed as cases plus forwarded platform complaints, per 100 cases."""
        return pct(self.complaint_cases + self.platform_complaints, self.cases)


def count_if(cond):
    return func.coalesce(func.sum(sa_case((cond, 1), else_=0)), 0)


def response_decided(now: datetime):
    return or_(
        Case.first_response_in_time.is_not(None),
        and_(Case.first_response_at.is_(None), Case.first_response_due_at <= now),
    )


def resolution_decided(now: datetime):
    return or_(Case.resolved_at.is_not(None), Case.resolution_due_at <= now)


RESOLVED_IN_TIME = and_(Case.resolved_at.is_not(None), Case.resolved_at <= Case.resolution_due_at)


def figures(tenant_ids: list[int], start: datetime, end: datetime, now: datetime) -> dict[int, Figures]:
    """The figures of each shop for [start, end): about eight grouped queries whatever the number of cases."""
    out = {tid: Figures() for tid in tenant_ids}
    if not tenant_ids:
        return out
    in_range = (Case.tenant_id.in_(tenant_ids), Case.created_at >= start, Case.created_at < end)
    for tid, n, complaints, r_dec, r_in, s_dec, s_in in db.session.execute(
        select(
            Case.tenant_id,
            func.count(Case.id),
            count_if(Case.problem_type == "complaint"),
            count_if(response_decided(now)),
            count_if(Case.first_response_in_time.is_(True)),
            count_if(resolution_decided(now)),
            count_if(RESOLVED_IN_TIME),
        )
        .where(*in_range)
        .group_by(Case.tenant_id)
    ):
        f = out[tid]
        f.cases, f.complaint_cases = n, int(complaints)
        f.first_response_decided, f.first_response_in_time = int(r_dec), int(r_in)
        f.resolution_decided, f.resolved_in_time = int(s_dec), int(s_in)
    for tid, value in medians(Case.first_response_minutes, Case.tenant_id, in_range).items():
        out[tid].first_response_median = value

    for tid, n, mean in db.session.execute(
        select(Survey.tenant_id, func.count(Survey.id), func.avg(Survey.score))
        .where(
            Survey.tenant_id.in_(tenant_ids),
            Survey.status == "answered",
            Survey.answered_at >= start,
            Survey.answered_at < end,
        )
        .group_by(Survey.tenant_id)
    ):
        # The same formula as surveys.satisfaction(): mean score × 20, out of 100.
        out[tid].answers, out[tid].satisfaction = n, (round(float(mean) * 20, 1) if mean is not None else None)

    for tid, n in db.session.execute(
        select(PlatformComplaint.tenant_id, func.count(PlatformComplaint.id))
        .where(
            PlatformComplaint.tenant_id.in_(tenant_ids),
            PlatformComplaint.forwarded_at.is_not(None),
            PlatformComplaint.created_at >= start,
            PlatformComplaint.created_at < end,
        )
        .group_by(PlatformComplaint.tenant_id)
    ):
        out[tid].platform_complaints = n

    for tid, n, overdue in db.session.execute(
        select(Case.tenant_id, func.count(Case.id), count_if(Case.due_at < now))
        .where(Case.tenant_id.in_(tenant_ids), CASE_IS_OPEN)
        .group_by(Case.tenant_id)
    ):
        out[tid].open_now, out[tid].overdue_now = n, int(overdue)

    for tid, kind, n in db.session.execute(
        select(SlaClock.tenant_id, SlaClock.kind, func.count(SlaClock.id))
        .where(SlaClock.tenant_id.in_(tenant_ids), SlaClock.breached_at >= start, SlaClock.breached_at < end)
        .group_by(SlaClock.tenant_id, SlaClock.kind)
    ):
        out[tid].breaches[kind] = n
    for f in out.values():
        f.breaches = dict(sorted(f.breaches.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def medians(column, group, where) -> dict:
    """The median of `column` per `group` over the rows matching `where` (NULLs left out).

    PostgreSQL: percentile_cont(0.5) in one grouped query. Elsewhere (SQLite, development): per group,
    the middle one or two values read with ORDER BY … LIMIT 2 OFFSET, still without loading the rows.
    """
    where = (*where, column.is_not(None))
    if db.session.get_bind().dialect.name == "postgresql":
        return {
            g: round(float(v), 1)
            for g, v in db.session.execute(
                select(group, func.percentile_cont(0.5).within_group(column)).where(*where).group_by(group)
            )
            if v is not None
        }
    out = {}
    for g, n in db.session.execute(select(group, func.count()).where(*where).group_by(group)).all():
        middle = db.session.scalars(
            select(column).where(*where, group == g).order_by(column).offset((n - 1) // 2).limit(2 - n % 2)
        ).all()
        out[g] = round(sum(middle) / len(middle), 1)
    return out


def _sqlite_local_date(value, tz):
    if value is None:
        return None
    at = datetime.fromisoformat(str(value))
    zone = ZoneInfo(tz)
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone)
    return local.date().isoformat()


def local_date(column, tz: str):
    """The calendar day of a UTC timestamp column in the zone `tz`, in SQL.

    PostgreSQL converts with its own time-zone database; SQLite gets the same conversion as a
    function registered on the connection (zoneinfo), so days follow DST where a zone has it.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(tz, column), Date)
    raw = db.session.connection().connection.driver_connection
    raw.create_function("local_date", 2, _sqlite_local_date, deterministic=True)
    return func.local_date(column, literal(tz))


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
