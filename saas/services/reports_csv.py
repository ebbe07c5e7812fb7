"""The report's cases as CSV with their KPI fields: UTF-8 with a BOM for Excel, cells safe from formulas."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import case as sa_case
from sqlalchemy import func, select

from saas.extensions import db
from saas.locale import babel_locale
from saas.models.base import utcnow
from saas.models.case import Case, CaseLine
from saas.models.order import OrderLine
from saas.models.sla import SlaClock
from saas.models.survey import Survey
from saas.services import case_messages, kpis, orders, reasons
from saas.services.csv_files import SafeWriter
from saas.services.report_periods import Period
from tenants.models import Tenant

COLUMNS = (
    _l("Case"),
    _l("Filed"),
    _l("Type"),
    _l("Intake channel"),
    _l("Purchase channel"),
    _l("Category"),
    "SKU",
    _l("Reason"),
    _l("Status"),
    _l("First response"),
    _l("First response (working minutes)"),
    _l("First response in time"),
    _l("Resolved"),
    _l("Resolution (working days)"),
    _l("Resolved within 7 working days"),
    _l("Satisfaction score"),
    _l("SLA breaches"),
)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else str(_l("yes") if value else _l("no"))


def cases_csv(tenant: Tenant, period: Period, lang: str = "zh", now: datetime | None = None) -> bytes:
    """One row per case filed in the period, with the KPI facts kept on it (no calendar arithmetic here)."""
    now = now or utcnow()
    start, end = period.bounds(tenant.timezone)
    zone = ZoneInfo(tenant.timezone)
    in_range = (Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end)
    # In time: the stored fact once known; "no" once unanswered (unresolved) past its due time; else blank.
    response_in_time = sa_case(
        (Case.first_response_in_time.is_not(None), Case.first_response_in_time),
        (kpis.response_decided(now), False),
        else_=None,
    )
    resolved_in_time = sa_case(
        (Case.resolved_at.is_not(None), kpis.RESOLVED_IN_TIME), (kpis.resolution_decided(now), False), else_=None
    )
    rows = db.session.execute(
        select(
            Case.id,
            Case.number,
            Case.created_at,
            Case.problem_type,
            Case.intake_channel,
            Case.purchase_channel,
            Case.category,
            Case.reason_code,
            Case.status,
            Case.first_response_at,
            Case.first_response_minutes,
            response_in_time,
            Case.resolved_at,
            Case.resolution_days,
            resolved_in_time,
        )
        .where(*in_range)
        .order_by(Case.created_at, Case.id)
    ).all()
    skus: dict[int, list[str]] = defaultdict(list)
    for cid, sku in db.session.execute(
        select(CaseLine.case_id, OrderLine.sku)
        .join(OrderLine, OrderLine.id == CaseLine.order_line_id)
        .join(Case, Case.id == CaseLine.case_id)
        .where(*in_range)
        .order_by(CaseLine.id)
    ):
        skus[cid].append(sku)
    scores = dict(
        db.session.execute(
            select(Survey.case_id, func.max(Survey.score))
            .join(Case, Case.id == Survey.case_id)
            .where(*in_range, Survey.status == "answered")
            .group_by(Survey.case_id)
        ).all()
    )
    breaches = dict(
        db.session.execute(
            select(SlaClock.case_id, func.count())
            .join(Case, Case.id == SlaClock.case_id)
            .where(*in_range, SlaClock.breached_at.is_not(None))
            .group_by(SlaClock.case_id)
        ).all()
    )

    def when(at: datetime | None) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else ""

    w = SafeWriter()
    with force_locale(babel_locale(lang)):
        w.writerow([str(c) for c in COLUMNS])
        reason_labels = reasons.labels(tenant, lang)
        for (
            cid,
            number,
            created,
            kind,
            intake,
            channel,
            category,
            reason,
            status,
            replied,
            minutes,
            r_in,
            resolved,
            days,
            s_in,
        ) in rows:
            w.writerow(
                (
                    number,
                    when(created),
                    case_messages.label(kind),
                    case_messages.label(intake),
                    case_messages.label(channel),
                    orders.category_label(category, lang),
                    " ".join(dict.fromkeys(skus.get(cid, []))),
                    reason_labels.get(reason, reason) if reason else "",
                    case_messages.staff_label(status),
                    when(replied),
                    minutes,
                    _yes_no(None if r_in is None else bool(r_in)),
                    when(resolved),
                    days,
                    _yes_no(None if s_in is None else bool(s_in)),
                    scores.get(cid),
                    breaches.get(cid, 0),
                )
            )
    return w.getvalue()
