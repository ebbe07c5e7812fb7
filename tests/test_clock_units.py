"""Clocks in the unit the promise is made in: working time or calendar time, per clock.

Known dates (China's official calendar for 2026, from the chinesecalendar package):
Fri 27 Nov 2026 is a working day followed by an ordinary weekend; Wed 30 Sep 2026 is the eve of the
National Day holiday (1–7 Oct off), and Sat 10 Oct 2026 is an adjusted working Saturday (调休).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.sla import SlaClock
from saas.services import case_breaches, case_consumer_steps, case_intake, cases, policies
from saas.services.sla import Target, due_from, target
from tenants.models import PolicyVersion
from tenants.scoping import tenant_context
from tenants.term_fields import CLOCK_UNIT_FIELDS, LEGACY_UNITS
from tenants.term_rules import validate_terms
from tenants.terms import Terms
from tests.factories import login, make_case, make_shop_with_policy, make_tenant, make_user
from tests.html_forms import parse, submit

SH = ZoneInfo("Asia/Shanghai")


def at(m, d, hh, mm=0, y=2026) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def _editor(html: str) -> str:
    """The page from its main content on: the layout's sign-out form comes first."""
    return html[html.index("<main") :]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def cal(app):
    """The calendar a Shanghai shop gets from the service wrapper (official days, 09:00–18:00)."""
    with app.app_context():
        tenant = make_tenant("units-cal", timezone="Asia/Shanghai")
        with tenant_context(tenant.id):
            return policies.calendar_for(tenant)


# ---------------------------------------------------------------- due_from, both units


