"""A shop owner makes a promise in calendar hours; customers read it so on their phones.

Tianshang's owner, on a desktop in Chinese: console → policy → edit the draft → the written
consultation clock switched from working time to calendar time → save → the version page of
the draft's preview says so → publish → a customer on a 390 px phone opens the shop's page,
then its policy from the link, and reads "2 小时内（自然时间）"; the same in English.
"""

from __future__ import annotations

import pytest

from tests.e2e.journey import Journey, assert_fits, assert_no_internal_keys, desk_context, phone_context, sign_in

pytestmark = pytest.mark.e2e

OWNER = "owner@tianshang.demo"


def test_owner_switches_a_clock_to_calendar_time_and_customers_see_it(browser, live_server, screenshots):
    from playwright.sync_api import expect

    base = live_server
    desk, phone = desk_context(browser), phone_context(browser)
    try:
        owner = desk.new_page()
        owner.on("dialog", lambda dialog: dialog.accept())
        j = Journey(screenshots, [owner], "clock-units")
        expect.set_options(timeout=5_000)

        # ---- console → policy → the draft editor; the clocks and their units side by side
        sign_in(owner, base, OWNER)
        owner.click("nav a[href$='/tianshang/console/policy/']")
        expect(owner.locator("h1")).to_have_text("售后服务政策")
        owner.click("a[href$='/console/policy/draft']")
        unit = owner.locator("#t-consultation_unit")
        expect(unit.locator("option:checked")).to_have_text("工作时间")
        expect(owner.locator("#t-quality_proposal_unit option:checked")).to_have_text("自然时间")
        expect(owner.locator("#clock-units-help")).to_contain_text("自然时间")
        owner.locator("#t-consultation_written_hours").scroll_into_view_if_needed()
        assert_no_internal_keys(owner)
        j.shot(owner, "editor")

        # ---- a mistake first: no unit-less nonsense, a zero is refused in words and nothing is kept
        owner.fill("#t-consultation_written_hours", "0")
        unit.select_option(label="自然时间")
        owner.click("main form button[type=submit]")
        expect(owner.locator(".flash.error")).to_be_visible()
        expect(owner.locator("main")).to_contain_text("书面咨询答复时限（小时）」须为正数")
        expect(owner.locator("#t-consultation_unit option:checked")).to_have_text("自然时间")
        owner.locator("#t-consultation_written_hours").scroll_into_view_if_needed()
        j.shot(owner, "refused")
        owner.fill("#t-consultation_written_hours", "2")
        owner.click("main form button[type=submit]")
        expect(owner.locator(".flash.success")).to_contain_text("草稿已保存")
        j.shot(owner, "saved")

        # ---- publish today's draft, then the version page shows the change in words
        owner.click("form[action$='/console/policy/publish'] button[type=submit]")
        expect(owner.locator(".flash.success")).to_contain_text("版已发布")
        owner.locator("main table a").first.click()
        expect(owner.locator("main")).to_contain_text("书面咨询计时方式")
        assert_no_internal_keys(owner)
        j.shot(owner, "version-diff")

        # ---- a customer on a phone: the shop's page → its policy
        customer = phone.new_page()
        j.add(customer)
        customer.goto(f"{base}/tianshang/")
        customer.click("main a[href$='/tianshang/policy']")
        promise = customer.locator("#service-levels")
        expect(promise).to_contain_text("书面咨询：2 小时内（自然时间）答复")
        expect(promise).to_contain_text("24 小时内（自然时间）给出处理方案")
        expect(promise).to_contain_text("10 个工作分钟内")
        expect(promise).to_contain_text("收到退货后 3 个工作日内处理完毕")
        expect(customer.locator("#time-units")).to_contain_text("标有“自然时间”的时限和自然日按实际经过的时间计算")
        assert_fits(customer)
        promise.scroll_into_view_if_needed()
        j.shot(customer, "public-zh")
        customer.click(".lang-switch a:not([aria-current])")
        expect(customer.locator("#service-levels")).to_contain_text("written questions: within 2 hours (calendar time)")
        expect(customer.locator("#service-levels")).to_contain_text("within 10 working minutes")
        assert_fits(customer)
        customer.locator("#service-levels").scroll_into_view_if_needed()
        j.shot(customer, "public-en")
        j.bound()
    finally:
        phone.close()
        desk.close()
