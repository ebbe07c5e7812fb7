"""Strangers cannot lock anyone out: the owner of an account under attack signs in with the e-mailed link,
and a consumer opens their case from the link in an SMS after strangers used up the number's lookups.

The app runs behind one trusted proxy (TRUSTED_PROXY_COUNT=1), so each stranger's browser comes from its own
client address (X-Forwarded-For), as it would through the production proxy. The sign-in mail goes through
the RQ worker to a real SMTP peer; the SMS lands in the development inbox.
"""

from __future__ import annotations

import email
import re
import socket
from datetime import date, datetime, timedelta
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_config
from tests.e2e.journey import PASSWORD, Journey, assert_fits, desk_context, phone_context

pytestmark = pytest.mark.e2e

OWNER = "owner@voltmart.demo"
MOBILE = "13812348888"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def e2e_app(databases, redis_url, mailbox):
    """The demo shops behind one trusted proxy, mailing to the test's SMTP peer (overrides conftest's)."""
    from saas import create_app
    from saas.extensions import db, redis

    app = create_app(
        make_config(
            databases.new("e2e_signin"),
            redis_url,
            TRUSTED_PROXY_COUNT=1,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=mailbox.port,
            SMS_BACKEND="dev",
        )
    )
    with app.app_context():
        db.create_all()
        redis.client.flushdb()  # this run's limits only
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"])
    assert result.exit_code == 0, result.output
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def run_worker(app, at: datetime | None = None) -> None:
    from saas.models.base import travel_to
    from workers import outbox
    from workers.worker import build_worker

    with app.app_context():
        if at is None:
            build_worker().work(burst=True)
        else:
            with travel_to(at):
                outbox.sweep()  # what the minute clock does: wake the rows that are due by then
                build_worker().work(burst=True)


def stranger(browser, ip: str):
    return browser.new_context(locale="zh-CN", extra_http_headers={"X-Forwarded-For": ip})


def test_owner_under_attack_signs_in_by_link(browser, live_server, e2e_app, mailbox, screenshots):
    from playwright.sync_api import expect

    e2e_app.config["PUBLIC_BASE_URL"] = live_server
    base = live_server
    contexts = []
    j = Journey(screenshots, [], "signin", total_seconds=60)
    try:
        # ---- strangers guess the owner's password from four addresses
        for n in range(4):
            ctx = stranger(browser, f"198.51.100.{n + 1}")
            contexts.append(ctx)
            page = ctx.new_page()
            j.add(page)
            for k in range(6):
                page.goto(f"{base}/login")
                page.fill("#email", OWNER)
                page.fill("#password", f"guess-{n}-{k}-2026")
                page.click("form button[type=submit]")
                page.wait_for_load_state()
            expect(page.locator("#signin-paused, .error").first).to_be_visible()
        j.shot(page, "stranger-last-try")

        # ---- the owner, in a fresh browser at their own address: password paused, link offered
        ctx = desk_context(browser)
        contexts.append(ctx)
        owner = ctx.new_page()
        j.add(owner)
        owner.goto(f"{base}/login")
        owner.fill("#email", OWNER)
        owner.fill("#password", PASSWORD)
        owner.click("form button[type=submit]")
        expect(owner.locator("#signin-paused")).to_be_visible()
        expect(owner.locator("#link-email")).to_have_value(OWNER)
        j.shot(owner, "owner-password-paused")
        owner.click("#link-form button[type=submit]")
        expect(owner.locator("#link-sent")).to_be_visible()
        j.shot(owner, "owner-link-sent")

        run_worker(e2e_app)
        assert [m["To"] for m in mailbox.messages] == [OWNER]
        text = mailbox.messages[0].get_body(("plain",)).get_content()
        link = re.search(re.escape(base) + r"/login/link/\S+", text).group(0)

        owner.goto(link)  # from the mail
        expect(owner.locator("main")).to_contain_text(OWNER)
        j.shot(owner, "owner-link-confirm")
        owner.click("main form button[type=submit]")
        owner.wait_for_url(re.compile(r"/voltmart/console/$"))
        j.shot(owner, "owner-signed-in")

        # The link was spent: opening it again signs nobody in.
        other = browser.new_context(locale="zh-CN")
        contexts.append(other)
        again = other.new_page()
        j.add(again)
        again.goto(link)
        expect(again.locator("main form")).to_have_count(0)
        j.shot(again, "link-spent")
    finally:
        for ctx in contexts:
            ctx.close()