def test_the_package_knows_the_dates_these_tests_rely_on(cal):
    assert cal.is_working_day(date(2026, 11, 27)) and not cal.is_working_day(date(2026, 11, 28))
    assert not any(cal.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(date(2026, 10, 10))  # 调休 Saturday


@pytest.mark.parametrize(
    "unit, due",
    [
        ("calendar", at(11, 28, 17)),  # Saturday: the weekend counts
        ("working", at(12, 2, 14)),  # Fri 1 h + Mon 9 h + Tue 9 h + Wed 5 h
    ],
)
def test_24_hours_over_a_weekend(cal, unit, due):
    t = target("quality_proposal", Terms(quality_proposal_unit=unit))
    assert due_from(cal, at(11, 27, 17), t) == due


@pytest.mark.parametrize(
    "unit, due",
    [
        ("calendar", at(10, 1, 17)),  # in the middle of the holiday
        ("working", at(10, 10, 14)),  # 30 Sep 1 h, 8 Oct 9 h, 9 Oct 9 h, and the 调休 Saturday 5 h
    ],
)
def test_24_hours_over_a_holiday_and_an_adjusted_saturday(cal, unit, due):
    t = target("inspection", Terms(inspection_unit=unit))
    assert due_from(cal, at(9, 30, 17), t) == due


@pytest.mark.parametrize(
    "start, unit, due",
    [
        (at(11, 27, 17), "working", at(12, 2, 17)),  # Mon, Tue, Wed
        (at(11, 27, 17), "calendar", at(11, 30, 17)),
        (at(9, 30, 17), "working", at(10, 10, 17)),  # 8, 9 and the 调休 Saturday 10 Oct
        (at(9, 30, 17), "calendar", at(10, 3, 17)),
    ],
)
def test_days_count_working_days_or_calendar_days(cal, start, unit, due):
    t = target("return_processing", Terms(return_processing_unit=unit))
    assert due_from(cal, start, t) == due


def test_minutes_in_calendar_time_run_at_night(cal):
    assert due_from(cal, at(11, 27, 23, 55), target("first_response", Terms(first_response_unit="calendar"))) == at(
        11, 28, 0, 5
    )
    assert due_from(cal, at(11, 27, 23, 55), target("first_response", Terms())) == at(11, 30, 9, 10)


def test_defaults_follow_the_merchants_documents():
    t = Terms()
    assert target("first_response", t) == Target(10)
    assert target("consultation", t) == Target(120)
    assert target("quality_proposal", t) == Target(24 * 60, around_the_clock=True)
    assert target("quality_execution", t) == Target(48 * 60, around_the_clock=True)
    assert target("complaint_feedback", t) == Target(48 * 60, around_the_clock=True)
    assert target("inspection", t) == Target(24 * 60, around_the_clock=True)
    assert target("return_processing", t) == Target(0, working_days=3)
    assert target("general", t) == Target(0, working_days=5)
    assert (t.followup_working_days, t.followup_unit) == (3, "working")
    assert target("emergency", t) == Target(60, around_the_clock=True)


def test_terms_stored_without_units_keep_working_time():
    old = {k: v for k, v in Terms().to_dict().items() if k not in LEGACY_UNITS}
    legacy = Terms.from_dict(old)
    assert all(getattr(legacy, unit) == "working" for unit in CLOCK_UNIT_FIELDS.values())
    assert target("quality_proposal", legacy) == Target(24 * 60)
    assert Terms.from_dict(Terms().to_dict()) == Terms()  # explicit units survive a round trip


@pytest.mark.parametrize(
    "value, zh",
    [
        ("weekly", "「质量问题方案计时方式」须为“工作时间”（working）或“自然时间”（calendar）"),
        ("", "须为“工作时间”"),
        (None, "须为“工作时间”"),
    ],
)
def test_a_unit_must_be_working_or_calendar(value, zh):
    errors = validate_terms({"quality_proposal_unit": value})
    assert [e.field for e in errors] == ["quality_proposal_unit"] and zh in errors[0].message_zh
    assert "must be working time (working) or calendar time (calendar)" in errors[0].message_en


def test_the_limit_speaks_the_unit():
    [e] = validate_terms({"quality_proposal_hours": 721})
    assert "不能超过 720 小时（自然时间）" in e.message_zh and "720 hours (calendar time)" in e.message_en
    [e] = validate_terms({"quality_proposal_hours": 721, "quality_proposal_unit": "working"})
    assert "不能超过 720 个工作小时" in e.message_zh
    [e] = validate_terms({"general_working_days": 31, "general_unit": "calendar"})
    assert "不能超过 30 个自然日" in e.message_zh


# ---------------------------------------------------------------- clocks on cases


@pytest.fixture
def shop(app):
    with app.app_context():
        tenant = make_shop_with_policy("units-shop")
        with tenant_context(tenant.id):
            agent = make_user(tenant, "agent", "agent@units.example.com")
            owner = make_user(tenant, "owner", "owner@units.example.com")
            db.session.commit()
        yield {"tenant": tenant, "agent": agent, "owner": owner}


def _file(shop, when, **over) -> Case:
    fields = dict(
        order_number="U-1",
        customer_name="王芳",
        mobile="13811112222",
        email="",
        purchase_channel="taobao",
        problem_type="quality",
        description="杯子有裂纹",
        expected_resolution="exchange",
        purchase_date=date(2026, 9, 10),
        delivery_date=date(2026, 9, 12),
        category="general",
    )
    fields.update(over)
    return make_case(shop["tenant"], when, commit=True, **fields)


def _clock(case_id: int, tenant_id: int, kind: str) -> SlaClock:
    with tenant_context(tenant_id):
        return db.session.scalar(select(SlaClock).where(SlaClock.case_id == case_id, SlaClock.kind == kind))


def _do(shop, when, fn, *args):
    with travel_to(when), tenant_context(shop["tenant"].id):
        fn(*args)
        db.session.commit()


def test_a_calendar_clock_runs_through_a_weekend(shop):
    """Checked by: a clock set to calendar hours runs through a weekend."""
    case = _file(shop, at(11, 27, 17))  # Friday 17:00
    tid = shop["tenant"].id
    proposal = _clock(case.id, tid, "quality_proposal")
    assert proposal.around_the_clock and proposal.due_at == at(11, 28, 17)
    with travel_to(at(11, 28, 16, 59)):
        case_breaches.sweep()
    assert _clock(case.id, tid, "quality_proposal").state == "running"
    with travel_to(at(11, 28, 17, 1)):  # Saturday: nobody worked, the promise ran out all the same
        case_breaches.sweep()
    assert _clock(case.id, tid, "quality_proposal").state == "breached"
    assert _clock(case.id, tid, "general").state == "running"  # 5 working days: not on a Saturday


def test_pause_and_resume_on_a_calendar_clock(shop):
    case = _file(shop, at(11, 27, 17))
    tid = shop["tenant"].id
    _do(shop, at(11, 27, 17, 5), cases.accept, case, shop["agent"])
    _do(shop, at(11, 27, 17, 30), cases.request_info, case, shop["agent"], "请补充裂纹的照片")
    assert _clock(case.id, tid, "quality_proposal").state == "paused"
    with travel_to(at(11, 28, 17, 30)):  # past the first due time: a paused clock is not breached
        case_breaches.sweep()
    assert _clock(case.id, tid, "quality_proposal").state == "paused"
    # The customer answers on Saturday 11:30: 18 calendar hours waited, due moves from Sat 17:00 to Sun 11:00.
    _do(shop, at(11, 28, 11, 30), case_consumer_steps.consumer_message, case, "照片已上传")
    proposal = _clock(case.id, tid, "quality_proposal")
    assert proposal.state == "running" and proposal.paused_seconds == 18 * 3600
    assert proposal.due_at == at(11, 29, 11)
    # The working-time clock of the same case moved by the 30 working minutes waited on Friday only.
    general = _clock(case.id, tid, "general")
    assert general.paused_seconds == 30 * 60 and general.due_at == at(12, 4, 17, 30)
    with travel_to(at(11, 29, 11, 1)):
        case_breaches.sweep()
    assert _clock(case.id, tid, "quality_proposal").state == "breached"


def test_a_published_v1_without_units_keeps_its_meaning(app, client):
    """A version published before clocks had units was working time throughout, and stays so."""
    with app.app_context():
        tenant = make_tenant("units-old")
        with tenant_context(tenant.id):
            make_user(tenant, "owner", "owner@units-old.example.com")
            draft = policies.ensure_draft(tenant, None)
            # The row as the code before units wrote it: no *_unit keys.
            draft.terms = {k: v for k, v in draft.terms.items() if k not in LEGACY_UNITS}
            policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)
            db.session.commit()
            v1_id = draft.id
        with travel_to(at(11, 27, 17)), tenant_context(tenant.id):
            later = case_intake.file_case(
                tenant,
                case_intake.Intake(
                    order_number="U-10",
                    customer_name="赵强",
                    mobile="13811113333",
                    email="",
                    purchase_channel="jd",
                    problem_type="quality",
                    description="屏幕有坏点",
                    expected_resolution="exchange",
                    purchase_date=date(2026, 11, 1),
                    delivery_date=date(2026, 11, 3),
                    category="general",
                ),
            )
            db.session.commit()
            proposal = next(c for c in later.clocks if c.kind == "quality_proposal")
            assert not proposal.around_the_clock and proposal.due_at == at(12, 2, 14)
        with tenant_context(tenant.id):
            stored = db.session.get(PolicyVersion, v1_id).terms
            assert not set(stored) & set(LEGACY_UNITS)  # nothing rewrote the published row
    zh = _text(client.get("/units-old/policy?lang=zh").get_data(as_text=True))
    assert "质量问题：24 个工作小时内给出处理方案，48 个工作小时内执行完毕。" in zh and "自然" not in zh
    assert "工作分钟、工作小时和工作日只计算工作日的营业时间。" in zh
    api = client.get("/api/v1/tenants/units-old/policy").get_json()
    assert api["terms"]["quality_proposal_unit"] == "working"
    # The editor starts from v1 with every clock in working time: saving it unchanged changes no meaning.
    login(client, "owner@units-old.example.com")
    html = _editor(client.get("/units-old/console/policy/draft").get_data(as_text=True))
    form = parse(html)
    fields = dict(form.fields)
    assert all(fields[unit] == "working" for unit in CLOCK_UNIT_FIELDS.values())
    r = submit(client, "/units-old/console/policy/draft", html)
    assert r.status_code == 302
    with app.app_context():
        shop = db.session.scalar(select(type(tenant)).where(type(tenant).slug == "units-old"))
        with tenant_context(shop.id):
            assert policies.terms_of(policies.get_draft(shop)) == policies.terms_of(
                policies.published_versions(shop)[0]
            )


