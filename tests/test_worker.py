"""The RQ worker entry: jobs enqueued after commit run inside the app context."""
from __future__ import annotations

import os
import subprocess
import sys

from saas.extensions import db, redis
from tests.factories import make_tenant
from workers import jobs
from workers.queues import enqueue_after_commit, get_queue
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


def test_flask_worker_command_in_a_subprocess(app, redis_url):
    """`flask --app wsgi worker --burst` is the real entry point."""
    with app.app_context():
        get_queue("default").enqueue(jobs.heartbeat, "hb2", "from-cli")
    env = {**os.environ, "APP_ENV": "development", "REDIS_URL": redis_url,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst", "--no-scheduler"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    with app.app_context():
        assert redis.client.get("hb2") == b"from-cli"
