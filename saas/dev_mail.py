"""Development mail sink: an SMTP server on this machine storing every email in a Maildir for /dev/inbox."""

from __future__ import annotations

import mailbox
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_sink(maildir: Path, host: str = "127.0.0.1", port: int | None = None):
    """A running aiosmtpd controller on host:port (a free port when None) that files mail in `maildir`.

    Only `make run` and tests call this: aiosmtpd is imported here, never by the app.
    """
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    for sub in ("tmp", "new", "cur"):  # a Maildir, also when the folder exists already
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(str(maildir)), hostname=host, port=port or free_port(host))
    controller.start()
    return controller


@dataclass
class DevEmail:
    received_at: datetime
    to: str
    subject: str
    text: str


def _body(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content().strip()
    except (LookupError, UnicodeDecodeError):
        return ""


def read_inbox(maildir: Path, limit: int = 200) -> list[DevEmail]:
    """The newest `limit` emails of the sink's Maildir (none when the sink never ran)."""
    if not (maildir / "cur").is_dir() and not (maildir / "new").is_dir():
        return []
    box = mailbox.Maildir(str(maildir), factory=None, create=False)
    parser = BytesParser(policy=policy.default)
    emails = []
    for key in box.iterkeys():
        try:
            with box.get_file(key) as fh:
                message = parser.parse(fh)
        except (OSError, KeyError):
            continue  # removed while we read
        try:
            when = parsedate_to_datetime(message["Date"]) if message["Date"] else None
        except (TypeError, ValueError):
            when = None
        if when is None or when.tzinfo is None:
            when = datetime.fromtimestamp(box.get_message(key).get_date(), tz=UTC)
        emails.append(DevEmail(when, str(message["To"] or ""), str(message["Subject"] or ""), _body(message)))
    emails.sort(key=lambda e: e.received_at, reverse=True)
    return emails[:limit]
