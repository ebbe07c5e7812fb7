"""Fault tests: real Redis, the test database, real `flask worker` processes and the fake SMS provider.

Run them alone with `pytest -m faults tests/faults` (TEST_REDIS_URL and, for PostgreSQL,
TEST_DATABASE_URL as for the rest of the suite); `-m "not faults"` leaves them out. Every
test bounds its own time and kills the processes it started.

The worker processes are configured only through their environment (APP_ENV=development,
so config.py reads DATABASE_URL, REDIS_URL, SMS_BACKEND=aliyun, ALIYUN_SMS_*, SMS_TIMEOUT).
Two settings config.py does not read are picked up from the environment by workers/outbox.py:
OUTBOX_LEASE_SECONDS (10 s here instead of 2 minutes, so a dead worker's rows come back
within a test) and ALIYUN_SMS_TEMPLATE_CODE.
"""

from __future__ import annotations

import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select

from saas.extensions import db
from saas.models.notification import Notification
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import make_tenant, make_user
from tests.fakeprovider import FakeSmsProvider

ROOT = Path(__file__).resolve().parents[2]
SIGN_NAME = "故障测试"
TEMPLATE_CODE = "SMS_900001"
LEASE_SECONDS = 10  # far above the longest legitimate job here (SMS_TIMEOUT 1 s), even on a busy machine


def pytest_configure(config):
    config.addinivalue_line("markers", "faults: fault-injection tests with real worker processes (slow)")


# ---------- waiting ------------------------------------------------------------


