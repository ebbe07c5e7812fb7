"""Case reasons, from the owner's list to the agent's choice to the report.

VoltMart's owner, on a desktop in Chinese, opens 售后原因 from the console, adds a sub-reason under 质量问题
and renames 发错货. The agent opens the accepted case from the queue and records responsibility, choosing
the new reason from the grouped list; the case page shows it. The owner's report of this week counts the
case under it. The case itself is filed and accepted beforehand through the services.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.e2e.journey import Journey, assert_no_internal_keys, desk_context, sign_in

pytestmark = pytest.mark.e2e

OWNER = "owner@voltmart.demo"
AGENT = "agent@voltmart.demo"


@pytest.fixture
def accepted_case(e2e_app):
    """A quality case at VoltMart, filed and accepted now: its number."""
    from saas.extensions import db
    from saas.models.user import User
    from saas.services import case_intake, cases
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with e2e_app.app_context():
        tenant = db.session.query(Tenant).filter_by(slug="voltmart").one()
        with tenant_context(tenant.id):
            agent = db.session.query(User).filter_by(email=AGENT).one()
            intake = case_intake.Intake(
                order_number="JD-5501",
                customer_name="王芳",
                mobile="13900001111",
                email="",
                purchase_channel="jd",
                problem_type="quality",
                description="充电宝用了三天电池鼓起来了",
                expected_resolution="exchange",
                category="electronics",
                purchase_date=date.today() - timedelta(days=5),
            )
            case = case_intake.file_case(tenant, intake)
            cases.accept(case, agent)
            db.session.commit()
            return case.number


def test_owner_keeps_the_reasons_and_the_agent_uses_one(browser, live_server, accepted_case, screenshots):
    ctx = desk_context(browser)
    owner, agent = ctx.new_page(), None
    journey = Journey(screenshots, [owner], "reasons", total_seconds=90)
    try:
        # ---- the owner: 售后原因 from the console menu
        sign_in(owner, live_server, OWNER)
        owner.goto(f"{live_server}/voltmart/console/")
        owner.get_by_role("link", name="售后原因", exact=True).click()
        owner.wait_for_url("**/console/reasons")
        rows = owner.locator("form.reason-row")
        assert rows.count() == 18
        assert owner.locator("form[data-code='quality.function'] input[name=name_zh]").input_value() == "功能故障"
        assert_no_internal_keys(owner)
        journey.shot(owner, "list")

        # Add a sub-reason under 质量问题, its code made from the English name.
        add = owner.locator("#add-reason form")
        add.get_by_label("中文名称").fill("电池鼓包")
        add.get_by_label("英文名称（可选）").fill("Swollen battery")
        add.get_by_label("位置").select_option(label="归入“质量问题”")
        add.get_by_role("button", name="添加").click()
        owner.wait_for_selector(".flash.success")
        assert "代码 quality.swollen_battery" in owner.inner_text(".flash.success")
        new_row = owner.locator("form[data-code='quality.swollen_battery']")
        assert new_row.locator("input[name=name_zh]").input_value() == "电池鼓包"
        assert "child" in new_row.get_attribute("class")
        journey.shot(owner, "added")

        # An empty name is refused with a message, nothing added.
        add = owner.locator("#add-reason form")
        add.get_by_label("英文名称（可选）").fill("No Chinese name")
        add.get_by_role("button", name="添加").click()
        owner.wait_for_selector("small.error")
        assert "请填写原因的中文名称。" in owner.inner_text("#add-reason")
        assert owner.locator("form.reason-row").count() == 19
        journey.shot(owner, "refused")

        # Rename 发错货: the names change, the code stays.
        wrong = owner.locator("form[data-code='wrong_item']")
        wrong.locator("input[name=name_zh]").fill("发错型号")
        wrong.locator("input[name=name_en]").fill("Wrong model sent")
        wrong.get_by_role("button", name="保存名称").click()
        owner.wait_for_selector(".flash.success")
        assert "代码 wrong_item 保持不变" in owner.inner_text(".flash.success")
        assert owner.locator("form[data-code='wrong_item'] input[name=name_zh]").input_value() == "发错型号"
        assert_no_internal_keys(owner)
        journey.shot(owner, "renamed")

        # ---- the agent: the queue, the case, responsibility with the new reason
        agent_ctx = desk_context(browser)
        agent = agent_ctx.new_page()
        journey.add(agent)
        sign_in(agent, live_server, AGENT)
        agent.locator("nav a", has_text="售后案件").first.click()
        agent.wait_for_url(re.compile(r"/voltmart/console/cases"))
        agent.locator("table a", has_text=accepted_case).click()
        agent.wait_for_url(re.compile(r"/voltmart/console/cases/\d+$"))
        verify = agent.locator("form.action[action$='/actions/verify']")
        reason = verify.locator("select[name=reason_code]")
        assert reason.locator("optgroup[label='质量问题'] option", has_text="电池鼓包").count() == 1
        assert reason.locator("option", has_text="发错型号").count() == 1
        assert reason.locator("option", has_text="发错货").count() == 0
        verify.locator("select[name=responsibility]").select_option(label="商家")
        reason.select_option(label="电池鼓包")
        verify.locator("[name=basis]").fill("照片显示电池明显鼓包，属产品质量问题")
        journey.shot(agent, "choosing")
        verify.get_by_role("button", name="判定责任").click()
        agent.wait_for_selector(".flash.success")
        assert agent.inner_text("#case-reason") == "质量问题 › 电池鼓包"
        assert_no_internal_keys(agent)
        journey.shot(agent, "case-page")

        # ---- the owner's report counts the case under the new reason
        owner.get_by_role("link", name="报表", exact=True).click()
        owner.wait_for_selector("#by-reason")
        by_reason = {
            row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
            for row in owner.locator("#by-reason tbody tr").all()
        }
        assert by_reason.get("质量问题 › 电池鼓包") == "1", by_reason
        owner.locator("#by-reason").scroll_into_view_if_needed()
        assert_no_internal_keys(owner)
        journey.shot(owner, "report")
        agent_ctx.close()
    finally:
        ctx.close()
