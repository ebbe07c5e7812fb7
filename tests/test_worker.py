"""The RQ worker entry: jobs enqueued after commit run inside the app context."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from saas.extensions import db, redis
from saas.queues import enqueue_after_commit, get_queue
from tests.factories import make_tenant
from workers import jobs
from workers.worker import build_worker


def test_enqueue_waits_for_commit_and_is_dropped_on_rollback(app):
    with app.app_context():
        make_tenant("shop-a")
        enqueue_after_commit(db.session, "default", jobs.heartbeat, "k1", "v1")
        assert get_queue("default").count == 0
        db.session.rollback()
        db.session.commit()
        assert get_queue("default").count == 0
        make_tenant("shop-b")
        enqueue_after_commit(db.session, "default", jobs.heartbeat, "k2", "v2")
        db.session.commit()
        assert get_queue("default").count == 1


def test_worker_runs_jobs_in_app_context(app):
    with app.app_context():
        get_queue("notifications").enqueue(jobs.heartbeat, "hb", "alive")
        worker = build_worker()
        worker.work(burst=True)
        assert redis.client.get("hb") == b"alive"


@pytest.mark.real_commits
def test_flask_worker_command_in_a_subprocess(app, redis_url):
    """`flask --app wsgi worker --burst` is the real entry point."""
    with app.app_context():
        get_queue("default").enqueue(jobs.heartbeat, "hb2", "from-cli")
    env = {
        **os.environ,
        "APP_ENV": "development",
        "REDIS_URL": redis_url,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", "--no-scheduler"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    with app.app_context():
        assert redis.client.get("hb2") == b"from-cli"


def test_a_commit_enqueues_its_jobs_in_one_redis_round_trip_per_queue_after_the_marks(app):
    from redis import Redis
    from redis.client import Pipeline

    calls = []
    command, pipeline = Redis.execute_command, Pipeline.execute

    def counted_command(self, *args, **kwargs):
        calls.append(args[0])
        return command(self, *args, **kwargs)

    def counted_pipeline(self, *args, **kwargs):
        calls.append("pipeline")
        return pipeline(self, *args, **kwargs)

    with app.app_context():
        redis.client.set("wake:3", 1)  # already queued by someone else: not enqueued again
        make_tenant("shop-a")
        for n in range(1, 6):
            enqueue_after_commit(db.session, "notifications", "workers.jobs.send_notification", n, wake_key=f"wake:{n}")
        enqueue_after_commit(db.session, "default", jobs.heartbeat, "k", "v")
        Redis.execute_command, Pipeline.execute = counted_command, counted_pipeline
        try:
            db.session.commit()
        finally:
            Redis.execute_command, Pipeline.execute = command, pipeline
        assert calls == ["pipeline", "pipeline", "pipeline"]  # the 5 marks; 4 jobs to one queue; 1 to the other
        queued = get_queue("notifications").get_jobs()
        assert [(j.func_name, j.args) for j in queued] == [
            ("workers.jobs.send_notification", (n,)) for n in (1, 2, 4, 5)
        ]
        assert [j.args for j in get_queue("default").get_jobs()] == [("k", "v")]
        assert all(redis.client.ttl(f"wake:{n}") > 0 for n in (1, 2, 4, 5))


def test_a_commit_succeeds_when_redis_is_down(app, monkeypatch, caplog):
    from redis import Redis

    with app.app_context():
        monkeypatch.setitem(
            app.extensions, "redis", Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        )
        make_tenant("shop-a")
        enqueue_after_commit(db.session, "notifications", "workers.jobs.send_notification", 1, wake_key="wake:1")
        db.session.commit()
        assert "left to the sweeper" in caplog.text
