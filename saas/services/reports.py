"""The shop's after-sales report (§7): a period's KPIs against their targets, breakdowns and the cases behind them."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import CASE_IS_OPEN, Case, CaseEvent, CaseLine
from saas.models.complaint import PlatformComplaint
from saas.models.order import Order, OrderLine
from saas.models.sla import SlaClock
from saas.models.survey import LOW_SCORE, Survey
from saas.services import policies
from saas.services.cases import EXECUTED
from saas.services.errors import ServiceError
from saas.services.reports_text import MAX_DOCS, Doc, top_problems
from tenants.models import Tenant
from tenants.terms import Terms

RESOLUTION_WORKING_DAYS = 7
RESOLUTION_TARGET_PCT = 95.0
FIRST_RESPONSE_TARGET_PCT = 95.0
SATISFACTION_TARGET = 90.0
MAX_RANGE_DAYS = 366
PRESETS = ("this_week", "last_week", "this_month", "last_month")
# Working minutes to the first reply, and working days to resolution: the distributions' buckets.
RESPONSE_BUCKETS = (5, 10, 30, 60, 240)
RESOLUTION_BUCKETS = (1, 3, 5, 7, 14)
# Staff steps that count as handling a case, until cases have an assignee (issue 16, item 1).
RESOLVING_KINDS = ("rejected", *EXECUTED.values())
HANDLING_KINDS = ("accepted", "verified", "proposed", "closed", *RESOLVING_KINDS)


class ReportError(ServiceError):
    MESSAGES = {
        "date": _l("Please enter the dates as YYYY-MM-DD."),
        "order": _l("The start date must not be after the end date."),
        "span": _l("A report covers at most one year: please choose a shorter range."),
        "period": _l("Unknown period."),
    }


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # inclusive, in the shop's zone
    last: date   # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants, midnight to midnight in the shop's zone."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.first, datetime.min.time(), zone).astimezone(timezone.utc)
        end = datetime.combine(self.last + timedelta(days=1), datetime.min.time(), zone).astimezone(timezone.utc)
        return start, end

    def previous(self) -> Period:
        """The period of the same length just before this one (what "change" compares with)."""
        return Period("previous", self.first - timedelta(days=self.days), self.first - timedelta(days=1))


def _parse_date(value: str) -> date:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        raise ReportError("date") from None
    if not 2000 <= day.year <= 2100:
        raise ReportError("date")
    return day


def parse_period(kind: str | None, first: str | None, last: str | None, today: date) -> Period:
    """A preset relative to the shop's today, or a custom range (from ≤ to, at most a year)."""
    kind = kind or ("custom" if first or last else "this_week")
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    if kind == "this_week":
        return Period(kind, monday, today)
    if kind == "last_week":
        return Period(kind, monday - timedelta(days=7), monday - timedelta(days=1))
    if kind == "this_month":
        return Period(kind, month, today)
    if kind == "last_month":
        end = month - timedelta(days=1)
        return Period(kind, end.replace(day=1), end)
    if kind != "custom":
        raise ReportError("period")
    a, b = _parse_date(first or ""), _parse_date(last or "")
    if a > b:
        raise ReportError("order")
    if (b - a).days + 1 > MAX_RANGE_DAYS:
        raise ReportError("span")
    return Period(kind, a, b)


@dataclass
class Kpi:
    value: float | None
    target: float | None
    count: int = 0  # how many cases or answers the figure rests on
    higher_is_better: bool = True

    @property
    def missed(self) -> bool:
        if self.value is None or self.target is None:
            return False
        return self.value < self.target if self.higher_is_better else self.value > self.target


@dataclass
class Report:
    period: Period
    tz: str
    cases: int = 0
    by_type: list[tuple[str, int]] = field(default_factory=list)
    by_intake: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_sku: list[tuple[str, str, int]] = field(default_factory=list)
    # By the shop's reason code (None: no reason recorded yet); the page shows each code's current label.
    by_reason: list[tuple[str | None, int]] | None = None
    open_now: int = 0
    overdue_now: int = 0
    first_response_median: float | None = None
    first_response: Kpi = field(default_factory=lambda: Kpi(None, FIRST_RESPONSE_TARGET_PCT))
    first_response_target_minutes: int = 10
    resolution: Kpi = field(default_factory=lambda: Kpi(None, RESOLUTION_TARGET_PCT))
    satisfaction: Kpi = field(default_factory=lambda: Kpi(None, SATISFACTION_TARGET))
    low_scores: list[dict] = field(default_factory=list)
    complaint_cases: int = 0
    platform_complaints: int = 0
    complaint_rate: float | None = None
    return_rates: list[dict] = field(default_factory=list)
    breaches: list[tuple[str, int]] = field(default_factory=list)
    per_day: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    response_buckets: list[tuple[str, int]] = field(default_factory=list)
    resolution_buckets: list[tuple[str, int]] = field(default_factory=list)
    satisfaction_trend: list[tuple[date, float, int]] = field(default_factory=list)
    agents: list[dict] = field(default_factory=list)
    problems: list = field(default_factory=list)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _terms(tenant: Tenant) -> Terms:
    version = policies.current_version(tenant)
    return policies.terms_of(version) if version is not None else Terms()


