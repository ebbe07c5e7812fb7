"""Baseline jobs on the shipped worker setup: a no-op, and the least a notification can do."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from jinja2 import Template
from sqlalchemy import create_engine, text

_engine = None
BODY = Template("{{ customer }},您好:\n\n{{ message }}\n\n查看进度:{{ link }}\n")


def noop() -> None:
    return None


def minimal_notification(i: int) -> str:
    """Render a template, INSERT + commit on PostgreSQL, send to the SMTP sink on loopback."""
    global _engine
    if _engine is None:
        _engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    body = BODY.render(customer="王芳", message=f"您的售后申请 {i} 已受理。", link=f"http://127.0.0.1/t/{i}")
    with _engine.begin() as conn:
        conn.execute(text("INSERT INTO bench_sent (job, body) VALUES (:j, :b)"), {"j": i, "b": body})
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "noreply@bench.local", f"c{i}@example.com", f"Case {i}"
    msg.set_content(body)
    with smtplib.SMTP(
        os.environ.get("MAIL_SERVER", "127.0.0.1"), int(os.environ.get("MAIL_PORT", "2525")), timeout=10
    ) as s:
        s.send_message(msg)
    return "sent"
