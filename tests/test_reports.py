"""The shop's reports: every KPI on a small known week, hand-computed; periods, CSV, access and isolation."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.complaint import PlatformComplaint
from saas.models.order import Order
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import case_consumer_steps, cases, report_periods, reports
from saas.services.reports_csv import cases_csv
from tenants.models import Tenant
from tenants.scoping import tenant_context
from tests.factories import answer_survey, login, make_case, make_order, make_shop_with_policy, resolve_case

SH = ZoneInfo("Asia/Shanghai")
WEEK = report_periods.Period("custom", date(2026, 11, 23), date(2026, 11, 29))  # Monday to Sunday, no holiday
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=SH)


def at(m, d, hh, mm=0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=SH)


BUYER = dict(customer_name="李雷", mobile="13900001111", email="")  # of every order and case


def _order(tenant, number: str, bought: date, *skus: str) -> Order:
    lines = [dict(sku=s, name=f"商品 {s}", category="fresh_food", quantity=1, unit_price="19.90") for s in skus]
    return make_order(tenant, number, lines=lines, channel="tmall", purchase_date=bought, delivery_date=bought, **BUYER)


def _file(tenant, when, problem, text, order=None, line=None, channel="web"):
    """李雷's case filed through the intake service at `when`, on one line of `order` or on no known order."""
    return make_case(
        tenant,
        when,
        order_number=order.order_number if order else "X-1",
        **BUYER,
        purchase_channel="tmall",
        problem_type=problem,
        description=text,
        expected_resolution="refund",
        purchase_date=date(2026, 11, 20),
        delivery_date=None,
        category="fresh_food",
        line_ids=[line.id] if line else [],
        intake_channel=channel,
    )


def _shop(slug: str) -> Tenant:
    return make_shop_with_policy(
        slug, users=[("owner", f"owner@{slug}.example.com"), ("agent", f"agent@{slug}.example.com", {"name": "小王"})]
    )


