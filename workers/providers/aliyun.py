"""The Aliyun SMS gateway: SendSms with RPC signatures, QuerySendDetails to settle an ambiguous send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote
from urllib.request import Request

from workers.providers.base import OutgoingSms, ProviderError, Retryable, SendResult, SmsGateway, classify
from workers.providers.http_api import exchange, json_body, retry_after_header
from workers.providers.phone import to_aliyun

# China has no daylight saving time, so a fixed offset is exact for Aliyun's day limits.
_BEIJING = timezone(timedelta(hours=8))


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's POP signature wants it.

    Aliyun's recipe starts from Java's URLEncoder and patches '+'→%20, '*'→%2A,
    %7E→'~'; Python's quote() with only unreserved characters safe gives exactly that.
    """
    return quote(str(value), safe="-_.~")


def sign_rpc(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """Aliyun RPC signature version 1.0 (HMAC-SHA1) over the sorted, encoded parameters."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    string_to_sign = f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Codes about this recipient or this message: the same request fails the same way again.
ALIYUN_PERMANENT = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",  # not a valid number
        "isv.BLACK_KEY_CONTROL_LIMIT",  # content hits a blacklisted keyword
        "isv.MOBILE_COUNT_OVER_LIMIT",  # never true for one number: a bug, retrying won't fix it
        "isv.PARAM_LENGTH_LIMIT",  # a template parameter is too long
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.NOT_SUPPORTED_COUNTRY",
    }
)
ALIYUN_THROTTLED = frozenset(
    {
        "Throttling",
        "Throttling.User",
        "Throttling.Api",
        "isv.BUSINESS_LIMIT_CONTROL",  # per-number frequency control (minute / hour / day)
        "isv.DAY_LIMIT_CONTROL",  # account's daily quota
    }
)


def _seconds_to_beijing_midnight(now: datetime) -> float:
    local = now.astimezone(_BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
    return (midnight - local).total_seconds()


def aliyun_retry_after(code: str, message: str, now: datetime | None = None) -> float:
    """How long Aliyun's limit lasts; its message says which window was hit (分钟级/小时级/天级)."""
    now = now or datetime.now(UTC)
    if code == "isv.DAY_LIMIT_CONTROL" or "天级" in message:
        return _seconds_to_beijing_midnight(now)
    if "小时级" in message:
        return 3600.0
    if "分钟级" in message:
        return 60.0
    if code.startswith("Throttling"):
        return 1.0  # API QPS limit: clears within a second
    return 60.0


def classify_aliyun(status: int, code: str, message: str, headers: Mapping[str, str]) -> ProviderError:
    # Unknown codes, 5xx, and configuration trouble (bad key, unapproved template or
    # sign name, empty balance) are retried: the message itself may be fine.
    limited = code in ALIYUN_THROTTLED
    return classify(
        f"Aliyun {code or status}" + (f": {message}" if message else ""),
        code or str(status),
        throttled=limited or (status == 429 and code not in ALIYUN_PERMANENT),
        retry_after=aliyun_retry_after(code, message) if limited else retry_after_header(headers),
        permanent=code in ALIYUN_PERMANENT,
    )


class AliyunSmsGateway(SmsGateway):
    """Aliyun 短信服务 SendSms over its RPC API, form-POSTed so numbers stay out of URLs and logs.

    OutId carries the idempotency key so delivery receipts can be matched to the
    outbox row. Aliyun does not deduplicate on it, but QuerySendDetails lists it,
    so lookup() can tell whether an ambiguous earlier attempt was accepted.
    """

    VERSION = "2017-05-25"
    can_lookup = True
    LOOKUP_PAGE_SIZE = 50  # Aliyun's maximum
    LOOKUP_MAX_PAGES = 20  # per date; far above Aliyun's per-number daily limits

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        endpoint: str = "https://dysmsapi.aliyuncs.com/",
        timeout: float = 10.0,
        template_code_default: str | None = None,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.endpoint = endpoint
        self.timeout = timeout
        self.template_code_default = template_code_default

    def signed_params(self, action: str, fields: Mapping[str, str]) -> dict[str, str]:
        """One RPC call's parameters: the common ones, `fields`, and the signature over all of them."""
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.VERSION,
            **fields,
        }
        params["Signature"] = sign_rpc(params, self.access_key_secret, "POST")
        return params

    def build_params(self, msg: OutgoingSms, template_code: str) -> dict[str, str]:
        # Aliyun only sends approved templates; without explicit parameters the
        # rendered text fills a generic ${content} template.
        template_params = msg.params if msg.params is not None else {"content": msg.text}
        return self.signed_params(
            "SendSms",
            {
                "OutId": msg.idempotency_key,
                "PhoneNumbers": to_aliyun(msg.to),
                "SignName": self.sign_name,
                "TemplateCode": template_code,
                "TemplateParam": json.dumps(template_params, ensure_ascii=False, separators=(",", ":")),
            },
        )

    def _call(self, params: Mapping[str, str]) -> dict[str, Any]:
        """POST one signed call; the decoded answer when Code is OK, else the classified error."""
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        request = Request(
            self.endpoint,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", "Accept": "application/json"},
        )
        status, headers, payload = exchange(request, self.timeout)
        data = json_body(payload)
        code = str(data.get("Code") or "")
        if status == 200 and code == "OK":
            return data
        raise classify_aliyun(status, code, str(data.get("Message") or ""), headers)

    def send(self, msg: OutgoingSms) -> SendResult:
        template_code = msg.template_code or self.template_code_default
        if not template_code:
            raise Retryable("no Aliyun template code for this message: configure the tenant's template", code="config")
        data = self._call(self.build_params(msg, template_code))
        return SendResult(provider_message_id=str(data.get("BizId") or data.get("RequestId") or ""))

    def lookup(self, msg: OutgoingSms, since: datetime) -> SendResult | None:
        """QuerySendDetails for the recipient on `since`'s Beijing date and the next (not past today).

        Any SendStatus counts (1 awaiting receipt, 2 failed at the carrier, 3 delivered):
        Aliyun accepted it. Its details carry no BizId, so the id is "aliyun-outid-<OutId>"
        unless one is present. Aliyun keeps 30 days of records and lists a message a few
        seconds after accepting it.
        """
        if not msg.idempotency_key:
            raise NotImplementedError("no idempotency key to look up")
        phone = to_aliyun(msg.to)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        today = datetime.now(_BEIJING).date()
        first = min(since.astimezone(_BEIJING).date(), today)
        for day in (first, first + timedelta(days=1)):
            if day > today:
                break
            for page in range(1, self.LOOKUP_MAX_PAGES + 1):
                data = self._call(
                    self.signed_params(
                        "QuerySendDetails",
                        {
                            "PhoneNumber": phone,
                            "SendDate": day.strftime("%Y%m%d"),
                            "PageSize": str(self.LOOKUP_PAGE_SIZE),
                            "CurrentPage": str(page),
                        },
                    )
                )
                dtos = data.get("SmsSendDetailDTOs")
                entries = dtos.get("SmsSendDetailDTO") if isinstance(dtos, dict) else None
                entries = [entries] if isinstance(entries, dict) else entries if isinstance(entries, list) else []
                for entry in entries:
                    if isinstance(entry, dict) and str(entry.get("OutId") or "") == msg.idempotency_key:
                        return SendResult(str(entry.get("BizId") or f"aliyun-outid-{msg.idempotency_key}"))
                total = data.get("TotalCount")
                size = self.LOOKUP_PAGE_SIZE
                if len(entries) < size or (total is not None and page * size >= _int(total)):
                    break
        return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
