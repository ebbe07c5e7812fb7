"""SMTP email sender: multipart text+HTML, per-tenant From name, Message-ID derived from the idempotency key."""

from __future__ import annotations

import functools
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any

from workers.providers.base import (
    EmailSender,
    MessageFault,
    OutgoingEmail,
    Permanent,
    ProviderError,
    SendResult,
    classify,
)
from workers.providers.mime import build_message

DEFAULT_SENDER = "noreply@aftersales.local"

# Reply codes that speak about the recipient or the message itself: retrying the same
# message to the same address gets the same answer (a hard bounce).
_PERMANENT_SMTP_CODES = frozenset({550, 551, 553})


def _check_recipient(to: str) -> None:
    if "\r" in to or "\n" in to:
        raise ValueError("the address has a line break")
    Address(addr_spec=to)


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
        """The message as sent (see workers/providers/mime.py); ValueError or HeaderParseError if refused."""
        return build_message(msg, self.sender_name, self.sender_addr)

    def send(self, msg: OutgoingEmail) -> SendResult:
        try:
            _check_recipient(msg.to)
        except (ValueError, HeaderParseError) as exc:
            # The recipient's address itself: the same address fails every time.
            raise Permanent(f"invalid recipient address: {exc}", code="invalid_address") from exc
        try:
            mail = self.build_message(msg)
            # Written before connecting; an internationalised address is left to send_message, which
            # negotiates SMTPUTF8 and writes the headers in UTF-8.
            content = mail.as_bytes() if _ascii(msg.to, msg.reply_to, self.sender_addr) else None
        except (ValueError, HeaderParseError) as exc:
            # The message, not the recipient: a reply-to or a header the email package refuses.
            raise MessageFault(f"cannot build email: {exc}", code="invalid_message") from exc
        try:
            smtp = self._connect()
            try:
                if self.username:
                    smtp.login(self.username, self.password or "")
                if content is not None:
                    smtp.sendmail(self.sender_addr, [msg.to], content)
                else:
                    smtp.send_message(mail, from_addr=self.sender_addr, to_addrs=[msg.to])
            except BaseException:
                # No QUIT after a failure: on a dead or slow server it would wait another timeout.
                smtp.close()
                raise
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_smtp_error(exc) from exc
        # The server has accepted the message; a failing QUIT must not turn that into a retry.
        message_id = str(mail["Message-ID"])
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


def _ascii(*values: str | None) -> bool:
    return all((value or "").isascii() for value in values)


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
        detail = "; ".join(f"{c} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}" for c, m in replies)
        bounced = bool(replies) and all(500 <= c < 600 for c, _ in replies)
        text = f"recipient {'refused' if bounced else 'temporarily refused'}: {detail}"
        return classify(text, str(replies[0][0] if replies else 0), permanent=bounced)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return classify(
            f"SMTP login rejected: {_reply(exc)}", str(exc.smtp_code), check="MAIL_USERNAME / MAIL_PASSWORD"
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        # About our own address, not the customer's: configuration, so keep the message.
        return classify(f"sender refused: {_reply(exc)}", str(exc.smtp_code), check="MAIL_DEFAULT_SENDER")
    if isinstance(exc, (smtplib.SMTPConnectError, smtplib.SMTPHeloError)):
        return classify(f"SMTP server refused the session: {_reply(exc)}", str(exc.smtp_code))
    if isinstance(exc, smtplib.SMTPResponseException):
        rejected = exc.smtp_code in _PERMANENT_SMTP_CODES
        text = f"{'message rejected' if rejected else 'SMTP error'}: {_reply(exc)}"
        return classify(text, str(exc.smtp_code), permanent=rejected)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return classify(f"SMTP server lacks a required extension ({exc})", None, check="MAIL_USE_TLS / MAIL_USE_SSL")
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        # smtplib reports a read timeout as SMTPServerDisconnected raised while handling it.
        return classify(f"SMTP timeout: {exc}", "timeout")
    # SMTPServerDisconnected, refused connections, DNS and TLS errors: transient or ambiguous.
    return classify(f"SMTP connection failed: {type(exc).__name__}: {exc}", "connection")


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
