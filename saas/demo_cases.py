"""Demo orders and after-sales cases: a few weeks of a shop's history, replayed through the real services.

For each demo shop, `seed_tenant` imports orders (through the CSV importer, as a
merchant would) and files about a dozen cases, then drives each one through the
same service calls the console and the tracking pages make: accept, ask for
information, ask for the goods back, register the return parcel, inspect,
determine responsibility, propose, execute, reject, escalate, close. Events,
customer messages and the eligibility snapshots are therefore the real thing.
The shops' data (customers, products, orders, the cases and their steps) is in
`saas/demo_data/<slug>.json`, read by `saas.demo_script`. Evidence photos are drawn
with Pillow (`saas.demo_photos`) and go through `saas.evidence.check_upload`,
`clean_image` (the worker's step) and `case_evidence.attach` like an upload.

The history is spread over the last weeks: each step runs under
`saas.models.base.travel_to` at its own moment, so a case filed "nine days ago" is
numbered, judged, timed (SLA clocks included) and stamped as of that day. What the
worker would have done meanwhile is settled too: notifications that fell due are
marked sent at their time (never handed to a provider: the contacts are made up),
follow-up surveys that fell due are invited then, and a few are answered. Only the
last minutes' messages stay in the outbox for the worker.

Nothing here runs twice: a shop that already holds any of its demo orders gets no
new orders or cases. Content comes from a fixed random seed per shop; only case
numbers (random by design) and the dates, which follow today, differ between
databases.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas import demo_photos, demo_script, evidence
from saas.demo_script import DemoCase, DemoOrder, Shop, Step, When, d
from saas.extensions import db
from saas.models.base import travel_to, utcnow
from saas.models.case import Case
from saas.models.notification import Notification
from saas.models.order import Order
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import case_consumer_steps, case_evidence, case_intake, cases, order_import, orders, surveys
from tenants.models import Tenant


@dataclass
class Showcase:
    """One demo case a consumer can open on the tracking page."""

    slug: str
    number: str
    factor: str  # the last 4 digits of the mobile

    @property
    def track_url(self) -> str:
        return f"/{self.slug}/track"


# ---------------------------------------------------------------- numbers people would recognise

_MOBILE_PREFIXES = ("138", "139", "136", "137", "135", "150", "151", "158", "159", "186", "187", "188", "177", "199")
_TRACKING = {
    "顺丰速运": lambda r: "SF1" + _digits(r, 12),
    "顺丰冷运": lambda r: "SF1" + _digits(r, 12),
    "中通快递": lambda r: "7" + _digits(r, 13),
    "圆通速递": lambda r: "YT" + _digits(r, 13),
    "韵达快递": lambda r: "43" + _digits(r, 11),
    "极兔速递": lambda r: "JT" + _digits(r, 13),
    "京东快递": lambda r: "JDV" + _digits(r, 12),
}
_ORDER_NUMBERS = {  # what each channel's order numbers look like (no dates in them: see `_planned`)
    "tmall": lambda r, p: "3" + _digits(r, 18),
    "taobao": lambda r, p: "2" + _digits(r, 18),
    "jd": lambda r, p: "2" + _digits(r, 11),
    "douyin": lambda r, p: "69" + _digits(r, 17),
    "brand_site": lambda r, p: p + _digits(r, 10),
}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


@dataclass
class _Person:
    name: str
    mobile: str
    email: str


@dataclass
class _Plan:
    people: list[_Person]
    numbers: dict[str, str]  # order key → order number


def _planned(shop: Shop) -> _Plan:
    """Contacts and order numbers, the same on every run and every day (the idempotency check relies on it)."""
    rng = random.Random(shop.seed)
    people = []
    for name, pinyin, has_email in shop.customers:
        mobile = rng.choice(_MOBILE_PREFIXES) + _digits(rng, 8)
        email = f"{pinyin}{rng.randint(10, 99)}@example.com"
        people.append(_Person(name, mobile, email if has_email else ""))
    numbers = {o.key: _ORDER_NUMBERS[o.channel](rng, shop.order_prefix) for o in shop.orders}
    return _Plan(people, numbers)


# ---------------------------------------------------------------- evidence photos


# Messages and surveys due within this last stretch are left to the worker, as in a live shop.
LIVE = timedelta(minutes=15)


@contextmanager
def _at(moment: datetime) -> Iterator[None]:
    """Run one step of the story as if it were `moment`: services, clocks and new rows all read that time."""
    with travel_to(moment):
        yield
        db.session.flush()


@dataclass
class _Shop:
    tenant: Tenant
    shop: Shop
    plan: _Plan
    staff: dict[str, User]
    tz: ZoneInfo
    rng: random.Random
    now: datetime
    orders: dict[str, Order] = field(default_factory=dict)
    imported_at: dict[str, datetime] = field(default_factory=dict)
    specs: dict[int, DemoCase] = field(default_factory=dict)  # case id → its script

    def moment(self, when: When) -> datetime:
        moment = when.resolve(self.now, self.tz)
        if when.hm:
            moment += timedelta(seconds=self.rng.randrange(60))
        return moment

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)


def seed_tenant(tenant: Tenant, owner: User, agent: User) -> Showcase | None:
    """Import the shop's demo orders and file its demo cases, once; return the case to show on the CLI.

    Call inside tenant_context(tenant.id). A shop that already has any of its demo
    orders is left as it is (and its showcase case, if still there, is returned).
    """
    shop = demo_script.load(tenant.slug)
    if shop is None:
        return None
    plan = _planned(shop)
    numbers = list(plan.numbers.values())
    seeded = db.session.scalar(
        select(Order.id).where(Order.tenant_id == tenant.id, Order.order_number.in_(numbers)).limit(1)
    )
    if seeded is None:
        ctx = _Shop(
            tenant,
            shop,
            plan,
            {"agent": agent, "owner": owner},
            ZoneInfo(tenant.timezone),
            random.Random(shop.seed + "/story"),
            utcnow(),
        )
        _import_orders(ctx)
        for spec in sorted(shop.cases, key=lambda c: c.filed.resolve(ctx.now, ctx.tz)):
            _play(ctx, spec)
        _surveys(ctx)
        _settle_outbox(ctx, ctx.now - LIVE)
    return _showcase(tenant, shop, plan)


def _showcase(tenant: Tenant, shop: Shop, plan: _Plan) -> Showcase | None:
    spec = next((c for c in shop.cases if c.showcase), None)
    if spec is None or spec.order is None:
        return None
    case = db.session.scalar(
        select(Case)
        .where(Case.tenant_id == tenant.id, Case.order_number == plan.numbers[spec.order])
        .order_by(Case.id)
        .limit(1)
    )
    if case is None or not case.mobile:
        return None
    return Showcase(tenant.slug, case.number, case.mobile[-4:])


# ---------------------------------------------------------------- orders, as a merchant imports them

_CSV_HEADER = (
    "订单号",
    "渠道",
    "下单日期",
    "签收日期",
    "客户姓名",
    "手机",
    "邮箱",
    "SKU",
    "商品名称",
    "类目",
    "数量",
    "单价",
)
_CHANNEL_NAMES = {key: zh for key, (zh, _en) in orders.CHANNEL_LABELS.items()}


def _import_orders(ctx: _Shop) -> None:
    """One export file per morning: the orders delivered (or placed, if not delivered yet) that day."""
    today = ctx.now.astimezone(ctx.tz).date()
    batches: dict[int, list[DemoOrder]] = {}
    for order in ctx.shop.orders:
        if not 3 <= order.purchased <= 40 or (order.delivered is not None and order.delivered > order.purchased):
            raise ValueError(f"demo order {order.key}: implausible dates")
        batches.setdefault(order.delivered if order.delivered is not None else order.purchased, []).append(order)
    for days in sorted(batches, reverse=True):
        moment = ctx.moment(d(days, "07:30"))
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(_CSV_HEADER)
        for order in batches[days]:
            person = ctx.plan.people[order.customer]
            for sku, quantity in order.lines:
                product = ctx.shop.products[sku]
                writer.writerow(
                    (
                        ctx.plan.numbers[order.key],
                        _CHANNEL_NAMES[order.channel],
                        (today - timedelta(days=order.purchased)).isoformat(),
                        (today - timedelta(days=order.delivered)).isoformat() if order.delivered is not None else "",
                        person.name,
                        person.mobile,
                        person.email,
                        sku,
                        product.name,
                        product.category,
                        quantity,
                        product.price,
                    )
                )
        filename = f"订单导出_{ctx.local(moment):%Y%m%d}.csv"
        with _at(moment):
            result = order_import.import_orders_csv(
                ctx.tenant, ctx.staff["owner"], buf.getvalue().encode("utf-8-sig"), filename
            )
        if not result.ok:
            raise RuntimeError(f"demo order import failed: {[e.message('en') for e in result.errors]}")
        for order in batches[days]:
            ctx.imported_at[order.key] = moment
    rows = db.session.scalars(
        select(Order).where(Order.tenant_id == ctx.tenant.id, Order.order_number.in_(list(ctx.plan.numbers.values())))
    )
    by_number = {o.order_number: o for o in rows}
    ctx.orders = {key: by_number[number] for key, number in ctx.plan.numbers.items()}


# ---------------------------------------------------------------- cases, step by step


def _intake(ctx: _Shop, spec: DemoCase) -> case_intake.Intake:
    today = ctx.now.astimezone(ctx.tz).date()
    if spec.order is not None:
        order = ctx.orders[spec.order]
        person = _Person(order.customer_name, order.mobile, order.email)
        number, channel = order.order_number, order.channel
        line_ids = [line.id for line in order.lines if line.sku in spec.skus]
        extra: dict[str, Any] = {}
    else:
        assert spec.typed is not None and spec.customer is not None
        typed = spec.typed
        person = ctx.plan.people[spec.customer]
        if typed.number.startswith("="):
            number = ctx.plan.numbers[typed.number[1:]]
        elif typed.number.startswith("~"):
            number = ctx.plan.numbers[typed.number[1:]][:-1]
        else:
            number = _ORDER_NUMBERS[typed.number](ctx.rng, ctx.shop.order_prefix)
        channel, line_ids = typed.channel, []
        extra = dict(
            purchase_date=today - timedelta(days=typed.purchased),
            category=typed.category,
            delivery_date=today - timedelta(days=typed.delivered) if typed.delivered is not None else None,
            item_price=Decimal(typed.price) if typed.price else None,
        )
    mobile = person.mobile if spec.contact in ("both", "mobile") else ""
    email = person.email if spec.contact in ("both", "email") else ""
    return case_intake.Intake(
        order_number=number,
        customer_name=person.name,
        mobile=mobile,
        email=email,
        purchase_channel=channel,
        problem_type=spec.problem,
        description=spec.text,
        expected_resolution=spec.expected,
        line_ids=line_ids,
        locale=spec.locale,
        intake_channel=spec.intake_channel,
        **extra,
    )


def _play(ctx: _Shop, spec: DemoCase) -> Case:
    filed = ctx.moment(spec.filed)
    if spec.order is not None and ctx.imported_at[spec.order] >= filed:
        raise ValueError(f"demo case on {spec.order} is filed before its order is imported")
    by_agent = spec.intake_channel == "agent"
    with _at(filed):
        case = case_intake.file_case(ctx.tenant, _intake(ctx, spec), actor=ctx.staff["agent"] if by_agent else None)
        if spec.order is not None and not case.order_verified:
            raise RuntimeError(f"demo case on {spec.order} did not find its order")
        _attach(ctx, case, spec.photos, "staff" if by_agent else "consumer", None, filed)
    last = filed
    for step in spec.steps:
        moment = ctx.moment(step.at)
        if moment <= last:
            raise ValueError(f"demo case {spec.text[:12]}…: step {step.action} is not after the one before")
        last = moment
        with _at(moment):
            event, who = _step(ctx, case, step)
            _attach(ctx, case, step.photos, who, event, moment)
    ctx.specs[case.id] = spec
    return case


def _step(ctx: _Shop, case: Case, step: Step):
    actor, a, args, kw = ctx.staff[step.by], step.action, step.args, step.kw
    if a == "consumer":
        return case_consumer_steps.consumer_message(case, args[0]), "consumer"
    if a == "shipped":
        return case_consumer_steps.consumer_return_shipped(case, args[0], _TRACKING[args[0]](ctx.rng)), "consumer"
    if a == "accept":
        event = cases.accept(case, actor)
    elif a == "info":
        event = cases.request_info(case, actor, args[0])
    elif a == "return":
        event = cases.request_return(case, actor)
    elif a == "received":
        event = cases.mark_return_received(case, actor, *args)
    elif a == "inspected":
        event = cases.mark_inspected(case, actor, *args)
    elif a == "verify":
        responsibility, basis, remedy = args
        event = cases.verify(case, actor, responsibility, basis, _clause(case, remedy), reason_code=kw.get("reason"))
    elif a == "propose":
        event = cases.propose(case, actor, args[0], **kw)
    elif a == "execute":
        carrier = kw.get("carrier")
        tracking = f"{carrier} {_TRACKING[carrier](ctx.rng)}" if carrier else ""
        report = "检测合格，附维修检测报告。" if case.resolution_kind == "repair" else ""
        event = cases.execute(case, actor, tracking=tracking, report=report)
    elif a == "reject":
        event = cases.reject(case, actor, args[0])
    elif a == "escalate":
        event = cases.escalate(case, actor, args[0])
    elif a == "close":
        event = cases.close(case, actor)
    elif a == "note":
        event = cases.add_note(case, actor, args[0])
    elif a == "message":
        event = cases.message_customer(case, actor, args[0])
    else:
        raise ValueError(f"unknown demo step {a!r}")
    return event, "staff"


def _clause(case: Case, remedy: str) -> str:
    """The policy clause a determination rests on, as quoted in the case's eligibility snapshot."""
    for r in case.eligibility or []:
        if r.get("kind") == remedy:
            return r["clause"]["text_zh"]
    return ""