@pytest.fixture
def week(app):
    """Shop A's known week (see each case's comment); shop B's cases must never show in A's figures."""
    with app.app_context():
        a, b = _shop("rep-a"), _shop("rep-b")
        with tenant_context(a.id):
            agent = db.session.query(User).filter_by(email="agent@rep-a.example.com").one()
            o1 = _order(a, "T-1", date(2026, 11, 23), "YG-1")
            o2 = _order(a, "T-2", date(2026, 11, 24), "YG-1", "CUP-2")
            _order(a, "T-3", date(2026, 11, 25), "YG-1")
            _order(a, "T-0", date(2026, 11, 10), "YG-1")  # bought before the week: not a sale of the week
            # c0: last week, resolved; its survey (2 stars) is answered inside the week.
            c0 = _file(a, at(11, 17, 10), "quality", "包装破损，酸奶漏了", o1, o1.lines[0])
            with travel_to(at(11, 17, 10, 3)):
                cases.accept(c0, agent)
            resolve_case(c0, agent, at(11, 18, 10))
            answer_survey(c0, at(11, 24, 15), 2, "包装破损，很失望")
            with travel_to(at(11, 24, 16)):
                cases.close(c0, agent)
            # c1: Mon 10:00, answered after 5 working minutes, resolved Wednesday: in time; 5 stars on Friday.
            c1 = _file(a, at(11, 23, 10), "quality", "包装破损，盒子压扁了", o1, o1.lines[0])
            with travel_to(at(11, 23, 10, 5)):
                cases.accept(c1, agent)
            resolve_case(c1, agent, at(11, 25, 10))
            answer_survey(c1, at(11, 27, 9), 5, "很好")
            with travel_to(at(11, 27, 10)):
                cases.close(c1, agent)
            # c2: Mon 17:55, answered Tue 09:10 = 5 + 10 = 15 working minutes (late); resolved 8 Dec, after
            # its 7 working days (due Wed 2 Dec 17:55).
            c2 = _file(a, at(11, 23, 17, 55), "quality", "包装破损，漏液", o2, o2.lines[0])
            with travel_to(at(11, 24, 9, 10)):
                cases.accept(c2, agent)
            resolve_case(c2, agent, at(12, 8, 10))
            # c3: Wed 20:00 (closed hours), answered Thu 09:08 = 8 working minutes; unresolved, and its
            # 7 working days (from Thu 09:00 to Mon 7 Dec 09:00) are over by NOW: missed.
            c3 = _file(a, at(11, 25, 20), "return_exchange", "尺码偏小，想换大一号", channel="agent")
            with travel_to(at(11, 26, 9, 8)):
                cases.accept(c3, agent)
            # c4: Saturday 11:00, never answered: its 10 working minutes passed on Monday (missed); unresolved.
            c4 = _file(a, at(11, 28, 11), "complaint", "客服态度差，一直不回复")
            with travel_to(at(11, 30, 10)):
                case_consumer_steps.consumer_message(c4, "还是没有人回复")
            # A survey answered after the week (1 star) is not the week's.
            survey_late = Survey(
                tenant_id=a.id,
                case_id=c1.id,
                token="late-token",
                status="answered",
                due_at=at(12, 1, 9),
                score=1,
                comment="后来又坏了",
                answered_at=at(12, 1, 10),
            )
            db.session.add(survey_late)
            db.session.add_all(
                [
                    PlatformComplaint(
                        tenant_id=a.id,
                        reference="PCREP0001",
                        text="商家不处理",
                        due_at=at(11, 26, 10),
                        created_at=at(11, 24, 10),
                        forwarded_at=at(11, 24, 11),
                    ),
                    # Not forwarded to the shop (yet): the platform's business, not counted.
                    PlatformComplaint(
                        tenant_id=a.id,
                        reference="PCREP0002",
                        text="慢",
                        due_at=at(11, 26, 10),
                        created_at=at(11, 24, 10),
                    ),
                ]
            )
            db.session.commit()
            ids = {"a": a.id, "b": b.id, "c0": c0.id, "c1": c1.id, "c2": c2.id, "c3": c3.id, "c4": c4.id}
        with tenant_context(b.id):
            b_agent = db.session.query(User).filter_by(email="agent@rep-b.example.com").one()
            for n in range(3):
                c = _file(b, at(11, 24, 10, n), "quality", "包装破损，漏液")
                with travel_to(at(11, 24, 11)):
                    cases.accept(c, b_agent)
            db.session.commit()
        return ids


def _build(app, ids, period=WEEK):
    return reports.build(db.session.get(Tenant, ids["a"]), period, now=NOW)


