"""A shop owner reads the week's numbers: console → 报表 → KPIs and charts → last week → a range → CSV.

VoltMart's owner, on a desktop in Chinese. The shop's cases of this week and last
week are filed beforehand through the services, at fixed times of those weeks.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.journey import Journey, assert_no_internal_keys, desk_context, sign_in

pytestmark = pytest.mark.e2e

OWNER = "owner@voltmart.demo"
SH = ZoneInfo("Asia/Shanghai")
PROBLEMS = ["包装破损，耳机盒子压扁了", "收到后无法开机，充电也没反应", "包装破损，外壳有划痕", "无法开机，指示灯不亮"]


@pytest.fixture
def voltmart_cases(e2e_app):
    """Cases of last week and this week at VoltMart, two of them with the same problem on one SKU."""
    from saas.extensions import db
    from saas.models.base import travel_to
    from saas.models.order import Order, OrderLine
    from saas.models.survey import Survey
    from saas.models.user import User
    from saas.services import case_intake, cases, surveys
    from tenants.clock import shop_today
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with e2e_app.app_context():
        tenant = db.session.query(Tenant).filter_by(slug="voltmart").one()
        with tenant_context(tenant.id):
            agent = db.session.query(User).filter_by(email="agent@voltmart.demo").one()
            today = shop_today(tenant)
            monday = today - timedelta(days=today.weekday())
            days = [monday - timedelta(days=7) + timedelta(days=i) for i in (0, 1, 2, 3)] + [monday]
            if today > monday:
                days.append(monday + timedelta(days=1) if today.weekday() >= 1 else monday)
            for n, day in enumerate(days):
                when = datetime.combine(day, time(10, n), SH)
                order = Order(
                    order_number=f"JD-7{n:03d}",
                    channel="jd",
                    purchase_date=day - timedelta(days=3),
                    delivery_date=day - timedelta(days=1),
                    customer_name="王芳",
                    mobile="13900001111",
                )
                sku = ("EB-1", "无线耳机") if n % 2 == 0 else ("PB-2", "充电宝")
                order.lines = [
                    OrderLine(sku=sku[0], name=sku[1], category="electronics", quantity=1, unit_price="399.00")
                ]
                db.session.add(order)
                db.session.flush()
                intake = case_intake.Intake(
                    order_number=order.order_number,
                    customer_name="王芳",
                    mobile="13900001111",
                    email="",
                    purchase_channel="jd",
                    problem_type="quality",
                    description=PROBLEMS[n % len(PROBLEMS)],
                    expected_resolution="exchange",
                    category="electronics",
                    line_ids=[order.lines[0].id],
                )
                with travel_to(when):
                    case = case_intake.file_case(tenant, intake)
                with travel_to(when + timedelta(minutes=4 + 4 * n)):
                    cases.accept(case, agent)
                if day < monday:
                    with travel_to(when + timedelta(hours=2)):
                        cases.propose(case, agent, "explanation", detail="已为您远程排查")
                        cases.execute(case, agent)
                    survey = db.session.query(Survey).filter_by(case_id=case.id).one()
                    survey.status = "invited"
                    surveys.answer(
                        survey,
                        5 if n % 2 else 2,
                        "" if n % 2 else "包装太差，耳机盒子破了",
                        now=when + timedelta(days=1),
                    )
            # What else sold last week, without a case: the per-product return/exchange rate's denominator.
            for n in range(6):
                day = monday - timedelta(days=7 - n)
                order = Order(
                    order_number=f"JD-8{n:03d}",
                    channel="jd",
                    purchase_date=day,
                    customer_name="李雷",
                    mobile="13900002222",
                )
                sku = ("EB-1", "无线耳机") if n % 2 == 0 else ("PB-2", "充电宝")
                order.lines = [
                    OrderLine(sku=sku[0], name=sku[1], category="electronics", quantity=1, unit_price="399.00")
                ]
                db.session.add(order)
            db.session.commit()
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
