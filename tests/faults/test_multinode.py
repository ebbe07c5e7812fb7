"""Several machines, proven: two web hosts and two worker hosts against one PostgreSQL and one Redis.

Each host is a Linux network namespace with its own address on a bridge inside this machine
(tests/faults/hosts.py); PostgreSQL, Redis and the fake SMS provider listen on 127.0.0.1, so the
hosts reach them through forwarders on the bridge's host address. Without namespaces (not root)
the hosts are separate processes on separate loopback ports, and the output says so.

web-a and web-b run gunicorn (two processes each, so four per-process caches); worker-a and
worker-b run `flask --app wsgi worker` with the minute clock. The test is the load balancer
and the visitors: plain HTTP to either web host, one cookie jar per visitor, forms parsed
from the pages. It proves:
(a) a policy the owner publishes through web A is what web B serves within a second;
(b) cases filed on both webs get their SMS exactly once, although worker-b's host is
    SIGKILLed the moment the provider accepted one of its messages;
(c) the minute clock's sweeps are enqueued once per minute across both workers;
(d) the tracking page's cache never shows one consumer another's page, on any web process.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import time
import warnings
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from saas.extensions import db
from saas.models.notification import Notification
from tenants.models import Tenant
from tenants.scoping import cross_tenant
from tests.faults.conftest import (
    LEASE_SECONDS,
    SIGN_NAME,
    TEMPLATE_CODE,
    KillSwitchProxy,
    accepted_per_out_id,
    afternoon_zone,
    fresh,
    poll,
    wait_until,
)
from tests.faults.hosts import Client, Hosts, forms, free_port, python, wait_for_http, wait_for_port

pytestmark = pytest.mark.faults

SLUG = "voltmart"
OWNER, PASSWORD = "owner@voltmart.demo", "demo-password-2026"
CASES_PER_WEB = 8
SWEEPS = (
    "workers.jobs.sweep_outbox",
    "workers.jobs.sweep_sla",
    "workers.jobs.sweep_surveys",
    "workers.jobs.sweep_evidence",
)


def _service_url(hosts: Hosts, url: str) -> str:
    parsed = make_url(url)
    if parsed.host in (None, "") or parsed.drivername.startswith("sqlite"):
        return url  # a file: the hosts share this machine's disk
    host, port = hosts.service(parsed.host, parsed.port or (5432 if "postgres" in parsed.drivername else 6379))
    return parsed.set(host=host, port=port).render_as_string(hide_password=False)


class Cluster:
    def __init__(self, app, fake_sms, tmp_path):
        self.hosts = Hosts(["web-a", "web-b", "worker-a", "worker-b"], tmp_path)
        self.killswitch = None
        self.webs: dict[str, tuple] = {}
        self.workers = {}
        try:
            self._configure(app, fake_sms, tmp_path)
        except BaseException:
            self.close()
            raise

    def _configure(self, app, fake_sms, tmp_path) -> None:
        self.killswitch = KillSwitchProxy(int(fake_sms.url.rsplit(":", 1)[1]))
        redis_url = app.config["REDIS_URL"]
        sms_host, sms_port = self.hosts.service("127.0.0.1", int(fake_sms.url.rsplit(":", 1)[1]))
        kill_host, kill_port = self.hosts.service("127.0.0.1", int(self.killswitch.endpoint.rsplit(":", 1)[1][:-1]))
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_", "PYTEST_"))}
        self.env.update(
            {
                "APP_ENV": "development",
                "SECRET_KEY": secrets.token_hex(32),  # one site: a session made on web A is good on web B
                "DATABASE_URL": _service_url(self.hosts, app.config["SQLALCHEMY_DATABASE_URI"]),
                "REDIS_URL": _service_url(self.hosts, redis_url),
                "TRUSTED_PROXY_COUNT": "1",  # behind the balancer (this test), which sets X-Forwarded-For
                "PUBLIC_BASE_URL": "http://shop.test",
                "UPLOAD_DIR": str(tmp_path / "uploads"),
                "SMS_BACKEND": "aliyun",
                "ALIYUN_SMS_ACCESS_KEY_ID": fake_sms.access_key_id,
                "ALIYUN_SMS_ACCESS_KEY_SECRET": fake_sms.access_key_secret,
                "ALIYUN_SMS_SIGN_NAME": SIGN_NAME,
                "ALIYUN_SMS_TEMPLATE_CODE": TEMPLATE_CODE,
                "ALIYUN_SMS_ENDPOINT": f"http://{sms_host}:{sms_port}/",
                "SMS_TIMEOUT": "2",
                "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
                "MAIL_SERVER": "192.0.2.1",  # nothing here sends e-mail (no consumer gives one)
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.kill_endpoint = f"http://{kill_host}:{kill_port}/"

    def start(self) -> None:
        for name in ("web-a", "web-b"):
            host = self.hosts.hosts[name]
            port = 8000 if self.hosts.isolated else free_port()
            proc = self.hosts.start(
                name,
                "gunicorn",
                [
                    python(),
                    "-m",
                    "gunicorn",
                    "--workers",
                    "2",
                    "--bind",
                    f"{host.address}:{port}",
                    "--graceful-timeout",
                    "1",
                    "--access-logfile",
                    "-",
                    "wsgi:app",
                ],
                self.env,
            )
            self.webs[name] = (host.address, port, proc)
        for name in ("worker-a", "worker-b"):
            env = dict(self.env)
            if name == "worker-b":  # its SMS go through the kill switch
                env["ALIYUN_SMS_ENDPOINT"] = self.kill_endpoint
            self.workers[name] = self.hosts.start(
                name,
                "worker",
                [python(), "-m", "flask", "--app", "wsgi", "worker", "--name", f"mn-{name}-{os.getpid()}"],
                env,
            )
        self.killswitch.victim_pid = self.workers["worker-b"].pid
        for address, port, proc in self.webs.values():
            wait_for_port(address, port, 60, proc)
        for name, (address, port, proc) in self.webs.items():
            took = wait_for_http(address, port, "/healthz", 180, proc)
            print(f"{name} answered /healthz {took:.1f}s after its port opened")

    def freeze(self, name: str) -> None:
        os.killpg(self.workers[name].pid, signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        os.killpg(self.workers[name].pid, signal.SIGCONT)

    def web(self, name: str) -> tuple[str, int]:
        return self.webs[name][:2]

    def close(self) -> None:
        try:
            self.hosts.close()
        finally:
            if self.killswitch is not None:
                self.killswitch.close()


@pytest.fixture
def cluster(app, fake_sms, tmp_path):
    from saas.demo.seed import seed

    with app.app_context():
        seed(with_cases=False)
        # The workers run on the wall clock: the shop lives where it is early afternoon now, so SMS
        # quiet hours never hold its messages back whenever the suite runs.
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == SLUG))
        tenant.timezone = afternoon_zone()
        db.session.commit()
    c = Cluster(app, fake_sms, tmp_path)
    try:
        print("\n" + c.hosts.describe())
        if not c.hosts.isolated:
            warnings.warn(f"multi-node test without network namespaces: {c.hosts.describe()}", stacklevel=2)
        c.start()
        yield c
    except BaseException:
        print(c.hosts.logs())
        raise
    finally:
        c.close()


class SweepLog:
    """Every sweep job the minute clocks enqueue, read from Redis as the test goes (RQ keeps a
    finished job's hash for a minute; the test reads every second)."""

    def __init__(self, redis):
        self.redis = redis
        self.seen: dict[str, tuple[str, datetime]] = {}

    def read(self) -> None:
        for key in self.redis.scan_iter(match="rq:job:*", count=500):
            ident = key.decode().split(":", 2)[2]
            if ident in self.seen or ":" in ident:
                continue
            func, enqueued = self.redis.hmget(key, "description", "enqueued_at")
            if not func or not enqueued:
                continue
            name = func.decode().split("(")[0]
            if name in SWEEPS:
                at = datetime.fromisoformat(enqueued.decode().replace("Z", "+00:00"))
                self.seen[ident] = (name, at if at.tzinfo else at.replace(tzinfo=UTC))

    def per_minute(self) -> dict[str, Counter]:
        minutes: dict[str, Counter] = {}
        for name, at in self.seen.values():
            minutes.setdefault(f"{at:%H:%M}", Counter())[name] += 1
        return minutes


def _sign_in(client: Client, web) -> None:
    home = client.get(web, "/")
    login = re.search(r'href="(/[^"]*login[^"]*)"', home.text)
    assert login, "no sign-in link on the home page"
    page = client.get(web, login.group(1).replace("&amp;", "&"))
    form = next(f for f in forms(page.text) if "password" in f.names)
    done = client.submit(web, page, form, {"email": OWNER, "password": PASSWORD})
    assert done.status == 200 and "login" not in done.url, (done.url, done.text[:500])


def _publish_promise(client: Client, web, promise: str) -> float:
    overview = client.get(web, f"/{SLUG}/console/policy/")
    assert overview.status == 200, overview.status
    assert f"/{SLUG}/console/policy/draft" in overview.text  # the link the owner follows
    edit = client.get(web, f"/{SLUG}/console/policy/draft")
    saved = client.submit(web, edit, edit.form(has="service_promise_zh"), {"service_promise_zh": promise})
    assert saved.status == 200 and f"/{SLUG}/console/policy/" == saved.url, (saved.status, saved.url)
    publish = saved.form("/publish")
    published = client.submit(web, saved, publish, {"change_note": "多节点测试"})
    at = time.monotonic()
    assert published.status == 200 and "status-error" not in published.text, published.text[:2000]
    return at


def _file_case(client: Client, web, mark: str, mobile: str) -> str:
    """The consumer's form on `web`: check first, then submit; returns the case page's path."""
    home = client.get(web, f"/{SLUG}/")
    entry = re.search(r'href="([^"]+)"[^>]*id="file-request"', home.text)
    assert entry, "no 'file a request' button on the shop's home page"
    page = client.get(web, entry.group(1))
    form = page.form(button=("action", "check"))
    values = {
        "order_number": f"MN-{mark}",
        "customer_name": f"顾客{mark}",
        "mobile": mobile,
        "description": f"屏幕不亮，编号{mark}",
        "purchase_date": (date.today() - timedelta(days=5)).isoformat(),
        "category": "electronics",
    }
    values = {k: v for k, v in values.items() if k in form.names}
    checked = client.submit(web, page, form, values, ("action", "check"))
    assert checked.status == 200, checked.status
    form = checked.form(button=("action", "submit"))
    filed = client.submit(web, checked, form, {}, ("action", "submit"))
    assert filed.status == 200 and "/track/" in filed.url, (filed.status, filed.url, filed.text[:1500])
    return filed.url


def _each_consumer_sees_only_their_own(web_a, web_b) -> None:
    """(d) Two consumers file on different webs and follow their pages on both; each gets only their own."""
    consumers = []
    for i, (home, other) in enumerate(((web_a, web_b), (web_b, web_a))):
        client = Client(f"198.51.100.{20 + i}")
        path = _file_case(client, home, f"T{i}", f"1390000{i}{i}{i}{i}")
        # The consumer writes to the shop from the other web (the balancer chose it): their own words.
        words = f"私密留言{i}-{secrets.token_hex(4)}"
        page = client.get(other, path)
        sent = client.submit(other, page, page.form("/message", has="text"), {"text": words})
        assert sent.status == 200 and words in sent.text, sent.status
        consumers.append((client, path, words))
    for _ in range(3):  # each web has two processes: a few rounds reach (and fill) the caches of all four
        for client, path, mine in consumers:
            for web in (web_a, web_b):
                page = client.get(web, path)
                assert page.status == 200 and mine in page.text, (path, page.status)
                for _c, other_path, theirs in consumers:
                    if theirs != mine:
                        assert theirs not in page.text and other_path.rsplit("/", 1)[1] not in page.text
    for k, (_client, path, mine) in enumerate(consumers):
        number = path.rsplit("/", 1)[1]
        for stranger in (consumers[1 - k][0], Client("198.51.100.99")):
            for web in (web_a, web_b):
                for _ in range(2):
                    page = stranger.get(web, path)
                    assert mine not in page.text and f"<span>{number}</span>" not in page.text, (
                        path,
                        page.status,
                        page.url,
                    )
    print("(d) each consumer saw only their own case page on both webs; others and strangers got none")


def test_two_webs_two_workers_one_database_one_redis(app, ctx, cluster, fake_sms):
    from saas.extensions import redis

    began = time.monotonic()
    web_a, web_b = cluster.web("web-a"), cluster.web("web-b")
    sweeps = SweepLog(redis.client)
    clock_started = datetime.now(UTC)

    # (a) The public policy page on web B is cached in both its processes; the owner publishes on web A.
    visitor = Client("198.51.100.7")
    for _ in range(6):
        assert visitor.get(web_b, f"/{SLUG}/policy").status == 200
    promise = f"多节点承诺{secrets.token_hex(3)}"
    owner = Client("198.51.100.2")
    _sign_in(owner, web_a)
    published_at = _publish_promise(owner, web_a, promise)
    shown = [promise in visitor.get(web_b, f"/{SLUG}/policy").text for _ in range(6)]
    served_within = time.monotonic() - published_at
    assert all(shown) and served_within < 1.0, (shown, served_within)
    print(f"(a) published on web-a, served by web-b in every process {served_within:.2f}s later")
    sweeps.read()

    # (d) Two consumers file on different webs and follow their pages on both; each gets only their own.
    cluster.killswitch.arm()  # (b) worker-b's host dies when the provider accepts its first message
    _each_consumer_sees_only_their_own(web_a, web_b)
    sweeps.read()

    # (b) More filings on both webs while worker-b dies. RQ hands a job to whichever worker asks
    # first, so worker-a is frozen (SIGSTOP) until worker-b has taken one and died: otherwise a quick
    # worker-a can take every job and worker-b none (it did, in CI).
    # (worker-b may already have died on one of (d)'s two messages.)
    frozen = not cluster.killswitch.fired.is_set()
    if frozen:
        assert cluster.workers["worker-b"].poll() is None, "worker-b is not running:\n" + cluster.hosts.logs()
        cluster.freeze("worker-a")
    try:
        for i in range(CASES_PER_WEB):
            for j, web in enumerate((web_a, web_b)):
                _file_case(Client(f"198.51.100.{40 + 2 * i + j}"), web, f"B{i}{j}", f"139100{i:03d}{j:02d}")
        sweeps.read()
        fired = cluster.killswitch.fired.wait(60)
    finally:
        if frozen:
            cluster.thaw("worker-a")
    assert fired, (
        f"worker-b never sent an SMS; provider got {[(r.action, r.out_id) for r in fake_sms.requests]}; "
        f"worker-b exit code {cluster.workers['worker-b'].poll()}:\n" + cluster.hosts.logs()
    )
    cluster.hosts.kill("worker-b")
    assert cluster.workers["worker-b"].poll() is not None
    filed = 2 + 2 * CASES_PER_WEB

    def rows() -> list[Notification]:
        fresh()
        with cross_tenant("multinode"):
            found = list(db.session.scalars(select(Notification).where(Notification.channel == "sms")))
        fresh()
        return found

    def settled(n: Notification, now: datetime) -> bool:
        # Sent; or merged into a later SMS of its case (coalescing); or, after its case's first SMS went
        # out, held for the coalescing window (due minutes after the test ends, never sent early).
        return n.status in ("sent", "superseded") or (
            n.status == "pending" and n.attempts == 0 and n.next_attempt_at.replace(tzinfo=UTC) > now
        )

    def all_sent() -> bool:
        sweeps.read()
        found, now = rows(), datetime.now(UTC)
        return len({n.case_id for n in found if n.status == "sent"}) >= filed and all(settled(n, now) for n in found)

    # worker-b's message comes back when its lease ends and worker-a's next minute sweep finds it.
    if not poll(all_sent, 100, 1.0):
        raise AssertionError(
            "not every SMS was sent: "
            + repr(
                [(n.id, n.status, n.attempts, n.error_code, n.last_error[:80]) for n in rows() if n.status != "sent"]
            )
            + f"; sweeps {sweeps.per_minute()}; provider got {[(r.action, r.out_id) for r in fake_sms.requests]}\n"
            + cluster.hosts.logs()
        )
    found = rows()
    sent = [n for n in found if n.status == "sent"]
    per_out_id = accepted_per_out_id(fake_sms)
    from workers import sending

    assert {k: v for k, v in per_out_id.items() if v > 1} == {}, "an SMS went out twice"
    assert set(per_out_id) == {sending.provider_key(n) for n in sent}, "sent rows and the provider disagree"
    assert len({n.case_id for n in sent}) == filed
    reconciled = [n for n in sent if n.provider_message_id.startswith("aliyun-outid-")]
    assert reconciled, "the message worker-b died on was not found at the provider"
    print(
        f"(b) {len(sent)} SMS from both webs, each accepted once; worker-b SIGKILLed after the provider "
        f"accepted {cluster.killswitch.fired_on}; {len(reconciled)} found at the provider, not sent again"
    )

    # (c) Sweeps: once per minute across both clocks. Both ticked from their start (the first minute's
    # sweeps were enqueued while both were alive), worker-a's alone after worker-b's host died.
    def two_minutes() -> bool:
        sweeps.read()
        return len(sweeps.per_minute()) >= 2

    wait_until(two_minutes, max(5.0, 170 - (time.monotonic() - began)), 1.0, what="two minutes of sweeps")
    now_minute = f"{datetime.now(UTC):%H:%M}"
    minutes = sweeps.per_minute()
    assert f"{clock_started:%H:%M}" in minutes or min(minutes) > f"{clock_started:%H:%M}", minutes
    for minute, counts in minutes.items():
        assert all(n == 1 for n in counts.values()), f"a sweep enqueued twice in {minute}: {counts}"
        if minute != now_minute:
            assert set(counts) == set(SWEEPS), (minute, counts)
    print(f"(c) sweeps per minute across both clocks: { {m: sum(c.values()) for m, c in sorted(minutes.items())} }")
    print(f"multi-node test took {time.monotonic() - began:.0f}s")
