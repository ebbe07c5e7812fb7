"""Filing a case: what the consumer (or an agent on the phone) gives, the order it is about, the judgement, the new case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from saas.email_addresses import email_matches, normalise_email
from saas.extensions import db
from saas.identifiers import new_case_number
from saas.models.case import PRIORITY, PROBLEM_TYPES, Case, CaseLine
from saas.models.order import Order
from saas.models.user import User
from saas.phones import mainland_mobile
from saas.services import assignment, policies
from saas.services.case_emergency import FOOD_CATEGORIES, alert_emergency
from saas.services.case_events import auto_reply_if_closed, record
from saas.services.cases import CaseError
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.policy import mentions_food_safety


@dataclass
class Intake:
    order_number: str
    customer_name: str
    mobile: str
    email: str
    purchase_channel: str
    problem_type: str
    description: str
    expected_resolution: str
    purchase_date: date | None = None
    delivery_date: date | None = None
    category: str = "general"
    item_price: Decimal | None = None
    line_ids: list[int] = field(default_factory=list)
    emergency: bool = False
    locale: str = "zh_Hans"
    intake_channel: str = "web"


def find_order(tenant: Tenant, order_number: str, mobile: str = "", email: str = "") -> Order | None:
    """The tenant's order with this number, only if the contact given matches it."""
    order = db.session.scalar(
        select(Order).where(Order.tenant_id == tenant.id, Order.order_number == order_number.strip())
    )
    if order is None:
        return None
    mobile_ok = bool(mobile) and bool(order.mobile) and mainland_mobile(mobile) == order.mobile
    email_ok = bool(email) and bool(order.email) and email_matches(email, order.email)
    return order if (mobile_ok or email_ok) else None


def judge_intake(tenant: Tenant, intake: Intake, order: Order | None, problem: str | None = None):
    """The eligibility judgement a consumer sees before submitting.

    A quality problem the consumer marks as food safety is judged as food safety (the statutory
    compensation is then among the remedies); `problem`: the type to judge as, when decided already.
    """
    purchase, delivery, category, price = _facts(intake, order)
    if purchase is None:
        return None
    if problem is None:
        problem = _case_problem(intake.problem_type, intake.emergency)
    problem = problem if problem in PROBLEM_TYPES else "consultation"
    return policies.judge(tenant, category, purchase, delivery, problem, price=price)


def _case_problem(problem_type: str, emergency: bool) -> str:
    """A quality problem that is an emergency is a food-safety case."""
    return "food_safety" if emergency and problem_type in ("quality", "food_safety") else problem_type


def _facts(intake: Intake, order: Order | None):
    if order is None:
        return intake.purchase_date, intake.delivery_date, intake.category, intake.item_price
    chosen = [line for line in order.lines if line.id in intake.line_ids] or list(order.lines)
    top = max(chosen, key=lambda line: line.unit_price) if chosen else None
    return (
        order.purchase_date,
        order.delivery_date,
        top.category if top else intake.category,
        top.unit_price if top else None,
    )


def _is_emergency(tenant: Tenant, intake: Intake, category: str, version) -> bool:
    if intake.problem_type == "food_safety" or intake.emergency:
        return True
    if category in FOOD_CATEGORIES and version is not None:
        return mentions_food_safety(policies.terms_of(version), intake.description)
    return False


def file_case(tenant: Tenant, intake: Intake, actor: User | None = None, prejudged: tuple | None = None) -> Case:
    """Create a case from the public form, an agent's phone entry or the API.

    `prejudged`: (order, judgement) as find_order and judge_intake already gave them for this intake.
    """
    mobile = mainland_mobile(intake.mobile) if (intake.mobile or "").strip() else ""
    email = normalise_email(intake.email) if (intake.email or "").strip() else ""
    if mobile is None or email is None:
        raise CaseError("mobile" if mobile is None else "email")
    if not mobile and not email:
        raise CaseError("contact")
    if prejudged is None:
        order = find_order(tenant, intake.order_number, mobile or "", email or "")
        prejudged = (order, judge_intake(tenant, intake, order))
    order, judgement = prejudged
    purchase, delivery, category, price = _facts(intake, order)
    emergency = _is_emergency(tenant, intake, category, judgement.version if judgement else None)
    problem = _case_problem(intake.problem_type, emergency)
    if judgement is not None and problem != _case_problem(intake.problem_type, intake.emergency):
        judgement = judge_intake(tenant, intake, order, problem)  # food safety found in the words: judged as such
    case = Case(
        tenant_id=tenant.id,
        number="",
        order=order,
        order_verified=order is not None,
        order_number=intake.order_number.strip(),
        purchase_channel=(order.channel if order else intake.purchase_channel),
        purchase_date=purchase,
        delivery_date=delivery,
        category=category,
        item_price=price,
        customer_name=intake.customer_name.strip(),
        mobile=mobile or "",
        email=email or "",
        locale=intake.locale,
        intake_channel=intake.intake_channel,
        problem_type=problem,
        emergency=emergency,
        priority=PRIORITY["food_safety"] if emergency else PRIORITY.get(problem, 3),
        description=intake.description.strip(),
        expected_resolution=intake.expected_resolution,
        status="submitted",
        policy_version_id=judgement.version.id if judgement else None,
        eligibility=[r.to_dict() for r in judgement.remedies] if judgement else [],
    )
    for name in ("events", "evidence", "clocks"):  # a new case has none: no lazy loads after the INSERT
        set_committed_value(case, name, [])
    policies.service_terms(case)  # read now, so that no query flushes the case before its clocks set its deadline
    if order is not None:
        for line in order.lines:
            if not intake.line_ids or line.id in intake.line_ids:
                case.lines.append(CaseLine(tenant_id=tenant.id, order_line_id=line.id, quantity=line.quantity))
    _insert_with_number(case)
    event = record(
        case,
        "submitted",
        actor=actor,
        actor_type="staff" if actor else "consumer",
        msg="submitted",
        params={"number": case.number},
        data={"intake_channel": intake.intake_channel, "emergency": emergency},
    )
    if emergency:
        alert_emergency(case, event)
    if actor is None:
        auto_reply_if_closed(case, event.created_at)
    assignment.auto_assign(case)  # the shop's round-robin, when it has one on
    return case


def _insert_with_number(case: Case, attempts: int = 5) -> None:
    """Random case numbers (50 bits); a taken one, astronomically rare, is drawn again."""
    today = shop_today(db.session.get(Tenant, case.tenant_id))
    for _ in range(attempts):
        number = new_case_number(today)
        taken = db.session.scalar(select(Case.id).where(Case.tenant_id == case.tenant_id, Case.number == number))
        if taken is None:
            case.number = number
            db.session.add(case)  # inserted with its first event and clocks, in one flush
            return
    raise RuntimeError("could not allocate a case number")
