"""Simulated time, in-process (travel_to): SMS quiet hours over two days, survey invitations after resolution.

(e) 1,000 SMS events over 48 hours, sent by a worker that also meets provider errors: none goes
out between 21:00 and 08:00 in the tenant's zone, and every one is eventually delivered, once.
(f) 500 resolved cases, 50 reopened, 20 opted out, Redis wiped, 3 working days later: 430
invitations, none early, none twice.
"""

from __future__ import annotations

import random
import time as wallclock
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.extensions import db, redis
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.notification import DevSms, Notification
from saas.models.user import User
from saas.queues import get_queue
from saas.services import case_intake, cases, policies
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import make_tenant, make_user
from workers import outbox, sending
from workers.providers import Retryable

pytestmark = pytest.mark.faults

SH = ZoneInfo("Asia/Shanghai")
QUIET_START, QUIET_END = time(21, 0), time(8, 0)


def in_quiet_hours(at: datetime) -> bool:
    local = at.astimezone(SH).time()
    return local >= QUIET_START or local < QUIET_END


@pytest.fixture
def cn_shop(app):
    with app.app_context():
        tenant = make_tenant("quiet-shop", name_zh="安静小店", name_en="Quiet shop")  # Asia/Shanghai, 21:00–08:00
        with tenant_context(tenant.id):
            make_user(tenant, "owner", "owner@quiet.example.com")
            agent = make_user(tenant, "agent", "agent@quiet.example.com")
            policies.ensure_draft(tenant, None)
            policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)
            db.session.commit()
        yield {"tenant_id": tenant.id, "agent_id": agent.id}


def intake(i: int, **over) -> case_intake.Intake:
    fields = dict(
        order_number=f"Q-{i}",
        customer_name=f"客户{i}",
        mobile=f"139{i:08d}",
        email="",
        purchase_channel="jd",
        problem_type="quality",
        description="外壳破裂",
        expected_resolution="exchange",
        purchase_date=date(2026, 11, 1),
        delivery_date=date(2026, 11, 3),
        category="electronics",
    )
    fields.update(over)
    return case_intake.Intake(**fields)


class FlakyInbox(sending.DevGateway):
    """The dev inbox behind a provider that fails 10 % of sends: half plain 500s, half timeouts
    after the message was stored (the provider has it; the worker does not know)."""

    def __init__(self, rng: random.Random, delivered: Counter, delivered_at: dict):
        super().__init__(sending._dev_store)
        self.rng, self.delivered, self.delivered_at = rng, delivered, delivered_at

    def send(self, msg):
        roll = self.rng.random()
        if roll < 0.05:
            raise Retryable("Aliyun 500: System error", code="isp.SYSTEM_ERROR")
        result = super().send(msg)
        self.delivered[msg.idempotency_key] += 1
        from saas.models.base import utcnow

        self.delivered_at.setdefault(msg.idempotency_key, utcnow())
        if roll < 0.10:
            raise Retryable("no answer within 1s", code="timeout")
        return result


def drain() -> int:
    """What a live worker does with the queued wake-ups, at the frozen time."""
    queue = get_queue("notifications")
    done = 0
    while True:
        jobs = queue.get_jobs()
        if not jobs:
            return done
        queue.empty()
        for job in jobs:
            assert job.func_name == "workers.jobs.send_notification"
            outbox.send_notification(*job.args)
            db.session.remove()  # as AppWorker does after every job
            done += 1


