"""The shop's after-sales report (§7): a period's KPIs against their targets, breakdowns and the cases behind them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import String, cast, func, literal, select, text, true, union_all
from sqlalchemy import case as sa_case

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case, CaseLine
from saas.models.order import Order, OrderLine
from saas.models.survey import LOW_SCORE, Survey
from saas.services import kpis, policies, report_problems, report_team
from saas.services.report_periods import Period
from tenants.models import Tenant
from tenants.terms import Terms

RESOLUTION_WORKING_DAYS = 7
RESOLUTION_TARGET_PCT = kpis.RESOLUTION_TARGET_PCT
FIRST_RESPONSE_TARGET_PCT = kpis.FIRST_RESPONSE_TARGET_PCT
SATISFACTION_TARGET = kpis.SATISFACTION_TARGET
# Working minutes to the first reply, and working days to resolution: the distributions' buckets.
RESPONSE_BUCKETS = (5, 10, 30, 60, 240)
RESOLUTION_BUCKETS = (1, 3, 5, 7, 14)


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
    figures: kpis.Figures | None = None


_pct = kpis.pct


def _terms(tenant: Tenant) -> Terms:
    version = policies.current_version(tenant)
    return policies.terms_of(version) if version is not None else Terms()


def build(tenant: Tenant, period: Period, now: datetime | None = None, personal: bool = True) -> Report:
    """Everything the reports page shows for the period; runs in the tenant's context.

    Every figure is an aggregate query (services/kpis.py): the number of statements does not grow with
    the number of cases. personal=False (supervisors) leaves out what names people or quotes them: the
    low scores with their comments, the team table and the example cases of the top problems.
    """
    now = now or utcnow()
    if db.session.get_bind().dialect.name == "postgresql":
        # The page's statements each read a period's rows by index (tens of ms); their estimated cost over a
        # large shop crosses jit_above_cost, and compiling them took longer than running them (≈ 0.4 s per
        # statement at 1,000,000 cases). For this transaction only.
        db.session.execute(text("SET LOCAL jit = off"))
    start, end = period.bounds(tenant.timezone)
    r = Report(period, tenant.timezone)
    terms = _terms(tenant)
    r.first_response_target_minutes = terms.first_response_minutes
    in_range = (Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end)

    _breakdowns(r, tenant, period, in_range)
    r.by_sku = _by_sku(in_range)

    f = kpis.figures([tenant.id], start, end, now)[tenant.id]
    r.figures = f
    r.cases, r.open_now, r.overdue_now = f.cases, f.open_now, f.overdue_now
    r.first_response_median = f.first_response_median
    r.first_response = Kpi(f.first_response_pct, FIRST_RESPONSE_TARGET_PCT, f.first_response_decided)
    r.resolution = Kpi(f.resolution_pct, RESOLUTION_TARGET_PCT, f.resolution_decided)
    r.satisfaction = Kpi(f.satisfaction, SATISFACTION_TARGET, f.answers)
    r.complaint_cases, r.platform_complaints, r.complaint_rate = (
        f.complaint_cases,
        f.platform_complaints,
        f.complaint_rate,
    )
    r.breaches = list(f.breaches.items())

    _satisfaction(r, tenant, start, end, personal)
    _return_rates(r, tenant, period)
    r.agents = report_team.agents(tenant, start, end, now) if personal else []
    r.problems = report_problems.problems(tenant, start, end, *period.previous().bounds(tenant.timezone))
    if not personal:
        for p in r.problems:
            p.examples = []
    return r


def _bucket_index(column, edges: tuple[int, ...]):
    return sa_case(*((column <= e, i) for i, e in enumerate(edges)), else_=len(edges))


def _bucket_labels(edges: tuple[int, ...]) -> list[str]:
    return [f"≤{edges[0]}"] + [f"{a}–{b}" for a, b in zip(edges, edges[1:], strict=False)] + [f">{edges[-1]}"]


def _breakdowns(r: Report, tenant: Tenant, period: Period, in_range: tuple) -> None:
    """Cases by type, intake, purchase channel, category, reason and day, and the two distributions: one
    statement, one read of the period's cases (a CTE grouped eight ways), however many cases the period has."""
    p = (
        select(
            Case.problem_type.label("t"),
            Case.intake_channel.label("i"),
            Case.purchase_channel.label("c"),
            Case.category.label("g"),
            Case.reason_code.label("r"),
            kpis.local_date(Case.created_at, tenant.timezone).label("d"),
            Case.first_response_minutes.label("fm"),
            Case.resolution_days.label("rd"),
        )
        .where(*in_range)
        .cte("p")
    )

    def part(name, key, key2=None, where=None):
        stmt = select(
            literal(name, String).label("section"),
            cast(key, String).label("k"),
            cast(key2, String).label("k2") if key2 is not None else literal("", String).label("k2"),
            func.count().label("n"),
        )
        stmt = stmt.select_from(p)
        if where is not None:
            stmt = stmt.where(where)
        return stmt.group_by(*((key, key2) if key2 is not None else (key,)))

    response = _bucket_index(p.c.fm, RESPONSE_BUCKETS)
    resolution = _bucket_index(p.c.rd, RESOLUTION_BUCKETS)
    rows = db.session.execute(
        union_all(
            part("type", p.c.t),
            part("intake", p.c.i),
            part("channel", p.c.c),
            part("category", p.c.g),
            part("reason", p.c.r),
            part("day", p.c.d, p.c.t),
            part("response", response, where=p.c.fm.is_not(None)),
            part("resolution", resolution, where=p.c.rd.is_not(None)),
        )
    ).all()
    sections: dict[str, list[tuple]] = defaultdict(list)
    for section, key, key2, n in rows:
        sections[section].append((key, key2, n))

    def grouped(name):
        return sorted(((k, n) for k, _k2, n in sections[name]), key=lambda x: (-x[1], str(x[0])))

    r.by_type, r.by_intake = grouped("type"), grouped("intake")
    r.by_channel, r.by_category = grouped("channel"), grouped("category")
    r.by_reason = grouped("reason")  # None: no reason recorded yet
    per_day: dict[date, dict[str, int]] = defaultdict(dict)
    for d, kind, n in sections["day"]:
        per_day[kpis.as_date(d)][kind] = n
    r.per_day = [
        (period.first + timedelta(days=i), per_day.get(period.first + timedelta(days=i), {}))
        for i in range(period.days)
    ]
    for name, edges, attr in (
        ("response", RESPONSE_BUCKETS, "response_buckets"),
        ("resolution", RESOLUTION_BUCKETS, "resolution_buckets"),
    ):
        counts = {int(k): n for k, _k2, n in sections[name]}
        setattr(r, attr, [(label, counts.get(i, 0)) for i, label in enumerate(_bucket_labels(edges))])