# ---------------------------------------------------------------- the editor and the public page


def test_the_editor_offers_a_unit_per_clock_and_refuses_nonsense_in_words(app, client, shop):
    login(client, "owner@units.example.com")
    url = "/units-shop/console/policy/draft"
    html = _editor(client.get(url).get_data(as_text=True))
    assert "工作时间" in html and "自然时间" in html
    fields = dict(parse(html).fields)
    assert fields["quality_proposal_unit"] == "calendar" and fields["first_response_unit"] == "working"
    assert "emergency_response_unit" not in fields  # the emergency is around the clock, always
    r = submit(
        client,
        url,
        html,
        {"inspection_unit": "fortnightly", "complaint_feedback_hours": "0", "quality_execution_hours": "9999"},
    )
    page = _text(r.get_data(as_text=True))
    assert r.status_code == 422
    assert "「退货验货计时方式」不是可选的一项，请从列表中选择。" in page
    assert "须为正数" in page and "不能超过 720 小时（自然时间）" in page
    en = submit(
        client,
        url + "?lang=en",
        _editor(client.get(url + "?lang=en").get_data(as_text=True)),
        {"inspection_unit": "fortnightly"},
    )
    assert "return parcel inspection clock is not one of the choices" in _text(en.get_data(as_text=True))
    with tenant_context(shop["tenant"].id):
        assert (
            policies.get_draft(shop["tenant"]) is None
            or policies.get_draft(shop["tenant"]).terms.get("inspection_unit") == "calendar"
        )


