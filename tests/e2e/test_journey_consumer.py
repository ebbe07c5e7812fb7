"""The consumer's whole journey on a phone, from the shop's home page to the satisfaction survey.

Shop home → policy (中文, then English by the language switcher, and back) → 申请售后 → the
intake form for an order the shop knows, a photo chosen before the eligibility check → submit →
tracking page with the photo → the agent (a desk browser) accepts and asks for the goods back →
return slip with a QR code that decodes to the case → the parcel registered → the agent receives,
inspects, refunds → the survey link as the SMS brings it → stars and a comment.
Every public page is checked for sideways scrolling at 360 and 390 px.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import urlparse

import pytest

from tests.e2e.journey import (
    Journey,
    act_on_case,
    assert_fits,
    assert_no_cell_broken_per_character,
    assert_no_internal_keys,
    desk_context,
    phone_context,
    sign_in,
)

pytestmark = pytest.mark.e2e

ORDER = "JD-E2E-1001"
MOBILE = "13912345678"
CARRIER, PARCEL = "顺丰速运", "SF7700112233"


@pytest.fixture
def known_order(e2e_app):
    """The shop imports its orders the way a merchant does (the console's CSV import): setup, not journey."""
    from saas.extensions import db
    from saas.services import order_import
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    today = date.today()
    csv = (
        "订单号,渠道,下单日期,签收日期,客户姓名,手机,SKU,商品名称,类目,数量,单价\r\n"
        f"{ORDER},京东,{today - timedelta(days=6)},{today - timedelta(days=3)},王小明,{MOBILE},"
        "EB-PRO-2,降噪无线耳机 Pro,electronics,1,399.00\r\n"
    ).encode()
    with e2e_app.app_context():
        tenant = db.session.query(Tenant).filter_by(slug="voltmart").one()
        with tenant_context(tenant.id):
            result = order_import.import_orders_csv(tenant, None, csv, "orders.csv")
            assert result.ok, result.errors
            db.session.commit()
    return ORDER


def _photo(path):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), (235, 240, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle((160, 120, 480, 360), fill=(40, 40, 48), outline=(200, 30, 30), width=6)
    draw.line((200, 150, 440, 330), fill=(220, 220, 220), width=4)  # the "cracked" case of the earbuds
    img.save(path, "JPEG", quality=85)
    return path


def _decode_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _survey_time_passes(app) -> None:
    """What the worker does while the consumer waits: 3 working days later the survey sweep invites,
    and the outbox sends the SMS through the development gateway (its inbox is /dev/inbox)."""
    from sqlalchemy import select

    from saas.models.base import travel_to, utcnow
    from saas.models.notification import Notification
    from saas.services import surveys
    from tenants.scoping import cross_tenant
    from workers import outbox

    later = (utcnow() + timedelta(days=10)).replace(hour=3, minute=0)  # 11:00 in China: outside SMS quiet hours
    with app.app_context(), travel_to(later):
        assert surveys.sweep() >= 1
        with cross_tenant("e2e: the worker's outbox"):
            ids = list(
                app.extensions["sqlalchemy"].session.scalars(
                    select(Notification.id).where(
                        Notification.template_key == "survey_invitation",
                        Notification.channel == "sms",
                        Notification.recipient == MOBILE,
                    )
                )
            )
        assert len(ids) == 1
        outbox.send_notification(ids[0])


def test_consumer_files_follows_returns_and_rates(browser, live_server, e2e_app, known_order, screenshots, tmp_path):
    from playwright.sync_api import expect

    base = live_server
    phone, desk = phone_context(browser), desk_context(browser, locale="en-US")
    try:
        consumer, agent = phone.new_page(), desk.new_page()
        j = Journey(screenshots, [consumer, agent], "consumer", total_seconds=60)
        expect.set_options(timeout=15_000)

        # ---- the shop's home page, from a link the consumer has
        consumer.goto(f"{base}/voltmart/")
        expect(consumer.locator("#file-request")).to_have_text("申请售后")
        expect(consumer.locator("#track-request")).to_have_text("查询进度")
        assert_fits(consumer)
        j.shot(consumer, "home")

        consumer.get_by_role("link", name="售后服务政策").click()
        consumer.wait_for_url(re.compile(r"/voltmart/policy"))
        expect(consumer.locator("#complaint-lookup")).to_be_visible()
        assert_fits(consumer)
        j.shot(consumer, "policy-zh")

        consumer.locator(".lang-switch").get_by_role("link", name="English").click()
        expect(consumer.locator("html")).to_have_attribute("lang", re.compile("^en"))
        expect(consumer.locator("#file-request")).to_have_text("File an after-sales request")
        expect(consumer.locator("#returns")).to_contain_text("7-day no-reason return")
        assert_fits(consumer)
        j.shot(consumer, "policy-en")

        consumer.locator(".lang-switch").get_by_role("link", name="中文").click()
        expect(consumer.locator("#file-request")).to_have_text("申请售后")
        consumer.locator("#file-request").click()
        consumer.wait_for_url(re.compile(r"/voltmart/cases/new"))

        # ---- the intake form: a known order, a photo chosen before the check
        consumer.fill("#order_number", known_order)
        consumer.fill("#customer_name", "王小明")
        consumer.fill("#mobile", MOBILE)
        consumer.select_option("#purchase_channel", "jd")
        consumer.select_option("#problem_type", "quality")
        consumer.fill("#description", "左耳耳机没有声音，开箱第三天就出现了。")
        consumer.select_option("#expected_resolution", "return")
        consumer.set_input_files("#evidence", str(_photo(tmp_path / "earbud.jpg")))
        assert_fits(consumer)
        j.shot(consumer, "intake-filled")

        consumer.get_by_role("button", name="查看我可享受的售后").click()
        expect(consumer.locator("#eligibility")).to_be_visible()
        expect(consumer.locator("#eligibility")).to_contain_text("七天无理由退货")
        expect(consumer.locator("input[name=line_ids]")).to_have_count(1)
        expect(consumer.locator("#category")).to_have_count(0)  # the order says what it is
        expect(consumer.locator("#kept-files")).to_contain_text("earbud.jpg")  # the photo is still there
        assert_fits(consumer)
        j.shot(consumer, "intake-eligibility")

        consumer.get_by_role("button", name="提交申请").click()
        consumer.wait_for_url(re.compile(r"/voltmart/track/[^/?#]+$"))
        number = consumer.url.rsplit("/", 1)[1]
        expect(consumer.locator("h1")).to_contain_text(number)
        # The photo is on the case; the evidence worker cleans it, meanwhile it is shown as processing.
        expect(consumer.locator("ul.timeline .evidence", has_text="earbud.jpg")).to_have_count(1)
        assert_fits(consumer)
        j.shot(consumer, "tracking-submitted")

        # ---- the agent accepts and asks for the goods back
        sign_in(agent, base, "agent@voltmart.demo")
        agent.locator("header a[href='/voltmart/console/cases']").click()
        agent.locator("table a", has_text=number).click()
        agent.wait_for_url(re.compile(r"/voltmart/console/cases/\d+$"))

        def act(action: str, **fields) -> None:
            act_on_case(agent, action, **fields)
            expect(agent.locator(".flash.error")).to_have_count(0)
            expect(agent.locator(f"form.action[action$='/actions/{action}']")).to_have_count(0)
            assert_no_internal_keys(agent)
            j.shot(agent, f"agent-{action}")

        act("accept")
        act("request_return")

        # ---- the consumer sees the request, prints the slip, registers the parcel
        consumer.reload()
        expect(consumer.locator("#return")).to_be_visible()
        j.shot(consumer, "tracking-return-asked")
        consumer.locator("#return").get_by_role("button", name="打印退货单").click()
        consumer.wait_for_url(re.compile(rf"/voltmart/track/{number}/slip$"))
        qr = consumer.locator(".qr svg")
        expect(qr).to_be_visible()
        assert _decode_qr(qr.screenshot()) == [number]
        assert _decode_qr(consumer.screenshot(full_page=True)) == [number]
        assert_fits(consumer)
        assert_no_cell_broken_per_character(consumer)
        j.shot(consumer, "slip")
        consumer.go_back()
        consumer.fill("#carrier", CARRIER)
        consumer.fill("#tracking", PARCEL)
        consumer.get_by_role("button", name="登记我的退货包裹").click()
        expect(consumer.locator("#return")).to_contain_text(PARCEL)
        assert_fits(consumer)
        j.shot(consumer, "tracking-parcel")

        # ---- the agent receives, inspects and refunds
        agent.reload()
        expect(agent.locator("main")).to_contain_text(PARCEL)
        act("mark_return_received")
        act("mark_inspected", note="左耳无声，属质量问题。")
        act("verify", responsibility="merchant", reason_code="quality.function", basis="左耳单元无声，开箱即坏。")
        act("propose", kind="refund", amount="399.00")
        act("execute")

        consumer.reload()
        expect(consumer.locator("ol.nodes li.node.current")).to_have_text("解决")
        j.shot(consumer, "tracking-resolved")

        # ---- three working days later the survey SMS arrives; the consumer opens its link
        _survey_time_passes(e2e_app)
        inbox = agent  # the development SMS inbox stands in for the consumer's phone messages
        inbox.goto(f"{base}/dev/inbox")
        sms = inbox.locator("tbody tr", has_text=MOBILE).filter(has_text="/s/").first.inner_text()
        j.shot(inbox, "dev-inbox-survey-sms")
        link = re.search(r"https?://\S+/s/[A-Za-z0-9_-]+", sms).group(0)
        consumer.goto(base + urlparse(link).path)  # the phone opens the link the SMS carries
        expect(consumer.locator("h1")).to_be_visible()
        assert_fits(consumer)
        j.shot(consumer, "survey")
        consumer.locator("input[name=score][value='5']").check()
        consumer.fill("#comment", "退款很快，客服耐心。")
        consumer.get_by_role("button", name="继续").click()
        expect(consumer.locator("main")).to_contain_text("★★★★★")
        j.shot(consumer, "survey-confirm")
        consumer.locator("main form button[type=submit]").first.click()
        expect(consumer.locator("h1")).to_have_text("谢谢您")
        assert_fits(consumer)
        j.shot(consumer, "survey-done")
    finally:
        phone.close()
        desk.close()


def test_intake_errors_stay_clear_of_the_help_text_on_a_phone(browser, live_server, screenshots):
    """At 390 px a field's error never lies over the help text or the next label."""
    from playwright.sync_api import expect

    phone = phone_context(browser)
    try:
        page = phone.new_page()
        j = Journey(screenshots, [page], "intake-errors", total_seconds=30)
        page.goto(f"{live_server}/voltmart/cases/new")
        page.fill("#mobile", "12345")
        page.fill("#email", "not-an-email")
        page.get_by_role("button", name="查看我可享受的售后").click()
        expect(page.locator("small.error").first).to_be_visible()
        overlaps = page.evaluate("""() => {
            const boxes = sel => [...document.querySelectorAll(sel)].map(e => [e, e.getBoundingClientRect()]);
            const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
            const out = [];
            for (const [err, a] of boxes('main small.error')) {
                for (const [other, b] of boxes('main input, main select, main textarea, main p, main small, main legend, main button')) {
                    if (other === err || other.contains(err) || err.contains(other)) continue;
                    if (hit(a, b)) out.push(err.textContent.trim() + ' / ' + other.textContent.trim().slice(0, 40));
                }
            }
            return out;
        }""")
        j.shot(page, "errors")
        assert page.locator("small.error").count() >= 3
        assert overlaps == [], overlaps
        assert_fits(page)
    finally:
        phone.close()


def test_consumer_complains_and_looks_the_complaint_up(browser, live_server, screenshots):
    """From the policy page to a complaint, then its number and contact bring it back in another browser."""
    from playwright.sync_api import expect

    phone, other = phone_context(browser), phone_context(browser, locale="en-US")
    try:
        page = phone.new_page()
        j = Journey(screenshots, [page], "complaint", total_seconds=45)
        page.goto(f"{live_server}/voltmart/policy")
        page.locator("#complain").get_by_role("button", name="向平台投诉").click()
        page.fill("#mobile", MOBILE)
        page.fill("#text", "客服三天没有回复我的售后申请。")
        assert_fits(page)
        j.shot(page, "form")
        page.get_by_role("button", name="提交投诉").click()
        page.wait_for_url(re.compile(r"/voltmart/complaints/filed$"))
        reference = re.search(r"PC[0-9A-Z]{10}", page.locator("main").inner_text()).group(0)
        assert_fits(page)
        j.shot(page, "filed")
        page.locator("#complaint-status-link").click()
        expect(page.locator("#complaint-status")).to_contain_text("平台正在处理")
        expect(page.locator("main")).to_contain_text("客服三天没有回复我的售后申请。")
        assert_fits(page)
        j.shot(page, "status")

        # Later, on another phone: the policy page's lookup link, a wrong contact, then the right one.
        later = other.new_page()
        j.add(later)
        later.goto(f"{live_server}/voltmart/policy?lang=en")
        later.locator("#complaint-lookup").click()
        later.fill("#reference", reference)
        later.fill("#factor", "0000")
        later.get_by_role("button", name="Show my complaint").click()
        expect(later.locator(".flash.error")).to_contain_text("We could not find a complaint")
        assert_fits(later)
        j.shot(later, "lookup-failed")
        later.fill("#reference", reference)
        later.fill("#factor", MOBILE[-4:])
        later.get_by_role("button", name="Show my complaint").click()
        expect(later.locator("h1")).to_contain_text(reference)
        expect(later.locator("#complaint-status")).to_contain_text("looking into it")
        assert_fits(later)
        j.shot(later, "lookup-found")
    finally:
        phone.close()
        other.close()
