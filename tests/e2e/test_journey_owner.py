"""A shop owner changes the after-sales policy and a message template; customers see both.

Kidswear's owner, on a desktop in Chinese: console → policy → edit the draft
(one window changed) → preview (the category rules are all still there) →
a category rule left partly at "same as shop-wide" → publish → the public
page shows the change → the templates console: the "request received" email
gets the shop's own words → a consumer files a case on a phone → the email the
worker sends uses those words.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time
from datetime import date, timedelta

import pytest

from tests.e2e.journey import Journey, assert_fits, assert_no_internal_keys, desk_context, phone_context, sign_in

pytestmark = pytest.mark.e2e

OWNER = "owner@kidswear.demo"
CUSTOMER_EMAIL = "mama.li@example.com"
OWN_WORDS = "童趣衣橱已收到您的申请，小衣橱管家会在一个工作日内联系您。"


class Inbox:
    """The SMTP peer the worker delivers to: every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_inbox(e2e_app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    e2e_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_TLS=False, MAIL_USE_SSL=False)
    try:
        yield inbox
    finally:
        controller.stop()


def _text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_owner_changes_policy_and_template_customers_see_both(browser, live_server, e2e_app, screenshots, smtp_inbox):
    from playwright.sync_api import expect

    base = live_server
    desk, phone = desk_context(browser), phone_context(browser)
    try:
        owner = desk.new_page()
        owner.on("dialog", lambda dialog: dialog.accept())  # "Publish?" and the like: the owner says yes
        j = Journey(screenshots, [owner], "owner")
        expect.set_options(timeout=5_000)

        def staff_page(step: str) -> None:
            assert_no_internal_keys(owner)
            j.shot(owner, step)

        # ---- sign in, open the policy from the console menu, edit the draft
        sign_in(owner, base, OWNER)
        staff_page("console")
        owner.click("nav a[href$='/kidswear/console/policy/']")
        expect(owner.locator("h1")).to_have_text("售后服务政策")
        staff_page("policy")
        owner.click("a[href$='/console/policy/draft']")
        exchange = owner.locator("#t-quality_exchange_days")
        expect(exchange).to_have_value("15")
        staff_page("draft-editor")
        exchange.fill("20")
        owner.click("main form button[type=submit]")
        expect(owner.locator(".flash.success")).to_contain_text("草稿已保存")
        staff_page("draft-saved")

        # ---- the preview: the changed window, and every category rule still there
        owner.click("a[href$='/console/policy/draft/preview']")
        preview = owner.locator("main")
        expect(preview).to_contain_text("20 天内可换货")
        rows = owner.locator("tr", has_text="童装")
        expect(rows.first).to_contain_text("30 天")
        expect(owner.locator("tr", has_text="定制商品").first).to_contain_text("不支持")
        expect(preview).to_contain_text("消费者定作的商品")
        staff_page("preview")
        owner.go_back()

        # ---- a category rule, most fields left at "same as shop-wide"
        owner.click("a[href$='/draft/categories/childrens_clothing']")
        payer = owner.locator("#t-return_shipping_payer")
        expect(payer.locator("option:checked")).to_have_text(
            "沿用全店条款（质量问题由商家承担运费，无理由退货由买家承担）"
        )
        expect(owner.locator("#t-no_reason_return_days")).to_have_value("30")
        staff_page("category-rule")
        owner.fill("#t-quality_return_days", "10")
        owner.click("main form button[type=submit]")
        expect(owner.locator(".flash.success")).to_contain_text("类目规则已保存")
        staff_page("category-saved")

        # ---- publish (the page offers today as the effective date) and open the public page from its link
        expect(owner.locator("input[name=effective_date]")).not_to_have_value("")
        owner.click("form[action$='/console/policy/publish'] button[type=submit]")
        expect(owner.locator(".flash.success")).to_contain_text("第 2 版已发布")
        staff_page("published")
        owner.click("main a[href$='/kidswear/policy']")
        public = owner.locator("main")
        expect(public).to_contain_text("第 2 版")
        expect(public).to_contain_text("20 天内可换货")
        expect(owner.locator("tr", has_text="童装").first).to_contain_text("10 天")
        expect(owner.locator("tr", has_text="定制商品").first).to_contain_text("不支持")
        j.shot(owner, "public-policy")
        owner.go_back()

        # ---- the templates console: the email a customer gets when a request arrives, in the shop's words
        owner.click("nav a[href$='/kidswear/console/templates']")
        staff_page("templates")
        owner.click("td[data-template='submitted/email/zh_Hans'] a")
        body = owner.locator("#t-body")
        expect(body).to_contain_text("{message}")
        staff_page("template-editor")
        body.fill("{customer}，您好：\n\n" + OWN_WORDS + "\n\n{message}\n\n查看进度：{link}\n\n{shop}")
        owner.click("button[name=action][value=save]")
        expect(owner.locator(".flash.success")).to_be_visible()
        expect(owner.locator("#template-state .badge")).to_be_visible()
        expect(owner.locator("#preview-text")).to_contain_text(OWN_WORDS)
        staff_page("template-saved")

        # ---- a mother files a return on her phone, with her email as the contact
        consumer = phone.new_page()
        j.add(consumer)
        today = date.today()
        consumer.goto(f"{base}/kidswear/cases/new")
        consumer.fill("#order_number", f"TB{int(time.time())}")
        consumer.fill("#customer_name", "李女士")
        consumer.fill("#email", CUSTOMER_EMAIL)
        consumer.select_option("#purchase_channel", "taobao")
        consumer.fill("#purchase_date", (today - timedelta(days=12)).isoformat())
        consumer.fill("#delivery_date", (today - timedelta(days=10)).isoformat())
        consumer.select_option("#category", "childrens_clothing")
        consumer.fill("#item_price", "129.00")
        consumer.select_option("#problem_type", "return_exchange")
        consumer.fill("#description", "尺码偏小，孩子穿不上，想换大一码。")
        consumer.select_option("#expected_resolution", "exchange")
        consumer.click("button[name=action][value=check]")
        expect(consumer.locator("#eligibility li").first).to_be_visible()
        assert_fits(consumer)
        j.shot(consumer, "consumer-eligibility")
        consumer.click("button[name=action][value=submit]")
        consumer.wait_for_url(re.compile(r"/kidswear/track/[^/?#]+$"))
        number = consumer.url.rsplit("/", 1)[1]
        j.shot(consumer, "consumer-filed")

        # ---- the worker sends what the outbox holds; the email carries the owner's words
        with e2e_app.app_context():  # as `flask worker` runs it
            result = e2e_app.test_cli_runner().invoke(args=["worker", "--burst", "--no-scheduler"])
        assert result.exit_code == 0, result.output
        # Outside working hours an automatic reply comes too; the request's own email is the one edited.
        sent = [
            m for m in smtp_inbox.messages if CUSTOMER_EMAIL in str(m["To"]) and "售后申请已提交" in str(m["Subject"])
        ]
        assert len(sent) == 1, [str(m["Subject"]) for m in smtp_inbox.messages]
        text = _text_of(sent[0])
        assert OWN_WORDS in text and "李女士，您好" in text and number in str(sent[0]["Subject"]) + text
        j.bound()
    finally:
        phone.close()
        desk.close()
