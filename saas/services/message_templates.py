"""Message templates: defaults in zh-CN and en, merchant overrides, placeholder checks, rendering.

The editor's previews with sample values and SMS lengths are message_previews.py."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from flask import render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from saas.extensions import db
from saas.locale import babel_locale, html_lang, lang_of, pick
from saas.models.notification import CHANNELS, MessageTemplate
from saas.services.errors import ServiceError
from tenants.models import Tenant

PLACEHOLDERS = {"shop", "case_number", "message", "link", "customer"}
# Messages composed whole when they are written (the review pack, saas/services/reviews.py): their params
# hold the subject, text and HTML; no merchant template applies to them.
PRECOMPOSED = frozenset({"review_pack"})

# key → (zh subject, en subject). SMS and email bodies share one default shape:
# the case event's own message (already in the case's language) plus the link.
SUBJECTS = {
    "submitted": ("售后申请已提交 {case_number}", "After-sales request received {case_number}"),
    "accepted": ("售后申请已受理 {case_number}", "Your request is accepted {case_number}"),
    "info_requested": ("请补充资料 {case_number}", "Please send us more information {case_number}"),
    "return_requested": ("请寄回商品 {case_number}", "Please send the goods back {case_number}"),
    "return_received": ("退货已签收 {case_number}", "Your return has arrived {case_number}"),
    "inspected": ("退货已验货 {case_number}", "Your return is inspected {case_number}"),
    "verified": ("核查结果 {case_number}", "We have checked your case {case_number}"),
    "proposed": ("处理方案 {case_number}", "Our proposal {case_number}"),
    "refund_paid": ("退款已完成 {case_number}", "Refund paid {case_number}"),
    "replacement_shipped": ("换货已发出 {case_number}", "Replacement shipped {case_number}"),
    "repair_done": ("维修已完成 {case_number}", "Repair done {case_number}"),
    "resolved": ("售后已处理 {case_number}", "Your case is resolved {case_number}"),
    "rejected": ("售后申请结果 {case_number}", "About your request {case_number}"),
    "escalated": ("已升级处理 {case_number}", "Passed to the manager {case_number}"),
    "closed": ("售后已结案 {case_number}", "Your case is closed {case_number}"),
    "reopened": ("售后重新处理 {case_number}", "Your case is reopened {case_number}"),
    "message": ("客服留言 {case_number}", "A message about {case_number}"),
    "auto_reply": ("已收到您的留言 {case_number}", "We received your message {case_number}"),
    "survey_invitation": ("请评价我们的售后服务 {case_number}", "How did we do? {case_number}"),
    "recall": ("重要：商品召回通知", "Important: product recall"),
    "sla_breach": ("服务时限超时 {case_number}", "Service level breached {case_number}"),
    "emergency": ("紧急：食品安全案件 {case_number}", "Emergency: food safety case {case_number}"),
    "escalated_to_manager": ("案件已升级给您 {case_number}", "A case was passed to you {case_number}"),
    # Complaints to the platform: {case_number} carries the complaint's reference.
    "complaint_forwarded": (
        "平台转来投诉，请核实 {case_number}",
        "A complaint from the platform to verify {case_number}",
    ),
    "complaint_reply": ("平台对您投诉的答复 {case_number}", "The platform's answer to your complaint {case_number}"),
}
DEFAULT_SMS = {"zh_Hans": "【{shop}】{message} 详情：{link}", "en": "[{shop}] {message} Details: {link}"}
DEFAULT_EMAIL = {
    "zh_Hans": "{customer}，您好：\n\n{message}\n\n查看进度：{link}\n\n{shop} 售后服务",
    "en": "Dear {customer},\n\n{message}\n\nFollow your case: {link}\n\n{shop} after-sales service",
}
EVENT_TEMPLATE = {
    "compensation_paid": "resolved",
    "explained": "resolved",
    "staff_message": "message",
    "verified": "verified",
    "proposed": "proposed",
}


def template_key_for(event_kind: str) -> str | None:
    key = EVENT_TEMPLATE.get(event_kind, event_kind)
    return key if key in SUBJECTS else None


class TemplateError(ServiceError):
    """A template refused (the placeholder checks quote the merchant's own words); about the body unless said."""

    MESSAGES = {
        "braces": _l("The template has unbalanced braces."),
        "unknown_placeholder": _l("Unknown placeholder(s): %(names)s. Available: %(available)s."),
        "formatted_placeholder": _l("A placeholder is just its name, without a format: write %(names)s."),
        "unknown_template": _l("Unknown template."),
        "empty": _l("The template cannot be empty."),
        "too_long": _l("The template is too long (at most %(limit)s characters)."),
        "subject_lines": _l("The subject must be a single line."),
        "subject_too_long": _l("The subject is too long (at most %(limit)s characters)."),
    }
    FIELDS = {"subject_lines": "subject", "subject_too_long": "subject"}

    @property
    def field(self) -> str:
        return super().field or "body"


def check_placeholders(text: str) -> None:
    """Refuse unknown {placeholders} and broken braces before a template is saved or used."""
    try:
        parsed = [(f, spec, conv) for _lit, f, spec, conv in string.Formatter().parse(text) if f is not None]
    except ValueError:
        raise TemplateError("braces") from None
    available = ", ".join("{" + name + "}" for name in sorted(PLACEHOLDERS))
    unknown = sorted({f for f, _spec, _conv in parsed if f not in PLACEHOLDERS})
    if unknown:
        names = ", ".join("{" + f + "}" for f in unknown)
        raise TemplateError("unknown_placeholder", names=names, available=available)
    # {shop:>99999999} or {shop!r} would pad or mangle the text: a placeholder is its name alone.
    formatted = sorted({f for f, spec, conv in parsed if spec or conv})
    if formatted:
        names = ", ".join("{" + f + "}" for f in formatted)
        raise TemplateError("formatted_placeholder", names=names)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def _override(tenant_id: int, key: str, channel: str, locale: str) -> MessageTemplate | None:
    return db.session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.tenant_id == tenant_id,
            MessageTemplate.key == key,
            MessageTemplate.channel == channel,
            MessageTemplate.locale == locale,
        )
    )


