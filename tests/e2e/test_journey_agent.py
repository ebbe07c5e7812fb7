"""The agent's journey: a consumer files a quality case on a phone; the agent handles it from the queue to
closed; after each step the consumer's page, the SMS and the email carry the step and the agent's own words.

Plumbing, not a person's actions: the clock is held at working hours of the shop (so that no out-of-hours
reply or quiet hours intervene), moved 11 minutes per step (past SMS coalescing), and the notification
jobs are run between steps the way the worker runs them; emails land in a local SMTP sink.
"""

from __future__ import annotations

import re
import socket
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from tests.e2e.journey import (
    SH,
    Journey,
    act_on_case,
    assert_fits,
    assert_no_internal_keys,
    desk_context,
    file_on_phone,
    open_case,
    open_cases,
    phone_context,
    sign_in,
    zh,
)

pytestmark = pytest.mark.e2e

AGENT = "agent@voltmart.demo"
MOBILE = "13911112222"
EMAIL = "li.na@example.com"
RETURN_PARCEL = ("顺丰速运", "SF7700112233")
BASIS = "开箱即无法开机，主板检测为出厂虚焊"
CLAUSE = "第 4.1 条：签收后 15 日内质量问题可换货"
EXPLANATION = "为您更换同型号全新耳机，运费由我方承担"
REPLACEMENT = "SF8800445566"


class Clock:
    """The app's clock (saas.models.base.travel_to), moved by the test between steps."""

    def __init__(self, start: datetime):
        self.now, self._held = start, None
        self.set(start)

    def set(self, at: datetime) -> None:
        from saas.models.base import travel_to

        self.release()
        self.now, self._held = at, travel_to(at)
        self._held.__enter__()

    def advance(self, minutes: int = 11) -> None:
        self.set(self.now + timedelta(minutes=minutes))

    def release(self) -> None:
        if self._held is not None:
            self._held.__exit__(None, None, None)
            self._held = None


def _working_morning(app) -> datetime:
    """10:00 on the shop's next working day (at least a day ahead): inside working hours, outside quiet hours."""
    from sqlalchemy import select

    from saas.extensions import db
    from saas.services.policies import calendar_for
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "voltmart"))
        with tenant_context(tenant.id):
            cal = calendar_for(tenant)
            day = datetime.now(SH).date() + timedelta(days=1)
            while not cal.is_working_time(datetime(day.year, day.month, day.day, 10, 0, tzinfo=SH)):
                day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=SH)


