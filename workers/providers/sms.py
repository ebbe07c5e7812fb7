"""SMS gateways: the development inbox here, Aliyun (`aliyun`) and Twilio (`twilio`), and the factory."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from workers.providers.aliyun import AliyunSmsGateway
from workers.providers.base import OutgoingSms, Retryable, SendResult, SmsGateway
from workers.providers.email import build_email_sender  # noqa: F401  (callers build both channels from here)
from workers.providers.twilio import TwilioSmsGateway

log = logging.getLogger(__name__)

Store = Callable[[OutgoingSms, str], None]


# ---------- development inbox -------------------------------------------------


def log_store(msg: OutgoingSms, provider_id: str) -> None:
    """The store used when no inbox writer is given: the console is the inbox."""
    log.info("dev SMS %s to %s: %s", provider_id, msg.to, msg.text)


class DevInboxGateway(SmsGateway):
    """Keeps messages in the development inbox instead of sending them.

    The provider id is derived from the idempotency key, so a retried send hands
    the store the same id and the store can upsert instead of showing a double.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def send(self, msg: OutgoingSms) -> SendResult:
        provider_id = f"dev-{msg.idempotency_key}"
        try:
            self.store(msg, provider_id)
        except Exception as exc:  # keep the contract: send() raises only ProviderError
            raise Retryable(f"dev inbox store failed: {exc}", code="store") from exc
        return SendResult(provider_message_id=provider_id)


# ---------- factory ----------------------------------------------------------------


def _required(config: Mapping[str, Any], key: str) -> str:
    value = config.get(key)
    if not value:
        raise ValueError(f"{key} must be set for SMS_BACKEND={config.get('SMS_BACKEND')}")
    return str(value)


def build_sms_gateway(config: Mapping[str, Any], store: Store | None = None) -> SmsGateway:
    """The gateway named by SMS_BACKEND; missing credentials fail here, loudly, not per message."""
    backend = str(config.get("SMS_BACKEND") or "dev").strip().lower()
    timeout = float(config.get("SMS_TIMEOUT") or 10.0)
    if backend == "dev":
        return DevInboxGateway(store or log_store)
    if backend == "aliyun":
        return AliyunSmsGateway(
            access_key_id=_required(config, "ALIYUN_SMS_ACCESS_KEY_ID"),
            access_key_secret=_required(config, "ALIYUN_SMS_ACCESS_KEY_SECRET"),
            sign_name=_required(config, "ALIYUN_SMS_SIGN_NAME"),
            endpoint=config.get("ALIYUN_SMS_ENDPOINT") or "https://dysmsapi.aliyuncs.com/",
            timeout=timeout,
            template_code_default=config.get("ALIYUN_SMS_TEMPLATE_CODE") or None,
        )
    if backend == "twilio":
        return TwilioSmsGateway(
            account_sid=_required(config, "TWILIO_ACCOUNT_SID"),
            auth_token=_required(config, "TWILIO_AUTH_TOKEN"),
            from_number=_required(config, "TWILIO_FROM"),
            endpoint=config.get("TWILIO_ENDPOINT") or "https://api.twilio.com",
            timeout=timeout,
        )
    raise ValueError(f"unknown SMS_BACKEND {backend!r}: expected dev, aliyun or twilio")
