"""The weekly and monthly review pack: due on the shop's first working morning, written once per manager,
sent through the outbox over SMTP; improvement actions recorded, carried from pack to pack, closed."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.notification import Notification
from saas.models.review import ImprovementAction
from saas.models.survey import Survey
from saas.models.user import User
from saas.services import case_intake, improvement_actions, reviews
from tenants.calendar import BusinessCalendar
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import csrf_token, login, make_shop_with_policy, make_tenant, make_user
from tests.test_notifications import run_worker, smtp  # noqa: F401  (the aiosmtpd fixture)

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def _shop(slug: str, locale: str = "zh_Hans") -> Tenant:
    with travel_to(at(2025, 1, 1, 9)):
        tenant = make_shop_with_policy(
            slug,
            effective=date(2025, 1, 1),
            default_locale=locale,
            users=[
                ("owner", f"owner@{slug}.example.com", {"name": "王店长"}),
                ("admin", f"admin@{slug}.example.com", {"name": "李主管"}),
                ("agent", f"agent@{slug}.example.com", {"name": "小张"}),
                ("admin", f"gone@{slug}.example.com", {"name": "已离职", "is_enabled": False}),
            ],
        )
    db.session.commit()
    return tenant


def _file(tenant, when, text, problem="quality"):
    intake = case_intake.Intake(
        order_number="R-1",
        customer_name="陈静",
        mobile="13900001111",
        email="",
        purchase_channel="tmall",
        problem_type=problem,
        description=text,
        expected_resolution="refund",
        purchase_date=when.date() - timedelta(days=3),
        category="fresh_food",
    )
    with travel_to(when), tenant_context(tenant.id):
        case = case_intake.file_case(tenant, intake)
        db.session.commit()
        return case


@pytest.fixture
def shop(app):
    with app.app_context():
        yield _shop("rev-a")


def packs(kind: str | None = None) -> list[Notification]:
    with cross_tenant("test"):
        rows = db.session.scalars(
            select(Notification).where(Notification.template_key == "review_pack").order_by(Notification.id)
        ).all()
    return [n for n in rows if kind is None or f":{kind}:" in n.idempotency_key]


def sweep_at(when: datetime) -> int:
    with travel_to(when):
        count = reviews.sweep(end_batch=db.session.commit)
    db.session.expire_all()
    return count


# ---------- when the pack is due ---------------------------------------------


def test_first_working_morning_follows_the_calendar():
    cal = BusinessCalendar.from_settings("Asia/Shanghai", "09:00", "18:00")
    # Qingming: Monday 6 April 2026 is a holiday, the week's pack goes out on Tuesday at opening time.
    assert reviews.first_working_morning(cal, date(2026, 4, 6)) == at(2026, 4, 7, 9)
    # New Year 2026: 1–3 January off, Sunday 4 January is a 调休 working day: December's pack goes then.
    assert reviews.first_working_morning(cal, date(2026, 1, 1)) == at(2026, 1, 4, 9)
    # The Spring Festival week (16–22 Feb 2026) has no working day: its pack and the one before go on 24 Feb.
    due = reviews.packs_due(cal, date(2026, 2, 24), at(2026, 2, 24, 9))
    assert [(d.kind, d.period.first) for d in due] == [("week", date(2026, 2, 16)), ("week", date(2026, 2, 9))]
    assert reviews.packs_due(cal, date(2026, 2, 24), at(2026, 2, 24, 8, 59)) == []
    # A week whose weekdays are all off and whose Saturday is worked (调休): the pack goes out that Saturday.
    off = BusinessCalendar.from_settings(
        "Asia/Shanghai",
        "09:00",
        "18:00",
        closures=[date(2026, 11, 30) + timedelta(days=i) for i in range(5)],
        extra_days=[date(2026, 12, 5)],
    )
    assert reviews.first_working_morning(off, date(2026, 11, 30)) == at(2026, 12, 5, 9)
    assert [(d.kind, d.period.first) for d in reviews.packs_due(off, date(2026, 12, 5), at(2026, 12, 5, 9))] == [
        ("week", date(2026, 11, 23)),
        ("month", date(2026, 11, 1)),
    ]  # 1–4 December were off too
    # A shop opening at 08:30 gets it at 08:30.
    early = BusinessCalendar.from_settings("Asia/Shanghai", "08:30", "17:30")
    assert reviews.first_working_morning(early, date(2026, 11, 30)) == at(2026, 11, 30, 8, 30)


def test_weekly_pack_goes_out_once_on_the_first_working_morning(app, shop):
    _file(shop, at(2026, 3, 31, 10), "包装破损，盒子压扁了")
    _file(shop, at(2026, 4, 2, 11), "包装破损，漏液")
    sweep_at(at(2026, 4, 5, 20))  # Sunday evening: the week is not over
    assert packs("week") == []
    sweep_at(at(2026, 4, 6, 9, 30))  # Monday 6 April is Qingming: no one is in
    assert packs("week") == []
    sweep_at(at(2026, 4, 7, 8, 59))  # Tuesday before opening
    assert packs("week") == []
    sweep_at(at(2026, 4, 7, 9, 0))
    sent = packs("week")
    # The owner and the enabled admin; not the agent, not the disabled admin.
    assert sorted(n.recipient for n in sent) == ["admin@rev-a.example.com", "owner@rev-a.example.com"]
    assert all(f"review:{shop.id}:week:20260330:" in n.idempotency_key for n in sent)
    assert all(n.channel == "email" and n.audience == "staff" and n.status == "pending" for n in sent)
    # The next minutes, the next mornings and a restart write nothing more for that week.
    for when in (at(2026, 4, 7, 9, 1), at(2026, 4, 7, 15), at(2026, 4, 8, 9), at(2026, 4, 10, 9)):
        sweep_at(when)
    assert len(packs("week")) == 2
    # The next Monday is a working day: the next week's pack goes out then.
    sweep_at(at(2026, 4, 13, 9))
    assert sorted(n.idempotency_key.split(":")[3] for n in packs("week")) == ["20260330"] * 2 + ["20260406"] * 2


def test_monthly_pack_on_the_first_working_day_even_a_tiaoxiu_sunday(app, shop):
    sweep_at(at(2026, 1, 3, 10))  # Saturday 3 January: still the New Year holiday
    assert packs("month") == []
    sweep_at(at(2026, 1, 4, 9))  # Sunday 4 January is a working day (调休): December's pack
    assert [n.idempotency_key.split(":")[3] for n in packs("month")] == ["20251201", "20251201"]
    sweep_at(at(2026, 1, 5, 9))
    sweep_at(at(2026, 1, 12, 9))
    assert len(packs("month")) == 2
    sweep_at(at(2026, 2, 2, 9))  # Monday 2 February: January's
    assert [n.idempotency_key.split(":")[3] for n in packs("month")] == ["20251201"] * 2 + ["20260101"] * 2
    subjects = {n.params["subject"] for n in packs("month")}
    assert any("2025-12" in s and "月度复盘" in s for s in subjects)


def test_a_shop_that_did_not_exist_gets_no_pack_for_the_period(app):
    with app.app_context():
        with travel_to(at(2026, 4, 8, 10)):
            tenant = make_tenant("rev-new")
            make_user(tenant, "owner", "owner@rev-new.example.com")
            db.session.commit()
        sweep_at(at(2026, 4, 8, 11))
        assert packs() == []


def test_an_insert_racing_another_worker_is_dropped_not_raised(app, shop):
    key = reviews.pack_key(shop.id, "week", date(2026, 3, 30), 1)
    with tenant_context(shop.id):
        first = reviews._insert(shop, key, "owner@rev-a.example.com", "zh_Hans", {"subject": "a", "text": "a"})
        second = reviews._insert(shop, key, "owner@rev-a.example.com", "zh_Hans", {"subject": "b", "text": "b"})
        db.session.commit()
    assert first is not None and second is None
    assert [n.params["subject"] for n in packs()] == ["a"]


@pytest.mark.real_commits
def test_two_workers_sweeping_at_once_write_each_pack_once(app, shop, databases):
    if not databases.is_postgres:
        pytest.skip("concurrent writers need PostgreSQL")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                reviews.sweep(now=at(2026, 4, 7, 9, 0), end_batch=db.session.commit)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(packs("week")) == 2


# ---------- the e-mail ----------------------------------------------------------


def _low_score(tenant, case, when, score, comment):
    with tenant_context(tenant.id):
        db.session.add(
            Survey(
                tenant_id=tenant.id,
                case_id=case.id,
                token=f"rev-{case.id}",
                status="answered",
                due_at=when,
                score=score,
                comment=comment,
                answered_at=when,
            )
        )
        db.session.commit()


def test_the_pack_email_goes_out_through_the_outbox_with_the_weeks_numbers(app, smtp, shop):
    c1 = _file(shop, at(2026, 3, 31, 10), "包装破损，盒子压扁了")
    _file(shop, at(2026, 4, 2, 11), "包装破损，漏液")
    _low_score(shop, c1, at(2026, 4, 3, 15), 1, "包装太差，很失望")
    with tenant_context(shop.id):
        owner = db.session.query(User).filter_by(email="owner@rev-a.example.com").one()
        with travel_to(at(2026, 4, 1, 10)):
            improvement_actions.record_action(
                shop,
                owner,
                problem_key="x|包装破损",
                problem_label="包装破损 · 生鲜食品",
                description="换用加厚纸箱",
                owner_id=owner.id,
                due="2026-04-03",
            )
        db.session.commit()
    run_worker(app)
    smtp.messages.clear()
    sweep_at(at(2026, 4, 7, 9))
    run_worker(app)
    mails = [m for m in smtp.messages if "复盘" in m["Subject"]]
    assert sorted(m["To"] for m in mails) == ["admin@rev-a.example.com", "owner@rev-a.example.com"]
    mail = mails[0]
    assert mail["Subject"] == "每周复盘 2026-03-30 至 2026-04-05：rev-a 店"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "10 个工作分钟内首次响应：0.0 %（目标 ≥ 95 %） [未达标]" in text  # both cases were never answered
    assert "包装破损" in text and "2 个案件（变化：+2）" in text  # the top problem, with its count
    assert "包装太差，很失望" in text and "★" in text  # the low score with its comment
    assert "换用加厚纸箱" in text and "已超时" in text  # the open action, overdue since 3 April
    assert "/rev-a/console/reviews?period=custom&from=2026-03-30&to=2026-04-05" in text
    assert "换用加厚纸箱" in html and "/rev-a/console/reviews" in html
    assert all(n.status == "sent" for n in packs())


def test_an_english_shop_gets_it_in_english(app, smtp):
    with app.app_context():
        _shop("rev-en", locale="en")
        sweep_at(at(2026, 4, 7, 9))
        run_worker(app)
    mails = [m for m in smtp.messages if "review" in m["Subject"].lower()]
    assert mails and mails[0]["Subject"] == "Weekly review 2026-03-30 to 2026-04-05: rev-en shop"
    text = mails[0].get_body(("plain",)).get_content()
    assert "Key figures" in text and "Open improvement actions" in text and "复盘" not in text


# ---------- the page and the actions --------------------------------------------


def _page(client, query="") -> str:
    r = client.get(f"/rev-a/console/reviews{query}")
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def _fields(html: str) -> dict:
    """The first action form's hidden fields, as the page rendered them."""
    form = html[html.index('action="/rev-a/console/reviews/actions"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_action_lifecycle_on_the_page(app, shop):
    _file(shop, at(2026, 11, 24, 10), "包装破损，盒子压扁了")
    _file(shop, at(2026, 11, 25, 10), "包装破损，漏液")
    client = app.test_client()
    login(client, "owner@rev-a.example.com")
    with tenant_context(shop.id):
        owner_id = db.session.query(User.id).filter_by(email="owner@rev-a.example.com").scalar()
    with travel_to(at(2026, 12, 1, 10)):
        html = _page(client)  # last week by default: 23–29 November
        assert "2026-11-23" in html and "包装破损" in html
        fields = _fields(html)
        assert fields["problem_key"].endswith("|包装破损") and fields["period"] == "last_week"
        r = client.post(
            "/rev-a/console/reviews/actions",
            data={**fields, "description": "换用加厚纸箱", "owner_id": str(owner_id), "due_date": "2026-12-10"},
        )
        assert r.status_code == 302 and r.headers["Location"].endswith("period=last_week#actions")
        html = _page(client)
        assert "换用加厚纸箱" in html and "已记录改进措施" in html
    with tenant_context(shop.id):
        action = db.session.scalars(select(ImprovementAction)).one()
        assert (action.status, action.due_date, action.problem_label) == (
            "open",
            date(2026, 12, 10),
            fields["problem_label"],
        )
    # Carried into the next week's page until done; overdue once its date has passed.
    with travel_to(at(2026, 12, 14, 10)):
        html = _page(client)
        assert "换用加厚纸箱" in html and "已超时" in html
        token = csrf_token(client, "/rev-a/console/reviews")
        r = client.post(
            f"/rev-a/console/reviews/actions/{action.id}/done", data={"csrf_token": token, "period": "last_week"}
        )
        assert r.status_code == 302
        html = _page(client)
        assert "换用加厚纸箱" not in html.split('id="pack-actions"')[1].split("</table>")[0]
        # Done this week: shown among this week's done actions.
        assert "换用加厚纸箱" in _page(client, "?period=this_week").split('id="done-actions"')[1]
        r = client.post(
            f"/rev-a/console/reviews/actions/{action.id}/done",
            data={"csrf_token": token, "period": "last_week"},
            follow_redirects=True,
        )
        assert "该措施已完成。" in r.get_data(as_text=True)
    db.session.expire_all()
    with tenant_context(shop.id):
        action = db.session.get(ImprovementAction, action.id)
        assert action.status == "done" and action.closed_at is not None


@pytest.mark.parametrize(
    "change, message",
    [
        ({"description": "  "}, "请描述改进措施。"),
        ({"description": "很" * 501}, "措施内容过长"),
        ({"due_date": "2026-13-45"}, "请按 YYYY-MM-DD 格式填写完成日期。"),
        ({"due_date": "2026-11-30"}, "完成日期不能早于今天。"),
        ({"due_date": "2028-01-01"}, "完成日期须在一年之内。"),
        ({"owner_id": "999999"}, "请从本店团队中选择负责人。"),
        ({"owner_id": "abc"}, "请从本店团队中选择负责人。"),
        ({"problem_key": ""}, "请选择措施针对的问题。"),
    ],
)
def test_an_action_form_with_a_mistake_says_what_and_writes_nothing(app, shop, change, message):
    _file(shop, at(2026, 11, 24, 10), "包装破损，盒子压扁了")
    _file(shop, at(2026, 11, 25, 10), "包装破损，漏液")
    client = app.test_client()
    login(client, "owner@rev-a.example.com")
    with tenant_context(shop.id):
        owner_id = db.session.query(User.id).filter_by(email="owner@rev-a.example.com").scalar()
    with travel_to(at(2026, 12, 1, 10)):
        fields = _fields(_page(client))
        data = {**fields, "description": "换用加厚纸箱", "owner_id": str(owner_id), "due_date": "2026-12-10", **change}
        r = client.post("/rev-a/console/reviews/actions", data=data)
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    with tenant_context(shop.id):
        assert db.session.scalars(select(ImprovementAction)).all() == []


def test_the_service_refuses_nul_and_another_shops_owner(app, shop):
    other = _shop("rev-b")
    with tenant_context(shop.id), travel_to(at(2026, 12, 1, 10)):
        owner = db.session.query(User).filter_by(email="owner@rev-a.example.com").one()
        stranger = db.session.query(User).filter_by(email="owner@rev-b.example.com").one()
        good = dict(
            problem_key="k|包装破损", problem_label="包装破损", description="换箱", owner_id=owner.id, due="2026-12-10"
        )
        with pytest.raises(improvement_actions.ActionError) as nul:
            improvement_actions.record_action(shop, owner, **{**good, "description": "换\x00箱"})
        assert nul.value.code == "control"
        with pytest.raises(improvement_actions.ActionError) as foreign:
            improvement_actions.record_action(shop, owner, **{**good, "owner_id": stranger.id})
        assert foreign.value.code == "owner"
        assert db.session.scalars(select(ImprovementAction)).all() == []
    assert other.id != shop.id


def test_another_shops_action_is_a_404_and_agents_may_not_enter(app, shop):
    other = _shop("rev-b")
    with tenant_context(shop.id), travel_to(at(2026, 12, 1, 10)):
        owner = db.session.query(User).filter_by(email="owner@rev-a.example.com").one()
        action = improvement_actions.record_action(
            shop,
            owner,
            problem_key="k|包装破损",
            problem_label="包装破损",
            description="换箱",
            owner_id=owner.id,
            due="2026-12-10",
        )
        db.session.commit()
    b = app.test_client()
    login(b, "owner@rev-b.example.com")
    token = csrf_token(b, "/rev-b/console/reviews")
    assert b.post(f"/rev-b/console/reviews/actions/{action.id}/done", data={"csrf_token": token}).status_code == 404
    assert b.get("/rev-a/console/reviews").status_code == 404
    with tenant_context(shop.id):
        assert db.session.get(ImprovementAction, action.id).status == "open"
    agent = app.test_client()
    login(agent, "agent@rev-a.example.com")
    assert agent.get("/rev-a/console/reviews").status_code == 403
    assert "/rev-a/console/reviews" not in agent.get("/rev-a/console/").get_data(as_text=True)
    assert other.id


def test_the_period_selector_and_a_bad_range(app, shop):
    client = app.test_client()
    login(client, "owner@rev-a.example.com")
    with travel_to(at(2026, 12, 16, 10)):
        assert "2026-11-01" in _page(client, "?period=last_month") and "月度复盘" in _page(client, "?period=last_month")
        assert "2026-12-01" in _page(client, "?period=custom&from=2026-12-01&to=2026-12-10")
        r = client.get("/rev-a/console/reviews?period=custom&from=2026-12-10&to=2026-12-01")
        assert r.status_code == 400 and "开始日期不能晚于结束日期" in r.get_data(as_text=True)
        home = client.get("/rev-a/console/").get_data(as_text=True)
        assert 'href="/rev-a/console/reviews"' in home and "复盘" in home


def test_the_minute_clock_runs_the_review_sweep(app, shop):
    from workers import jobs
    from workers.scheduler import PERIODIC

    assert ("workers.jobs.sweep_reviews", "default") in PERIODIC
    with travel_to(at(2026, 4, 7, 9, 0)):
        assert jobs.sweep_reviews() == 2  # last week's pack for the owner and the admin
        assert jobs.sweep_reviews() == 0


def test_a_sweep_that_read_before_another_wrote_adds_nothing(app, shop, monkeypatch):
    """Two workers that both found the packs missing: the second one's inserts hit the unique key."""
    sweep_at(at(2026, 4, 7, 9, 0))
    assert len(packs("week")) == 2
    monkeypatch.setattr(reviews, "_written", lambda keys: set())
    assert sweep_at(at(2026, 4, 7, 9, 1)) == 0
    assert len(packs("week")) == 2


def test_the_page_in_english(app, shop):
    client = app.test_client()
    login(client, "owner@rev-a.example.com")
    with travel_to(at(2026, 12, 1, 10)):
        html = client.get("/rev-a/console/reviews?lang=en").get_data(as_text=True)
    assert "Weekly review" in html and "Open improvement actions" in html and "Key figures" in html
    assert "复盘" not in html.split("<main")[1]
