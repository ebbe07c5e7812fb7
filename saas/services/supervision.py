"""Third-party supervision: grants, reproducible samples, masked case views, reviews, responses, reports.

Supervisors have no tenant. Grants are platform rows read with explicit filters;
everything about a tenant's cases is read inside tenant_context(tenant_id) of a
sample the supervisor drew under a grant that is active today, so the ORM guard
still scopes every load. The only cross-tenant read is the supervisor's own list
of samples (filtered by supervisor_id).
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from saas.extensions import db
from saas.masking import mask_case_number, mask_email, mask_mobile_head, mask_name, mask_text
from saas.models.base import utcnow
from saas.models.case import Case, Evidence
from saas.models.sla import SlaClock
from saas.models.supervision import (
    CHECKS,
    RESULTS,
    FindingResponse,
    Sample,
    SampleCase,
    SupervisorAccess,
    SupervisorGrant,
)
from saas.email_addresses import EMAIL_MESSAGE, normalise_email as valid_address
from saas.models.user import User, normalise_email
from saas.services import audit, case_messages, case_view, sla
from saas.services.csv_files import SafeWriter
from saas.services.errors import ServiceError
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context

MAX_SAMPLE = 200
MAX_PERIOD_DAYS = 366
MAX_SEED = 2**63 - 1
MAX_COMMENT = 2000
MAX_FINDINGS = 4000
MAX_RESPONSE = 4000

RESULT_LABELS = {"pass": _l("Pass"), "concern": _l("Concern"), "fail": _l("Fail")}
CHECK_LABELS = {
    "policy": _l("Policy applied correctly"), "sla": _l("Service levels met"),
    "resolution": _l("Resolution appropriate"), "communication": _l("Communication courteous"),
}
ACCESS_LABELS = {
    "view_case": _l("Opened the case"), "view_evidence": _l("Viewed a photo"), "review": _l("Saved a review"),
    "report": _l("Opened the printable sample report"), "export": _l("Exported the sample report (CSV)"),
}


class SupervisionError(ServiceError):
    """A refused supervision action; `errors` maps field names to messages for the form."""

    def __init__(self, errors: dict):
        super().__init__("form", field=next(iter(errors), None))
        self.errors = errors

    @property
    def message(self) -> str:
        return " ".join(str(m) for m in self.errors.values())


def result_label(value: str | None) -> str:
    return str(RESULT_LABELS.get(value or "", "—"))


def check_label(key: str) -> str:
    return str(CHECK_LABELS.get(key, key))


def access_label(kind: str) -> str:
    return str(ACCESS_LABELS.get(kind, kind))


# ---------------------------------------------------------------- operator: accounts and grants

def create_supervisor(actor: User, *, name: str, email: str, password: str) -> User:
    if valid_address(email) is None:
        raise SupervisionError({"email": EMAIL_MESSAGE})
    user = User(tenant_id=None, role="supervisor", name=name.strip(), email=normalise_email(email))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def supervisors() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role == "supervisor").order_by(User.name, User.id)))


def grants_of(supervisor: User) -> list[SupervisorGrant]:
    return list(db.session.scalars(
        select(SupervisorGrant).where(SupervisorGrant.supervisor_id == supervisor.id)
        .order_by(SupervisorGrant.starts_on.desc(), SupervisorGrant.id.desc())
    ))


def grant(actor: User, supervisor: User, tenant: Tenant, *, starts_on: date, ends_on: date,
          evidence_images: bool = False) -> SupervisorGrant:
    if supervisor.role != "supervisor":
        raise SupervisionError({"supervisor": _l("Access can only be granted to a supervisor.")})
    if ends_on < starts_on:
        raise SupervisionError({"ends_on": _l("The end date cannot be before the start date.")})
    row = SupervisorGrant(supervisor_id=supervisor.id, tenant_id=tenant.id, starts_on=starts_on, ends_on=ends_on,
                          evidence_images=bool(evidence_images), granted_by_id=actor.id, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    # The merchant's own audit trail says who was let in, for how long, and whether photos are included.
    audit.record(tenant.id, actor, "supervision.granted", row, supervisor=supervisor.email,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(), evidence_images=bool(evidence_images))
    return row


def revoke(actor: User, row: SupervisorGrant) -> None:
    if row.revoked_at is not None:
        return
    row.revoked_at, row.revoked_by_id = utcnow(), actor.id
    db.session.flush()
    audit.record(row.tenant_id, actor, "supervision.revoked", row, supervisor=row.supervisor.email)


def active_grants(supervisor: User) -> list[SupervisorGrant]:
    """The supervisor's grants in force today (each tenant's own today)."""
    rows = db.session.scalars(
        select(SupervisorGrant).where(SupervisorGrant.supervisor_id == supervisor.id,
                                      SupervisorGrant.revoked_at.is_(None))
        .order_by(SupervisorGrant.tenant_id, SupervisorGrant.id)
    ).all()
    return [g for g in rows if g.tenant.is_active and g.is_active_on(shop_today(g.tenant))]


def granted_tenants(supervisor: User) -> dict[int, Tenant]:
    return {g.tenant_id: g.tenant for g in active_grants(supervisor)}


@dataclass
class Access:
    """What an active grant lets a supervisor do with one tenant."""

    tenant: Tenant
    evidence_images: bool


def access_to(supervisor: User, tenant_id: int) -> Access | None:
    grants = [g for g in active_grants(supervisor) if g.tenant_id == tenant_id]
    if not grants:
        return None
    return Access(grants[0].tenant, any(g.evidence_images for g in grants))


# ---------------------------------------------------------------- sampling

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
            .where(or_(and_(Case.closed_at >= lo, Case.closed_at < hi),
                       and_(Case.resolved_at >= lo, Case.resolved_at < hi)))
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


def draw_sample(supervisor: User, tenant_id: int, *, start: date | None, end: date | None, size: int | None,
                stratified: bool, seed: int | None = None) -> Sample:
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
        sample = Sample(tenant_id=tenant_id, supervisor_id=supervisor.id, period_start=start, period_end=end,
                        size_requested=size, stratified=stratified, seed=seed, population=len(pool),
                        allocation=allocation, created_at=utcnow())
        sample.items = [SampleCase(tenant_id=tenant_id, case_id=cid, stratum=kind, position=i)
                        for i, (cid, kind) in enumerate(chosen)]
        db.session.add(sample)
        db.session.flush()
        audit.record(tenant_id, supervisor, "supervision.sample_drawn", sample, seed=seed, size=len(chosen),
                     period=f"{start.isoformat()}..{end.isoformat()}", stratified=stratified)
    return sample


def samples_of(supervisor: User) -> list[Sample]:
    """The supervisor's own samples across tenants (the one cross-tenant read here)."""
    with cross_tenant("supervisor lists their own samples"):
        rows = list(db.session.scalars(
            select(Sample).where(Sample.supervisor_id == supervisor.id).order_by(Sample.created_at.desc(), Sample.id.desc())
        ))
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
    if photo is None or photo.tenant_id != item.tenant_id or photo.case_id != item.case_id or photo.kind != "image" \
            or photo.status != "ready":
        return None
    return photo


