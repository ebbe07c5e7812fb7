"""The reports page's team table: per person responsible for the period's cases, what they handled, how much
of it in time, and the satisfaction of the answers on their cases. It names people: supervisors do not see it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from saas.extensions import db
from saas.models.case import Case
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import kpis
from tenants.models import Tenant

_pct = kpis.pct


def agents(tenant: Tenant, start: datetime, end: datetime, now: datetime) -> list[dict]:
    """Per person responsible for the period's cases: the assignee, or whoever resolved an unassigned case.

    Cases handled, first replies in time and resolutions within 7 working days of those cases, and the
    satisfaction of the answers given in the period on the cases they are responsible for.
    """
    owner = func.coalesce(Case.assignee_id, Case.resolved_by_id)
    rows = db.session.execute(
        select(
            owner,
            func.count(Case.id),
            kpis.count_if(kpis.response_decided(now)),
            kpis.count_if(Case.first_response_in_time.is_(True)),
            kpis.count_if(Case.resolved_at.is_not(None)),
            kpis.count_if(kpis.resolution_decided(now)),
            kpis.count_if(kpis.RESOLVED_IN_TIME),
        )
        .where(Case.tenant_id == tenant.id, Case.created_at >= start, Case.created_at < end, owner.is_not(None))
        .group_by(owner)
    ).all()
    scores = {
        aid: (n, mean)
        for aid, n, mean in db.session.execute(
            select(owner, func.count(Survey.id), func.avg(Survey.score))
            .join(Case, Case.id == Survey.case_id)
            .where(
                Survey.tenant_id == tenant.id,
                Survey.status == "answered",
                Survey.answered_at >= start,
                Survey.answered_at < end,
                owner.is_not(None),
            )
            .group_by(owner)
        )
    }
    ids = {aid for aid, *_rest in rows} | set(scores)
    if not ids:
        return []
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    counts = {aid: rest for aid, *rest in rows}
    out = []
    for aid in ids:
        handled, r_dec, r_in, resolved, s_dec, s_in = (int(x) for x in counts.get(aid, (0,) * 6))
        answered, mean = scores.get(aid, (0, None))
        out.append(
            {
                "name": names.get(aid, "?"),
                "handled": handled,
                "responses_decided": r_dec,
                "responses_in_time": r_in,
                "first_response_pct": _pct(r_in, r_dec),
                "resolved": resolved,
                "resolutions_decided": s_dec,
                "resolved_in_time": s_in,
                "resolution_pct": _pct(s_in, s_dec),
                "answers": answered,
                "satisfaction": round(float(mean) * 20, 1) if mean is not None else None,
            }
        )
    return sorted(out, key=lambda x: (-x["handled"], x["name"]))
