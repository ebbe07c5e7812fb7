"""Provider adapters against a fake SMS provider and a local aiosmtpd server."""
from __future__ import annotations

import email
import json
import smtplib
import socket
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.fakeprovider import FakeSmsProvider
from workers.providers import (
    AliyunSmsGateway,
    DevInboxGateway,
    OutgoingEmail,
    OutgoingSms,
    Permanent,
    ProviderError,
    Retryable,
    SmtpEmailSender,
    Throttled,
    TwilioSmsGateway,
    build_email_sender,
    build_sms_gateway,
)
from workers.providers.email import message_id_for
from workers.providers.phone import to_aliyun, to_e164
from workers.providers.sms import aliyun_retry_after, percent_encode, retry_after_header

# ---------- helpers -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fake() -> Iterator[FakeSmsProvider]:
    with FakeSmsProvider(slow_seconds=2.0) as provider:
        yield provider


def aliyun(fake: FakeSmsProvider, timeout: float = 2.0) -> AliyunSmsGateway:
    return AliyunSmsGateway(fake.access_key_id, fake.access_key_secret, "甜上心头",
                            endpoint=fake.aliyun_endpoint, timeout=timeout, template_code_default="SMS_100001")


def twilio(fake: FakeSmsProvider, timeout: float = 2.0) -> TwilioSmsGateway:
    return TwilioSmsGateway(fake.account_sid, fake.auth_token, "+15005550006",
                            endpoint=fake.twilio_endpoint, timeout=timeout)


def sms(key: str = "notification-1", to: str = "+8613812345678", **kw) -> OutgoingSms:
    return OutgoingSms(to=to, text="您的退货已签收,正在审核中", idempotency_key=key, tenant_slug="tianshang", **kw)


# ---------- phone numbers and signing helpers -----------------------------------


@pytest.mark.parametrize("raw", ["13812345678", "+8613812345678", "+86 138-1234-5678", "008613812345678",
                                 "8613812345678"])
def test_mainland_numbers_normalise(raw):
    assert to_e164(raw) == "+8613812345678"
    assert to_aliyun(raw) == "13812345678"


def test_foreign_numbers_keep_their_country_code():
    assert to_e164("+1 (500) 555-0006") == "+15005550006"
    assert to_aliyun("+85291234567") == "85291234567"


@pytest.mark.parametrize("raw", ["", "12345", "+8601012345678", "0212345678", "not a number"])
def test_invalid_numbers_are_permanent(raw):
    with pytest.raises(Permanent) as info:
        to_e164(raw)
    assert info.value.code == "invalid_number"
    assert "12345678" not in str(info.value)  # masked in the message


def test_percent_encode_follows_aliyun_rules():
    assert percent_encode("a b*c~d+e/") == "a%20b%2Ac~d%2Be%2F"
    assert percent_encode("甜") == "%E7%94%9C"


