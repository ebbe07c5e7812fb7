"""SMS gateways: the development inbox, Aliyun (SendSms, QuerySendDetails) and Twilio, plus the factories."""
from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from workers.providers.base import (
    OutgoingSms,
    Permanent,
    ProviderError,
    Retryable,
    SendResult,
    SmsGateway,
    Throttled,
)
from workers.providers.email import build_email_sender  # noqa: F401  (callers build both channels from here)
from workers.providers.phone import to_aliyun, to_e164

log = logging.getLogger(__name__)

# Providers answer in a few hundred bytes; a cap keeps a misbehaving endpoint from filling memory.
_MAX_RESPONSE = 1 << 20
# China has no daylight saving time, so a fixed offset is exact for Aliyun's day limits.
_BEIJING = timezone(timedelta(hours=8))

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


# ---------- HTTP plumbing shared by the real gateways --------------------------

def _exchange(request: Request, timeout: float) -> tuple[int, Mapping[str, str], bytes]:
    """Status, headers and body of one request; network failures become Retryable."""
    try:
        try:
            with urlopen(request, timeout=timeout) as resp:
                return resp.status, resp.headers, resp.read(_MAX_RESPONSE)
        except HTTPError as exc:
            # 4xx/5xx still carry the provider's error code in the body.
            try:
                return exc.code, exc.headers, exc.read(_MAX_RESPONSE)
            finally:
                exc.close()
    except URLError as exc:
        reason = exc.reason
        if isinstance(reason, TimeoutError):
            raise Retryable(f"timed out after {timeout}s connecting", code="timeout") from exc
        raise Retryable(f"connection failed: {reason}", code="connection") from exc
    except TimeoutError as exc:
        # The request went out and no answer came: ambiguous, the provider may have sent it.
        raise Retryable(f"no answer within {timeout}s", code="timeout") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise Retryable(f"connection failed: {type(exc).__name__}: {exc}", code="connection") from exc


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def retry_after_header(headers: Mapping[str, str]) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date)."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


# ---------- Aliyun SendSms ------------------------------------------------------

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
ALIYUN_PERMANENT = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL",      # not a valid number
    "isv.BLACK_KEY_CONTROL_LIMIT",    # content hits a blacklisted keyword
    "isv.MOBILE_COUNT_OVER_LIMIT",    # never true for one number: a bug, retrying won't fix it
    "isv.PARAM_LENGTH_LIMIT",         # a template parameter is too long
    "isv.TEMPLATE_MISSING_PARAMETERS",
    "isv.INVALID_JSON_PARAM",
    "isv.PARAM_NOT_SUPPORT_URL",
    "isv.NOT_SUPPORTED_COUNTRY",
})
ALIYUN_THROTTLED = frozenset({
    "Throttling", "Throttling.User", "Throttling.Api",
    "isv.BUSINESS_LIMIT_CONTROL",     # per-number frequency control (minute / hour / day)
    "isv.DAY_LIMIT_CONTROL",          # account's daily quota
})


def _seconds_to_beijing_midnight(now: datetime) -> float:
    local = now.astimezone(_BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=5, microsecond=0)
    return (midnight - local).total_seconds()


def aliyun_retry_after(code: str, message: str, now: datetime | None = None) -> float:
    """How long Aliyun's limit lasts; its message says which window was hit (分钟级/小时级/天级)."""
    now = now or datetime.now(timezone.utc)
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
    text = f"Aliyun {code or status}" + (f": {message}" if message else "")
    if code in ALIYUN_THROTTLED:
        return Throttled(text, code=code, retry_after=aliyun_retry_after(code, message))
    if code in ALIYUN_PERMANENT:
        return Permanent(text, code=code)
    if status == 429:
        return Throttled(text, code=code or "429", retry_after=retry_after_header(headers) or 1.0)
    # Unknown codes, 5xx, and configuration trouble (bad key, unapproved template or
    # sign name, empty balance) are retried: the message itself may be fine.
    return Retryable(text, code=code or str(status))


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
            "Timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.VERSION,
            **fields,
        }
        params["Signature"] = sign_rpc(params, self.access_key_secret, "POST")
        return params

    def build_params(self, msg: OutgoingSms, template_code: str) -> dict[str, str]:
        # Aliyun only sends approved templates; without explicit parameters the
        # rendered text fills a generic ${content} template.
        template_params = msg.params if msg.params is not None else {"content": msg.text}
        return self.signed_params("SendSms", {
            "OutId": msg.idempotency_key,
            "PhoneNumbers": to_aliyun(msg.to),
            "SignName": self.sign_name,
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(template_params, ensure_ascii=False, separators=(",", ":")),
        })

    def _call(self, params: Mapping[str, str]) -> dict[str, Any]:
        """POST one signed call; the decoded answer when Code is OK, else the classified error."""
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
        request = Request(
            self.endpoint, data=body.encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                     "Accept": "application/json"},
        )
        status, headers, payload = _exchange(request, self.timeout)
        data = _json(payload)
        code = str(data.get("Code") or "")
        if status == 200 and code == "OK":
            return data
        raise classify_aliyun(status, code, str(data.get("Message") or ""), headers)

    def send(self, msg: OutgoingSms) -> SendResult:
        template_code = msg.template_code or self.template_code_default
        if not template_code:
            raise Retryable("no Aliyun template code for this message: configure the tenant's template",
                            code="config")
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
            since = since.replace(tzinfo=timezone.utc)
        today = datetime.now(_BEIJING).date()
        first = min(since.astimezone(_BEIJING).date(), today)
        for day in (first, first + timedelta(days=1)):
            if day > today:
                break
            for page in range(1, self.LOOKUP_MAX_PAGES + 1):
                data = self._call(self.signed_params("QuerySendDetails", {
                    "PhoneNumber": phone, "SendDate": day.strftime("%Y%m%d"),
                    "PageSize": str(self.LOOKUP_PAGE_SIZE), "CurrentPage": str(page),
                }))
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


# ---------- Twilio ---------------------------------------------------------------

# 21211 invalid To, 21217 invalid number, 21610 recipient replied STOP,
# 21612 not reachable by SMS, 21614 not a mobile number.
TWILIO_PERMANENT = frozenset({21211, 21217, 21610, 21612, 21614})


def classify_twilio(status: int, data: Mapping[str, Any], headers: Mapping[str, str]) -> ProviderError:
    code = data.get("code")
    text = " ".join(str(part) for part in ("Twilio", status, code) if part)
    if data.get("message"):
        text += f": {data['message']}"
    if status == 429 or code == 20429:
        return Throttled(text, code=str(code or 429), retry_after=retry_after_header(headers) or 1.0)
    if code in TWILIO_PERMANENT:
        return Permanent(text, code=str(code))
    if status in (401, 403, 404):
        # Wrong SID/token or an account not allowed to send: configuration, keep the message.
        return Retryable(f"{text} (check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)", code=str(code or status))
    return Retryable(text, code=str(code or status))


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
            data=urlencode(form).encode(), method="POST",
            headers={"Authorization": f"Basic {credentials}", "Accept": "application/json",
                     "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        status, headers, payload = _exchange(request, self.timeout)
        data = _json(payload)
        if 200 <= status < 300 and data.get("sid"):
            return SendResult(provider_message_id=str(data["sid"]))
        raise classify_twilio(status, data, headers)


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