def _grouped(stmt) -> list[tuple]:
    return sorted(((k, n) for k, n in db.session.execute(stmt)), key=lambda r: (-r[1], str(r[0])))


@dataclass
class CaseTimes:
    """One case's KPI fields, computed on the shop's business calendar (the CSV has one row of these)."""

    id: int
    number: str
    created_at: datetime
    problem_type: str
    status: str
    first_response_at: datetime | None
    resolved_at: datetime | None
    response_minutes: float | None = None  # working minutes to the first reply
    response_in_time: bool | None = None  # None: no reply yet and its time is not over
    resolution_days: float | None = None  # working days to resolution
    resolved_in_time: bool | None = None  # None: unresolved and its 7 working days are not over


def case_times(tenant: Tenant, start: datetime, end: datetime, now: datetime, target_minutes: int) -> list[CaseTimes]:
    """The period's cases with their working-time figures (narrow rows: working time needs the calendar)."""
    cal = policies.calendar_for(tenant)
    day_minutes = (datetime.combine(date.min, cal.closes) - datetime.combine(date.min, cal.opens)).seconds / 60
    rows = db.session.execute(
        select(Case.id, Case.number, Case.created_at, Case.problem_type, Case.status, Case.first_response_at,
               Case.resolved_at)
        .where(Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end).order_by(Case.created_at)
    ).all()
    out = []
    for row in rows:
        t = CaseTimes(*row)
        if t.first_response_at is not None:
            t.response_minutes = round(cal.working_time_between(t.created_at, t.first_response_at).total_seconds() / 60, 1)
            t.response_in_time = t.response_minutes <= target_minutes
        elif cal.working_time_between(t.created_at, now) > timedelta(minutes=target_minutes):
            t.response_in_time = False
        deadline = cal.add_working_days(t.created_at, RESOLUTION_WORKING_DAYS)
        if t.resolved_at is not None:
            minutes = cal.working_time_between(t.created_at, t.resolved_at).total_seconds() / 60
            t.resolution_days = round(minutes / day_minutes, 2)
            t.resolved_in_time = t.resolved_at <= deadline
        elif deadline <= now:
            t.resolved_in_time = False
        out.append(t)
    return out


def _buckets(values: list[float], edges: tuple[int, ...]) -> list[tuple[str, int]]:
    """Counts per bucket, labelled ≤5, 5–10 … >240 (the chart's title names the unit)."""
    labels = [f"≤{edges[0]}"] + [f"{a}–{b}" for a, b in zip(edges, edges[1:])] + [f">{edges[-1]}"]
    counts = [0] * len(labels)
    for v in values:
        counts[next((i for i, e in enumerate(edges) if v <= e), len(edges))] += 1
    return list(zip(labels, counts))


