"""The RQ worker the CLI starts: non-forking, inside the app context."""

from __future__ import annotations

from rq import SimpleWorker

from saas import logs
from saas.extensions import db
from saas.metrics import figures
from saas.queues import QUEUE_NAMES, get_queue, redis_connection

# An idle worker reports in every WORKER_TTL - 15 seconds (RQ's default, 420, left /metrics with
# heartbeats up to 7 minutes old); a dead one leaves RQ's registry WORKER_TTL + 60 seconds later.
WORKER_TTL = 60
FLUSH_AFTER = 10.0  # seconds a counted outcome may wait for a later job's Redis round trip


class AppWorker(SimpleWorker):
    """Runs jobs in this process (5-10x the forking worker's throughput).

    Safe only because each job ends its database session afterwards, and the
    process is recycled after --max-jobs.
    """

    def execute_job(self, job, queue):
        token = logs.job_id.set(job.id)  # every line the job (and RQ about it) logs carries its id
        try:
            return super().execute_job(job, queue)
        finally:
            db.session.remove()
            logs.job_id.reset(token)
            figures.flush(older_than=FLUSH_AFTER)  # outcomes not carried by a later job's pipeline

    def work(self, *args, **kwargs):
        try:
            return super().work(*args, **kwargs)
        finally:
            figures.flush()


def build_worker(queue_names: tuple[str, ...] = QUEUE_NAMES, name: str | None = None) -> AppWorker:
    queues = [get_queue(n) for n in queue_names]
    return AppWorker(queues, connection=redis_connection(), name=name, worker_ttl=WORKER_TTL)
