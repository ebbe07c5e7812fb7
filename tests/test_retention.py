"""PIPL retention: closed cases past the tenant's retention_days are anonymised daily; statistics stay."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from rq import Queue
from sqlalchemy import func, select

from saas.evidence import check_upload
from saas.extensions import db, redis
from saas.models.audit import AuditEvent
from saas.models.base import travel_to
from saas.models.case import Case, CaseEvent, Evidence
from saas.models.complaint import PlatformComplaint
from saas.models.notification import Notification
from saas.models.order import Order
from saas.models.recall import Recall, RecallContact
from saas.models.sla import SlaClock
from saas.models.survey import FollowUpTask, Survey
from saas.models.user import User
from saas.services import (
    case_consumer_steps,
    case_evidence,
    case_intake,
    case_view,
    cases,
    complaint_desk,
    complaints,
    notifications,
    retention,
    surveys,
)
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import csrf_token, login, make_order, make_shop_with_policy, make_user
from workers import scheduler

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=SH)
A_PII = ("陈静", "13722223333", "chen@example.com", "上海市浦东新区某路 1 号")
B_PII = ("王芳", "13900001111", "wang@example.com")


def at(y, m, d, hh=10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SH)


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def shop(app):
    with app.app_context():
        tenant = make_shop_with_policy(
            "keep-shop", effective=date(2024, 1, 1), name_zh="保留小店", users=[("owner", "owner@keep.example.com")]
        )
        with tenant_context(tenant.id):
            agent = make_user(tenant, "agent", "agent@keep.example.com")
            make_user(None, "operator", "op@example.com")
            for number, name, mobile, email in (
                ("O-1", "陈静", "13722223333", "chen@example.com"),
                ("O-2", "王芳", "13900001111", "wang@example.com"),
            ):
                make_order(
                    tenant,
                    number,
                    purchase_date=date(2024, 12, 20),
                    delivery_date=date(2024, 12, 22),
                    customer_name=name,
                    mobile=mobile,
                    email=email,
                )
            db.session.commit()
        return {"tenant": tenant.id, "agent": agent.id}


def _file(shop, when, **over):
    fields = dict(
        order_number="O-1",
        customer_name="陈静",
        mobile="13722223333",
        email="chen@example.com",
        purchase_channel="jd",
        problem_type="quality",
        description="陈静的耳机坏了,电话 13722223333,寄到上海市浦东新区某路 1 号",
        expected_resolution="refund",
        purchase_date=date(2024, 12, 20),
        delivery_date=date(2024, 12, 22),
        category="electronics",
    )
    fields.update(over)
    with travel_to(when):
        return case_intake.file_case(db.session.get(Tenant, shop["tenant"]), case_intake.Intake(**fields))


def _work_to_closed(case, agent, start: datetime, closed: datetime, note: str = "") -> None:
    with travel_to(start + timedelta(minutes=5)):
        cases.accept(case, agent)
    with travel_to(start + timedelta(minutes=30)):
        cases.message_customer(case, agent, f"{case.customer_name}您好,我们已联系顺丰 SF1234567890 取件。{note}")
        cases.add_note(case, agent, f"客户 {case.mobile} 很着急")
    with travel_to(start + timedelta(hours=1)):
        cases.propose(case, agent, "refund", amount="59.90", detail=f"给 {case.customer_name} 全额退款")
    with travel_to(start + timedelta(hours=2)):
        cases.execute(case, agent)
    with travel_to(closed):
        cases.close(case, agent)


@pytest.fixture
def history(app, shop):
    """A: closed 2025-01 on its own order (expired). B: closed 2025-01 on an order C still uses (open).
    D: closed 2026-02 (inside the 365 days)."""
    with app.app_context(), tenant_context(shop["tenant"]):
        agent = db.session.get(User, shop["agent"])
        a = _file(shop, at(2025, 1, 6))
        case_evidence.attach(a, [check_upload(io.BytesIO(_jpeg()), "broken.jpg")], "consumer")
        with travel_to(at(2025, 1, 6, 11)):
            event = case_consumer_steps.consumer_message(a, "我的地址是上海市浦东新区某路 1 号,电话 13722223333")
            case_evidence.attach(a, [check_upload(io.BytesIO(_jpeg()), "box.jpg")], "consumer", event=event)
        _work_to_closed(a, agent, at(2025, 1, 6, 12), at(2025, 1, 10))
        survey = db.session.scalar(select(Survey).where(Survey.case_id == a.id))
        survey.status, survey.expires_at = "invited", at(2025, 2, 10)
        surveys.answer(survey, 2, "陈静觉得太慢 13722223333", now=at(2025, 1, 12))
        b = _file(
            shop,
            at(2025, 1, 7),
            order_number="O-2",
            customer_name="王芳",
            mobile="13900001111",
            email="wang@example.com",
            description="王芳: 屏幕碎了",
        )
        _work_to_closed(b, agent, at(2025, 1, 7, 12), at(2025, 1, 10))
        c = _file(
            shop,
            at(2026, 2, 20),
            order_number="O-2",
            customer_name="王芳",
            mobile="13900001111",
            email="wang@example.com",
            description="又坏了",
        )
        d = _file(
            shop,
            at(2026, 1, 5),
            order_number="X-9",
            customer_name="赵六",
            mobile="13600006666",
            email="",
            description="赵六的问题",
        )
        _work_to_closed(d, agent, at(2026, 1, 5, 12), at(2026, 2, 1))
        db.session.commit()
        files = [
            case_evidence.file_path(e) for e in db.session.scalars(select(Evidence).where(Evidence.case_id == a.id))
        ]
        assert len(files) == 2 and all(f.exists() for f in files)
        return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "files": files}


def _snapshot() -> dict:
    with cross_tenant("test snapshot"):
        return {
            t.name: sorted(map(tuple, db.session.execute(t.select()).all()), key=repr)
            for t in db.metadata.sorted_tables
            if t.name != "audit_events"
        }


def _stats(tenant_id: int) -> tuple:
    with tenant_context(tenant_id):
        return (
            db.session.execute(
                select(
                    Case.problem_type,
                    Case.status,
                    Case.created_at,
                    Case.closed_at,
                    Case.resolved_at,
                    Case.resolution_amount,
                ).order_by(Case.id)
            ).all(),
            db.session.execute(
                select(SlaClock.kind, SlaClock.state, SlaClock.due_at, SlaClock.stopped_at).order_by(SlaClock.id)
            ).all(),
            db.session.execute(select(Survey.score, Survey.status).order_by(Survey.id)).all(),
            db.session.scalar(select(func.count(CaseEvent.id))),
        )


def _texts_of_case(case_id: int) -> list[str]:
    """Every column of the case row and of its events, notifications, surveys and follow-ups, as text."""
    out = []
    with cross_tenant("test"):
        for table, column in (
            (Case.__table__, "id"),
            (CaseEvent.__table__, "case_id"),
            (Notification.__table__, "case_id"),
            (Survey.__table__, "case_id"),
            (FollowUpTask.__table__, "case_id"),
        ):
            for row in db.session.execute(table.select().where(table.c[column] == case_id)).all():
                out.extend(json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v) for v in row)
    return out


def test_expired_cases_are_anonymised_and_statistics_kept(app, shop, history):
    with app.app_context():
        before = _stats(shop["tenant"])
        result = retention.sweep(now=NOW)
        assert (result.cases, result.orders, result.evidence_files) == (2, 1, 2)
        db.session.expire_all()
        assert _stats(shop["tenant"]) == before  # counts, types, dates, clocks, scores, events: all still there

        texts = " ".join(_texts_of_case(history["a"]))
        for value in A_PII:
            assert value not in texts, value
        assert "13722223333"[3:] not in texts  # not even a fragment of the mobile
        for value in B_PII:
            assert value not in " ".join(_texts_of_case(history["b"])), value
        with tenant_context(shop["tenant"]):
            a = db.session.get(Case, history["a"])
            assert (a.customer_name, a.mobile, a.email, a.description) == ("已匿名", "", "", retention.PLACEHOLDER)
            timeline = case_view.timeline(a, "zh", staff=True)
            assert len(timeline) > 5
            for entry in timeline:
                for value in A_PII:
                    assert value not in entry.text and value not in entry.note
            assert retention.PLACEHOLDER in [e.text for e in timeline if e.kind == "consumer_message"]
            assert db.session.scalars(select(Evidence).where(Evidence.case_id == a.id)).all() == []
            assert not any(f.exists() for f in history["files"])
            notes = db.session.scalars(select(Notification).where(Notification.case_id == a.id)).all()
            assert notes and all(n.recipient == "" for n in notes)
            o1, o2 = (db.session.scalar(select(Order).where(Order.order_number == n)) for n in ("O-1", "O-2"))
            assert (o1.customer_name, o1.mobile, o1.email) == ("已匿名", "", "")
            # O-2 is still used by case C, which is open: its customer data stays.
            assert (o2.customer_name, o2.mobile, o2.email) == ("王芳", "13900001111", "wang@example.com")
            c, d = db.session.get(Case, history["c"]), db.session.get(Case, history["d"])
            assert (c.customer_name, c.description) == ("王芳", "又坏了")
            assert (d.customer_name, d.mobile, d.description) == ("赵六", "13600006666", "赵六的问题")
            record = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.anonymised")).one()
            assert (record.details["cases"], record.details["orders"], record.details["evidence_files"]) == (2, 1, 2)


def test_a_second_run_changes_nothing(app, shop, history):
    with app.app_context():
        retention.sweep(now=NOW)
        db.session.expire_all()
        before = _snapshot()
        again = retention.sweep(now=NOW + timedelta(days=1))
        assert (again.cases, again.orders, again.complaints, again.evidence_files) == (0, 0, 0, 0)
        db.session.expire_all()
        assert _snapshot() == before
        with tenant_context(shop["tenant"]):
            assert (
                len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.anonymised")).all())
                == 1
            )


def test_small_batches_reach_every_case(app, shop, history):
    with app.app_context():
        result = retention.sweep(now=NOW, batch=1)
        assert result.cases == 2


def test_the_order_goes_once_its_last_case_expires(app, shop, history):
    with app.app_context(), tenant_context(shop["tenant"]):
        agent = db.session.get(User, shop["agent"])
        c = db.session.get(Case, history["c"])
        _work_to_closed(c, agent, at(2026, 2, 20, 12), at(2026, 2, 25))
        recall = Recall(case_id=history["d"], sku="S1")
        db.session.add(recall)
        db.session.flush()
        o2 = db.session.scalar(select(Order).where(Order.order_number == "O-2"))
        db.session.add(
            RecallContact(
                recall_id=recall.id,
                order_id=o2.id,
                customer_name="王芳",
                mobile="13900001111",
                email="wang@example.com",
                token="recall-token-1",
            )
        )
        db.session.commit()
    with app.app_context():
        assert retention.sweep(now=NOW).orders == 1  # O-1 only: C closed four days ago
        later = retention.sweep(now=at(2027, 3, 1))
        assert (later.cases, later.orders) == (2, 1)  # C and D; O-2 now
        with tenant_context(shop["tenant"]):
            o2 = db.session.scalar(select(Order).where(Order.order_number == "O-2"))
            assert (o2.customer_name, o2.mobile, o2.email) == ("已匿名", "", "")
            contact = db.session.scalars(select(RecallContact)).one()
            assert (contact.customer_name, contact.mobile, contact.email) == ("已匿名", "", "")


def test_retention_days_decide_when(app, shop, history):
    with app.app_context():
        db.session.get(Tenant, shop["tenant"]).retention_days = 1000
        db.session.commit()
        assert retention.sweep(now=NOW).cases == 0


def test_answered_complaints_are_anonymised_too(app, shop, history):
    with app.app_context():
        with travel_to(at(2025, 1, 8)), tenant_context(shop["tenant"]):
            complaint = complaints.submit(
                db.session.get(Tenant, shop["tenant"]),
                text="陈静投诉:13722223333 没人理",
                mobile="13722223333",
                email="chen@example.com",
                name="陈静",
            )
            db.session.commit()
            complaint_id = complaint.id
        operator = db.session.scalar(select(User).where(User.role == "operator"))
        with travel_to(at(2025, 1, 9)):
            complaint_desk.reply(complaint_desk.for_operator(complaint_id), operator, "陈静您好,商家已退款")
            db.session.commit()
        assert retention.sweep(now=NOW).complaints == 1
        with cross_tenant("test"):
            row = db.session.execute(PlatformComplaint.__table__.select()).one()
            texts = " ".join(str(v) for v in row)
            for value in ("陈静", "13722223333", "chen@example.com"):
                assert value not in texts
            for n in db.session.scalars(select(Notification).where(Notification.idempotency_key.like("complaint:%"))):
                assert n.recipient == "" and "陈静" not in json.dumps(n.params, ensure_ascii=False)
        assert retention.sweep(now=NOW).complaints == 0


def test_survey_opt_out_still_holds(app, shop, history):
    with app.app_context(), tenant_context(shop["tenant"]):
        d = db.session.get(Case, history["d"])
        survey = db.session.scalar(select(Survey).where(Survey.case_id == d.id))
        surveys.opt_out(survey)
        db.session.commit()
        assert survey.status == "opted_out"
        # The same customer's next case gets no survey, and a due invitation is not sent.
        agent = db.session.get(User, shop["agent"])
        e = _file(
            shop,
            at(2026, 2, 10),
            order_number="X-10",
            customer_name="赵六",
            mobile="13600006666",
            email="",
            description="又一次",
        )
        _work_to_closed(e, agent, at(2026, 2, 10, 12), at(2026, 2, 12))
        assert db.session.scalar(select(Survey).where(Survey.case_id == e.id)) is None
        db.session.commit()
    with app.app_context():
        retention.sweep(now=at(2027, 6, 1))  # anonymising D keeps the opt-out on record
        with tenant_context(shop["tenant"]):
            assert notifications.suppressed(shop["tenant"], "survey", "13600006666")


def test_owner_sets_retention_days(app, client, shop):
    url = "/keep-shop/console/settings/retention"
    login(client, "agent@keep.example.com")
    assert "365" in client.get(url + "?lang=en").get_data(as_text=True)
    token = csrf_token(client, url)
    assert client.post(url, data={"csrf_token": token, "retention_days": "400"}).status_code == 403
    owner = client.application.test_client()
    login(owner, "owner@keep.example.com")
    token = csrf_token(owner, url + "?lang=en")
    r = owner.post(url, data={"csrf_token": token, "retention_days": "10"})
    assert r.status_code == 400 and "between 30 and 3650 days" in r.get_data(as_text=True)
    assert owner.post(url, data={"csrf_token": token, "retention_days": "400"}).status_code == 302
    with app.app_context():
        assert db.session.get(Tenant, shop["tenant"]).retention_days == 400
        with tenant_context(shop["tenant"]):
            assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "retention.changed")).details == {
                "days": [365, 400]
            }
    assert client.get("/other-shop/console/settings/retention").status_code == 404


def test_the_scheduler_runs_retention_once_a_day(app):
    with app.app_context():
        conn = redis.client
        queue = Queue("default", connection=conn)

        def retention_jobs():
            return [j for j in queue.get_jobs() if j.func_name == "workers.jobs.sweep_retention"]

        t = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # 04:00 in China
        assert scheduler.tick(conn, t)
        assert scheduler.tick(conn, t + timedelta(minutes=1))
        assert scheduler.tick(conn, t + timedelta(hours=20))
        assert len(retention_jobs()) == 1
        assert scheduler.tick(conn, t + timedelta(hours=23, minutes=5))  # 19:05 UTC: the next day
        assert len(retention_jobs()) == 2


def test_the_job_runs_the_sweep(app, shop, history):
    from workers import jobs

    with app.app_context(), travel_to(NOW):
        assert jobs.sweep_retention() == 2
        assert jobs.sweep_retention() == 0