def test_no_sms_goes_out_in_quiet_hours_over_48_simulated_hours(app, cn_shop, monkeypatch):
    rng = random.Random(48)
    delivered: Counter = Counter()
    delivered_at: dict = {}
    monkeypatch.setattr(sending, "sms_gateway", lambda: FlakyInbox(rng, delivered, delivered_at))
    tenant_id, agent_id = cn_shop["tenant_id"], cn_shop["agent_id"]
    start = datetime(2026, 11, 23, 0, 0, tzinfo=SH)  # Monday 00:00, two ordinary working days
    end = start + timedelta(hours=48)

    def around(hh: int, mm: int, spread: int) -> datetime:
        day = rng.randrange(2)
        return start + timedelta(days=day, hours=hh, minutes=mm + rng.uniform(-spread, spread))

    # 100 filings, then 900 messages to customers: 60 % at any time, 40 % in bursts that
    # straddle 21:00 and 08:00, where coalescing and retries push sends across the boundary.
    filings = sorted(start + timedelta(minutes=rng.uniform(0, 47 * 60)) for _ in range(100))
    events: list[tuple[datetime, str, int]] = [(t, "file", i) for i, t in enumerate(filings)]
    for _ in range(900):
        case_index = rng.randrange(100)
        if rng.random() < 0.6:
            t = filings[case_index] + timedelta(minutes=rng.uniform(1, 48 * 60))
        else:
            t = max(filings[case_index] + timedelta(minutes=1), around(*rng.choice([(20, 50), (7, 55)]), 12))
        if t < end:
            events.append((t, "message", case_index))
    while len(events) < 1000:  # top up whatever fell past the 48 hours
        case_index = rng.randrange(100)
        events.append((filings[case_index] + timedelta(minutes=rng.uniform(1, 30)), "message", case_index))
    events.sort()
    assert len(events) == 1000 and events[-1][0] < end + timedelta(minutes=30)

    # The worker's minute clock: a sweep every 5 simulated minutes until everything is out.
    ticks = [start + timedelta(minutes=5 * k) for k in range(1, 72 * 12)]
    timeline = sorted(
        [(t, "event", e) for t, *e in events] + [(t, "sweep", None) for t in ticks], key=lambda item: item[0]
    )
    case_ids: dict[int, int] = {}
    began = wallclock.monotonic()
    for at, kind, event in timeline:
        with travel_to(at):
            if kind == "event":
                what, index = event
                with tenant_context(tenant_id):  # one request
                    if what == "file":
                        case_ids[index] = case_intake.file_case(db.session.get(Tenant, tenant_id), intake(index)).id
                    else:
                        cases.message_customer(
                            db.session.get(Case, case_ids[index]),
                            db.session.get(User, agent_id),
                            f"第 {rng.randrange(10**6)} 号进展:我们正在处理您的售后申请。",
                        )
                    db.session.commit()
                db.session.remove()  # the request's session ends with it
            else:
                outbox.sweep()
                db.session.remove()
            drain()
        if kind == "sweep" and at > end:
            with cross_tenant("fault test"):
                open_rows = db.session.scalar(
                    select(func.count())
                    .select_from(Notification)
                    .where(Notification.status.not_in(("sent", "superseded", "cancelled")))
                )
            if not open_rows:
                break
        # The loop is finite by construction; this only stops a pathological run early
        # (typically 20-40 s on SQLite, 60-110 s on PostgreSQL on a busy 2-core machine).
        assert wallclock.monotonic() - began < 170, "the simulation is too slow"

    with cross_tenant("fault test"):
        rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        stored = db.session.scalars(select(DevSms)).all()
    assert rows and all(n.channel == "sms" for n in rows)
    assert len(rows) >= 1000  # every filing and message made one (the auto-replies a few more)
    by_id = {n.id: n for n in rows}
    # An out-of-hours auto-reply held for the morning is dropped once staff have answered ("stale"):
    # by then it would tell the customer something untrue.
    stale = [n for n in rows if n.status == "cancelled" and n.error_code == "stale"]
    assert all(n.template_key == "auto_reply" for n in stale)
    unfinished = [
        (n.id, n.status, n.error_code) for n in rows if n.status not in ("sent", "superseded") and n not in stale
    ]
    assert not unfinished, unfinished[:10]
    for n in rows:  # a superseded SMS's news went out in the one that replaced it
        final = n
        while final.status == "superseded":
            final = by_id[final.superseded_by_id]
        assert (final.status == "sent" or final in stale) and final.case_id == n.case_id
    sent = [n for n in rows if n.status == "sent"]
    loud = [(n.id, n.sent_at.astimezone(SH).isoformat()) for n in sent if in_quiet_hours(n.sent_at)]
    assert not loud, f"{len(loud)} SMS sent in quiet hours: {loud[:10]}"
    early = [(k, t.astimezone(SH).isoformat()) for k, t in delivered_at.items() if in_quiet_hours(t)]
    assert not early, f"{len(early)} SMS reached the provider in quiet hours: {early[:10]}"
    # Delivered exactly once each, retries and timeouts notwithstanding.
    assert sorted(delivered) == sorted(sending.provider_key(n) for n in sent)
    assert set(delivered.values()) == {1}, [k for k, v in delivered.items() if v > 1][:10]
    assert len(stored) == len(sent)
    deferred = [n for n in rows if in_quiet_hours(n.created_at)]
    retried = [n for n in sent if n.attempts > 1]
    assert len(deferred) > 300 and len(retried) > 30  # the interesting paths were taken
    print(
        f"\nrows={len(rows)} sent={len(sent)} superseded={len(rows) - len(sent)} created in quiet hours="
        f"{len(deferred)} retried={len(retried)} simulated in {wallclock.monotonic() - began:.1f}s"
    )


