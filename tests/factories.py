"""Factories and HTTP helpers shared by the tests."""

from __future__ import annotations

import re
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.order import Order, OrderLine
from saas.models.survey import Survey
from saas.models.user import User
from tenants.models import Tenant
from tenants.scoping import tenant_context

PASSWORD = "correct horse battery"

__all__ = [
    "make_tenant",
    "make_user",
    "make_shop_with_policy",
    "make_order",
    "make_case",
    "resolve_case",
    "answer_survey",
    "csrf_token",
    "login",
    "post_form",
    "two_tenants",
    "PASSWORD",
]


def make_tenant(slug: str = "shop-a", **fields) -> Tenant:
    tenant = Tenant(
        slug=slug, name_zh=fields.pop("name_zh", f"{slug} 店"), name_en=fields.pop("name_en", f"{slug} shop"), **fields
    )
    db.session.add(tenant)
    db.session.flush()
    return tenant


def make_user(
    tenant: Tenant | None, role: str = "agent", email: str | None = None, password: str = PASSWORD, **fields
) -> User:
    email = email or f"{role}-{tenant.slug if tenant else 'platform'}-{db.session.query(User).count()}@example.com"
    user = User(
        tenant_id=tenant.id if tenant else None, email=email, name=fields.pop("name", role), role=role, **fields
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_shop_with_policy(
    slug: str = "shop-a",
    *,
    effective: date = date(2026, 1, 1),
    preset: str | None = None,
    terms: dict | None = None,
    users: tuple = (),
    **tenant_fields,
) -> Tenant:
    """A tenant whose policy is published from `effective` on, built through the policies service (flushed).

    `preset`: start the draft from this preset; `terms`: saved into the draft before publishing (on top of the
    defaults or the preset); `users`: (role, email) or (role, email, {fields}) tuples made before the policy.
    """
    from saas.services import policies

    tenant = make_tenant(slug, **tenant_fields)
    with tenant_context(tenant.id):
        for role, email, *more in users:
            make_user(tenant, role, email, **(more[0] if more else {}))
        if preset is not None:
            policies.start_from_preset(tenant, None, preset)
        else:
            policies.ensure_draft(tenant, None)
        if terms:
            draft = policies.ensure_draft(tenant, None)
            policies.save_draft(tenant, None, {**draft.terms, **terms})
        policies.publish(tenant, None, effective, allow_past=True)
    return tenant


def make_order(tenant: Tenant | int, number: str = "O-1", *, lines: list[dict] | None = None, **fields) -> Order:
    """An order of the tenant (flushed). `lines`: dicts of OrderLine fields; one ¥59.90 line by default."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    values = dict(
        channel="jd",
        purchase_date=date(2026, 11, 10),
        delivery_date=date(2026, 11, 12),
        customer_name="陈静",
        mobile="13722223333",
        email="chen@example.com",
    )
    values.update(fields)
    if lines is None:
        lines = [dict(sku="S1", name="耳机", category="electronics", quantity=1, unit_price=Decimal("59.90"))]
    with tenant_context(tenant_id):
        order = Order(order_number=number, **values)
        order.lines = [OrderLine(**line) for line in lines]
        db.session.add(order)
        db.session.flush()
    return order


CASE_DEFAULTS = dict(
    order_number="O-1",
    customer_name="陈静",
    mobile="13722223333",
    email="chen@example.com",
    purchase_channel="jd",
    problem_type="quality",
    description="外壳破裂",
    expected_resolution="exchange",
    purchase_date=date(2026, 11, 10),
    delivery_date=date(2026, 11, 12),
    category="electronics",
)


def make_case(
    tenant: Tenant, when: datetime | None = None, *, commit: bool = False, actor: User | None = None, **intake
) -> Case:
    """A case filed through the real intake service (case_intake.file_case), at `when` if given.

    `intake`: Intake fields over CASE_DEFAULTS. Flushed, or committed inside the tenant's context with commit=True.
    """
    from saas.services import case_intake

    fields = {**CASE_DEFAULTS, **intake}
    with travel_to(when) if when is not None else nullcontext(), tenant_context(tenant.id):
        case = case_intake.file_case(tenant, case_intake.Intake(**fields), actor=actor)
        if commit:
            db.session.commit()
        return case


def resolve_case(case: Case, agent: User, when: datetime, detail: str = "已为您处理") -> None:
    """The agent resolves the case at `when`: an explanation proposed and carried out, through the cases service."""
    from saas.services import cases

    with travel_to(when):
        cases.propose(case, agent, "explanation", detail=detail)
        cases.execute(case, agent)


def answer_survey(case: Case, when: datetime, score: int, comment: str = "") -> None:
    """The customer answers the case's newest survey at `when` (sent first, as the survey sweep would)."""
    from saas.services import surveys

    survey = db.session.scalars(select(Survey).where(Survey.case_id == case.id).order_by(Survey.id.desc())).first()
    survey.status = "invited"
    surveys.answer(survey, score, comment, now=when)


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    m = _CSRF.search(html)
    assert m, f"no CSRF token on {url}"
    return m.group(1) or m.group(2)


def post_form(client, url: str, data: dict, form_url: str | None = None, **kwargs):
    """POST like a browser: fetch the form page first and send its CSRF token."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def login(client, email: str, password: str = PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


@pytest.fixture
def two_tenants(app):
    """Tenants A and B, each with an owner and an agent, committed."""
    with app.app_context():
        a, b = make_tenant("shop-a"), make_tenant("shop-b")
        people = {
            "a": a.id,
            "b": b.id,
            "a_owner": make_user(a, "owner", "owner@a.example.com").id,
            "a_agent": make_user(a, "agent", "agent@a.example.com").id,
            "b_owner": make_user(b, "owner", "owner@b.example.com").id,
            "b_agent": make_user(b, "agent", "agent@b.example.com").id,
        }
        db.session.commit()
    return people


@contextmanager
def statements(app):
    """The SQL statements the app's engine runs while the block is active (a list, filled as they run)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
