"""The supervisors' view of the shops they were granted: the reports page's KPIs, aggregates only (§7).

The figures are reports.build()'s, with personal=False: no case numbers, names, phones, comments or
example cases; top problems only as the recurring phrases with their counts. Each look is written
to the shop's supervisor access log, so the merchant sees who looked at its figures and when.
"""

from __future__ import annotations

from dataclasses import dataclass

from saas.models.user import User
from saas.services import report_periods, reports, supervision, supervision_sampling
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.scoping import tenant_context


@dataclass
class ShopKpis:
    tenant: Tenant
    period: report_periods.Period
    report: reports.Report


def overview(supervisor: User, kind: str | None, first: str | None, last: str | None) -> list[ShopKpis]:
    """One entry per shop granted today, the period read in each shop's own zone; PeriodError on bad input."""
    out = []
    for tenant in sorted(supervision.granted_tenants(supervisor).values(), key=lambda t: t.slug):
        with tenant_context(tenant.id):
            period = report_periods.parse_period(kind, first, last, shop_today(tenant))
            report = reports.build(tenant, period, personal=False)
        supervision_sampling.record_access(supervisor, tenant.id, "kpis", detail=f"{period.first}..{period.last}")
        out.append(ShopKpis(tenant, period, report))
    return out