def _by_sku(in_range: tuple) -> list[tuple[str, str, int]]:
    """Cases per SKU (a case naming two SKUs counts under each), most cases first.

    On PostgreSQL the period's case ids are read first off ix_cases_tenant_created, then each case's lines
    by case id (LATERAL): left to itself the planner hashes the shop's every case line, which grows with
    its history. Elsewhere (SQLite) a plain join.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        window = select(Case.id.label("id")).where(*in_range).cte("win").prefix_with("MATERIALIZED")
        lines = (
            select(OrderLine.sku.label("sku"), OrderLine.name.label("name"))
            .join(CaseLine, CaseLine.order_line_id == OrderLine.id)
            .where(CaseLine.case_id == window.c.id)
            .offset(0)
            .lateral("l")
        )  # OFFSET 0: not flattened
        stmt = (
            select(lines.c.sku, func.max(lines.c.name), func.count(func.distinct(window.c.id)))
            .select_from(window)
            .join(lines, true())
            .group_by(lines.c.sku)
        )
    else:
        stmt = (
            select(OrderLine.sku, func.max(OrderLine.name), func.count(func.distinct(Case.id)))
            .join(CaseLine, CaseLine.order_line_id == OrderLine.id)
            .join(Case, Case.id == CaseLine.case_id)
            .where(*in_range)
            .group_by(OrderLine.sku)
        )
    return sorted(((sku, name, n) for sku, name, n in db.session.execute(stmt)), key=lambda x: (-x[2], x[0]))


def _satisfaction(r: Report, tenant: Tenant, start: datetime, end: datetime, personal: bool) -> None:
    answered = (
        Survey.tenant_id == tenant.id,
        Survey.status == "answered",
        Survey.answered_at >= start,
        Survey.answered_at < end,
    )
    day = kpis.local_date(Survey.answered_at, tenant.timezone)
    r.satisfaction_trend = [
        (kpis.as_date(d), round(20 * float(mean), 1), n)
        for d, mean, n in db.session.execute(
            select(day, func.avg(Survey.score), func.count()).where(*answered).group_by(day).order_by(day)
        )
    ]
    if not personal:
        return
    r.low_scores = [
        dict(case_id=cid, number=num, score=score, comment=comment, answered_at=at)
        for cid, num, score, comment, at in db.session.execute(
            select(Case.id, Case.number, Survey.score, Survey.comment, Survey.answered_at)
            .join(Case, Case.id == Survey.case_id)
            .where(*answered, Survey.score <= LOW_SCORE)
            .order_by(Survey.answered_at.desc())
            .limit(50)
        )
    ]


def _return_rates(r: Report, tenant: Tenant, period: Period) -> None:
    """Per SKU: cases filed in the period / order lines of orders purchased in the period (imported orders)."""
    bought = (Order.tenant_id == tenant.id, Order.purchase_date >= period.first, Order.purchase_date <= period.last)
    if db.session.get_bind().dialect.name == "postgresql":
        # The period's orders off ix_orders_tenant_purchase, then their lines by order id (LATERAL), not a
        # hash of every order line the shop ever sold.
        window = select(Order.id.label("id")).where(*bought).cte("bought").prefix_with("MATERIALIZED")
        lines = (
            select(OrderLine.id.label("id"), OrderLine.sku.label("sku"), OrderLine.name.label("name"))
            .where(OrderLine.order_id == window.c.id)
            .offset(0)
            .lateral("l")
        )  # OFFSET 0: not flattened
        stmt = (
            select(lines.c.sku, func.max(lines.c.name), func.count(lines.c.id))
            .select_from(window)
            .join(lines, true())
            .group_by(lines.c.sku)
        )
    else:
        stmt = (
            select(OrderLine.sku, func.max(OrderLine.name), func.count(OrderLine.id))
            .join(Order, Order.id == OrderLine.order_id)
            .where(*bought)
            .group_by(OrderLine.sku)
        )
    sold = {sku: (name, n) for sku, name, n in db.session.execute(stmt)}
    cases = {sku: n for sku, _name, n in r.by_sku}
    r.return_rates = sorted(
        (
            {"sku": sku, "name": name, "lines": n, "cases": cases.get(sku, 0), "rate": _pct(cases.get(sku, 0), n)}
            for sku, (name, n) in sold.items()
        ),
        key=lambda x: (-(x["rate"] or 0), x["sku"]),
    )
