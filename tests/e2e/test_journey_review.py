"""A shop owner runs the Monday review: console → 复盘 → last week's pack → an improvement action against the
top problem → open → done; and the pack as it prints.

VoltMart's owner, on a desktop in Chinese. Last week's cases (the same problem on one SKU, a low score with a
comment) are filed beforehand through the services, at fixed times of that week.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.journey import Journey, assert_no_internal_keys, desk_context, past_case, sign_in, voltmart

pytestmark = pytest.mark.e2e

OWNER = "owner@voltmart.demo"
WORDS = ["包装破损，耳机盒子压扁了", "包装破损，外壳有划痕", "包装破损，盒子湿了", "收到后无法开机"]


@pytest.fixture
def last_week(e2e_app):
    from tenants.clock import shop_today

    with voltmart(e2e_app) as (tenant, agent):
        today = shop_today(tenant)
        monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
        for n, words in enumerate(WORDS):
            low = n == 0
            rating = ("已为您处理", 2 if low else 5, "包装太差，耳机盒子破了" if low else "")
            day, number = monday + timedelta(days=n), f"JD-9{n:03d}"
            past_case(tenant, agent, n, day, number, ("EB-1", "无线耳机"), words, 5 + 10 * n, rating)
    return today


def test_owner_records_an_action_and_closes_it(browser, live_server, last_week, screenshots):
    today = last_week
    ctx = desk_context(browser)
    page = ctx.new_page()
    journey = Journey(screenshots, [page], "review", total_seconds=90)
    try:
        sign_in(page, live_server, OWNER)
        page.goto(f"{live_server}/voltmart/console/")
        page.get_by_role("link", name="复盘", exact=True).click()
        page.wait_for_selector("#top-problems")
        assert page.inner_text("h1") == "每周复盘"
        assert page.get_attribute(".review-periods a[aria-current]", "href").endswith("period=last_week")
        first = page.locator("#top-problems tr.problem-row").first
        assert "包装破损" in first.inner_text() and "无线耳机" in first.inner_text()
        assert "包装太差" in page.inner_text("#low-scores")
        assert "未达标" in page.inner_text("#pack-kpis")  # first responses after 15–35 minutes
        assert "没有未完成的改进措施" in page.inner_text("#pack-actions")
        assert_no_internal_keys(page)
        journey.shot(page, "last-week")

        # An action against the top problem: what, who, by when.
        first.get_by_text("记录改进措施").click()
        form = first.locator("form")
        form.locator("[name=description]").fill("耳机改用加厚纸盒，并在外箱加气泡膜")
        form.locator("[name=owner_id]").select_option(label=form.locator("[name=owner_id] option").nth(1).inner_text())
        form.locator("[name=due_date]").fill((today + timedelta(days=7)).isoformat())
        journey.shot(page, "action-form")
        form.get_by_role("button", name="记录措施").click()
        page.wait_for_selector(".flash.success")
        assert "已记录改进措施" in page.inner_text(".flash.success")
        row = page.locator("#pack-actions tr.open-action")
        assert row.count() == 1
        text = row.first.inner_text()
        assert "耳机改用加厚纸盒" in text and "包装破损" in text and (today + timedelta(days=7)).isoformat() in text
        journey.shot(page, "action-open")

        # The pack as it prints: no navigation, no forms, the figures and the action still there.
        page.emulate_media(media="print")
        assert not page.locator("header.site nav").is_visible()
        assert not page.locator(".review-periods").is_visible()
        assert not page.locator("#pack-actions form").first.is_visible()
        assert page.locator("#pack-kpis").is_visible() and "耳机改用加厚纸盒" in page.inner_text("#pack-actions")
        journey.shot(page, "print")
        page.emulate_media(media="screen")

        # The next pack (this week's page) still carries it until it is done.
        page.get_by_role("link", name="本周", exact=True).click()
        page.wait_for_url("**period=this_week**")
        assert "耳机改用加厚纸盒" in page.inner_text("#pack-actions")
        page.locator("#pack-actions tr.open-action").first.get_by_role("button", name="标记完成").click()
        page.wait_for_selector(".flash.success")
        assert "已标记为完成" in page.inner_text(".flash.success")
        assert page.locator("#pack-actions tr.open-action").count() == 0
        assert "耳机改用加厚纸盒" in page.inner_text("#done-actions")
        assert_no_internal_keys(page)
        journey.shot(page, "action-done")
    finally:
        ctx.close()
