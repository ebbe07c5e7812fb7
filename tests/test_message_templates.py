"""Merchant message templates in the console: listing, preview, validation, saving, reset, roles, tenancy."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from saas.extensions import db
from saas.models.audit import AuditEvent
from saas.models.base import travel_to
from saas.models.notification import DevSms, MessageTemplate, Notification
from saas.services import case_intake, message_templates, policies
from saas.services.message_previews import SAMPLE_CASE_NUMBER, sms_length
from saas.services.message_templates import SUBJECTS, TemplateError
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import csrf_token, login, post_form
from workers import outbox

SH = ZoneInfo("Asia/Shanghai")
BASE = "/shop-a/console/templates"


def _text(page: str) -> str:
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _tenant(tenant_id: int) -> Tenant:
    return db.session.get(Tenant, tenant_id)


def _overrides(tenant_id: int) -> list[MessageTemplate]:
    with cross_tenant("test"):
        return db.session.scalars(select(MessageTemplate).where(MessageTemplate.tenant_id == tenant_id)).all()


def _audit(tenant_id: int) -> list[str]:
    with cross_tenant("test"):
        return [
            e.action
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.tenant_id == tenant_id).order_by(AuditEvent.id)
            )
            if e.action.startswith("message_template.")
        ]


def _sample_render(app, tenant_id: int, key: str, channel: str, locale: str):
    with app.test_request_context(), tenant_context(tenant_id):
        return message_templates.render(
            _tenant(tenant_id),
            key,
            channel,
            locale,
            {"case_number": "AS-1", "message": "M", "link": "L", "customer": "C"},
        )


@pytest.fixture
def owner(client, two_tenants):
    assert login(client, "owner@a.example.com").status_code == 302
    return two_tenants


@pytest.fixture
def agent(client, two_tenants):
    assert login(client, "agent@a.example.com").status_code == 302
    return two_tenants


# ---------- the service -----------------------------------------------------


@pytest.mark.parametrize(
    "text, chars, segments, encoding",
    [
        ("", 0, 0, "gsm7"),
        ("a" * 160, 160, 1, "gsm7"),
        ("a" * 161, 161, 2, "gsm7"),
        ("a" * 306, 306, 2, "gsm7"),
        ("a" * 307, 307, 3, "gsm7"),
        ("[x]" + "a" * 154, 159, 1, "gsm7"),  # [ and ] take two septets each
        ("退" * 70, 70, 1, "ucs2"),
        ("退" * 71, 71, 2, "ucs2"),
        ("退" * 134, 134, 2, "ucs2"),
        ("退" * 135, 135, 3, "ucs2"),
        ("a" * 69 + "é", 70, 1, "gsm7"),  # é is in the GSM alphabet
        ("a" * 69 + "ó", 70, 1, "ucs2"),  # ó is not: the whole text becomes UCS-2
        ("😀" * 35, 70, 1, "ucs2"),  # outside the BMP: two UTF-16 units each
    ],
)
def test_sms_length(text, chars, segments, encoding):
    length = sms_length(text)
    assert (length.chars, length.segments, length.encoding) == (chars, segments, encoding)
    assert length.multipart == (segments > 1)


@pytest.mark.parametrize(
    "body, zh, en",
    [
        ("{shop} {oops}", "未知占位符：{oops}", "Unknown placeholder(s): {oops}"),
        ("{shop} {case_number", "花括号不成对", "unbalanced braces"),
        ("{shop} }", "花括号不成对", "unbalanced braces"),
        ("{shop:>99999999}", "不能带格式", "without a format"),
        ("{link!r}", "不能带格式", "without a format"),
        ("{shop.__class__}", "未知占位符", "Unknown placeholder"),
        ("{}", "未知占位符", "Unknown placeholder"),
        ("   ", "不能为空", "cannot be empty"),
        ("x" * 501, "过长", "too long"),
    ],
)
def test_bad_templates_are_refused_in_both_languages(app, body, zh, en):
    with pytest.raises(TemplateError) as caught:
        message_templates.validate("accepted", "sms", "zh_Hans", "", body)
    with app.test_request_context(), force_locale("zh_Hans"):
        assert zh in caught.value.message
    with app.test_request_context(), force_locale("en"):
        assert en in caught.value.message
    assert caught.value.field == "body"


def test_subject_errors_point_at_the_subject(app):
    for subject in ("{oops}", "one\ntwo", "x" * 201):
        with pytest.raises(TemplateError) as caught:
            message_templates.validate("accepted", "email", "en", subject, "{message}")
        assert caught.value.field == "subject"
    message_templates.validate("accepted", "email", "en", "{{literal}} {case_number}", "{message} {{ok}}")


# ---------- the list --------------------------------------------------------


def test_the_list_shows_every_template_as_default(client, owner):
    r = client.get(f"{BASE}?lang=en")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    cells = re.findall(r'data-template="([^"]+)" data-state="(\w+)"', page)
    assert len(cells) == len(SUBJECTS) * 2 * 2
    assert {state for _t, state in cells} == {"default"}
    assert {t for t, _s in cells} == {
        f"{k}/{c}/{loc}" for k in SUBJECTS for c in ("sms", "email") for loc in ("zh_Hans", "en")
    }
    text = _text(page)
    assert "Message templates" in text and "Customised: 0" in text and "Survey invitation" in text
    assert f'href="{BASE}/accepted/sms/zh_Hans"' in page
    assert 'href="/shop-a/console/templates"' in page  # the console menu links here


@pytest.mark.parametrize(
    "lang, words",
    [
        (
            "zh",
            [
                "自动回复",
                "满意度调查邀请",
                "案件已升级给经理",
                "平台转来的投诉",
                "发给顾客",
                "发给您的团队",
                "短信",
                "邮件",
            ],
        ),
        (
            "en",
            [
                "Automatic reply",
                "Survey invitation",
                "Case passed to a manager",
                "Complaint forwarded by the platform",
                "to the customer",
                "to your team",
                "SMS",
                "Email",
            ],
        ),
    ],
)
def test_the_list_names_every_message_in_words_not_keys(client, owner, lang, words):
    page = client.get(f"{BASE}?lang={lang}").get_data(as_text=True)
    text = _text(re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))
    for w in words:
        assert w in text
    # In English some keys are plain words ("closed", "recall"); the ones with an underscore never are.
    keys = [k for k in [*SUBJECTS, "sms", "email", "zh_Hans"] if lang == "zh" or "_" in k]
    shown = [k for k in keys if re.search(rf"(?<![\w/]){k}(?![\w/])", text)]
    assert not shown, f"keys on the page: {shown}"
    edit = _text(client.get(f"{BASE}/complaint_reply/email/zh_Hans?lang={lang}").get_data(as_text=True))
    assert "complaint_reply" not in edit and ("平台对投诉的答复" in edit or "Platform's answer" in edit)


def test_the_list_marks_a_customised_template(app, client, owner):
    with app.app_context(), tenant_context(owner["a"]):
        message_templates.save_override(_tenant(owner["a"]), "refund_paid", "email", "en", "", "Paid: {message}")
        db.session.commit()
    page = client.get(f"{BASE}?lang=en").get_data(as_text=True)
    states = dict(re.findall(r'data-template="([^"]+)" data-state="(\w+)"', page))
    assert states["refund_paid/email/en"] == "customised"
    assert list(states.values()).count("customised") == 1


# ---------- preview ---------------------------------------------------------


def test_the_edit_page_previews_the_template_in_force(client, owner):
    page = client.get(f"{BASE}/accepted/sms/zh_Hans?lang=en").get_data(as_text=True)
    text = _text(page)
    for name in ("{shop}", "{case_number}", "{message}", "{link}", "{customer}"):
        assert name in text
    # The default with sample values: the shop's name, a sample message for this key, a tracking link.
    assert "【shop-a 店】您的售后申请已受理，我们正在核查。 详情：" in text
    link = f"http://localhost/shop-a/track?number={SAMPLE_CASE_NUMBER}"
    sent = f"【shop-a 店】您的售后申请已受理，我们正在核查。 详情：{link}"
    assert sent in text
    # With the link, even the default Chinese SMS takes two segments: the page says so.
    assert len(sent) > 70 and f"{len(sent)} characters, 2 SMS" in text and 'id="sms-warning"' in page
    page = client.get(f"{BASE}/accepted/sms/en?lang=en").get_data(as_text=True)
    sent = f"[shop-a shop] Your after-sales request has been accepted. We are now checking it. Details: {link}"
    assert sent in _text(page)
    assert f"{len(sent) + 2} characters, 1 SMS" in _text(page) and 'id="sms-warning"' not in page


def test_preview_renders_the_draft_without_saving(app, client, owner):
    body = "【{shop}】{customer}，案件 {case_number}：{message}"
    r = post_form(client, f"{BASE}/accepted/sms/zh_Hans?lang=en", {"body": body, "action": "preview"})
    assert r.status_code == 200
    text = _text(r.get_data(as_text=True))
    rendered = f"【shop-a 店】陈静，案件 {SAMPLE_CASE_NUMBER}：您的售后申请已受理，我们正在核查。"
    assert rendered in text
    assert f"{len(rendered)} characters, 1 SMS" in text
    assert "70 characters per SMS" in text and "Nothing is saved" in text
    with app.app_context():
        assert _overrides(owner["a"]) == []
        assert _audit(owner["a"]) == []


def test_preview_counts_segments_and_warns_over_one(client, owner):
    body = "【{shop}】{message} " + "请保持电话畅通。" * 8 + " {link}"
    r = post_form(client, f"{BASE}/accepted/sms/zh_Hans?lang=en", {"body": body, "action": "preview"})
    page = r.get_data(as_text=True)
    m = re.search(r"(\d+) characters, (\d+) SMS", _text(page))
    chars, segments = int(m.group(1)), int(m.group(2))
    assert chars > 70 and segments == -(-chars // 67) and segments >= 2
    assert 'id="sms-warning"' in page and f"sent as {segments} SMS" in _text(page)
    assert "67 characters per SMS" in _text(page)


def test_english_sms_counts_160_per_segment(client, owner):
    r = post_form(client, f"{BASE}/accepted/sms/en?lang=en", {"body": "[{shop}] {message}", "action": "preview"})
    text = _text(r.get_data(as_text=True))
    expected = "[shop-a shop] Your after-sales request has been accepted. We are now checking it."
    assert expected in text
    # [ and ] are GSM-7 extension characters: two each.
    assert f"{len(expected) + 2} characters, 1 SMS" in text and "160 characters per SMS" in text


def test_email_preview_shows_subject_text_and_a_sandboxed_html_page(app, client, owner):
    data = {"subject": "Update on {case_number}", "body": "Hi {customer},\n\n{message}\n\n{link}", "action": "preview"}
    r = post_form(client, f"{BASE}/refund_paid/email/en?lang=en", data)
    text = _text(r.get_data(as_text=True))
    assert f"Update on {SAMPLE_CASE_NUMBER}" in text
    assert "Hi Jing Chen," in text and "Your refund of 129.00 yuan has been paid" in text
    # The HTML email of the draft, alone and sandboxed.
    token = csrf_token(client, f"{BASE}/refund_paid/email/en")
    h = client.post(f"{BASE}/refund_paid/email/en/preview.html", data={**data, "csrf_token": token})
    assert h.status_code == 200 and h.mimetype == "text/html"
    assert h.headers["Content-Security-Policy"].startswith("sandbox")
    assert "script-src" not in h.headers["Content-Security-Policy"]
    page = h.get_data(as_text=True)
    assert f"<title>Update on {SAMPLE_CASE_NUMBER}</title>" in page and "Hi Jing Chen," in page
    assert "#1f6feb" in page  # the shop's colour
    # GET shows the template in force (the default here); nothing was saved.
    g = client.get(f"{BASE}/refund_paid/email/en/preview.html")
    assert g.status_code == 200 and "Dear Jing Chen," in g.get_data(as_text=True)
    assert g.headers["Content-Security-Policy"].startswith("sandbox")
    with app.app_context():
        assert _overrides(owner["a"]) == []


def test_html_preview_is_only_for_email(client, owner):
    assert client.get(f"{BASE}/accepted/sms/zh_Hans/preview.html").status_code == 404


# ---------- saving ----------------------------------------------------------


def test_saving_a_valid_template_changes_what_is_sent(app, client, owner):
    body = "【{shop}】{message} 进度：{link} 回复T退订"
    r = post_form(client, f"{BASE}/accepted/sms/zh_Hans?lang=en", {"body": body, "action": "save"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{BASE}/accepted/sms/zh_Hans")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Template saved." in _text(page) and "回复T退订" in page
    with app.app_context():
        [own] = _overrides(owner["a"])
        assert (own.key, own.channel, own.locale, own.body) == ("accepted", "sms", "zh_Hans", body)
        assert _audit(owner["a"]) == ["message_template.save"]
    assert _sample_render(app, owner["a"], "accepted", "sms", "zh_Hans").text == "【shop-a 店】M 进度：L 回复T退订"
    # Other languages, channels and keys keep the default.
    assert _sample_render(app, owner["a"], "accepted", "sms", "en").text == "[shop-a shop] M Details: L"
    assert _sample_render(app, owner["a"], "submitted", "sms", "zh_Hans").text == "【shop-a 店】M 详情：L"
    # And another tenant is not affected.
    assert _sample_render(app, owner["b"], "accepted", "sms", "zh_Hans").text == "【shop-b 店】M 详情：L"
    assert client.get(f"{BASE}?lang=en").get_data(as_text=True).count('data-state="customised"') == 1


def test_saving_an_email_subject_and_body(app, client, owner):
    data = {
        "subject": "【{shop}】退款到账 {case_number}",
        "body": "{customer}:\r\n\r\n{message}\r\n{link}",
        "action": "save",
    }
    assert post_form(client, f"{BASE}/refund_paid/email/zh_Hans", data).status_code == 302
    out = _sample_render(app, owner["a"], "refund_paid", "email", "zh_Hans")
    assert out.subject == "【shop-a 店】退款到账 AS-1"
    assert out.text == "C:\n\nM\nL"  # browser line breaks normalised
    assert "<title>【shop-a 店】退款到账 AS-1</title>" in out.html


def test_the_outbox_sends_the_saved_wording(app, client, owner, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "dev")
    body = "{shop}提醒：{message}({case_number})"
    assert post_form(client, f"{BASE}/submitted/sms/zh_Hans", {"body": body, "action": "save"}).status_code == 302
    when = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    with app.app_context():
        tenant = _tenant(owner["a"])
        with tenant_context(tenant.id):
            policies.ensure_draft(tenant, None)
            policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)
            db.session.commit()
        with travel_to(when), tenant_context(tenant.id):
            case = case_intake.file_case(
                tenant,
                case_intake.Intake(
                    order_number="N-1",
                    customer_name="陈静",
                    mobile="13722223333",
                    email="",
                    purchase_channel="jd",
                    problem_type="quality",
                    description="外壳破裂",
                    expected_resolution="exchange",
                    purchase_date=date(2026, 11, 10),
                    delivery_date=date(2026, 11, 12),
                    category="electronics",
                ),
            )
            db.session.commit()
            case_id, number = case.id, case.number
        with cross_tenant("test"):
            sms = db.session.scalars(
                select(Notification).where(
                    Notification.case_id == case_id,
                    Notification.channel == "sms",
                    Notification.template_key == "submitted",
                )
            ).one()
        with travel_to(when):
            assert outbox.send_notification(sms.id) == "sent"
        sent = db.session.scalars(select(DevSms).order_by(DevSms.id.desc())).first()
        assert sent.text.startswith("shop-a 店提醒：") and sent.text.endswith(f"({number})")


@pytest.mark.parametrize(
    "body, field_message",
    [
        (
            "【{shop}】{oops} {link}",
            "Unknown placeholder(s): {oops}. Available: {case_number}, {customer}, {link}, {message}, {shop}.",
        ),
        ("【{shop}】{message {link}", "The template has unbalanced braces."),
        ("  \r\n ", "The template cannot be empty."),
    ],
)
def test_an_invalid_template_is_refused_and_nothing_is_stored(app, client, owner, body, field_message):
    r = post_form(client, f"{BASE}/accepted/sms/zh_Hans?lang=en", {"body": body, "action": "save"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    error = re.search(r'<small class="error" id="t-body-error">([^<]*)</small>', page)
    assert error and htmllib.unescape(error.group(1)) == field_message
    assert 'aria-invalid="true" aria-describedby="t-body-error"' in page
    assert "was not saved" in _text(page)
    assert htmllib.escape(body.strip(), quote=False) in page  # what was typed stays in the field
    with app.app_context():
        assert _overrides(owner["a"]) == [] and _audit(owner["a"]) == []


def test_the_refusal_is_in_chinese_by_default(app, client, owner):
    r = post_form(
        client, f"{BASE}/accepted/email/zh_Hans?lang=zh", {"subject": "{case}", "body": "{message}", "action": "save"}
    )
    assert r.status_code == 422
    error = re.search(r'<small class="error" id="t-subject-error">([^<]*)</small>', r.get_data(as_text=True))
    assert error and htmllib.unescape(error.group(1)).startswith("未知占位符：{case}。可用：")
    with app.app_context():
        assert _overrides(owner["a"]) == []


def test_a_bad_preview_shows_the_message_and_no_preview(client, owner):
    r = post_form(client, f"{BASE}/accepted/sms/en?lang=en", {"body": "{shop:>9999999}", "action": "preview"})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "A placeholder is just its name, without a format: write {shop}." in htmllib.unescape(page)
    assert 'id="preview-text"' not in page


def test_unknown_templates_are_404(client, owner):
    for path in ("nope/sms/en", "accepted/fax/en", "accepted/sms/fr", "accepted/sms/zh"):
        assert client.get(f"{BASE}/{path}").status_code == 404
    token = csrf_token(client, f"{BASE}/accepted/sms/en")
    assert (
        client.post(f"{BASE}/nope/sms/en", data={"csrf_token": token, "body": "{shop}", "action": "save"}).status_code
        == 404
    )


def test_save_without_csrf_is_refused(app, client, owner):
    assert client.post(f"{BASE}/accepted/sms/en", data={"body": "{shop}", "action": "save"}).status_code == 400
    with app.app_context():
        assert _overrides(owner["a"]) == []


# ---------- reset -----------------------------------------------------------


def test_reset_restores_the_default(app, client, owner):
    url = f"{BASE}/accepted/sms/en"
    assert post_form(client, url, {"body": "[{shop}] custom {message}", "action": "save"}).status_code == 302
    assert _sample_render(app, owner["a"], "accepted", "sms", "en").text == "[shop-a shop] custom M"
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Reset to default" in page and "Customised" in page
    r = post_form(client, url + "/reset", {}, form_url=url)
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    assert "The default wording is back." in _text(
        client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    )
    assert _sample_render(app, owner["a"], "accepted", "sms", "en").text == "[shop-a shop] M Details: L"
    with app.app_context():
        assert _overrides(owner["a"]) == []
        assert _audit(owner["a"]) == ["message_template.save", "message_template.reset"]
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Reset to default" not in page and "[{shop}] {message} Details: {link}" in htmllib.unescape(page)
    # Resetting a default is harmless.
    assert post_form(client, url + "/reset", {}, form_url=url).status_code == 302
    with app.app_context():
        assert _audit(owner["a"]) == ["message_template.save", "message_template.reset"]


# ---------- roles and tenants -------------------------------------------------


def test_an_agent_reads_but_cannot_change(app, client, agent):
    with app.app_context(), tenant_context(agent["a"]):
        message_templates.save_override(_tenant(agent["a"]), "accepted", "sms", "en", "", "[{shop}] hi {message}")
        db.session.commit()
    assert client.get(f"{BASE}?lang=en").status_code == 200
    page = client.get(f"{BASE}/accepted/sms/en?lang=en").get_data(as_text=True)
    assert "[shop-a shop] hi Your after-sales request" in _text(page)
    assert "readonly" in page and 'value="save"' not in page and "Reset to default" not in page
    token = csrf_token(client, f"{BASE}/accepted/sms/en")
    for url, data in (
        (f"{BASE}/accepted/sms/en", {"body": "{shop}", "action": "save"}),
        (f"{BASE}/accepted/sms/en", {"body": "{shop}", "action": "preview"}),
        (f"{BASE}/accepted/sms/en/reset", {}),
        (f"{BASE}/accepted/email/en/preview.html", {"body": "{shop}"}),
    ):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert client.get(f"{BASE}/accepted/email/en/preview.html").status_code == 200
    with app.app_context():
        [own] = _overrides(agent["a"])
        assert own.body == "[{shop}] hi {message}"
        assert _audit(agent["a"]) == []


def test_an_admin_can_change(app, client, two_tenants):
    from tests.factories import make_user

    with app.app_context():
        make_user(_tenant(two_tenants["a"]), "admin", "admin@a.example.com")
        db.session.commit()
    login(client, "admin@a.example.com")
    assert (
        post_form(client, f"{BASE}/closed/sms/en", {"body": "{shop}: {message}", "action": "save"}).status_code == 302
    )


def test_another_tenants_console_is_404(app, client, owner):
    with app.app_context(), tenant_context(owner["b"]):
        message_templates.save_override(_tenant(owner["b"]), "accepted", "sms", "en", "", "B only {message}")
        db.session.commit()
    other = "/shop-b/console/templates"
    for url in (other, f"{other}/accepted/sms/en", f"{other}/accepted/email/en/preview.html"):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, f"{BASE}/accepted/sms/en")
    for url, data in (
        (f"{other}/accepted/sms/en", {"body": "{shop}", "action": "save"}),
        (f"{other}/accepted/sms/en/reset", {}),
        (f"{other}/accepted/email/en/preview.html", {"body": "{shop}"}),
    ):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    with app.app_context():
        assert [t.body for t in _overrides(owner["b"])] == ["B only {message}"]
        assert _overrides(owner["a"]) == []
    # A's own page shows A's default, never B's wording.
    assert "B only" not in client.get(f"{BASE}/accepted/sms/en").get_data(as_text=True)


def test_anonymous_is_sent_to_login(client, two_tenants):
    r = client.get(BASE)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
