"""/metrics: who may read it, and that its figures follow the outbox, the queues, the sweeps and the requests;
log lines carry the request id or the job id, as JSON when LOG_FORMAT=json."""

from __future__ import annotations

import json
import logging
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from saas import logs
from saas.extensions import db, redis
from saas.models.base import travel_to
from tests.test_notifications import at, file, run_worker, shop, smtp  # noqa: F401  (fixtures)
from workers import jobs
from workers.worker import build_worker

FAR = {"REMOTE_ADDR": "203.0.113.7"}
TOKEN = "s3cret-scrape-token-for-tests"


def scrape(app, **environ) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} from a loopback scrape with no token configured."""
    r = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1", **environ})
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "text/plain"
    out = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# ---------------------------------------------------------------- who may read /metrics


def test_refused_from_afar_without_a_token_and_with_a_wrong_one(app, monkeypatch):
    client = app.test_client()
    unknown = client.get("/no/such/page/here", environ_base=FAR)
    r = client.get("/metrics", environ_base=FAR)
    assert r.status_code == unknown.status_code == 404 and b"aftersales_" not in r.data
    # Nothing tells it apart from any unknown page (whose language links name its own path).
    assert r.data == unknown.data.replace(b"/no/such/page/here", b"/metrics")

    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}x"},
    ):
        r = client.get("/metrics", headers=headers, environ_base=FAR)
        assert r.status_code == 404 and b"aftersales_" not in r.data, headers
    # With a token set, this host gets no pass either.
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404

    r = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, environ_base=FAR)
    assert r.status_code == 200 and b"aftersales_outbox_rows" in r.data
    assert r.headers["Cache-Control"] == "no-store"


def test_without_a_token_only_this_host_and_not_through_a_local_proxy(app):
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # A reverse proxy on this host passes outside requests on from 127.0.0.1 with a forwarding header.
    r = client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.4"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert r.status_code == 404 and b"aftersales_" not in r.data


# ---------------------------------------------------------------- figures that move


def test_filing_a_case_and_running_the_outbox_moves_the_figures(app, smtp, shop):
    before = scrape(app)
    assert value(before, "aftersales_outbox_rows", status="pending") == 0
    assert value(before, "aftersales_outbox_oldest_due_age_seconds") == 0

    file(shop, at(2026, 11, 23, 10, 0))
    filed = scrape(app)
    assert value(filed, "aftersales_outbox_rows", status="pending") == 2  # one SMS, one e-mail
    assert value(filed, "aftersales_outbox_due_rows") == 2
    assert value(filed, "aftersales_outbox_oldest_due_age_seconds") > 24 * 3600  # filed days ago, still waiting
    assert value(filed, "aftersales_queue_jobs", queue="notifications") == 2

    with travel_to(at(2026, 11, 23, 10, 5)):  # daytime in Shanghai: the SMS is not held for quiet hours
        run_worker(app)
    sent = scrape(app)
    assert value(sent, "aftersales_outbox_rows", status="pending") == 0
    assert value(sent, "aftersales_outbox_due_rows") == 0
    assert value(sent, "aftersales_outbox_oldest_due_age_seconds") == 0
    assert value(sent, "aftersales_queue_jobs", queue="notifications") == 0
    assert value(sent, "aftersales_notifications_total", channel="sms", outcome="sent") == 1
    assert value(sent, "aftersales_notifications_total", channel="email", outcome="sent") == 1
    assert value(sent, "aftersales_notifications_total", channel="email", outcome="dead") == 0
    assert value(sent, "aftersales_metrics_source_up", source="database") == 1
    assert value(sent, "aftersales_metrics_source_up", source="redis") == 1


def test_a_failed_send_is_counted_as_dead_by_channel(app, smtp, shop, monkeypatch):
    from workers.providers import Permanent

    file(shop, at(2026, 11, 23, 10, 0))

    class Refusing:
        can_lookup = False

        def send(self, msg):
            raise Permanent("invalid number", code="isv.MOBILE_NUMBER_ILLEGAL")

    monkeypatch.setattr("workers.sending.sms_gateway", lambda: Refusing())
    with travel_to(at(2026, 11, 23, 10, 5)):
        run_worker(app)
    figures = scrape(app)
    assert value(figures, "aftersales_notifications_total", channel="sms", outcome="dead") == 1
    assert value(figures, "aftersales_notifications_total", channel="sms", outcome="sent") == 0
    assert value(figures, "aftersales_notifications_total", channel="email", outcome="sent") == 1


def test_an_idle_workers_minute_clock_sends_the_outcomes_its_last_jobs_counted(app, smtp, shop):
    from workers import outbox
    from workers.scheduler import MinuteClock

    file(shop, at(2026, 11, 23, 10, 0))
    with app.app_context(), travel_to(at(2026, 11, 23, 10, 5)):
        ids = [nid for (nid,) in db.session.execute(db.text("SELECT id FROM notifications ORDER BY id"))]
        db.session.remove()
        assert [outbox.send_notification(nid) for nid in ids] == ["sent", "sent"]
        db.session.remove()
    # Counted, waiting for the worker's next Redis round trip: no job comes, the clock's tick takes them.
    assert value(scrape(app), "aftersales_notifications_total", channel="email", outcome="sent") == 0
    with app.app_context():
        clock = MinuteClock(redis.client, interval=0.05)
    clock.start()
    time.sleep(0.3)
    clock.stop()
    clock.join(5)
    figures = scrape(app)
    assert value(figures, "aftersales_notifications_total", channel="email", outcome="sent") == 1
    assert value(figures, "aftersales_notifications_total", channel="sms", outcome="sent") == 1


def test_queue_depth_follows_enqueued_jobs(app):
    with app.app_context():
        for _ in range(3):
            Queue("default", connection=redis.client).enqueue("workers.jobs.sweep_surveys")
        Queue("evidence", connection=redis.client).enqueue("workers.jobs.sweep_evidence")
    figures = scrape(app)
    assert value(figures, "aftersales_queue_jobs", queue="default") == 3
    assert value(figures, "aftersales_queue_jobs", queue="evidence") == 1
    assert value(figures, "aftersales_queue_jobs", queue="surveys") == 0


def test_the_sla_sweep_counts_breaches_and_its_duration(app, shop):
    file(shop, at(2026, 11, 2, 10, 0))  # weeks ago: its clocks are long past due
    before = scrape(app)
    overdue = value(before, "aftersales_sla_clocks_overdue")
    assert overdue >= 1
    assert value(before, "aftersales_sweep_duration_seconds_count", sweep="sla") == 0
    with app.app_context():
        found = jobs.sweep_sla()
        db.session.remove()
    assert found == overdue
    after = scrape(app)
    assert value(after, "aftersales_sla_breaches_total") == found
    assert value(after, "aftersales_sla_clocks_overdue") == 0
    assert value(after, "aftersales_sweep_duration_seconds_count", sweep="sla") == 1
    assert value(after, "aftersales_sweep_duration_seconds_sum", sweep="sla") > 0
    assert time.time() - value(after, "aftersales_sweep_last_success_timestamp_seconds", sweep="sla") < 60


def test_worker_heartbeats_come_from_rqs_worker_registry(app):
    with app.app_context():
        worker = build_worker(name="metrics-test-worker")
        assert worker.dequeue_timeout <= 60  # an idle worker reports in at least once a minute
        worker.register_birth()
        try:
            figures = scrape(app)
            assert value(figures, "aftersales_workers") == 1
            beat = value(figures, "aftersales_worker_last_heartbeat_timestamp_seconds", worker="metrics-test-worker")
            assert 0 <= time.time() - beat < 60
        finally:
            worker.register_death()
    assert value(scrape(app), "aftersales_workers") == 0


def test_requests_are_counted_by_route_not_by_path(app):
    before = scrape(app)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    client.get("/no-such-shop-xyz/nothing/here")
    after = scrape(app)
    key = dict(endpoint="core.healthz", method="GET", status="200")
    assert (
        value(after, "aftersales_http_requests_total", **key) - value(before, "aftersales_http_requests_total", **key)
        == 3
    )
    count = "aftersales_http_request_duration_seconds_count"
    assert value(after, count, endpoint="core.healthz") - value(before, count, endpoint="core.healthz") == 3
    assert not any("no-such-shop-xyz" in str(labels) for _name, labels in after)


# ---------------------------------------------------------------- log lines


@pytest.fixture
def json_app(databases, redis_url, app):
    from saas import create_app
    from tests.conftest import make_config

    json_app = create_app(
        make_config(databases.new("logs"), redis_url, LOG_FORMAT="json", LOG_LEVEL="INFO", ACCESS_LOG=True)
    )
    with json_app.app_context():
        db.create_all()
    yield json_app
    with json_app.app_context():
        db.session.remove()
        db.engine.dispose()
    logs.init_app(app)  # the suite's own logging again


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_log_lines_parse_and_carry_the_request_id(json_app, capsys):
    client = json_app.test_client()
    capsys.readouterr()
    r = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c"})
    assert r.headers["X-Request-ID"] == "lb-7f3a9c"
    r2 = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    generated = r2.headers["X-Request-ID"]
    assert generated != "bad id\twith spaces" and len(generated) == 32
    lines = json_lines(capsys.readouterr().err)  # every line is JSON, or this raises
    access = [line for line in lines if line["logger"] == "saas.access"]
    assert [line["request_id"] for line in access] == ["lb-7f3a9c", generated]
    assert access[0]["endpoint"] == "core.healthz" and access[0]["status"] == 200 and access[0]["level"] == "INFO"


def log_from_a_job(word: str) -> str:
    logging.getLogger("workers.test").warning("job says %s", word)
    return word


def fail_in_a_job() -> None:
    raise RuntimeError("the provider fell over")


def test_a_worker_jobs_log_line_carries_its_job_id(json_app, capsys):
    with json_app.app_context():
        queue = Queue("default", connection=redis.client)
        job = queue.enqueue("tests.test_metrics.log_from_a_job", "hello")
        failing = queue.enqueue("tests.test_metrics.fail_in_a_job")
        capsys.readouterr()
        build_worker(("default",)).work(burst=True)
    lines = json_lines(capsys.readouterr().err)  # a traceback too stays on its one line
    said = [line for line in lines if line["msg"] == "job says hello"]
    assert len(said) == 1 and said[0]["job_id"] == job.id and said[0]["logger"] == "workers.test"
    assert "request_id" not in said[0]
    errors = [line for line in lines if line["level"] == "ERROR" and "the provider fell over" in line["msg"]]
    assert errors and all(line["job_id"] == failing.id for line in errors)


# ---------------------------------------------------------------- several web processes

_PROCESS = """
import sys
from saas import create_app
from saas.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
client = app.test_client()
if sys.argv[1] == "serve":
    for _ in range(int(sys.argv[2])):
        assert client.get("/healthz").status_code == 200
else:
    r = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert r.status_code == 200
    sys.stdout.write(r.get_data(as_text=True))
"""


def test_with_a_multiprocess_directory_every_process_counts_in_one_scrape(tmp_path, redis_url):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "APP_ENV": "testing",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "TEST_DATABASE_URL": f"sqlite:///{tmp_path / 'multi.db'}",
        "TEST_REDIS_URL": redis_url,
    }
    (tmp_path / "prom").mkdir()
    root = Path(__file__).resolve().parent.parent

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _PROCESS, *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("serve", "2")
    run("serve", "3")  # another process, as gunicorn's workers are
    samples = {}
    for family in text_string_to_metric_families(run("scrape")):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    assert value(samples, "aftersales_http_requests_total", endpoint="core.healthz", method="GET", status="200") == 5
    assert value(samples, "aftersales_outbox_due_rows") == 0  # the shared figures are there too
