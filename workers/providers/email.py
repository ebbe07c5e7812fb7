"""SMTP email sender: multipart text+HTML, per-tenant From name, Message-ID derived from the idempotency key."""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import re
import secrets
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from workers.providers.base import (
    EmailSender,
    MessageFault,
    OutgoingEmail,
    Permanent,
    ProviderError,
    Retryable,
    SendResult,
)

DEFAULT_SENDER = "noreply@aftersales.local"

# Reply codes that speak about the recipient or the message itself: retrying the same
# message to the same address gets the same answer (a hard bounce).
_PERMANENT_SMTP_CODES = frozenset({550, 551, 553})
# Characters allowed unquoted in the left part of a Message-ID (RFC 5322 dot-atom-text).
_MSGID_SAFE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


SUBJECT_MAX = 200
_WHITESPACE_RUN = re.compile(r"\s+")


def one_line(value: str, limit: int = SUBJECT_MAX) -> str:
    """A header value as one line: every run of whitespace (line breaks, tabs, U+2028 …) one space, at most
    `limit` characters (an ellipsis marks a cut). A staff message put into a subject then reads as its start."""
    text = _WHITESPACE_RUN.sub(" ", value or "").strip()
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def message_id_for(idempotency_key: str, sender: str) -> str:
    """`<key@sender-domain>`: the same notification always carries the same Message-ID.

    Receivers that deduplicate on Message-ID then drop a resend, and anyone
    reading the headers can tell a resend from a second notification.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    key = idempotency_key
    if not _MSGID_SAFE.match(key):
        # A hash rather than stripping characters, so two different keys never collide.
        key = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{key}@{domain}>"


def _check_recipient(to: str) -> None:
    if "\r" in to or "\n" in to:
        raise ValueError("the address has a line break")
    Address(addr_spec=to)


def _one_line_headers(msg: OutgoingEmail) -> OutgoingEmail:
    """Subject and sender name rendered from templates and shop names, made single-line headers."""
    subject, from_name = one_line(msg.subject), one_line(msg.from_name, 120)
    if subject == msg.subject and from_name == msg.from_name:
        return msg
    return dataclasses.replace(msg, subject=subject, from_name=from_name)


class SmtpEmailSender(EmailSender):
    """Sends through one SMTP server; a new connection per message keeps failures independent."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        use_ssl: bool = False,
        timeout: float = 10.0,
        default_sender: str = DEFAULT_SENDER,
        local_hostname: str | None = None,
    ) -> None:
        if use_tls and use_ssl:
            raise ValueError("MAIL_USE_TLS (STARTTLS) and MAIL_USE_SSL (implicit TLS) are exclusive")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.use_ssl = use_ssl
        self.timeout = timeout
        self.default_sender = default_sender
        self.local_hostname = local_hostname
        self.sender_name, self.sender_addr = parseaddr(default_sender)
        if "@" not in self.sender_addr:
            raise ValueError(f"MAIL_DEFAULT_SENDER is not an address: {default_sender!r}")

    def build_message(self, msg: OutgoingEmail) -> EmailMessage:
        msg = _one_line_headers(msg)
        mail = EmailMessage()
        # Address objects let the email package encode a Chinese display name (RFC 2047)
        # and quote special characters; formataddr() would give the same header.
        mail["From"] = Address(display_name=msg.from_name or self.sender_name, addr_spec=self.sender_addr)
        mail["To"] = Address(addr_spec=msg.to)
        if msg.reply_to:
            mail["Reply-To"] = Address(addr_spec=msg.reply_to)
        mail["Subject"] = msg.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = message_id_for(msg.idempotency_key, self.sender_addr)
        # RFC 3834: keeps vacation responders from answering a notification.
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(msg.text)
        if msg.html:
            mail.add_alternative(msg.html, subtype="html")
        return mail

    def encode(self, msg: OutgoingEmail) -> tuple[bytes, str] | None:
        """The message as sent (7-bit, CRLF) and its Message-ID; None when an address needs SMTPUTF8.

        The same message build_message() makes (multipart/alternative text + HTML, RFC 2047
        headers, the stable Message-ID), written directly: the email package's header
        registry and generator cost ≈ 2 ms per message, more than the rest of a job's Python.
        Bodies are base64 (any line length, any bytes), so the MIME boundary can never
        occur in them. Raises ValueError for what build_message() refuses.
        """
        msg = _one_line_headers(msg)
        for value in (msg.to, msg.reply_to or ""):
            if "\r" in value or "\n" in value:
                raise ValueError("header values may not contain line breaks")
        to = Address(addr_spec=msg.to).addr_spec
        reply_to = Address(addr_spec=msg.reply_to).addr_spec if msg.reply_to else None
        if not (to.isascii() and self.sender_addr.isascii() and (reply_to or "").isascii()):
            return None
        message_id = message_id_for(msg.idempotency_key, self.sender_addr)
        headers = [f"From: {_mailbox(msg.from_name or self.sender_name, self.sender_addr)}", f"To: {to}"]
        if reply_to:
            headers.append(f"Reply-To: {reply_to}")
        headers += [
            f"Subject: {_unstructured('Subject', msg.subject)}",
            f"Date: {formatdate(usegmt=True)}",
            f"Message-ID: {message_id}",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
        ]
        if msg.html:
            boundary = f"=_{secrets.token_hex(16)}"
            lines = [
                *headers,
                "Content-Type: multipart/alternative;",
                f' boundary="{boundary}"',
                "",
                f"--{boundary}",
                *_text_part("plain", msg.text),
                f"--{boundary}",
                *_text_part("html", msg.html),
                f"--{boundary}--",
                "",
            ]
        else:
            lines = [*headers, *_text_part("plain", msg.text)]
        return "\r\n".join(lines).encode("ascii"), message_id

    def send(self, msg: OutgoingEmail) -> SendResult:
        try:
            _check_recipient(msg.to)
        except (ValueError, HeaderParseError) as exc:
            # The recipient's address itself: the same address fails every time.
            raise Permanent(f"invalid recipient address: {exc}", code="invalid_address") from exc
        try:
            encoded = self.encode(msg)
            mail = self.build_message(msg) if encoded is None else None
        except (ValueError, HeaderParseError) as exc:
            # The message, not the recipient: a reply-to or a header the email package refuses.
            raise MessageFault(f"cannot build email: {exc}", code="invalid_message") from exc
        try:
            smtp = self._connect()
            try:
                if self.username:
                    smtp.login(self.username, self.password or "")
                if mail is None:
                    smtp.sendmail(self.sender_addr, [msg.to], encoded[0])
                else:  # an internationalised address: smtplib negotiates SMTPUTF8
                    smtp.send_message(mail, from_addr=self.sender_addr, to_addrs=[msg.to])
            except BaseException:
                # No QUIT after a failure: on a dead or slow server it would wait another timeout.
                smtp.close()
                raise
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_smtp_error(exc) from exc
        # The server has accepted the message; a failing QUIT must not turn that into a retry.
        message_id = encoded[1] if mail is None else mail["Message-ID"]
        try:
            if msg.on_accepted is not None:
                msg.on_accepted(message_id)  # recorded before QUIT: the QUIT round trip is outside the window
        finally:
            _quit_quietly(smtp)
        return SendResult(provider_message_id=message_id)

    def _connect(self) -> smtplib.SMTP:
        # smtplib applies the timeout to connect and to every read and write on the socket.
        if self.use_ssl:
            return smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.local_hostname or _fqdn(),
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        smtp = smtplib.SMTP(self.host, self.port, local_hostname=self.local_hostname or _fqdn(), timeout=self.timeout)
        if self.use_tls:
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp


