"""The outbox under faults, with real `flask worker` processes and the fake Aliyun provider.

(a) a worker SIGKILLed again and again, (b) Redis flushed mid-run, (c) provider 500, 500, OK,
(d) an invalid number. Each: every notification reaches the provider exactly once (per OutId,
the row's provider key) or is marked dead, and the rows say so.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from saas.extensions import db, redis
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.notification import ContactSuppression, Notification
from tenants.scoping import cross_tenant
from tests.faults.conftest import (
    Every,
    KillSwitchProxy,
    accepted_per_out_id,
    all_rows,
    enqueue,
    fresh,
    insert_notifications,
    poll,
    status_counts,
    sweep,
    wait_until,
)
from workers import sending

pytestmark = pytest.mark.faults

N = 1000


def assert_exactly_once(fake, rows) -> None:
    per_out_id = accepted_per_out_id(fake)
    doubles = {k: v for k, v in per_out_id.items() if v > 1}
    assert not doubles, f"sent more than once: {sorted(doubles.items())[:20]}"
    keys = {sending.provider_key(n) for n in rows}
    missing = keys - set(per_out_id)
    assert not missing, f"{len(missing)} never reached the provider, e.g. {sorted(missing)[:10]}"
    assert set(per_out_id) <= keys, "the provider has messages no row asked for"
    not_sent = [(n.id, n.status, n.error_code) for n in rows if n.status != "sent"]
    assert not not_sent, f"{len(not_sent)} rows not sent: {not_sent[:10]}"


def test_a_worker_killed_again_and_again_loses_nothing_and_doubles_nothing(app, shop, fake_sms, workers):
    """Two workers; one is SIGKILLed 8 times and restarted, half of the kills just after the provider
    accepted its SMS. Notifications keep arriving meanwhile: 8 batches of 125, one per incarnation."""
    rng = random.Random(20261123)
    proxy = KillSwitchProxy(int(fake_sms.url.rsplit(":", 1)[1]))
    batch = N // 8
    sweeper = Every(2.5, sweep)  # the minute clock's sweep, every few seconds here
    try:
        enqueue(insert_notifications(shop["tenant_id"], shop["case_id"], batch))
        began = time.monotonic()
        workers.start("steady")
        proxy.victim_pid = workers.start("victim", proxy.endpoint).pid
        kills = {"in_flight": 0, "random": 0}
        kill_log: list[int] = []  # rows sent when each kill happened
        for k in range(8):
            # Let this incarnation get going: a few of its requests through the proxy first.
            target = proxy.connections + rng.randint(1, 12)
            busy = poll(lambda target=target: proxy.connections >= target, 15, 0.02, every=sweeper)
            # Every other kill lands in flight, and any kill while fewer than two have (the steady worker may
            # have taken the jobs that incarnation was meant to be caught on).
            if (k % 2 == 0 or kills["in_flight"] < 2) and busy:
                # Kill it the moment the provider answers it: accepted there, `sending` here. The steady
                # worker is frozen meanwhile, so the victim's next request is the one caught.
                workers.freeze("steady")
                try:
                    proxy.arm()
                    fired = proxy.fired.wait(5)
                    proxy.armed.clear()
                finally:
                    workers.thaw("steady")
                kills["in_flight" if fired else "random"] += 1
            else:
                time.sleep(rng.uniform(0, 0.05))  # wherever it is: claiming, rendering, sending, marking
                kills["random"] += 1
            workers.kill("victim")
            kill_log.append(status_counts().get("sent", 0))
            if k < 7:
                enqueue(insert_notifications(shop["tenant_id"], shop["case_id"], batch, start=(k + 1) * batch))
            proxy.victim_pid = workers.start("victim", proxy.endpoint).pid
        # Bounded: normally done within 30-70 s of the start on 2 cores, more on a machine shared with others.
        wait_until(
            lambda: status_counts().get("sent", 0) == N,
            max(20.0, 110 - (time.monotonic() - began)),
            0.2,
            every=sweeper,
            what=f"all {N} sent",
        )
        rows = all_rows()
        assert len(rows) == N
        assert_exactly_once(fake_sms, rows)
        # The in-flight kills hit messages the provider had and the rows did not: those were
        # found with QuerySendDetails (lookup) after the lease expired, not sent again.
        reconciled = [n for n in rows if n.provider_message_id.startswith("aliyun-outid-")]
        in_flight_sends = proxy.fired_on.count("SendSms")
        assert len(reconciled) >= in_flight_sends >= 1, (kills, proxy.fired_on, len(reconciled))
        lookups = [r for r in fake_sms.requests if r.action == "QuerySendDetails"]
        print(
            f"\n{time.monotonic() - began:.1f}s; killed when {kill_log} were sent; {kills}; "
            f"proxy fired on {proxy.fired_on}; reconciled={len(reconciled)} lookups={len(lookups)} "
            f"taken over={sum(1 for n in rows if n.attempts > 1)} requests={len(fake_sms.requests)}"
        )
    finally:
        proxy.close()


def test_redis_flushed_mid_run_loses_nothing_once_the_sweeper_runs(app, shop, fake_sms, workers):
    ids = insert_notifications(shop["tenant_id"], shop["case_id"], N)
    enqueue(ids)
    workers.start("one")
    workers.start("two")
    wait_until(lambda: status_counts().get("sent", 0) >= 250, 90, 0.05, what="a quarter sent")
    redis.client.flushdb()  # every queued wake-up, the workers' registrations, the wake-up marks: gone
    flushed_at = time.monotonic()
    # Without a sweeper nothing more goes out: the jobs were the only wake-ups (the rows are the record).
    time.sleep(3)
    stalled = status_counts()
    assert stalled.get("sent", 0) < N and stalled.get("pending", 0) > 0, stalled
    assert workers.alive("one") and workers.alive("two"), workers.logs()
    wait_until(
        lambda: status_counts().get("sent", 0) == N, 75, 0.2, every=Every(2.0, sweep), what="all sent after the flush"
    )
    assert_exactly_once(fake_sms, all_rows())
    assert workers.alive("one") and workers.alive("two"), workers.logs()
    print(
        f"\nsent before the flush stalled: {stalled.get('sent', 0)}; recovered in "
        f"{time.monotonic() - flushed_at - 3:.1f}s; requests={len(fake_sms.requests)}"
    )


def _row(nid: int) -> Notification:
    fresh()
    with cross_tenant("fault test"):
        return db.session.get(Notification, nid, populate_existing=True)


def _time_passes(nid: int) -> None:
    """The backoff's wait, without waiting: the row falls due now (the workers read the same column)."""
    with cross_tenant("fault test"):
        db.session.execute(
            update(Notification).where(Notification.id == nid).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def test_provider_500_twice_then_ok_is_delivered_on_attempt_3(app, shop, fake_sms, workers):
    (nid,) = insert_notifications(shop["tenant_id"], shop["case_id"], 1)
    fake_sms.script("error500", "error500")
    workers.start("one")
    enqueue([nid])
    backoffs = []
    for attempt in (1, 2):
        row = wait_until(
            lambda attempt=attempt: (r := _row(nid)).status == "retry" and r.attempts == attempt and r,
            60,
            what=f"attempt {attempt} to fail",
        )
        assert row.error_code == "isp.SYSTEM_ERROR" and "System error" in row.last_error, row.last_error
        backoffs.append(row.next_attempt_at - row.updated_at)
        # Not due yet: the sweeper leaves it alone.
        sweep()
        time.sleep(0.5)
        assert _row(nid).attempts == attempt
        _time_passes(nid)
        # From here only the sweeper wakes it (as the minute clock would).
        wait_until(
            lambda attempt=attempt: _row(nid).attempts > attempt, 60, 0.3, every=sweep, what=f"attempt {attempt + 1}"
        )
    row = wait_until(lambda: (r := _row(nid)).status == "sent" and r, 60, every=sweep, what="the third attempt")
    assert row.attempts == 3 and row.error_code == "" and row.provider_message_id.startswith("biz-")
    # Backoff after attempt 1 is about a minute, after attempt 2 about five (±20 %).
    assert timedelta(seconds=47) <= backoffs[0] <= timedelta(seconds=73), backoffs
    assert timedelta(minutes=3.9) <= backoffs[1] <= timedelta(minutes=6.1), backoffs
    sends = [r for r in fake_sms.requests if r.action == "SendSms"]
    assert [r.behaviour for r in sends] == ["error500", "error500", "ok"]
    assert all(r.out_id == sending.provider_key(row) for r in sends)
    assert accepted_per_out_id(fake_sms) == {sending.provider_key(row): 1}
    assert not [r for r in fake_sms.requests if r.action == "QuerySendDetails"]  # a 500 is not ambiguous


def test_invalid_number_one_request_dead_with_its_code_and_the_contact_suppressed(app, shop, fake_sms, workers):
    from saas.services import cases
    from saas.services.notifications import suppressed
    from tenants.scoping import tenant_context
    from tests.factories import login

    fake_sms.script("invalid_number")
    workers.start("one")
    with tenant_context(shop["tenant_id"]):
        case = db.session.get(Case, shop["case_id"])
        cases.accept(case, shop["agent"])  # a customer-visible event: one SMS row, enqueued after commit
        db.session.commit()
        mobile = case.mobile
    (row,) = all_rows()
    assert row.channel == "sms" and row.recipient == mobile
    row = wait_until(lambda: (r := _row(row.id)).status == "dead" and r, 60, what="the row to die")
    # The sweeper and more time change nothing: a permanent failure is not retried.
    for _ in range(4):
        sweep()
        time.sleep(0.5)
    row = _row(row.id)
    assert row.status == "dead" and row.attempts == 1
    assert row.error_code == "isv.MOBILE_NUMBER_ILLEGAL" and "非法手机号" in row.last_error
    assert [(r.action, r.behaviour) for r in fake_sms.requests] == [("SendSms", "invalid_number")]
    assert fake_sms.accepted == []
    with tenant_context(shop["tenant_id"]):
        assert suppressed(shop["tenant_id"], "sms", mobile)
        reason = db.session.scalar(select(ContactSuppression.reason).where(ContactSuppression.address == mobile))
        assert reason == "isv.MOBILE_NUMBER_ILLEGAL"
        # The next customer-visible event texts nobody.
        cases.verify(db.session.get(Case, shop["case_id"]), shop["agent"], "merchant", "确认质量问题")
        db.session.commit()
    assert [n.id for n in all_rows()] == [row.id]
    # The merchant sees the failure and why, in words (the provider's code stays in the row).
    client = app.test_client()
    login(client, "owner@fault.example.com")
    page = client.get("/fault-shop/console/notifications").get_data(as_text=True)
    assert "这不是有效的手机号码" in page and "status-dead" in page and "isv.MOBILE_NUMBER_ILLEGAL" not in page
