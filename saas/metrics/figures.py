"""Figures every web process and worker shares, kept in PostgreSQL and Redis and read at scrape time.

Workers on any host add to a few counters in one Redis hash (a notification's outcome,
a sweep's duration, breaches found); the scrape reads them together with the outbox,
the evidence backlog, the queues and RQ's worker registry. A web process answering
/metrics therefore speaks for the whole installation, whichever host it runs on.
A counter lost with a flushed Redis restarts from zero, which Prometheus's rate()
reads as a counter reset.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector
from rq import Queue, Worker
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from saas.extensions import db, redis
from saas.models.base import utcnow
from saas.models.case import Evidence
from saas.models.notification import DUE_STATUSES, Notification
from saas.models.sla import SlaClock
from saas.queues import QUEUE_NAMES
from tenants.scoping import cross_tenant

log = logging.getLogger(__name__)

COUNTERS = "metrics:counters"  # field "name|label|label" -> number
LAST = "metrics:last"  # field "name|label" -> number (last values, not summed)
PREFIX = "aftersales_"


# ------------------------------------------------------------- the writing side (workers)


def _write(increments: dict[str, float], last: dict[str, float] | None = None, client=None) -> None:
    """One pipeline to Redis; a metric never fails the job it describes."""
    try:
        pipe = (client or redis.client).pipeline(transaction=False)
        for field, amount in increments.items():
            if isinstance(amount, int):
                pipe.hincrby(COUNTERS, field, amount)
            else:
                pipe.hincrbyfloat(COUNTERS, field, amount)
        if last:
            pipe.hset(LAST, mapping=last)
        pipe.execute()
    except Exception:
        log.warning("could not record metrics %s", sorted(increments), exc_info=True)


# A notification's outcome is counted here and sent with the worker's next Redis round trip (the
# next job's first pipeline, the worker's idle flush, its exit): a send costs no round trip more.
_pending: dict[str, int] = {}
_pending_since: float | None = None
_lock = threading.Lock()


def notification_outcome(channel: str, outcome: str) -> None:
    global _pending_since
    field = f"notifications|{channel}|{outcome}"
    with _lock:
        _pending[field] = _pending.get(field, 0) + 1
        if _pending_since is None:
            _pending_since = time.monotonic()


def _take(older_than: float = 0.0) -> dict[str, int]:
    global _pending, _pending_since
    with _lock:
        if not _pending or time.monotonic() - (_pending_since or 0.0) < older_than:
            return {}
        taken, _pending, _pending_since = _pending, {}, None
    return taken


def flush_into(pipe) -> None:
    """Add the counts not yet sent to a pipeline the caller executes anyway (lost if it fails)."""
    for field, amount in _take().items():
        pipe.hincrby(COUNTERS, field, amount)


def clear() -> None:
    """Forget counts not yet sent (tests, between one empty Redis and the next)."""
    _take()


def flush(older_than: float = 0.0, client=None) -> None:
    """Send the counts not yet sent, if the oldest waited at least `older_than` seconds.

    `client`: a Redis client, for a caller outside the app context (the minute clock's thread).
    """
    taken = _take(older_than)
    if taken:
        _write(taken, client=client)


@contextmanager
def sweep(name: str) -> Iterator[dict]:
    """Time a sweep; the block may set result["breaches"] (the SLA sweep) to count what it found."""
    result: dict = {}
    start = time.perf_counter()
    ok = False
    try:
        yield result
        ok = True
    finally:
        seconds = time.perf_counter() - start
        increments: dict[str, float] = {f"sweep_seconds|{name}": float(seconds), f"sweep_runs|{name}": 1}
        last = {f"sweep_last_seconds|{name}": seconds}
        if ok:
            last[f"sweep_last_success|{name}"] = time.time()
        else:
            increments[f"sweep_failures|{name}"] = 1
        if result.get("breaches"):
            increments["sla_breaches|"] = int(result["breaches"])
        _write(increments, last)


# ------------------------------------------------------------- the reading side (/metrics)


def _split(raw: dict) -> dict[str, list[tuple[list[str], float]]]:
    out: dict[str, list[tuple[list[str], float]]] = {}
    for field, value in raw.items():
        name, *labels = (field.decode() if isinstance(field, bytes) else field).split("|")
        out.setdefault(name, []).append(([label for label in labels if label], float(value)))
    return out


class SharedFigures(Collector):
    """Collects at scrape time; a source that cannot be read is reported, the others still are."""

    def collect(self):
        errors = GaugeMetricFamily(
            PREFIX + "metrics_source_up", "1 if the source could be read at this scrape.", labels=["source"]
        )
        for source, read in (("database", self._database), ("redis", self._redis)):
            try:
                families = list(read())
            except Exception:
                log.warning("metrics: could not read %s", source, exc_info=True)
                errors.add_metric([source], 0)
                continue
            errors.add_metric([source], 1)
            yield from families
        yield errors

    # -- PostgreSQL (or SQLite): the rows are the record
    def _database(self):
        now = utcnow()
        try:
            with cross_tenant("metrics scrape"):
                by_status = dict(
                    db.session.execute(
                        select(Notification.status, func.count())
                        .where(Notification.status.in_((*DUE_STATUSES, "sending")))
                        .group_by(Notification.status)
                    ).all()
                )
                due, oldest_due = db.session.execute(
                    select(func.count(), func.min(Notification.next_attempt_at)).where(
                        Notification.status.in_(DUE_STATUSES), Notification.next_attempt_at <= now
                    )
                ).one()
                backlog, oldest_photo = db.session.execute(
                    select(func.count(), func.min(Evidence.created_at)).where(Evidence.status == "processing")
                ).one()
                overdue = db.session.scalar(
                    select(func.count()).where(SlaClock.state == "running", SlaClock.due_at < now)
                )
        finally:
            db.session.rollback()  # nothing written; no transaction left open on the connection
        rows = GaugeMetricFamily(PREFIX + "outbox_rows", "Outbox rows not yet settled, by status.", labels=["status"])
        for status in (*DUE_STATUSES, "sending"):
            rows.add_metric([status], by_status.get(status, 0))
        yield rows
        yield GaugeMetricFamily(
            PREFIX + "outbox_due_rows", "Outbox rows due to be sent now (pending or retry).", value=due
        )
        yield GaugeMetricFamily(
            PREFIX + "outbox_oldest_due_age_seconds",
            "How long the oldest due outbox row has been waiting (0 when none).",
            value=_age(now, oldest_due),
        )
        yield GaugeMetricFamily(
            PREFIX + "evidence_backlog", "Uploaded photos and videos waiting to be processed.", value=backlog
        )
        yield GaugeMetricFamily(
            PREFIX + "evidence_oldest_backlog_age_seconds",
            "Age of the oldest upload still waiting to be processed (0 when none).",
            value=_age(now, oldest_photo),
        )
        yield GaugeMetricFamily(
            PREFIX + "sla_clocks_overdue",
            "Running SLA clocks past due that no sweep has marked breached yet.",
            value=overdue,
        )

    # -- Redis: the queues, the workers' registry and the workers' counters
    def _redis(self):
        client = redis.client
        depth = GaugeMetricFamily(PREFIX + "queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            PREFIX + "queue_failed_jobs", "Jobs in each queue's failed-job registry.", labels=["queue"]
        )
        for name in QUEUE_NAMES:
            queue = Queue(name, connection=client)
            depth.add_metric([name], queue.count)
            failed.add_metric([name], FailedJobRegistry(queue=queue).get_job_count(cleanup=False))
        yield depth
        yield failed

        workers = Worker.all(connection=client)
        alive = GaugeMetricFamily(
            PREFIX + "workers", "RQ workers registered (a worker that stops beating expires).", value=len(workers)
        )
        beats = GaugeMetricFamily(
            PREFIX + "worker_last_heartbeat_timestamp_seconds",
            "When each registered worker last reported in (Unix time).",
            labels=["worker"],
        )
        for worker in workers:
            if worker.last_heartbeat is not None:
                beats.add_metric([worker.name], worker.last_heartbeat.timestamp())
        yield alive
        yield beats

        counters = _split(client.hgetall(COUNTERS))
        last = _split(client.hgetall(LAST))
        sent = CounterMetricFamily(
            PREFIX + "notifications",
            "Notification attempts by channel and outcome (sent, retry, throttled, dead, cancelled, held).",
            labels=["channel", "outcome"],
        )
        for labels, value in counters.get("notifications", []):
            sent.add_metric(labels, value)
        yield sent
        yield CounterMetricFamily(
            PREFIX + "sla_breaches",
            "SLA clocks the sweeps marked breached.",
            value=sum(v for _l, v in counters.get("sla_breaches", [])),
        )
        durations = SummaryMetricFamily(
            PREFIX + "sweep_duration_seconds", "Time the periodic sweeps took.", labels=["sweep"]
        )
        runs = {tuple(labels): value for labels, value in counters.get("sweep_runs", [])}
        for labels, total in counters.get("sweep_seconds", []):
            durations.add_metric(labels, runs.get(tuple(labels), 0), total)
        yield durations
        failures = CounterMetricFamily(PREFIX + "sweep_failures", "Sweeps that raised.", labels=["sweep"])
        for labels, value in counters.get("sweep_failures", []):
            failures.add_metric(labels, value)
        yield failures
        success = GaugeMetricFamily(
            PREFIX + "sweep_last_success_timestamp_seconds",
            "When each sweep last finished without error (Unix time).",
            labels=["sweep"],
        )
        for labels, value in last.get("sweep_last_success", []):
            success.add_metric(labels, value)
        yield success


def _age(now, then) -> float:
    return max((now - then).total_seconds(), 0.0) if then is not None else 0.0