def build(tenant: Tenant, period: Period, now: datetime | None = None) -> Report:
    """Everything the reports page shows for the period; runs in the tenant's context."""
    now = now or utcnow()
    start, end = period.bounds(tenant.timezone)
    r = Report(period, tenant.timezone)
    terms = _terms(tenant)
    r.first_response_target_minutes = terms.first_response_minutes
    in_range = (Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end)

    r.by_type = _grouped(select(Case.problem_type, func.count()).where(*in_range).group_by(Case.problem_type))
    r.cases = sum(n for _k, n in r.by_type)
    r.by_intake = _grouped(select(Case.intake_channel, func.count()).where(*in_range).group_by(Case.intake_channel))
    r.by_channel = _grouped(select(Case.purchase_channel, func.count()).where(*in_range).group_by(Case.purchase_channel))
    r.by_category = _grouped(select(Case.category, func.count()).where(*in_range).group_by(Case.category))
    r.by_reason = _grouped(select(Case.reason_code, func.count()).where(*in_range).group_by(Case.reason_code))
    r.by_sku = sorted(((sku, name, n) for sku, name, n in db.session.execute(
        select(OrderLine.sku, func.max(OrderLine.name), func.count(func.distinct(Case.id)))
        .join(CaseLine, CaseLine.order_line_id == OrderLine.id).join(Case, Case.id == CaseLine.case_id)
        .where(*in_range).group_by(OrderLine.sku))), key=lambda x: (-x[2], x[0]))

    r.open_now = db.session.scalar(select(func.count()).where(Case.tenant_id == tenant.id, CASE_IS_OPEN)) or 0
    r.overdue_now = db.session.scalar(select(func.count()).where(
        Case.tenant_id == tenant.id, CASE_IS_OPEN, Case.due_at < now)) or 0

    times = case_times(tenant, start, end, now, terms.first_response_minutes)
    minutes = [t.response_minutes for t in times if t.response_minutes is not None]
    decided = [t for t in times if t.response_in_time is not None]
    r.first_response_median = round(statistics.median(minutes), 1) if minutes else None
    r.first_response = Kpi(_pct(sum(t.response_in_time for t in decided), len(decided)), FIRST_RESPONSE_TARGET_PCT,
                           len(decided))
    settled = [t for t in times if t.resolved_in_time is not None]
    r.resolution = Kpi(_pct(sum(t.resolved_in_time for t in settled), len(settled)), RESOLUTION_TARGET_PCT,
                       len(settled))
    r.response_buckets = _buckets(minutes, RESPONSE_BUCKETS)
    r.resolution_buckets = _buckets([t.resolution_days for t in times if t.resolution_days is not None],
                                    RESOLUTION_BUCKETS)
    zone = ZoneInfo(tenant.timezone)
    per_day: dict[date, Counter] = defaultdict(Counter)
    for t in times:
        per_day[t.created_at.astimezone(zone).date()][t.problem_type] += 1
    r.per_day = [(period.first + timedelta(days=i), dict(per_day.get(period.first + timedelta(days=i), {})))
                 for i in range(period.days)]

    _satisfaction(r, tenant, start, end, zone)
    _complaints(r, tenant, start, end)
    _return_rates(r, tenant, period, start, end)
    r.breaches = _grouped(select(SlaClock.kind, func.count()).where(
        SlaClock.tenant_id == tenant.id, SlaClock.breached_at >= start, SlaClock.breached_at < end)
        .group_by(SlaClock.kind))
    r.agents = _agents(tenant, start, end)
    prev_start, prev_end = period.previous().bounds(tenant.timezone)
    r.problems = top_problems(_docs(tenant, start, end), _docs(tenant, prev_start, prev_end))
    return r


def _satisfaction(r: Report, tenant: Tenant, start: datetime, end: datetime, zone: ZoneInfo) -> None:
    answered = (Survey.tenant_id == tenant.id, Survey.status == "answered", Survey.answered_at >= start,
                Survey.answered_at < end)
    n, mean = db.session.execute(select(func.count(Survey.id), func.avg(Survey.score)).where(*answered)).one()
    # The same formula as surveys.satisfaction(): mean score × 20, out of 100.
    r.satisfaction = Kpi(round(float(mean) * 20, 1) if mean is not None else None, SATISFACTION_TARGET, n)
    by_day: dict[date, list[int]] = defaultdict(list)
    for at, score in db.session.execute(select(Survey.answered_at, Survey.score).where(*answered)):
        by_day[at.astimezone(zone).date()].append(score)
    r.satisfaction_trend = [(d, round(20 * sum(s) / len(s), 1), len(s)) for d, s in sorted(by_day.items())]
    r.low_scores = [dict(case_id=cid, number=num, score=score, comment=comment, answered_at=at)
                    for cid, num, score, comment, at in db.session.execute(
                        select(Case.id, Case.number, Survey.score, Survey.comment, Survey.answered_at)
                        .join(Case, Case.id == Survey.case_id)
                        .where(*answered, Survey.score <= LOW_SCORE).order_by(Survey.answered_at.desc()).limit(50))]


def _complaints(r: Report, tenant: Tenant, start: datetime, end: datetime) -> None:
    """Complaint rate: service complaints filed as cases, plus platform complaints forwarded to the shop,
    per 100 cases of the period."""
    r.complaint_cases = dict(r.by_type).get("complaint", 0)
    r.platform_complaints = db.session.scalar(select(func.count()).where(
        PlatformComplaint.tenant_id == tenant.id, PlatformComplaint.forwarded_at.is_not(None),
        PlatformComplaint.created_at >= start, PlatformComplaint.created_at < end)) or 0
    r.complaint_rate = _pct(r.complaint_cases + r.platform_complaints, r.cases)


