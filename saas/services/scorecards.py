"""The operator's monthly merchant scorecards (§7): grouped aggregate queries per time zone, and CSV."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case as sa_case
from sqlalchemy import func, select

from saas.extensions import db
from saas.locale import pick
from saas.models.base import utcnow
from saas.models.complaint import AdvanceCompensation, PlatformComplaint
from saas.models.sla import SlaClock
from saas.models.supervision import SampleCase
from saas.services import kpis
from saas.services.csv_files import SafeWriter
from tenants.models import Tenant
from tenants.scoping import cross_tenant

VERDICTS = ("pass", "concern", "fail")
CENT = Decimal("0.01")


@dataclass
class Scorecard:
    tenant_id: int
    slug: str
    name_zh: str
    name_en: str
    is_active: bool
    month: str
    cases: int = 0
    clocks_stopped: int = 0
    clocks_met: int = 0
    resolution_decided: int = 0
    resolved_in_time: int = 0
    first_response_decided: int = 0
    first_response_in_time: int = 0
    first_response_median: float | None = None
    complaint_rate: float | None = None
    surveys_answered: int = 0
    satisfaction: float | None = None
    # Supervisors' verdicts on the month's sampled cases, by verdict (None until counted).
    verdicts: dict[str, int] | None = None
    complaints: int = 0
    complaints_late: int = 0
    compensation_total: Decimal = Decimal("0.00")
    compensation_outstanding: Decimal = Decimal("0.00")
    compensations: int = 0
    notes: list[str] = field(default_factory=list)

    def name(self, lang: str) -> str:
        return pick(self.name_zh, self.name_en, lang)

    @property
    def sla_met_pct(self) -> float | None:
        return _pct(self.clocks_met, self.clocks_stopped)

    @property
    def resolution_pct(self) -> float | None:
        return _pct(self.resolved_in_time, self.resolution_decided)

    @property
    def first_response_pct(self) -> float | None:
        return _pct(self.first_response_in_time, self.first_response_decided)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def parse_month(value: str | None) -> date | None:
    """'2026-01' → date(2026, 1, 1); None for anything else."""
    try:
        year, month = (value or "").split("-")
        if len(year) != 4 or len(month) != 2:
            return None
        first = date(int(year), int(month), 1)
    except ValueError:
        return None
    return first if 2000 <= first.year <= 2100 else None


def previous_month(today: date) -> date:
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def month_bounds(first: date, tz: str) -> tuple[datetime, datetime]:
    """The month as UTC instants [start, end), midnight to midnight in the tenant's zone."""
    zone = ZoneInfo(tz)
    nxt = date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
    start = datetime.combine(first, datetime.min.time(), zone).astimezone(UTC)
    end = datetime.combine(nxt, datetime.min.time(), zone).astimezone(UTC)
    return start, end


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def monthly(first: date, tenant_ids: list[int] | None = None, now: datetime | None = None) -> list[Scorecard]:
    """One scorecard per tenant for the month starting on `first`, each month in the tenant's own zone.

    Tenants are grouped by time zone so that each figure is one GROUP BY query per zone, not a
    query (or a load) per case. The shops' KPIs (cases, first response, resolution within 7 working
    days, satisfaction, complaint rate) are those of the reports page: the same kpis.figures().
    """
    now = now or utcnow()
    stmt = select(Tenant).order_by(Tenant.slug)
    if tenant_ids is not None:
        stmt = stmt.where(Tenant.id.in_(tenant_ids))
    tenants = db.session.scalars(stmt).all()
    label = f"{first:%Y-%m}"
    cards = {t.id: Scorecard(t.id, t.slug, t.name_zh, t.name_en, t.is_active, label) for t in tenants}
    zones: dict[str, list[Tenant]] = defaultdict(list)
    for t in tenants:
        zones[t.timezone].append(t)
    with cross_tenant("operator monthly scorecards"):
        for tz, members in zones.items():
            start, end = month_bounds(first, tz)
            ids = [t.id for t in members]
            _kpis(cards, ids, start, end, now)
            _counts(cards, ids, start, end, now)
            _verdicts(cards, ids, start, end)
    return [cards[t.id] for t in tenants]


def _kpis(cards: dict[int, Scorecard], ids: list[int], start: datetime, end: datetime, now: datetime) -> None:
    for tid, f in kpis.figures(ids, start, end, now).items():
        card = cards[tid]
        card.cases = f.cases
        card.first_response_decided, card.first_response_in_time = f.first_response_decided, f.first_response_in_time
        card.first_response_median = f.first_response_median
        card.resolution_decided, card.resolved_in_time = f.resolution_decided, f.resolved_in_time
        card.surveys_answered, card.satisfaction = f.answers, f.satisfaction
        card.complaint_rate = f.complaint_rate


