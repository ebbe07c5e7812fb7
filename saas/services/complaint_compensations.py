"""先行赔付 (advance compensation): the platform pays the consumer now, on a complaint, and recovers the amount
from the merchant later; the consumer's tracking page shows what was paid on the case.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from saas.extensions import db
from saas.input_guard import parse_decimal
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.complaint import AdvanceCompensation, PlatformComplaint
from saas.models.user import User
from saas.services import audit
from saas.services.complaints import ComplaintError, checked_text
from tenants.scoping import cross_tenant, tenant_context

AMOUNT_MAX = Decimal("1000000")


def parse_amount(raw) -> Decimal:
    amount = parse_decimal(raw, max_digits=7)  # no NaN, Infinity or 1e400 reaches the arithmetic
    if amount is None or amount < Decimal("0.01") or amount > AMOUNT_MAX or amount != amount.quantize(Decimal("0.01")):
        raise ComplaintError("amount")
    return amount.quantize(Decimal("0.01"))


def record_compensation(complaint: PlatformComplaint, operator: User, amount, reason: str) -> AdvanceCompensation:
    """先行赔付: the platform pays now and recovers the amount from the merchant later."""
    value = parse_amount(amount)
    why = checked_text(reason, "reason")
    with tenant_context(complaint.tenant_id):
        comp = AdvanceCompensation(
            tenant_id=complaint.tenant_id,
            complaint=complaint,
            case_id=complaint.case_id,
            amount=value,
            reason=why,
            recorded_by_id=operator.id,
            recovered=False,
        )
        db.session.add(comp)
        db.session.flush()
        audit.record(
            complaint.tenant_id,
            operator,
            "compensation.recorded",
            comp,
            amount=str(value),
            complaint=complaint.reference,
        )
    return comp


def compensation_for_operator(compensation_id: int) -> AdvanceCompensation | None:
    with cross_tenant("operator reads a compensation"):
        return db.session.get(AdvanceCompensation, compensation_id)


def mark_recovered(comp: AdvanceCompensation, operator: User) -> AdvanceCompensation:
    if comp.recovered:
        raise ComplaintError("recovered")
    with tenant_context(comp.tenant_id):
        comp.recovered, comp.recovered_at = True, utcnow()
        db.session.flush()
        audit.record(comp.tenant_id, operator, "compensation.recovered", comp, amount=str(comp.amount))
    return comp


def compensations_for_case(case: Case) -> list[AdvanceCompensation]:
    """What the consumer's tracking page shows (the tenant's context is the request's)."""
    return list(
        db.session.scalars(
            select(AdvanceCompensation)
            .where(
                AdvanceCompensation.tenant_id == case.tenant_id,
                AdvanceCompensation.case_id == case.id,
            )
            .order_by(AdvanceCompensation.id)
        )
    )
