"""A synthetic case's life, for the load-test generator: the path it takes, its events, SLA clocks and messages.

`saas.demo.generate` draws a case and its order; here the case's steps become rows: case
events with their customer messages, the SLA clocks the events start and stop, and the
notifications sent for them. `play` returns where the case stands, for its own row. Every
draw comes from the generator's one random stream in a fixed order: the same seed gives
the same cases.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from saas.demo.generate_mix import CHAT_STEPS, CHAT_TEXT, INFO_STEPS, PATHS, REJECTED_PATH
from saas.services import case_messages, sla

# Clock targets in minutes (wall time here; the real service counts working time).
TARGETS = {
    "first_response": 240,
    "emergency": 60,
    "consultation": 1440,
    "quality_proposal": 1440,
    "quality_execution": 4320,
    "complaint_feedback": 2880,
    "inspection": 1440,
    "return_processing": 10080,
    "general": 10080,
}
# Besides the first-response (or emergency) clock and the general one, what a new case's problem starts.
PROBLEM_CLOCK = {
    "consultation": "consultation",
    "quality": "quality_proposal",
    "food_safety": "quality_proposal",
    "complaint": "complaint_feedback",
}

RESOLUTION_EVENTS = {"refund_paid", "repair_done", "compensation_paid", "explained", "rejected", "closed"}
# The events (with a message key) the customer is notified of, and the template when it is not the kind's own.
NOTIFIED = (
    "submitted",
    "accepted",
    "info_requested",
    "return_requested",
    "return_received",
    "inspected",
    "verified",
    "proposed",
    "refund_paid",
    "repair_done",
    "compensation_paid",
    "explained",
    "rejected",
    "escalated",
    "closed",
)
NOTIFY_KEY = {"compensation_paid": "resolved", "explained": "resolved", "staff_message": "message"}
PLACEHOLDERS = ("number", "detail", "carrier", "tracking", "basis", "amount", "days", "reason", "when")


@dataclass
class Batch:
    """One chunk's rows per table, the next free id per table, the random stream and the message templates."""

    rng: random.Random
    rows: dict[str, list[dict]]
    next_id: dict[str, int]
    messages: dict[tuple[str, str], str]

    def take_id(self, table: str) -> int:
        taken = self.next_id[table]
        self.next_id[table] += 1
        return taken


@dataclass
class Story:
    """What a case's events need to know of the case."""

    tenant_id: int
    slug: str
    case_id: int
    number: str
    problem: str
    locale: str
    name: str
    mobile: str
    email: str
    amount: Decimal
    assignee: int | None


@dataclass
class Standing:
    """Where a case stands after its events: what its own row records."""

    last: datetime  # the last event's time
    status: str = "submitted"
    escalated: bool = False
    first_response: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    due_at: datetime | None = None  # the earliest running clock's


def timed_path(rng: random.Random, problem: str, age: timedelta, created: datetime, now: datetime) -> list[tuple]:
    """The events the case has had by `now`, as (kind, actor, new status, message key, time)."""
    steps = _path(rng, problem, age)
    events = [("submitted", "consumer", "submitted", "submitted", created)]
    at = created
    for kind, actor, to_status, key in steps:
        at = at + timedelta(minutes=rng.randrange(5, 2 * 24 * 60))
        if at >= now:
            break
        events.append((kind, actor, to_status, key, at))
    return events


def _path(rng: random.Random, problem: str, age: timedelta) -> list[tuple]:
    """The path this case takes, cut where it stands today: older cases are mostly finished."""
    r = rng.random
    steps = list(REJECTED_PATH if r() < 0.08 else PATHS[problem])
    if r() < 0.2:
        steps[1:1] = INFO_STEPS
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
        at = rng.randrange(1, len(steps))
        steps[at:at] = CHAT_STEPS
    if age < timedelta(days=30) or r() < 0.02:
        steps = steps[: rng.randrange(0, len(steps) + 1)]
    return steps


@dataclass
class _Clocks:
    """The case's SLA clocks as rows: started by events, stopped met or breached, paused while it waits."""

    batch: Batch
    story: Story
    by_kind: dict[str, dict] = field(default_factory=dict)

    def start(self, kind: str, when: datetime) -> None:
        due = when + timedelta(minutes=TARGETS[kind])
        self.by_kind[kind] = dict(
            id=self.batch.take_id("sla_clocks"),
            tenant_id=self.story.tenant_id,
            case_id=self.story.case_id,
            kind=kind,
            around_the_clock=kind == "emergency",
            target_minutes=TARGETS[kind],
            started_at=when,
            due_at=due,
            paused_at=None,
            paused_seconds=0,
            stopped_at=None,
            state="running",
            breached_at=None,
            breach_notified=False,
        )

    def stop(self, kinds, when: datetime) -> None:
        for kind in kinds:
            c = self.by_kind.get(kind)
            if c is not None and c["stopped_at"] is None:
                c["stopped_at"] = when
                late = when > c["due_at"]
                c["state"] = "breached" if late else "met"
                c["breached_at"] = c["due_at"] if late else None
                c["breach_notified"] = late

    def pause_open(self, when: datetime) -> None:
        for c in self.by_kind.values():
            if c["stopped_at"] is None:
                c["state"], c["paused_at"] = "paused", when

    def earliest_due(self) -> datetime | None:
        running = [c["due_at"] for c in self.by_kind.values() if c["stopped_at"] is None and c["state"] == "running"]
        return min(running) if running else None


