"""Provider adapters against a fake SMS provider and a local aiosmtpd server."""

from __future__ import annotations

import email
import json
import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.fakeprovider import BEIJING, FakeSmsProvider
from workers.providers import (
    AliyunSmsGateway,
    DevInboxGateway,
    MessageFault,
    OutgoingEmail,
    OutgoingSms,
    Permanent,
    ProviderError,
    Retryable,
    SendResult,
    SmtpEmailSender,
    Throttled,
    TwilioSmsGateway,
    build_email_sender,
    build_sms_gateway,
)
from workers.providers.aliyun import aliyun_retry_after, percent_encode
from workers.providers.base import classify
from workers.providers.http_api import retry_after_header
from workers.providers.mime import message_id_for, one_line_headers
from workers.providers.phone import to_aliyun, to_e164

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
    return AliyunSmsGateway(
        fake.access_key_id,
        fake.access_key_secret,
        "甜上心头",
        endpoint=fake.aliyun_endpoint,
        timeout=timeout,
        template_code_default="SMS_100001",
    )


def twilio(fake: FakeSmsProvider, timeout: float = 2.0) -> TwilioSmsGateway:
    return TwilioSmsGateway(
        fake.account_sid, fake.auth_token, "+15005550006", endpoint=fake.twilio_endpoint, timeout=timeout
    )


def sms(key: str = "notification-1", to: str = "+8613812345678", **kw) -> OutgoingSms:
    return OutgoingSms(to=to, text="您的退货已签收,正在审核中", idempotency_key=key, tenant_slug="tianshang", **kw)


# ---------- phone numbers and signing helpers -----------------------------------


@pytest.mark.parametrize(
    "raw", ["13812345678", "+8613812345678", "+86 138-1234-5678", "008613812345678", "8613812345678"]
)
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
    now = datetime(2024, 5, 1, 15, 0, tzinfo=UTC)  # 23:00 in Beijing
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
    gateway = AliyunSmsGateway(
        fake.access_key_id,
        "wrong",
        "甜上心头",
        endpoint=fake.aliyun_endpoint,
        timeout=2.0,
        template_code_default="SMS_1",
    )
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


# ---------- Aliyun lookup (reconciliation) --------------------------------------------


def day(offset: int = 0) -> str:
    """A Beijing date as QuerySendDetails' SendDate, `offset` days from today."""
    return (datetime.now(BEIJING) + timedelta(days=offset)).strftime("%Y%m%d")


def utc_ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def queries(fake: FakeSmsProvider) -> list[tuple[str, str]]:
    """(SendDate, CurrentPage) of every QuerySendDetails the fake received, checking each was signed."""
    found = [r for r in fake.requests if r.action == "QuerySendDetails"]
    assert all(r.verified and r.params["PhoneNumber"] == "13812345678" and r.params["PageSize"] for r in found)
    return [(r.params["SendDate"], r.params["CurrentPage"]) for r in found]


def test_only_aliyun_can_look_up(fake):
    assert AliyunSmsGateway.can_lookup
    assert not TwilioSmsGateway.can_lookup and not DevInboxGateway.can_lookup
    with pytest.raises(NotImplementedError):
        twilio(fake).lookup(sms(), utc_ago())
    with pytest.raises(NotImplementedError):
        DevInboxGateway(lambda msg, pid: None).lookup(sms(), utc_ago())
    assert fake.requests == []


@pytest.mark.parametrize("status", [1, 2, 3])  # awaiting receipt, failed at carrier, delivered: all accepted
def test_aliyun_lookup_finds_an_earlier_send_by_out_id(fake, status):
    fake.send_status = status
    gateway = aliyun(fake)
    gateway.send(sms("n-7"))
    gateway.send(sms("n-8"))
    assert gateway.lookup(sms("n-7"), utc_ago()) == SendResult("aliyun-outid-n-7")  # details carry no BizId
    assert queries(fake) == [(day(), "1")]
    assert fake.requests[-1].params["PageSize"] == "50"