def test_kpis_match_the_hand_computed_week(app, week):
    with app.app_context(), tenant_context(week["a"]):
        r = _build(app, week)
        assert r.cases == 4
        assert dict(r.by_type) == {"quality": 2, "return_exchange": 1, "complaint": 1}
        assert dict(r.by_intake) == {"web": 3, "agent": 1}
        # First response: 5, 15 and 8 working minutes; c4 never answered and its time is over.
        assert r.first_response_median == 8.0
        assert (r.first_response.value, r.first_response.count, r.first_response.missed) == (50.0, 4, True)
        # Resolution within 7 working days: c1 yes; c2 late; c3 and c4 over their time unresolved.
        assert (r.resolution.value, r.resolution.count, r.resolution.missed) == (25.0, 4, True)
        # Satisfaction: the answers of the week, 2 and 5 stars → 3.5 × 20.
        assert (r.satisfaction.value, r.satisfaction.count, r.satisfaction.missed) == (70.0, 2, True)
        assert [(s["number"], s["score"], s["comment"]) for s in r.low_scores] == [
            (db.session.get(Case, week["c0"]).number, 2, "包装破损，很失望")
        ]
        # Complaint rate: 1 complaint case + 1 forwarded platform complaint, per 4 cases.
        assert (r.complaint_cases, r.platform_complaints, r.complaint_rate) == (1, 1, 50.0)
        # Per product: YG-1 named by c1 and c2, sold on 3 order lines of the week; CUP-2 sold once, no case.
        rates = {x["sku"]: (x["cases"], x["lines"], x["rate"]) for x in r.return_rates}
        assert rates == {"YG-1": (2, 3, 66.7), "CUP-2": (0, 1, 0.0)}
        assert [(sku, n) for sku, _name, n in r.by_sku] == [("YG-1", 2)]
        # Breaches whose due time fell in the week, all c2's: its first response (due Tue 09:05) and its
        # proposal (24 working hours: due Thu 14:55); its 7-working-day clock fell due on Mon 30 Nov, after the week.
        # c1's proposal came Wednesday, after its 24 calendar hours (the default unit) ran out on Tuesday.
        assert dict(r.breaches) == {"first_response": 1, "quality_proposal": 2}
        # Open now: c2 (resolved, not closed), c3, c4; overdue: c3 (due 3 Dec) and c4 (due 30 Nov).
        assert (r.open_now, r.overdue_now) == (3, 2)
        # Distributions: 5, 15 and 8 working minutes; c1 resolved in 18 working hours (2 working days),
        # c2 in 5 min + 10 days + 1 h = 91 h 05 of working time (10.1 working days).
        assert dict(r.response_buckets) == {"≤5": 1, "5–10": 1, "10–30": 1, "30–60": 0, "60–240": 0, ">240": 0}
        assert dict(r.resolution_buckets) == {"≤1": 0, "1–3": 1, "3–5": 0, "5–7": 0, "7–14": 1, ">14": 0}
        per_day = {d: c for d, c in r.per_day}
        assert per_day[date(2026, 11, 23)] == {"quality": 2}
        assert per_day[date(2026, 11, 28)] == {"complaint": 1}
        assert len(r.per_day) == 7


def test_first_response_counts_working_minutes_only(app, week):
    """17:55 Monday → 09:10 Tuesday is 15 working minutes, not 15 hours; 20:00 → 09:08 is 8.

    The working minutes are kept on the case when the reply is recorded (the report only counts them)."""
    with app.app_context(), tenant_context(week["a"]):
        c = {k: db.session.get(Case, week[k]) for k in ("c1", "c2", "c3", "c4")}
        assert (c["c1"].first_response_minutes, c["c1"].first_response_in_time) == (5.0, True)
        assert (c["c2"].first_response_minutes, c["c2"].first_response_in_time) == (15.0, False)
        assert (c["c3"].first_response_minutes, c["c3"].first_response_in_time) == (8.0, True)
        # c4 (Saturday 11:00) has no reply: its 10 working minutes fall due on Monday 09:10.
        assert c["c4"].first_response_minutes is None and c["c4"].first_response_due_at == at(11, 30, 9, 10)
        tenant = db.session.get(Tenant, week["a"])
        # Before c4's 10 working minutes are over (Saturday and Sunday are not working time) it is undecided.
        early = reports.build(tenant, WEEK, now=at(11, 30, 9, 5))
        assert (early.first_response.value, early.first_response.count) == (66.7, 3)
        assert (_build(app, week).first_response.count) == 4


