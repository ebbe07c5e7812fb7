"""Supervision sampling: the population of a period, a reproducible stratified draw, opening a sample."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case, Evidence
from saas.models.supervision import Sample, SampleCase, SupervisorAccess
from saas.models.user import User
from saas.services import audit
from saas.services.supervision import MAX_PERIOD_DAYS, MAX_SAMPLE, MAX_SEED, Access, SupervisionError, access_to
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context


def period_bounds(tenant: Tenant, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in the tenant's timezone, as aware datetimes."""
    tz = ZoneInfo(tenant.timezone)
    return datetime.combine(start, time(0), tz), datetime.combine(end + timedelta(days=1), time(0), tz)


def population(tenant: Tenant, start: date, end: date) -> list[tuple[int, str]]:
    """(case id, type) of the cases resolved or closed in the period, ascending by id."""
    lo, hi = period_bounds(tenant, start, end)
    with tenant_context(tenant.id):
        rows = db.session.execute(
            select(Case.id, Case.problem_type)
            .where(
                or_(
                    and_(Case.closed_at >= lo, Case.closed_at < hi), and_(Case.resolved_at >= lo, Case.resolved_at < hi)
                )
            )
            .order_by(Case.id)
        ).all()
    return [(r[0], r[1]) for r in rows]


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """Proportional allocation by largest remainder (Hamilton), in exact fractions.

    Ties in the remainder go to the larger stratum, then to the type name, so the
    allocation is a pure function of its inputs.
    """
    total = sum(counts.values())
    size = min(size, total)
    if total == 0:
        return {k: 0 for k in counts}
    quotas = {k: Fraction(size * n, total) for k, n in counts.items()}
    alloc = {k: int(q) for k, q in quotas.items()}
    left = size - sum(alloc.values())
    order = sorted(counts, key=lambda k: (-(quotas[k] - alloc[k]), -counts[k], k))
    for k in order[:left]:
        alloc[k] += 1
    return alloc


def draw(pool: list[tuple[int, str]], size: int, seed: int, stratified: bool) -> tuple[list[tuple[int, str]], dict]:
    """The documented, reproducible draw.

    random.Random(seed) over case ids sorted ascending: without strata one
    rng.sample(ids, n); with strata, types in alphabetical order, each drawing
    its allocated share from its own ascending ids with the same generator.
    """
    rng = random.Random(seed)
    pool = sorted(pool)
    if not stratified:
        ids = [cid for cid, _ in pool]
        kind = dict(pool)
        return [(cid, kind[cid]) for cid in rng.sample(ids, min(size, len(ids)))], {}
    by_type: dict[str, list[int]] = {}
    for cid, kind in pool:
        by_type.setdefault(kind, []).append(cid)
    alloc = allocate({k: len(v) for k, v in by_type.items()}, size)
    chosen: list[tuple[int, str]] = []
    for kind in sorted(by_type):
        chosen.extend((cid, kind) for cid in rng.sample(by_type[kind], alloc[kind]))
    return chosen, {k: [len(by_type[k]), alloc[k]] for k in sorted(by_type)}


def new_seed() -> int:
    # Nine digits: easy to read out and to type, and never shaped like a mobile number.
    return secrets.randbelow(10**9)


