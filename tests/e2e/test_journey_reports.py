"""A shop owner reads the week's numbers: console → 报表 → KPIs and charts → last week → a range → CSV.

VoltMart's owner, on a desktop in Chinese. The shop's cases of this week and last
week are filed beforehand through the services, at fixed times of those weeks.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.journey import Journey, assert_no_internal_keys, desk_context, order_on, past_case, sign_in, voltmart

pytestmark = pytest.mark.e2e

OWNER = "owner@voltmart.demo"
SKUS = [("EB-1", "无线耳机"), ("PB-2", "充电宝")]
PROBLEMS = ["包装破损，耳机盒子压扁了", "收到后无法开机，充电也没反应", "包装破损，外壳有划痕", "无法开机，指示灯不亮"]


@pytest.fixture
def voltmart_cases(e2e_app):
    """Cases of last week and this week at VoltMart, two of them with the same problem on one SKU."""
    from tenants.clock import shop_today

    with voltmart(e2e_app) as (tenant, agent):
        today = shop_today(tenant)
        monday = today - timedelta(days=today.weekday())
        days = [monday - timedelta(days=7) + timedelta(days=i) for i in (0, 1, 2, 3)] + [monday]
        if today > monday:
            days.append(monday + timedelta(days=1) if today.weekday() >= 1 else monday)
        for n, day in enumerate(days):
            low = n % 2 == 0
            # Last week's cases are resolved and rated; this week's are still open.
            rating = (
                ("已为您远程排查", 2 if low else 5, "包装太差，耳机盒子破了" if low else "") if day < monday else None
            )
            words = PROBLEMS[n % len(PROBLEMS)]
            past_case(tenant, agent, n, day, f"JD-7{n:03d}", SKUS[n % 2], words, 4 + 4 * n, rating)
        # What else sold last week, without a case: the per-product return/exchange rate's denominator.
        for n in range(6):
            bought = monday - timedelta(days=7 - n)
            order_on(tenant, f"JD-8{n:03d}", *SKUS[n % 2], bought, buyer=("李雷", "13900002222"))
    return True


def test_owner_reads_the_reports(browser, live_server, voltmart_cases, screenshots):
    ctx = desk_context(browser)
    page = ctx.new_page()
    journey = Journey(screenshots, [page], "reports")
    try:
        sign_in(page, live_server, OWNER)
        page.goto(f"{live_server}/voltmart/console/")
        page.get_by_role("link", name="报表", exact=True).click()
        page.wait_for_selector("#kpi-first-response")
        assert "首次响应" in page.inner_text("#kpi-first-response")
        assert page.locator("svg.chart").count() >= 3
        assert page.locator("svg.chart title").first.text_content()
        assert_no_internal_keys(page)
        journey.shot(page, "this-week")

        page.get_by_role("link", name="上周", exact=True).click()
        page.wait_for_url("**period=last_week**")
        assert page.get_attribute(".report-periods a[aria-current]", "href").endswith("period=last_week")
        problems = page.inner_text("#top-problems")
        assert "包装破损" in problems and "EB-1" in problems
        assert "满意度" in page.inner_text("#kpi-satisfaction") and "4 份评价" in page.inner_text("#kpi-satisfaction")
        assert "70.0" in page.inner_text("#kpi-satisfaction")  # 2, 5, 2, 5 stars: 3.5 × 20
        assert "包装太差" in page.inner_text("#low-scores")
        assert_no_internal_keys(page)
        journey.shot(page, "last-week")

        # A range typed the wrong way round: a clear message, the form still there.
        page.fill("#range-from", "2026-12-31")
        page.fill("#range-to", "2026-01-01")
        page.click("#custom-range button[type=submit]")
        page.wait_for_selector("#range-error")
        assert "开始日期不能晚于结束日期" in page.inner_text("#range-error")
        journey.shot(page, "bad-range")

        first_day = (date.today() - timedelta(days=30)).isoformat()
        page.fill("#range-from", first_day)
        page.fill("#range-to", date.today().isoformat())
        page.click("#custom-range button[type=submit]")
        page.wait_for_selector("#kpi-resolution")
        assert first_day in page.inner_text("#period-shown")
        assert_no_internal_keys(page)
        journey.shot(page, "custom-range")

        with page.expect_download() as download_info:
            page.click("#download-csv")
        data = open(download_info.value.path(), "rb").read()
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8-sig")
        assert text.splitlines()[0].startswith("案件,")
        assert len(text.strip().splitlines()) >= 1 + 5

        page.get_by_role("link", name="English", exact=True).click()
        page.wait_for_selector("text=First response within 10 working minutes")
        assert "Top problems in the customers' words" in page.inner_text("main")
        assert_no_internal_keys(page)
        journey.shot(page, "english")
    finally:
        ctx.close()
