"""Food-safety emergencies: the categories where the customer's words can raise one, raising it (the 1-hour
24/7 clock, the eligibility judged again as food safety, the shop's managers alerted at once) and lowering it.
"""

from __future__ import annotations

from saas.extensions import db
from saas.models.case import PRIORITY, Case, CaseEvent
from saas.models.user import User
from saas.services import notifications, policies
from saas.services.case_events import record
from saas.services.cases import CaseError
from tenants.clock import shop_today
from tenants.models import Tenant

FOOD_CATEGORIES = ("fresh_food", "food", "dairy")


def raise_emergency(case: Case, reason: str) -> CaseEvent:
    """Food safety found in the case's words: 1-hour 24/7 clock, owners alerted at once."""
    case.emergency, case.priority = True, PRIORITY["food_safety"]
    if case.problem_type == "quality":
        case.problem_type = "food_safety"
        _rejudge(case)
    event = record(case, "emergency_raised", actor_type="system", note=reason, data={"reason": reason})
    alert_emergency(case, event)
    return event


def _rejudge(case: Case) -> None:
    """The remedies the case is eligible for, judged again for its problem type as on the day it was filed."""
    if case.purchase_date is None:
        return
    tenant = db.session.get(Tenant, case.tenant_id)
    judgement = policies.judge(
        tenant,
        case.category,
        case.purchase_date,
        case.delivery_date,
        case.problem_type,
        as_of=shop_today(tenant, case.created_at),
        price=case.item_price,
    )
    if judgement is not None:
        case.eligibility = [r.to_dict() for r in judgement.remedies]


def alert_emergency(case: Case, event: CaseEvent) -> None:
    notifications.notify_managers(
        case, "emergency", f"emergency:{case.id}:{event.id}", f"{case.number}: {case.description[:200]}"
    )


def lower_emergency(case: Case, actor: User, reason: str) -> CaseEvent:
    if not case.emergency:
        raise CaseError("not_emergency")
    if not reason.strip():
        raise CaseError("reason")
    case.emergency = False
    if case.problem_type == "food_safety":
        case.problem_type = "quality"
    case.priority = PRIORITY.get(case.problem_type, 3)
    return record(case, "emergency_lowered", actor=actor, note=reason.strip(), data={"reason": reason.strip()})
