"""Service-level clocks: working-time targets, pauses while waiting on the consumer, breaches, escalation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case, CaseEvent
from saas.models.sla import SlaClock
from saas.services import case_breaches, case_consumer_steps, case_emergency, cases, policies
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import make_case, make_shop_with_policy, make_tenant, make_user, statements

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def shop(app):
    with app.app_context():
        tenant = make_shop_with_policy("sla-shop")
        with tenant_context(tenant.id):
            agent = make_user(tenant, "agent", "agent@sla.example.com")
            db.session.commit()
        yield {"tenant": tenant, "agent": agent}


def file(shop, when: datetime, **over) -> Case:
    fields = dict(
        order_number="O-1",
        customer_name="李娜",
        mobile="13811112222",
        email="",
        purchase_channel="taobao",
        problem_type="quality",
        description="面板有裂纹",
        expected_resolution="exchange",
        purchase_date=date(2026, 11, 10),
        delivery_date=date(2026, 11, 12),
        category="electronics",
    )
    fields.update(over)
    return make_case(shop["tenant"], when, commit=True, **fields)


def clock(case: Case, kind: str) -> SlaClock:
    return next(c for c in case.clocks if c.kind == kind)


def do(shop, when: datetime, fn, *args, **kwargs):
    with travel_to(when), tenant_context(shop["tenant"].id):
        result = fn(*args, **kwargs)
        db.session.commit()
        return result


def test_clocks_start_with_the_policy_targets(shop):
    case = file(shop, at(2026, 11, 23, 10, 0))  # a Monday, inside working hours
    kinds = {c.kind for c in case.clocks}
    assert kinds == {"first_response", "quality_proposal", "general"}
    assert clock(case, "first_response").due_at == at(2026, 11, 23, 10, 10)
    # The merchants' documents promise a proposal in 24 calendar hours: Tuesday 10:00.
    assert clock(case, "quality_proposal").due_at == at(2026, 11, 24, 10, 0)
    assert clock(case, "quality_proposal").around_the_clock
    assert clock(case, "general").due_at == at(2026, 11, 30, 10, 0)
    assert case.due_at == at(2026, 11, 23, 10, 10)


def test_first_response_met_by_accepting(shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    do(shop, at(2026, 11, 23, 10, 6), cases.accept, case, shop["agent"])
    fr = clock(case, "first_response")
    assert fr.state == "met" and fr.stopped_at == at(2026, 11, 23, 10, 6)
    assert case.due_at == clock(case, "quality_proposal").due_at


def test_out_of_hours_case_starts_at_the_next_opening(shop):
    case = file(shop, at(2026, 9, 30, 17, 55))  # the eve of the National Day holiday
    assert clock(case, "first_response").due_at == at(2026, 10, 8, 9, 5)
    late = file(shop, at(2026, 11, 23, 20, 0), order_number="O-2")
    reply = [e for e in late.events if e.kind == "auto_reply"]
    assert len(reply) == 1 and "2026-11-24 09:00" in reply[0].customer_message
    assert not [e for e in case.events if e.kind == "auto_reply"]  # 17:55 is still working time


def test_a_breach_is_recorded_and_alerted_once(shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    alerts = []
    for minute in (11, 12, 30, 59):
        with travel_to(at(2026, 11, 23, 10, minute)):
            case_breaches.sweep(notify=lambda c, k: alerts.append((c.id, k.kind)))
    assert alerts == [(case.id, "first_response")]
    with tenant_context(shop["tenant"].id):
        breaches = db.session.scalar(
            select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.kind == "sla_breached")
        )
        fr = db.session.scalar(select(SlaClock).where(SlaClock.case_id == case.id, SlaClock.kind == "first_response"))
    assert breaches == 1 and fr.state == "breached"
    # Answering late stops the clock but it stays breached.
    do(shop, at(2026, 11, 23, 11, 0), cases.accept, db.session.get(Case, case.id), shop["agent"])
    with tenant_context(shop["tenant"].id):
        fr = db.session.scalar(select(SlaClock).where(SlaClock.case_id == case.id, SlaClock.kind == "first_response"))
        assert fr.state == "breached" and fr.stopped_at is not None


def test_clock_paused_while_awaiting_the_parcel_does_not_breach(shop):
    case = file(shop, at(2026, 11, 23, 10, 0), problem_type="return_exchange", expected_resolution="return")
    do(shop, at(2026, 11, 23, 10, 5), cases.accept, case, shop["agent"])
    general_due = clock(case, "general").due_at
    do(shop, at(2026, 11, 23, 11, 0), cases.request_return, case, shop["agent"])
    assert clock(case, "general").state == "paused"
    # Far past the original due time, the sweep leaves a paused clock alone.
    alerts = []
    with travel_to(general_due + timedelta(days=2)):
        case_breaches.sweep(notify=lambda c, k: alerts.append(k.kind))
    assert alerts == []
    # The parcel arrives two working days after the request: due moves on by exactly that.
    do(shop, at(2026, 11, 25, 11, 0), cases.mark_return_received, db.session.get(Case, case.id), shop["agent"])
    with tenant_context(shop["tenant"].id):
        fresh = db.session.get(Case, case.id)
        general = clock(fresh, "general")
        assert general.state == "running"
        assert general.due_at == at(2026, 12, 2, 10, 0)  # 30 Nov 10:00 + 2 working days
        assert general.paused_seconds == 2 * 9 * 3600
        assert {c.kind for c in fresh.clocks if c.stopped_at is None} >= {"inspection", "return_processing"}


def test_food_safety_emergency_runs_around_the_clock_and_escalates(shop):
    case = file(
        shop,
        at(2026, 11, 28, 22, 0),
        category="dairy",
        problem_type="quality",
        description="酸奶喝了以后腹泻",
        expected_resolution="refund",
    )  # a Saturday night
    assert case.emergency and case.priority == 6
    em = clock(case, "emergency")
    assert em.around_the_clock and em.due_at == at(2026, 11, 28, 23, 0)
    assert not [e for e in case.events if e.kind == "auto_reply"]
    alerts = []
    with travel_to(at(2026, 11, 28, 23, 1)):
        case_breaches.sweep(notify=lambda c, k: alerts.append(k.kind))
    with tenant_context(shop["tenant"].id):
        fresh = db.session.get(Case, case.id)
        assert fresh.escalated and alerts == ["emergency"]
        assert [e.kind for e in fresh.events].count("escalated") == 1


def test_food_safety_words_in_a_message_raise_an_emergency_and_agents_may_lower_it(shop):
    case = file(shop, at(2026, 11, 23, 10, 0), category="fresh_food", description="包装有点破")
    assert not case.emergency
    do(shop, at(2026, 11, 23, 10, 30), case_consumer_steps.consumer_message, case, "孩子吃了以后呕吐")
    assert case.emergency and clock(case, "emergency").due_at == at(2026, 11, 23, 11, 30)
    with pytest.raises(cases.CaseError):
        do(shop, at(2026, 11, 23, 10, 40), case_emergency.lower_emergency, case, shop["agent"], "  ")
    db.session.rollback()
    do(
        shop,
        at(2026, 11, 23, 10, 45),
        case_emergency.lower_emergency,
        db.session.get(Case, case.id),
        shop["agent"],
        "照片显示为包装破损,不涉及食品安全",
    )
    with tenant_context(shop["tenant"].id):
        fresh = db.session.get(Case, case.id)
        assert not fresh.emergency and clock(fresh, "emergency").state == "met"
        lowered = [e for e in fresh.events if e.kind == "emergency_lowered"][0]
        assert lowered.actor_id == shop["agent"].id and "包装破损" in lowered.internal_note


def test_complaint_not_answered_in_time_goes_to_the_manager(shop):
    case = file(
        shop,
        at(2026, 11, 23, 10, 0),
        problem_type="complaint",
        expected_resolution="compensation",
        description="快递太慢",
    )
    fb = clock(case, "complaint_feedback")
    assert fb.due_at == at(2026, 11, 25, 10, 0)  # 48 calendar hours
    with travel_to(fb.due_at + timedelta(minutes=1)):
        case_breaches.sweep()
    with tenant_context(shop["tenant"].id):
        assert db.session.get(Case, case.id).escalated


def test_sweep_streams_in_batches(shop):
    for i in range(7):
        file(shop, at(2026, 11, 23, 10, 0), order_number=f"B-{i}")
    with travel_to(at(2026, 11, 23, 10, 30)):
        assert case_breaches.sweep(batch=3) == 7
        assert case_breaches.sweep(batch=3) == 0
    with cross_tenant("test"):
        assert db.session.scalar(select(func.count()).select_from(SlaClock).where(SlaClock.state == "breached")) == 7


def test_case_page_shows_every_clock_and_queue_counts_down(app, shop):
    from tests.factories import login

    case = file(shop, at(2026, 11, 23, 10, 0))
    client = app.test_client()
    login(client, "agent@sla.example.com")
    html = client.get(f"/sla-shop/console/cases/{case.id}?lang=en").get_data(as_text=True)
    for label in ("First response", "Propose a solution", "Resolve the case"):
        assert label in html
    queue = client.get("/sla-shop/console/cases?overdue=1").get_data(as_text=True)
    assert case.number in queue and 'class="overdue"' in queue


# ---------- the sweep at scale: what it reads once, what it still does per breach ----------


@pytest.fixture
def two_shops(app):
    """Two shops with their own SMS quiet hours, an owner and an admin each (and a disabled admin)."""
    from tenants.terms import Terms

    ids = {}
    with app.app_context():
        for slug, quiet_end in (("sweep-a", "08:30"), ("sweep-b", "09:30")):
            tenant = make_tenant(slug)
            with tenant_context(tenant.id):
                for role, name in (("owner", "owner"), ("admin", "admin"), ("admin", "off")):
                    make_user(tenant, role, f"{name}@{slug}.example.com", is_enabled=name != "off")
                policies.ensure_draft(tenant, None)
                policies.save_draft(tenant, None, {**Terms().to_dict(), "sms_quiet_end": quiet_end})
                policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)
                db.session.commit()
            ids[slug] = {"tenant": tenant, "quiet_end": quiet_end}
        yield ids


def _reads(seen: list[str], table: str) -> int:
    return sum(1 for s in seen if s.startswith("SELECT") and f"FROM {table} " in s.replace("\n", " ") + " ")


def test_a_sweep_reads_shops_terms_cases_and_managers_once_not_per_breach(app, two_shops):
    from saas.models.notification import Notification
    from workers import jobs

    night = at(2026, 11, 28, 22, 0)  # a Saturday: the emergencies are due at 23:00, in quiet hours
    filed = []
    for slug in ("sweep-a", "sweep-b"):
        for i in range(3):
            filed.append(
                (
                    slug,
                    file(
                        two_shops[slug],
                        night,
                        order_number=f"{slug}-{i}",
                        category="dairy",
                        description="酸奶喝了以后腹泻",
                        expected_resolution="refund",
                    ).id,
                )
            )
    with travel_to(at(2026, 11, 28, 23, 1)):
        with statements(app) as seen:
            assert jobs.sweep_sla() == 6
        assert jobs.sweep_sla() == 0  # idempotent: nothing is breached or alerted twice
    # Read once per sweep or per shop, whatever the number of breaches (3 per shop here).
    assert _reads(seen, "cases") == 1 and _reads(seen, "tenants") == 1
    assert _reads(seen, "users") == 2  # each shop's managers
    assert _reads(seen, "policy_versions") <= 2 * 2  # each shop's terms and calendar, once
    assert _reads(seen, "calendar_years") <= 2
    assert sum(1 for s in seen if s.startswith("UPDATE sla_clocks")) == 6  # each breached clock written once
    with cross_tenant("test"):
        for slug, case_id in filed:
            case = db.session.get(Case, case_id)
            kinds = [e.kind for e in case.events]
            assert case.escalated and kinds.count("sla_breached") == 1 and kinds.count("escalated") == 1
            [em] = [c for c in case.clocks if c.kind == "emergency"]
            assert em.state == "breached" and em.breach_notified
            alerts = db.session.scalars(
                select(Notification.recipient).where(Notification.idempotency_key.like(f"staff:breach:{em.id}:%"))
            ).all()
            assert sorted(alerts) == [f"admin@{slug}.example.com", f"owner@{slug}.example.com"]
            # The customer hears of the escalation by SMS when the shop's own quiet hours end.
            [sms] = db.session.scalars(
                select(Notification)
                .join(CaseEvent, Notification.event_id == CaseEvent.id)
                .where(CaseEvent.case_id == case_id, CaseEvent.kind == "escalated", Notification.channel == "sms")
            ).all()
            hh, mm = map(int, two_shops[slug]["quiet_end"].split(":"))
            assert sms.next_attempt_at == at(2026, 11, 29, hh, mm)