def _counts(cards: dict[int, Scorecard], ids: list[int], start: datetime, end: datetime, now: datetime) -> None:
    for tid, stopped, met in db.session.execute(
        select(SlaClock.tenant_id, func.count(SlaClock.id), func.sum(sa_case((SlaClock.state == "met", 1), else_=0)))
        .where(
            SlaClock.tenant_id.in_(ids),
            SlaClock.stopped_at.is_not(None),
            SlaClock.stopped_at >= start,
            SlaClock.stopped_at < end,
        )
        .group_by(SlaClock.tenant_id)
    ):
        cards[tid].clocks_stopped, cards[tid].clocks_met = stopped, int(met or 0)

    late = sa_case(
        ((PlatformComplaint.replied_at.is_not(None) & (PlatformComplaint.replied_at > PlatformComplaint.due_at)), 1),
        ((PlatformComplaint.replied_at.is_(None) & (PlatformComplaint.due_at < now)), 1),
        else_=0,
    )
    for tid, n, n_late in db.session.execute(
        select(PlatformComplaint.tenant_id, func.count(PlatformComplaint.id), func.sum(late))
        .where(
            PlatformComplaint.tenant_id.in_(ids),
            PlatformComplaint.created_at >= start,
            PlatformComplaint.created_at < end,
        )
        .group_by(PlatformComplaint.tenant_id)
    ):
        cards[tid].complaints, cards[tid].complaints_late = n, int(n_late or 0)

    outstanding = sa_case((AdvanceCompensation.recovered.is_(False), AdvanceCompensation.amount), else_=0)
    for tid, n, total, open_total in db.session.execute(
        select(
            AdvanceCompensation.tenant_id,
            func.count(AdvanceCompensation.id),
            func.sum(AdvanceCompensation.amount),
            func.sum(outstanding),
        )
        .where(
            AdvanceCompensation.tenant_id.in_(ids),
            AdvanceCompensation.created_at >= start,
            AdvanceCompensation.created_at < end,
        )
        .group_by(AdvanceCompensation.tenant_id)
    ):
        cards[tid].compensations = n
        cards[tid].compensation_total, cards[tid].compensation_outstanding = _money(total), _money(open_total)


def _verdicts(cards: dict[int, Scorecard], ids: list[int], start: datetime, end: datetime) -> None:
    """The supervisors' verdicts on the shops' sampled cases, counted by the month they were given."""
    for tid in ids:
        cards[tid].verdicts = dict.fromkeys(VERDICTS, 0)
    stmt = select(SampleCase.tenant_id, SampleCase.verdict, func.count()).where(
        SampleCase.tenant_id.in_(ids),
        SampleCase.verdict.in_(VERDICTS),
        SampleCase.reviewed_at >= start,
        SampleCase.reviewed_at < end,
    )
    for tid, value, n in db.session.execute(stmt.group_by(SampleCase.tenant_id, SampleCase.verdict)):
        cards[tid].verdicts[value] = n


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "month",
    "slug",
    "name_zh",
    "name_en",
    "active",
    "cases",
    "sla_clocks_stopped",
    "sla_clocks_met",
    "sla_met_pct",
    "resolution_decided",
    "resolved_within_7_working_days",
    "resolution_7d_pct",
    "surveys_answered",
    "satisfaction",
    "reviews_pass",
    "reviews_concern",
    "reviews_fail",
    "complaints",
    "complaints_late",
    "advance_compensations",
    "advance_compensation_total",
    "advance_compensation_outstanding",
    "first_response_decided",
    "first_response_in_time",
    "first_response_pct",
    "first_response_median_minutes",
    "complaint_rate",
)


def to_csv(cards: list[Scorecard]) -> bytes:
    """The month's scorecards as a CSV file for Excel (saas.services.csv_files)."""
    writer = SafeWriter()
    writer.writerow(CSV_COLUMNS)
    for c in cards:
        v = c.verdicts or {}
        writer.writerow(
            (
                c.month,
                c.slug,
                c.name_zh,
                c.name_en,
                int(c.is_active),
                c.cases,
                c.clocks_stopped,
                c.clocks_met,
                c.sla_met_pct,
                c.resolution_decided,
                c.resolved_in_time,
                c.resolution_pct,
                c.surveys_answered,
                c.satisfaction,
                v.get("pass") if c.verdicts is not None else None,
                v.get("concern") if c.verdicts is not None else None,
                v.get("fail") if c.verdicts is not None else None,
                c.complaints,
                c.complaints_late,
                c.compensations,
                c.compensation_total,
                c.compensation_outstanding,
                c.first_response_decided,
                c.first_response_in_time,
                c.first_response_pct,
                c.first_response_median,
                c.complaint_rate,
            )
        )
    return writer.getvalue()
