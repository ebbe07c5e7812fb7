"""Case ownership: claim, assign, reassign and their refusals, the round-robin for new cases (across app
instances and concurrent filings), the queue's ownership and deadline filters, the console home's counts."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from saas.extensions import db
from saas.models.assignment import AssignmentRotation, AvailableStaff
from saas.models.base import utcnow
from saas.models.case import Case, CaseEvent
from saas.models.user import User
from saas.services import assignment, case_intake, case_view
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.conftest import make_config
from tests.factories import csrf_token, login, make_tenant, make_user, post_form


def _intake(n: int = 0, **over) -> case_intake.Intake:
    today = utcnow().date()
    fields = dict(
        order_number=f"TB-{n}",
        customer_name="张三",
        mobile="13812345678",
        email="",
        purchase_channel="taobao",
        problem_type="quality",
        description="屏幕有一道划痕",
        expected_resolution="exchange",
        purchase_date=today - timedelta(days=5),
        delivery_date=today - timedelta(days=3),
        category="electronics",
    )
    fields.update(over)
    return case_intake.Intake(**fields)


@pytest.fixture
def team(app):
    """Shop A: an owner, an admin, three agents, a disabled agent; shop B: an agent. All ids."""
    with app.app_context():
        a, b = make_tenant("shop-a"), make_tenant("shop-b")
        ids = {"a": a.id, "b": b.id}
        for key, tenant, role, extra in (
            ("owner", a, "owner", {}),
            ("admin", a, "admin", {}),
            ("ann", a, "agent", {"name": "安安"}),
            ("bob", a, "agent", {"name": "波波"}),
            ("cat", a, "agent", {"name": "猫猫"}),
            ("gone", a, "agent", {"name": "离职", "is_enabled": False}),
            ("other", b, "agent", {"name": "别家"}),
        ):
            ids[key] = make_user(tenant, role, f"{key}@{tenant.slug}.example.com", **extra).id
        db.session.commit()
    return ids


def _file(app, tenant_id: int, n: int = 0, **over) -> int:
    with app.app_context(), tenant_context(tenant_id):
        case = case_intake.file_case(db.session.get(Tenant, tenant_id), _intake(n, **over))
        db.session.commit()
        return case.id


def _user(uid: int) -> User:
    return db.session.get(User, uid)


# ---------------------------------------------------------------- the service


def test_an_agent_claims_an_unassigned_case_and_it_is_an_event(app, team):
    case_id = _file(app, team["a"])
    with app.app_context(), tenant_context(team["a"]):
        case = db.session.get(Case, case_id)
        assert case.assignee_id is None
        event = assignment.claim(case, _user(team["ann"]))
        db.session.commit()
        assert case.assignee_id == team["ann"] and event.kind == "assigned" and event.actor_id == team["ann"]
        assert event.data == {"how": "claim", "from": None, "from_name": "", "to": team["ann"], "to_name": "安安"}
        assert event.customer_message == ""  # nothing for the customer, no message sent
    with app.app_context(), tenant_context(team["a"]):
        case = db.session.get(Case, case_id)
        staff = [e.text for e in case_view.timeline(case, "en", staff=True) if e.kind == "assigned"]
        assert staff == ["Claimed by 安安."]
        assert not [e for e in case_view.timeline(case, "zh_Hans") if e.kind == "assigned"]  # the consumer's page


def test_a_supervisor_sees_that_the_case_changed_hands_but_no_staff_name(app, team):
    from saas.services import supervision_review

    case_id = _file(app, team["a"])
    with app.app_context(), tenant_context(team["a"]):
        assignment.claim(db.session.get(Case, case_id), _user(team["ann"]))
        db.session.commit()
    from flask_babel import force_locale

    with app.app_context(), tenant_context(team["a"]), force_locale("en"):
        view = supervision_review.masked_case_view(db.session.get(Case, case_id), show_evidence=False, lang="en")
        texts = [t["text"] for t in view["timeline"]]
        assert "The case changed hands." in texts
        assert not any("安安" in t for t in texts)


def test_claim_refusals(app, team):
    case_id = _file(app, team["a"])
    with app.app_context(), tenant_context(team["a"]):
        case = db.session.get(Case, case_id)
        assignment.claim(case, _user(team["ann"]))
        with pytest.raises(assignment.AssignmentError) as mine:
            assignment.claim(case, _user(team["ann"]))
        assert mine.value.code == "mine"
        with pytest.raises(assignment.AssignmentError) as taken:
            assignment.claim(case, _user(team["bob"]))
        assert taken.value.code == "taken" and "安安" in taken.value.message
        with pytest.raises(assignment.AssignmentError) as foreign:
            assignment.claim(case, _user(team["other"]))
        assert foreign.value.code == "staff"
        case.status = "closed"
        with pytest.raises(assignment.AssignmentError) as closed:
            assignment.claim(case, _user(team["bob"]))
        assert closed.value.code == "closed"
        db.session.rollback()


@pytest.mark.real_commits
def test_a_claim_on_a_case_someone_took_meanwhile_is_refused(app, team):
    """Two agents open the same unassigned case; the second click finds it taken, not silently overwritten."""
    case_id = _file(app, team["a"])
    with app.app_context(), tenant_context(team["a"]):
        case = db.session.get(Case, case_id)  # loaded unassigned
        with db.engine.begin() as other_process:
            other_process.execute(
                update(Case.__table__).where(Case.__table__.c.id == case_id).values(assignee_id=team["bob"])
            )
        with pytest.raises(assignment.AssignmentError) as taken:
            assignment.claim(case, _user(team["ann"]))
        assert taken.value.code == "taken" and "波波" in taken.value.message
        db.session.rollback()
        assert db.session.scalar(select(Case.assignee_id).where(Case.id == case_id)) == team["bob"]
        assert not db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "assigned")).all()


def test_a_manager_assigns_reassigns_and_unassigns(app, team):
    case_id = _file(app, team["a"])
    with app.app_context(), tenant_context(team["a"]):
        case = db.session.get(Case, case_id)
        owner = _user(team["owner"])
        assignment.assign(case, owner, str(team["ann"]))
        assignment.assign(case, _user(team["admin"]), team["bob"])
        assignment.assign(case, owner, "none")
        db.session.commit()
        events = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "assigned").order_by(CaseEvent.id)).all()
        assert [(e.data["from"], e.data["to"], e.actor_id) for e in events] == [
            (None, team["ann"], team["owner"]),
            (team["ann"], team["bob"], team["admin"]),
            (team["bob"], None, team["owner"]),
        ]
        assert [assignment.describe(e, "en") for e in events] == [
            "Assigned to 安安.",
            "Reassigned from 安安 to 波波.",
            "Unassigned (was 波波).",
        ]
        assert assignment.describe(events[1], "zh_Hans") != "Reassigned from 安安 to 波波."
        assert case.assignee_id is None


@pytest.mark.parametrize("who", ["other", "gone", "nobody", "garbage", "same"])
def test_a_manager_cannot_assign_outside_the_enabled_team(app, team, who):
    case_id = _file(app, team["a"])
    target = {
        "other": team["other"],
        "gone": team["gone"],
        "nobody": 999999,
        "garbage": "1 OR 1=1",
        "same": team["ann"],
    }[who]
    with app.app_context(), tenant_context(team["a"]):
        case = db.session.get(Case, case_id)
        assignment.assign(case, _user(team["owner"]), team["ann"])
        with pytest.raises(assignment.AssignmentError) as refused:
            assignment.assign(case, _user(team["owner"]), target)
        assert refused.value.code == ("same" if who == "same" else "member")
        assert case.assignee_id == team["ann"]
        db.session.rollback()


def test_an_agent_cannot_assign_to_someone_else(app, team):
    case_id = _file(app, team["a"])
    with app.app_context(), tenant_context(team["a"]):
        case = db.session.get(Case, case_id)
        with pytest.raises(assignment.AssignmentError) as refused:
            assignment.assign(case, _user(team["ann"]), team["bob"])
        assert refused.value.code == "manager" and case.assignee_id is None
        db.session.rollback()


# ---------------------------------------------------------------- round-robin


def _turn_on(app, team, available=("ann", "bob", "cat", "gone")):
    with app.app_context(), tenant_context(team["a"]):
        for key in available:
            db.session.add(AvailableStaff(tenant_id=team["a"], user_id=team[key]))
        assignment.set_auto_assign(db.session.get(Tenant, team["a"]), _user(team["owner"]), True)
        db.session.commit()


def _assignees(app, tenant_id: int) -> list[int | None]:
    with app.app_context(), tenant_context(tenant_id):
        return list(db.session.scalars(select(Case.assignee_id).order_by(Case.id)))


def test_round_robin_is_off_by_default(app, team):
    with app.app_context(), tenant_context(team["a"]):
        assignment.set_available(_user(team["ann"]), _user(team["ann"]), True)
        db.session.commit()
    _file(app, team["a"])
    assert _assignees(app, team["a"]) == [None]


@pytest.mark.real_commits
def test_round_robin_takes_turns_among_available_enabled_staff_and_survives_a_restart(app, team, databases, redis_url):
    _turn_on(app, team)  # "gone" is available but disabled: never picked; owner and admin are not available
    for n in range(4):
        _file(app, team["a"], n)
    assert _assignees(app, team["a"]) == [team["ann"], team["bob"], team["cat"], team["ann"]]
    with app.app_context(), tenant_context(team["a"]):
        events = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "assigned")).all()
        assert {(e.actor_type, e.data["how"]) for e in events} == {("system", "auto")}
        assert assignment.describe(events[0], "en") == "Assigned to 安安 in turn (automatic)."
    # Another process (a restarted web server) goes on where the rotation stood: its memory is the database.
    from saas import create_app

    other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], redis_url))
    _file(other, team["a"], 5)
    with other.app_context():
        db.engine.dispose()
    # Bob pauses: the turn skips him.
    with app.app_context(), tenant_context(team["a"]):
        assignment.set_available(_user(team["bob"]), _user(team["bob"]), False)
        db.session.commit()
    _file(app, team["a"], 6)
    _file(app, team["a"], 7)
    assert _assignees(app, team["a"])[4:] == [team["bob"], team["cat"], team["ann"]]
    _file(app, team["b"], 8)  # shop B has no round-robin
    assert _assignees(app, team["b"]) == [None]


@pytest.mark.real_commits
def test_round_robin_is_fair_when_two_app_instances_file_at_once(app, team, databases, redis_url):
    """Two web processes (two apps, two connection pools) file 18 cases at the same moment: each of the three
    available agents gets exactly 6, which only holds if no two filings read the same turn."""
    if not databases.is_postgres:
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    from saas import create_app

    _turn_on(app, team, available=("ann", "bob", "cat"))
    apps = [create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"], redis_url)) for _ in range(2)]
    per_thread, threads_per_app = 3, 3
    start = threading.Barrier(len(apps) * threads_per_app)
    errors: list[BaseException] = []

    def worker(instance, k: int) -> None:
        try:
            start.wait(timeout=30)
            for n in range(per_thread):
                _file(instance, team["a"], 100 * k + n)
        except BaseException as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(instance, 10 * i + j))
        for i, instance in enumerate(apps)
        for j in range(threads_per_app)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for instance in apps:
        with instance.app_context():
            db.engine.dispose()
    assert not errors, errors
    assigned = _assignees(app, team["a"])
    assert len(assigned) == 18
    assert {uid: assigned.count(uid) for uid in set(assigned)} == {team["ann"]: 6, team["bob"]: 6, team["cat"]: 6}
    with app.app_context(), tenant_context(team["a"]):
        # Every case in filing order went to the next in turn: the rotation never read a stale turn.
        events = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "assigned").order_by(CaseEvent.id)).all()
        turns = [e.data["to"] for e in events]
        cycle = [team["ann"], team["bob"], team["cat"]]
        assert all(turns[i + 1] == cycle[(cycle.index(turns[i]) + 1) % 3] for i in range(len(turns) - 1))


def test_availability_and_the_setting_are_guarded(app, team):
    with app.app_context(), tenant_context(team["a"]):
        ann, bob, owner = _user(team["ann"]), _user(team["bob"]), _user(team["owner"])
        assignment.set_available(ann, ann, True)
        assignment.set_available(bob, owner, True)
        with pytest.raises(assignment.AssignmentError):
            assignment.set_available(bob, ann, False)  # an agent says so only for themselves
        with pytest.raises(assignment.AssignmentError):
            assignment.set_available(_user(team["other"]), owner, True)  # another shop's member
        with pytest.raises(assignment.AssignmentError):
            assignment.set_auto_assign(db.session.get(Tenant, team["a"]), ann, True)
        assert assignment.available_ids(team["a"]) == {team["ann"], team["bob"]}
        db.session.rollback()


# ---------------------------------------------------------------- over HTTP: the queue, the home, the team page


def _numbers(html: str) -> set[str]:
    return set(re.findall(r'/console/cases/\d+">([A-Z0-9-]+)</a>', html))


def _number(app, case_id: int) -> str:
    with app.app_context(), cross_tenant("test"):
        return db.session.get(Case, case_id).number


def _signed_in(app, key: str, team_ids) -> object:
    client = app.test_client()
    slug = "shop-b" if key == "other" else "shop-a"
    assert login(client, f"{key}@{slug}.example.com").status_code == 302
    return client


def test_claim_over_http_lists_the_case_under_my_cases(app, team):
    case_id, other_id = _file(app, team["a"], 1), _file(app, team["a"], 2)
    ann = _signed_in(app, "ann", team)
    page = f"/shop-a/console/cases/{case_id}"
    assert f'action="/shop-a/console/cases/{case_id}/actions/claim"' in ann.get(page).get_data(as_text=True)
    assert post_form(ann, f"{page}/actions/claim", {}, form_url=page).status_code == 302
    mine = ann.get("/shop-a/console/cases?assignee=me").get_data(as_text=True)
    assert _numbers(mine) == {_number(app, case_id)}
    assert _numbers(ann.get("/shop-a/console/cases?assignee=none").get_data(as_text=True)) == {_number(app, other_id)}
    named = ann.get(f"/shop-a/console/cases?assignee={team['ann']}").get_data(as_text=True)
    assert _numbers(named) == {_number(app, case_id)} and "安安" in named
    assert not _numbers(ann.get("/shop-a/console/cases?assignee=me&type=complaint").get_data(as_text=True))
    assert _numbers(ann.get("/shop-a/console/cases?assignee=me&type=quality").get_data(as_text=True)) == {
        _number(app, case_id)
    }
    html = ann.get(page + "?lang=en").get_data(as_text=True)
    assert "Claimed by 安安." in html and "Assignee: 安安" in html and "/actions/claim" not in html
    assert "/actions/assign" not in html  # agents do not assign


def test_an_agent_cannot_assign_over_http_and_the_owner_can(app, team):
    case_id = _file(app, team["a"])
    page = f"/shop-a/console/cases/{case_id}"
    ann = _signed_in(app, "ann", team)
    r = post_form(ann, f"{page}/actions/assign", {"assignee": str(team["bob"])}, form_url=page)
    assert r.status_code == 302
    with app.app_context(), cross_tenant("test"):
        assert db.session.get(Case, case_id).assignee_id is None
    owner = _signed_in(app, "owner", team)
    html = owner.get(page).get_data(as_text=True)
    assert f'<option value="{team["bob"]}">波波</option>' in html and "离职" not in html and "别家" not in html
    # Another shop's user id, typed into the form, is refused and changes nothing.
    r = post_form(owner, f"{page}/actions/assign", {"assignee": str(team["other"])}, form_url=page)
    assert r.status_code == 302
    assert "请选择本店一位已启用的成员。" in owner.get(page).get_data(as_text=True)
    post_form(owner, f"{page}/actions/assign", {"assignee": str(team["bob"])}, form_url=page)
    with app.app_context(), cross_tenant("test"):
        assert db.session.get(Case, case_id).assignee_id == team["bob"]


def test_another_shops_staff_get_404_on_claim_and_assign(app, team):
    case_id = _file(app, team["a"])
    other = _signed_in(app, "other", team)
    token = csrf_token(other, "/shop-b/console/cases")
    for action in ("claim", "assign"):
        for slug in ("shop-a", "shop-b"):
            r = other.post(
                f"/{slug}/console/cases/{case_id}/actions/{action}",
                data={"csrf_token": token, "assignee": str(team["other"])},
            )
            assert r.status_code in (403, 404), (slug, action, r.status_code)
    with app.app_context(), cross_tenant("test"):
        assert db.session.get(Case, case_id).assignee_id is None


def test_queue_deadline_and_waiting_filters_and_the_home_counts(app, team):
    ids = [_file(app, team["a"], n) for n in range(5)]
    with app.app_context(), tenant_context(team["a"]):
        tenant = db.session.get(Tenant, team["a"])
        now = utcnow()
        end = assignment.end_of_today(tenant, now)
        rows = {i: db.session.get(Case, i) for i in ids}
        rows[ids[0]].due_at = now + (end - now) / 2  # due later today
        rows[ids[1]].due_at = end + timedelta(hours=1)  # due tomorrow
        rows[ids[2]].due_at = now - timedelta(minutes=5)  # overdue
        rows[ids[3]].status, rows[ids[3]].due_at = "info_requested", None  # waiting on the customer
        rows[ids[4]].status = "accepted"
        rows[ids[4]].assignee_id = team["ann"]
        db.session.commit()
    n = {i: _number(app, i) for i in ids}
    ann = _signed_in(app, "ann", team)
    q = "/shop-a/console/cases"
    assert _numbers(ann.get(f"{q}?due=today").get_data(as_text=True)) == {n[ids[0]]}
    assert _numbers(ann.get(f"{q}?overdue=1").get_data(as_text=True)) == {n[ids[2]]}
    assert _numbers(ann.get(f"{q}?status=waiting").get_data(as_text=True)) == {n[ids[3]]}
    assert _numbers(ann.get(f"{q}?status=submitted").get_data(as_text=True)) == {n[i] for i in ids[:3]}
    assert _numbers(ann.get(f"{q}?status=submitted&assignee=none&due=today").get_data(as_text=True)) == {n[ids[0]]}
    home = ann.get("/shop-a/console/?lang=en").get_data(as_text=True)
    found = re.findall(r'id="need-([a-z_]+)" href="([^"]+)">\s*<strong class="need-count">(\d+)', home)
    counts = {key: (url, int(count)) for key, url, count in found}
    assert {k: c for k, (u, c) in counts.items()} == {
        "new": 3,
        "due_today": 1,
        "overdue": 1,
        "waiting": 1,
        "mine": 1,
        "unassigned": 4,
    }
    # Each count is a link to the queue that lists exactly those cases.
    for key, (url, count) in counts.items():
        listed = _numbers(ann.get(url.replace("&amp;", "&")).get_data(as_text=True))
        assert len(listed) == count, key


def test_end_of_today_is_the_shops_midnight():
    shanghai = Tenant(slug="x", name_zh="x", name_en="x", timezone="Asia/Shanghai")
    # 17:30 UTC on 5 Dec is 01:30 on 6 Dec in Shanghai: the day ends at 16:00 UTC on 6 Dec.
    at = datetime(2026, 12, 5, 17, 30, tzinfo=UTC)
    assert assignment.end_of_today(shanghai, at) == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)
    assert assignment.end_of_today(shanghai, at - timedelta(hours=2)) == datetime(2026, 12, 5, 16, 0, tzinfo=UTC)


def test_team_page_availability_and_auto_assign(app, team):
    ann = _signed_in(app, "ann", team)
    html = ann.get("/shop-a/console/team").get_data(as_text=True)
    assert f'id="availability-{team["ann"]}"' in html and f'id="availability-{team["bob"]}"' not in html
    assert 'action="/shop-a/console/team/auto-assign"' not in html
    post_form(
        ann, f"/shop-a/console/team/{team['ann']}/availability", {"available": "1"}, form_url="/shop-a/console/team"
    )
    post_form(
        ann, f"/shop-a/console/team/{team['bob']}/availability", {"available": "1"}, form_url="/shop-a/console/team"
    )
    r = post_form(ann, "/shop-a/console/team/auto-assign", {"auto_assign": "1"}, form_url="/shop-a/console/team")
    assert r.status_code == 403
    owner = _signed_in(app, "owner", team)
    post_form(owner, "/shop-a/console/team/auto-assign", {"auto_assign": "1"}, form_url="/shop-a/console/team")
    with app.app_context(), tenant_context(team["a"]):
        assert assignment.available_ids(team["a"]) == {team["ann"]}
        assert db.session.scalar(
            select(AssignmentRotation.auto_assign).where(AssignmentRotation.tenant_id == team["a"])
        )
    _file(app, team["a"])
    assert _assignees(app, team["a"]) == [team["ann"]]


@pytest.mark.real_commits
def test_the_setting_saved_by_another_process_is_seen_at_the_next_filing(app, team):
    """A process keeps "round-robin off" under the shop's cache token; another process turning it on drops
    the token (as any commit of shop data does), and the next filing here reads the setting again."""
    from saas.caches import tokens
    from saas.extensions import redis

    with app.app_context(), tenant_context(team["a"]):
        db.session.add(AvailableStaff(tenant_id=team["a"], user_id=team["ann"]))
        db.session.add(AssignmentRotation(tenant_id=team["a"], auto_assign=False))
        db.session.commit()
    _file(app, team["a"], 1)  # kept: off
    with app.app_context():
        with db.engine.begin() as other_process:  # no ORM event of this process sees it
            other_process.execute(update(AssignmentRotation.__table__).values(auto_assign=True))
    _file(app, team["a"], 2)
    assert _assignees(app, team["a"]) == [None, None]  # still this process's copy: the token has not moved
    with app.app_context():
        tokens.delete(redis.client, {team["a"]})  # what the other process's commit did after writing
    _file(app, team["a"], 3)
    assert _assignees(app, team["a"]) == [None, None, team["ann"]]