def default_subject(key: str, locale: str) -> str:
    return pick(*SUBJECTS.get(key, ("{case_number}", "{case_number}")), locale)


def default_body(channel: str, locale: str) -> str:
    return (DEFAULT_SMS if channel == "sms" else DEFAULT_EMAIL)[babel_locale(locale)]


# (key, channel, locale) → (subject, body): a shop's own wordings as plain values a cache can keep.
Wordings = Mapping[tuple[str, str, str], tuple[str, str]]


def own_wordings(tenant_id: int) -> dict[tuple[str, str, str], tuple[str, str]]:
    """Every override of a shop in one query (at most one per template, channel and locale)."""
    rows = db.session.execute(
        select(
            MessageTemplate.key,
            MessageTemplate.channel,
            MessageTemplate.locale,
            MessageTemplate.subject,
            MessageTemplate.body,
        ).where(MessageTemplate.tenant_id == tenant_id)
    )
    return {(key, channel, locale): (subject, body) for key, channel, locale, subject, body in rows}


def render(
    tenant: Tenant, key: str, channel: str, locale: str, params: dict, wordings: Wordings | None = None
) -> Rendered:
    """The message as it will be sent; a merchant's bad template raises TemplateError (never sent).

    `wordings` (from own_wordings) saves the override lookup when the caller already holds them.
    """
    if key in PRECOMPOSED:
        return Rendered(
            one_line(str(params.get("subject", ""))), str(params.get("text", "")), params.get("html") or None
        )
    locale = babel_locale(locale)
    if wordings is None:
        row = _override(tenant.id, key, channel, locale)
        own = (row.subject, row.body) if row is not None else None
    else:
        own = wordings.get((key, channel, locale))
    subject = own[0] if own and own[0] else default_subject(key, locale)
    body = own[1] if own else default_body(channel, locale)
    return compose(tenant, channel, locale, subject, body, params)


