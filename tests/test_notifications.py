"""The outbox end to end: rows written with events, sent by a worker over real SMTP and the dev SMS inbox."""

from __future__ import annotations

import email
from datetime import date, datetime, timedelta
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.notification import ContactSuppression, DevSms, Notification
from saas.models.survey import FollowUpTask, Survey
from saas.services import cases, surveys
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import csrf_token, login, make_case, make_shop_with_policy, make_user, post_form
from workers import outbox, sending
from workers.providers import Permanent, Retryable
from workers.worker import build_worker

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def smtp(app, monkeypatch):
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "SMS_BACKEND", "dev")
    yield handler
    controller.stop()


@pytest.fixture
def shop(app):
    with app.app_context():
        tenant = make_shop_with_policy("notify-shop", name_zh="通知小店", brand_colour="#aa3366")
        with tenant_context(tenant.id):
            make_user(tenant, "owner", "owner@notify.example.com")
            agent = make_user(tenant, "agent", "agent@notify.example.com")
            db.session.commit()
        yield {"tenant": tenant, "agent": agent}


def file(shop, when, **over) -> Case:
    fields = dict(
        order_number="N-1",
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
    fields.update(over)
    return make_case(shop["tenant"], when, commit=True, **fields)


def run_worker(app):
    with app.app_context():
        build_worker().work(burst=True)


def rows(case_id=None, **filters):
    with cross_tenant("test"):
        stmt = select(Notification).order_by(Notification.id)
        if case_id is not None:
            stmt = stmt.where(Notification.case_id == case_id)
        for key, value in filters.items():
            stmt = stmt.where(getattr(Notification, key) == value)
        return db.session.scalars(stmt).all()


def test_accepting_sends_one_email_and_one_sms_in_the_case_language(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 10, 0), locale="en")
    run_worker(app)
    smtp.messages.clear()
    with db.session.no_autoflush:
        before = db.session.scalar(select(func.count()).select_from(DevSms))
    client = app.test_client()
    login(client, "agent@notify.example.com")
    with travel_to(at(2026, 11, 23, 10, 30)):
        r = post_form(
            client,
            f"/notify-shop/console/cases/{case.id}/actions/accept",
            {},
            form_url=f"/notify-shop/console/cases/{case.id}",
        )
        assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
        run_worker(app)
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "chen@example.com" and "accepted" in mail["Subject"]
    assert "通知小店" in str(mail["From"]) or "notify-shop" in str(mail["From"])
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Your after-sales request has been accepted" in text and "#aa3366" in html
    assert mail["Message-ID"]
    sms = db.session.scalars(select(DevSms).order_by(DevSms.id)).all()[before:]
    assert len(sms) == 1 and sms[0].to == "13722223333"
    assert "accepted" in sms[0].text and "/notify-shop/t/" in sms[0].text  # the signed link to the case
    assert [n.status for n in rows(case.id, event_id=rows(case.id)[-1].event_id)] == ["sent", "sent"]


def test_rows_are_written_with_the_event_and_enqueued_after_commit(app, shop):
    from saas.queues import get_queue

    case = file(shop, at(2026, 11, 23, 10, 0))
    created = rows(case.id)
    assert {n.channel for n in created} == {"sms", "email"}
    assert all(n.idempotency_key.startswith("event:") for n in created)
    with app.app_context():
        assert get_queue("notifications").count == len(created)


def test_a_second_claim_does_nothing(app, shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    n = rows(case.id, channel="email")[0]
    first, _ = outbox.claim(n.id)
    second, _ = outbox.claim(n.id)
    assert first is not None and second is None


def test_sms_in_quiet_hours_waits_until_morning_email_does_not(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 22, 30))
    # The confirmation and the out-of-hours reply coalesce into one SMS, held until 08:00.
    texts = rows(case.id, channel="sms")
    assert [n.status for n in texts] == ["superseded", "pending"]
    sms = texts[1]
    mail = rows(case.id, channel="email")[0]
    assert sms.next_attempt_at == at(2026, 11, 24, 8, 0)
    assert mail.next_attempt_at <= at(2026, 11, 23, 22, 31)
    with travel_to(at(2026, 11, 23, 23, 0)):
        assert outbox.send_notification(sms.id) == "not claimed"
        assert outbox.send_notification(mail.id) == "sent"
    with travel_to(
        at(
            2026,
            11,
            24,
            8,
            0,
        )
    ):
        assert outbox.sweep() >= 1
        assert outbox.send_notification(sms.id) == "sent"