@functools.cache
def _fqdn() -> str:
    # What smtplib would say in EHLO, looked up once per process instead of once per message.
    return socket.getfqdn()


def _unstructured(name: str, value: str) -> str:
    """A header value as 7-bit text: RFC 2047 encoded words when it is not ASCII, folded when long."""
    if value.isascii():
        if len(name) + 2 + len(value) <= 78:
            return value
        return Header(value, header_name=name).encode(linesep="\r\n")
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _mailbox(display_name: str, addr: str) -> str:
    if not display_name:
        return addr
    if display_name.isascii():
        return formataddr((display_name, addr))  # quoted when it holds specials
    encoded = Header(display_name, "utf-8", header_name="From").encode(linesep="\r\n")
    return f"{encoded} <{addr}>"


def _text_part(subtype: str, text: str) -> list[str]:
    # Text in its canonical form (CRLF line breaks, RFC 2046 4.1.1) before base64, in 76-character lines.
    body = b"\r\n".join(text.encode("utf-8").splitlines()) + b"\r\n"
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
        "",
        *base64.encodebytes(body).decode("ascii").splitlines(),
    ]


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def _reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


def classify_smtp_error(exc: BaseException) -> ProviderError:
    """Sorts an smtplib/socket failure into Permanent (hard bounce) or Retryable."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        code = replies[0][0] if replies else 0
        detail = "; ".join(f"{c} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}" for c, m in replies)
        if replies and all(500 <= c < 600 for c, _ in replies):
            return Permanent(f"recipient refused: {detail}", code=str(code))
        return Retryable(f"recipient temporarily refused: {detail}", code=str(code))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Retryable(
            f"SMTP login rejected ({_reply(exc)}): check MAIL_USERNAME / MAIL_PASSWORD",
            code=str(exc.smtp_code),
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # About our own address, not the customer's: configuration, so keep the message.
        return Retryable(f"sender refused ({_reply(exc)}): check MAIL_DEFAULT_SENDER", code=str(exc.smtp_code))
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        return Retryable(f"SMTP server refused the session: {_reply(exc)}", code=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPResponseException):
        if exc.smtp_code in _PERMANENT_SMTP_CODES:
            return Permanent(f"message rejected: {_reply(exc)}", code=str(exc.smtp_code))
        return Retryable(f"SMTP error: {_reply(exc)}", code=str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Retryable(f"SMTP server lacks a required extension ({exc}): check MAIL_USE_TLS / MAIL_USE_SSL")
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        # smtplib reports a read timeout as SMTPServerDisconnected raised while handling it.
        return Retryable(f"SMTP timeout: {exc}", code="timeout")
    # SMTPServerDisconnected, refused connections, DNS and TLS errors: transient or ambiguous.
    return Retryable(f"SMTP connection failed: {type(exc).__name__}: {exc}", code="connection")


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def build_email_sender(config: Mapping[str, Any]) -> EmailSender:
    """The SMTP sender described by the MAIL_* configuration keys."""
    return SmtpEmailSender(
        host=config.get("MAIL_SERVER") or "127.0.0.1",
        port=int(config.get("MAIL_PORT") or 25),
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        use_tls=_flag(config.get("MAIL_USE_TLS")),
        use_ssl=_flag(config.get("MAIL_USE_SSL")),
        timeout=float(config.get("MAIL_TIMEOUT") or 10.0),
        default_sender=config.get("MAIL_DEFAULT_SENDER") or DEFAULT_SENDER,
    )