def test_retry_after_header_accepts_seconds_and_dates():
    assert retry_after_header({"Retry-After": "7"}) == 7.0
    assert retry_after_header({}) is None
    assert retry_after_header({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


def test_aliyun_day_limit_waits_until_beijing_midnight():
    now = datetime(2024, 5, 1, 15, 0, tzinfo=timezone.utc)  # 23:00 in Beijing
    assert aliyun_retry_after("isv.DAY_LIMIT_CONTROL", "", now) == pytest.approx(3605)
    assert aliyun_retry_after("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", now) == 3600


# ---------- Aliyun ------------------------------------------------------------------


def test_aliyun_success_is_signed_and_carries_the_idempotency_key(fake):
    result = aliyun(fake).send(sms(params={"case_no": "RMA-2024-0001", "status": "已签收"}))

    [request] = fake.requests
    assert request.kind == "aliyun" and request.verified  # the fake recomputed the signature
    assert request.method == "POST"
    assert request.out_id == "notification-1"
    assert request.to == "13812345678"  # bare mainland number
    assert request.params["SignName"] == "甜上心头"
    assert request.params["TemplateCode"] == "SMS_100001"
    assert json.loads(request.params["TemplateParam"]) == {"case_no": "RMA-2024-0001", "status": "已签收"}
    assert result.provider_message_id == "biz-1"


def test_aliyun_without_params_sends_the_text_as_content(fake):
    aliyun(fake).send(sms(template_code="SMS_200002"))
    [request] = fake.requests
    assert request.params["TemplateCode"] == "SMS_200002"
    assert json.loads(request.body) == {"content": "您的退货已签收,正在审核中"}


def test_aliyun_wrong_secret_is_rejected_by_the_fake_and_retryable(fake):
    gateway = AliyunSmsGateway(fake.access_key_id, "wrong", "甜上心头", endpoint=fake.aliyun_endpoint,
                               timeout=2.0, template_code_default="SMS_1")
    with pytest.raises(Retryable) as info:
        gateway.send(sms())
    assert info.value.code == "SignatureDoesNotMatch"


def test_aliyun_error_mapping(fake):
    gateway = aliyun(fake)
    fake.script("throttle", "http429", "error500", "invalid_number")

    with pytest.raises(Throttled) as throttled:
        gateway.send(sms("n-1"))
    assert throttled.value.code == "isv.BUSINESS_LIMIT_CONTROL" and throttled.value.retry_after == 60
    with pytest.raises(Throttled) as http429:
        gateway.send(sms("n-2"))
    assert http429.value.retry_after == 1.0  # user flow control clears within a second
    with pytest.raises(Retryable) as server_error:
        gateway.send(sms("n-3"))
    assert server_error.value.code == "isp.SYSTEM_ERROR"
    with pytest.raises(Permanent) as invalid:
        gateway.send(sms("n-4"))
    assert invalid.value.code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert [r.out_id for r in fake.requests] == ["n-1", "n-2", "n-3", "n-4"]


def test_aliyun_invalid_number_fails_before_the_network(fake):
    with pytest.raises(Permanent):
        aliyun(fake).send(sms(to="12345"))
    assert fake.requests == []


def test_aliyun_missing_template_is_a_config_problem(fake):
    gateway = AliyunSmsGateway("id", "secret", "sign", endpoint=fake.aliyun_endpoint, timeout=1.0)
    with pytest.raises(Retryable) as info:
        gateway.send(sms())
    assert info.value.code == "config"


def test_aliyun_slow_answer_is_retryable_within_the_timeout(fake):
    fake.script("slow")
    started = time.monotonic()
    with pytest.raises(Retryable) as info:
        aliyun(fake, timeout=0.5).send(sms())
    assert time.monotonic() - started < 1.5
    assert info.value.code == "timeout"


# ---------- Twilio ------------------------------------------------------------------


def test_twilio_success_uses_e164_and_basic_auth(fake):
    result = twilio(fake).send(sms(to="13812345678"))
    [request] = fake.requests
    assert request.kind == "twilio" and request.verified
    assert request.to == "+8613812345678"
    assert request.params["From"] == "+15005550006"
    assert request.body == "您的退货已签收,正在审核中"
    assert result.provider_message_id.startswith("SM")


def test_twilio_error_mapping(fake):
    gateway = twilio(fake)
    fake.script("throttle", "error500", "invalid_number")
    with pytest.raises(Throttled) as throttled:
        gateway.send(sms())
    assert throttled.value.retry_after == 7  # from Retry-After
    with pytest.raises(Retryable):
        gateway.send(sms())
    with pytest.raises(Permanent) as invalid:
        gateway.send(sms())
    assert invalid.value.code == "21211"


def test_twilio_bad_token_is_retryable_config(fake):
    gateway = TwilioSmsGateway(fake.account_sid, "wrong", "+15005550006", endpoint=fake.twilio_endpoint, timeout=2)
    with pytest.raises(Retryable) as info:
        gateway.send(sms())
    assert "TWILIO_AUTH_TOKEN" in str(info.value)


def test_twilio_slow_answer_is_retryable(fake):
    fake.script("slow")
    started = time.monotonic()
    with pytest.raises(Retryable):
        twilio(fake, timeout=0.5).send(sms())
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_retryable():
    gateway = TwilioSmsGateway("AC1", "t", "+15005550006", endpoint=f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(Retryable) as info:
        gateway.send(sms())
    assert info.value.code == "connection"


# ---------- dev inbox and factories ----------------------------------------------------


def test_dev_gateway_stores_with_a_deterministic_id():
    stored: list[tuple[OutgoingSms, str]] = []
    gateway = DevInboxGateway(lambda msg, pid: stored.append((msg, pid)))
    first = gateway.send(sms("notification-9"))
    second = gateway.send(sms("notification-9"))
    assert first.provider_message_id == second.provider_message_id == "dev-notification-9"
    assert [pid for _, pid in stored] == ["dev-notification-9"] * 2


def test_dev_gateway_store_failure_is_retryable():
    def broken(msg, pid):
        raise RuntimeError("database is locked")

    with pytest.raises(Retryable):
        DevInboxGateway(broken).send(sms())


def test_factories_pick_the_configured_class():
    assert isinstance(build_sms_gateway({"SMS_BACKEND": "dev"}), DevInboxGateway)
    store = lambda msg, pid: None  # noqa: E731
    assert build_sms_gateway({}, store=store).store is store
    aliyun_gw = build_sms_gateway({"SMS_BACKEND": "aliyun", "SMS_TIMEOUT": "3", "ALIYUN_SMS_ACCESS_KEY_ID": "id",
                                   "ALIYUN_SMS_ACCESS_KEY_SECRET": "s", "ALIYUN_SMS_SIGN_NAME": "签名"})
    assert isinstance(aliyun_gw, AliyunSmsGateway) and aliyun_gw.timeout == 3.0
    assert aliyun_gw.endpoint == "https://dysmsapi.aliyuncs.com/"
    twilio_gw = build_sms_gateway({"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t",
                                   "TWILIO_FROM": "+15005550006", "TWILIO_ENDPOINT": "http://127.0.0.1:1/"})
    assert isinstance(twilio_gw, TwilioSmsGateway) and twilio_gw.endpoint == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="SMS_BACKEND"):
        build_sms_gateway({"SMS_BACKEND": "pigeon"})
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        build_sms_gateway({"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": "AC1"})

    sender = build_email_sender({"MAIL_SERVER": "smtp.example.com", "MAIL_PORT": "587", "MAIL_USE_TLS": "true",
                                 "MAIL_TIMEOUT": 4, "MAIL_DEFAULT_SENDER": "售后 <service@example.com>"})
    assert isinstance(sender, SmtpEmailSender)
    assert (sender.port, sender.use_tls, sender.use_ssl, sender.timeout) == (587, True, False, 4.0)
    assert sender.sender_addr == "service@example.com"


# ---------- SMTP ----------------------------------------------------------------------------


class RecordingHandler:
    """Accepts mail, except for addresses given a canned RCPT reply."""

    def __init__(self, replies: dict[str, str] | None = None) -> None:
        self.replies = replies or {}
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.replies:
            return self.replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler({"gone@example.com": "550 5.1.1 No such user",
                                "busy@example.com": "451 4.3.0 Try again later"})
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def mail(to: str = "buyer@example.com", key: str = "notification-42") -> OutgoingEmail:
    return OutgoingEmail(to=to, subject="您的退货已签收", text="正在审核中。", html="<p>正在<b>审核</b>中。</p>",
                         idempotency_key=key, from_name="甜上心头", reply_to="service@tianshang.example")


def smtp_sender(port: int, **kw) -> SmtpEmailSender:
    return SmtpEmailSender("127.0.0.1", port, timeout=2.0, default_sender="noreply@aftersales.example",
                           local_hostname="localhost", **kw)


def test_smtp_sends_multipart_with_chinese_display_name(smtp_server):
    handler, port = smtp_server
    result = smtp_sender(port).send(mail())

    [(mail_from, rcpt_tos, content)] = handler.messages
    assert mail_from == "noreply@aftersales.example" and rcpt_tos == ["buyer@example.com"]
    assert b"=?utf-8?" in content.split(b"\r\n\r\n", 1)[0]  # headers are RFC 2047-encoded, not raw UTF-8
    parsed = email.message_from_bytes(content, policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["From"].addresses[0] == Address("甜上心头", addr_spec="noreply@aftersales.example")
    assert str(parsed["Subject"]) == "您的退货已签收"
    assert parsed["Reply-To"] == "service@tianshang.example"
    assert parsed["Message-ID"] == "<notification-42@aftersales.example>" == result.provider_message_id
    assert parsed.get_body(("plain",)).get_content().strip() == "正在审核中。"
    assert "<b>审核</b>" in parsed.get_body(("html",)).get_content()


def test_smtp_resend_carries_the_same_message_id(smtp_server):
    handler, port = smtp_server
    sender = smtp_sender(port)
    assert sender.send(mail()).provider_message_id == sender.send(mail()).provider_message_id
    ids = {email.message_from_bytes(c)["Message-ID"] for _, _, c in handler.messages}
    assert ids == {"<notification-42@aftersales.example>"}


def test_message_id_hashes_unsafe_keys():
    odd = message_id_for("tenant 1/notification 2", "x@example.com")
    assert odd == message_id_for("tenant 1/notification 2", "x@example.com")
    assert " " not in odd and odd.endswith("@example.com>")


def test_smtp_550_is_permanent_and_451_retryable(smtp_server):
    handler, port = smtp_server
    with pytest.raises(Permanent) as bounced:
        smtp_sender(port).send(mail(to="gone@example.com"))
    assert bounced.value.code == "550"
    with pytest.raises(Retryable) as deferred:
        smtp_sender(port).send(mail(to="busy@example.com"))
    assert deferred.value.code == "451"
    assert handler.messages == []


def test_smtp_malformed_address_is_permanent():
    with pytest.raises(Permanent):
        smtp_sender(1).send(mail(to="not an address"))


def test_smtp_connection_refused_is_retryable():
    with pytest.raises(Retryable) as info:
        smtp_sender(free_port()).send(mail())
    assert info.value.code == "connection"


def test_smtp_silent_server_times_out_as_retryable():
    with socket.socket() as listener:  # accepts TCP (backlog) but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        started = time.monotonic()
        with pytest.raises(Retryable) as info:
            SmtpEmailSender("127.0.0.1", listener.getsockname()[1], timeout=0.3,
                            local_hostname="localhost").send(mail())
        assert time.monotonic() - started < 1.5
    assert info.value.code == "timeout"


def test_smtp_bad_credentials_are_retryable_with_a_config_hint():
    def deny(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    controller = Controller(RecordingHandler(), hostname="127.0.0.1", port=free_port(),
                            authenticator=deny, auth_require_tls=False)
    controller.start()
    try:
        with pytest.raises(Retryable) as info:
            smtp_sender(controller.port, username="u", password="wrong").send(mail())
    finally:
        controller.stop()
    assert "MAIL_PASSWORD" in str(info.value)
    assert isinstance(info.value.__cause__, smtplib.SMTPAuthenticationError)


def test_every_provider_error_is_one_family():
    for cls in (Throttled, Retryable, Permanent):
        assert issubclass(cls, ProviderError)
    assert Throttled("x", retry_after=3).retry_after == 3
