"""The worker's minute clock: enqueues the sweeps once a minute, once across all workers."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue

from saas.metrics import figures

log = logging.getLogger(__name__)

# (job path, queue): the database rows are the record; these jobs only find what is due.
PERIODIC = (
    ("workers.jobs.sweep_outbox", "notifications"),
    ("workers.jobs.sweep_sla", "default"),
    ("workers.jobs.sweep_surveys", "surveys"),
    ("workers.jobs.sweep_evidence", "default"),  # not behind the photos it looks after
    ("workers.jobs.sweep_reviews", "default"),  # the review packs, on each shop's first working morning
)


# Once a day: the lock's "day" turns at 19:00 UTC (03:00 in China), so the run falls in the night there;
# a worker that starts later in that day still runs it once.
DAILY = (("workers.jobs.sweep_retention", "default"),)
DAY_TURNS_AT = timedelta(hours=19)


def tick(connection: Redis, now: datetime | None = None) -> bool:
    """Enqueue this minute's sweeps unless another worker already did (a Redis lock per minute)."""
    now = now or datetime.now(UTC)
    if not connection.set(f"scheduler:minute:{now:%Y%m%d%H%M}", 1, nx=True, ex=180):
        return False
    for path, queue in PERIODIC:
        Queue(queue, connection=connection).enqueue(path, job_timeout=300, result_ttl=60)
    if connection.set(f"scheduler:day:{now - DAY_TURNS_AT:%Y%m%d}", 1, nx=True, ex=2 * 24 * 3600):
        for path, queue in DAILY:
            Queue(queue, connection=connection).enqueue(path, job_timeout=3600, result_ttl=3600)
    return True


class MinuteClock(threading.Thread):
    """A daemon thread beside the worker loop; it never touches the database itself."""

    def __init__(self, connection: Redis, interval: float = 15.0):
        super().__init__(name="minute-clock", daemon=True)
        self.connection, self.interval = connection, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                tick(self.connection)
            except Exception:  # Redis restarting: try again next round
                log.warning("scheduler tick failed", exc_info=True)
            figures.flush(client=self.connection)  # an idle worker's last outcomes reach /metrics within a tick
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
