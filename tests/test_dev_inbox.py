"""The development inbox: emails through the real SMTP sink `make run` starts, SMS, and messages held for later."""

from __future__ import annotations

import smtplib

import pytest

from saas.dev_mail import read_inbox, start_sink
from saas.models.base import travel_to
from tests.test_notifications import at, file, rows, shop  # noqa: F401  (shop is a fixture)
from workers import outbox


@pytest.fixture
def sink(app, tmp_path, monkeypatch):
    """The sink scripts/run.py starts, with the app pointed at it as run.py does."""
    maildir = tmp_path / "dev_mail"
    controller = start_sink(maildir)
    monkeypatch.setitem(app.config, "MAIL_SERVER", controller.hostname)
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "DEV_MAIL_DIR", str(maildir))
    monkeypatch.setitem(app.config, "SMS_BACKEND", "dev")
    yield maildir
    controller.stop()


def test_inbox_shows_emails_sms_and_sms_held_by_quiet_hours(app, sink, shop):  # noqa: F811
    case = file(shop, at(2026, 11, 23, 22, 30))  # after 21:00: the SMS waits for the morning
    mail = rows(case.id, channel="email")[0]
    with travel_to(at(2026, 11, 23, 22, 31)):
        assert outbox.send_notification(mail.id) == "sent"
        page = app.test_client().get("/dev/inbox?lang=zh").get_data(as_text=True)
        en = app.test_client().get("/dev/inbox?lang=en").get_data(as_text=True)
    # The email went over SMTP to the sink and is on the page, subject and text.
    assert case.number in page and "chen@example.com" in page
    assert "售后申请已提交" in page
    # The SMS is held, not missing: the page says so and until when.
    assert "静默时段，08:00 发送" in page
    assert "13722223333" in page and "暂无消息" in page.split('id="sms"')[1]  # nothing sent by SMS yet
    assert "没有暂缓的消息" not in page
    assert "Held until 08:00 (quiet hours)" in en and "Retry at" not in en

    with travel_to(at(2026, 11, 24, 8, 0)):
        sms = [n for n in rows(case.id, channel="sms") if n.status == "pending"][0]
        assert outbox.send_notification(sms.id) == "sent"
        page = app.test_client().get("/dev/inbox?lang=zh").get_data(as_text=True)
    assert "静默时段" not in page and "没有暂缓的消息" in page
    sms_section = page.split('id="sms"')[1].split('id="email"')[0]
    assert "13722223333" in sms_section and case.number in sms_section


def test_sink_files_what_smtp_delivers_and_inbox_reads_it(tmp_path):
    controller = start_sink(tmp_path / "box")
    try:
        with smtplib.SMTP(controller.hostname, controller.port, timeout=5) as smtp:
            smtp.sendmail(
                "a@example.com",
                ["b@example.com"],
                b"Subject: =?utf-8?b?5rWL6K+V?=\r\nTo: b@example.com\r\nDate: Mon, 23 Nov 2026 02:00:00 +0000\r\n"
                b"Content-Type: text/plain; charset=utf-8\r\n\r\nhello",
            )
    finally:
        controller.stop()
    [got] = read_inbox(tmp_path / "box")
    assert (got.to, got.subject, got.text) == ("b@example.com", "测试", "hello")
    assert read_inbox(tmp_path / "never-started") == []


def test_failed_email_shows_a_reason_in_words_not_the_smtp_reply(app, shop, monkeypatch):  # noqa: F811
    from tests.factories import login

    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)  # nothing listens: connection refused
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    case = file(shop, at(2026, 11, 23, 10, 0))
    mail = rows(case.id, channel="email")[0]
    with travel_to(at(2026, 11, 23, 10, 1)):
        assert outbox.send_notification(mail.id) == "retry"
        inbox = app.test_client().get("/dev/inbox?lang=en").get_data(as_text=True)
    # Held for a retry, and said so: not mistaken for quiet hours.
    held = inbox.split('id="held"')[1].split('id="sms"')[0]
    assert "Retry at 11-23 10:0" in held and "quiet hours" not in held and "chen@example.com" in held
    client = app.test_client()
    login(client, "owner@notify.example.com")
    page = client.get("/notify-shop/console/notifications?lang=zh").get_data(as_text=True)
    assert "无法连接邮件或短信服务器" in page
    assert "ConnectionRefusedError" not in page and "SMTP connection failed" not in page
    assert ">connection<" not in page and "retry" not in page.split("<main")[1].split("</main>")[0].replace(
        "status-retry", ""
    )
    assert "等待重试" in page and "我们已收到您的售后申请" in page  # what the message said, in words


def _run_script():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "run.py"
    spec = importlib.util.spec_from_file_location("run_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_run_points_links_at_its_port_and_mail_at_a_sink(tmp_path):
    run = _run_script()
    env = {"DEV_MAIL_DIR": str(tmp_path / "mail")}
    sink = run.configure_links_and_mail(env, tmp_path, "0.0.0.0", "5808")
    try:
        assert env["PUBLIC_BASE_URL"] == "http://127.0.0.1:5808"
        assert env["MAIL_SERVER"] == "127.0.0.1" and int(env["MAIL_PORT"]) == sink.port
        with smtplib.SMTP(env["MAIL_SERVER"], int(env["MAIL_PORT"]), timeout=5) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: hi\r\nTo: b@example.com\r\n\r\nbody")
    finally:
        sink.stop()
    assert [e.subject for e in read_inbox(tmp_path / "mail")] == ["hi"]


def test_make_run_keeps_what_the_user_set(tmp_path):
    run = _run_script()
    env = {"PUBLIC_BASE_URL": "https://shop.example.com", "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": "587"}
    assert run.configure_links_and_mail(env, tmp_path, "127.0.0.1", "5000") is None
    assert env == {"PUBLIC_BASE_URL": "https://shop.example.com", "MAIL_SERVER": "smtp.example.com", "MAIL_PORT": "587"}


def test_config_links_follow_the_port_unless_set():
    import subprocess
    import sys

    def base_url(**env):
        import os

        clean = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_BASE_URL", "PORT", "HOST")}
        out = subprocess.run(
            [sys.executable, "-c", "import config; print(config.Config.PUBLIC_BASE_URL)"],
            env={**clean, **env},
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        )
        return out.stdout.strip()

    assert base_url() == "http://127.0.0.1:5000"
    assert base_url(PORT="5808") == "http://127.0.0.1:5808"
    assert base_url(PORT="5808", PUBLIC_BASE_URL="https://x.example") == "https://x.example"