def test_switching_a_clock_to_calendar_time_and_publishing_shows_it_publicly(app, client, shop):
    login(client, "owner@units.example.com")
    url = "/units-shop/console/policy/draft"
    r = submit(client, url, _editor(client.get(url).get_data(as_text=True)), {"general_unit": "calendar"})
    assert r.status_code == 302
    with app.app_context(), tenant_context(shop["tenant"].id):
        policies.publish(db.session.merge(shop["tenant"]), None, date(2026, 1, 2), allow_past=True)
        db.session.commit()
    zh = _text(client.get("/units-shop/policy?lang=zh").get_data(as_text=True))
    assert "其他服务请求：5 个自然日内处理。" in zh
    assert "质量问题：24 小时内（自然时间）给出处理方案，48 小时内（自然时间）执行完毕。" in zh
    assert "新申请或新留言的首次回复：10 个工作分钟内。" in zh
    assert "工作分钟、工作小时和工作日只计算工作日的营业时间；标有“自然时间”的时限和自然日按实际经过的时间计算" in zh
    en = _text(client.get("/units-shop/policy?lang=en").get_data(as_text=True))
    assert "Other requests: handled within 5 calendar days." in en
    assert "a solution within 24 hours (calendar time), carried out within 48 hours (calendar time)" in en
    assert "First reply to a new case or message: within 10 working minutes." in en
    # Version 1 keeps what it said.
    v1 = _text(client.get("/units-shop/policy/v/1?lang=zh").get_data(as_text=True))
    assert "其他服务请求：5 个工作日内处理。" in v1
    # The version page shows the change in words.
    with app.app_context(), tenant_context(shop["tenant"].id):
        tenant = db.session.merge(shop["tenant"])
        v2 = policies.published_versions(tenant)[0]
        changes = {c.key: (c.old, c.new) for c in policies.diff(policies.version_by_number(tenant, 1), v2)}
    assert changes == {"general_unit": ("working", "calendar")}
    page = _text(client.get(f"/units-shop/console/policy/versions/{v2.id}").get_data(as_text=True))
    assert "一般工单计时方式" in page and "工作时间" in page and "自然时间" in page


def test_unit_words_in_terms_are_never_stored_keys(app, client, shop):
    login(client, "owner@units.example.com")
    html = client.get("/units-shop/console/policy/draft?lang=en").get_data(as_text=True)
    assert ">working time<" in html and ">calendar time<" in html
    public = client.get("/units-shop/policy?lang=en").get_data(as_text=True)
    assert not re.search(r"\b(_unit|calendar_days)\b", public)
    assert dataclasses.asdict(Terms())["quality_proposal_unit"] == "calendar"