def _attach(ctx: _Shop, case: Case, photos: tuple[str, ...], uploaded_by: str, event, moment: datetime) -> None:
    if not photos:
        return
    taken = ctx.local(moment)
    checked = []
    for i, spec in enumerate(photos):
        if spec == "screenshot":
            data, name = demo_photos.screenshot(ctx.rng), f"Screenshot_{taken:%Y%m%d-%H%M%S}.png"
        else:
            data, ext = demo_photos.photo(spec, ctx.rng)
            shot = taken - timedelta(minutes=3 * (len(photos) - i), seconds=ctx.rng.randrange(60))
            name = f"IMG_{shot:%Y%m%d_%H%M%S}.{ext}"
        # Cleaned here, as the evidence worker would: seeded photos are ready at once.
        checked.append(evidence.clean_image(evidence.check_upload(io.BytesIO(data), name)))
    case_evidence.attach(case, checked, uploaded_by=uploaded_by, event=event)


# ---------------------------------------------------------------- what happened around the cases


def _settle_outbox(ctx: _Shop, moment: datetime) -> None:
    """The outbox as the worker would have left it: what was due by `moment` went out when it was due.

    Only the rows are settled; nothing is handed to a provider (the demo's contacts are fictitious),
    and the jobs queued for these rows find them sent and do nothing.
    """
    due = db.session.scalars(
        select(Notification)
        .where(
            Notification.tenant_id == ctx.tenant.id,
            Notification.status == "pending",
            Notification.next_attempt_at <= moment,
        )
        .order_by(Notification.id)
    ).all()
    for n in due:
        n.status, n.attempts, n.sent_at, n.updated_at = "sent", 1, n.next_attempt_at, n.next_attempt_at
    db.session.flush()


def _surveys(ctx: _Shop) -> None:
    """Follow-up surveys that fell due were sent then; a few customers answered."""
    due = db.session.scalars(
        select(Survey)
        .where(Survey.tenant_id == ctx.tenant.id, Survey.status == "scheduled", Survey.due_at <= ctx.now - LIVE)
        .order_by(Survey.id)
    ).all()
    for survey in due:
        invited = survey.due_at
        with _at(invited):
            surveys.invite(survey, invited)
        spec = ctx.specs.get(survey.case_id)
        answered = invited + timedelta(hours=2, minutes=ctx.rng.randrange(60))
        if spec is not None and spec.survey is not None and survey.status == "invited" and answered < ctx.now - LIVE:
            with _at(answered):
                surveys.answer(survey, spec.survey[0], spec.survey[1], answered)
