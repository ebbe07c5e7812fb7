"""The outbox's worker side: claim a row atomically, send it (`workers.sending`), settle the outcome; the sweeper."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from saas.caches import tokens, worker_shops
from saas.extensions import db, redis
from saas.metrics import figures
from saas.models.base import utcnow
from saas.models.notification import Notification
from saas.queues import enqueue_after_commit, get_queue, outbox_wake_key
from saas.services import message_templates, notifications
from tenants.scoping import CROSS_TENANT, tenant_context
from workers import sending
from workers.providers import (
    MessageFault,
    Permanent,
    ProviderError,
    Throttled,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # far longer than a provider timeout: a live worker never loses its lease
MAX_ATTEMPTS = 6
# Delay after attempt n (1-based): six attempts spread over about 24 hours.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=15),
]
GIVE_UP_AFTER = timedelta(hours=48)  # throttling alone never keeps a row alive longer than this
ENQUEUE_MARK_TTL = 300
# Outcomes after which the provider may have the message: the next attempt asks it first.
# "interrupted": a row taken over from a dead worker and then held back (quiet hours) unsent.
AMBIGUOUS = ("timeout", "connection", "lookup_failed", "interrupted")


def _cross(stmt):
    return stmt.execution_options(**{CROSS_TENANT: "outbox"})


def lease_duration() -> timedelta:
    """How long a claim holds a row; must stay far above the longest send (timeouts included)."""
    seconds = current_app.config.get("OUTBOX_LEASE_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else LEASE


_TABLE = Notification.__table__
# (attribute, column) of every mapped column: what the claim returns and the row is rebuilt from.
_RETURNED = [(prop.key, prop.columns[0]) for prop in sa_inspect(Notification).column_attrs]


def _claim_statement(condition):
    # Built once: a statement made per call costs more Python than its round trip.
    c = _TABLE.c
    return _cross(
        update(_TABLE)
        .where(c.id == bindparam("nid"), condition)
        .values(
            status="sending",
            lease_expires_at=bindparam("lease_until"),
            attempts=c.attempts + 1,
            updated_at=bindparam("now"),
        )
        .returning(*(column for _key, column in _RETURNED))
    )


_CLAIM_DUE = _claim_statement(
    or_(_TABLE.c.status == "pending", _TABLE.c.status == "retry") & (_TABLE.c.next_attempt_at <= bindparam("now"))
)
_CLAIM_STALE = _claim_statement((_TABLE.c.status == "sending") & (_TABLE.c.lease_expires_at < bindparam("now")))
# The outcome, written only under the lease the row was claimed with; SET comes from the parameters.
_FINISH = _cross(
    update(_TABLE).where(
        _TABLE.c.id == bindparam("nid"),
        _TABLE.c.status == "sending",
        _TABLE.c.lease_expires_at == bindparam("held_lease"),
    )
)


def claim(notification_id: int) -> tuple[Notification | None, bool]:
    """pending/retry (due) → sending, or a dead worker's expired lease → sending; one worker wins.

    Returns the row and whether it was taken over from a worker that died
    mid-send (then the provider may already have it: see sending._reconcile).
    One UPDATE … RETURNING in the usual case (a due row): the row comes back
    as claimed, lease included, with no SELECT after the commit.
    """
    now = utcnow()
    params = {"nid": notification_id, "now": now, "lease_until": now + lease_duration()}
    _alone_in_transaction()  # each UPDATE is atomic by itself; the lease is visible as soon as it returns
    row = db.session.execute(_CLAIM_DUE, params).one_or_none()
    taken_over = False
    if row is None:
        row = db.session.execute(_CLAIM_STALE, params).one_or_none()
        taken_over = row is not None
    db.session.commit()
    if row is None:
        return None, False
    return _adopt(row), taken_over


def _adopt(row) -> Notification:
    """The claimed row as a Notification, without a query (the commit expired what the session held).

    Detached unless the session already held the row (then that object is refreshed):
    adding it would begin a session transaction, and _settle() could no longer tell
    that the job wrote nothing besides its outcome.
    """
    values = {key: row[i] for i, (key, _column) in enumerate(_RETURNED)}
    held = db.session.identity_map.get(identity_key(Notification, values["id"]))
    if held is not None:
        for key, value in values.items():
            set_committed_value(held, key, value)
        return held
    n = Notification(**values)
    make_transient_to_detached(n)
    return n


def _finish(n: Notification, **values) -> None:
    """Write the outcome only if this worker still holds the lease it claimed with."""
    db.session.execute(_FINISH, {"nid": n.id, "held_lease": n.lease_expires_at, "updated_at": utcnow(), **values})


def _settle(n: Notification, **values) -> None:
    """Write the outcome and commit it with whatever else this job wrote since the claim (a suppression …).

    When nothing was (the session has not begun a transaction: an email sent with the
    shop in this worker's cache), the UPDATE is its own transaction: run in autocommit,
    without the BEGIN and COMMIT round trips.
    """
    _alone_in_transaction()
    _finish(n, **values)
    db.session.commit()


def _alone_in_transaction() -> None:
    """If the session holds no transaction, let the next statement commit by itself as it runs.

    For a statement that is a whole transaction on its own (a claim, an outcome): same
    atomicity, two round trips fewer. The connection goes back to the pool at the
    session's commit, which restores its isolation level.
    """
    if not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def backoff(attempt: int) -> timedelta:
    base = BACKOFF[min(attempt, len(BACKOFF)) - 1]
    return base * random.uniform(0.8, 1.2)


def _start(notification_id: int) -> tuple[int, bytes | None] | None:
    """The job's first Redis round trip: clear its wake-up mark, read the likely shop's cache token.

    This job is the wake-up the sweeper marked: once it runs, the next sweep may wake the
    row again. Otherwise a row whose woken job ran and failed (a retry due in a minute, a
    worker killed mid-send) could not be woken until the mark expired, minutes later.
    The token rides along (see worker_shops.likely_shop); returns (shop id, token) read.
    """
    likely = worker_shops.likely_shop()
    try:
        pipe = redis.client.pipeline(transaction=False)
        pipe.delete(outbox_wake_key(notification_id))
        if likely is not None:
            pipe.get(tokens.key(likely))
        figures.flush_into(pipe)  # earlier jobs' outcomes ride along: no round trip of their own
        replies = pipe.execute()
    except Exception:  # the mark expires by itself; a send never fails over it
        log.warning("could not clear the wake-up mark of notification %s", notification_id, exc_info=True)
        return None
    return (likely, replies[1]) if likely is not None else None


def quiet_hours_end(n: Notification, shop: worker_shops.Shop, now) -> datetime | None:
    """For an SMS due in the tenant's quiet hours, when they end (runs in the tenant's context)."""
    if n.channel != "sms":
        return None
    return notifications.quiet_until(now, shop.terms_today(now), shop.tenant.timezone)


def send_notification(notification_id: int) -> str:
    token_read = _start(notification_id)
    n, taken_over = claim(notification_id)
    if n is None:
        return "not claimed"
    outcome = _deliver(n, taken_over, token_read)
    figures.notification_outcome(n.channel, outcome)
    return outcome


def _deliver(n: Notification, taken_over: bool, token_read) -> str:
    """Send a claimed row and settle its outcome: sent, held, cancelled, throttled, retry or dead."""
    # After a timeout or a dropped connection the provider may have the message.
    ambiguous = taken_over or n.error_code in AMBIGUOUS
    now = utcnow()
    with tenant_context(n.tenant_id):
        shop = worker_shops.shop(n.tenant_id, token_read)
        tenant = shop.tenant
        held_until = quiet_hours_end(n, shop, now)
        if held_until is not None:
            # Rows are written due outside quiet hours, but a retry's backoff, a coalesced
            # update or a backlog can bring the turn later: the SMS then waits for the morning.
            # The attempt is given back; a takeover stays ambiguous so the next one asks first.
            code = "interrupted" if taken_over else n.error_code
            _settle(
                n,
                status="retry" if code else "pending",
                attempts=n.attempts - 1,
                next_attempt_at=held_until,
                error_code=code,
                lease_expires_at=None,
            )
            return "held"
        # Only a message that surely never reached the provider may be withdrawn: after an ambiguous
        # attempt it may already be on the customer's phone, and the send below asks the provider first.
        stale = None if ambiguous else notifications.no_longer_true(n)
        if stale is not None:
            # Held until the morning or coalesced, it would now tell the customer something untrue.
            _settle(n, status="cancelled", error_code="stale", last_error=stale, lease_expires_at=None)
            return "cancelled"

        handed_off: list[str] = []

        def mark_handed_off(message_id: str) -> None:
            # The SMTP server has the message: record it at once, in its own autocommitted
            # statement, before anything else (QUIT included) can fail or stall.
            _settle(
                n,
                status="sent",
                sent_at=now,
                provider_message_id=message_id[:120],
                error_code="",
                last_error="",
                lease_expires_at=None,
            )
            handed_off.append(message_id)

        try:
            provider_id = sending.send(n, tenant, ambiguous, shop.wordings, mark_handed_off)
        except message_templates.TemplateError as exc:
            with force_locale("en"):  # the outbox's own log is in English
                last_error = exc.message
            _settle(n, status="dead", error_code="template", last_error=last_error, lease_expires_at=None)
            return "dead"
        except Throttled as exc:
            # Throttling is the provider's pace, not this message's fault: the attempt is given back.
            wait = timedelta(seconds=max(exc.retry_after or 30, 5))
            dead = now - n.created_at > GIVE_UP_AFTER
            _settle(
                n,
                status="dead" if dead else "retry",
                attempts=n.attempts - 1,
                next_attempt_at=now + wait,
                error_code=exc.code or "throttled",
                last_error=str(exc)[:2000],
                lease_expires_at=None,
            )
            return "throttled"
        except MessageFault as exc:
            # The template made a message no provider takes: the merchant's to fix, the address stays usable.
            _settle(n, status="dead", error_code="template", last_error=str(exc)[:2000], lease_expires_at=None)
            return "dead"
        except Permanent as exc:
            # Before the outcome, so both are in the one transaction _settle() commits.
            notifications.suppress(n.tenant_id, n.channel, n.recipient, exc.code or str(exc))
            _settle(
                n, status="dead", error_code=exc.code or "permanent", last_error=str(exc)[:2000], lease_expires_at=None
            )
            return "dead"
        except ProviderError as exc:
            dead = n.attempts >= MAX_ATTEMPTS
            _settle(
                n,
                status="dead" if dead else "retry",
                next_attempt_at=now + backoff(n.attempts),
                error_code=exc.code or "retryable",
                last_error=str(exc)[:2000],
                lease_expires_at=None,
            )
            return "dead" if dead else "retry"
        if not handed_off:
            _settle(
                n,
                status="sent",
                sent_at=now,
                provider_message_id=provider_id[:120],
                error_code="",
                last_error="",
                lease_expires_at=None,
            )
        return "sent"


def sweep(limit: int = 5000) -> int:
    """Re-enqueue rows that are due or whose worker died; a flushed Redis loses nothing."""
    now = utcnow()
    ids = db.session.scalars(
        _cross(
            select(Notification.id)
            .where(
                or_(
                    Notification.status.in_(("pending", "retry")) & (Notification.next_attempt_at <= now),
                    (Notification.status == "sending") & (Notification.lease_expires_at < now),
                )
            )
            .order_by(Notification.next_attempt_at)
            .limit(limit)
        )
    ).all()
    queue = get_queue("notifications")
    client = redis.client
    count = 0
    for nid in ids:
        # One wake-up per row per few minutes, however often the sweeper runs.
        if client.set(outbox_wake_key(nid), 1, nx=True, ex=ENQUEUE_MARK_TTL):
            queue.enqueue("workers.jobs.send_notification", nid)
            count += 1
    return count


def resend(n: Notification) -> None:
    """Send a dead row again under the same idempotency key (a delivered one is never resent)."""
    if n.status != "dead":
        return
    n.status, n.attempts, n.next_attempt_at, n.error_code = "pending", 0, utcnow(), ""
    db.session.flush()
    redis.client.delete(outbox_wake_key(n.id))
    enqueue_after_commit(db.session, "notifications", "workers.jobs.send_notification", n.id)