def test_per_agent_table_counts_each_case_for_the_person_responsible(app, week):
    with app.app_context(), tenant_context(week["a"]):
        agents = _build(app, week).agents
        assert len(agents) == 1
        row = agents[0]
        assert row["name"] == "小王"
        # Nothing is assigned: a case counts for whoever resolved it, c1 and c2 of the week (c3 and c4 are
        # unresolved, nobody's yet). c1 answered in 5 minutes (in time), c2 in 15 (late); c1 resolved in
        # time, c2 late.
        assert (row["handled"], row["responses_in_time"], row["responses_decided"]) == (2, 1, 2)
        assert (row["resolved"], row["resolved_in_time"], row["resolutions_decided"], row["resolution_pct"]) == (
            2,
            1,
            2,
            50.0,
        )
        # Answers of the week on cases the agent resolved: c0 (2 stars) and c1 (5 stars).
        assert (row["answers"], row["satisfaction"]) == (2, 70.0)
        # Assigning c3 to the agent makes it theirs: handled, its reply in time, its resolution missed.
        c3 = db.session.get(Case, week["c3"])
        c3.assignee_id = db.session.query(User).filter_by(email="agent@rep-a.example.com").one().id
        db.session.flush()
        row = _build(app, week).agents[0]
        assert (row["handled"], row["responses_in_time"], row["resolutions_decided"], row["resolved"]) == (3, 2, 3, 2)


def test_top_problems_compare_with_the_previous_period(app, week):
    with app.app_context(), tenant_context(week["a"]):
        problems = _build(app, week).problems
        first = problems[0]
        assert (first.phrase, first.product, first.count, first.previous, first.change) == ("包装破损", "YG-1", 2, 1, 1)
        assert {n for _id, n in first.examples} == {db.session.get(Case, week[k]).number for k in ("c1", "c2")}
        # Shop B's three 包装破损 cases are not shop A's problems.
        assert all(p.count <= 2 for p in problems)


def test_segmentation_keeps_after_sales_phrases_and_english_words():
    from saas.services.reports_text import terms

    assert {"包装破损", "无法开机", "尺码偏小"} <= terms("包装破损了，无法开机，衣服尺码偏小")
    assert "的" not in terms("包装的问题")
    assert terms("The screen is cracked and the box was damaged") == {"screen", "cracked", "box", "damaged"}


def test_addresses_and_links_are_no_problem_words():
    """An e-mail address or a link in a description gives no words ("com", a pinyin name) to the top problems."""
    from saas.services.reports_text import terms

    found = terms("Screen cracked, write to zhang.wei@example.com or see https://shop.example.cn/help 屏幕碎了")
    assert {"screen", "cracked"} <= found
    assert not found & {"zhang", "wei", "example", "com", "shop", "help", "https"}
    assert not terms("mail me: lixiaoming88 at 163 dot com") & {"com", "dot", "mail"}


def test_tenant_isolation(app, week):
    with app.app_context(), tenant_context(week["b"]):
        r = reports.build(db.session.get(Tenant, week["b"]), WEEK, now=NOW)
        assert r.cases == 3 and r.satisfaction.count == 0 and r.platform_complaints == 0 and r.return_rates == []


@pytest.mark.parametrize(
    "kind,first,last,code",
    [
        ("custom", "2026-12-01", "2026-11-01", "order"),
        ("custom", "2025-01-01", "2026-06-01", "span"),
        ("custom", "2026-02-30", "2026-03-01", "date"),
        ("custom", "20260101", "", "date"),
        ("custom", "9999-01-01", "9999-01-02", "date"),
        ("yesterday", None, None, "period"),
    ],
)
def test_bad_ranges_are_refused(kind, first, last, code):
    with pytest.raises(report_periods.PeriodError) as exc:
        report_periods.parse_period(kind, first, last, date(2026, 11, 27))
    assert exc.value.code == code


def test_presets_follow_the_shops_today():
    today = date(2026, 3, 4)  # a Wednesday
    assert report_periods.parse_period("this_week", None, None, today) == report_periods.Period(
        "this_week", date(2026, 3, 2), today
    )
    assert report_periods.parse_period("last_week", None, None, today) == report_periods.Period(
        "last_week", date(2026, 2, 23), date(2026, 3, 1)
    )
    assert report_periods.parse_period("last_month", None, None, today) == report_periods.Period(
        "last_month", date(2026, 2, 1), date(2026, 2, 28)
    )
    assert report_periods.parse_period(None, None, None, today).kind == "this_week"
    year = report_periods.parse_period("custom", "2025-03-05", "2026-03-04", today)
    assert year.days == 365
    assert WEEK.previous() == report_periods.Period("previous", date(2026, 11, 16), date(2026, 11, 22))


