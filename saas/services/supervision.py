"""Third-party supervision: supervisor accounts, grants and the access a grant gives.

The rest of the supervisor's work is beside it: drawing and opening samples (`supervision_sampling`),
the masked case view, reviews and the merchant's responses (`supervision_review`), and the report
(`supervision_report`).

Supervisors have no tenant. Grants are platform rows read with explicit filters;
everything about a tenant's cases is read inside tenant_context(tenant_id) of a
sample the supervisor drew under a grant that is active today, so the ORM guard
still scopes every load. The only cross-tenant read is the supervisor's own list
of samples (filtered by supervisor_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.email_addresses import EMAIL_MESSAGE
from saas.email_addresses import normalise_email as valid_address
from saas.extensions import db
from saas.models.base import utcnow
from saas.models.supervision import (
    SupervisorGrant,
)
from saas.models.user import User, normalise_email
from saas.services import audit
from saas.services.errors import ServiceError
from tenants.clock import shop_today
from tenants.models import Tenant

MAX_SAMPLE = 200
MAX_PERIOD_DAYS = 366
MAX_SEED = 2**63 - 1
MAX_COMMENT = 2000
MAX_FINDINGS = 4000
MAX_RESPONSE = 4000

RESULT_LABELS = {"pass": _l("Pass"), "concern": _l("Concern"), "fail": _l("Fail")}
CHECK_LABELS = {
    "policy": _l("Policy applied correctly"),
    "sla": _l("Service levels met"),
    "resolution": _l("Resolution appropriate"),
    "communication": _l("Communication courteous"),
}
ACCESS_LABELS = {
    "view_case": _l("Opened the case"),
    "view_evidence": _l("Viewed a photo"),
    "review": _l("Saved a review"),
    "report": _l("Opened the printable sample report"),
    "export": _l("Exported the sample report (CSV)"),
    "kpis": _l("Viewed the shop's key figures"),
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
    return list(
        db.session.scalars(
            select(SupervisorGrant)
            .where(SupervisorGrant.supervisor_id == supervisor.id)
            .order_by(SupervisorGrant.starts_on.desc(), SupervisorGrant.id.desc())
        )
    )


def grant(
    actor: User, supervisor: User, tenant: Tenant, *, starts_on: date, ends_on: date, evidence_images: bool = False
) -> SupervisorGrant:
    if supervisor.role != "supervisor":
        raise SupervisionError({"supervisor": _l("Access can only be granted to a supervisor.")})
    if ends_on < starts_on:
        raise SupervisionError({"ends_on": _l("The end date cannot be before the start date.")})
    row = SupervisorGrant(
        supervisor_id=supervisor.id,
        tenant_id=tenant.id,
        starts_on=starts_on,
        ends_on=ends_on,
        evidence_images=bool(evidence_images),
        granted_by_id=actor.id,
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    # The merchant's own audit trail says who was let in, for how long, and whether photos are included.
    audit.record(
        tenant.id,
        actor,
        "supervision.granted",
        row,
        supervisor=supervisor.email,
        starts_on=starts_on.isoformat(),
        ends_on=ends_on.isoformat(),
        evidence_images=bool(evidence_images),
    )
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
        select(SupervisorGrant)
        .where(SupervisorGrant.supervisor_id == supervisor.id, SupervisorGrant.revoked_at.is_(None))
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