def record_access(supervisor: User, tenant_id: int, kind: str, *, case_id: int | None = None,
                  sample_id: int | None = None, detail: str = "") -> SupervisorAccess:
    with tenant_context(tenant_id):
        row = SupervisorAccess(tenant_id=tenant_id, supervisor_id=supervisor.id, case_id=case_id, sample_id=sample_id,
                               kind=kind, detail=detail[:120], created_at=utcnow(),
                               ip=(request.remote_addr or "") if has_request_context() else "")
        db.session.add(row)
        db.session.flush()
    return row


# ---------------------------------------------------------------- the masked view

def masked_case_view(case: Case, show_evidence: bool, lang: str) -> dict:
    """Everything a supervisor sees of a case, as plain masked values.

    Templates and exports only ever get this dict. Name, mobile and email are
    masked; there is no address; every free-text value goes through mask_text.
    Free text also loses the customer's name wherever it is written ("张三丰您好" → "张**您好") and any
    street address written out in it. Internal notes are left out: they are the merchant's working notes, not what
    was done or said to the customer, and may quote contact details verbatim.
    Videos are never offered (their metadata is not stripped); photos only when
    the grant allows them, and only by id, never by their original file name.
    Nothing here opens the consumer's tracking page (case number + last four digits of the
    mobile): the case number is shown in part and the mobile without its tail, in fields and text.
    """
    with tenant_context(case.tenant_id):
        mask = _masker(case)
        timeline = []
        for entry in case_view.timeline(case, lang, staff=True):
            files = entry.evidence
            photos = [e.id for e in files if e.kind == "image" and e.status == "ready"] if show_evidence else []
            # Who took the case is staff's personal data: the supervisor sees that it changed hands, not names.
            text = _("The case changed hands.") if entry.kind == "assigned" else mask(entry.text)
            timeline.append({
                "at": entry.at, "who": entry.who, "kind": case_messages.event_label(entry.kind),
                "text": text, "photos": photos, "hidden_files": len(files) - len(photos),
            })
        clocks = sorted(db.session.scalars(select(SlaClock).where(SlaClock.case_id == case.id)).all(),
                        key=lambda c: (c.started_at, c.id))
        lines = [{"name": mask(cl.order_line.name), "quantity": cl.quantity} for cl in case.lines]
        remedies = [{**r, "reason": mask(r["reason"]), "clause": mask(r["clause"]), "label": mask(r["label"])}
                    for r in case_view.remedies(case, lang)]
        return {
            "id": case.id, "number": mask_case_number(case.number),
            "problem_type": case_messages.label(case.problem_type), "status": case_messages.label(case.status),
            "emergency": case.emergency, "priority": case.priority,
            "customer_name": mask_name(case.customer_name), "mobile": mask_mobile_head(case.mobile),
            "email": mask_email(case.email), "address": "",
            "order_number": mask(case.order_number), "order_verified": case.order_verified,
            "purchase_channel": case_messages.label(case.purchase_channel),
            "intake_channel": case_messages.label(case.intake_channel),
            "purchase_date": case.purchase_date, "delivery_date": case.delivery_date,
            "category": case.category, "item_price": case.item_price, "lines": lines,
            "expected_resolution": case_messages.label(case.expected_resolution),
            "description": mask(case.description),
            "responsibility": case_messages.label(case.responsibility) if case.responsibility else "",
            "responsibility_basis": mask(case.responsibility_basis),
            "resolution_kind": case_messages.label(case.resolution_kind) if case.resolution_kind else "",
            "resolution_amount": case.resolution_amount, "repair_cycle_days": case.repair_cycle_days,
            "resolution_detail": mask(case.resolution_detail),
            "invoice_handling": case_messages.label(case.invoice_handling) if case.invoice_handling else "",
            "rejection_reason": mask(case.rejection_reason),
            "created_at": case.created_at, "first_response_at": case.first_response_at,
            "resolved_at": case.resolved_at, "closed_at": case.closed_at,
            "remedies": remedies,
            "clocks": [{"kind": str(sla.CLOCK_LABELS.get(c.kind, c.kind)), "around_the_clock": c.around_the_clock,
                        "started_at": c.started_at, "due_at": c.due_at, "stopped_at": c.stopped_at,
                        "state": c.state, "state_label": str(sla.STATE_LABELS.get(c.state, c.state)),
                        "paused_hours": round(c.paused_seconds / 3600, 1)} for c in clocks],
            "timeline": timeline,
            "show_evidence": show_evidence,
        }