def test_csv_has_a_bom_kpi_fields_and_no_formulas(app, week):
    with app.app_context(), tenant_context(week["a"]):
        tenant = db.session.get(Tenant, week["a"])
        c3 = db.session.get(Case, week["c3"])
        c3.category = "=cmd|'/c calc'!A1"
        db.session.flush()
        data = cases_csv(tenant, WEEK, "en", now=NOW)
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == 5
        header = rows[0]
        by_number = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
        c2 = by_number[db.session.get(Case, week["c2"]).number]
        assert c2["First response (working minutes)"] == "15.0" and c2["First response in time"] == "no"
        assert c2["Resolved within 7 working days"] == "no" and c2["SKU"] == "YG-1"
        bad = by_number[c3.number]["Category"]
        assert bad.startswith("'=")
        for row in rows[1:]:
            assert all(cell[:1] not in ("=", "+", "-", "@") for cell in row)


def test_page_for_owners_forbidden_to_agents_and_strangers(app, client, week):
    login(client, "owner@rep-a.example.com")
    page = client.get("/rep-a/console/reports?period=custom&from=2026-11-23&to=2026-11-29")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "包装破损" in text and "<svg" in text and "<title>" in text
    bad = client.get("/rep-a/console/reports?period=custom&from=2026-11-29&to=2026-11-23&lang=en")
    assert bad.status_code == 400 and "The start date must not be after the end date." in bad.get_data(as_text=True)
    for hostile in (
        "from=2026-01-01%00&to=2026-01-02",
        "from=99999999-01-01&to=2026-01-02",
        "from=&to=",
        "from=2026-13-01&to=2026-12-01",
        "period=%00",
        "from=" + "9" * 5000 + "&to=1",
    ):
        resp = client.get(f"/rep-a/console/reports?period=custom&{hostile}&lang=en")
        assert resp.status_code == 400, hostile
    assert client.get("/rep-b/console/reports").status_code == 404  # another shop's console
    csv_resp = client.get("/rep-a/console/reports.csv?period=last_week")
    assert csv_resp.status_code == 200 and csv_resp.data.startswith(b"\xef\xbb\xbf")
    assert client.get("/rep-a/console/reports.csv?period=custom&from=x&to=y").status_code == 400
    client.post("/logout")
    with client.session_transaction() as s:
        s.clear()
    login(client, "agent@rep-a.example.com")
    assert client.get("/rep-a/console/reports").status_code == 403
    assert client.get("/rep-a/console/reports.csv").status_code == 403


def test_charts_are_accessible_svg_with_escaped_labels():
    from saas.blueprints import report_charts as charts

    svg = str(charts.hbars("Top <problems>", [("<script>x</script> · EB-1", 3, 2), ("漏液", 1, -1)]))
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title>Top &lt;problems&gt;</title>" in svg
    assert "<script>" not in svg and "+2" in svg and "-1" in svg
    bars = str(
        charts.stacked_bars(
            "Cases",
            [("1/1", {"quality": 2, "complaint": 1}), ("1/2", {})],
            [("quality", "质量问题"), ("complaint", "服务投诉")],
        )
    )
    assert bars.count("<rect") == 2 + 2  # two stacked segments and two legend keys
    assert "1/1 质量问题: 2" in bars


