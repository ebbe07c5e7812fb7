"""Synthetic data for load tests: orders, cases of every type and state, events, clocks, notifications, surveys.

Here each case's customer, order and product are drawn and its own row and survey
written; its life (path, events, SLA clocks, notifications) is `saas.demo.generate_events`.
Rows are written in bulk through SQLAlchemy Core (`saas.demo.bulk`: COPY on PostgreSQL,
executemany elsewhere) with ids allocated up front, so a million cases take minutes, not
hours. The same seed, tenant-independent inputs and anchor time give the same cases.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from saas.demo import bulk
from saas.demo.generate_events import Batch, Standing, Story, play, timed_path
from saas.demo.generate_mix import CATEGORIES, CHANNELS, DESCRIPTIONS, EXPECTED, GIVEN, PRODUCTS, SURNAMES, TYPE_MIX
from saas.extensions import db
from saas.identifiers import ALPHABET, RANDOM_CHARS, _check_char, _format
from saas.models.case import PRIORITY, Case, CaseEvent, CaseLine
from saas.models.notification import Notification
from saas.models.order import Order, OrderLine
from saas.models.sla import SlaClock
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import kpi_facts, policies
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tenants.terms import Terms

CHUNK = 5000
TABLES = (Order, OrderLine, Case, CaseLine, CaseEvent, SlaClock, Notification, Survey)


@dataclass
class Result:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def _case_number(rng: random.Random, day: date) -> str:
    date_part = day.strftime("%y%m%d")
    bits = rng.getrandbits(5 * RANDOM_CHARS)
    random_part = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_CHARS))
    return _format(date_part, random_part, _check_char(date_part, random_part))


@dataclass(frozen=True)
class _Run:
    """What every case of one run shares."""

    tenant: Tenant
    now: datetime
    version_id: int | None
    agents: list[int]
    seed: int


@dataclass(frozen=True)
class _Drawn:
    """A case's customer, product and order as drawn, before its story."""

    problem: str
    age: timedelta
    created: datetime
    locale: str
    category: str
    price: Decimal
    name: str
    mobile: str
    email: str
    channel: str
    purchase: date
    delivery: date
    order_number: str


