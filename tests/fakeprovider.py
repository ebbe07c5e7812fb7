"""A scriptable fake SMS provider on 127.0.0.1 that speaks Aliyun SendSms / QuerySendDetails and Twilio Messages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote_plus, urlsplit

# "ok_then_drop" accepts (and, for SendSms, stores) the message, then closes the connection
# without answering: the client sees a Retryable connection error although the provider has it.
BEHAVIOURS = ("ok", "throttle", "http429", "error500", "invalid_number", "slow", "ok_then_drop")
ACCEPTING = ("ok", "slow", "ok_then_drop")
BEIJING = timezone(timedelta(hours=8))
_ALIYUN_COMMON = (
    "AccessKeyId",
    "Action",
    "Format",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
    "Signature",
)
_ALIYUN_ACTIONS = {
    "SendSms": ("PhoneNumbers", "SignName", "TemplateCode"),
    "QuerySendDetails": ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"),
}
_TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
_MAX_BODY = 64 * 1024


@dataclass
class RecordedRequest:
    kind: str  # "aliyun" | "twilio" | "unknown"
    method: str
    path: str
    params: dict[str, str]
    behaviour: str
    verified: bool  # Aliyun signature or Twilio basic auth checked out
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def out_id(self) -> str | None:
        return self.params.get("OutId")

    @property
    def to(self) -> str | None:
        return self.params.get("PhoneNumbers") or self.params.get("To")

    @property
    def body(self) -> str | None:
        return self.params.get("Body") or self.params.get("TemplateParam")

    @property
    def action(self) -> str | None:
        return self.params.get("Action")


@dataclass(frozen=True)
class AcceptedSms:
    """One SendSms the fake accepted, as QuerySendDetails reports it."""

    out_id: str
    phone: str
    content: str
    template_code: str
    biz_id: str
    sent_at: datetime  # Beijing time
    send_status: int  # 1 awaiting receipt, 2 failed at the carrier, 3 delivered

    def detail(self, with_biz_id: bool) -> dict[str, object]:
        stamp = self.sent_at.strftime("%Y-%m-%d %H:%M:%S")
        dto: dict[str, object] = {
            "OutId": self.out_id,
            "PhoneNum": self.phone,
            "SendStatus": self.send_status,
            "ErrCode": {1: "", 2: "MK:0001", 3: "DELIVERED"}[self.send_status],
            "TemplateCode": self.template_code,
            "Content": self.content,
            "SendDate": stamp,
            "ReceiveDate": stamp if self.send_status != 1 else "",
        }
        if with_biz_id:  # the real API leaves it out
            dto["BizId"] = self.biz_id
        return dto


def pop_encode(value: str) -> str:
    """Aliyun's documented recipe, written independently of the client's quote(safe=...)."""
    return quote_plus(value, encoding="utf-8").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def expected_signature(params: dict[str, str], secret: str, method: str) -> str:
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{pop_encode(k)}={pop_encode(v)}" for k, v in pairs)
    to_sign = method + "&" + pop_encode("/") + "&" + pop_encode(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class FakeSmsProvider:
    """Context manager: `with FakeSmsProvider() as fake: fake.script("throttle", "ok")`.

    Each request (sends and queries alike) takes the next scripted behaviour, or
    `default` once the script is empty. Accepted SendSms calls are kept (the newest
    `max_accepted`) and listed by QuerySendDetails; `clock` dates them, `send_status`
    is the status they get, `details_include_biz_id` adds BizId to the details.
    """

    def __init__(
        self,
        *,
        access_key_id: str = "LTAI-test",
        access_key_secret: str = "aliyun-secret",
        account_sid: str = "ACtest0000",
        auth_token: str = "twilio-token",
        default: str = "ok",
        slow_seconds: float = 2.0,
        retry_after: int = 7,
        send_status: int = 3,
        details_include_biz_id: bool = False,
        max_accepted: int = 10_000,
    ) -> None:
        assert default in BEHAVIOURS
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.default = default
        self.slow_seconds = min(slow_seconds, 5.0)  # bounded: a test never hangs on the fake
        self.retry_after = retry_after
        assert send_status in (1, 2, 3)
        self.send_status = send_status
        self.details_include_biz_id = details_include_biz_id
        self.clock: Callable[[], datetime] = lambda: datetime.now(BEIJING)
        self._accepted: deque[AcceptedSms] = deque(maxlen=max_accepted)
        self._lock = threading.Lock()
        self._script: deque[str] = deque()
        self._requests: list[RecordedRequest] = []
        self._nonces: set[str] = set()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting and inspection ------------------------------------------------

    def script(self, *behaviours: str) -> None:
        for behaviour in behaviours:
            assert behaviour in BEHAVIOURS, behaviour
        with self._lock:
            self._script.extend(behaviours)

    def _next_behaviour(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(request)
            return next(self._ids)

    def _nonce_is_new(self, nonce: str) -> bool:
        with self._lock:
            if nonce in self._nonces:
                return False
            self._nonces.add(nonce)
            return True

    def _accept(self, params: dict[str, str], biz_id: str) -> None:
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            values = {}
        text = " ".join(str(v) for v in values.values()) if isinstance(values, dict) else str(values)
        entry = AcceptedSms(
            out_id=params.get("OutId", ""),
            phone=params["PhoneNumbers"],
            content=f"【{params['SignName']}】{text}",
            template_code=params["TemplateCode"],
            biz_id=biz_id,
            sent_at=self.clock().astimezone(BEIJING),
            send_status=self.send_status,
        )
        with self._lock:
            self._accepted.append(entry)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def accepted(self) -> list[AcceptedSms]:
        with self._lock:
            return list(self._accepted)

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeSmsProvider as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def aliyun_endpoint(self) -> str:
        return self.url + "/"

    @property
    def twilio_endpoint(self) -> str:
        return self.url

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> FakeSmsProvider:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.provider = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sms-provider", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()  # wakes "slow" handlers so nothing outlives the test
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def pause(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    provider: FakeSmsProvider
    daemon_threads = True
    # The default listen backlog (5) drops connections when tests send 20 at once on a busy
    # machine; the client then waits a whole SYN retry and may time out.
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        # A client that timed out and hung up on a "slow" answer is expected, not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._dispatch(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), _MAX_BODY)
        body = self.rfile.read(length).decode("utf-8")
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        params.update(parse_qsl(body, keep_blank_values=True))
        self._dispatch(params)

    def _dispatch(self, params: dict[str, str]) -> None:
        provider = self.server.provider
        path = urlsplit(self.path).path
        headers = {k: v for k, v in self.headers.items()}
        if path == "/":
            kind, verified = "aliyun", self._aliyun_ok(params)
        elif (match := _TWILIO_PATH.match(path)) and self.command == "POST":
            kind, verified = "twilio", self._twilio_ok(match.group(1))
        else:
            provider._record(RecordedRequest("unknown", self.command, path, params, "", False, headers))
            return self._send(404, {"message": "not found"})
        behaviour = provider._next_behaviour()
        number = provider._record(RecordedRequest(kind, self.command, path, params, behaviour, verified, headers))
        if not verified:
            if kind == "aliyun":
                return self._send(
                    400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
                )
            return self._send(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if kind == "aliyun" and params["Action"] == "SendSms" and behaviour in ACCEPTING:
            provider._accept(params, f"biz-{number}")  # accepted before any slow or missing answer
        if behaviour == "ok_then_drop":
            self.close_connection = True  # no status line: the client sees the connection close
            return None
        if behaviour == "slow":
            provider.pause(provider.slow_seconds)
        getattr(self, f"_{kind}_answer")(behaviour, number, params)

    # -- verification ----------------------------------------------------------------

    def _aliyun_ok(self, params: dict[str, str]) -> bool:
        provider = self.server.provider
        action = params.get("Action", "")
        if action not in _ALIYUN_ACTIONS or any(not params.get(k) for k in _ALIYUN_COMMON + _ALIYUN_ACTIONS[action]):
            return False
        if action == "QuerySendDetails" and not (
            re.fullmatch(r"\d{8}", params["SendDate"])
            and params["CurrentPage"].isdigit()
            and params["PageSize"].isdigit()
            and 1 <= int(params["PageSize"]) <= 50
        ):
            return False
        if (
            params["AccessKeyId"] != provider.access_key_id
            or params["Version"] != "2017-05-25"
            or params["SignatureMethod"] != "HMAC-SHA1"
            or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", params["Timestamp"])
        ):
            return False
        expected = expected_signature(params, provider.access_key_secret, self.command)
        return hmac.compare_digest(expected, params["Signature"]) and provider._nonce_is_new(params["SignatureNonce"])

    def _twilio_ok(self, sid: str) -> bool:
        provider = self.server.provider
        wanted = "Basic " + base64.b64encode(f"{provider.account_sid}:{provider.auth_token}".encode()).decode()
        return sid == provider.account_sid and hmac.compare_digest(self.headers.get("Authorization", ""), wanted)

    # -- answers -----------------------------------------------------------------------

    def _aliyun_answer(self, behaviour: str, number: int, params: dict[str, str]) -> None:
        request_id = f"req-{number}"
        if behaviour in ("ok", "slow") and params["Action"] == "QuerySendDetails":
            return self._send(200, {"Code": "OK", "Message": "OK", "RequestId": request_id, **self._details(params)})
        if behaviour in ("ok", "slow"):
            return self._send(200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{number}", "RequestId": request_id})
        if behaviour == "throttle":
            return self._send(
                200,
                {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1", "RequestId": request_id},
            )
        if behaviour == "http429":
            return self._send(
                429,
                {"Code": "Throttling.User", "Message": "Request was denied due to user flow control."},
                {"Retry-After": str(self.server.provider.retry_after)},
            )
        if behaviour == "invalid_number":
            return self._send(
                200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": request_id}
            )
        return self._send(500, {"Code": "isp.SYSTEM_ERROR", "Message": "System error", "RequestId": request_id})

    def _details(self, params: dict[str, str]) -> dict[str, object]:
        provider = self.server.provider
        size, page = int(params["PageSize"]), max(int(params["CurrentPage"]), 1)
        found = [
            a
            for a in provider.accepted
            if a.phone == params["PhoneNumber"] and a.sent_at.strftime("%Y%m%d") == params["SendDate"]
        ]
        shown = found[(page - 1) * size : page * size]
        return {
            "TotalCount": len(found),
            "SmsSendDetailDTOs": {"SmsSendDetailDTO": [a.detail(provider.details_include_biz_id) for a in shown]},
        }

    def _twilio_answer(self, behaviour: str, number: int, params: dict[str, str]) -> None:
        if behaviour in ("ok", "slow"):
            return self._send(
                201,
                {
                    "sid": f"SM{number:032x}",
                    "status": "queued",
                    "to": params.get("To"),
                    "from": params.get("From"),
                    "body": params.get("Body"),
                },
            )
        if behaviour in ("throttle", "http429"):
            return self._send(
                429,
                {"code": 20429, "message": "Too Many Requests", "status": 429},
                {"Retry-After": str(self.server.provider.retry_after)},
            )
        if behaviour == "invalid_number":
            return self._send(
                400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}
            )
        return self._send(500, {"code": 20500, "message": "Internal Server Error", "status": 500})

    def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
