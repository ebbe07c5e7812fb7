"""A consumer association's supervisor draws a sample, reviews a masked case and exports the report.

At a desk: sign in → draw a sample with the form → open a sampled case → review it
(checklist, verdict, findings) → the shop's owner answers the findings from the case
page → the supervisor reads the printable report and downloads the CSV. On every page
and in the CSV: no full case number, no mobile's last four digits (together they open
the consumer's tracking page), no e-mail, no name, none of the personal data the
consumer, the agent or the owner wrote into free text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

import pytest

from tests.e2e.journey import Journey, assert_no_internal_keys, desk_context, sign_in

pytestmark = pytest.mark.e2e

SUPERVISOR = "supervisor@cca.demo"
OWNER = "owner@voltmart.demo"

# What real consumers typed into the intake form, and agents into their messages.
PEOPLE = [
    {
        "name": "李晓明",
        "pinyin": ("xiaoming", "lixiaoming"),
        "mobile": "13912345678",
        "email": "lixiaoming88@163.com",
        "description": "我是Li Xiaoming，耳机右边没声音。电话 1391 2345 678，邮箱 lixiaoming88 at 163 dot com，"
        "换货寄到北京市朝阳区望京SOHO塔3-1501。",
        "message": "晚上打我手机一三九一二三四五六七八，或者 139 - 1234 - 5678 都行",
        "secrets": ["塔3-1501", "望京SOHO", "lixiaoming88"],
    },
    {
        "name": "王芳芳",
        "pinyin": ("fangfang", "wangfangfang"),
        "mobile": "15876543210",
        "email": "wff.home@qq.com",
        "description": "Fangfang Wang here. The kettle leaks. ID 440305 19880512 3344, "
        "ship to Room 1208, Tower 5, 88 Jianguo Road, Beijing. Mail: wff.home＠qq.com",
        "message": "备用号码 158/7654/3210，身份证 440305198805123344",
        "secrets": ["Room 1208", "Jianguo", "19880512", "wff.home"],
    },
    {
        "name": "张伟",
        "pinyin": ("zhangwei", "weizhang"),
        "mobile": "18600001234",
        "email": "zw@example.cn",
        "description": "张伟，充电器发烫。座机 010-6552 9988，手机 186\u200b0000\u200b1234，地址幸福小区7幢2单元301。",
        "message": "Please call Zhang Wei on +86 186 0000 1234 after 6pm",
        "secrets": ["65529988", "幸福小区", "2单元301"],
    },
]
REJECTION = "已致电客户核实（{mobile}），不属于质量问题"
AGENT_MESSAGE = "{name}您好，退货地址已发到您邮箱 {email}，请查收"
RESPONSE = "已按监督意见整改，并回访了客户{name}（{mobile}），客户确认满意"


@pytest.fixture
def supervised_shop(e2e_app):
    """What a real deployment has before a supervisor's first visit: the operator's grant to the
    consumer association, and cases the shop resolved with personal data in their free text."""
    from sqlalchemy import select

    from saas.extensions import db
    from saas.models.user import User
    from saas.services import case_consumer_steps, case_intake, cases, supervision
    from tenants.clock import shop_today
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with e2e_app.app_context():
        shop = db.session.scalar(select(Tenant).where(Tenant.slug == "voltmart"))
        operator = db.session.scalar(select(User).where(User.email == "operator@platform.demo"))
        supervisor = db.session.scalar(select(User).where(User.email == SUPERVISOR))
        today = shop_today(shop)
        supervision.grant(
            operator, supervisor, shop, starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=30)
        )
        filed = []
        with tenant_context(shop.id):
            agent = db.session.scalar(select(User).where(User.email == "agent@voltmart.demo"))
            for i, person in enumerate(PEOPLE):
                case = case_intake.file_case(
                    shop,
                    case_intake.Intake(
                        order_number=f"JD2026110300{i}",
                        customer_name=person["name"],
                        mobile=person["mobile"],
                        email=person["email"],
                        purchase_channel="jd",
                        problem_type="quality",
                        description=person["description"],
                        expected_resolution="refund",
                        purchase_date=today - timedelta(days=6),
                        delivery_date=today - timedelta(days=4),
                        category="electronics",
                    ),
                )
                case_consumer_steps.consumer_message(case, person["message"])
                cases.accept(case, agent)
                cases.message_customer(case, agent, AGENT_MESSAGE.format(**person))
                cases.reject(case, agent, REJECTION.format(**person))
                filed.append({**person, "number": case.number, "id": case.id})
        db.session.commit()
    return {"cases": filed, "today": today}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if ch.isalnum())


def assert_nothing_opens_a_case(text: str, filed: list[dict], where: str) -> None:
    folded = _fold(text)
    for c in filed:
        assert _fold(c["number"]) not in folded, f"{where}: the full case number {c['number']}"
        assert c["mobile"] not in folded and c["mobile"][3:] not in folded, f"{where}: mobile {c['mobile']}"
        last4 = c["mobile"][-4:]
        assert not re.search(rf"(?<![A-Za-z0-9+/=_-]){last4}(?![A-Za-z0-9])", text), f"{where}: last 4 {last4}"
        assert _fold(c["email"]) not in folded and _fold(c["email"].split("@")[0]) not in folded, f"{where}: e-mail"
        assert c["name"] not in text and c["name"][1:] not in text, f"{where}: name {c['name']}"
        for form in c["pinyin"]:
            assert form not in folded, f"{where}: name in pinyin {form}"
        for secret in c["secrets"]:
            at = folded.find(_fold(secret))
            assert at < 0, f"{where}: {secret} in …{folded[max(0, at - 60) : at + 40]}…"


def assert_page_opens_no_case(page, filed: list[dict], where: str) -> None:
    """What a person reads on the page, and the page's source (links, form values) for the raw values."""
    assert_nothing_opens_a_case(page.inner_text("body"), filed, where)
    html = page.content()
    for c in filed:
        for raw in (c["number"], c["mobile"], c["email"], c["name"]):
            assert raw not in html, f"{where} (source): {raw}"