def test_surveys_after_resolution_430_invitations_none_early_none_twice(app, cn_shop):
    """500 resolved cases (Tuesday), 50 reopened (Wednesday), 20 customers opt out; Redis wiped; Friday."""
    from saas.identifiers import new_case_number
    from saas.models.survey import Survey
    from saas.services import surveys
    from workers import jobs

    tenant_id, agent_id = cn_shop["tenant_id"], cn_shop["agent_id"]
    rng = random.Random(430)
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
    began = wallclock.monotonic()
    # The case histories up to resolution are not what is tested here, and 2,500 service calls
    # would take minutes: the cases are written as an execute() leaves them (resolved, resolved_at
    # set, between 10:00 and 17:00) and surveys.schedule() -- what execute() calls -- gives each
    # its due time on the tenant's calendar. Reopening and opting out go through the services.
    with travel_to(tuesday), tenant_context(tenant_id):
        for i in range(500):
            sms = i % 2 == 0  # one channel per case: half by SMS, half by email
            resolved_at = tuesday + timedelta(minutes=rng.uniform(0, 7 * 60))
            db.session.add(
                Case(
                    tenant_id=tenant_id,
                    number=new_case_number(resolved_at.date()),
                    order_number=f"S-{i}",
                    purchase_channel="jd",
                    purchase_date=date(2026, 11, 1),
                    delivery_date=date(2026, 11, 3),
                    category="electronics",
                    customer_name=f"客户{i}",
                    mobile=f"136{i:08d}" if sms else "",
                    email="" if sms else f"c{i}@example.com",
                    problem_type="quality",
                    description="外壳破裂",
                    expected_resolution="exchange",
                    status="resolved",
                    resolution_kind="exchange",
                    invoice_handling="endorsement",
                    outbound_tracking_number=f"SF{i}",
                    first_response_at=resolved_at,
                    resolved_at=resolved_at,
                )
            )
        db.session.flush()
        for case in db.session.scalars(select(Case).order_by(Case.id)):
            assert surveys.schedule(case, case.resolved_at) is not None
        db.session.commit()
        all_cases = db.session.scalars(select(Case.id).order_by(Case.id)).all()
    db.session.remove()
    reopened = set(rng.sample(all_cases, 50))
    opted_out = set(rng.sample([c for c in all_cases if c not in reopened], 20))
    with travel_to(tuesday + timedelta(days=1)), tenant_context(tenant_id):
        agent = db.session.get(User, agent_id)
        for case_id in sorted(reopened):
            cases.reopen(db.session.get(Case, case_id), agent, "客户反馈问题仍在")
        for case_id in sorted(opted_out):  # the customer's "no more surveys" link
            surveys.opt_out(db.session.scalar(select(Survey).where(Survey.case_id == case_id)))
        db.session.commit()
    db.session.remove()
    built = wallclock.monotonic() - began

    with cross_tenant("fault test"):
        due = dict(db.session.execute(select(Survey.case_id, Survey.due_at)).all())
    assert len(due) == 500
    # Three working days after Tuesday is Friday, at the time of day it was resolved.
    assert {d.astimezone(SH).date() for d in due.values()} == {date(2026, 11, 27)}
    first_due = min(due.values())

    def invitations():
        db.session.remove()
        with cross_tenant("fault test"):
            return db.session.scalars(
                select(Notification).where(Notification.template_key == "survey_invitation").order_by(Notification.id)
            ).all()

    redis.client.flushdb()  # the queued wake-ups are gone; surveys are rows with a due time
    # Thursday evening, Friday a second before the first one falls due: nobody is invited early.
    for at in (datetime(2026, 11, 26, 20, 0, tzinfo=SH), first_due - timedelta(seconds=1)):
        with travel_to(at):
            assert jobs.sweep_surveys() == 0
    assert invitations() == []

    # Friday, the worker's minute clock every 10 minutes (each sweep run three times), Redis
    # wiped again at noon.
    at = first_due - timedelta(minutes=1)
    while at <= datetime(2026, 11, 27, 18, 0, tzinfo=SH):
        with travel_to(at):
            for _ in range(3):
                jobs.sweep_surveys()
                db.session.remove()
        if at.astimezone(SH).hour == 12 and at.astimezone(SH).minute < 10:
            redis.client.flushdb()
        at += timedelta(minutes=10)
    # Later sweeps find nothing more to do.
    with travel_to(datetime(2026, 12, 2, 10, 0, tzinfo=SH)):
        assert jobs.sweep_surveys() == 0

    invited = invitations()
    assert len(invited) == 430
    per_case = Counter(n.case_id for n in invited)
    assert set(per_case.values()) == {1}, "a case was invited twice"
    assert set(per_case) == set(all_cases) - reopened - opted_out
    for n in invited:
        assert n.created_at >= due[n.case_id], (n.case_id, n.created_at, due[n.case_id])  # none early
        assert n.created_at - due[n.case_id] <= timedelta(minutes=10)  # and promptly
        with cross_tenant("fault test"):
            case = db.session.get(Case, n.case_id)
        assert n.channel == ("sms" if case.mobile else "email") and n.recipient in (case.mobile, case.email)
        assert n.idempotency_key.startswith("survey:")
    with cross_tenant("fault test"):
        statuses = Counter(db.session.scalars(select(Survey.status)).all())
    assert statuses == {"invited": 430, "cancelled": 50, "opted_out": 20}
    print(f"\nbuilt 500 resolved cases in {built:.1f}s; whole test {wallclock.monotonic() - began:.1f}s")
