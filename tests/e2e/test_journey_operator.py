"""The platform operator opens a shop for a new merchant, whose owner then signs in to the new console."""

from __future__ import annotations

import pytest

from tests.e2e.journey import Journey, assert_no_internal_keys, desk_context, sign_in

pytestmark = pytest.mark.e2e

OWNER_EMAIL = "boss@lanting.example.com"
OWNER_PASSWORD = "Lanting-initial-2026"  # the operator chooses it and hands it over


def _nav(page):
    return page.locator("header.site nav")


def test_operator_creates_a_shop_and_its_owner_signs_in(browser, live_server, screenshots):
    context = desk_context(browser)
    page = context.new_page()
    journey = Journey(screenshots, [page], "operator")
    try:
        sign_in(page, live_server, "operator@platform.demo")
        page.wait_for_url(f"{live_server}/admin/")
        # The operator's navigation is on the desk's home page.
        for name in ("运营", "店铺", "监督员", "投诉", "评分"):
            assert _nav(page).get_by_role("link", name=name).count() >= 1, name
        journey.shot(page, "admin-home")
        assert_no_internal_keys(page)

        _nav(page).get_by_role("link", name="监督员").click()
        page.wait_for_url("**/admin/supervisors/")
        assert _nav(page).get_by_role("link", name="店铺").count() == 1
        assert "消协监督员" in page.inner_text("main")
        journey.shot(page, "supervisors")
        assert_no_internal_keys(page)

        _nav(page).get_by_role("link", name="店铺").click()
        page.wait_for_url("**/admin/tenants")
        journey.shot(page, "shops")
        assert_no_internal_keys(page)

        form = page.locator("#new-tenant form")
        form.locator("#slug").fill("lanting")
        form.locator("#name_zh").fill("兰亭茶社")
        form.locator("#name_en").fill("Lanting Tea House")
        form.locator("#contact_phone").fill("400-123-8888")
        form.locator("#contact_email").fill("service@lanting.example.com")
        form.locator("#owner_name").fill("王兰亭")
        form.locator("#owner_email").fill(OWNER_EMAIL)
        form.locator("#owner_password").fill(OWNER_PASSWORD)
        form.get_by_role("button", name="创建店铺").click()
        page.wait_for_url("**/admin/tenants")
        assert page.locator("#tenant-lanting").count() == 1
        assert "lanting" in page.locator(".flash.success").inner_text()
        journey.shot(page, "shop-created")
        assert_no_internal_keys(page)

        page.get_by_role("button", name="退出登录").click()
        page.wait_for_url("**/login**")
        journey.shot(page, "signed-out")

        # The new owner, with the password the operator gave them.
        page.fill("#email", OWNER_EMAIL)
        page.fill("#password", OWNER_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server}/lanting/console/")
        assert "兰亭茶社" in page.locator("header.site").inner_text()
        journey.shot(page, "owner-console")
        assert_no_internal_keys(page)

        # The shop's audit trail says in words what the operator did.
        _nav(page).get_by_role("link", name="操作日志").click()
        page.wait_for_url("**/lanting/console/audit")
        trail = page.inner_text("main")
        assert "创建了店铺" in trail and "店铺 兰亭茶社" in trail and "添加了员工" in trail, trail
        assert "tenant.created" not in trail and "Tenant" not in trail
        journey.shot(page, "owner-audit")
        assert_no_internal_keys(page)
        _nav(page).get_by_role("link", name="消息", exact=True).click()
        page.wait_for_url("**/lanting/console/notifications**")
        journey.shot(page, "owner-messages")
        assert_no_internal_keys(page)
    finally:
        context.close()
