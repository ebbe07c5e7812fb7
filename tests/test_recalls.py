"""Recalls (召回): started from a confirmed food-safety emergency, worked through in batches of RQ jobs,
one outbox row per order and channel, counted on the recall page, answered by customers once."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from saas.extensions import db
from saas.models.base import travel_to
from saas.models.case import Case
from saas.models.notification import DevSms, Notification
from saas.models.order import Order, OrderLine
from saas.models.recall import Recall, RecallContact
from saas.models.user import User
from saas.queues import get_queue
from saas.services import case_intake, cases
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import csrf_token, login, make_shop_with_policy, make_tenant, make_user, post_form
from workers import jobs, outbox, sending
from workers.providers import Permanent, SendResult
from workers.worker import build_worker

SH = ZoneInfo("Asia/Shanghai")
SLUG = "recall-shop"
MORNING = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
REASON_ZH = "经检测该批次酸奶菌落总数超标。"
REASON_EN = "Tests found too many bacteria in this yogurt."


# ---------- fixtures and helpers ------------------------------------------


@pytest.fixture
def shop(app):
    with app.app_context():
        tenant = make_shop_with_policy(
            SLUG,
            name_zh="召回小店",
            name_en="Recall Shop",
            users=[
                ("owner", "owner@recall.example.com"),
                ("admin", "admin@recall.example.com"),
                ("agent", "agent@recall.example.com"),
            ],
        )
        other = make_tenant("other-shop")
        with tenant_context(tenant.id):
            owner = db.session.scalar(select(User).where(User.email == "owner@recall.example.com"))
        with tenant_context(other.id):
            make_user(other, "owner", "owner@other.example.com")
        db.session.commit()
        ids = {"tenant_id": tenant.id, "other_id": other.id, "owner_id": owner.id}
    return ids


class FakeEmail:
    """Accepts every email except to bounce-… addresses, which bounce hard (dead, like SMTP 550)."""

    def __init__(self):
        self.sent = []

    def send(self, msg):
        if msg.to.startswith("bounce"):
            raise Permanent("550 mailbox unavailable", code="550")
        self.sent.append(msg)
        return SendResult(f"fake-{msg.idempotency_key}")


@pytest.fixture
def mailer(app, monkeypatch):
    fake = FakeEmail()
    monkeypatch.setattr(sending, "email_sender", lambda: fake)
    monkeypatch.setitem(app.config, "SMS_BACKEND", "dev")
    return fake


def bulk_orders(
    tenant_id: int, count: int, *, sku: str = "YG-1", prefix: str = "R", first_day=date(2026, 10, 1), contact=None
) -> list[int]:
    """Insert `count` orders with one line of `sku` in two statements (fast enough for thousands)."""
    contact = contact or (lambda i: (f"139{i:08d}", f"c{i}@example.com"))
    rows = []
    for i in range(count):
        mobile, email = contact(i)
        rows.append(
            dict(
                tenant_id=tenant_id,
                order_number=f"{prefix}-{i:05d}",
                channel="tmall",
                purchase_date=first_day + timedelta(days=i % 30),
                customer_name=f"顾客{i}",
                mobile=mobile,
                email=email,
            )
        )
    with tenant_context(tenant_id):
        db.session.execute(insert(Order), rows)
        ids = dict(
            db.session.execute(select(Order.order_number, Order.id).where(Order.order_number.like(f"{prefix}-%"))).all()
        )
        db.session.execute(
            insert(OrderLine),
            [
                dict(
                    tenant_id=tenant_id,
                    order_id=ids[r["order_number"]],
                    sku=sku,
                    name="原味酸奶 200g",
                    category="dairy",
                    quantity=1,
                    unit_price=Decimal("6.50"),
                )
                for r in rows
            ],
        )
        db.session.commit()
    return [ids[r["order_number"]] for r in rows]


def emergency_case(
    tenant_id: int,
    owner_id: int,
    *,
    responsibility: str | None = "merchant",
    problem_type: str = "food_safety",
    category: str = "dairy",
    description: str = "酸奶喝了以后腹泻",
) -> int:
    with tenant_context(tenant_id):
        tenant, owner = db.session.get(Tenant, tenant_id), db.session.get(User, owner_id)
        case = case_intake.file_case(
            tenant,
            case_intake.Intake(
                order_number="R-00001",
                customer_name="顾客1",
                mobile="13900000001",
                email="",
                purchase_channel="tmall",
                problem_type=problem_type,
                description=description,
                expected_resolution="refund",
                purchase_date=date(2026, 10, 2),
                delivery_date=date(2026, 10, 3),
                category=category,
            ),
        )
        if responsibility:
            cases.accept(case, owner)
            cases.verify(case, owner, responsibility, "第三方检测报告：菌落总数超标")
        db.session.commit()
        return case.id


def insert_recall(tenant_id: int, case_id: int, sku: str = "YG-1") -> int:
    """A recall row of a tenant, written directly (for route tests, e.g. the tenancy matrix)."""
    with tenant_context(tenant_id):
        recall = Recall(
            tenant_id=tenant_id,
            case_id=case_id,
            sku=sku,
            product_name="原味酸奶",
            reason_zh=REASON_ZH,
            status="running",
            customers_expected=0,
        )
        db.session.add(recall)
        db.session.commit()
        return recall.id


def run_worker(app):
    with app.app_context():
        build_worker().work(burst=True)


def recall_rows(recall_id: int) -> list[Notification]:
    with cross_tenant("test"):
        return db.session.scalars(
            select(Notification)
            .where(Notification.idempotency_key.like(f"recall:{recall_id}:%"))
            .order_by(Notification.id)
        ).all()


def the_recall(recall_id: int) -> Recall:
    with cross_tenant("test"):
        return db.session.get(Recall, recall_id, populate_existing=True)


def contacts(recall_id: int) -> list[RecallContact]:
    with cross_tenant("test"):
        return db.session.scalars(
            select(RecallContact).where(RecallContact.recall_id == recall_id).order_by(RecallContact.order_id)
        ).all()


def count_of(html: str, name: str) -> int:
    m = re.search(rf'id="count-{name}">(\d+)<', html)
    assert m, f"no count-{name} on the page"
    return int(m.group(1))


def start_form(**over) -> dict:
    data = {
        "sku": "YG-1",
        "batch": "",
        "purchased_from": "",
        "purchased_to": "",
        "reason_zh": REASON_ZH,
        "reason_en": REASON_EN,
    }
    data.update(over)
    return data


def start_recall(client, case_id: int, **over):
    url = f"/{SLUG}/console/cases/{case_id}/recall?lang=en"
    return post_form(client, url, start_form(**over))


def recall_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


# ---------- the big one ---------------------------------------------------


def test_a_recall_of_600_orders_runs_in_batches_one_message_per_order_and_channel(app, shop, mailer, monkeypatch):
    # 250 a batch here (500 in production) keeps three batches and a short test.
    monkeypatch.setitem(app.config, "RECALL_BATCH_SIZE", 250)
    tid = shop["tenant_id"]

    def contact(i):
        if i in (7, 8):
            return "", ""  # nobody to tell
        if i % 100 == 0:
            return f"139{i:08d}", ""  # SMS only
        if i % 250 == 1:
            return f"139{i:08d}", f"bounce{i}@example.com"  # the email bounces
        return f"139{i:08d}", f"c{i}@example.com"

    with app.app_context():
        affected = bulk_orders(tid, 600, contact=contact)
        bulk_orders(tid, 40, sku="YG-2", prefix="U")  # another SKU: not affected
        # An order with two lines of the SKU is still one customer.
        with tenant_context(tid):
            db.session.add(
                OrderLine(
                    tenant_id=tid,
                    order_id=affected[3],
                    sku="YG-1",
                    name="原味酸奶 200g",
                    quantity=2,
                    unit_price=Decimal("6.50"),
                )
            )
            db.session.commit()
        case_id = emergency_case(tid, shop["owner_id"])

    client = app.test_client()
    login(client, "owner@recall.example.com")
    with travel_to(MORNING):
        page = client.get(f"/{SLUG}/console/cases/{case_id}?lang=en").get_data(as_text=True)
        assert f"/{SLUG}/console/cases/{case_id}/recall" in page and "Start a recall" in page
        rid = recall_id_of(start_recall(client, case_id, batch="B20261001"))

    with app.app_context():
        # The request only wrote the recall and enqueued its first batch: nothing was sent or even found.
        assert recall_rows(rid) == [] and contacts(rid) == []
        recall = the_recall(rid)
        assert (recall.status, recall.customers_expected, recall.customers_found) == ("running", 600, 0)
        assert get_queue("default").count == 1
        with cross_tenant("test"):
            case = db.session.get(Case, case_id)
            assert case.events[-1].kind == "recall_started" and case.events[-1].data["recall_id"] == rid

    with travel_to(MORNING + timedelta(minutes=1)), app.app_context():
        # The batch chain, through a real worker: each job does one batch and enqueues the next.
        build_worker(("default",)).work(burst=True)
        rows = recall_rows(rid)
        # Every outbox row woke a send job; sending them directly skips RQ's own per-job cost.
        queue = get_queue("notifications")
        woken = {job.args[0] for job in queue.get_jobs() if job.func_name == "workers.jobs.send_notification"}
        assert {n.id for n in rows} <= woken
        queue.empty()
        for nid in [n.id for n in rows]:
            outbox.send_notification(nid)
            db.session.remove()  # as the worker does after each job

    with app.app_context():
        recall = the_recall(rid)
        assert (recall.status, recall.customers_found, recall.batches_done, recall.unreachable) == ("done", 600, 3, 2)
        assert recall.cursor_order_id == max(affected) and recall.finished_at is not None
        rows = recall_rows(rid)
        keys = [n.idempotency_key for n in rows]
        expected_sms = {f"recall:{rid}:{oid}:sms" for i, oid in enumerate(affected) if i not in (7, 8)}
        expected_email = {
            f"recall:{rid}:{oid}:email" for i, oid in enumerate(affected) if i not in (7, 8) and i % 100 != 0
        }
        assert len(keys) == len(set(keys)) == 598 + 592
        assert set(keys) == expected_sms | expected_email
        assert all(n.case_id is None and n.template_key == "recall" for n in rows)
        by_status = {}
        for n in rows:
            by_status[(n.channel, n.status)] = by_status.get((n.channel, n.status), 0) + 1
        bounced = sum(1 for i in range(600) if i % 250 == 1)
        assert by_status == {("sms", "sent"): 598, ("email", "sent"): 592 - bounced, ("email", "dead"): bounced}
        # What the customers got: their own answer link, the reason, the batch.
        contact_0 = contacts(rid)[0]
        sms = db.session.scalar(select(DevSms).where(DevSms.to == contact_0.mobile))
        assert f"/{SLUG}/recall/{contact_0.token}" in sms.text and REASON_ZH in sms.text and "B20261001" in sms.text
        assert "召回小店" in sms.text
        mail = next(m for m in mailer.sent if m.to == "c2@example.com")
        assert mail.subject == "重要：商品召回通知" and "原味酸奶" in mail.text
        assert len({c.token for c in contacts(rid)}) == 600

    with travel_to(MORNING + timedelta(minutes=5)):
        html = client.get(f"/{SLUG}/console/recalls/{rid}?lang=en").get_data(as_text=True)
    assert count_of(html, "found") == 600
    assert count_of(html, "sent") == 598 + 592 - bounced
    assert count_of(html, "failed") == bounced
    assert count_of(html, "reached") == 598
    assert count_of(html, "unreachable") == 2
    assert count_of(html, "answered") == 0
    assert "done" in html and "B20261001" in html

    # Re-running batches creates nothing: the job's own cursor check, then (progress "lost") the keys.
    with app.app_context():
        before = (len(recall_rows(rid)), len(contacts(rid)))
        assert jobs.run_recall_batch(rid, 0) == "finished"
        with cross_tenant("test"):
            recall = db.session.get(Recall, rid)
            recall.status, recall.cursor_order_id, recall.finished_at = "running", 0, None
            db.session.commit()
        for _ in range(5):
            jobs.run_recall_batch(rid, the_recall(rid).cursor_order_id)
        assert (len(recall_rows(rid)), len(contacts(rid))) == before
        assert the_recall(rid).status == "done"
        assert get_queue("notifications").count == 0  # nothing new to send


# ---------- who, from which case ------------------------------------------


def test_only_owners_and_admins_start_a_recall(app, shop):
    with app.app_context():
        bulk_orders(shop["tenant_id"], 3)
        case_id = emergency_case(shop["tenant_id"], shop["owner_id"])
        rid = insert_recall(shop["tenant_id"], case_id)
    agent = app.test_client()
    login(agent, "agent@recall.example.com")
    assert agent.get(f"/{SLUG}/console/cases/{case_id}/recall").status_code == 403
    token = csrf_token(agent, f"/{SLUG}/console/recalls")
    r = agent.post(f"/{SLUG}/console/cases/{case_id}/recall", data={**start_form(), "csrf_token": token})
    assert r.status_code == 403
    assert agent.post(f"/{SLUG}/console/recalls/{rid}/resume", data={"csrf_token": token}).status_code == 403
    # Agents may follow a recall, but not see the button that starts one.
    assert agent.get(f"/{SLUG}/console/recalls/{rid}").status_code == 200
    assert "Start a recall" not in agent.get(f"/{SLUG}/console/cases/{case_id}?lang=en").get_data(as_text=True)
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(func.count(Recall.id))) == 1

    admin = app.test_client()
    login(admin, "admin@recall.example.com")
    new = recall_id_of(start_recall(admin, case_id, batch="B9"))
    assert admin.get(f"/{SLUG}/console/recalls/{new}").status_code == 200


@pytest.mark.parametrize("kind", ["not_emergency", "unconfirmed", "customer_fault"])
def test_a_recall_starts_only_from_a_confirmed_emergency(app, shop, kind):
    with app.app_context():
        bulk_orders(shop["tenant_id"], 3)
        if kind == "not_emergency":
            case_id = emergency_case(
                shop["tenant_id"],
                shop["owner_id"],
                problem_type="quality",
                category="general",
                description="包装盒压坏了",
            )
        else:
            case_id = emergency_case(
                shop["tenant_id"], shop["owner_id"], responsibility=None if kind == "unconfirmed" else "customer"
            )
        with cross_tenant("test"):
            assert db.session.get(Case, case_id).emergency is (kind != "not_emergency")
    client = app.test_client()
    login(client, "owner@recall.example.com")
    page = client.get(f"/{SLUG}/console/cases/{case_id}/recall?lang=en")
    assert page.status_code == 200 and 'id="recall-refused"' in page.get_data(as_text=True)
    assert 'name="sku"' not in page.get_data(as_text=True)
    token = csrf_token(client, f"/{SLUG}/console/recalls")
    r = client.post(f"/{SLUG}/console/cases/{case_id}/recall?lang=en", data={**start_form(), "csrf_token": token})
    assert r.status_code == 409
    message = "food-safety emergency case" if kind == "not_emergency" else "responsibility on this case first"
    assert message in r.get_data(as_text=True)
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(func.count(Recall.id))) == 0
        assert (
            db.session.scalar(select(func.count(Notification.id)).where(Notification.idempotency_key.like("recall:%")))
            == 0
        )


def test_bad_input_is_refused_with_a_message_and_nothing_kept(app, shop):
    with app.app_context():
        bulk_orders(shop["tenant_id"], 3)
        case_id = emergency_case(shop["tenant_id"], shop["owner_id"])
    client = app.test_client()
    login(client, "owner@recall.example.com")
    cases_ = [
        (dict(sku="NOPE"), "No order with this SKU"),
        (dict(purchased_from="2026-10-10", purchased_to="2026-10-01"), "cannot be before its start"),
        (dict(reason_zh="", reason_en=""), "explain the reason"),
        (dict(sku=""), "enter the SKU"),
        (dict(purchased_from="2026-13-01"), "Not a valid date"),
    ]
    for over, message in cases_:
        r = start_recall(client, case_id, **over)
        assert r.status_code == 400, over
        assert message in r.get_data(as_text=True), over
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(func.count(Recall.id))) == 0
    first = recall_id_of(start_recall(client, case_id, batch="B1"))
    again = start_recall(client, case_id, batch="B1")  # a double click
    assert again.status_code == 409 and f"recall {first}" in again.get_data(as_text=True)
    recall_id_of(start_recall(client, case_id, batch="B2"))  # another batch is another recall


# ---------- which orders --------------------------------------------------


def test_the_purchase_date_range_selects_the_orders_both_ends_included(app, shop):
    tid = shop["tenant_id"]
    with app.app_context():
        affected = bulk_orders(tid, 30)  # 2026-10-01 … 2026-10-30, one a day
        case_id = emergency_case(tid, shop["owner_id"])
    client = app.test_client()
    login(client, "owner@recall.example.com")
    with travel_to(MORNING):
        rid = recall_id_of(start_recall(client, case_id, purchased_from="2026-10-05", purchased_to="2026-10-09"))
    with app.app_context():
        assert the_recall(rid).customers_expected == 5
        assert "5 orders" in jobs.run_recall_batch(rid, 0)
        assert [c.order_id for c in contacts(rid)] == affected[4:9]
        assert the_recall(rid).status == "done"
        with cross_tenant("test"):
            days = db.session.scalars(
                select(Order.purchase_date)
                .join(RecallContact, RecallContact.order_id == Order.id)
                .where(RecallContact.recall_id == rid)
                .order_by(Order.purchase_date)
            ).all()
        assert days[0] == date(2026, 10, 5) and days[-1] == date(2026, 10, 9)
        assert len(recall_rows(rid)) == 10

    # Open-ended on one side.
    with travel_to(MORNING):
        rid2 = recall_id_of(start_recall(client, case_id, purchased_from="2026-10-28"))
    with app.app_context():
        assert the_recall(rid2).customers_expected == 3


def test_sms_waits_for_the_end_of_quiet_hours_email_does_not(app, shop, mailer):
    tid = shop["tenant_id"]
    with app.app_context():
        bulk_orders(tid, 2)
        case_id = emergency_case(tid, shop["owner_id"])
    client = app.test_client()
    login(client, "owner@recall.example.com")
    late = datetime(2026, 11, 23, 22, 30, tzinfo=SH)
    with travel_to(late):
        rid = recall_id_of(start_recall(client, case_id))
        run_worker(app)
    with app.app_context():
        rows = recall_rows(rid)
        assert {(n.channel, n.status) for n in rows} == {("sms", "pending"), ("email", "sent")}
        assert all(n.next_attempt_at == datetime(2026, 11, 24, 8, 0, tzinfo=SH) for n in rows if n.channel == "sms")
    with travel_to(late + timedelta(minutes=1)):
        html = client.get(f"/{SLUG}/console/recalls/{rid}?lang=en").get_data(as_text=True)
    assert count_of(html, "waiting") == 2 and count_of(html, "sent") == 2 and count_of(html, "reached") == 2


def test_a_rerun_of_an_old_batch_neither_duplicates_nor_forks_the_chain(app, shop, monkeypatch):
    tid = shop["tenant_id"]
    monkeypatch.setitem(app.config, "RECALL_BATCH_SIZE", 4)
    with app.app_context():
        bulk_orders(tid, 10)
        case_id = emergency_case(tid, shop["owner_id"])
    client = app.test_client()
    login(client, "owner@recall.example.com")
    with travel_to(MORNING):
        rid = recall_id_of(start_recall(client, case_id))
    with app.app_context():
        queue = get_queue("default")
        queue.empty()
        jobs.run_recall_batch(rid, 0)
        first_cursor = the_recall(rid).cursor_order_id
        assert queue.count == 1 and len(contacts(rid)) == 4
        assert "0 messages" in jobs.run_recall_batch(rid, 0)  # the same batch again
        assert queue.count == 1 and the_recall(rid).batches_done == 1 and len(recall_rows(rid)) == 8
        jobs.run_recall_batch(rid, first_cursor)
        jobs.run_recall_batch(rid, the_recall(rid).cursor_order_id)
        recall = the_recall(rid)
        assert (recall.status, recall.batches_done, recall.customers_found) == ("done", 3, 10)
        assert len(recall_rows(rid)) == 20


def test_a_stalled_recall_can_be_resumed(app, shop, mailer):
    tid = shop["tenant_id"]
    with app.app_context():
        bulk_orders(tid, 5)
        case_id = emergency_case(tid, shop["owner_id"])
    client = app.test_client()
    login(client, "owner@recall.example.com")
    with travel_to(MORNING):
        rid = recall_id_of(start_recall(client, case_id))
        with app.app_context():
            get_queue("default").empty()  # the job was lost
            assert the_recall(rid).customers_found == 0
        detail = f"/{SLUG}/console/recalls/{rid}"
        assert post_form(client, f"{detail}/resume", {}, form_url=detail).status_code == 302
        run_worker(app)
    with app.app_context():
        assert the_recall(rid).status == "done" and len(recall_rows(rid)) == 10


# ---------- tenancy ---------------------------------------------------------


def test_another_tenants_recall_and_case_are_404(app, shop):
    with app.app_context():
        bulk_orders(shop["tenant_id"], 2)
        case_id = emergency_case(shop["tenant_id"], shop["owner_id"])
        rid = insert_recall(shop["tenant_id"], case_id)
    client = app.test_client()
    login(client, "owner@other.example.com")
    token = csrf_token(client, "/other-shop/console/recalls")
    for slug in ("other-shop", SLUG):
        assert client.get(f"/{slug}/console/recalls/{rid}").status_code == 404
        assert client.post(f"/{slug}/console/recalls/{rid}/resume", data={"csrf_token": token}).status_code == 404
        assert client.get(f"/{slug}/console/cases/{case_id}/recall").status_code == 404
        r = client.post(f"/{slug}/console/cases/{case_id}/recall", data={**start_form(), "csrf_token": token})
        assert r.status_code == 404
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalar(select(func.count(Recall.id))) == 1
        assert the_recall(rid).status == "running"
    # The list shows only the tenant's own recalls.
    with app.app_context():
        other_case = emergency_case(shop["other_id"], _owner_id(shop["other_id"]))
        insert_recall(shop["other_id"], other_case, sku="OTHER-SKU")
    own = app.test_client()
    login(own, "owner@recall.example.com")
    listing = own.get(f"/{SLUG}/console/recalls").get_data(as_text=True)
    assert f"/{SLUG}/console/recalls/{rid}" in listing and "OTHER-SKU" not in listing


def _owner_id(tenant_id: int) -> int:
    from saas.models.user import User

    with tenant_context(tenant_id):
        return db.session.scalar(select(User.id).where(User.tenant_id == tenant_id, User.role == "owner"))


# ---------- the customer's answer -------------------------------------------


def test_the_customer_answers_once_on_the_public_page(app, shop):
    tid = shop["tenant_id"]
    with app.app_context():
        bulk_orders(tid, 3)
        case_id = emergency_case(tid, shop["owner_id"])
    owner = app.test_client()
    login(owner, "owner@recall.example.com")
    with travel_to(MORNING):
        rid = recall_id_of(start_recall(owner, case_id))
    with app.app_context():
        jobs.run_recall_batch(rid, 0)
        first, second = contacts(rid)[:2]
    url = f"/{SLUG}/recall/{first.token}?lang=en"

    customer = app.test_client()
    page = customer.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and REASON_EN in html and "R-00000" in html and "I want a refund" in html
    with app.app_context():
        assert contacts(rid)[0].answered_at is None  # looking is not answering
    assert post_form(customer, url, {"answer": "maybe"}).status_code == 400
    with app.app_context():
        assert contacts(rid)[0].answered_at is None
    with travel_to(MORNING + timedelta(hours=1)):
        done = post_form(customer, url, {"answer": "refund"})
    assert done.status_code == 200 and "We have recorded your answer" in done.get_data(as_text=True)
    with travel_to(MORNING + timedelta(hours=2)):
        token = csrf_token(customer, f"/{SLUG}/recall/{second.token}")
        again = customer.post(url, data={"answer": "stopped", "csrf_token": token})
    assert again.status_code == 200 and "already recorded" in again.get_data(as_text=True)
    assert "I want a refund" in again.get_data(as_text=True)
    with app.app_context():
        answered = contacts(rid)[0]
        assert answered.answer == "refund"
        assert answered.answered_at == MORNING + timedelta(hours=1)
    assert post_form(customer, f"/{SLUG}/recall/{second.token}?lang=en", {"answer": "stopped"}).status_code == 200

    html = owner.get(f"/{SLUG}/console/recalls/{rid}?lang=en").get_data(as_text=True)
    assert count_of(html, "answered") == 2
    assert "I want a refund: 1" in html and "I have stopped using it: 1" in html and "R-00000" in html

    # The token is the capability, and only under its own shop's address.
    assert customer.get(f"/other-shop/recall/{first.token}").status_code == 404
    assert customer.get(f"/{SLUG}/recall/not-a-real-token").status_code == 404
    assert customer.get(f"/{SLUG}/recall/{'x' * 200}").status_code == 404