def _return_rates(r: Report, tenant: Tenant, period: Period, start: datetime, end: datetime) -> None:
    """Per SKU: cases filed in the period / order lines of orders purchased in the period (imported orders)."""
    sold = {sku: (name, n) for sku, name, n in db.session.execute(
        select(OrderLine.sku, func.max(OrderLine.name), func.count(OrderLine.id)).join(Order, Order.id == OrderLine.order_id)
        .where(Order.tenant_id == tenant.id, Order.purchase_date >= period.first, Order.purchase_date <= period.last)
        .group_by(OrderLine.sku))}
    cases = {sku: n for sku, _name, n in r.by_sku}
    r.return_rates = sorted(({"sku": sku, "name": name, "lines": n, "cases": cases.get(sku, 0),
                              "rate": _pct(cases.get(sku, 0), n)} for sku, (name, n) in sold.items()),
                            key=lambda x: (-(x["rate"] or 0), x["sku"]))


def _agents(tenant: Tenant, start: datetime, end: datetime) -> list[dict]:
    """Per staff member, from who acted on the case events of the period (no assignee is set yet)."""
    from saas.models.user import User

    handled = db.session.execute(
        select(CaseEvent.actor_id, func.count(func.distinct(CaseEvent.case_id)))
        .where(CaseEvent.tenant_id == tenant.id, CaseEvent.actor_type == "staff", CaseEvent.actor_id.is_not(None),
               CaseEvent.kind.in_(HANDLING_KINDS), CaseEvent.created_at >= start, CaseEvent.created_at < end)
        .group_by(CaseEvent.actor_id)).all()
    if not handled:
        return []
    resolved = dict(db.session.execute(
        select(CaseEvent.actor_id, func.count(func.distinct(CaseEvent.case_id)))
        .where(CaseEvent.tenant_id == tenant.id, CaseEvent.actor_type == "staff", CaseEvent.kind.in_(RESOLVING_KINDS),
               CaseEvent.created_at >= start, CaseEvent.created_at < end).group_by(CaseEvent.actor_id)).all())
    first = dict(db.session.execute(
        select(CaseEvent.actor_id, func.count(func.distinct(CaseEvent.case_id))).join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.tenant_id == tenant.id, CaseEvent.actor_type == "staff",
               CaseEvent.created_at == Case.first_response_at, Case.first_response_at >= start,
               Case.first_response_at < end).group_by(CaseEvent.actor_id)).all())
    # Satisfaction of the cases an agent resolved, from the answers of the period.
    scores = dict((aid, (n, mean)) for aid, n, mean in db.session.execute(
        select(CaseEvent.actor_id, func.count(func.distinct(Survey.id)), func.avg(Survey.score))
        .join(Survey, Survey.case_id == CaseEvent.case_id)
        .where(CaseEvent.tenant_id == tenant.id, CaseEvent.kind.in_(RESOLVING_KINDS), Survey.status == "answered",
               Survey.answered_at >= start, Survey.answered_at < end).group_by(CaseEvent.actor_id)))
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_([a for a, _ in handled]))).all())
    rows = []
    for aid, n in handled:
        answered, mean = scores.get(aid, (0, None))
        rows.append({"name": names.get(aid, "?"), "handled": n, "first_responses": first.get(aid, 0),
                     "resolved": resolved.get(aid, 0), "answers": answered,
                     "satisfaction": round(float(mean) * 20, 1) if mean is not None else None})
    return sorted(rows, key=lambda x: (-x["handled"], x["name"]))


def _docs(tenant: Tenant, start: datetime, end: datetime) -> list[Doc]:
    """The words customers wrote on the period's cases: the description and their messages, per product."""
    sku = (select(func.min(OrderLine.sku)).join(CaseLine, CaseLine.order_line_id == OrderLine.id)
           .where(CaseLine.case_id == Case.id).correlate(Case).scalar_subquery())
    rows = db.session.execute(
        select(Case.id, Case.number, Case.description, Case.category, sku)
        .where(Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end)
        .order_by(Case.id.desc()).limit(MAX_DOCS)).all()
    if not rows:
        return []
    messages: dict[int, list[str]] = defaultdict(list)
    for case_id, data in db.session.execute(
        select(CaseEvent.case_id, CaseEvent.data).join(Case, Case.id == CaseEvent.case_id)
        .where(Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end,
               CaseEvent.kind == "consumer_message")):
        messages[case_id].append(str((data or {}).get("text", "")))
    return [Doc(cid, number, sku_ or category, " ".join([text, *messages.get(cid, [])]))
            for cid, number, text, category, sku_ in rows]
