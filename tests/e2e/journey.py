"""What every browser journey shares: bounded waits, screenshots, and the checks a person would make.

A journey test plays one person and does only what that person can do: open
pages from links, type, choose, attach files, click. It never posts a field the
page did not render.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

STEP_MS = 15_000  # any one wait
PASSWORD = "demo-password-2026"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 900}}
SH = ZoneInfo("Asia/Shanghai")  # VoltMart's time zone

# Words that are internal keys, never text for a person on a staff page.
INTERNAL_KEYS = re.compile(
    r"__inherit__|\b(?:merchant_if_quality|customer_pays|awaiting_return|return_received|proposal_made|"
    r"case_accepted|case_closed|survey_invite|auto_reply|PolicyVersion|CategoryRule|MessageTemplate|"
    r"Notification \d|Case \d|pending|sending|sent_at|email_sms)\b"
)


class Journey:
    """Screenshots after each step, and waits that never outlast the journey's budget."""

    def __init__(self, directory, pages, name: str, total_seconds: int = 60):
        self.directory, self.pages, self.name, self.n = directory, list(pages), name, 0
        self.total = total_seconds
        self.deadline = time.monotonic() + total_seconds
        self.bound()

    def add(self, page) -> None:
        self.pages.append(page)
        self.bound()

    def bound(self) -> None:
        left_ms = (self.deadline - time.monotonic()) * 1000
        assert left_ms > 0, f"the {self.name} journey took longer than {self.total} s"
        timeout = max(min(STEP_MS, left_ms), 1)
        for page in self.pages:
            page.set_default_timeout(timeout)
            page.set_default_navigation_timeout(timeout)

    def shot(self, page, step: str) -> None:
        self.n += 1
        page.screenshot(path=str(self.directory / f"{self.name}-{self.n:02d}-{step}.png"), full_page=True)
        self.bound()


def phone_context(browser, locale: str = "zh-CN"):
    return browser.new_context(locale=locale, **PHONE)


def desk_context(browser, locale: str = "zh-CN"):
    return browser.new_context(locale=locale, **DESK)


_MEASURE = """(width) => {
  const wide = [];
  for (const el of document.querySelectorAll("main *")) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 && r.width > 0) wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}px`);
  }
  return [document.documentElement.scrollWidth, wide.slice(0, 5)];
}"""


def assert_fits(page, widths=(360, 390)) -> None:
    """A public page never scrolls sideways on a phone."""
    original = page.viewport_size
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": 844})
            # Against the width set, not window.innerWidth: a mobile browser zooms out to show a page
            # wider than the screen, and innerWidth then grows with it (497 px "fits" a 497 px viewport).
            scroll, wide = page.evaluate(_MEASURE, width)
            assert scroll <= width, f"{page.url} is {scroll} px wide in a {width} px viewport; too wide: {wide}"
    finally:
        page.set_viewport_size(original)


_BROKEN_CELLS = """() => [...document.querySelectorAll('main td, main th')]
    .filter(c => c.getClientRects().length && c.textContent.trim().length >= 2)
    .filter(c => { const r = document.createRange(); r.selectNodeContents(c);
        const s = getComputedStyle(c), line = parseFloat(s.lineHeight) || 1.2 * parseFloat(s.fontSize);
        return Math.round(r.getBoundingClientRect().height / line) >= c.textContent.trim().length; })
    .map(c => c.textContent.trim().slice(0, 20))"""


def assert_no_cell_broken_per_character(page, widths=(360, 390)) -> None:
    """No table cell, however short, reads one character per line on a phone (the slip's 数量 came out 数 / 量)."""
    original = page.viewport_size
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": 844})
            broken = page.evaluate(_BROKEN_CELLS)
            assert not broken, f"{page.url} at {width} px breaks cells a character per line: {broken}"
    finally:
        page.set_viewport_size(original)


def assert_no_internal_keys(page) -> None:
    """A staff page shows words, not the internal keys behind them."""
    text = page.locator("main").inner_text() if page.locator("main").count() else page.inner_text("body")
    found = INTERNAL_KEYS.findall(text)
    assert not found, f"{page.url} shows internal keys: {sorted(set(found))}"


