"""One demo case, replayed through the real services: filed, then each scripted step as the console or consumer.

`play` files the case (web, phone or API, as its script says) with its photos, then runs
every step at its own moment of the story: a staff action through `saas.services.cases`,
a consumer's message or return parcel through `case_consumer_steps`, with the step's photos
attached like an upload. Events, messages and eligibility snapshots are the real thing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from saas import evidence
from saas.demo.photos import photo, screenshot
from saas.demo.script import DemoCase, Step
from saas.demo.story import ORDER_NUMBERS, Person, Story, at, digits
from saas.models.case import Case, CaseEvent
from saas.models.user import User
from saas.services import case_consumer_steps, case_evidence, case_intake, cases

_TRACKING = {
    "顺丰速运": lambda r: "SF1" + digits(r, 12),
    "顺丰冷运": lambda r: "SF1" + digits(r, 12),
    "中通快递": lambda r: "7" + digits(r, 13),
    "圆通速递": lambda r: "YT" + digits(r, 13),
    "韵达快递": lambda r: "43" + digits(r, 11),
    "极兔速递": lambda r: "JT" + digits(r, 13),
    "京东快递": lambda r: "JDV" + digits(r, 12),
}


def play(ctx: Story, spec: DemoCase) -> Case:
    filed = ctx.moment(spec.filed)
    if spec.order is not None and ctx.imported_at[spec.order] >= filed:
        raise ValueError(f"demo case on {spec.order} is filed before its order is imported")
    by_agent = spec.intake_channel == "agent"
    with at(filed):
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
        with at(moment):
            event, who = _step(ctx, case, step)
            _attach(ctx, case, step.photos, who, event, moment)
    ctx.specs[case.id] = spec
    return case


def _intake(ctx: Story, spec: DemoCase) -> case_intake.Intake:
    today = ctx.now.astimezone(ctx.tz).date()
    if spec.order is not None:
        order = ctx.orders[spec.order]
        person = Person(order.customer_name, order.mobile, order.email)
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
            number = ORDER_NUMBERS[typed.number](ctx.rng, ctx.shop.order_prefix)
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


def _step(ctx: Story, case: Case, step: Step):
    """Run one scripted step through the service its actor would use; returns (event, who acted)."""
    actor = ctx.staff[step.by]
    if step.action in _CONSUMER_STEPS:
        return _CONSUMER_STEPS[step.action](ctx, case, step.args), "consumer"
    staff_step = _STAFF_STEPS.get(step.action)
    if staff_step is None:
        raise ValueError(f"unknown demo step {step.action!r}")
    return staff_step(ctx, case, actor, step.args, step.kw), "staff"


def _shipped(ctx: Story, case: Case, args: tuple) -> CaseEvent:
    return case_consumer_steps.consumer_return_shipped(case, args[0], _TRACKING[args[0]](ctx.rng))


def _verify(ctx: Story, case: Case, actor: User, args: tuple, kw: dict) -> CaseEvent:
    responsibility, basis, remedy = args
    return cases.verify(case, actor, responsibility, basis, _clause(case, remedy), reason_code=kw.get("reason"))


def _execute(ctx: Story, case: Case, actor: User, args: tuple, kw: dict) -> CaseEvent:
    carrier = kw.get("carrier")
    tracking = f"{carrier} {_TRACKING[carrier](ctx.rng)}" if carrier else ""
    report = "检测合格，附维修检测报告。" if case.resolution_kind == "repair" else ""
    return cases.execute(case, actor, tracking=tracking, report=report)


# The steps a script may give (saas.demo.script.ACTIONS): the consumer's, given (story, case, arguments) …
_CONSUMER_STEPS: dict[str, Callable[..., CaseEvent]] = {
    "consumer": lambda ctx, case, args: case_consumer_steps.consumer_message(case, args[0]),
    "shipped": _shipped,
}
# … and the staff's, given (story, case, acting user, arguments, keyword arguments).
_STAFF_STEPS: dict[str, Callable[..., CaseEvent]] = {
    "accept": lambda ctx, case, actor, args, kw: cases.accept(case, actor),
    "info": lambda ctx, case, actor, args, kw: cases.request_info(case, actor, args[0]),
    "return": lambda ctx, case, actor, args, kw: cases.request_return(case, actor),
    "received": lambda ctx, case, actor, args, kw: cases.mark_return_received(case, actor, *args),
    "inspected": lambda ctx, case, actor, args, kw: cases.mark_inspected(case, actor, *args),
    "verify": _verify,
    "propose": lambda ctx, case, actor, args, kw: cases.propose(case, actor, args[0], **kw),
    "execute": _execute,
    "reject": lambda ctx, case, actor, args, kw: cases.reject(case, actor, args[0]),
    "escalate": lambda ctx, case, actor, args, kw: cases.escalate(case, actor, args[0]),
    "close": lambda ctx, case, actor, args, kw: cases.close(case, actor),
    "note": lambda ctx, case, actor, args, kw: cases.add_note(case, actor, args[0]),
    "message": lambda ctx, case, actor, args, kw: cases.message_customer(case, actor, args[0]),
}


def _clause(case: Case, remedy: str) -> str:
    """The policy clause a determination rests on, as quoted in the case's eligibility snapshot."""
    for r in case.eligibility or []:
        if r.get("kind") == remedy:
            return r["clause"]["text_zh"]
    return ""


def _attach(ctx: Story, case: Case, photos: tuple[str, ...], uploaded_by: str, event, moment: datetime) -> None:
    if not photos:
        return
    taken = ctx.local(moment)
    checked = []
    for i, spec in enumerate(photos):
        if spec == "screenshot":
            data, name = screenshot(ctx.rng), f"Screenshot_{taken:%Y%m%d-%H%M%S}.png"
        else:
            data, ext = photo(spec, ctx.rng)
            shot = taken - timedelta(minutes=3 * (len(photos) - i), seconds=ctx.rng.randrange(60))
            name = f"IMG_{shot:%Y%m%d_%H%M%S}.{ext}"
        # Cleaned here, as the evidence worker would: seeded photos are ready at once.
        checked.append(evidence.clean_image(evidence.check_upload(io.BytesIO(data), name)))
    case_evidence.attach(case, checked, uploaded_by=uploaded_by, event=event)
