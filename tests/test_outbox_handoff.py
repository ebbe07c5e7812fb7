"""An e-mail is recorded as handed off the moment the SMTP server accepts it, before anything else can fail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from saas.models.base import travel_to, utcnow
from tests.test_notifications import smtp  # noqa: F401  (the aiosmtpd fixture)
from tests.test_outbox_worker import job, notification, row, shops  # noqa: F401  (fixtures and helpers)
from workers import outbox
from workers.providers import email as email_provider


class WorkerDied(BaseException):
    """A worker killed (SIGKILL, OOM, a redeploy) right after the server said 250 to the message."""


def test_a_worker_dying_after_the_smtp_hand_off_does_not_send_the_email_again(app, smtp, shops, monkeypatch):
    nid = row(shops["a"])

    def die(conn):
        conn.close()
        raise WorkerDied()

    with app.app_context():
        monkeypatch.setattr(email_provider, "_quit_quietly", die)
        with pytest.raises(WorkerDied):
            job(nid)
        monkeypatch.setattr(email_provider, "_quit_quietly", lambda conn: conn.close())
        assert len(smtp.messages) == 1
        stored = notification(nid)
        assert stored.status == "sent" and stored.provider_message_id == smtp.messages[0]["Message-ID"]
        # Long after the claim's lease: the sweeper has nothing to take over, a stray job nothing to claim.
        with travel_to(utcnow() + timedelta(minutes=30)):
            assert outbox.sweep() == 0
            assert job(nid) == "not claimed"
        assert len(smtp.messages) == 1


def test_a_refused_message_is_not_marked_handed_off(app, smtp, shops, monkeypatch):
    nid = row(shops["a"])

    async def refuse(server, session, envelope):
        return "451 try again later"

    monkeypatch.setattr(smtp, "handle_DATA", refuse)
    with app.app_context():
        assert job(nid) == "retry"
        assert notification(nid).status == "retry"