def _masker(case: Case):
    """mask_text for one case's free text: its people's names, its number shown in part, and the shop's
    own order and parcel numbers left readable (a verified order number is the shop's, not typed by the consumer)."""
    people = (case.customer_name, case.order.customer_name if case.order is not None else "")
    known = (case.order.order_number if case.order is not None else "", case.outbound_tracking_number or "")
    numbers = (case.number,)
    return lambda text: mask_text(text or "", names=people, keep=known, case_numbers=numbers)


def masked_review(item: SampleCase) -> dict:
    """A review and the merchant's responses, as the supervisor sees them (free text masked)."""
    with tenant_context(item.tenant_id):
        mask = _masker(item.case)
    return {
        "checks": [{"key": k, "label": check_label(k), "result": getattr(item, f"{k}_result"),
                    "result_label": result_label(getattr(item, f"{k}_result")),
                    "comment": mask(getattr(item, f"{k}_comment"))} for k in CHECKS],
        "verdict": item.verdict, "verdict_label": result_label(item.verdict),
        "findings": mask(item.findings), "reviewed_at": item.reviewed_at,
        "responses": [{"at": r.created_at, "text": mask(r.text)} for r in item.responses],
    }


# ---------------------------------------------------------------- review and response

def save_review(item: SampleCase, reviewer: User, form: dict) -> SampleCase:
    errors: dict = {}
    values: dict = {}
    for key in (*CHECKS, "verdict"):
        name = key if key == "verdict" else f"{key}_result"
        value = (form.get(name) or "").strip()
        if value not in RESULTS:
            errors[name] = _l("Please choose pass, concern or fail.")
        values[name] = value
    for key in CHECKS:
        comment = (form.get(f"{key}_comment") or "").strip()
        if len(comment) > MAX_COMMENT:
            errors[f"{key}_comment"] = _l("At most %(n)s characters.", n=MAX_COMMENT)
        values[f"{key}_comment"] = comment
    findings = (form.get("findings") or "").strip()
    if len(findings) > MAX_FINDINGS:
        errors["findings"] = _l("At most %(n)s characters.", n=MAX_FINDINGS)
    elif values["verdict"] in ("concern", "fail") and not findings:
        errors["findings"] = _l("Please write the findings for a concern or a fail.")
    if errors:
        raise SupervisionError(errors)
    with tenant_context(item.tenant_id):
        for name, value in values.items():
            setattr(item, name, value)
        item.findings, item.reviewed_at, item.reviewer_id = findings, utcnow(), reviewer.id
        db.session.flush()
    return item


