"""Consumer pages on a phone (360 and 390 px): nothing scrolls sideways, whatever the case holds."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image

from tests.e2e.journey import Journey, assert_fits, assert_no_cell_broken_per_character, phone_context

pytestmark = pytest.mark.e2e

LONG_WORD = "SN" + "7A3F9C2E" * 12  # a serial number with no place to break
LONG_URL = "https://item.jd.com/100012345678.html?" + "spm=" + "a1z10.3-c-s.w4002" * 6
DESCRIPTION = ("收到的扫地机器人开机后一直报错，" * 20) + f" 序列号 {LONG_WORD} 购买链接 {LONG_URL}"
TRACKING = "SF" + "1234567890" * 6  # 62 characters, the longest the form takes is 64


def _assert_cells_hold_words(page) -> None:
    """No table cell so narrow that its words break one character per line."""
    for width in (360, 390):
        page.set_viewport_size({"width": width, "height": 844})
        narrow = page.evaluate("""() => [...document.querySelectorAll('main td, main th')]
            .filter(c => c.getClientRects().length && c.textContent.trim().length > 2)
            .filter(c => { const s = getComputedStyle(c), head = c.closest('thead');
                if (head && head.getBoundingClientRect().width <= 1) return false;  // read by screen readers only
                const room = c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
                return room < 2.5 * parseFloat(s.fontSize); })
            .map(c => c.textContent.trim().slice(0, 20))""")
        assert not narrow, f"{page.url} at {width} px squeezes cells to a character per line: {narrow}"
    page.set_viewport_size({"width": 390, "height": 844})
    assert_no_cell_broken_per_character(page)  # short cells too (the wider rule above skips them)


def _photo() -> io.BytesIO:
    image = Image.new("RGB", (2400, 1600), (200, 80, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    out.seek(0)
    return out


def _long_case(app) -> dict:
    """A voltmart case with a long description, a photo, many events and a survey link, as the
    consumer would have it after weeks of messages; the test then plays the consumer."""
    from sqlalchemy import select

    from saas.evidence import check_upload
    from saas.extensions import db
    from saas.models.base import utcnow
    from saas.models.user import User
    from saas.services import case_evidence, case_intake, cases, surveys
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "voltmart"))
        with tenant_context(tenant.id):
            agent = db.session.scalar(select(User).where(User.email == "agent@voltmart.demo"))
            today = date.today()
            case = case_intake.file_case(
                tenant,
                case_intake.Intake(
                    order_number="JD" + "8" * 30,
                    customer_name="欧阳娜娜",
                    mobile="13912345678",
                    email="nana@example.com",
                    purchase_channel="jd",
                    problem_type="quality",
                    description=DESCRIPTION,
                    expected_resolution="exchange",
                    purchase_date=today - timedelta(days=5),
                    delivery_date=today - timedelta(days=3),
                    category="electronics",
                ),
            )
            case_evidence.attach(
                case,
                [check_upload(_photo(), "扫地机器人-报错屏幕-" + "很长的文件名" * 8 + ".jpg")],
                uploaded_by="consumer",
            )
            cases.accept(case, agent)
            for n in range(8):
                cases.message_customer(
                    case, agent, f"第 {n + 1} 次回复：请提供序列号 {LONG_WORD} 的照片，并查看 {LONG_URL}"
                )
            cases.request_return(case, agent)
            survey = surveys.schedule(case, utcnow())
            survey.status, survey.expires_at = "invited", None
            db.session.commit()
            return {"number": case.number, "last4": "5678", "token": survey.token}


def test_consumer_pages_fit_a_phone(browser, live_server, e2e_app, screenshots):
    case = _long_case(e2e_app)
    context = phone_context(browser)
    page = context.new_page()
    journey = Journey(screenshots, [page], "phone", total_seconds=90)
    try:
        # Each shop's policy, opened from its home page.
        for slug in ("tianshang", "kidswear", "voltmart"):
            page.goto(f"{live_server}/{slug}/")
            page.locator(f"main a[href='/{slug}/policy']").first.click()  # the shop's policy button
            page.wait_for_url(f"**/{slug}/policy**")
            journey.shot(page, f"policy-{slug}")
            assert_fits(page)
            _assert_cells_hold_words(page)

        # The tracking page, from the link in the SMS.
        page.goto(f"{live_server}/voltmart/track?number={case['number']}")
        page.fill("#number", case["number"])
        page.fill("#factor", case["last4"])
        page.click("form button[type=submit]")
        page.wait_for_url(f"**/voltmart/track/{case['number']}")
        page.fill("#carrier", "顺丰速运")
        page.fill("#tracking", TRACKING)
        page.get_by_role("button", name="登记我的退货包裹").click()
        page.wait_for_load_state()
        assert TRACKING in page.inner_text("main")
        journey.shot(page, "track")
        assert_fits(page)

        page.get_by_text("打印退货单").click()
        page.wait_for_url("**/slip")
        journey.shot(page, "slip")
        assert_fits(page)

        # Filing a new case: the link on the tracking lookup page.
        page.goto(f"{live_server}/voltmart/track")
        page.locator("main a[href='/voltmart/cases/new']").first.click()  # 申请售后
        page.wait_for_url("**/voltmart/cases/new**")
        journey.shot(page, "intake")
        assert_fits(page)

        # The survey, from the link in its invitation; its stars are big enough to tap.
        page.goto(f"{live_server}/s/{case['token']}")
        stars = page.locator("fieldset.stars label")
        assert stars.count() == 5
        for i in range(5):
            box = stars.nth(i).bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, box
        stars.nth(3).click()  # the fourth star from the left
        assert page.locator("fieldset.stars input:checked").get_attribute("value") == "4"
        page.keyboard.press("ArrowRight")  # a keyboard moves the choice too
        assert page.locator("fieldset.stars input:checked").get_attribute("value") == "5"
        journey.shot(page, "survey")
        assert_fits(page)
    finally:
        context.close()