def poll(predicate, timeout: float, interval: float = 0.2, every=None):
    """Poll `predicate` until it returns something truthy (returned) or `timeout` passes (None).

    `every` runs between polls (a sweeper)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        if every is not None:
            every()
        time.sleep(interval)


def wait_until(predicate, timeout: float, interval: float = 0.2, every=None, what: str = "condition"):
    """poll() that fails the test on timeout."""
    value = poll(predicate, timeout, interval, every)
    if not value:
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
    return value


class Every:
    """Call `fn` at most once per `seconds` (the sweeper's cadence in a busy loop)."""

    def __init__(self, seconds: float, fn):
        self.seconds, self.fn, self.last = seconds, fn, 0.0

    def __call__(self) -> None:
        if time.monotonic() - self.last >= self.seconds:
            self.fn()
            self.last = time.monotonic()


# ---------- database helpers ---------------------------------------------------


def fresh() -> None:
    """End the test process's transaction so the next read sees what the workers committed."""
    db.session.rollback()


def status_counts() -> dict[str, int]:
    fresh()
    with cross_tenant("fault test"):
        rows = db.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
    fresh()
    return dict(rows)


def all_rows() -> list[Notification]:
    fresh()
    with cross_tenant("fault test"):
        return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def insert_notifications(tenant_id: int, case_id: int, count: int, start: int = 0) -> list[int]:
    """`count` pending SMS rows (numbered from `start`), one distinct recipient each, as notify_customer writes them."""
    values = [
        dict(
            tenant_id=tenant_id,
            idempotency_key=f"fault:{case_id}:{i}",
            case_id=case_id,
            audience="customer",
            channel="sms",
            recipient=str(13700000000 + i),
            template_key="message",
            locale="zh_Hans",
            params={
                "case_number": f"FT{i:05d}",
                "message": f"故障测试第 {i} 条",
                "link": "http://localhost/t",
                "customer": "测试",
            },
            status="pending",
            attempts=0,
            provider_message_id="",
            error_code="",
            last_error="",
        )
        for i in range(start, start + count)
    ]
    keys = [v["idempotency_key"] for v in values]
    with cross_tenant("fault test"):
        db.session.execute(insert(Notification), values)
        db.session.commit()
        ids = list(
            db.session.scalars(
                select(Notification.id).where(Notification.idempotency_key.in_(keys)).order_by(Notification.id)
            )
        )
    fresh()
    return ids


def enqueue(ids) -> None:
    from saas.queues import get_queue

    queue = get_queue("notifications")
    with queue.connection.pipeline() as pipe:
        for nid in ids:
            queue.enqueue("workers.jobs.send_notification", nid, pipeline=pipe)
        pipe.execute()


def sweep() -> int:
    from workers import outbox

    fresh()
    count = outbox.sweep()
    fresh()
    return count


# ---------- a tenant with a case -----------------------------------------------


def afternoon_zone(now: datetime | None = None) -> str:
    """A fixed-offset zone where it is 13:xx now: far from SMS quiet hours while a test runs."""
    offset = 13 - (now or datetime.now(UTC)).hour  # 13 … -10, all valid Etc/GMT zones
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture
def shop(app):
    """A tenant with an owner and an agent, the default policy published, and one case (no rows in the outbox)."""
    from saas.services import case_intake, policies

    with app.app_context():
        # The worker tests run on the wall clock: the tenant lives where it is early afternoon,
        # so quiet hours never hold their SMS back whenever the suite runs.
        tenant = make_tenant("fault-shop", name_zh="故障小店", name_en="Fault shop", timezone=afternoon_zone())
        with tenant_context(tenant.id):
            owner = make_user(tenant, "owner", "owner@fault.example.com")
            agent = make_user(tenant, "agent", "agent@fault.example.com")
            policies.ensure_draft(tenant, None)
            policies.publish(tenant, None, date(2026, 1, 1), allow_past=True)
            db.session.commit()
            case = case_intake.file_case(
                tenant,
                case_intake.Intake(
                    order_number="F-1",
                    customer_name="故障",
                    mobile="13811112222",
                    email="",
                    purchase_channel="jd",
                    problem_type="quality",
                    description="外壳破裂",
                    expected_resolution="exchange",
                    purchase_date=date(2026, 1, 10),
                    delivery_date=date(2026, 1, 12),
                    category="electronics",
                ),
            )
            db.session.commit()
            case_id = case.id
        with cross_tenant("fault test"):
            # The filing's own notifications are not part of these tests.
            db.session.execute(delete(Notification))
            db.session.commit()
        from saas.extensions import redis

        redis.client.flushdb()
        yield {"tenant": tenant, "tenant_id": tenant.id, "case_id": case_id, "owner": owner, "agent": agent}


# ---------- the fake provider and a kill switch in front of it ------------------


@pytest.fixture
def fake_sms():
    with FakeSmsProvider() as fake:
        yield fake


class KillSwitchProxy:
    """A TCP proxy in front of the fake provider for one worker (the victim).

    When armed, the first answer the provider sends the victim is not passed on:
    the victim is SIGKILLed instead. For a SendSms that is the worst moment to die:
    the provider has accepted the message and the row still says `sending`.
    """

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.victim_pid: int | None = None
        self.armed = threading.Event()
        self.fired = threading.Event()
        self.fired_on: list[str] = []
        self.connections = 0  # requests the victims made, all incarnations together
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._handle(self.request)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def arm(self) -> None:
        self.fired.clear()
        self.armed.set()

    def _handle(self, client: socket.socket) -> None:
        with self._lock:
            self.connections += 1
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        request = bytearray()

        def pump():
            try:
                while data := client.recv(65536):
                    request.extend(data)
                    upstream.sendall(data)
            except OSError:
                pass

        threading.Thread(target=pump, daemon=True).start()
        try:
            while data := upstream.recv(65536):
                with self._lock:
                    if self.armed.is_set() and self.victim_pid:
                        self.armed.clear()
                        os.kill(self.victim_pid, signal.SIGKILL)
                        self.fired_on.append("SendSms" if b"Action=SendSms" in request else "other")
                        self.fired.set()
                        return
                client.sendall(data)
        except OSError:
            pass
        finally:
            for s in (client, upstream):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------- worker processes -----------------------------------------------------


class Workers:
    """`flask --app wsgi worker --no-scheduler` processes sharing the test's database and Redis."""

    def __init__(self, app, fake: FakeSmsProvider, logdir: Path):
        self.app, self.fake, self.logdir = app, fake, logdir
        self.procs: dict[str, subprocess.Popen] = {}
        self.started = 0

    def env(self, endpoint: str | None = None, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "FLASK_", "PYTEST_"))}
        env.update(
            {
                "APP_ENV": "development",
                "DATABASE_URL": self.app.config["SQLALCHEMY_DATABASE_URI"],
                "REDIS_URL": self.app.config["REDIS_URL"],
                "SMS_BACKEND": "aliyun",
                "ALIYUN_SMS_ACCESS_KEY_ID": self.fake.access_key_id,
                "ALIYUN_SMS_ACCESS_KEY_SECRET": self.fake.access_key_secret,
                "ALIYUN_SMS_SIGN_NAME": SIGN_NAME,
                "ALIYUN_SMS_TEMPLATE_CODE": TEMPLATE_CODE,
                "ALIYUN_SMS_ENDPOINT": endpoint or self.fake.aliyun_endpoint,
                "SMS_TIMEOUT": "1",
                "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
                "PYTHONUNBUFFERED": "1",
                **extra,
            }
        )
        return env

    def start(self, name: str, endpoint: str | None = None, *args: str, **extra: str) -> subprocess.Popen:
        self.started += 1
        log = open(self.logdir / f"worker-{name}-{self.started}.log", "wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "worker",
                "--no-scheduler",
                "--queues",
                "notifications",
                "--name",
                f"fault-{name}-{self.started}-{os.getpid()}",
                *args,
            ],
            cwd=ROOT,
            env=self.env(endpoint, **extra),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def freeze(self, name: str) -> None:
        """SIGSTOP: the worker takes no job until thawed (RQ gives a job to whichever worker asks first)."""
        os.kill(self.procs[name].pid, signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        os.kill(self.procs[name].pid, signal.SIGCONT)

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)  # its own session: the worker and nothing else
                except ProcessLookupError:
                    pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass

    def logs(self) -> str:
        out = []
        for path in sorted(self.logdir.glob("worker-*.log")):
            text = path.read_text(errors="replace")
            if text.strip():
                out.append(f"--- {path.name}\n{text[-3000:]}")
        return "\n".join(out)


@pytest.fixture
def workers(app, fake_sms, tmp_path):
    pool = Workers(app, fake_sms, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


def accepted_per_out_id(fake: FakeSmsProvider) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sms in fake.accepted:
        counts[sms.out_id] = counts.get(sms.out_id, 0) + 1
    return counts