def draw_sample(
    supervisor: User,
    tenant_id: int,
    *,
    start: date | None,
    end: date | None,
    size: int | None,
    stratified: bool,
    seed: int | None = None,
) -> Sample:
    """Draw and record a sample; refuses (nothing kept) on bad input or an empty period."""
    errors: dict = {}
    access = access_to(supervisor, tenant_id) if tenant_id else None
    if access is None:
        errors["tenant_id"] = _l("Choose a shop you currently have access to.")
    if start is None:
        errors["period_start"] = _l("Please enter the first day of the period.")
    if end is None:
        errors["period_end"] = _l("Please enter the last day of the period.")
    elif start is not None and end < start:
        errors["period_end"] = _l("The end date cannot be before the start date.")
    elif start is not None and (end - start).days >= MAX_PERIOD_DAYS:
        errors["period_end"] = _l("The period can be at most %(days)s days.", days=MAX_PERIOD_DAYS)
    if size is None or not 1 <= size <= MAX_SAMPLE:
        errors["size"] = _l("The sample size must be between 1 and %(max)s.", max=MAX_SAMPLE)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors["seed"] = _l("The seed must be a whole number between 0 and %(max)s.", max=MAX_SEED)
    if errors:
        raise SupervisionError(errors)
    pool = population(access.tenant, start, end)
    if not pool:
        raise SupervisionError({"period_start": _l("No cases were resolved or closed in this period.")})
    seed = new_seed() if seed is None else seed
    chosen, allocation = draw(pool, size, seed, stratified)
    with tenant_context(tenant_id):
        sample = Sample(
            tenant_id=tenant_id,
            supervisor_id=supervisor.id,
            period_start=start,
            period_end=end,
            size_requested=size,
            stratified=stratified,
            seed=seed,
            population=len(pool),
            allocation=allocation,
            created_at=utcnow(),
        )
        sample.items = [
            SampleCase(tenant_id=tenant_id, case_id=cid, stratum=kind, position=i)
            for i, (cid, kind) in enumerate(chosen)
        ]
        db.session.add(sample)
        db.session.flush()
        audit.record(
            tenant_id,
            supervisor,
            "supervision.sample_drawn",
            sample,
            seed=seed,
            size=len(chosen),
            period=f"{start.isoformat()}..{end.isoformat()}",
            stratified=stratified,
        )
    return sample


def samples_of(supervisor: User) -> list[Sample]:
    """The supervisor's own samples across tenants (the one cross-tenant read here)."""
    with cross_tenant("supervisor lists their own samples"):
        rows = list(
            db.session.scalars(
                select(Sample)
                .where(Sample.supervisor_id == supervisor.id)
                .order_by(Sample.created_at.desc(), Sample.id.desc())
            )
        )
        for s in rows:  # load what the page shows while the opt-out is in force
            _ = s.tenant, s.supervisor, len(s.items)
    return rows


@dataclass
class OpenSample:
    sample: Sample
    access: Access
    items: list[SampleCase] = field(default_factory=list)


def open_sample(supervisor: User, sample_id: int) -> OpenSample | None:
    """The supervisor's own sample under a grant active today, or None (the view answers 404)."""
    with cross_tenant("supervisor opens one of their own samples"):
        tenant_id = db.session.scalar(
            select(Sample.tenant_id).where(Sample.id == sample_id, Sample.supervisor_id == supervisor.id)
        )
    if tenant_id is None:
        return None
    access = access_to(supervisor, tenant_id)
    if access is None:
        return None
    with tenant_context(tenant_id):
        sample = db.session.get(Sample, sample_id)
        if sample is None or sample.tenant_id != tenant_id:
            return None
        items = list(sample.items)
        for item in items:
            _ = item.case.number, item.responses
    return OpenSample(sample, access, items)


def item_of(opened: OpenSample, case_id: int) -> SampleCase | None:
    return next((i for i in opened.items if i.case_id == case_id), None)


def photo_of(opened: OpenSample, item: SampleCase, evidence_id: int) -> Evidence | None:
    """A photo of a sampled case, only when the grant shows images; videos never."""
    if not opened.access.evidence_images:
        return None
    with tenant_context(item.tenant_id):
        photo = db.session.get(Evidence, evidence_id)
    if (
        photo is None
        or photo.tenant_id != item.tenant_id
        or photo.case_id != item.case_id
        or photo.kind != "image"
        or photo.status != "ready"
    ):
        return None
    return photo


def record_access(
    supervisor: User,
    tenant_id: int,
    kind: str,
    *,
    case_id: int | None = None,
    sample_id: int | None = None,
    detail: str = "",
) -> SupervisorAccess:
    with tenant_context(tenant_id):
        row = SupervisorAccess(
            tenant_id=tenant_id,
            supervisor_id=supervisor.id,
            case_id=case_id,
            sample_id=sample_id,
            kind=kind,
            detail=detail[:120],
            created_at=utcnow(),
            ip=(request.remote_addr or "") if has_request_context() else "",
        )
        db.session.add(row)
        db.session.flush()
    return row
