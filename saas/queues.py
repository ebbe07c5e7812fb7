"""Named RQ queues and enqueueing that waits for the database commit.

Shared by both sides: services enqueue after their transaction commits (`flush_pending`, a
session listener registered by saas/session_hooks.py), the web and the worker enqueue directly, and the worker listens on QUEUE_NAMES.
"""

from __future__ import annotations

from flask import current_app
from rq import Queue
from sqlalchemy.orm import Session

from saas.extensions import redis

# Evidence last: a worker takes the next photo only when no message or sweep is waiting.
QUEUE_NAMES = ("notifications", "surveys", "default", "evidence")
_PENDING = "enqueue_after_commit"


def outbox_wake_key(notification_id: int) -> str:
    """Set while a wake-up job for this notification is queued (by the writer or the sweeper)."""
    return f"outbox:woken:{notification_id}"


def evidence_wake_key(evidence_id: int) -> str:
    """Set while a processing job for this evidence row is queued (by the upload or the sweeper)."""
    return f"evidence:woken:{evidence_id}"


def redis_connection():
    return redis.client


def get_queue(name: str = "default") -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection())


def enqueue_after_commit(
    session: Session, queue: str, func, *args, wake_key: str | None = None, wake_ttl: int = 300, **kwargs
) -> None:
    """Enqueue once the transaction commits; dropped if it rolls back.

    Redis is only the wake-up call: the rows are the record, and a sweeper
    re-enqueues anything whose job never ran, so a failed enqueue is logged,
    not raised into a request that has already committed. With wake_key, the
    job is enqueued only if that mark was not already set (the sweeper sets the
    same mark), so a row is not woken twice.
    """
    session.info.setdefault(_PENDING, []).append((queue, func, args, dict(kwargs, _wake=(wake_key, wake_ttl))))


def flush_pending(session: Session) -> None:
    """Enqueue what the committed transaction asked for: two Redis round trips in all.

    One pipeline sets the wake-up marks, one enqueues the jobs whose mark was free (a
    sweep commits hundreds of notifications at once: one round trip each was most of
    its Redis time).
    """
    pending = session.info.pop(_PENDING, [])
    if not pending:
        return
    try:
        client = redis_connection()
        marked = [item for item in pending if item[3]["_wake"][0]]
        if marked:
            pipe = client.pipeline(transaction=False)
            for _queue, _func, _args, kwargs in marked:
                wake_key, wake_ttl = kwargs["_wake"]
                pipe.set(wake_key, 1, nx=True, ex=wake_ttl)
            taken = {id(item) for item, was_free in zip(marked, pipe.execute(), strict=True) if not was_free}
            pending = [item for item in pending if id(item) not in taken]
        by_queue: dict[str, list] = {}
        for queue, func, args, kwargs in pending:
            by_queue.setdefault(queue, []).append((func, args, {k: v for k, v in kwargs.items() if k != "_wake"}))
        for queue, jobs in by_queue.items():
            q = get_queue(queue)
            plain = [Queue.prepare_data(func, args) for func, args, kwargs in jobs if not kwargs]
            if plain:
                q.enqueue_many(plain)
            for func, args, kwargs in jobs:
                if kwargs:  # job options (timeouts …) or keyword arguments: enqueue() sorts them out
                    q.enqueue(func, *args, **kwargs)
    except Exception:  # Redis down: the sweeper will pick the rows up
        current_app.logger.warning("enqueue of %d job(s) failed; left to the sweeper", len(pending), exc_info=True)


def drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
