"""Console: the merchant's own wording for every SMS and email, per language, with a preview."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from saas.blueprints.access import require_tenant_staff, roles_required
from saas.extensions import db
from saas.forms import PlainForm
from saas.services import audit, message_previews, message_templates, notification_words
from saas.services.message_templates import LOCALES, PLACEHOLDERS, SUBJECTS, TemplateError
from tenants.resolver import current_tenant, pull_slug

bp = Blueprint("templates_console", __name__, url_prefix="/<slug>/console")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

MANAGERS = ("owner", "admin")
CHANNELS = ("sms", "email")

KEY_LABELS = notification_words.TEMPLATE_LABELS  # one set of words for every screen that names a message
# Who receives each message, so the list says it in words (the key itself is never shown).
STAFF_KEYS = {"sla_breach", "emergency", "escalated_to_manager", "complaint_forwarded"}
CHANNEL_LABELS = notification_words.CHANNEL_LABELS
LOCALE_LABELS = {"zh_Hans": "中文", "en": "English"}
PLACEHOLDER_HELP = {
    "shop": _l("your shop's name"),
    "case_number": _l("the case number"),
    "message": _l("what happened in the case, in the customer's language"),
    "link": _l("the link to the tracking page"),
    "customer": _l("the customer's name"),
}


def _template_or_404(key: str, channel: str, locale: str) -> None:
    if not message_templates.is_template(key, channel, locale):
        abort(404)


@bp.get("/templates")
def list_templates():
    own = message_templates.overrides(current_tenant)
    # (key, label, {(channel, locale): customised?}) for every template a tenant can change.
    rows = [
        (key, KEY_LABELS[key], {(c, loc): (key, c, loc) in own for c in CHANNELS for loc in LOCALES})
        for key in SUBJECTS
    ]
    return render_template(
        "console/message_templates/list.html",
        rows=rows,
        channels=CHANNELS,
        locales=LOCALES,
        channel_labels=CHANNEL_LABELS,
        locale_labels=LOCALE_LABELS,
        customised=len(own),
        can_edit=current_user.role in MANAGERS,
        staff_keys=STAFF_KEYS,
    )


def _page(
    key: str,
    channel: str,
    locale: str,
    form: PlainForm,
    subject: str,
    body: str,
    customised: bool,
    errors: dict[str, str],
    preview,
    previewing: bool,
    status: int = 200,
):
    length = message_previews.sms_length(preview.text) if preview is not None and channel == "sms" else None
    html = render_template(
        "console/message_templates/edit.html",
        form=form,
        key=key,
        channel=channel,
        locale=locale,
        key_label=KEY_LABELS[key],
        channel_label=CHANNEL_LABELS[channel],
        locale_label=LOCALE_LABELS[locale],
        subject=subject,
        body=body,
        customised=customised,
        errors=errors,
        preview=preview,
        previewing=previewing,
        length=length,
        placeholders=[(p, PLACEHOLDER_HELP[p]) for p in sorted(PLACEHOLDERS)],
        default_subject=message_templates.default_subject(key, locale) if channel == "email" else "",
        default_body=message_templates.default_body(channel, locale),
        can_edit=current_user.role in MANAGERS,
    )
    return html, status


@bp.route("/templates/<key>/<channel>/<locale>", methods=["GET", "POST"])
def edit_template(key: str, channel: str, locale: str):
    _template_or_404(key, channel, locale)
    if request.method == "POST" and current_user.role not in MANAGERS:
        abort(403)
    form = PlainForm()
    subject, body, customised = message_templates.current_wording(current_tenant, key, channel, locale)
    if request.method == "GET":
        try:
            preview = message_previews.preview(current_tenant, key, channel, locale)
        except TemplateError as exc:  # an override saved before the checks were stricter
            return _page(key, channel, locale, form, subject, body, customised, {exc.field: exc.message}, None, False)
        return _page(key, channel, locale, form, subject, body, customised, {}, preview, False)
    if not form.validate_on_submit():
        abort(400)
    subject, body = message_templates.clean(channel, request.form.get("subject", ""), request.form.get("body", ""))
    action = request.form.get("action", "preview")
    try:
        preview = message_previews.preview(current_tenant, key, channel, locale, subject, body)
        if action == "save":
            own = message_templates.save_override(current_tenant, key, channel, locale, subject, body)
            audit.record(
                current_tenant.id, current_user, "message_template.save", own, key=key, channel=channel, locale=locale
            )
    except TemplateError as exc:
        db.session.rollback()
        if action == "save":
            flash(_("The template was not saved: please correct the marked field."), "error")
        return _page(
            key,
            channel,
            locale,
            form,
            subject,
            body,
            customised,
            {exc.field: exc.message},
            None,
            action != "save",
            status=422,
        )
    if action == "save":
        db.session.commit()
        flash(_("Template saved. New messages use it from now on."), "success")
        return redirect(url_for(".edit_template", key=key, channel=channel, locale=locale))
    return _page(key, channel, locale, form, subject, body, customised, {}, preview, True)


@bp.post("/templates/<key>/<channel>/<locale>/reset")
@roles_required(*MANAGERS)
def reset_template(key: str, channel: str, locale: str):
    _template_or_404(key, channel, locale)
    if not PlainForm().validate_on_submit():
        abort(400)
    if message_templates.delete_override(current_tenant, key, channel, locale):
        audit.record(
            current_tenant.id, current_user, "message_template.reset", None, key=key, channel=channel, locale=locale
        )
        db.session.commit()
        flash(_("The default wording is back."), "success")
    else:
        flash(_("This template already uses the default wording."), "info")
    return redirect(url_for(".edit_template", key=key, channel=channel, locale=locale))


@bp.route("/templates/<key>/email/<locale>/preview.html", methods=["GET", "POST"])
def email_preview(key: str, locale: str):
    """The HTML email alone, sandboxed: the template in force (GET) or the draft being edited (POST)."""
    _template_or_404(key, "email", locale)
    try:
        if request.method == "POST":
            if current_user.role not in MANAGERS:
                abort(403)
            if not PlainForm().validate_on_submit():
                abort(400)
            rendered = message_previews.preview(
                current_tenant, key, "email", locale, request.form.get("subject", ""), request.form.get("body", "")
            )
        else:
            rendered = message_previews.preview(current_tenant, key, "email", locale)
    except TemplateError as exc:
        response = make_response(exc.message, 422)
        response.mimetype = "text/plain"
        return response
    response = make_response(rendered.html)
    response.mimetype = "text/html"
    # Shown as it would arrive: its inline styles apply, nothing in it can run or reach this site.
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; form-action 'none'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
