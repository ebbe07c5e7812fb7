"""Every word an agent writes for the customer reaches the tracking page, the SMS and the email; staff
see staff wording and only the actions that fit the case's state; the lookup form keeps the case number."""

from __future__ import annotations

import re

from sqlalchemy import select

from saas.extensions import db
from saas.models.notification import Notification
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import post_form
from tests.test_cases import _case, _filed_with_agent, _text, file_case, shop  # noqa: F401

EXPLANATION = "更换同型号新机，原机无需寄回"
CLAUSE = "第 3.2 条：15 天内质量问题可换货"


def _act(agent, page: str, action: str, **fields):
    r = post_form(agent, f"{page}/actions/{action}", fields, form_url=page)
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    flashes = agent.get(page).get_data(as_text=True)
    assert 'class="flash error"' not in flashes, _text(flashes)[-600:]


def _customer_messages(app, case_id: int, kind: str) -> list[Notification]:
    with app.app_context(), cross_tenant("test"):
        rows = db.session.scalars(
            select(Notification)
            .where(Notification.case_id == case_id, Notification.audience == "customer")
            .order_by(Notification.id)
        ).all()
        return [n for n in rows if n.template_key == kind]


def _rendered(app, n: Notification) -> str:
    from saas.services import message_templates
    from tenants.models import Tenant

    with app.app_context(), tenant_context(n.tenant_id):
        tenant = db.session.get(Tenant, n.tenant_id)
        return message_templates.render(tenant, n.template_key, n.channel, n.locale, n.params).text


def test_the_agents_explanation_and_clause_reach_the_customer_and_the_case_page(app, client, shop):
    number, case, agent, page = _filed_with_agent(app, client)
    _act(agent, page, "accept")
    _act(
        agent,
        page,
        "verify",
        responsibility="merchant",
        reason_code="quality.function",
        basis="开箱即坏，序列号在保",
        clause=CLAUSE,
    )
    _act(agent, page, "propose", kind="exchange", detail=EXPLANATION)

    consumer_page = _text(client.get(f"/voltmart/track/{number}").get_data(as_text=True))
    assert "开箱即坏，序列号在保" in consumer_page and CLAUSE in consumer_page
    assert EXPLANATION in consumer_page
    staff_html = agent.get(page).get_data(as_text=True)
    staff_page = _text(staff_html)
    assert EXPLANATION in staff_page and CLAUSE in staff_page
    # Beside the case's facts, not only somewhere in its history.
    facts = _text(staff_html[staff_html.index("<dl>") : staff_html.index("</dl>")])
    assert EXPLANATION in facts and CLAUSE in facts, facts

    for kind, words in (("verified", CLAUSE), ("proposed", EXPLANATION)):
        sent = _customer_messages(app, case.id, kind)
        assert sent, kind
        assert all(words in _rendered(app, n) for n in sent), [n.params for n in sent]


def test_the_repair_test_report_reaches_the_customer(app, client, shop):
    number, case, agent, page = _filed_with_agent(app, client)
    _act(agent, page, "accept")
    _act(agent, page, "propose", kind="repair", repair_days="5")
    _act(agent, page, "execute", report="更换主板，72 小时老化测试通过")
    assert "更换主板，72 小时老化测试通过" in _text(client.get(f"/voltmart/track/{number}").get_data(as_text=True))
    assert any("72 小时老化测试通过" in _rendered(app, n) for n in _customer_messages(app, case.id, "repair_done"))


def test_staff_see_staff_wording_for_a_case_waiting_on_the_customer(app, client, shop):
    number, case, agent, page = _filed_with_agent(app, client)
    _act(agent, page, "accept")
    _act(agent, page, "request_info", detail="请拍一张序列号照片")
    queue = _text(agent.get("/voltmart/console/cases").get_data(as_text=True))
    detail = _text(agent.get(page).get_data(as_text=True))
    for staff_page in (queue, detail):
        assert "等待顾客补充信息" in staff_page and "等待您补充信息" not in staff_page
    assert "等待您补充信息" in _text(client.get(f"/voltmart/track/{number}").get_data(as_text=True))


def test_the_return_is_not_requested_again_once_received(app, client, shop):
    number, case, agent, page = _filed_with_agent(app, client)
    _act(agent, page, "accept")
    _act(agent, page, "request_return")
    post_form(
        client,
        f"/voltmart/track/{number}/return",
        {"carrier": "顺丰", "tracking": "SF100200300"},
        form_url=f"/voltmart/track/{number}",
    )
    _act(agent, page, "mark_return_received")
    _act(agent, page, "mark_inspected")
    _act(agent, page, "verify", responsibility="merchant", reason_code="quality.function", basis="主板虚焊")
    html = agent.get(page).get_data(as_text=True)
    assert "/actions/request_return" not in html and "/actions/propose" in html
    post_form(agent, f"{page}/actions/request_return", {}, form_url=page)
    assert _case(app, number).status == "verified"  # refused, not half-done
    _act(agent, page, "propose", kind="refund", amount="199.00")
    assert "/actions/request_return" not in agent.get(page).get_data(as_text=True)


def test_a_link_from_a_message_prefills_the_case_number(app, client, shop):
    html = client.get("/voltmart/track?number=AS261123-ABCD-EFGH-JKM").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="number"[^>]*value="AS261123-ABCD-EFGH-JKM"', html), html


def test_a_failed_lookup_keeps_the_number_not_the_second_factor(app, client, shop):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    other = app.test_client()
    r = post_form(other, "/voltmart/track", {"number": number, "factor": "0000"})
    assert r.status_code == 303
    html = other.get(r.headers["Location"]).get_data(as_text=True)
    assert re.search(rf'<input[^>]*name="number"[^>]*value="{number}"', html)
    assert not re.search(r'<input[^>]*name="factor"[^>]*value="0000"', html)
    assert 'role="alert"' in html
    # The kept number is shown once: a fresh visit starts empty.
    again = other.get("/voltmart/track").get_data(as_text=True)
    assert not re.search(rf'value="{number}"', again)


def test_the_case_pages_messages_read_as_words(app, client, shop):
    from tests.e2e.journey import INTERNAL_KEYS

    number, case, agent, page = _filed_with_agent(app, client)
    _act(agent, page, "accept")
    html = agent.get(page).get_data(as_text=True)
    section = _text(html[html.index('id="notifications"') : html.index('class="actions')])
    assert "您的售后申请已受理" in section  # what the message said, not its template's key
    assert "短信" in section and "待发送" in section
    assert not INTERNAL_KEYS.findall(section) and not re.search(r"\b(sms|accepted|submitted)\b", section), section


def test_typed_words_are_set_apart_as_sentences(app):
    from flask_babel import force_locale

    from saas.services.case_messages import render

    with app.test_request_context(), force_locale("zh_Hans"):
        text = render("verified_merchant", {"basis": "主板虚焊", "clause": "第 4.1 条"})
    assert "主板虚焊。依据条款：第 4.1 条" in text, text
    with app.test_request_context(), force_locale("en"):
        text = render("proposed_exchange", {"detail": "Same model, new"})
    assert text == "Our proposal: an exchange for a replacement. Details: Same model, new", text
