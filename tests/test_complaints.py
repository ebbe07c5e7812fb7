"""Complaints to the platform: the consumer's form, the operator's 48-hour queue, the merchant's answer,
the reply through the outbox, advance compensation; and the operator's tenant pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.models.audit import AuditEvent
from saas.models.base import travel_to
from saas.models.complaint import AdvanceCompensation, PlatformComplaint
from saas.models.notification import Notification
from saas.models.user import User
from saas.services import case_intake, complaint_desk, complaints, message_templates, policies
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import csrf_token, login, make_tenant, make_user, post_form

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # a Monday


@pytest.fixture
def desk(app):
    """Shops A and B with published policies (48 h platform complaints), their staff, and an operator."""
    with app.app_context():
        ids = {}
        for key in ("a", "b"):
            tenant = make_tenant(f"shop-{key}", name_zh=f"{key.upper()} 店", name_en=f"Shop {key.upper()}")
            with tenant_context(tenant.id):
                make_user(tenant, "owner", f"owner@{key}.example.com")
                make_user(tenant, "agent", f"agent@{key}.example.com")
                policies.ensure_draft(tenant, None)
                policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)
            ids[key] = tenant.id
        make_user(None, "operator", "op@example.com")
        db.session.commit()
        return ids


def file_case(tenant_id: int, when: datetime = T0, **over):
    fields = dict(
        order_number="N-1",
        customer_name="陈静",
        mobile="13722223333",
        email="chen@example.com",
        purchase_channel="jd",
        problem_type="quality",
        description="外壳破裂",
        expected_resolution="exchange",
        purchase_date=date(2026, 2, 20),
        delivery_date=date(2026, 2, 22),
        category="electronics",
    )
    fields.update(over)
    with travel_to(when), tenant_context(tenant_id):
        case = case_intake.file_case(db.session.get(Tenant, tenant_id), case_intake.Intake(**fields))
        db.session.commit()
        return case.id, case.number


def make_complaint(tenant_id: int, when: datetime = T0, forwarded: bool = False, **over) -> int:
    """A complaint about tenant_id (forwarded to the merchant if asked): usable by other test modules."""
    fields = dict(text="客服三天没有回复", mobile="13911112222", email="li@example.com", name="李雷")
    fields.update(over)
    with travel_to(when), tenant_context(tenant_id):
        complaint = complaints.submit(db.session.get(Tenant, tenant_id), **fields)
        db.session.commit()
        complaint_id = complaint.id
    if forwarded:
        operator = db.session.scalar(select(User).where(User.role == "operator"))
        with travel_to(when + timedelta(hours=1)):
            complaint_desk.forward(complaint_desk.for_operator(complaint_id), operator, "请核实")
            db.session.commit()
    return complaint_id


def complaint_row(complaint_id: int) -> PlatformComplaint:
    db.session.expire_all()
    with cross_tenant("test"):
        return db.session.get(PlatformComplaint, complaint_id)


# ---------------------------------------------------------------- the consumer's form


def test_policy_and_tracking_pages_link_to_the_form(app, client, desk):
    html = client.get("/shop-a/policy?lang=en").get_data(as_text=True)
    assert 'href="/shop-a/complaints/new"' in html
    with app.app_context():
        _id, number = file_case(desk["a"])
    r = post_form(client, "/shop-a/track", {"number": number, "factor": "3333"})
    assert r.status_code == 303
    page = client.get(f"/shop-a/track/{number}?lang=en").get_data(as_text=True)
    assert f"/shop-a/complaints/new?case={number}" in page
    form = client.get(f"/shop-a/complaints/new?case={number}&lang=en").get_data(as_text=True)
    assert f'value="{number}"' in form and "Complain to the platform" in form


def test_form_validation_keeps_nothing_half_written(app, client, desk):
    url = "/shop-a/complaints/new?lang=en"
    client.get(url)
    r = post_form(client, url, {"text": "", "mobile": "", "email": ""})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Please describe your complaint." in html and "Please give a mobile number or an email address." in html
    r = post_form(client, url, {"text": "慢", "mobile": "12345", "email": "not-an-email"})
    html = r.get_data(as_text=True)
    assert "valid mainland China mobile number" in html and "Please enter a valid email address." in html
    r = post_form(client, url, {"text": "慢", "mobile": "13911112222", "case_number": "XYZ"})
    assert r.status_code == 400 and "This is not a valid case number" in r.get_data(as_text=True)
    with app.app_context():
        _id, b_number = file_case(desk["b"])
    # Another shop's real case number is unknown here.
    r = post_form(client, url, {"text": "慢", "mobile": "13911112222", "case_number": b_number})
    assert r.status_code == 400 and "We could not find this case number at this shop" in r.get_data(as_text=True)
    # No CSRF token: refused.
    assert client.post(url, data={"text": "慢", "mobile": "13911112222"}).status_code == 400
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalars(select(PlatformComplaint)).all() == []


def test_valid_complaint_lands_in_the_queue_linked_to_its_case(app, client, desk):
    with app.app_context():
        case_id, number = file_case(desk["a"])
    with travel_to(T0):
        r = post_form(
            client,
            "/shop-a/complaints/new?lang=en",
            {
                "text": "承诺 24 小时给方案,三天没消息",
                "mobile": "137 2222 3333",
                "email": "",
                "name": "陈静",
                "case_number": number.lower(),
            },
        )
    assert r.status_code == 303 and r.headers["Location"].endswith("/shop-a/complaints/filed")
    done = client.get("/shop-a/complaints/filed?lang=en").get_data(as_text=True)
    assert "within 48 hours" in done
    with app.app_context(), cross_tenant("test"):
        c = db.session.scalars(select(PlatformComplaint)).one()
        assert c.reference in done
        assert (c.tenant_id, c.case_id, c.contact_mobile, c.status) == (desk["a"], case_id, "13722223333", "new")
        assert c.case_contact_matches is True
        assert c.due_at == T0 + timedelta(hours=48)


def test_due_time_follows_the_policy_terms(app, desk):
    with app.app_context():
        tenant = db.session.get(Tenant, desk["a"])
        with tenant_context(tenant.id):
            policies.ensure_draft(tenant, None)
            policies.save_draft(
                tenant,
                None,
                {**policies.terms_of(policies.get_draft(tenant)).to_dict(), "platform_complaint_hours": 24},
            )
            policies.publish(tenant, None, date(2026, 2, 1), allow_past=True)
            db.session.commit()
        complaint_id = make_complaint(desk["a"])
        assert complaint_row(complaint_id).due_at == T0 + timedelta(hours=24)


def test_complaints_are_rate_limited(app, client, desk, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_COMPLAINT", "2 per hour")
    url = "/shop-a/complaints/new"
    for _ in range(2):
        assert post_form(client, url, {"text": "慢", "mobile": "13911112222"}).status_code == 303
    assert post_form(client, url, {"text": "慢", "mobile": "13911112222"}).status_code == 429
    with app.app_context(), cross_tenant("test"):
        assert len(db.session.scalars(select(PlatformComplaint)).all()) == 2


# ---------------------------------------------------------------- the consumer's lookup


def _lookup(client, slug: str, reference: str, factor: str):
    return post_form(client, f"/{slug}/complaints/lookup?lang=en", {"reference": reference, "factor": factor})


def test_filed_page_and_policy_page_lead_to_the_lookup(app, client, desk):
    policy = client.get("/shop-a/policy?lang=en").get_data(as_text=True)
    assert 'href="/shop-a/complaints/lookup"' in policy
    r = post_form(client, "/shop-a/complaints/new?lang=en", {"text": "客服不回复", "mobile": "13911112222"})
    done = client.get(r.headers["Location"]).get_data(as_text=True)
    with app.app_context(), cross_tenant("test"):
        reference = db.session.scalars(select(PlatformComplaint)).one().reference
    assert f'href="/shop-a/complaints/status/{reference}"' in done
    assert f'href="/shop-a/complaints/lookup?reference={reference}"' in done
    status = client.get(f"/shop-a/complaints/status/{reference}?lang=en").get_data(as_text=True)
    assert reference in status and "客服不回复" in status and "looking into it" in status


def test_lookup_by_last_four_or_email_shows_the_answer(app, client, desk):
    with app.app_context():
        complaint_id = make_complaint(desk["a"], forwarded=True)
        reference = complaint_row(complaint_id).reference
    r = _lookup(client, "shop-a", reference.lower()[:6] + " " + reference.lower()[6:], "2222")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/shop-a/complaints/status/{reference}")
    page = client.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "verifying your complaint with the shop" in page and "客服三天没有回复" in page
    operator = app.test_client()
    login(operator, "op@example.com")
    url = f"/admin/complaints/{complaint_id}"
    post_form(operator, f"{url}/reply", {"reply": "商家已同意退款。"}, form_url=url)
    other = app.test_client()
    assert other.get(f"/shop-a/complaints/status/{reference}").status_code == 404  # not proved in this browser
    r = _lookup(other, "shop-a", reference, "LI@example.com")
    page = other.get(r.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The platform has answered your complaint." in page and "商家已同意退款。" in page


def test_lookup_failures_are_identical_and_another_shop_is_unknown(app, client, desk):
    with app.app_context():
        reference = complaint_row(make_complaint(desk["a"])).reference
    answers = [
        _lookup(app.test_client(), slug, ref, factor)
        for slug, ref, factor in (
            ("shop-a", reference, "0000"),  # wrong last 4
            ("shop-a", reference, "zhang@example.com"),  # wrong email
            ("shop-a", "PC2345678923", "2222"),  # unknown number
            ("shop-a", "nonsense", "2222"),  # not a number at all
            ("shop-b", reference, "2222"),  # another shop's complaint
        )
    ]
    assert {r.status_code for r in answers} == {303}
    seen = {
        (r.headers["Location"].replace("shop-b", "shop-a"), r.get_data().replace(b"shop-b", b"shop-a")) for r in answers
    }
    assert len(seen) == 1
    assert answers[0].headers["Location"].endswith("/complaints/lookup?failed=1")
    failed = client.get("/shop-a/complaints/lookup?failed=1&lang=en").get_data(as_text=True)
    assert "We could not find a complaint with this number and contact." in failed
    assert app.test_client().get(f"/shop-b/complaints/status/{reference}").status_code == 404


def test_failed_lookups_are_throttled_without_revealing(app, client, desk, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_COMPLAINT_LOOKUP_REF", "3 per 10 minutes")
    with app.app_context():
        reference = complaint_row(make_complaint(desk["a"])).reference
    attacker = app.test_client()
    codes = [_lookup(attacker, "shop-a", reference, f"{i:04d}").status_code for i in range(5)]
    assert codes[:3] == [303, 303, 303] and codes[3:] == [429, 429]
    assert _lookup(attacker, "shop-a", reference, "2222").status_code == 429  # the right answer too, meanwhile
    assert _lookup(app.test_client(), "shop-a", "", "").status_code == 400  # empty form: told, not a lookup


# ---------------------------------------------------------------- the operator's queue


def test_queue_shows_the_48_hour_due_time_and_overdue(app, client, desk):
    with app.app_context():
        complaint_id = make_complaint(desk["a"])
    login(client, "op@example.com")
    with travel_to(T0 + timedelta(hours=1)):
        html = client.get("/admin/complaints?lang=en").get_data(as_text=True)
    row = html[html.index(f'id="complaint-{complaint_id}"') :]
    row = row[: row.index("</tr>")]
    assert "2026-03-04 10:00" in row  # 48 wall-clock hours later, in China time
    assert "Overdue" not in row and 'class="overdue"' not in row
    with travel_to(T0 + timedelta(hours=48, minutes=1)):
        html = client.get("/admin/complaints?lang=en").get_data(as_text=True)
        detail = client.get(f"/admin/complaints/{complaint_id}?lang=en").get_data(as_text=True)
    row = html[html.index(f'id="complaint-{complaint_id}"') :]
    assert 'class="overdue"' in row[: row.index("</tr>")] and "Overdue" in row[: row.index("</tr>")]
    assert "Overdue" in detail and "13911112222" in detail  # the operator sees whom to answer


def test_only_operators_reach_the_desk(app, client, desk):
    with app.app_context():
        complaint_id = make_complaint(desk["a"])
    assert client.get("/admin/complaints").status_code == 302
    login(client, "owner@a.example.com")
    for url in ("/admin/complaints", f"/admin/complaints/{complaint_id}", "/admin/tenants", "/admin/scorecards"):
        assert client.get(url).status_code == 404, url


# ---------------------------------------------------------------- the merchant's side


def test_merchant_sees_and_answers_only_its_own_forwarded_complaints(app, client, desk):
    with app.app_context():
        a_id = make_complaint(desk["a"])
        b_id = make_complaint(desk["b"], forwarded=True, text="B 店的投诉")
    login(client, "agent@a.example.com")
    # Not forwarded yet: the merchant does not see it at all.
    assert client.get(f"/shop-a/console/complaints/{a_id}").status_code == 404
    assert "客服三天没有回复" not in client.get("/shop-a/console/complaints").get_data(as_text=True)
    with app.app_context():
        operator = db.session.scalar(select(User).where(User.role == "operator"))
        complaint_desk.forward(complaint_desk.for_operator(a_id), operator, "请核实发货记录")
        db.session.commit()
        assert len(complaint_row(a_id).reference) == 12
    listing = client.get("/shop-a/console/complaints?lang=en").get_data(as_text=True)
    assert f"/shop-a/console/complaints/{a_id}" in listing and "B 店的投诉" not in listing
    page = client.get(f"/shop-a/console/complaints/{a_id}?lang=en").get_data(as_text=True)
    assert "客服三天没有回复" in page and "请核实发货记录" in page
    assert "139****2222" in page and "13911112222" not in page  # masked for the merchant
    # Another tenant's complaint id: 404 under A's slug and under B's.
    assert client.get(f"/shop-a/console/complaints/{b_id}").status_code == 404
    assert client.get(f"/shop-b/console/complaints/{b_id}").status_code == 404
    token = csrf_token(client, f"/shop-a/console/complaints/{a_id}")
    assert (
        client.post(f"/shop-a/console/complaints/{b_id}", data={"csrf_token": token, "answer": "x"}).status_code == 404
    )
    r = client.post(f"/shop-a/console/complaints/{a_id}", data={"csrf_token": token, "answer": "已于周三补发"})
    assert r.status_code == 302
    with app.app_context():
        a, b = complaint_row(a_id), complaint_row(b_id)
        assert (a.status, a.merchant_answer) == ("merchant_answered", "已于周三补发")
        assert (b.status, b.merchant_answer) == ("forwarded", "")
        with tenant_context(desk["a"]):
            assert db.session.scalars(select(AuditEvent.action)).all().count("complaint.merchant_answered") == 1
    login_op = app.test_client()
    login(login_op, "op@example.com")
    assert "已于周三补发" in login_op.get(f"/admin/complaints/{a_id}").get_data(as_text=True)


def test_forwarding_emails_the_merchants_managers_once(app, client, desk):
    with app.app_context():
        complaint_id = make_complaint(desk["a"])
    login(client, "op@example.com")
    url = f"/admin/complaints/{complaint_id}"
    assert post_form(client, f"{url}/forward", {"note": "请核实"}, form_url=url).status_code == 302
    assert post_form(client, f"{url}/forward", {"note": "again"}, form_url=url).status_code == 302
    with app.app_context(), cross_tenant("test"):
        rows = db.session.scalars(select(Notification).where(Notification.template_key == "complaint_forwarded")).all()
        assert [(n.recipient, n.audience, n.tenant_id) for n in rows] == [("owner@a.example.com", "staff", desk["a"])]
        assert complaint_row(complaint_id).status == "forwarded"


# ---------------------------------------------------------------- the reply


def test_reply_goes_out_by_sms_and_email_once(app, client, desk):
    with app.app_context():
        complaint_id = make_complaint(desk["a"], forwarded=True, locale="en")
    login(client, "op@example.com")
    url = f"/admin/complaints/{complaint_id}"
    assert post_form(client, f"{url}/reply", {"reply": ""}, form_url=url).status_code == 400
    with travel_to(T0 + timedelta(hours=5)):  # 15:00 in China: not in the SMS quiet hours
        r = post_form(client, f"{url}/reply", {"reply": "The shop will refund you 59.90 yuan today."}, form_url=url)
    assert r.status_code == 302
    # A second answer is refused and makes no second message.
    with travel_to(T0 + timedelta(hours=6)):
        post_form(client, f"{url}/reply", {"reply": "again"}, form_url=url)
    with app.app_context():
        with cross_tenant("test"):
            rows = db.session.scalars(
                select(Notification)
                .where(Notification.template_key == "complaint_reply")
                .order_by(Notification.channel)
            ).all()
        assert [(n.channel, n.recipient, n.idempotency_key, n.status) for n in rows] == [
            ("email", "li@example.com", f"complaint:{complaint_id}:reply:email", "pending"),
            ("sms", "13911112222", f"complaint:{complaint_id}:reply:sms", "pending"),
        ]
        c = complaint_row(complaint_id)
        assert (c.status, c.reply, c.answered_late) == ("answered", "The shop will refund you 59.90 yuan today.", False)
        # Calling the sender again (a retried job, a double click) adds nothing.
        with tenant_context(desk["a"]):
            assert complaint_desk._send_reply(db.session.get(Tenant, desk["a"]), c) == []
            sms = message_templates.render(
                db.session.get(Tenant, desk["a"]), "complaint_reply", "sms", "en", rows[1].params
            )
        assert "refund you 59.90 yuan" in sms.text and c.reference in sms.text
    # The merchant sees the platform's answer.
    merchant = app.test_client()
    login(merchant, "owner@a.example.com")
    assert "refund you 59.90" in merchant.get(f"/shop-a/console/complaints/{complaint_id}").get_data(as_text=True)


# ---------------------------------------------------------------- advance compensation


def test_advance_compensation_shows_on_tracking_page_and_scorecard(app, client, desk):
    with app.app_context():
        case_id, number = file_case(desk["a"])
        complaint_id = make_complaint(desk["a"], case_number=number)
    # The consumer, having proved the case is theirs, looks at it before any compensation
    # (the page is kept until something on the case changes).
    post_form(client, "/shop-a/track", {"number": number, "factor": "3333"})
    for _ in range(2):
        assert "Advance compensation by the platform" not in client.get(f"/shop-a/track/{number}?lang=en").get_data(
            as_text=True
        )
    op = app.test_client()
    login(op, "op@example.com")
    url = f"/admin/complaints/{complaint_id}"
    with travel_to(T0 + timedelta(hours=2)):
        r = post_form(op, f"{url}/compensations", {"amount": "-5", "reason": "x"}, form_url=url)
        assert r.status_code == 400
        r = post_form(
            op, f"{url}/compensations", {"amount": "88.50", "reason": "未按承诺 24 小时内给出方案"}, form_url=url
        )
        assert r.status_code == 302
    with app.app_context(), cross_tenant("test"):
        comp = db.session.scalars(select(AdvanceCompensation)).one()
        assert (comp.amount, comp.case_id, comp.tenant_id, comp.recovered) == (
            Decimal("88.50"),
            case_id,
            desk["a"],
            False,
        )
        comp_id = comp.id
    # … and sees it at once.
    page = client.get(f"/shop-a/track/{number}?lang=en").get_data(as_text=True)
    assert "Advance compensation by the platform" in page and "¥88.50" in page
    # On the merchant's scorecard for March (outstanding until recovered).
    with travel_to(T0 + timedelta(days=40)):
        card = op.get("/admin/scorecards?month=2026-03&lang=en").get_data(as_text=True)
    row = card[card.index('id="scorecard-shop-a"') :]
    row = row[: row.index("</tr>")]
    assert "¥88.50" in row and "¥88.50 to recover" in row
    assert post_form(op, f"/admin/compensations/{comp_id}/recovered", {}, form_url=url).status_code == 302
    with travel_to(T0 + timedelta(days=40)):
        card = op.get("/admin/scorecards?month=2026-03&lang=en").get_data(as_text=True)
    row = card[card.index('id="scorecard-shop-a"') :]
    assert "to recover" not in row[: row.index("</tr>")]
    # Another case's tracking page shows nothing of it.
    with app.app_context():
        _other, other_number = file_case(desk["a"], mobile="13700004444", email="")
    post_form(client, "/shop-a/track", {"number": other_number, "factor": "4444"})
    assert "88.50" not in client.get(f"/shop-a/track/{other_number}?lang=en").get_data(as_text=True)


# ---------------------------------------------------------------- tenants


def _new_tenant(**over) -> dict:
    data = {
        "slug": "new-shop",
        "name_zh": "新店",
        "name_en": "New shop",
        "contact_phone": "400-800-1234",
        "contact_email": "service@new.example.com",
        "timezone": "Asia/Shanghai",
        "default_locale": "en",
        "brand_colour": "#AA3366",
        "owner_name": "王老板",
        "owner_email": "Boss@New.example.com",
        "owner_password": "a long enough password",
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("slug", "admin", "This name is reserved by the platform"),
        ("slug", "healthz", "This name is reserved by the platform"),
        ("slug", "s", "Use 2–40 lowercase letters"),
        ("slug", "New-Shop", "Use 2–40 lowercase letters"),
        ("slug", "shop_a", "Use 2–40 lowercase letters"),
        ("slug", "-shop", "Use 2–40 lowercase letters"),
        ("slug", "a" * 41, "Use 2–40 lowercase letters"),
        ("slug", "shop-a", "This slug is already taken."),
        ("brand_colour", "red", "Please enter a colour as #rrggbb"),
        ("brand_colour", "#12345g", "Please enter a colour as #rrggbb"),
        ("timezone", "Mars/Olympus", "Unknown time zone"),
        ("owner_email", "owner@a.example.com", "This email already has an account."),
        ("owner_password", "short", "at least 10 characters"),
        ("name_en", "", "Please enter the English name."),
    ],
)
def test_tenant_creation_is_validated(app, client, desk, field, value, message):
    login(client, "op@example.com")
    r = post_form(client, "/admin/tenants?lang=en", _new_tenant(**{field: value}))
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Tenant).where(Tenant.name_en == "New shop")) is None
        assert db.session.scalar(select(User).where(User.email == "boss@new.example.com")) is None


def test_operator_creates_a_tenant_with_its_owner(app, client, desk):
    login(client, "op@example.com")
    r = post_form(client, "/admin/tenants?lang=en", _new_tenant())
    assert r.status_code == 302
    with app.app_context():
        t = db.session.scalar(select(Tenant).where(Tenant.slug == "new-shop"))
        assert (t.name_zh, t.brand_colour, t.default_locale, t.timezone, t.is_active, t.retention_days) == (
            "新店",
            "#aa3366",
            "en",
            "Asia/Shanghai",
            True,
            365,
        )
        owner = db.session.scalar(select(User).where(User.tenant_id == t.id))
        assert (owner.email, owner.role) == ("boss@new.example.com", "owner")
        with tenant_context(t.id):
            assert {e.action for e in db.session.scalars(select(AuditEvent))} == {"tenant.created", "staff.created"}
    owner_client = app.test_client()
    assert (
        login(owner_client, "boss@new.example.com", "a long enough password")
        .headers["Location"]
        .endswith("/new-shop/console/")
    )
    assert client.get("/new-shop/policy").status_code == 200


def test_suspension_closes_pages_console_and_sign_in(app, client, desk):
    staff = app.test_client()
    assert login(staff, "owner@a.example.com").status_code == 302
    assert staff.get("/shop-a/console/").status_code == 200
    login(client, "op@example.com")
    with app.app_context():
        a = desk["a"]
    assert post_form(client, f"/admin/tenants/{a}/suspend", {}, form_url="/admin/tenants").status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, a).is_active is False
    for url in ("/shop-a/", "/shop-a/policy", "/shop-a/complaints/new", "/shop-a/track"):
        assert client.get(url).status_code == 404, url
    assert staff.get("/shop-a/console/").status_code == 404  # an open session too
    again = app.test_client()
    r = login(again, "owner@a.example.com")
    assert r.status_code == 200 and "/login" not in (r.headers.get("Location") or "")
    assert app.test_client().get("/shop-b/policy").status_code == 200  # the others are untouched
    assert post_form(client, f"/admin/tenants/{a}/reactivate", {}, form_url="/admin/tenants").status_code == 302
    assert login(app.test_client(), "owner@a.example.com").status_code == 302
    assert client.get("/shop-a/policy").status_code == 200
    with app.app_context(), tenant_context(a):
        actions = [
            e.action
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
            if e.action.startswith("tenant.")
        ]
        assert actions == ["tenant.suspended", "tenant.reactivated"]
    assert (
        client.post(
            "/admin/tenants/999999/suspend", data={"csrf_token": csrf_token(client, "/admin/tenants")}
        ).status_code
        == 404
    )