def play(batch: Batch, story: Story, events: list[tuple]) -> Standing:
    """Write the case's events, clocks and notifications; return where the case stands."""
    clocks = _Clocks(batch, story)
    standing = Standing(last=events[-1][4])
    for kind, actor, to_status, key, when in events:
        event_id = batch.take_id("case_events")
        from_status = standing.status
        if to_status is not None:
            standing.status = to_status
        params = _params(key, batch.rng, story.number, story.amount) if key else {}
        message = _message(batch.messages, story.locale, key, params) if key else CHAT_TEXT.get(kind, "")
        batch.rows["case_events"].append(
            dict(
                id=event_id,
                tenant_id=story.tenant_id,
                case_id=story.case_id,
                kind=kind,
                actor_type=actor,
                actor_id=story.assignee if actor == "staff" else None,
                from_status=from_status,
                to_status=to_status,
                customer_message=message,
                internal_note="",
                data={"msg": key, "params": params} if key else {},
                created_at=when,
            )
        )
        _time(clocks, standing, story.problem, (kind, actor, message, when))
        if kind == "escalated":
            standing.escalated = True
        if kind == "closed":
            standing.closed = when
        if key and kind in NOTIFIED:
            _notify(batch, story, event_id, NOTIFY_KEY.get(kind, kind), message, when)
    if standing.status in ("info_requested", "awaiting_return"):
        clocks.pause_open(standing.last)
    if standing.status == "closed":
        clocks.stop(tuple(TARGETS), standing.closed)
    standing.due_at = clocks.earliest_due()
    batch.rows["sla_clocks"].extend(clocks.by_kind.values())
    return standing


def _time(clocks: _Clocks, standing: Standing, problem: str, event: tuple) -> None:
    """Start and stop the clocks an event starts and stops; note the first response and the resolution."""
    kind, actor, message, when = event
    if kind == "submitted":
        clocks.start("emergency" if problem == "food_safety" else "first_response", when)
        if problem in PROBLEM_CLOCK:
            clocks.start(PROBLEM_CLOCK[problem], when)
        clocks.start("general", when)
    elif actor == "staff" and kind in sla.RESPONSES:
        if standing.first_response is None and message:
            standing.first_response = when
        clocks.stop(("first_response", "emergency", "message_response"), when)
        if kind in ("proposed", "rejected", "closed"):
            clocks.stop(("quality_proposal", "complaint_feedback", "consultation"), when)
        if kind in RESOLUTION_EVENTS:
            clocks.stop(tuple(TARGETS), when)
            standing.resolved = standing.resolved or when
    elif kind == "return_received":
        clocks.start("inspection", when)
        clocks.start("return_processing", when)
    if kind == "inspected":
        clocks.stop(("inspection",), when)


def _notify(batch: Batch, story: Story, event_id: int, template_key: str, message: str, when: datetime) -> None:
    """The customer's notifications of one event, by SMS and e-mail as far as the case has the contact."""
    rng = batch.rng
    for ch, to in (("sms", story.mobile), ("email", story.email)):
        if not to:
            continue
        state = "sent" if rng.random() < 0.97 else rng.choice(("dead", "superseded"))
        notification_id = batch.take_id("notifications")
        batch.rows["notifications"].append(
            dict(
                id=notification_id,
                tenant_id=story.tenant_id,
                idempotency_key=f"event:{event_id}:{ch}",
                case_id=story.case_id,
                event_id=event_id,
                audience="customer",
                channel=ch,
                recipient=to,
                template_key=template_key,
                locale=story.locale,
                params={
                    "case_number": story.number,
                    "message": message[:200],
                    "link": f"/{story.slug}/track?number={story.number}",
                    "customer": story.name,
                },
                status=state,
                attempts=1 if state != "dead" else 6,
                next_attempt_at=when,
                lease_expires_at=None,
                provider_message_id=f"n{notification_id}" if state == "sent" else "",
                error_code="" if state != "dead" else "invalid_number",
                last_error="",
                sent_at=when + timedelta(seconds=rng.randrange(1, 30)) if state == "sent" else None,
                superseded_by_id=None,
                created_at=when,
                updated_at=when,
            )
        )


def _params(key: str, rng: random.Random, number: str, amount: Decimal) -> dict:
    return (
        {
            "number": number,
            "detail": "请拍摄故障部位的照片",
            "carrier": "顺丰",
            "tracking": f"SF{rng.randrange(10**11, 10**12)}",
            "basis": "人为损坏",
            "amount": str(amount),
            "days": 7,
            "reason": "已超过无理由退货期限",
            "when": "09:00",
        }
        if key
        else {}
    )


def _message(cache, locale: str, key: str, params: dict) -> str:
    template = cache.get((locale, key))
    if template is None:
        # The translated template once per locale and key; its parameters filled per case.
        with_placeholders = {k: f"%({k})s" for k in PLACEHOLDERS}
        template = case_messages.render_in(locale, key, with_placeholders).replace("%", "%%").replace("%%(", "%(")
        cache[(locale, key)] = template
    return template % params
