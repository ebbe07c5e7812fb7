"""Messages that go out later (quiet hours, coalescing) are still true and complete when they do."""

from __future__ import annotations

from sqlalchemy import func, select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.notification import DevSms
from saas.services import case_consumer_steps, cases
from tenants.scoping import tenant_context
from tests.test_notifications import at, file, rows, shop, smtp  # noqa: F401
from workers import outbox


def _do(case_id: int, when, action) -> None:
    with travel_to(when), tenant_context_of(case_id):
        action(db.session.get(Case, case_id))
        db.session.commit()


def tenant_context_of(case_id: int):
    from tenants.scoping import cross_tenant

    with cross_tenant("test"):
        tenant_id = db.session.scalar(select(Case.tenant_id).where(Case.id == case_id))
    return tenant_context(tenant_id)


def _dev_sms_count() -> int:
    return db.session.scalar(select(func.count()).select_from(DevSms))


def _held_auto_reply(case_id: int):
    held = [n for n in rows(case_id, channel="sms") if n.status == "pending"]
    assert len(held) == 1 and held[0].template_key == "auto_reply"
    return held[0]


def test_a_held_auto_reply_is_cancelled_once_the_case_is_closed(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 22, 30), email="")
    held = _held_auto_reply(case.id)
    assert held.next_attempt_at == at(2026, 11, 24, 8, 0)
    agent = shop["agent"]
    # A night-shift agent resolves the case and closes it before the morning.
    _do(case.id, at(2026, 11, 23, 23, 0), lambda c: cases.accept(c, agent))
    _do(case.id, at(2026, 11, 23, 23, 1), lambda c: cases.propose(c, agent, "explanation", detail="请重启设备"))
    _do(case.id, at(2026, 11, 23, 23, 2), lambda c: cases.execute(c, agent))
    _do(case.id, at(2026, 11, 23, 23, 3), lambda c: cases.close(c, agent))
    before = _dev_sms_count()
    with travel_to(at(2026, 11, 24, 8, 0)):
        assert outbox.send_notification(held.id) == "cancelled"
    assert _dev_sms_count() == before
    assert [n.status for n in rows(case.id) if n.id == held.id] == ["cancelled"]


def test_a_held_auto_reply_is_cancelled_once_staff_answered(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 22, 30), email="")
    held = _held_auto_reply(case.id)
    _do(case.id, at(2026, 11, 23, 23, 0), lambda c: cases.message_customer(c, shop["agent"], "已收到，明早为您处理"))
    with travel_to(at(2026, 11, 24, 8, 0)):
        assert outbox.send_notification(held.id) == "cancelled"


def test_a_held_auto_reply_still_goes_out_while_it_is_true(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 22, 30), email="")
    held = _held_auto_reply(case.id)
    before = _dev_sms_count()
    with travel_to(at(2026, 11, 24, 8, 0)):
        assert outbox.send_notification(held.id) == "sent"
    assert _dev_sms_count() == before + 1


def test_an_answered_request_for_information_is_not_sent_later(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 10, 0), email="")
    agent = shop["agent"]
    with travel_to(at(2026, 11, 23, 10, 0)):
        outbox.send_notification(rows(case.id, channel="sms")[0].id)  # the confirmation goes out at once
    _do(case.id, at(2026, 11, 23, 10, 2), lambda c: cases.accept(c, agent))
    _do(case.id, at(2026, 11, 23, 10, 3), lambda c: cases.request_info(c, agent, "请拍序列号"))
    _do(case.id, at(2026, 11, 23, 10, 5), lambda c: case_consumer_steps.consumer_message(c, "序列号 SN123"))
    held = [n for n in rows(case.id, channel="sms") if n.status == "pending"]
    assert len(held) == 1 and held[0].template_key == "info_requested"
    with travel_to(at(2026, 11, 23, 10, 10)):
        assert outbox.send_notification(held[0].id) == "cancelled"


def test_a_coalesced_sms_keeps_the_refund_amount(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 10, 0), email="")
    agent = shop["agent"]
    with travel_to(at(2026, 11, 23, 10, 0)):
        outbox.send_notification(rows(case.id, channel="sms")[0].id)
    _do(case.id, at(2026, 11, 23, 10, 1), lambda c: cases.accept(c, agent))
    _do(case.id, at(2026, 11, 23, 10, 2), lambda c: cases.propose(c, agent, "refund", amount="1299.00"))
    _do(case.id, at(2026, 11, 23, 10, 3), lambda c: cases.execute(c, agent))
    _do(case.id, at(2026, 11, 23, 10, 4), lambda c: cases.close(c, agent))
    pending = [n for n in rows(case.id, channel="sms") if n.status == "pending"]
    assert len(pending) == 1
    before = _dev_sms_count()
    with travel_to(at(2026, 11, 23, 10, 10)):
        assert outbox.send_notification(pending[0].id) == "sent"
    text = db.session.scalars(select(DevSms).order_by(DevSms.id)).all()[before].text
    assert text.count("1299.00") == 2, text  # proposed and paid
    assert "退款" in text and "结案" in text, text


def test_a_coalesced_sms_keeps_the_tracking_number(app, smtp, shop):
    case = file(shop, at(2026, 11, 23, 10, 0), email="", locale="en")
    agent = shop["agent"]
    with travel_to(at(2026, 11, 23, 10, 0)):
        outbox.send_notification(rows(case.id, channel="sms")[0].id)
    _do(case.id, at(2026, 11, 23, 10, 1), lambda c: cases.accept(c, agent))
    _do(case.id, at(2026, 11, 23, 10, 2), lambda c: cases.propose(c, agent, "exchange"))
    _do(case.id, at(2026, 11, 23, 10, 3), lambda c: cases.execute(c, agent, tracking="SF998877"))
    _do(case.id, at(2026, 11, 23, 10, 4), lambda c: cases.close(c, agent))
    pending = [n for n in rows(case.id, channel="sms") if n.status == "pending"]
    assert len(pending) == 1
    message = pending[0].params["message"]
    assert "SF998877" in message and "closed" in message and "accepted" in message, message