def findings_for_case(case: Case) -> list[SampleCase]:
    """Reviewed sample entries of a case, for the merchant's own console (tenant-scoped by the guard)."""
    return list(db.session.scalars(
        select(SampleCase).where(SampleCase.case_id == case.id, SampleCase.verdict.is_not(None))
        .order_by(SampleCase.reviewed_at.desc(), SampleCase.id.desc())
    ))


def case_access_log(case: Case, limit: int = 50) -> list[SupervisorAccess]:
    return list(db.session.scalars(
        select(SupervisorAccess).where(SupervisorAccess.case_id == case.id)
        .order_by(SupervisorAccess.created_at.desc(), SupervisorAccess.id.desc()).limit(limit)
    ))


def console_panel(case: Case, user: User) -> dict:
    """What the merchant's case page shows about supervision: findings, responses, and (owner) the access log."""
    return {
        "findings": findings_for_case(case),
        "can_respond": user.can_manage,
        "access": case_access_log(case) if user.role == "owner" else None,
        "result": result_label, "check": check_label, "access_label": access_label,
    }


def respond(case: Case, author: User, finding_id, text: str) -> FindingResponse:
    try:
        finding_id = int(finding_id)
    except (TypeError, ValueError):
        raise SupervisionError({"finding": _l("These findings were not found.")}) from None
    item = db.session.get(SampleCase, finding_id)
    if item is None or item.tenant_id != case.tenant_id or item.case_id != case.id or item.verdict is None:
        raise SupervisionError({"finding": _l("These findings were not found.")})
    text = (text or "").strip()
    if not text:
        raise SupervisionError({"text": _l("Please write your response.")})
    if len(text) > MAX_RESPONSE:
        raise SupervisionError({"text": _l("At most %(n)s characters.", n=MAX_RESPONSE)})
    row = FindingResponse(tenant_id=case.tenant_id, sample_case_id=item.id, author_id=author.id, text=text,
                          created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(case.tenant_id, author, "supervision.responded", item, case=case.number)
    return row


def tenant_access_log(limit: int = 500) -> list[SupervisorAccess]:
    """The current tenant's supervisor access log, newest first (the guard scopes it)."""
    return list(db.session.scalars(
        select(SupervisorAccess).order_by(SupervisorAccess.created_at.desc(), SupervisorAccess.id.desc()).limit(limit)
    ))


# ---------------------------------------------------------------- the report

def report(opened: OpenSample, lang: str) -> dict:
    """Summary counts by verdict and per-case rows, every free-text value masked."""
    counts = {k: 0 for k in (*RESULTS, "pending")}
    rows = []
    with tenant_context(opened.sample.tenant_id):
        for item in opened.items:
            counts[item.verdict or "pending"] += 1
            case = item.case
            review = masked_review(item)
            rows.append({
                "case_id": case.id, "number": mask_case_number(case.number), "type": case_messages.label(item.stratum or case.problem_type),
                "status": case_messages.label(case.status), "resolved_at": case.resolved_at, "closed_at": case.closed_at,
                **review,
            })
    s = opened.sample
    return {
        "tenant": opened.access.tenant.name(lang), "slug": opened.access.tenant.slug,
        "period_start": s.period_start, "period_end": s.period_end, "seed": s.seed, "stratified": s.stratified,
        "size": len(opened.items), "size_requested": s.size_requested, "population": s.population,
        "drawn_by": s.supervisor.name if s.supervisor else "", "drawn_at": s.created_at,
        "counts": counts, "rows": rows,
        "allocation": [(case_messages.label(k), v[0], v[1]) for k, v in (s.allocation or {}).items()],
    }


def _cell(value) -> str:
    return mask_text("" if value is None else str(value))  # SafeWriter then keeps it from starting a formula


def report_csv(data: dict, when_fmt) -> bytes:
    """The report as CSV, UTF-8 with a BOM so that Excel opens the Chinese text correctly."""
    w = SafeWriter()
    w.writerow([_cell(x) for x in (str(_l("Shop")), data["tenant"])])
    w.writerow([_cell(x) for x in (str(_l("Period")), f"{data['period_start'].isoformat()} – {data['period_end'].isoformat()}")])
    w.writerow([_cell(x) for x in (str(_l("Seed")), data["seed"])])
    w.writerow([_cell(x) for x in (str(_l("Drawn by")), data["drawn_by"], when_fmt(data["drawn_at"]))])
    w.writerow([_cell(x) for x in (str(_l("Cases in the sample")), data["size"])])
    w.writerow([_cell(x) for x in (str(_l("Cases resolved or closed in the period")), data["population"])])
    for key in (*RESULTS, "pending"):
        w.writerow([_cell(str(RESULT_LABELS.get(key, _l("Not reviewed yet")))), data["counts"][key]])
    w.writerow([])
    header = [str(_l("Case")), str(_l("Type")), str(_l("Status")), str(_l("Resolved")), str(_l("Closed"))]
    for k in CHECKS:
        header += [check_label(k), str(_l("Comment"))]
    header += [str(_l("Verdict")), str(_l("Findings")), str(_l("Merchant's response"))]
    w.writerow([_cell(h) for h in header])
    for row in data["rows"]:
        cells = [row["number"], row["type"], row["status"], when_fmt(row["resolved_at"]), when_fmt(row["closed_at"])]
        for check in row["checks"]:
            cells += [check["result_label"] if check["result"] else "", check["comment"]]
        cells += [row["verdict_label"] if row["verdict"] else "", row["findings"],
                  " | ".join(r["text"] for r in row["responses"])]
        w.writerow([_cell(c) for c in cells])
    return w.getvalue()