def test_aliyun_lookup_uses_the_biz_id_when_details_have_one():
    with FakeSmsProvider(details_include_biz_id=True) as fake:
        gateway = aliyun(fake)
        sent = gateway.send(sms("n-7"))
        assert gateway.lookup(sms("n-7"), utc_ago()) == sent == SendResult("biz-1")


def test_aliyun_lookup_returns_none_for_an_unknown_key_or_other_number(fake):
    gateway = aliyun(fake)
    gateway.send(sms("n-1"))
    assert gateway.lookup(sms("n-2"), utc_ago()) is None
    assert gateway.lookup(sms("n-1", to="13900001111"), utc_ago()) is None
    assert gateway.lookup(sms("n-1"), utc_ago()) is not None


def test_aliyun_lookup_spans_yesterday_and_today(fake):
    gateway = aliyun(fake)
    fake.clock = lambda: datetime.now(BEIJING) - timedelta(days=1)
    gateway.send(sms("n-old"))
    fake.clock = lambda: datetime.now(BEIJING)
    gateway.send(sms("n-new"))
    assert [a.sent_at.strftime("%Y%m%d") for a in fake.accepted] == [day(-1), day()]

    assert gateway.lookup(sms("n-new"), utc_ago(days=1)) is not None
    assert queries(fake) == [(day(-1), "1"), (day(), "1")]  # yesterday, then today
    assert gateway.lookup(sms("n-old"), utc_ago(days=1)) is not None
    assert queries(fake)[2:] == [(day(-1), "1")]  # found on the first date asked
    assert gateway.lookup(sms("n-old"), utc_ago()) is None  # since today: yesterday is not asked
    # Naive means UTC; never more than two dates, starting at since's date.
    naive = utc_ago(days=5).replace(tzinfo=None)
    assert gateway.lookup(sms("n-new"), naive) is None
    assert queries(fake)[-2:] == [(day(-5), "1"), (day(-4), "1")]
    assert gateway.lookup(sms("n-new"), utc_ago(days=-1)) is not None  # a clock ahead still asks today
    assert queries(fake)[-1] == (day(), "1")


def test_aliyun_lookup_pages_through_details(fake):
    gateway = aliyun(fake)
    gateway.LOOKUP_PAGE_SIZE = 2
    for n in range(5):
        gateway.send(sms(f"n-{n}"))
    assert gateway.lookup(sms("n-4"), utc_ago()) == SendResult("aliyun-outid-n-4")
    assert queries(fake) == [(day(), "1"), (day(), "2"), (day(), "3")]
    assert gateway.lookup(sms("n-9"), utc_ago()) is None
    assert len(queries(fake)) == 6


def test_aliyun_lookup_errors_are_classified_like_send(fake):
    gateway = aliyun(fake, timeout=0.5)
    fake.script("http429", "error500", "slow", "ok_then_drop")
    with pytest.raises(Throttled):
        gateway.lookup(sms(), utc_ago())
    with pytest.raises(Retryable) as server_error:
        gateway.lookup(sms(), utc_ago())
    assert server_error.value.code == "isp.SYSTEM_ERROR"
    with pytest.raises(Retryable) as slow:
        gateway.lookup(sms(), utc_ago())
    assert slow.value.code == "timeout"
    with pytest.raises(Retryable) as dropped:
        gateway.lookup(sms(), utc_ago())
    assert dropped.value.code == "connection"
    wrong = AliyunSmsGateway(fake.access_key_id, "wrong", "甜上心头", endpoint=fake.aliyun_endpoint, timeout=2.0)
    with pytest.raises(Retryable) as info:
        wrong.lookup(sms(), utc_ago())
    assert info.value.code == "SignatureDoesNotMatch"
    with pytest.raises(Permanent):
        gateway.lookup(sms(to="12345"), utc_ago())  # like send, before the network
    assert fake.accepted == []


