"""A consumer on a phone sends a photo from the tracking page: "processing" first, the photo once the worker ran.

And a photo too large in pixels is refused there and then, for its true reason, in Chinese.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.journey import Journey, assert_fits, assert_no_internal_keys, desk_context, phone_context, sign_in

pytestmark = pytest.mark.e2e

MOBILE = "13812345678"


def _case_number(app) -> str:
    """A case the consumer filed earlier (its number came by SMS)."""
    from sqlalchemy import select

    from saas.extensions import db
    from saas.services import case_intake
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with app.app_context():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == "voltmart"))
        with tenant_context(tenant.id):
            today = date.today()
            case = case_intake.file_case(
                tenant,
                case_intake.Intake(
                    order_number="TB-5566",
                    customer_name="李雷",
                    mobile=MOBILE,
                    email="",
                    purchase_channel="taobao",
                    problem_type="quality",
                    description="充电宝外壳开裂",
                    expected_resolution="exchange",
                    purchase_date=today - timedelta(days=5),
                    delivery_date=today - timedelta(days=3),
                    category="electronics",
                ),
            )
            number = case.number
            db.session.commit()
        return number


def _run_evidence_worker(app) -> None:
    """What `flask worker` does with the evidence queue, run here until it is empty."""
    from workers.worker import build_worker

    with app.app_context():
        build_worker(("evidence",)).work(burst=True)


def _photos(tmp_path):
    from PIL import Image, ImageDraw

    photo = Image.new("RGB", (800, 600), (236, 239, 244))
    draw = ImageDraw.Draw(photo)
    draw.rounded_rectangle((220, 150, 580, 450), radius=30, fill=(52, 58, 64))
    draw.line((260, 180, 540, 420), fill=(230, 230, 230), width=6)  # the crack
    photo.save(tmp_path / "裂缝.jpg", "JPEG", quality=85)
    # A strip wider than any side the rules allow (8192 px): small on disk, refused by its header.
    Image.new("RGB", (9000, 600), (200, 200, 200)).save(tmp_path / "全景.png", "PNG")
    return tmp_path / "裂缝.jpg", tmp_path / "全景.png"


def test_a_photo_shows_as_processing_then_as_the_photo(browser, live_server, e2e_app, screenshots, tmp_path):
    from playwright.sync_api import expect

    number = _case_number(e2e_app)
    photo, panorama = _photos(tmp_path)
    context = phone_context(browser)
    try:
        page = context.new_page()
        j = Journey(screenshots, [page], "evidence")
        expect.set_options(timeout=10_000)

        page.goto(f"{live_server}/voltmart/track")
        page.fill("#number", number)
        page.fill("#factor", MOBILE[-4:])
        page.get_by_role("button", name="查看我的案件").click()
        expect(page.locator("h2", has_text="给我们留言")).to_be_visible()
        j.shot(page, "case")

        page.fill("#text", "外壳裂缝的照片")
        page.set_input_files("#evidence", str(photo))
        page.get_by_role("button", name="发送", exact=True).click()
        waiting = page.locator(".evidence.processing")
        expect(waiting).to_have_text("裂缝.jpg（处理中…）")
        expect(page.locator(".timeline img")).to_have_count(0)  # the original is never shown
        assert_fits(page)
        j.shot(page, "processing")

        _run_evidence_worker(e2e_app)
        page.reload()
        shown = page.locator(".timeline a.evidence img[alt='裂缝.jpg']")
        expect(shown).to_be_visible()
        expect(page.locator(".evidence.processing")).to_have_count(0)
        assert page.evaluate("img => img.naturalWidth", shown.element_handle()) == 800
        assert_fits(page)
        j.shot(page, "photo")

        page.fill("#text", "再补一张全景")
        page.set_input_files("#evidence", str(panorama))
        page.get_by_role("button", name="发送", exact=True).click()
        refusal = page.locator(".flash.error")
        expect(refusal).to_contain_text("「全景.png」图片尺寸过大（最大 8192 × 8192 像素")
        expect(page.locator(".timeline")).not_to_contain_text("再补一张全景")  # nothing half-kept
        expect(page.locator("#text")).to_have_value("再补一张全景")  # to send again without the file
        expect(page.locator("#sms")).to_be_checked()  # the refused post changed no other choice
        assert_fits(page)
        j.shot(page, "refused")

        # The shop's agent sees the same photo on the case, cleaned.
        desk = desk_context(browser)
        agent = desk.new_page()
        j.add(agent)
        sign_in(agent, live_server, "agent@voltmart.demo")
        agent.goto(f"{live_server}/voltmart/console/cases")
        agent.locator("table a", has_text=number).click()
        seen = agent.locator(".timeline a.evidence img[alt='裂缝.jpg']")
        expect(seen).to_be_visible()
        assert agent.evaluate("img => img.naturalWidth", seen.element_handle()) == 800
        assert_no_internal_keys(agent)
        j.shot(agent, "agent-case")
        desk.close()
    finally:
        context.close()
