"""What one notification job costs (statements, Redis round trips) and the worker's per-shop cache."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from redis import Redis
from redis.client import Pipeline
from sqlalchemy import event, select, update

from saas.caches import tokens
from saas.extensions import db, redis
from saas.models.base import travel_to, utcnow
from saas.models.notification import ContactSuppression, DevSms, MessageTemplate, Notification
from saas.services import message_templates, policies
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tenants.terms import Terms
from tests.factories import login, make_tenant, make_user, post_form
from tests.test_notifications import smtp  # noqa: F401  (the aiosmtpd fixture)
from workers import outbox, sending
from workers.providers import Permanent

SH = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
_keys = itertools.count()
PARAMS = {"case_number": "AS-1", "message": "您的售后申请已受理。", "link": "http://t/1", "customer": "王芳"}


@pytest.fixture
def shops(app):
    with app.app_context():
        a, b = make_tenant("shop-a"), make_tenant("shop-b")
        make_user(a, "owner", "owner@a.example.com")
        ids = {"a": a.id, "b": b.id}
        db.session.commit()
        yield ids


def row(tenant_id: int, channel: str = "email", **fields) -> int:
    """A due outbox row, committed, as the writer leaves it."""
    with cross_tenant("test"):
        n = Notification(
            tenant_id=tenant_id,
            idempotency_key=f"test:{next(_keys)}",
            channel=channel,
            recipient="13722223333" if channel == "sms" else "c@example.com",
            template_key="accepted",
            locale="zh_Hans",
            params=PARAMS,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow() - timedelta(minutes=1),
            **fields,
        )
        db.session.add(n)
        db.session.commit()
        return n.id


def job(notification_id: int) -> str:
    """One job as the worker runs it: from a fresh session, which is removed afterwards."""
    db.session.remove()
    try:
        return outbox.send_notification(notification_id)
    finally:
        db.session.remove()


@contextmanager
def round_trips():
    """Statements sent to the database and Redis round trips (a pipeline is one)."""
    seen = {"sql": [], "redis": []}
    engine = db.engine
    execute_command, execute_pipeline = Redis.execute_command, Pipeline.execute

    def sql(conn, cursor, statement, *args):
        seen["sql"].append(statement)

    def command(self, *args, **kwargs):
        seen["redis"].append(args[0])
        return execute_command(self, *args, **kwargs)

    def pipeline(self, *args, **kwargs):
        seen["redis"].append("+".join(str(a[0]) for a, _ in self.command_stack))
        return execute_pipeline(self, *args, **kwargs)

    event.listen(engine, "before_cursor_execute", sql)
    Redis.execute_command, Pipeline.execute = command, pipeline
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", sql)
        Redis.execute_command, Pipeline.execute = execute_command, execute_pipeline


def notification(notification_id: int) -> Notification:
    db.session.remove()
    with cross_tenant("test"):
        return db.session.get(Notification, notification_id)


# ---------- the claim ---------------------------------------------------------


@pytest.mark.real_commits
def test_a_due_row_is_claimed_by_one_update_returning_it(app, shops):
    nid = row(shops["a"])
    db.session.remove()
    with round_trips() as seen:
        n, taken_over = outbox.claim(nid)
    assert len(seen["sql"]) == 1 and seen["sql"][0].startswith("UPDATE notifications")
    assert "RETURNING" in seen["sql"][0]
    assert not taken_over and (n.id, n.status, n.attempts, n.template_key) == (nid, "sending", 1, "accepted")
    stored = notification(nid)
    assert stored.status == "sending" and stored.lease_expires_at == n.lease_expires_at
    # A second worker finds nothing to claim (neither due nor an expired lease).
    assert outbox.claim(nid) == (None, False)


def test_an_expired_lease_is_taken_over_and_said_so(app, shops):
    nid = row(shops["a"])
    with cross_tenant("test"):
        db.session.execute(
            update(Notification)
            .where(Notification.id == nid)
            .values(status="sending", attempts=1, lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    db.session.remove()
    n, taken_over = outbox.claim(nid)
    assert taken_over and n.status == "sending" and n.attempts == 2 and n.lease_expires_at > utcnow()


# ---------- one job's round trips ---------------------------------------------


@pytest.mark.real_commits
def test_an_email_to_a_shop_already_seen_costs_two_statements_and_one_redis_round_trip(app, smtp, shops):
    job(row(shops["a"]))  # the worker's first job for the shop reads it
    nid = row(shops["a"])
    with round_trips() as seen:
        assert job(nid) == "sent"
    assert [s.split()[0] for s in seen["sql"]] == ["UPDATE", "UPDATE"]  # the claim, the outcome
    # The wake-up mark, the shop's cache token, and the previous job's outcome for /metrics riding along.
    assert seen["redis"] == ["DEL+GET+HINCRBY"]
    assert notification(nid).status == "sent" and len(smtp.messages) == 2
    mail = smtp.messages[-1]
    assert mail.get_content_type() == "multipart/alternative"
    assert "您的售后申请已受理。" in mail.get_body(("plain",)).get_content()
    assert "shop-a 店" in mail.get_body(("html",)).get_content()


@pytest.mark.real_commits
def test_the_claim_and_the_outcome_commit_without_begin_and_commit(app, smtp, shops):
    job(row(shops["a"]))
    nid = row(shops["a"])
    begun = []

    def began(conn):
        begun.append(conn.get_execution_options().get("isolation_level"))

    engine = db.engine
    event.listen(engine, "begin", began)
    try:
        assert job(nid) == "sent"
    finally:
        event.remove(engine, "begin", began)
    assert begun == ["AUTOCOMMIT", "AUTOCOMMIT"]


@pytest.mark.real_commits
def test_a_job_for_another_shop_than_the_last_reads_that_shops_token(app, smtp, shops):
    job(row(shops["a"]))
    job(row(shops["b"]))
    nid = row(shops["a"])
    with round_trips() as seen:
        assert job(nid) == "sent"
    assert seen["redis"] == ["DEL+GET+HINCRBY", "GET"] and len(seen["sql"]) == 2


# ---------- the per-worker copy of a shop -------------------------------------


def _wording(smtp) -> tuple[str, str]:
    mail = smtp.messages[-1]
    return str(mail["Subject"]), mail.get_body(("plain",)).get_content()


def test_a_template_saved_in_the_console_is_used_by_the_very_next_job(app, smtp, shops):
    assert job(row(shops["a"])) == "sent"
    assert _wording(smtp)[0] == "售后申请已受理 AS-1"
    client = app.test_client()
    assert login(client, "owner@a.example.com").status_code == 302
    url = "/shop-a/console/templates/accepted/email/zh_Hans"
    data = {"subject": "【{shop}】受理通知 {case_number}", "body": "{customer}:{message}", "action": "save"}
    assert post_form(client, url, data).status_code == 302
    assert job(row(shops["a"])) == "sent"
    assert _wording(smtp)[0] == "【shop-a 店】受理通知 AS-1"
    assert _wording(smtp)[1].strip() == "王芳:您的售后申请已受理。"
    assert post_form(client, url + "/reset", {}, form_url=url).status_code == 302
    assert job(row(shops["a"])) == "sent"
    assert _wording(smtp)[0] == "售后申请已受理 AS-1"


def test_renaming_the_shop_shows_in_the_next_message(app, smtp, shops):
    job(row(shops["a"]))
    db.session.get(Tenant, shops["a"]).name_zh = "新名字"
    db.session.commit()
    job(row(shops["a"]))
    assert (
        "新名字" in str(smtp.messages[-1]["From"]) and "新名字" in smtp.messages[-1].get_body(("html",)).get_content()
    )


def test_the_copy_is_kept_while_the_token_stands_and_dropped_when_it_goes(app, smtp, shops):
    with tenant_context(shops["a"]):
        message_templates.save_override(
            db.session.get(Tenant, shops["a"]), "accepted", "email", "zh_Hans", "Old {case_number}", "{message}"
        )
        db.session.commit()
    job(row(shops["a"]))
    assert _wording(smtp)[0] == "Old AS-1"
    with cross_tenant("test"):  # behind the ORM's back, as a process without the hook would
        db.session.execute(update(MessageTemplate).values(subject="New {case_number}"))
        db.session.commit()
    job(row(shops["a"]))
    assert _wording(smtp)[0] == "Old AS-1"  # the copy is what this worker sends from …
    redis.client.delete(tokens.key(shops["a"]))  # … until the shop's token goes (another process's commit)
    job(row(shops["a"]))
    assert _wording(smtp)[0] == "New AS-1"


def test_saving_a_template_deletes_the_shops_cache_token(app, shops):
    token = tokens.current(redis.client, shops["a"])
    with tenant_context(shops["a"]):
        message_templates.save_override(db.session.get(Tenant, shops["a"]), "accepted", "sms", "en", "", "{message}")
        db.session.commit()
    assert not tokens.still(redis.client, shops["a"], token)
    token = tokens.current(redis.client, shops["a"])
    with tenant_context(shops["a"]):
        assert message_templates.delete_override(db.session.get(Tenant, shops["a"]), "accepted", "sms", "en")
        db.session.commit()
    assert not tokens.still(redis.client, shops["a"], token)


def test_two_shops_in_turn_each_get_their_own_wording(app, smtp, shops):
    for key in ("a", "b"):
        with tenant_context(shops[key]):
            message_templates.save_override(
                db.session.get(Tenant, shops[key]),
                "accepted",
                "email",
                "zh_Hans",
                f"{key.upper()} {{case_number}}",
                "{message}",
            )
            db.session.commit()
    sent = []
    for key in ("a", "b", "b", "a", "b", "a", "a"):
        job(row(shops[key]))
        sent.append(_wording(smtp)[0])
    assert sent == ["A AS-1", "B AS-1", "B AS-1", "A AS-1", "B AS-1", "A AS-1", "A AS-1"]


def test_without_redis_every_job_reads_the_shop_and_still_sends(app, smtp, shops, monkeypatch):
    job(row(shops["a"]))
    with tenant_context(shops["a"]):
        message_templates.save_override(
            db.session.get(Tenant, shops["a"]), "accepted", "email", "zh_Hans", "Offline {case_number}", "{message}"
        )
        db.session.commit()
    monkeypatch.setitem(app.extensions, "redis", Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    for _ in range(2):
        nid = row(shops["a"])
        with round_trips() as seen:
            assert job(nid) == "sent"
        assert any("FROM tenants" in s for s in seen["sql"]) and any("FROM message_templates" in s for s in seen["sql"])
        assert _wording(smtp)[0] == "Offline AS-1"


def test_a_policy_published_today_moves_the_quiet_hours_of_the_next_sms(app, shops, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "dev")
    evening = datetime(2026, 11, 23, 19, 30, tzinfo=SH)
    with travel_to(evening):
        with tenant_context(shops["a"]):
            tenant = db.session.get(Tenant, shops["a"])
            policies.ensure_draft(tenant, None)
            policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)  # quiet from 21:00
            db.session.commit()
        assert job(row(shops["a"], "sms")) == "sent"
        with tenant_context(shops["a"]):
            tenant = db.session.get(Tenant, shops["a"])
            policies.save_draft(tenant, None, {**Terms().to_dict(), "sms_quiet_start": "19:00"})
            policies.publish(tenant, None, date(2026, 11, 23))
            db.session.commit()
        held = row(shops["a"], "sms")
        assert job(held) == "held"
    assert notification(held).next_attempt_at == datetime(2026, 11, 24, 8, 0, tzinfo=SH)
    assert len(db.session.scalars(select(DevSms)).all()) == 1  # the first one only


# ---------- outcomes ----------------------------------------------------------


def test_a_suppression_and_the_dead_outcome_are_committed_together(app, shops, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_BACKEND", "dev")

    class Refusing:
        can_lookup = False

        def send(self, msg):
            raise Permanent("invalid number", code="invalid_number")

    def crash(*args, **kwargs):
        raise RuntimeError("worker died while writing the outcome")

    with travel_to(DAYTIME):
        nid = row(shops["a"], "sms")
    finish = outbox._finish
    monkeypatch.setattr(sending, "sms_gateway", lambda: Refusing())
    monkeypatch.setattr(outbox, "_finish", crash)
    with travel_to(DAYTIME), pytest.raises(RuntimeError):
        job(nid)
    with cross_tenant("test"):
        assert db.session.scalar(select(ContactSuppression.id)) is None  # rolled back with the outcome
    assert notification(nid).status == "sending"  # the lease will expire and the row be taken over
    monkeypatch.setattr(outbox, "_finish", finish)
    with travel_to(DAYTIME + timedelta(minutes=5)):  # past the lease
        assert job(nid) == "dead"
    with cross_tenant("test"):
        assert db.session.scalar(select(ContactSuppression.address)) == "13722223333"
    assert notification(nid).error_code == "invalid_number"