def test_supervisor_reviews_a_masked_sample_and_exports_it(browser, live_server, supervised_shop, screenshots):
    from playwright.sync_api import expect

    base, filed, today = live_server, supervised_shop["cases"], supervised_shop["today"]
    desk = desk_context(browser)
    shop_desk = desk_context(browser)
    try:
        page = desk.new_page()
        j = Journey(screenshots, [page], "supervisor")
        expect.set_options(timeout=15_000)

        sign_in(page, base, SUPERVISOR)
        page.wait_for_url(re.compile(r"/supervise/"))
        expect(page.locator("#grants")).to_contain_text("伏特数码")
        j.shot(page, "home")

        # Draw a sample: the shop, the period, the size.
        page.select_option("#tenant_id", label="伏特数码")
        page.fill("#period_start", (today - timedelta(days=7)).isoformat())
        page.fill("#period_end", today.isoformat())
        page.fill("#size", "3")
        page.click("#draw button[type=submit]")
        page.wait_for_url(re.compile(r"/supervise/samples/\d+$"))
        expect(page.locator("tr.sampled")).to_have_count(3)
        assert_page_opens_no_case(page, filed, "sample page")
        assert_no_internal_keys(page)
        j.shot(page, "sample")

        # Open a masked case.
        page.locator("tr.sampled a.case-number").first.click()
        page.wait_for_url(re.compile(r"/cases/\d+$"))
        expect(page.locator("#customer")).to_contain_text("********")
        expect(page.locator("#masking-note")).to_contain_text("无法打开消费者的案件")
        assert_page_opens_no_case(page, filed, "case page")
        assert "***" in page.locator("#description").inner_text()  # the address went, the sentence stayed
        assert_no_internal_keys(page)
        j.shot(page, "case")

        # Review: the checklist, a verdict and findings (with a phone number the supervisor quotes).
        for check, result in (
            ("policy", "pass"),
            ("sla", "pass"),
            ("resolution", "concern"),
            ("communication", "pass"),
        ):
            page.check(f"input[name={check}_result][value={result}]")
        page.fill("textarea[name=resolution_comment]", "驳回理由过于简单")
        page.check("input[name=verdict][value=concern]")
        page.fill("#findings", f"客服只打了 {filed[0]['mobile']} 一次就驳回，建议复核。")
        page.click("#review button[type=submit]")
        expect(page.locator("#review")).to_contain_text("关注")
        assert_page_opens_no_case(page, filed, "reviewed case page")
        j.shot(page, "reviewed")
        reviewed_number = page.locator("h1.case-number").inner_text()

        # The shop's owner reads the findings on the case page and answers them.
        owner = shop_desk.new_page()
        j.add(owner)
        sign_in(owner, base, OWNER)
        visible_part = reviewed_number.split("*")[0].rstrip("-")  # all the supervisor's report shows
        owner.locator("a[href$='/voltmart/console/cases']").first.click()
        owner.fill("input[name=q]", visible_part)
        owner.select_option("select[name=status]", "all")
        owner.press("input[name=q]", "Enter")
        owner.locator("table a", has_text=visible_part).first.click()
        owner.wait_for_url(re.compile(r"/console/cases/\d+$"))
        finding = owner.locator("#findings article.finding").first
        reviewed = next(c for c in filed if owner.url.endswith(f"/cases/{c['id']}"))
        finding.locator("textarea[name=text]").fill(RESPONSE.format(**reviewed))
        finding.locator("button[type=submit]").click()
        expect(owner.locator("#findings p.response")).to_have_count(1)
        j.shot(owner, "owner-responded")

        # Back to the sample, the printable report, the CSV.
        page.reload()
        expect(page.locator("#responses")).to_contain_text("已按监督意见整改")
        assert_page_opens_no_case(page, filed, "case page with the response")
        page.locator("a", has_text="返回抽样").click()
        page.wait_for_url(re.compile(r"/supervise/samples/\d+$"))
        page.locator("a[href$='/report']").click()
        page.wait_for_url(re.compile(r"/report$"))
        expect(page.locator("article.report-case")).to_have_count(3)
        expect(page.locator("main")).to_contain_text("已按监督意见整改")
        assert_page_opens_no_case(page, filed, "report")
        assert_no_internal_keys(page)
        j.shot(page, "report")

        page.go_back()
        with page.expect_download() as download:
            page.locator("a[href$='/report.csv']").click()
        csv_text = open(download.value.path(), encoding="utf-8-sig").read()
        assert "已按监督意见整改" in csv_text and "驳回理由过于简单" in csv_text
        assert_nothing_opens_a_case(csv_text, filed, "CSV")
        assert reviewed_number in csv_text

        # The shops' key figures: the same KPIs as the shop's own reports page, aggregates only.
        page.locator("nav a[href$='/supervise/kpis']").first.click()
        page.wait_for_url(re.compile(r"/supervise/kpis$"))
        row = page.locator("#kpis-voltmart")
        expect(row).to_be_visible()
        assert int(row.locator("td.cases").inner_text()) >= len(filed)
        assert_page_opens_no_case(page, filed, "key figures")
        assert_no_internal_keys(page)
        j.shot(page, "key figures")
    finally:
        desk.close()
        shop_desk.close()