def _file_case(app) -> str:
    from sqlalchemy import select

    from saas.extensions import db
    from saas.services import case_intake
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    today = date.today()
    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "voltmart"))
        with tenant_context(tenant.id):
            case = case_intake.file_case(
                tenant,
                case_intake.Intake(
                    order_number=f"JD{today:%y%m%d}77",
                    customer_name="王小明",
                    mobile=MOBILE,
                    email="",
                    purchase_channel="jd",
                    problem_type="quality",
                    description="耳机左耳没有声音。",
                    expected_resolution="exchange",
                    purchase_date=today - timedelta(days=5),
                    delivery_date=today - timedelta(days=3),
                    category="electronics",
                ),
            )
            db.session.commit()
            return case.number


def _sms_link(app, base: str) -> str:
    from sqlalchemy import select

    from saas.extensions import db
    from saas.models.notification import DevSms

    with app.app_context():
        texts = db.session.scalars(select(DevSms.text).where(DevSms.to == MOBILE)).all()
    links = [m.group(0) for t in texts for m in [re.search(re.escape(base) + r"/voltmart/t/\S+", t)] if m]
    assert links, texts
    return links[-1]


def test_consumer_opens_case_from_sms_after_lookups_exhausted(browser, live_server, e2e_app, screenshots):
    from playwright.sync_api import expect

    e2e_app.config["PUBLIC_BASE_URL"] = live_server
    base = live_server
    number = _file_case(e2e_app)
    tomorrow_noon = datetime.combine(
        date.today() + timedelta(days=1), datetime.min.time().replace(hour=12), tzinfo=ZoneInfo("Asia/Shanghai")
    )
    run_worker(e2e_app, at=tomorrow_noon)  # past any SMS quiet hours the case was filed in
    sms_link = _sms_link(e2e_app, base)
    contexts = []
    j = Journey(screenshots, [], "track-link", total_seconds=60)
    try:
        # ---- strangers try the case number with guessed digits until the number's lookups are used up
        for n in range(3):
            ctx = stranger(browser, f"198.51.100.{50 + n}")
            contexts.append(ctx)
            page = ctx.new_page()
            j.add(page)
            for k in range(4):
                page.goto(f"{base}/voltmart/track")
                page.fill("#number", number)
                page.fill("#factor", f"{1000 + 37 * k + n:04d}")
                page.click("main form button[type=submit]")
                page.wait_for_load_state()
        j.shot(page, "stranger-lookups")

        # ---- the consumer on a phone: typing is refused for now …
        ctx = phone_context(browser)
        contexts.append(ctx)
        phone = ctx.new_page()
        j.add(phone)
        phone.goto(f"{base}/voltmart/track")
        phone.fill("#number", number)
        phone.fill("#factor", MOBILE[-4:])
        phone.click("main form button[type=submit]")
        expect(phone.locator("main")).to_contain_text("尝试次数过多")
        j.shot(phone, "consumer-lookup-refused")

        # … but the link in the SMS opens the case
        phone.goto(sms_link)
        phone.wait_for_url(re.compile(r"/voltmart/track/[^/?#]+$"))
        expect(phone.locator("h1")).to_contain_text(number)
        assert_fits(phone)
        j.shot(phone, "consumer-case-from-sms")
    finally:
        for ctx in contexts:
            ctx.close()
