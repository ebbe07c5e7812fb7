"""`flask worker`: an RQ worker inside the app context, with the minute clock unless told otherwise."""

from __future__ import annotations

import click


@click.command("worker")
@click.option("--queues", "-q", multiple=True, help="Queues to listen on (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--max-jobs", type=int, default=None, help="Exit after this many jobs (recycling).")
@click.option("--name", default=None)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Run neither the minute clock (the sweeps) nor RQ's scheduler (it re-queues retried jobs "
    "after their delay: the sign-in link mail's) in this worker; at least one worker must run them.",
)
def worker(queues, burst, max_jobs, name, no_scheduler) -> None:
    """Start an RQ worker on the named queues, inside the app context."""
    from saas.queues import QUEUE_NAMES
    from workers.scheduler import MinuteClock
    from workers.worker import build_worker

    w = build_worker(tuple(queues) or QUEUE_NAMES, name=name)
    clock = None
    if not no_scheduler and not burst:
        clock = MinuteClock(w.connection)
        clock.start()
    try:
        w.work(burst=burst, max_jobs=max_jobs, with_scheduler=not no_scheduler, logging_level="WARNING")
    finally:
        if clock is not None:
            clock.stop()