@pytest.mark.parametrize(("behaviour", "code"), [("ok_then_drop", "connection"), ("slow", "timeout")])
def test_accepted_but_unanswered_send_is_retryable_and_found_by_lookup(fake, behaviour, code):
    gateway = aliyun(fake, timeout=0.5)
    fake.script(behaviour)
    started = time.monotonic()
    with pytest.raises(Retryable) as info:
        gateway.send(sms("n-42"))
    assert info.value.code == code and time.monotonic() - started < 1.5
    [accepted] = fake.accepted  # the provider has it although the client saw a failure
    assert (accepted.out_id, accepted.phone, accepted.content) == (
        "n-42",
        "13812345678",
        "【甜上心头】您的退货已签收,正在审核中",
    )
    # The outbox's retry: ask first, and do not send a second time.
    assert gateway.lookup(sms("n-42"), utc_ago(minutes=7)) == SendResult("aliyun-outid-n-42")
    assert [r.action for r in fake.requests].count("SendSms") == 1


def test_fake_store_is_bounded_and_thread_safe():
    with FakeSmsProvider(max_accepted=15) as fake:
        gateway = aliyun(fake)
        threads = [threading.Thread(target=gateway.send, args=(sms(f"n-{n}"),)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        accepted = fake.accepted
        assert len(accepted) == 15 and len({a.biz_id for a in accepted}) == 15
        assert len({r.out_id for r in fake.requests}) == 20


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
    aliyun_gw = build_sms_gateway(
        {
            "SMS_BACKEND": "aliyun",
            "SMS_TIMEOUT": "3",
            "ALIYUN_SMS_ACCESS_KEY_ID": "id",
            "ALIYUN_SMS_ACCESS_KEY_SECRET": "s",
            "ALIYUN_SMS_SIGN_NAME": "签名",
        }
    )
    assert isinstance(aliyun_gw, AliyunSmsGateway) and aliyun_gw.timeout == 3.0
    assert aliyun_gw.endpoint == "https://dysmsapi.aliyuncs.com/"
    twilio_gw = build_sms_gateway(
        {
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_FROM": "+15005550006",
            "TWILIO_ENDPOINT": "http://127.0.0.1:1/",
        }
    )
    assert isinstance(twilio_gw, TwilioSmsGateway) and twilio_gw.endpoint == "http://127.0.0.1:1"
    with pytest.raises(ValueError, match="SMS_BACKEND"):
        build_sms_gateway({"SMS_BACKEND": "pigeon"})
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        build_sms_gateway({"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": "AC1"})

    sender = build_email_sender(
        {
            "MAIL_SERVER": "smtp.example.com",
            "MAIL_PORT": "587",
            "MAIL_USE_TLS": "true",
            "MAIL_TIMEOUT": 4,
            "MAIL_DEFAULT_SENDER": "售后 <service@example.com>",
        }
    )
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
    handler = RecordingHandler(
        {"gone@example.com": "550 5.1.1 No such user", "busy@example.com": "451 4.3.0 Try again later"}
    )
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def mail(to: str = "buyer@example.com", key: str = "notification-42") -> OutgoingEmail:
    return OutgoingEmail(
        to=to,
        subject="您的退货已签收",
        text="正在审核中。",
        html="<p>正在<b>审核</b>中。</p>",
        idempotency_key=key,
        from_name="甜上心头",
        reply_to="service@tianshang.example",
    )


def smtp_sender(port: int, **kw) -> SmtpEmailSender:
    return SmtpEmailSender(
        "127.0.0.1", port, timeout=2.0, default_sender="noreply@aftersales.example", local_hostname="localhost", **kw
    )


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


LONG_ZH = "您的售后申请已受理,我们正在核实商品破损的照片和订单信息,请耐心等待。" * 3
ENCODED_CASES = [
    mail(),
    OutgoingEmail(
        to="c1@example.com",
        subject="售后申请已受理 AS260101-0000-0000-00",
        text="王芳,您好:\r\n\r\n您的售后申请已受理。\n\n查看进度:http://127.0.0.1/t",
        html=None,
        idempotency_key="n7",
        from_name="伏特电器",
    ),
    OutgoingEmail(
        to="c1@example.com",
        subject=LONG_ZH,
        text=LONG_ZH,
        html="<p>" + LONG_ZH * 20 + "</p>",
        idempotency_key="n8",
        from_name=" ".join(["甜上心头"] * 12),
    ),
    OutgoingEmail(
        to="c1@example.com",
        subject="Your case is resolved " * 8,
        text="x" * 3000,
        html="<p>" + "y" * 3000 + "</p>",
        idempotency_key="n9",
        from_name='Volt "Shop", Inc.',
    ),
    OutgoingEmail(to="o'neil+tag@example.com", subject="", text="", html="<p></p>", idempotency_key="tenant 1/n 2"),
]


def _parsed(content: bytes) -> dict:
    parsed = email.message_from_bytes(content, policy=policy.default)
    # Line breaks as the receiver reads them: CRLF and LF are the same text.
    parts = {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in parsed.walk()
        if not part.is_multipart()
    }
    return {
        "type": parsed.get_content_type(),
        "parts": parts,
        "from": parsed["From"].addresses,
        "to": parsed["To"].addresses,
        "reply_to": parsed["Reply-To"] and parsed["Reply-To"].addresses,
        "subject": str(parsed["Subject"]),
        "message_id": parsed["Message-ID"],
        "auto": parsed["Auto-Submitted"],
        "defects": [d for p in parsed.walk() for d in p.defects],
    }


def _stock(sender: SmtpEmailSender, msg: OutgoingEmail) -> bytes:
    """The same message built the plain way: EmailMessage, set_content / add_alternative, email.policy.SMTP."""
    msg = one_line_headers(msg)
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = Address(display_name=msg.from_name or sender.sender_name, addr_spec=sender.sender_addr)
    mail["To"] = Address(addr_spec=msg.to)
    if msg.reply_to:
        mail["Reply-To"] = Address(addr_spec=msg.reply_to)
    mail["Subject"] = msg.subject
    mail["Date"] = datetime.now(UTC)
    mail["Message-ID"] = message_id_for(msg.idempotency_key, sender.sender_addr)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(msg.text)
    if msg.html:
        mail.add_alternative(msg.html, subtype="html")
    return mail.as_bytes()


@pytest.mark.parametrize("msg", ENCODED_CASES)
def test_the_message_on_the_wire_reads_like_the_plainly_built_one(msg):
    sender = smtp_sender(1)
    content = sender.build_message(msg).as_bytes()
    assert content.isascii() and all(len(line) <= 78 for line in content.split(b"\r\n"))
    assert b"\n" not in content.replace(b"\r\n", b"")  # CRLF only: no bare line feed on the wire
    assert _parsed(content) == _parsed(_stock(sender, msg))
    assert _parsed(content)["message_id"] == message_id_for(msg.idempotency_key, sender.sender_addr)
    assert _parsed(content)["defects"] == []
    sent_at = email.message_from_bytes(content, policy=policy.default)["Date"].datetime
    assert abs(sent_at - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize("msg", ENCODED_CASES)
def test_the_policy_shortcuts_write_what_the_stock_smtp_policy_writes(msg):
    """Headers kept whole, the sender line folded once, ready-made part headers: byte for byte the same."""
    mail = smtp_sender(1).build_message(msg)
    assert mail.as_bytes() == mail.as_bytes(policy=policy.SMTP)
    for part in mail.walk():
        if part.is_multipart():
            continue
        stock = MIMEPart(policy=policy.SMTP)
        stock.set_content(part.get_content(), subtype=part.get_content_subtype(), cte="base64")
        content = [(name, str(value)) for name, value in part.items() if name.lower().startswith("content-")]
        assert content == [(name, str(value)) for name, value in stock.items()]
        assert part.get_payload() == stock.get_payload()


@pytest.fixture
def smtputf8_server(request) -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=request.param)
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.mark.parametrize("smtputf8_server", [True], indirect=True)
def test_an_internationalised_address_goes_out_with_smtputf8(smtputf8_server):
    handler, port = smtputf8_server
    result = smtp_sender(port).send(mail(to="buyer@例子.中国"))
    [(_mail_from, rcpt_tos, content)] = handler.messages
    assert rcpt_tos == ["buyer@例子.中国"]
    parsed = email.message_from_string(content.decode("utf-8"), policy=policy.default)  # SMTPUTF8: UTF-8 headers
    assert parsed["To"].addresses[0].addr_spec == "buyer@例子.中国"
    assert str(parsed["Subject"]) == "您的退货已签收"
    assert parsed["Message-ID"] == result.provider_message_id


@pytest.mark.parametrize("smtputf8_server", [False], indirect=True)
def test_an_internationalised_address_without_smtputf8_is_retried(smtputf8_server):
    handler, port = smtputf8_server
    with pytest.raises(Retryable) as info:
        smtp_sender(port).send(mail(to="buyer@例子.中国"))
    assert "extension" in str(info.value)
    assert handler.messages == []


def test_a_line_break_in_reply_to_is_refused_as_the_messages_fault():
    with pytest.raises(MessageFault) as info:
        smtp_sender(1).send(replace(mail(), reply_to="x@example.com\r\nBcc: victim@example.com"))
    assert info.value.code == "invalid_message"


@pytest.mark.parametrize("field", ["subject", "from_name"])
def test_a_line_break_in_a_rendered_header_is_folded_into_one_line(field):
    """Subjects and sender names come from templates and shop names: sent as one line, never a new header."""
    msg = replace(mail(), **{field: "x@example.com\r\nBcc: victim@example.com\u2028\tmore"})
    built = smtp_sender(1).build_message(msg)
    for raw in (built.as_bytes().decode("ascii"), built.as_string()):
        headers = raw.replace("\r\n", "\n").split("\n\n")[0]
        assert not any(line.startswith("Bcc") for line in headers.split("\n"))
    assert smtp_sender(1).build_message(msg)[field.replace("from_name", "From").replace("subject", "Subject")]


def test_a_line_break_in_the_recipient_address_is_the_addresss_fault():
    with pytest.raises(Permanent) as info:
        smtp_sender(1).send(mail(to="a@example.com\r\nBcc: victim@example.com"))
    assert not isinstance(info.value, MessageFault)
    assert info.value.code == "invalid_address"


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
            SmtpEmailSender("127.0.0.1", listener.getsockname()[1], timeout=0.3, local_hostname="localhost").send(
                mail()
            )
        assert time.monotonic() - started < 1.5
    assert info.value.code == "timeout"


def test_smtp_bad_credentials_are_retryable_with_a_config_hint():
    def deny(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    controller = Controller(
        RecordingHandler(), hostname="127.0.0.1", port=free_port(), authenticator=deny, auth_require_tls=False
    )
    controller.start()
    try:
        with pytest.raises(Retryable) as info:
            smtp_sender(controller.port, username="u", password="wrong").send(mail())
    finally:
        controller.stop()
    assert "MAIL_PASSWORD" in str(info.value)
    assert isinstance(info.value.__cause__, smtplib.SMTPAuthenticationError)


def test_one_classification_for_every_provider():
    """Throttled before permanent before configuration; a configuration problem keeps the message."""
    limited = classify("x", "c", throttled=True, permanent=True, check="S")
    assert type(limited) is Throttled and limited.retry_after == 1.0  # the provider did not say how long
    assert classify("x", "c", throttled=True, retry_after=7).retry_after == 7
    gone = classify("x", "c", permanent=True, check="S")
    assert type(gone) is Permanent and gone.code == "c"
    config = classify("bad key", "401", check="API_KEY")
    assert type(config) is Retryable and str(config) == "bad key (check API_KEY)"
    assert type(classify("x", None)) is Retryable


def test_every_provider_error_is_one_family():
    for cls in (Throttled, Retryable, Permanent):
        assert issubclass(cls, ProviderError)
    assert Throttled("x", retry_after=3).retry_after == 3
