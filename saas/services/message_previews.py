"""What the template editor shows before a wording is saved: the message rendered with sample values, and how
many SMS a text costs."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import current_app

from saas.locale import babel_locale, pick
from saas.services.message_templates import Rendered, clean, compose, current_wording, default_subject, validate
from tenants.models import Tenant

# A message of the kind each template carries, for previews (the real one comes from the case event).
SAMPLE_MESSAGES = {
    "submitted": (
        "我们已收到您的售后申请 {case_number}，会尽快回复。",
        "We have received your after-sales request {case_number} and will reply soon.",
    ),
    "accepted": (
        "您的售后申请已受理，我们正在核查。",
        "Your after-sales request has been accepted. We are now checking it.",
    ),
    "info_requested": ("请补充资料：商品破损处的照片。", "Please send us more information: a photo of the damage."),
    "return_requested": (
        "请寄回商品，退货地址和退货单见进度页面。",
        "Please send the goods back. The return address and a return slip are on your tracking page.",
    ),
    "return_received": ("您的退货已签收，正在验货。", "Your return has been received and is being inspected."),
    "inspected": ("您寄回的商品已验货。", "Your returned goods have been inspected."),
    "verified": ("核查结果：问题由我方负责。", "We have checked your case: the problem is our responsibility."),
    "proposed": ("处理方案：为您换新。", "Our proposal: an exchange for a replacement."),
    "refund_paid": (
        "退款 129.00 元已原路退回。",
        "Your refund of 129.00 yuan has been paid to the original payment method.",
    ),
    "replacement_shipped": (
        "换货已发出，运单号 SF1234567890。",
        "Your replacement has been shipped, tracking number SF1234567890.",
    ),
    "repair_done": ("维修已完成，商品已通过检测。", "The repair is done and the item has passed its test."),
    "resolved": ("赔偿 20.00 元已支付。", "The compensation of 20.00 yuan has been paid."),
    "rejected": (
        "很抱歉，您的申请未通过：已超过退货期限。",
        "We are sorry, your request was not approved: the return period has ended.",
    ),
    "escalated": ("您的案件已转交售后主管处理。", "Your case has been passed to the after-sales manager."),
    "closed": ("您的案件已结案，感谢您的耐心。", "Your case is closed. Thank you for your patience."),
    "reopened": ("您的案件已重新打开，我们会再次处理。", "Your case has been reopened and we are looking at it again."),
    "message": (
        "您好，新的配件已到货，明天为您寄出。",
        "Hello, the new part has arrived and will be sent to you tomorrow.",
    ),
    "auto_reply": (
        "我们在非工作时间收到了您的留言，将于明天 09:00 起处理。",
        "We received your message outside our working hours. We will handle it from 09:00 tomorrow.",
    ),
    "survey_invitation": ("请为本次售后服务打分（1–5 星）。", "Please rate our after-sales service (1–5 stars)."),
    "recall": (
        "您购买的商品批次 20260110 存在安全隐患，请停止使用并联系我们免费退换。",
        "Batch 20260110 of your product has a safety problem: please stop using it and contact us for a free exchange.",
    ),
    "sla_breach": (
        "案件已超过首次响应时限，请尽快处理。",
        "The case has passed its first-response target: please handle it now.",
    ),
    "emergency": (
        "顾客报告食用后身体不适，请立即处理。",
        "A customer reports feeling unwell after eating the product: act now.",
    ),
    "escalated_to_manager": (
        "客服李娜将案件升级给您：顾客第三次来电，要求主管处理。",
        "Agent Li Na passed the case to you: the customer called a third time and asks for a manager.",
    ),
    "complaint_forwarded": (
        "平台转来一条关于您售后服务的投诉，请核实并在后台答复。",
        "The platform forwarded a complaint about your after-sales service: please verify it and answer in the console.",
    ),
    "complaint_reply": (
        "平台就您的投诉答复如下：商家已同意为您退款。",
        "The platform's answer to your complaint: the shop has agreed to refund you.",
    ),
}
SAMPLE_CASE_NUMBER = "AS260115-7K3M-9QXA-2BA"
SAMPLE_CUSTOMER = {"zh_Hans": "陈静", "en": "Jing Chen"}


def sample_params(tenant: Tenant, key: str, locale: str) -> dict:
    locale = babel_locale(locale)
    zh, en = SAMPLE_MESSAGES.get(key, ("", ""))
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {
        "case_number": SAMPLE_CASE_NUMBER,
        "message": pick(zh, en, locale).format(case_number=SAMPLE_CASE_NUMBER),
        "link": f"{base}/{tenant.slug}/track?number={SAMPLE_CASE_NUMBER}",
        "customer": SAMPLE_CUSTOMER[locale],
    }


def preview(
    tenant: Tenant, key: str, channel: str, locale: str, subject: str | None = None, body: str | None = None
) -> Rendered:
    """A template (the one in force, or the one given) rendered with sample values; nothing is saved."""
    if body is None:
        subject, body, _own = current_wording(tenant, key, channel, locale)
    else:
        subject, body = clean(channel, subject or "", body)
        validate(key, channel, locale, subject, body)
        subject = subject or default_subject(key, locale)
    return compose(tenant, channel, locale, subject, body, sample_params(tenant, key, locale))


# ---------- SMS length -------------------------------------------------------

# GSM 03.38: the default alphabet (one septet each) and its extension table (escape + character).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    chars: int  # characters as the network counts them (septets for GSM-7, UTF-16 units for UCS-2)
    segments: int
    encoding: str  # "gsm7" | "ucs2"
    per_segment: int  # characters per segment at this length

    @property
    def multipart(self) -> bool:
        return self.segments > 1


def sms_length(text: str) -> SmsLength:
    """How many SMS a text costs: 160/153 characters per segment in GSM-7, 70/67 in UCS-2 (Chinese)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi, encoding = 160, 153, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "ucs2"
    if units == 0:
        return SmsLength(0, 0, encoding, single)
    if units <= single:
        return SmsLength(units, 1, encoding, single)
    return SmsLength(units, math.ceil(units / multi), encoding, multi)
