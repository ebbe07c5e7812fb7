"""One form per agent action: the case page renders each offered action's own fields in words, and an
action reads only the fields its form declares."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from saas.blueprints import case_actions
from saas.extensions import db
from saas.models.case import Evidence
from saas.services import cases
from tenants.scoping import cross_tenant
from tests.factories import csrf_token, post_form
from tests.test_cases import _filed_with_agent, _jpeg, shop  # noqa: F401

FORM = re.compile(r'<form[^>]*action="[^"]*/actions/(\w+)"[^>]*>(.*?)</form>', re.S)
CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>")


def _forms(html: str) -> dict[str, list[dict[str, str]]]:
    """action → its controls' attributes, as the page rendered them."""
    found = {}
    for action, body in FORM.findall(html):
        found[action] = [dict(re.findall(r'([\w-]+)="([^"]*)"', attrs)) for _tag, attrs in CONTROL.findall(body)]
    return found


def test_every_action_of_the_case_service_has_one_form():
    service_actions = set(cases.ALLOWED) | {"escalate", "note", "message"}
    service_actions |= {"lower_emergency"}  # saas.services.case_emergency
    service_actions |= {"claim", "assign"}  # saas.services.assignment
    assert set(case_actions.ACTIONS) == service_actions
    assert all(form.action == name for name, form in case_actions.ACTIONS.items())


def test_the_page_renders_exactly_each_offered_forms_fields_in_words(app, client, shop):
    number, case, agent, detail = _filed_with_agent(app, client)
    post_form(agent, f"{detail}/actions/accept", {}, form_url=detail)
    html = agent.get(f"{detail}?lang=en").get_data(as_text=True)
    forms = _forms(html)
    # Offered now (accepted): the forms whose status rules allow it, plus message and note; nothing else.
    with app.app_context(), cross_tenant("test"):
        from saas.models.case import Case

        accepted = db.session.get(Case, case.id)
        expected = [name for name, form in case_actions.ACTIONS.items() if form.offered(accepted)]
    assert list(forms) == expected and "accept" not in forms and "verify" in forms
    for action, controls in forms.items():
        with app.test_request_context():
            declared = [f.name for f in case_actions.ACTIONS[action](formdata=None, meta={"csrf": False})]
        rendered = [c["name"] for c in controls if c.get("name") != "csrf_token"]
        assert rendered == declared, action
        ids = [c["id"] for c in controls if "id" in c]
        assert len(ids) == len(set(ids)), action
        for c in controls:
            if c["name"] != "csrf_token":
                words = c.get("aria-label", "")
                assert words and words != c["name"], (action, c)  # a label a person reads, not the field's key
    verify = {c["name"]: c for c in forms["verify"]}
    assert verify["basis"]["aria-label"] == "Evidence and reasoning"
    assert 'value="merchant">Merchant</option>' in html.replace(" selected", "")
    assert 'value="">Invoice: by resolution</option>' in html
    zh = agent.get(f"{detail}?lang=zh_Hans").get_data(as_text=True)
    assert _forms(zh)["request_info"][1]["aria-label"] != "What do you need?"  # Chinese words on a Chinese page


def test_an_action_reads_only_what_its_form_declares(app, client, shop):
    """A file sent with an internal note (whose form shows no file input) is not stored; a message's is."""
    number, case, agent, detail = _filed_with_agent(app, client)

    def evidence_count() -> int:
        with app.app_context(), cross_tenant("test"):
            return db.session.scalar(select(func.count(Evidence.id)))

    before = evidence_count()
    for action, field in (("note", "note"), ("message", "message")):
        r = agent.post(
            f"{detail}/actions/{action}",
            data={
                "csrf_token": csrf_token(agent, detail),
                field: "见附件",
                "evidence": [(io.BytesIO(_jpeg()), "scratch.jpg")],
            },
            content_type="multipart/form-data",
        )
        assert r.status_code == 302
    assert evidence_count() == before + 1
    assert (
        agent.post(f"{detail}/actions/approve_everything", data={"csrf_token": csrf_token(agent, detail)}).status_code
        == 404
    )


def test_a_forms_own_refusal_names_the_field_in_words(app):
    """What the view flashes when a form's validators say no (hostile-input limits live on the forms)."""
    from werkzeug.datastructures import MultiDict
    from wtforms.validators import Length

    class Limited(case_actions.Reject):
        reason = case_actions.StringField(case_actions._l("Reason for the customer"), validators=[Length(max=5)])

    with app.test_request_context("/?lang=en"):
        form = Limited(formdata=MultiDict({"reason": "far too long"}), meta={"csrf": False})
        assert not form.validate()
        assert case_actions.refusals(form) == ["Reason for the customer: Field cannot be longer than 5 characters."]