def act_on_case(page, action: str, **fields) -> None:
    """The agent fills in the case page's form for `action` (only the fields it renders) and submits it."""
    form = page.locator(f"form.action[action$='/actions/{action}']")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Signs in from the page a person would reach: the login link on the home page."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def zh(app, msgid: str, **params) -> str:
    """The Chinese words the page shows for `msgid`, from the catalogue (so a journey follows its wording)."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_Hans"):
        return gettext(msgid, **params)


def file_on_phone(page, base: str, today: date, *, name: str, mobile: str, price: str, description: str, email=""):
    """The consumer fills in VoltMart's public form (which fits the phone) for an electronics item bought 6 days
    ago, delivered 4 days ago, with a quality problem; asks what they may get, submits; returns the case number
    the tracking page shows."""
    from playwright.sync_api import expect

    page.goto(f"{base}/voltmart/cases/new?lang=zh")
    assert_fits(page)
    page.fill("#order_number", f"JD{int(time.time())}")
    page.fill("#customer_name", name)
    page.fill("#mobile", mobile)
    if email:
        page.fill("#email", email)
    page.select_option("#purchase_channel", "jd")
    page.fill("#purchase_date", (today - timedelta(days=6)).isoformat())
    page.fill("#delivery_date", (today - timedelta(days=4)).isoformat())
    page.select_option("#category", "electronics")
    page.fill("#item_price", price)
    page.select_option("#problem_type", "quality")
    page.fill("#description", description)
    page.select_option("#expected_resolution", "exchange")
    page.click("button[name=action][value=check]")
    expect(page.locator("#eligibility")).to_be_visible()
    page.click("button[name=action][value=submit]")
    page.wait_for_url(re.compile(r"/voltmart/track/[^/?#]+$"))
    return page.url.rsplit("/", 1)[1]


def open_cases(page, app) -> None:
    """A staff member opens the console's case list from the navigation."""
    page.locator("nav a", has_text=zh(app, "Cases")).first.click()
    page.wait_for_url(re.compile(r"/voltmart/console/cases"))


def open_case(page, number: str) -> None:
    """From a list of cases, the case with this number by its link."""
    page.locator("table tbody a", has_text=number).click()
    page.wait_for_url(re.compile(r"/voltmart/console/cases/\d+$"))


# ---- setup, not journey: a known stretch of VoltMart's past, filed through the services


@contextmanager
def voltmart(app):
    """VoltMart and its agent, inside the app and the shop's tenant context; committed at the end."""
    from saas.extensions import db
    from saas.models.user import User
    from tenants.models import Tenant
    from tenants.scoping import tenant_context

    with app.app_context():
        tenant = db.session.query(Tenant).filter_by(slug="voltmart").one()
        with tenant_context(tenant.id):
            yield tenant, db.session.query(User).filter_by(email="agent@voltmart.demo").one()
            db.session.commit()


def order_on(tenant, number: str, sku: str, name: str, bought: date, delivered=None, buyer=("王芳", "13900001111")):
    """The buyer's order of one item of `sku` at ¥399 (flushed)."""
    from tests.factories import make_order

    line = dict(sku=sku, name=name, category="electronics", quantity=1, unit_price="399.00")
    return make_order(
        tenant,
        number,
        lines=[line],
        channel="jd",
        purchase_date=bought,
        delivery_date=delivered,
        customer_name=buyer[0],
        mobile=buyer[1],
        email="",
    )


def past_case(tenant, agent, n: int, day: date, number: str, sku: tuple, words: str, reply_minutes: int, rating=None):
    """王芳's quality case, the setup's `n`-th: her order `number` of one `sku` ((SKU, name)), bought three days
    before `day` and delivered the day before; filed through the intake service at 10:0n on `day` (VoltMart's
    time) asking for an exchange; accepted `reply_minutes` later. `rating` (explanation, stars, comment): the
    agent explains and resolves it two hours after filing, and she answers the survey the next day."""
    from saas.models.base import travel_to
    from saas.services import cases
    from tests.factories import answer_survey, make_case, resolve_case

    order = order_on(tenant, number, *sku, day - timedelta(days=3), day - timedelta(days=1))
    when = datetime(day.year, day.month, day.day, 10, n, tzinfo=SH)
    case = make_case(
        tenant,
        when,
        order_number=number,
        customer_name=order.customer_name,
        mobile=order.mobile,
        email="",
        expected_resolution="exchange",
        purchase_date=None,
        delivery_date=None,
        description=words,
        line_ids=[order.lines[0].id],
    )
    with travel_to(when + timedelta(minutes=reply_minutes)):
        cases.accept(case, agent)
    if rating is None:
        return case
    explanation, stars, comment = rating
    resolve_case(case, agent, when + timedelta(hours=2), explanation)
    answer_survey(case, when + timedelta(days=1), stars, comment)
    return case