def compose(tenant: Tenant, channel: str, locale: str, subject: str, body: str, params: dict) -> Rendered:
    """A wording (subject and body) filled with the params; a bad placeholder raises TemplateError."""
    values = {k: str(params.get(k, "")) for k in PLACEHOLDERS}
    values["shop"] = tenant.name(lang_of(locale))
    if channel == "sms":
        check_placeholders(body)
        return Rendered("", body.format_map(values).strip(), None)
    check_placeholders(subject)
    check_placeholders(body)
    text = body.format_map(values).strip()
    # A subject is one line whatever a placeholder brings ({message} may be several paragraphs).
    subject = one_line(subject.format_map(values))
    with force_locale(locale):
        html = render_template(
            "messages/email.html",
            tenant=tenant,
            text=text,
            link=values["link"],
            subject=subject,
            lang=lang_of(locale),
            html_lang=html_lang(locale),
        )
    return Rendered(subject, text, html)


def one_line(value: str, limit: int | None = None) -> str:
    """Every run of whitespace (line breaks, tabs, U+2028 …) one space, at most `limit` characters (SUBJECT_MAX)."""
    limit = limit or SUBJECT_MAX
    text = " ".join((value or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


LOCALES = ("zh_Hans", "en")
SUBJECT_MAX = 200  # the column's size
BODY_MAX = {"sms": 500, "email": 5000}  # the editor's textarea says the same as maxlength


def is_template(key: str, channel: str, locale: str) -> bool:
    return key in SUBJECTS and channel in CHANNELS and locale in LOCALES


def clean(channel: str, subject: str, body: str) -> tuple[str, str]:
    """What is stored for what a browser sent: trimmed, one kind of line break, no subject for SMS."""
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    subject = "" if channel == "sms" else (subject or "").strip()
    return subject, body


def validate(key: str, channel: str, locale: str, subject: str, body: str) -> None:
    """Every reason a template cannot be saved or sent; TemplateError.field says which field is wrong."""
    if not is_template(key, channel, locale):
        raise TemplateError("unknown_template")
    if not body.strip():
        raise TemplateError("empty")
    limit = BODY_MAX[channel]
    if len(body) > limit:
        raise TemplateError("too_long", limit=limit)
    check_placeholders(body)
    if channel == "email":
        if "\n" in subject or "\r" in subject:
            raise TemplateError("subject_lines")
        if len(subject) > SUBJECT_MAX:
            raise TemplateError("subject_too_long", limit=SUBJECT_MAX)
        try:
            check_placeholders(subject)
        except TemplateError as exc:
            raise TemplateError(exc.code, field="subject", **exc.params) from None


def save_override(tenant: Tenant, key: str, channel: str, locale: str, subject: str, body: str) -> MessageTemplate:
    subject, body = clean(channel, subject, body)
    validate(key, channel, locale, subject, body)
    own = _override(tenant.id, key, channel, locale) or MessageTemplate(
        tenant_id=tenant.id, key=key, channel=channel, locale=locale
    )
    own.subject, own.body = subject, body
    db.session.add(own)
    db.session.flush()
    return own


def delete_override(tenant: Tenant, key: str, channel: str, locale: str) -> bool:
    """Back to the default wording; False if there was no override."""
    own = _override(tenant.id, key, channel, locale)
    if own is None:
        return False
    db.session.delete(own)
    db.session.flush()
    return True


def overrides(tenant: Tenant) -> dict[tuple[str, str, str], MessageTemplate]:
    rows = db.session.scalars(select(MessageTemplate).where(MessageTemplate.tenant_id == tenant.id))
    return {(t.key, t.channel, t.locale): t for t in rows}


def current_wording(tenant: Tenant, key: str, channel: str, locale: str) -> tuple[str, str, bool]:
    """(subject, body, customised) as the editor shows them; the subject is '' for SMS."""
    own = _override(tenant.id, key, channel, locale)
    subject = "" if channel == "sms" else (own.subject if own and own.subject else default_subject(key, locale))
    return subject, (own.body if own else default_body(channel, locale)), own is not None
