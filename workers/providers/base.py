"""Messages, results, error classes and base classes shared by the notification providers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar


@dataclass
class OutgoingSms:
    to: str
    text: str
    # The outbox row id (or a key derived from it); the same key on every attempt.
    idempotency_key: str
    tenant_slug: str = ""
    # Template gateways (Aliyun) send a pre-approved template plus parameters, not free text.
    template_code: str | None = None
    params: dict | None = None


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str | None
    idempotency_key: str
    from_name: str = ""
    reply_to: str | None = None
    # Called with the Message-ID the moment the server has accepted the message, before the
    # session is closed: the outbox records the hand-off there, so a worker dying after it
    # cannot send the message again. Senders that cannot tell that moment ignore it.
    on_accepted: Callable[[str], None] | None = field(default=None, compare=False, repr=False)


@dataclass
class SendResult:
    provider_message_id: str


class ProviderError(Exception):
    """A send that did not succeed; the subclass says what the caller should do next.

    `send()` raises only ProviderError subclasses, so the outbox can handle every
    failure with one `except` and decide between retry, backoff and dead.
    """

    def __init__(self, message: str, *, code: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        # Provider or SMTP code, kept so a permanent failure can be shown to the merchant.
        self.code = code
        # Seconds the provider asked us to wait, when it said so; None means "use your backoff".
        self.retry_after = retry_after


class Throttled(ProviderError):
    """The provider is rate limiting us: retry after `retry_after` without counting it as a failure."""


class Retryable(ProviderError):
    """Transient or ambiguous (timeout, connection error, 5xx, SMTP 4xx): retry with backoff.

    Configuration problems (bad credentials, unapproved sender, empty balance) are
    also Retryable: the message itself is fine, so once an operator fixes the
    configuration it goes out instead of having been thrown away. The outbox's
    attempt limit still bounds how long that goes on.

    A timeout after the request was written is ambiguous: the provider may have
    sent the message. Only a provider-side idempotency key makes that retry safe;
    where there is none the outbox's claim/lease keeps the window small.
    """


class Permanent(ProviderError):
    """Retrying cannot help (invalid number, unsubscribed, blacklisted, hard bounce): mark it dead."""


class MessageFault(Permanent):
    """The message as built cannot be sent (a header a template made): the template's fault, never the
    recipient's, so the address is not suppressed and the merchant sees a template error."""


def classify(
    text: str,
    code: str | None,
    *,
    throttled: bool = False,
    retry_after: float | None = None,
    permanent: bool = False,
    check: str | None = None,
) -> ProviderError:
    """A failed send as the outcome the outbox acts on; each provider says what its answer means.

    In this order: `throttled` (the provider is rate limiting us) → Throttled after `retry_after`
    seconds (1 when it did not say); `permanent` (about this recipient or this message: the same
    request fails the same way again) → Permanent; `check` (a configuration problem: the settings
    to check) → Retryable with that hint, since the message is fine and goes out once an operator
    fixes it; anything else (transient, ambiguous, unknown) → Retryable.
    """
    if throttled:
        return Throttled(text, code=code, retry_after=retry_after or 1.0)
    if permanent:
        return Permanent(text, code=code)
    if check:
        return Retryable(f"{text} (check {check})", code=code)
    return Retryable(text, code=code)


class SmsGateway(ABC):
    """Sends one SMS; returns the provider's message id or raises a ProviderError subclass."""

    # True when lookup() can answer; callers check it before asking.
    can_lookup: ClassVar[bool] = False

    @abstractmethod
    def send(self, msg: OutgoingSms) -> SendResult: ...

    def lookup(self, msg: OutgoingSms, since: datetime) -> SendResult | None:
        """Reconciliation: did the provider already accept `msg.idempotency_key` at or after `since`?

        Used before re-sending a row whose previous attempt's outcome is unknown (a
        worker died, or send() raised Retryable after the request went out).

        - a SendResult: the provider accepted it (whatever its delivery status): do not send again;
        - None: the provider says it has no such message: sending is safe;
        - NotImplementedError: this gateway cannot tell (the default, see `can_lookup`):
          the caller re-sends and accepts the small risk of a double;
        - a ProviderError subclass, classified as send() classifies: the question could
          not be answered now; ask again later rather than sending.

        `since` is a moment shortly before the ambiguous attempt; naive means UTC.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot look up sent messages")


class EmailSender(ABC):
    """Sends one email; returns its Message-ID or raises a ProviderError subclass."""

    @abstractmethod
    def send(self, msg: OutgoingEmail) -> SendResult: ...
