"""What every browser journey shares: bounded waits, screenshots, and the checks a person would make.

A journey test plays one person and does only what that person can do: open
pages from links, type, choose, attach files, click. It never posts a field the
page did not render.
"""

from __future__ import annotations

import re
import time

STEP_MS = 15_000  # any one wait
PASSWORD = "demo-password-2026"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 900}}

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