class Sink:
    """A local SMTP server keeping what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import email
        from email.policy import default

        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def texts(self) -> list[str]:
        return [m.get_body(("plain",)).get_content() for m in self.messages]


@contextmanager
def smtp_sink(app):
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(
        MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False, SMS_BACKEND="dev"
    )
    try:
        yield sink
    finally:
        controller.stop()


def deliver(app) -> None:
    """What the worker does on its minute clock: sweep the outbox, run the send jobs."""
    from workers import outbox
    from workers.worker import build_worker

    with app.app_context():
        outbox.sweep()
        build_worker(("notifications",)).work(burst=True)


def test_agent_handles_a_quality_case_from_queue_to_closed(browser, live_server, e2e_app, screenshots):
    from playwright.sync_api import expect

    base, app = live_server, e2e_app
    clock = Clock(_working_morning(app))
    today = clock.now.date()
    phone, desk, phone2, phone3 = (
        phone_context(browser),
        desk_context(browser),
        phone_context(browser),
        phone_context(browser),
    )
    try:
        with smtp_sink(app) as sink:
            consumer, agent, inbox = phone.new_page(), desk.new_page(), desk.new_page()
            j = Journey(screenshots, [consumer, agent, inbox], "agent", total_seconds=75)
            expect.set_options(timeout=10_000)

            # ---- the consumer files a quality case on a phone
            number = file_on_phone(
                consumer,
                base,
                today,
                name="李娜",
                mobile=MOBILE,
                email=EMAIL,
                price="899.00",
                description="降噪耳机开箱后无法开机，充电指示灯不亮。",
            )
            assert_fits(consumer)
            j.shot(consumer, "consumer-filed")
            deliver(app)

            # ---- the agent: sign in, the queue, the new case by its link
            sign_in(agent, base, AGENT)
            open_cases(agent, app)
            expect(agent.locator("table a", has_text=number)).to_be_visible()
            assert_no_internal_keys(agent)
            j.shot(agent, "agent-queue")
            open_case(agent, number)
            expect(agent.locator("h1")).to_have_text(number)
            assert_no_internal_keys(agent)

            def act(action: str, status: str, **fields) -> None:
                clock.advance()
                act_on_case(agent, action, **fields)
                expect(agent.locator("hgroup p")).to_contain_text(zh(app, status))
                expect(agent.locator(".flash.error")).to_have_count(0)
                assert_no_internal_keys(agent)
                j.shot(agent, f"agent-{action}")

            def customer_told(step: str, *words: str) -> None:
                """The consumer's page (reloaded), the SMS and the email of this step all say `words`."""
                deliver(app)
                consumer.reload()
                history = consumer.locator("ul.timeline")
                for w in words:
                    expect(history).to_contain_text(w)
                assert_fits(consumer)
                j.shot(consumer, f"consumer-{step}")
                # The newest SMS sent to the consumer; a send job queued a moment late gets one more turn.
                for attempt in range(3):
                    inbox.goto(f"{base}/dev/inbox")
                    latest = inbox.locator("#sms tbody tr", has_text=MOBILE).first
                    if all(w in latest.inner_text() for w in words) or attempt == 2:
                        break
                    deliver(app)
                for w in words:
                    expect(latest).to_contain_text(w)
                mail = sink.texts()[-1]
                assert all(w in mail for w in words), (step, words, mail)

            act("accept", "Accepted")
            customer_told("accepted", zh(app, "Your after-sales request has been accepted. We are now checking it."))

            # The consumer opens the signed link in the SMS on another phone: the case opens without typing.
            sms = inbox.locator("tbody tr", has_text=MOBILE).first.inner_text()
            link = re.search(r"https?://[^\s]+/voltmart/t/[^\s]+", sms).group(0)
            other = phone2.new_page()
            j.add(other)
            other.goto(re.sub(r"^https?://[^/]+", base, link))
            expect(other.locator("h1")).to_contain_text(number)
            assert_fits(other)
            j.shot(other, "consumer-sms-link")

            # On a third phone the consumer looks the case up by hand from the shop's home page: a slip of
            # the thumb keeps the typed number, only the last 4 digits are typed again.
            typed = phone3.new_page()
            j.add(typed)
            typed.goto(f"{base}/voltmart/")
            typed.get_by_role("button", name=zh(app, "Track my request")).click()
            typed.fill("input[name=number]", number)
            typed.fill("input[name=factor]", "0000")
            typed.locator("form button[type=submit]").click()
            expect(typed.locator("[role=alert]")).to_be_visible()
            expect(typed.locator("input[name=number]")).to_have_value(number)
            expect(typed.locator("input[name=factor]")).to_have_value("")
            typed.fill("input[name=factor]", MOBILE[-4:])
            assert_fits(typed)
            j.shot(typed, "consumer-lookup-kept-number")
            typed.locator("form button[type=submit]").click()
            expect(typed.locator("h1")).to_contain_text(number)

            act("request_return", "Waiting for the return parcel")
            customer_told(
                "return-requested",
                zh(app, "Please send the goods back. The return address and a return slip are on your tracking page."),
            )
            assert_no_internal_keys(agent)

            # ---- the consumer registers the parcel on the tracking page
            consumer.fill("#carrier", RETURN_PARCEL[0])
            consumer.fill("#tracking", RETURN_PARCEL[1])
            consumer.locator("#return button[type=submit]").click()
            expect(consumer.locator(".flash.success")).to_be_visible()
            expect(consumer.locator("ul.timeline")).to_contain_text(RETURN_PARCEL[1])
            j.shot(consumer, "consumer-parcel-registered")
            agent.reload()
            expect(agent.locator("main")).to_contain_text(RETURN_PARCEL[1])

            act("mark_return_received", "Return received")
            customer_told("return-received", zh(app, "Your return has been received and is being inspected."))
            act("mark_inspected", "Inspected")
            customer_told("inspected", zh(app, "Your returned goods have been inspected."))
            # Received and inspected: asking for the goods back makes no sense any more.
            expect(agent.locator("form.action[action$='/actions/request_return']")).to_have_count(0)

            act(
                "verify",
                "Checked",
                responsibility="merchant",
                reason_code="quality.function",
                basis=BASIS,
                clause=CLAUSE,
            )
            customer_told(
                "verified", zh(app, "We have checked your case: the problem is our responsibility."), BASIS, CLAUSE
            )
            expect(agent.locator("form.action[action$='/actions/request_return']")).to_have_count(0)

            act("propose", "Proposal made", kind="exchange", detail=EXPLANATION)
            customer_told("proposed", zh(app, "Our proposal: an exchange for a replacement."), EXPLANATION)
            expect(agent.locator("main")).to_contain_text(EXPLANATION)  # the merchant's page shows it too

            act("execute", "Resolved", tracking=REPLACEMENT)
            customer_told(
                "executed",
                zh(app, "Your replacement has been shipped, tracking number %(tracking)s.", tracking=REPLACEMENT),
            )

            act("close", "Closed")
            customer_told("closed", zh(app, "Your case is closed. Thank you for your patience."))
            nodes = consumer.locator("ol.nodes li.node")
            assert [nodes.nth(i).get_attribute("class") for i in range(4)] == ["node done"] * 4
            j.shot(inbox, "dev-inbox")
    finally:
        clock.release()
        phone.close()
        desk.close()
        phone2.close()
        phone3.close()