def generate(
    tenant: Tenant,
    n: int,
    seed: int = 0,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
) -> Result:
    """Add `n` synthetic cases (with orders, events, clocks, notifications, surveys) to `tenant`; commits."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    with tenant_context(tenant.id):
        version = policies.current_version(tenant)
        agents = list(db.session.scalars(select(User.id).where(User.tenant_id == tenant.id).order_by(User.id)))
    version_id = version.id if version is not None else None
    with tenant_context(tenant.id):
        terms, cal = policies.terms_of(version) if version is not None else Terms(), policies.calendar_for(tenant)
    db.session.commit()
    defaults = {m.__table__.name: bulk.Defaults(m.__table__) for m in TABLES}
    next_id = bulk.first_free_ids(TABLES)
    rng = random.Random(seed)
    run = _Run(tenant, now, version_id, agents, seed)
    result = Result(rows={m.__table__.name: 0 for m in TABLES})
    messages: dict[tuple[str, str], str] = {}
    done = 0
    while done < n:
        size = min(chunk, n - done)
        batch = Batch(rng, {m.__table__.name: [] for m in TABLES}, next_id, messages)
        for i in range(size):
            _one_case(run, batch, done + i)
        for row in batch.rows["cases"]:  # the KPI facts the lifecycle keeps (services/kpi_facts.py)
            row.update(
                kpi_facts.values(row["created_at"], row["first_response_at"], row["resolved_at"], terms, cal),
                resolved_by_id=row["assignee_id"] if row["resolved_at"] else None,
            )
        bulk.write(batch.rows, defaults)
        for name, rows in batch.rows.items():
            result.rows[name] += len(rows)
        done += size
        if progress is not None:
            progress(size)
    bulk.reset_sequences(TABLES)
    result.cases = done
    return result


def _one_case(run: _Run, batch: Batch, index: int) -> None:
    rng = batch.rng
    drawn = _draw(rng, run.now)
    order_id, case_id = batch.take_id("orders"), batch.take_id("cases")
    _add_order(batch, run.tenant, drawn, order_id, case_id)
    number = _case_number(rng, drawn.created.date())
    events = timed_path(rng, drawn.problem, drawn.age, drawn.created, run.now)
    assignee = rng.choice(run.agents) if run.agents and rng.random() < 0.9 else None
    amount = drawn.price.quantize(Decimal("0.01"))
    story = Story(
        run.tenant.id,
        run.tenant.slug,
        case_id,
        number,
        drawn.problem,
        drawn.locale,
        drawn.name,
        drawn.mobile,
        drawn.email,
        amount,
        assignee,
    )
    standing = play(batch, story, events)
    batch.rows["cases"].append(_case_row(rng, run, drawn, story, order_id, standing))
    if standing.status == "closed" and rng.random() < 0.7:
        _add_survey(run, batch, case_id, standing.closed, index)


def _draw(rng: random.Random, now: datetime) -> _Drawn:
    r = rng.random
    problem = rng.choices([t for t, _ in TYPE_MIX], weights=[w for _, w in TYPE_MIX])[0]
    # Cases are spread over the last year, with more of them recently.
    age = timedelta(days=365 * (r() ** 1.6), seconds=rng.randrange(86400))
    created = now - age
    locale = "en" if r() < 0.15 else "zh_Hans"
    category = rng.choice(CATEGORIES[problem])
    price = Decimal(rng.randrange(1990, 399900)) / 100
    name = rng.choice(SURNAMES) + rng.choice(GIVEN)
    # Prefixes every carrier has assigned (saas.phones refuses e.g. 140), then 8 random digits.
    mobile = f"{rng.choice(('133', '138', '150', '158', '166', '177', '186', '199'))}{rng.randrange(10**8):08d}"
    email = f"c{rng.getrandbits(40):010x}@example.com" if r() < 0.5 else ""
    channel = rng.choice(CHANNELS)
    purchase = (created - timedelta(days=rng.randrange(1, 60))).date()
    delivery = purchase + timedelta(days=rng.randrange(1, 5))
    order_number = f"{channel.upper()[:2]}{rng.randrange(10**15, 10**16)}"
    return _Drawn(
        problem, age, created, locale, category, price, name, mobile, email, channel, purchase, delivery, order_number
    )


def _add_order(batch: Batch, tenant: Tenant, drawn: _Drawn, order_id: int, case_id: int) -> None:
    """The order (one to three lines, the first the case's) and the case's line."""
    rng, r = batch.rng, batch.rng.random
    batch.rows["orders"].append(
        dict(
            id=order_id,
            tenant_id=tenant.id,
            order_number=drawn.order_number,
            channel=drawn.channel,
            purchase_date=drawn.purchase,
            delivery_date=drawn.delivery,
            customer_name=drawn.name,
            mobile=drawn.mobile,
            email=drawn.email,
            created_at=drawn.created - timedelta(days=1),
            updated_at=drawn.created - timedelta(days=1),
        )
    )
    line_ids = []
    for k in range(1 + (r() < 0.3) + (r() < 0.1)):
        lid = batch.take_id("order_lines")
        cat = drawn.category if k == 0 else rng.choice(CATEGORIES[drawn.problem])
        batch.rows["order_lines"].append(
            dict(
                id=lid,
                tenant_id=tenant.id,
                order_id=order_id,
                sku=f"SKU-{rng.randrange(10**6):06d}",
                name=rng.choice(PRODUCTS[cat]),
                category=cat,
                quantity=1 + (r() < 0.2),
                unit_price=drawn.price if k == 0 else Decimal(rng.randrange(990, 99900)) / 100,
            )
        )
        line_ids.append(lid)
    batch.rows["case_lines"].append(
        dict(
            id=batch.take_id("case_lines"),
            tenant_id=tenant.id,
            case_id=case_id,
            order_line_id=line_ids[0],
            quantity=1,
        )
    )


def _case_row(rng: random.Random, run: _Run, drawn: _Drawn, story: Story, order_id: int, standing: Standing) -> dict:
    emergency = drawn.problem == "food_safety"
    status = standing.status
    return dict(
        id=story.case_id,
        tenant_id=run.tenant.id,
        number=story.number,
        order_id=order_id,
        order_verified=True,
        order_number=drawn.order_number,
        purchase_channel=drawn.channel,
        purchase_date=drawn.purchase,
        delivery_date=drawn.delivery,
        category=drawn.category,
        item_price=drawn.price,
        customer_name=drawn.name,
        mobile=drawn.mobile,
        email=drawn.email,
        locale=drawn.locale,
        sms_consent=True,
        email_consent=True,
        intake_channel=rng.choice(("web", "web", "web", "agent", "api")),
        problem_type=drawn.problem,
        emergency=emergency,
        priority=PRIORITY["food_safety"] if emergency else PRIORITY[drawn.problem],
        description=DESCRIPTIONS[drawn.problem],
        expected_resolution=EXPECTED[drawn.problem],
        status=status,
        resume_status=None,
        escalated=standing.escalated,
        assignee_id=story.assignee,
        policy_version_id=run.version_id,
        eligibility=[],
        responsibility="merchant" if status in ("verified", "proposed", "resolved", "closed") else None,
        responsibility_basis="",
        resolution_kind=None,
        resolution_amount=story.amount if standing.resolved else None,
        resolution_detail="",
        repair_cycle_days=None,
        invoice_handling=None,
        return_carrier="",
        return_tracking_number="",
        outbound_tracking_number="",
        rejection_reason="",
        due_at=standing.due_at,
        first_response_at=standing.first_response,
        resolved_at=standing.resolved,
        closed_at=standing.closed,
        created_at=drawn.created,
        updated_at=standing.last,
    )


def _add_survey(run: _Run, batch: Batch, case_id: int, closed: datetime, index: int) -> None:
    """Most closed cases were surveyed a day later; the token follows the seed, tenant and case index."""
    rng = batch.rng
    digest = hashlib.sha256(f"{run.seed}:{run.tenant.id}:{index}".encode()).hexdigest()
    state = rng.choice(("answered", "answered", "expired", "invited", "opted_out"))
    due = closed + timedelta(days=1)
    batch.rows["surveys"].append(
        dict(
            id=batch.take_id("surveys"),
            tenant_id=run.tenant.id,
            case_id=case_id,
            token=digest[:43],
            status=state,
            due_at=due,
            invited_at=due,
            expires_at=due + timedelta(days=14),
            score=rng.choice((1, 2, 3, 4, 4, 5, 5, 5)) if state == "answered" else None,
            comment="",
            answered_at=due + timedelta(hours=rng.randrange(1, 72)) if state == "answered" else None,
            created_at=closed,
            updated_at=closed,
        )
    )
