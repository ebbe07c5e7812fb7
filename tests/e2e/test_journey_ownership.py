"""Who owns a case (责任到人): an agent claims a new case from the console home, finds it under "my cases";
the owner reassigns it to another agent from the case page; it leaves the first agent's "my cases".

Voltmart, in Chinese: a consumer files a case on a phone; the owner adds a second agent on the team page;
the agent signs in → console home → the "new" count → the case → claim → home → "mine" lists it; the owner
opens the case and assigns it to the second agent; the first agent's "mine" is empty again, the second's
lists it; the consumer's tracking page never mentions who handles the case.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.e2e.journey import (
    Journey,
    act_on_case,
    assert_fits,
    assert_no_internal_keys,
    desk_context,
    file_on_phone,
    open_case,
    open_cases,
    phone_context,
    sign_in,
    zh,
)

pytestmark = pytest.mark.e2e

AGENT = "agent@voltmart.demo"
OWNER = "owner@voltmart.demo"
SECOND = ("小周", "zhou@voltmart.example.com", "zhou-password-2026")


def _count(page, key: str) -> int:
    return int(page.locator(f"#need-{key} .need-count").inner_text().rstrip("+"))


def test_agent_claims_a_new_case_and_the_owner_reassigns_it(browser, live_server, e2e_app, screenshots):
    from playwright.sync_api import expect

    base, app = live_server, e2e_app
    phone, desk, desk2, desk3 = (
        phone_context(browser),
        desk_context(browser),
        desk_context(browser),
        desk_context(browser),
    )
    try:
        consumer, agent, owner, second = phone.new_page(), desk.new_page(), desk2.new_page(), desk3.new_page()
        j = Journey(screenshots, [consumer, agent, owner, second], "ownership", total_seconds=90)
        expect.set_options(timeout=10_000)

        # ---- a consumer files a case on a phone
        today = date.today()
        number = file_on_phone(
            consumer,
            base,
            today,
            name="陈静",
            mobile="13922223333",
            price="459.00",
            description="蓝牙音箱外壳开裂，音量键失灵。",
        )
        tracking_url = consumer.url
        j.shot(consumer, "consumer-filed")

        # ---- the owner adds a second agent on the team page
        sign_in(owner, base, OWNER)
        owner.locator("nav a", has_text=zh(app, "Team")).first.click()
        owner.wait_for_url(re.compile(r"/voltmart/console/team$"))
        owner.fill("#name", SECOND[0])
        owner.fill("#email", SECOND[1])
        owner.select_option("#role", "agent")
        owner.fill("#password", SECOND[2])
        owner.click(f"form button[type=submit]:has-text('{zh(app, 'Add')}')")
        expect(owner.locator("table")).to_contain_text(SECOND[0])
        assert_no_internal_keys(owner)
        j.shot(owner, "owner-team")

        # ---- the agent: console home → "new" → the case → claim
        sign_in(agent, base, AGENT)
        agent.wait_for_url(re.compile(r"/voltmart/console/$"))
        expect(agent.locator("#needs-now")).to_be_visible()
        assert _count(agent, "new") == 1 and _count(agent, "mine") == 0
        assert_no_internal_keys(agent)
        j.shot(agent, "agent-home")
        agent.click("#need-new")
        agent.wait_for_url(re.compile(r"/voltmart/console/cases\?status=submitted"))
        row = agent.locator("table tbody tr", has_text=number)
        expect(row.locator("td.assignee")).to_have_text(zh(app, "Unassigned"))
        j.shot(agent, "agent-new-cases")
        open_case(agent, number)
        case_url = agent.url
        expect(agent.locator("#assignee")).to_have_text(zh(app, "Unassigned"))
        expect(agent.locator("form.action[action$='/actions/assign']")).to_have_count(0)  # agents claim, not assign
        act_on_case(agent, "claim")
        agent_name = "伏特数码 客服"
        expect(agent.locator("#assignee")).to_have_text(zh(app, "Assignee: %(name)s", name=agent_name))
        expect(agent.locator(".flash.error")).to_have_count(0)
        expect(agent.locator(".timeline")).to_contain_text(zh(app, "Claimed by %(name)s.", name=agent_name))
        expect(agent.locator("form.action[action$='/actions/claim']")).to_have_count(0)
        assert_no_internal_keys(agent)
        j.shot(agent, "agent-claimed")

        # ---- home → "mine" lists the case
        agent.locator("nav a", has_text=zh(app, "Console")).first.click()
        agent.wait_for_url(re.compile(r"/voltmart/console/$"))
        assert _count(agent, "mine") == 1
        j.shot(agent, "agent-home-mine")
        agent.click("#need-mine")
        agent.wait_for_url(re.compile(r"/voltmart/console/cases\?assignee=me"))
        expect(agent.locator("table tbody a", has_text=number)).to_be_visible()
        expect(agent.locator("table tbody tr", has_text=number).locator("td.assignee")).to_have_text(agent_name)
        expect(agent.locator("select[name=assignee]")).to_have_value("me")
        j.shot(agent, "agent-my-cases")

        # ---- the owner reassigns it to the second agent from the case page
        open_cases(owner, app)
        expect(owner.locator("table tbody tr", has_text=number).locator("td.assignee")).to_have_text(agent_name)
        open_case(owner, number)
        assert owner.url == case_url
        act_on_case(owner, "assign", assignee=SECOND[0])
        expect(owner.locator("#assignee")).to_have_text(zh(app, "Assignee: %(name)s", name=SECOND[0]))
        expect(owner.locator(".flash.error")).to_have_count(0)
        expect(owner.locator(".timeline")).to_contain_text(
            zh(app, "Reassigned from %(old)s to %(name)s.", old=agent_name, name=SECOND[0])
        )
        assert_no_internal_keys(owner)
        j.shot(owner, "owner-reassigned")

        # ---- the first agent's "mine" no longer lists it; the second agent's does
        agent.locator("nav a", has_text=zh(app, "Console")).first.click()
        agent.wait_for_url(re.compile(r"/voltmart/console/$"))
        assert _count(agent, "mine") == 0
        agent.click("#need-mine")
        agent.wait_for_url(re.compile(r"/voltmart/console/cases\?assignee=me"))
        expect(agent.locator("table tbody a", has_text=number)).to_have_count(0)
        j.shot(agent, "agent-mine-empty")
        sign_in(second, base, SECOND[1], SECOND[2])
        second.wait_for_url(re.compile(r"/voltmart/console/$"))
        assert _count(second, "mine") == 1
        second.click("#need-mine")
        expect(second.locator("table tbody a", has_text=number)).to_be_visible()
        j.shot(second, "second-agent-mine")

        # ---- the consumer's page says nothing about who handles the case
        consumer.goto(tracking_url)
        body = consumer.locator("main").inner_text()
        assert agent_name not in body and SECOND[0] not in body
        assert zh(app, "Assignee") not in body
        assert_fits(consumer)
        j.shot(consumer, "consumer-tracking")
    finally:
        for context in (phone, desk, desk2, desk3):
            context.close()
