"""Demo orders and after-sales cases: a few weeks of a shop's history, replayed through the real services.

For each demo shop, `seed_tenant` imports orders (through the CSV importer, as a
merchant would) and files about a dozen cases, then drives each one through the
same service calls the console and the tracking pages make: accept, ask for
information, ask for the goods back, register the return parcel, inspect,
determine responsibility, propose, execute, reject, escalate, close. Events,
customer messages and the eligibility snapshots are therefore the real thing.
The shops' data (customers, products, orders, the cases and their steps) is in
`saas/demo/data/<slug>.json`, read by `saas.demo.script`; the story's shared state
(planned contacts and order numbers, its clock) is `saas.demo.story`, and one case is
played by `saas.demo.case_steps`. Evidence photos are drawn with Pillow
(`saas.demo.photos`) and go through `saas.evidence.check_upload`, `clean_image` (the
worker's step) and `case_evidence.attach` like an upload.

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from saas.demo import case_steps, script
from saas.demo.script import DemoOrder, Shop, d
from saas.demo.story import Plan, Story, at, planned
from saas.extensions import db
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.notification import Notification
from saas.models.order import Order
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import order_import, orders, surveys
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


# Messages and surveys due within this last stretch are left to the worker, as in a live shop.
LIVE = timedelta(minutes=15)


def seed_tenant(tenant: Tenant, owner: User, agent: User) -> Showcase | None:
    """Import the shop's demo orders and file its demo cases, once; return the case to show on the CLI.

    Call inside tenant_context(tenant.id). A shop that already has any of its demo
    orders is left as it is (and its showcase case, if still there, is returned).
    """
    shop = script.load(tenant.slug)
    if shop is None:
        return None
    plan = planned(shop)
    numbers = list(plan.numbers.values())
    seeded = db.session.scalar(
        select(Order.id).where(Order.tenant_id == tenant.id, Order.order_number.in_(numbers)).limit(1)
    )
    if seeded is None:
        ctx = Story(
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
            case_steps.play(ctx, spec)
        _surveys(ctx)
        _settle_outbox(ctx, ctx.now - LIVE)
    return _showcase(tenant, shop, plan)


def _showcase(tenant: Tenant, shop: Shop, plan: Plan) -> Showcase | None:
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


def _import_orders(ctx: Story) -> None:
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
        with at(moment):
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


# ---------------------------------------------------------------- what happened around the cases


def _settle_outbox(ctx: Story, moment: datetime) -> None:
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


def _surveys(ctx: Story) -> None:
    """Follow-up surveys that fell due were sent then; a few customers answered."""
    due = db.session.scalars(
        select(Survey)
        .where(Survey.tenant_id == ctx.tenant.id, Survey.status == "scheduled", Survey.due_at <= ctx.now - LIVE)
        .order_by(Survey.id)
    ).all()
    for survey in due:
        invited = survey.due_at
        with at(invited):
            surveys.invite(survey, invited)
        spec = ctx.specs.get(survey.case_id)
        answered = invited + timedelta(hours=2, minutes=ctx.rng.randrange(60))
        if spec is not None and spec.survey is not None and survey.status == "invited" and answered < ctx.now - LIVE:
            with at(answered):
                surveys.answer(survey, spec.survey[0], spec.survey[1], answered)
