"""Limits a person meets in the browser: a delivery date in year 9999 is refused in words, a mobile typed in
full-width digits is taken as its 11 digits, a staff message stops at 500 characters (what an SMS can carry),
and nothing is left half-written."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest

from tests.e2e.journey import Journey, assert_fits, desk_context, phone_context, sign_in

pytestmark = pytest.mark.e2e


def test_a_consumer_and_an_agent_meet_the_limits_in_words(browser, live_server, screenshots):
    from playwright.sync_api import expect

    base, today = live_server, date.today()
    phone, desk = phone_context(browser), desk_context(browser)
    try:
        consumer, agent = phone.new_page(), desk.new_page()
        j = Journey(screenshots, [consumer, agent], "limits")
        expect.set_options(timeout=15_000)

        # ---- the consumer, from the shop's intake link, types a delivery date far in the future
        consumer.goto(f"{base}/voltmart/cases/new")
        delivery = consumer.locator("#delivery_date")
        assert delivery.get_attribute("max") >= today.isoformat()
        assert consumer.locator("#description").get_attribute("maxlength") == "2000"
        consumer.fill("#order_number", f"JD{int(time.time())}")
        consumer.fill("#customer_name", "李雷")
        # typed with a Chinese IME: full-width digits and spaces (saas.phones folds them)
        consumer.fill("#mobile", "１３８ １２３４ ５６７８")
        assert consumer.locator("#mobile").get_attribute("maxlength") == "64"
        consumer.select_option("#purchase_channel", "jd")
        consumer.fill("#purchase_date", (today - timedelta(days=5)).isoformat())
        consumer.fill("#delivery_date", "9999-12-31")
        consumer.select_option("#category", "electronics")
        consumer.select_option("#problem_type", "quality")
        consumer.fill("#description", "屏幕有坏点。")
        consumer.select_option("#expected_resolution", "exchange")
        consumer.click("button[name=action][value=check]")
        expect(consumer.locator("form")).to_contain_text("日期不能晚于今天")
        assert "/voltmart/cases/new" in consumer.url  # nothing filed
        assert_fits(consumer)
        j.shot(consumer, "consumer-future-delivery-refused")

        consumer.fill("#delivery_date", (today - timedelta(days=3)).isoformat())
        consumer.click("button[name=action][value=check]")
        consumer.click("button[name=action][value=submit]")
        consumer.wait_for_url(re.compile(r"/voltmart/track/[^/?#]+$"))
        number = consumer.url.rsplit("/", 1)[1]
        expect(consumer.locator("body")).to_contain_text("138****5678")  # stored as the 11 digits
        j.shot(consumer, "consumer-filed")

        # ---- the agent answers with a message that would not fit in an SMS
        sign_in(agent, base, "agent@voltmart.demo")
        agent.goto(f"{base}/voltmart/console/cases")
        agent.locator("table a", has_text=number).click()
        agent.wait_for_url(re.compile(r"/voltmart/console/cases/\d+$"))
        box = agent.locator("form.action[action$='/actions/message'] textarea[name=message]")
        box.press_sequentially("您好，" + "请" * 520, delay=0)
        assert len(box.input_value()) == 500  # the box stops where the server's limit is
        agent.locator("form.action[action$='/actions/message'] button[type=submit]").click()
        expect(agent.locator(".flash.error")).to_have_count(0)
        expect(agent.locator(".flash.success")).to_be_visible()
        j.shot(agent, "agent-message-sent")
    finally:
        phone.close()
        desk.close()
