"""Notification provider adapters (SMS gateways and the SMTP sender) behind small base classes."""

from workers.providers.aliyun import AliyunSmsGateway
from workers.providers.base import (
    EmailSender,
    MessageFault,
    OutgoingEmail,
    OutgoingSms,
    Permanent,
    ProviderError,
    Retryable,
    SendResult,
    SmsGateway,
    Throttled,
)
from workers.providers.email import SmtpEmailSender, build_email_sender
from workers.providers.sms import DevInboxGateway, build_sms_gateway
from workers.providers.twilio import TwilioSmsGateway

__all__ = [
    "AliyunSmsGateway",
    "DevInboxGateway",
    "EmailSender",
    "MessageFault",
    "OutgoingEmail",
    "OutgoingSms",
    "Permanent",
    "ProviderError",
    "Retryable",
    "SendResult",
    "SmsGateway",
    "SmtpEmailSender",
    "Throttled",
    "TwilioSmsGateway",
    "build_email_sender",
    "build_sms_gateway",
]
