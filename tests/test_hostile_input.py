"""Hostile input gets a 4xx with a message in the user's language, nothing half-written, and never a 500."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from saas.extensions import db
from saas.input_guard import InputRefused, bounded_int, check_json_body, int_list, parse_decimal
from saas.models.case import Case, CaseEvent
from saas.models.complaint import PlatformComplaint
from saas.models.notification import ContactSuppression, Notification
from saas.services import cases, complaint_compensations, complaints, message_templates
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import login, post_form, statements
from tests.test_notifications import smtp  # noqa: F401  (the aiosmtpd fixture)
from tests.test_orders import shop  # noqa: F401
from tests.test_outbox_worker import PARAMS, _wording, job, notification, row, shops  # noqa: F401
from workers import sending
from workers.providers import MessageFault

DEMO_PASSWORD = "demo-password-2026"


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output


def _voltmart_case(app) -> tuple[int, int]:
    with app.app_context():
        tenant_id = db.session.scalar(select(Tenant.id).where(Tenant.slug == "voltmart"))
        with tenant_context(tenant_id):
            return tenant_id, db.session.scalars(select(Case.id).order_by(Case.id)).first()


def _count(app, model, tenant_id=None) -> int:
    with app.app_context(), cross_tenant("test"):
        stmt = select(func.count()).select_from(model)
        if tenant_id is not None:
            stmt = stmt.where(model.tenant_id == tenant_id)
        return db.session.scalar(stmt)


# ---------- control characters -------------------------------------------------


def test_a_nul_in_a_query_is_a_400_in_the_users_language(app, client, two_tenants):
    zh = client.get("/shop-a/policy?q=a%00b")
    assert zh.status_code == 400
    assert "不可见控制字符" in zh.get_data(as_text=True)
    en = client.get("/shop-a/policy?lang=en&q=%00")
    assert en.status_code == 400
    assert "invisible control characters" in en.get_data(as_text=True)


def test_a_nul_in_a_slug_is_a_404_before_any_query(app, client, two_tenants):
    """On PostgreSQL the NUL reached `WHERE slug = …` and failed the request and its error page."""
    with statements(app) as seen:
        response = client.get("/shop%00-a/policy")
    assert response.status_code == 404
    assert not [s for s in seen if "tenants" in s]


def test_a_nul_in_a_form_field_writes_nothing(app, client, two_tenants):
    before = _count(app, PlatformComplaint)
    response = post_form(
        client,
        "/shop-a/complaints/new",
        {"name": "王\x00芳", "mobile": "13800138000", "email": "", "case_number": "", "text": "商家不处理\x00"},
    )
    assert response.status_code == 400
    assert "不可见控制字符" in response.get_data(as_text=True)
    assert _count(app, PlatformComplaint) == before


@pytest.mark.parametrize("value", ["a\x1b[31m", "\x7f", "\u0085", "\x0b"])
def test_other_control_characters_are_refused_too(app, client, two_tenants, value):
    body = "q=" + "".join(f"%{b:02X}" for b in value.encode("utf-8", "surrogatepass"))
    response = client.get("/shop-a/policy?" + body)
    assert response.status_code == 400


def test_line_breaks_and_tabs_in_text_are_kept(app, client, two_tenants):
    assert client.get("/shop-a/policy?q=a%0D%0Ab%09c").status_code == 200


def test_a_nul_in_a_cookie_or_a_header_is_no_error(app, client, two_tenants):
    client.set_cookie("session", "x\x00y")
    assert client.get("/shop-a/policy").status_code == 200
    assert client.get("/shop-a/policy", headers={"Accept-Language": "zh\x00", "X-Any": "\x00"}).status_code == 200


def test_the_error_page_answers_even_when_the_layout_fails(app, client, two_tenants, monkeypatch):
    from saas.blueprints import core

    def broken(*args, **kwargs):
        raise RuntimeError("the layout failed too")

    monkeypatch.setattr(core, "render_template", broken)
    response = client.get("/shop-a/no-such-page")
    assert response.status_code == 404
    assert "您访问的页面不存在" in response.get_data(as_text=True) or "不存在" in response.get_data(as_text=True)
    refused = client.get("/shop-a/policy?q=%00")
    assert refused.status_code == 400 and "控制字符" in refused.get_data(as_text=True)


# ---------- numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/shop-a/console/cases/99999999999999999999",
        "/shop-a/console/cases/2147483648",
        "/shop-a/console/orders/9223372036854775808",
        "/shop-a/policy/v/99999999999999999999",
    ],
)
def test_an_id_beyond_the_database_integer_is_a_404(app, client, two_tenants, url):
    login(client, "owner@a.example.com")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999", "priority=99999999999999999999", "priority=%C2%B2", "page=-5", "page=%D9%A1"]
)
def test_queue_filters_with_huge_or_odd_numbers_show_the_queue(app, client, two_tenants, query):
    login(client, "owner@a.example.com")
    assert client.get(f"/shop-a/console/cases?{query}").status_code == 200
    assert client.get(f"/shop-a/console/orders/?{query}").status_code == 200


def test_bounded_int_and_int_list():
    assert bounded_int("42") == 42 and bounded_int(" 7 ") == 7
    for bad in ("2147483648", "9" * 30, "-1", "²", "١", "1e3", "", "0x10"):
        with pytest.raises(ValueError):
            bounded_int(bad)
    assert int_list(["1", "²", "99999999999999999999", "x", "3"]) == [1, 3]


@pytest.mark.parametrize(
    "raw",
    [
        "1e400",
        "-1e400",
        "NaN",
        "Infinity",
        "-Infinity",
        "sNaN",
        "1E+3",
        "1_000",
        "12345678901234567890",
        "1.001",
        "",
        "¥5",
        "١٢",
    ],
)
def test_amounts_refuse_exponents_and_specials(raw):
    assert parse_decimal(raw) is None
    with pytest.raises(complaints.ComplaintError):
        complaint_compensations.parse_amount(raw)
    with pytest.raises(cases.CaseError):
        cases._amount(raw)


def test_amounts_still_take_plain_money():
    assert str(parse_decimal("1,299.5")) == "1299.5"
    assert str(complaint_compensations.parse_amount("59.90")) == "59.90"
    assert str(cases._amount("100")) == "100"


def test_a_proposal_of_1e400_yuan_is_refused_with_a_message(app, client, demo):
    tenant_id, case_id = _voltmart_case(app)
    login(client, "owner@voltmart.demo", DEMO_PASSWORD)
    page = f"/voltmart/console/cases/{case_id}"
    post_form(client, f"{page}/actions/accept", {}, form_url=page)
    events = _count(app, CaseEvent, tenant_id)
    response = post_form(
        client, f"{page}/actions/propose", {"kind": "refund", "amount": "1e400"}, form_url=page, follow_redirects=True
    )
    assert response.status_code == 200
    assert _count(app, CaseEvent, tenant_id) == events


# ---------- JSON -------------------------------------------------------------------


def test_json_sent_to_a_form_page_is_a_415(app, client, two_tenants):
    deep = "[" * 100_000 + "]" * 100_000
    for body in (deep, json.dumps({"name": {"a": [1, 2]}}), "{"):
        response = client.post("/shop-a/complaints/new", data=body, content_type="application/json")
        assert response.status_code == 415
        assert "不接受 JSON" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "body",
    [
        "[" * 50 + "]" * 50,
        '{"a": ' * 20 + "1" + "}" * 20,
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": "x\\u0000"}',
        '{"a": "\\ud800"}',
        '{"a\\u0000": 1}',
        "[1, 2]",
        '"text"',
        "{",
        '{"a": 1e400}',
        '{"n": 99999999999999999999}',
        "{" + '"a": "' + "x" * 70_000 + '"}',
    ],
)
def test_the_api_json_guard_refuses_what_no_endpoint_could_take(app, body):
    with app.test_request_context("/api/v1/x", method="POST", data=body, content_type="application/json"):
        with pytest.raises(InputRefused) as info:
            check_json_body()
        assert info.value.code == 400


def test_the_api_json_guard_takes_a_plain_object(app):
    body = json.dumps({"case": {"lines": [{"sku": "A-1", "qty": 2}], "note": "多行\n文字 [{]}"}, "ok": True})
    with app.test_request_context("/api/v1/x", method="POST", data=body, content_type="application/json"):
        check_json_body()


# ---------- dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("delivery_date", "9999-12-31", "日期不能晚于今天"),
        ("purchase_date", "0001-01-01", "请输入"),
        ("purchase_date", (date.today() + timedelta(days=40)).isoformat(), "日期不能晚于今天"),
    ],
)
def test_intake_dates_have_sane_bounds(app, client, two_tenants, field, value, message):
    before = _count(app, Case)
    data = {
        "order_number": "T-1",
        "customer_name": "王芳",
        "mobile": "13800138000",
        "email": "",
        "purchase_channel": "taobao",
        "problem_type": "quality",
        "description": "坏了",
        "expected_resolution": "refund",
        "category": "general",
        "purchase_date": "2026-11-01",
        field: value,
    }
    response = post_form(client, "/shop-a/cases/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _count(app, Case) == before


def test_the_date_inputs_carry_their_bounds(app, client, two_tenants):
    html = client.get("/shop-a/cases/new").get_data(as_text=True)
    assert 'max="' in html and 'min="' in html and 'name="delivery_date"' in html


def test_a_supervisor_grant_lasts_a_few_years_at_most(app, client):
    from saas.models.supervision import SupervisorGrant
    from tests.factories import make_tenant, make_user

    with app.app_context():
        tenant = make_tenant("shop-g")
        make_user(None, "operator", "op@platform.example.com")
        supervisor = make_user(None, "supervisor", "sup@cca.example.com")
        db.session.commit()
        tenant_id, supervisor_id = tenant.id, supervisor.id
    login(client, "op@platform.example.com")
    today = date.today()
    page = f"/admin/supervisors/{supervisor_id}"
    for starts, ends in ((today, date(9999, 12, 31)), (date(1, 1, 1), today), (today, today + timedelta(days=5 * 366))):
        response = post_form(
            client,
            f"{page}/grants",
            {"tenant_id": tenant_id, "starts_on": starts.isoformat(), "ends_on": ends.isoformat()},
            form_url=page,
        )
        assert response.status_code in (200, 400)
        assert "请输入" in response.get_data(as_text=True)
    assert _count(app, SupervisorGrant) == 0


# ---------- lengths ------------------------------------------------------------------------


def test_a_huge_staff_message_is_refused_and_nothing_is_sent(app, client, demo):
    tenant_id, case_id = _voltmart_case(app)
    login(client, "owner@voltmart.demo", DEMO_PASSWORD)
    page = f"/voltmart/console/cases/{case_id}"
    assert re.search(r'<textarea[^>]*maxlength="500"[^>]*name="message"', client.get(page).get_data(as_text=True))
    events, sent = _count(app, CaseEvent, tenant_id), _count(app, Notification, tenant_id)
    response = post_form(client, f"{page}/actions/message", {"message": "请" * 100_117}, form_url=page)
    assert response.status_code == 400
    assert "最多 10000 个字符" in response.get_data(as_text=True)
    response = post_form(client, f"{page}/actions/message", {"message": "请" * 501}, form_url=page)
    assert response.status_code == 400
    assert "最多 500 个字符" in response.get_data(as_text=True)
    note = post_form(client, f"{page}/actions/note", {"note": "x" * 1_000_000}, form_url=page)
    assert note.status_code in (400, 413)
    assert (_count(app, CaseEvent, tenant_id), _count(app, Notification, tenant_id)) == (events, sent)
    ok = post_form(client, f"{page}/actions/message", {"message": "请" * 500}, form_url=page)
    assert ok.status_code == 302


def test_any_form_value_beyond_the_hard_limit_is_refused(app, client, two_tenants):
    response = post_form(client, "/shop-a/track", {"number": "AS" + "1" * 10_001, "factor": "1234"})
    assert response.status_code == 400
    assert "最多 10000 个字符" in response.get_data(as_text=True)


def test_policy_texts_and_numbers_are_bounded(app, client, demo):
    login(client, "owner@voltmart.demo", DEMO_PASSWORD)
    page = "/voltmart/console/policy/draft"
    html = client.get(page).get_data(as_text=True)
    assert 'maxlength="2000"' in html
    from tests.test_policies import _terms_form

    data = _terms_form(client, "voltmart")
    long_text = post_form(client, page, {**data, "channels_zh": "电" * 2001}, form_url=page)
    assert "不能超过 2000 个字符" in long_text.get_data(as_text=True)
    huge = post_form(client, page, {**data, "no_reason_return_days": "9" * 12}, form_url=page)
    assert huge.status_code == 422 and re.search("不能超过|数值过大", huge.get_data(as_text=True)), re.findall(
        r"<small[^>]*>[^<]*</small>", huge.get_data(as_text=True)
    )


# ---------- e-mail subjects ------------------------------------------------------------------


def test_a_multi_line_message_in_a_subject_is_sent_as_one_line(app, smtp, shops):  # noqa: F811
    with app.app_context(), tenant_context(shops["a"]):
        tenant = db.session.get(Tenant, shops["a"])
        message_templates.save_override(
            tenant, "accepted", "email", "zh_Hans", "【{shop}】{message}", "{customer}：{message}"
        )
        db.session.commit()
    params = {**PARAMS, "message": "第一行\r\n\r\nBcc: victim@example.com\n第三行\u2028" + "长" * 300}
    with app.app_context():
        nid = row(shops["a"])
        with cross_tenant("test"):
            db.session.get(Notification, nid).params = params
            db.session.commit()
        assert job(nid) == "sent"
        subject = _wording(smtp)[0]
        assert "\n" not in subject and "\r" not in subject
        assert subject.startswith("【shop-a 店】第一行 Bcc: victim@example.com 第三行")
        assert len(subject) <= message_templates.SUBJECT_MAX
        assert smtp.messages[-1]["Bcc"] is None
        with cross_tenant("test"):
            assert db.session.scalar(select(func.count()).select_from(ContactSuppression)) == 0


def test_a_header_the_template_made_is_a_template_error_not_the_recipients(app, shops, monkeypatch):  # noqa: F811
    class Refusing:
        def send(self, msg):
            raise MessageFault("cannot build email: bad header", code="invalid_message")

    monkeypatch.setattr(sending, "email_sender", lambda: Refusing())
    with app.app_context():
        nid = row(shops["a"])
        assert job(nid) == "dead"
        n = notification(nid)
        assert (n.status, n.error_code) == ("dead", "template")
        with cross_tenant("test"):
            assert db.session.scalar(select(func.count()).select_from(ContactSuppression)) == 0
        # The same address still gets the next message.
        monkeypatch.undo()


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"purchase_date": "0001-01-01", "delivery_date": ""}, "purchase_date"),
        ({"purchase_date": "2026-01-05", "delivery_date": "9999-12-31"}, "delivery_date"),
    ],
)
def test_imported_orders_have_sane_dates(shop, changes, field):  # noqa: F811
    from saas.models.order import Order
    from tests.test_orders import _csv, _import, _row

    result = _import(shop, _csv([_row(**changes)]))
    assert [e.field for e in result.errors] == [field]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_cache_token_deleted_between_set_and_get_is_no_error():
    """Seen by the fuzz walk: a commit elsewhere deleted the token between SET NX and GET."""
    from saas.caches import tokens

    class Racing:
        def get(self, key):
            return None

        def set(self, key, value, nx=False):
            return False  # someone else's SET won, and was deleted before our GET

    token = tokens.current(Racing(), 1)
    assert isinstance(token, str) and len(token) == 16


def test_a_policy_cannot_take_effect_in_year_9999(app, client, demo):
    from tenants.models import PolicyVersion

    login(client, "owner@voltmart.demo", DEMO_PASSWORD)
    page = "/voltmart/console/policy/"
    with app.app_context(), cross_tenant("test"):
        versions = db.session.scalar(select(func.count()).select_from(PolicyVersion))
    response = post_form(
        client,
        "/voltmart/console/policy/publish",
        {"effective_date": "9999-12-31"},
        form_url=page,
        follow_redirects=True,
    )
    assert "请输入" in response.get_data(as_text=True)
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(func.count()).select_from(PolicyVersion)) == versions


def test_the_api_answers_bad_json_in_json_with_a_message(app, client, two_tenants):
    deep = client.post(
        "/api/v1/tenants/shop-a/policy", data="[" * 10_000 + "]" * 10_000, content_type="application/json"
    )
    assert deep.status_code == 400
    assert deep.get_json()["error"]["message"] == "请求内容必须是一个较小的 JSON 对象。"
    nul = client.post(
        "/api/v1/tenants/shop-a/policy?lang=en", data='{"name": "a\\u0000"}', content_type="application/json"
    )
    assert nul.status_code == 400 and "control characters" in nul.get_json()["error"]["message"]
    fine = client.post("/api/v1/tenants/shop-a/policy", data='{"name": "a"}', content_type="application/json")
    assert fine.status_code == 405


def test_a_follow_up_outcome_beyond_its_limit_is_refused_not_cut(app, client, two_tenants):
    from saas.models.survey import FollowUpTask
    from tests.test_tenancy import _CASES, _follow_up

    _CASES.clear()  # that module keeps its case per tenant id; this test's tables are new
    with app.app_context():
        task_id = _follow_up(two_tenants)["task_id"]
    login(client, "owner@a.example.com")
    page = "/shop-a/console/follow-ups"
    assert 'name="outcome" maxlength="2000"' in client.get(page).get_data(as_text=True)
    response = post_form(client, f"/shop-a/console/follow-ups/{task_id}/done", {"outcome": "好" * 2001}, form_url=page)
    assert response.status_code == 400 and "最多 2000 个字符" in response.get_data(as_text=True)
    with app.app_context(), tenant_context(two_tenants["a"]):
        assert db.session.get(FollowUpTask, task_id).status == "open"
