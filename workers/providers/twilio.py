"""The Twilio SMS gateway (Programmable Messaging)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode
from urllib.request import Request

from workers.providers.base import OutgoingSms, ProviderError, SendResult, SmsGateway, classify
from workers.providers.http_api import exchange, json_body, retry_after_header
from workers.providers.phone import to_e164

# 21211 invalid To, 21217 invalid number, 21610 recipient replied STOP,
# 21612 not reachable by SMS, 21614 not a mobile number.
TWILIO_PERMANENT = frozenset({21211, 21217, 21610, 21612, 21614})


def classify_twilio(status: int, data: Mapping[str, Any], headers: Mapping[str, str]) -> ProviderError:
    code = data.get("code")
    text = " ".join(str(part) for part in ("Twilio", status, code) if part)
    if data.get("message"):
        text += f": {data['message']}"
    throttled = status == 429 or code == 20429
    return classify(
        text,
        str(code or status),
        throttled=throttled,
        retry_after=retry_after_header(headers) if throttled else None,
        permanent=code in TWILIO_PERMANENT,
        # Wrong SID/token or an account not allowed to send: configuration, keep the message.
        check="TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN" if status in (401, 403, 404) else None,
    )


class TwilioSmsGateway(SmsGateway):
    """Twilio Programmable Messaging (POST .../Messages.json with Basic auth).

    This API takes no idempotency key, so a retry after a timeout may send twice;
    the outbox's atomic claim and lease are what keep that to the ambiguous case.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        endpoint: str = "https://api.twilio.com",
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def send(self, msg: OutgoingSms) -> SendResult:
        form = {"To": to_e164(msg.to), "Body": msg.text}
        # A Messaging Service SID (MG…) replaces a fixed sender number.
        form["MessagingServiceSid" if self.from_number.startswith("MG") else "From"] = self.from_number
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = Request(
            f"{self.endpoint}/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages.json",
            data=urlencode(form).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            },
        )
        status, headers, payload = exchange(request, self.timeout)
        data = json_body(payload)
        if 200 <= status < 300 and data.get("sid"):
            return SendResult(provider_message_id=str(data["sid"]))
        raise classify_twilio(status, data, headers)