def test_several_updates_within_ten_minutes_make_one_sms(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    agent = shop["agent"]
    with travel_to(
        at(
            2026,
            11,
            23,
            10,
            0,
        )
    ):
        outbox.send_notification(rows(case.id, channel="sms")[0].id)  # the confirmation goes out at once
    for minute, action in (
        (2, lambda c: cases.accept(c, agent)),
        (4, lambda c: cases.verify(c, agent, "merchant", "裂纹在出厂封条下")),
        (6, lambda c: cases.propose(c, agent, "exchange")),
    ):
        with travel_to(at(2026, 11, 23, 10, minute)), tenant_context(case.tenant_id):
            action(db.session.get(Case, case.id))
            db.session.commit()
    pending = [n for n in rows(case.id, channel="sms") if n.status == "pending"]
    superseded = [n for n in rows(case.id, channel="sms") if n.status == "superseded"]
    assert len(pending) == 1 and len(superseded) == 2
    assert pending[0].next_attempt_at == at(2026, 11, 23, 10, 10)  # ten minutes after the last SMS
    assert "exchange" in pending[0].params["message"] or "换货" in pending[0].params["message"]
    assert len(rows(case.id, channel="email")) == 4  # email is never held back


def test_provider_500_twice_then_ok_is_delivered_on_attempt_3(app, shop, monkeypatch):
    case = file(shop, at(2026, 11, 23, 10, 0), email="")
    n = rows(case.id, channel="sms")[0]
    outcomes = iter([Retryable("500", code="http_500"), Retryable("500", code="http_500"), None])

    class Flaky:
        can_lookup = False

        def send(self, msg):
            exc = next(outcomes)
            if exc:
                raise exc
            from workers.providers import SendResult

            return SendResult("ok-3")

    monkeypatch.setattr(sending, "sms_gateway", lambda: Flaky())
    now = at(2026, 11, 23, 10, 0)
    results = []
    for _ in range(3):
        with travel_to(now):
            results.append(outbox.send_notification(n.id))
        now += timedelta(hours=1)
    assert results == ["retry", "retry", "sent"]
    final = rows(case.id, channel="sms")[0]
    assert final.attempts == 3 and final.provider_message_id == "ok-3"


def test_invalid_number_is_dead_after_one_attempt_and_suppressed(app, shop, monkeypatch):
    case = file(shop, at(2026, 11, 23, 10, 0), email="")
    n = rows(case.id, channel="sms")[0]
    calls = []

    class Refusing:
        can_lookup = False

        def send(self, msg):
            calls.append(msg)
            raise Permanent("invalid number", code="invalid_number")

    monkeypatch.setattr(sending, "sms_gateway", lambda: Refusing())
    with travel_to(at(2026, 11, 23, 10, 1)):
        assert outbox.send_notification(n.id) == "dead"
        assert outbox.sweep() == 0
        assert outbox.send_notification(n.id) == "not claimed"
    assert len(calls) == 1
    dead = rows(case.id, channel="sms")[0]
    assert dead.status == "dead" and dead.attempts == 1 and dead.error_code == "invalid_number"
    with cross_tenant("test"):
        assert db.session.scalar(select(ContactSuppression.address)) == "13722223333"
    # Later events do not text a suppressed number.
    with travel_to(at(2026, 11, 23, 11, 0)), tenant_context(case.tenant_id):
        cases.accept(db.session.get(Case, case.id), shop["agent"])
        db.session.commit()
    assert len(rows(case.id, channel="sms")) == 1
    client = app.test_client()
    login(client, "owner@notify.example.com")
    page = client.get("/notify-shop/console/notifications").get_data(as_text=True)
    # The reason in words, not the provider's code.
    assert "这不是有效的手机号码" in page and "invalid_number" not in page and "重新发送" in page


def test_send_again_reuses_the_key(app, smtp, shop, monkeypatch):
    case = file(shop, at(2026, 11, 23, 10, 0), mobile="")
    n = rows(case.id, channel="email")[0]
    with cross_tenant("test"):
        row = db.session.get(Notification, n.id)
        row.status, row.error_code = "dead", "hard_bounce"
        db.session.commit()
    client = app.test_client()
    login(client, "owner@notify.example.com")
    r = post_form(
        client, f"/notify-shop/console/notifications/{n.id}/resend", {}, form_url="/notify-shop/console/notifications"
    )
    assert r.status_code == 302
    run_worker(app)
    again = rows(case.id, channel="email")
    assert len(again) == 1 and again[0].status == "sent" and again[0].idempotency_key == n.idempotency_key
    assert smtp.messages[-1]["Message-ID"].startswith(f"<n{n.id}@")


def test_a_bad_merchant_template_is_refused_not_sent(app, smtp, shop):
    from saas.models.notification import MessageTemplate
    from saas.services import message_templates

    with tenant_context(shop["tenant"].id):
        with pytest.raises(message_templates.TemplateError):
            message_templates.save_override(shop["tenant"], "accepted", "sms", "zh_Hans", "", "{shop} {oops}")
        db.session.add(
            MessageTemplate(
                tenant_id=shop["tenant"].id,
                key="submitted",
                channel="sms",
                locale="zh_Hans",
                subject="",
                body="【{shop}】{unknown}",
            )
        )
        db.session.commit()
    case = file(shop, at(2026, 11, 23, 10, 0), email="")
    with travel_to(at(2026, 11, 23, 10, 0)):
        assert outbox.send_notification(rows(case.id, channel="sms")[0].id) == "dead"
    assert rows(case.id, channel="sms")[0].error_code == "template"


def test_dev_inbox_page_only_in_development(app, smtp, shop, monkeypatch):
    case = file(shop, at(2026, 11, 23, 10, 0))
    with travel_to(at(2026, 11, 23, 10, 0)):
        outbox.send_notification(rows(case.id, channel="sms")[0].id)
    assert "13722223333" in app.test_client().get("/dev/inbox").get_data(as_text=True)
    assert "13722223333" in app.test_client().get("/dev/inbox", environ_base={"REMOTE_ADDR": "::1"}).get_data(
        as_text=True
    )
    for outside in ("192.168.1.20", "203.0.113.9", "2001:db8::1", ""):  # not this machine: as if it did not exist
        assert app.test_client().get("/dev/inbox", environ_base={"REMOTE_ADDR": outside}).status_code == 404
    monkeypatch.setitem(app.config, "DEV_INBOX", False)
    assert app.test_client().get("/dev/inbox").status_code == 404


# ------------------------------------------------------------------ surveys


def resolve(shop, case, when):
    agent = shop["agent"]
    with travel_to(when), tenant_context(case.tenant_id):
        c = db.session.get(Case, case.id)
        cases.accept(c, agent)
        cases.verify(c, agent, "merchant", "确认质量问题")
        cases.propose(c, agent, "exchange")
        cases.execute(c, agent, tracking="SF1")
        db.session.commit()
        return db.session.scalar(select(Survey).where(Survey.case_id == case.id))


def test_survey_is_invited_three_working_days_after_resolution_once(app, shop):
    case = file(shop, at(2026, 9, 29, 10, 0))
    survey = resolve(shop, case, at(2026, 9, 30, 10, 0))  # the day before the National Day holiday
    # National Day 10-01..10-07 is off; 10-08, 10-09 and Saturday 10-10 (调休) are the three working days.
    assert survey.due_at == at(2026, 10, 10, 10, 0)
    with travel_to(at(2026, 10, 10, 9, 59)):
        assert surveys.sweep() == 0
    for _ in range(3):
        with travel_to(at(2026, 10, 10, 10, 1)):
            surveys.sweep()
    invitations = [n for n in rows(case.id) if n.template_key == "survey_invitation"]
    assert len(invitations) == 2 and {n.channel for n in invitations} == {"sms", "email"}
    assert f"/s/{survey.token}" in invitations[0].params["link"]


def test_reopening_cancels_a_pending_invitation(app, shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    resolve(shop, case, at(2026, 11, 23, 11, 0))
    with travel_to(at(2026, 11, 24, 10, 0)), tenant_context(case.tenant_id):
        cases.reopen(db.session.get(Case, case.id), shop["agent"], "客户反馈换货仍有问题")
        db.session.commit()
    with travel_to(at(2026, 12, 1, 10, 0)):
        surveys.sweep()
    assert not [n for n in rows(case.id) if n.template_key == "survey_invitation"]


def test_answering_needs_a_confirm_step_and_low_scores_raise_a_follow_up(app, shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    survey = resolve(shop, case, at(2026, 11, 23, 11, 0))
    with travel_to(at(2026, 11, 26, 12, 0)):
        surveys.sweep()
    client = app.test_client()
    url = f"/s/{survey.token}"
    assert client.get(url).status_code == 200  # a link scanner's GET records nothing
    token = csrf_token(client, url)
    first = post_form(client, url, {"score": "2", "comment": "换货太慢"})
    assert first.status_code == 200 and 'name="confirm"' in first.get_data(as_text=True)
    with cross_tenant("test"):
        assert db.session.get(Survey, survey.id).status == "invited"
    done = post_form(client, url, {"score": "2", "comment": "换货太慢", "confirm": "yes"})
    assert done.status_code == 200
    with cross_tenant("test"):
        answered = db.session.get(Survey, survey.id)
        assert answered.status == "answered" and answered.score == 2
        task = db.session.scalar(select(FollowUpTask).where(FollowUpTask.case_id == case.id))
        assert task is not None and task.reason == "换货太慢"
        assert surveys.satisfaction(case.tenant_id) == 40.0
    again = client.post(url, data={"score": "5", "confirm": "yes", "csrf_token": token})
    assert "already" in again.get_data(as_text=True) or "已经" in again.get_data(as_text=True)
    with cross_tenant("test"):
        assert db.session.get(Survey, survey.id).score == 2
    assert client.get("/s/not-a-real-token").status_code == 404


def test_expired_link_and_opt_out(app, shop):
    case = file(shop, at(2026, 11, 23, 10, 0))
    survey = resolve(shop, case, at(2026, 11, 23, 11, 0))
    with travel_to(at(2026, 11, 26, 12, 0)):
        surveys.sweep()
    client = app.test_client()
    with travel_to(at(2027, 1, 10, 12, 0)):
        assert client.get(f"/s/{survey.token}").status_code == 410
    other = file(shop, at(2026, 11, 23, 10, 0), order_number="N-2")
    s2 = resolve(shop, other, at(2026, 11, 23, 11, 0))
    with travel_to(at(2026, 11, 26, 12, 0)):
        surveys.sweep()
    page = client.get(f"/s/{s2.token}")
    assert page.status_code == 200, page.get_data(as_text=True)[-800:]
    r = post_form(client, f"/s/{s2.token}/opt-out", {}, form_url=f"/s/{s2.token}")
    assert r.status_code == 200
    # The same customer's next resolved case gets no survey.
    third = file(shop, at(2026, 11, 27, 10, 0), order_number="N-3")
    assert resolve(shop, third, at(2026, 11, 27, 11, 0)) is None


def test_the_sweeper_does_not_wake_a_row_already_queued(app, shop):
    from saas.queues import get_queue

    case = file(shop, at(2026, 11, 23, 10, 0))
    with app.app_context():
        queued = get_queue("notifications").count
        assert queued == len(rows(case.id))
        assert outbox.sweep() == 0  # the writer's wake-up mark is still set
        assert get_queue("notifications").count == queued
