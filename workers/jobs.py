"""Thin job functions taking primitive ids; the work lives in services and the outbox."""

from __future__ import annotations

from types import SimpleNamespace

from flask import current_app

from saas.extensions import db, redis
from saas.metrics import figures
from saas.models.user import User
from saas.services import case_breaches, recall_batches, retention, signin, surveys
from saas.services.notifications import managers, notify_managers
from workers import outbox, sending
from workers.providers import OutgoingEmail


def heartbeat(key: str, value: str) -> str:
    """Proves a worker is alive and inside the app context."""
    redis.client.set(key, value, ex=300)
    return value


def send_notification(notification_id: int) -> str:
    return outbox.send_notification(notification_id)


def sweep_outbox() -> int:
    with figures.sweep("outbox"):
        return outbox.sweep()


def process_evidence(evidence_id: int) -> str:
    from workers import evidence

    return evidence.process(evidence_id)


def sweep_evidence() -> int:
    from workers import evidence

    with figures.sweep("evidence"):
        return evidence.sweep()


def sweep_sla() -> int:
    # Each shop's managers, read at its first breach of the sweep rather than at every
    # breach; kept as plain values (the sweep commits per batch, which expires rows).
    # Someone made a manager while a sweep runs is alerted from the next sweep on.
    staff: dict[int, list[SimpleNamespace]] = {}

    def alert(case, clock):
        if case.tenant_id not in staff:
            staff[case.tenant_id] = [
                SimpleNamespace(id=u.id, name=u.name, email=u.email) for u in managers(case.tenant_id)
            ]
        notify_managers(
            case,
            "sla_breach",
            f"breach:{clock.id}",
            f"{case.number}: {clock.kind} due {clock.due_at:%Y-%m-%d %H:%M} UTC",
            recipients=staff[case.tenant_id],
        )

    with figures.sweep("sla") as found:
        found["breaches"] = case_breaches.sweep(notify=alert, end_batch=db.session.commit)
        db.session.commit()
    return found["breaches"]


def sweep_surveys() -> int:
    with figures.sweep("surveys"):
        count = surveys.sweep(end_batch=db.session.commit)
        db.session.commit()
    return count


def sweep_reviews() -> int:
    """The weekly and monthly review packs due this morning, one e-mail per manager (exactly once)."""
    from saas.services import reviews

    with figures.sweep("reviews"):
        written = reviews.sweep(end_batch=db.session.commit)
        db.session.commit()
        return written


def sweep_retention() -> int:
    """PIPL: anonymise cases (and platform complaints) past their tenant's retention period; daily, idempotent."""
    with figures.sweep("retention"):
        result = retention.sweep(end_batch=db.session.commit)
        db.session.commit()
    return result.cases


def run_recall_batch(recall_id: int, after_order_id: int = 0) -> str:
    """One batch of a recall's affected orders; enqueues the next batch itself (once this commits)."""
    try:
        outcome = recall_batches.run_batch(recall_id, after_order_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return outcome


def send_signin_link(user_id: int, subject: str, body: str, nonce: str) -> str:
    """E-mail a one-time sign-in link, signed here at sending time; `body` holds a {link} slot."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_enabled:
        return "skipped"
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    link = f"{base}/login/link/{signin.make_link_token(user)}"
    to = user.email
    db.session.rollback()  # nothing written; the session holds no transaction through the SMTP call
    sending.email_sender().send(
        OutgoingEmail(
            to=to,
            subject=subject,
            text=body.replace("{link}", link),
            html=None,
            idempotency_key=f"signin-{user_id}-{nonce}",
        )
    )
    return "sent"