def test_working_time_skips_the_national_day_holiday_and_counts_the_adjusted_saturday(app):
    """2026: 1–7 October are holidays, Saturday 10 October is a working day (调休)."""
    with app.app_context():
        tenant = _shop("rep-holiday")
        with tenant_context(tenant.id):
            agent = db.session.query(User).filter_by(email="agent@rep-holiday.example.com").one()
            # Wed 30 Sep 17:56 → Thu 8 Oct 09:05: 4 + 5 = 9 working minutes across eight holidays.
            before_holiday = _file(tenant, at(9, 30, 17, 56), "consultation", "能开发票吗")
            with travel_to(at(10, 8, 9, 5)):
                cases.accept(before_holiday, agent)
            # Fri 9 Oct 17:58 → Sat 10 Oct 09:07 (a working Saturday): 2 + 7 = 9 working minutes.
            adjusted = _file(tenant, at(10, 9, 17, 58), "consultation", "什么时候发货")
            with travel_to(at(10, 10, 9, 7)):
                cases.accept(adjusted, agent)
            # Wed 30 Sep 10:00: its 7th working day is Thu 15 Oct (8, 9, 10, 12, 13, 14, 15 Oct); resolved
            # at 09:00 that day, fifteen calendar days later, it is in time.
            long_one = _file(tenant, at(9, 30, 10), "quality", "屏幕失灵")
            with travel_to(at(9, 30, 10, 3)):
                cases.accept(long_one, agent)
            resolve_case(long_one, agent, at(10, 15, 9))
            for case in (before_holiday, adjusted, long_one):
                db.session.refresh(case)
            assert (before_holiday.first_response_minutes, before_holiday.first_response_in_time) == (9.0, True)
            assert (adjusted.first_response_minutes, adjusted.first_response_in_time) == (9.0, True)
            assert long_one.resolution_due_at == at(10, 15, 10) and long_one.resolved_at <= long_one.resolution_due_at
            # 10:00 30 Sep → 09:00 15 Oct: 8 h on the 30th, 6 full days, 0 h on the 15th = 62 h = 6.89 working days.
            assert long_one.resolution_days == 6.89


def test_words_of_the_same_cases_join_one_problem_and_products_stay_apart():
    from saas.services.reports_text import Doc, top_problems

    now = [
        Doc(1, "N1", "EB-1", "包装破损，耳机盒子压扁了"),
        Doc(2, "N2", "EB-1", "包装破损，盒子压扁"),
        Doc(3, "N3", "EB-1", "包装破损，外壳有划痕"),
        Doc(4, "N4", "PB-2", "无法开机"),
        Doc(5, "N5", "PB-2", "无法开机了"),
        Doc(6, "N6", "PB-2", "包装破损"),
        Doc(7, "N7", "EB-1", "The box was damaged"),
        Doc(8, "N8", "EB-1", "damaged box, screen cracked"),
    ]
    before = [Doc(9, "N9", "EB-1", "包装破损"), Doc(10, "N10", "PB-2", "无法开机"), Doc(11, "N11", "PB-2", "无法开机")]
    problems = top_problems(now, before)
    rows = {(p.product, p.phrase): p for p in problems}
    assert (rows[("EB-1", "包装破损")].count, rows[("EB-1", "包装破损")].change) == (3, 2)
    assert set(rows[("EB-1", "包装破损")].related) == {"盒子", "压扁"}
    assert (rows[("PB-2", "无法开机")].count, rows[("PB-2", "无法开机")].change) == (2, 0)
    assert ("PB-2", "包装破损") not in rows  # once is not a recurring problem
    english = [p for p in problems if p.product == "EB-1" and p.phrase in ("box", "damaged")]
    assert (
        len(english) == 1
        and english[0].count == 2
        and set([english[0].phrase, *english[0].related]) == {"box", "damaged"}
    )
    assert [e[1] for e in rows[("EB-1", "包装破损")].examples] == ["N3", "N2", "N1"]


def test_jieba_loads_quietly_and_once():
    """The first segmentation loads jieba's dictionary without a word on stderr; later ones reuse it."""
    import subprocess
    import sys

    code = (
        "from saas.services import reports_text as t; a = t._jieba(); t.terms('包装破损'); "
        "assert t._jieba() is a; print(sorted(t.terms('无法开机，尺码偏小')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip() == "['尺码偏小', '无法开机']"
