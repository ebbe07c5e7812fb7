"""Merchant console: edit the draft policy, apply presets, preview, publish, history and diffs."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length

from saas.blueprints.access import require_tenant_staff, roles_required
from saas.blueprints.public import policy_context
from saas.extensions import db
from saas.forms import PAST_YEARS, YEAR, DateWithin, PlainForm
from saas.input_guard import bounded_int
from saas.locale import current_lang, pick
from saas.services import policies
from tenants.categories import CATEGORIES, LEGAL_EXEMPTIONS
from tenants.clock import shop_today
from tenants.models import PolicyVersion
from tenants.presets import PRESETS
from tenants.resolver import current_tenant, pull_slug
from tenants.scoping import get_for_tenant_or_404
from tenants.term_fields import CATEGORY_OVERRIDABLE, CLOCK_UNIT_FIELDS, LEGACY_UNITS, SHIPPING_PAYERS, SLA_FIELDS
from tenants.term_labels import FIELD_LABELS, describe
from tenants.terms import Terms

bp = Blueprint("policy_console", __name__, url_prefix="/<slug>/console/policy")
bp.url_value_preprocessor(pull_slug)
bp.before_request(require_tenant_staff)

MANAGERS = ("owner", "admin")

# The editor's sections, in the order a merchant thinks about them.
SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    (
        "returns",
        (
            "no_reason_return_days",
            "quality_return_days",
            "quality_exchange_days",
            "return_shipping_payer",
            "fresh_quality_refund_24h",
            "legal_exemption",
            "conditions_zh",
            "conditions_en",
        ),
    ),
    (
        "warranty",
        (
            "warranty_months",
            "warranty_scope_zh",
            "warranty_scope_en",
            "paid_repair_after_warranty",
            "repair_cycle_min_days",
            "repair_cycle_max_days",
            "exclusions_zh",
            "exclusions_en",
        ),
    ),
    # Each clock's duration followed by its unit (working or calendar time).
    ("sla", tuple(n for name in SLA_FIELDS for n in (name, CLOCK_UNIT_FIELDS.get(name)) if n)),
    (
        "hours",
        ("business_hours_start", "business_hours_end", "sms_quiet_start", "sms_quiet_end", "survey_delay_working_days"),
    ),
    (
        "texts",
        (
            "channels_zh",
            "channels_en",
            "service_promise_zh",
            "service_promise_en",
            "compensation_rules_zh",
            "compensation_rules_en",
            "food_safety_words",
        ),
    ),
]
_DEFAULTS = Terms()
_LONG_TEXT = {
    "conditions_zh",
    "conditions_en",
    "exclusions_zh",
    "exclusions_en",
    "channels_zh",
    "channels_en",
    "service_promise_zh",
    "service_promise_en",
    "compensation_rules_zh",
    "compensation_rules_en",
    "food_safety_words",
}


_UNIT_NAMES = frozenset(CLOCK_UNIT_FIELDS.values())


def field_kind(name: str) -> str:
    if name in ("return_shipping_payer", "legal_exemption") or name in _UNIT_NAMES:
        return "select"
    default = getattr(_DEFAULTS, name)
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if name in _LONG_TEXT:
        return "textarea"
    return "text"


def field_options(name: str, lang: str) -> list[tuple[str, str]]:
    if name == "return_shipping_payer":
        return [(k, pick(*v, lang)) for k, v in SHIPPING_PAYERS.items()]
    if name == "legal_exemption":
        return [("", _("None"))] + [(k, pick(*v, lang)) for k, v in LEGAL_EXEMPTIONS.items()]
    if name in _UNIT_NAMES:
        return [("working", _("working time")), ("calendar", _("calendar time"))]
    return []


def display_value(name: str, value) -> str:
    """A term's value as an editor's input holds it (the food-safety words one per line)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "\n".join(value)
    return str(value)


def value_words(key: str, value, lang: str) -> str:
    """A term's value in words; `key` may be a diff's "category.field"."""
    return describe(key.rsplit(".", 1)[-1], value, lang)


INHERIT = "__inherit__"  # the category editor's "same as shop-wide" choice in a select


def parse_form(names, form, inherit_blank: bool = False) -> dict:
    """Raw form values for the named terms; checkboxes are absent when unticked.

    With inherit_blank (a category rule), a field left at "same as shop-wide" (an empty box, the
    empty yes/no choice or the INHERIT option) is left out, so the rule does not set it.
    """
    out: dict = {}
    for name in names:
        kind = field_kind(name)
        if kind == "bool":
            if inherit_blank:
                raw = form.get(name, "")
                if raw in ("true", "false"):
                    out[name] = raw == "true"
            else:
                out[name] = name in form
            continue
        # Browsers send a textarea's line breaks as CRLF: store what the page showed.
        raw = form.get(name, "").replace("\r\n", "\n")
        # Only the legal exemption offers an empty choice of its own ("none", over a shop-wide exemption).
        if inherit_blank and (name not in form or raw == INHERIT or (raw.strip() == "" and name != "legal_exemption")):
            continue
        out[name] = raw
    return out


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def shown_again(submitted: dict) -> dict:
    """A refused form's values to show back: as typed, minus characters no page can show."""
    return {k: _CONTROL.sub("", v) if isinstance(v, str) else v for k, v in submitted.items()}


def errors_by_field(errors, lang: str) -> dict[str, list[str]]:
    by_field: dict[str, list[str]] = {}
    for e in errors:
        key = e.field.rsplit(".", 1)[-1]
        label = pick(*FIELD_LABELS.get(key, ("", "")), lang)
        if key in FIELD_LABELS and field_kind(key) == "select":
            # The service's message lists the stored keys (for API users); here a person chose from a list.
            message = _("The %(label)s is not one of the choices: please choose from the list.", label=label)
        else:
            message = pick(e.message_zh, e.message_en, lang)
        if label and re.split(r"（| \(", label)[0] not in message:
            message = _("%(label)s: %(message)s", label=label, message=message)
        by_field.setdefault(key, []).append(message)
    return by_field


class PublishForm(FlaskForm):
    # Past dates get the service's own message; far ahead or year 1 are refused here.
    effective_date = DateField(validators=[DateWithin(past_days=PAST_YEARS * YEAR, future_days=YEAR)])
    change_note = StringField(validators=[Length(max=500)])


@bp.get("/")
def overview():
    return render_template(
        "console/policy/overview.html",
        current=policies.current_version(current_tenant),
        upcoming=policies.upcoming_version(current_tenant),
        draft=policies.get_draft(current_tenant),
        versions=policies.published_versions(current_tenant),
        presets=PRESETS,
        categories=CATEGORIES,
        form=PlainForm(),
        publish_form=PublishForm(effective_date=shop_today(current_tenant)),
    )


@bp.route("/draft", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_draft():
    lang = current_lang()
    form = PlainForm()
    draft = policies.get_draft(current_tenant)
    values = (
        dict(draft.terms)
        if draft
        else (
            dict(policies.published_versions(current_tenant)[0].terms)
            if policies.published_versions(current_tenant)
            else Terms().to_dict()
        )
    )
    values = {**LEGACY_UNITS, **values}  # terms stored before clocks had units counted working time
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.validate_on_submit():
        submitted = parse_form([n for _s, names in SECTIONS for n in names], request.form)
        try:
            policies.save_draft(current_tenant, current_user, submitted)
        except policies.PolicyError as exc:
            db.session.rollback()
            errors = errors_by_field(exc.errors, lang)
            values = {**values, **shown_again(submitted)}
            flash(_("The draft was not saved: please correct the marked fields."), "error")
        else:
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for(".overview"))
    return render_template(
        "console/policy/edit.html",
        form=form,
        sections=SECTIONS,
        values=values,
        errors=errors,
        unit_of=CLOCK_UNIT_FIELDS,
        field_kind=field_kind,
        field_options=field_options,
        display_value=display_value,
        labels=FIELD_LABELS,
        lang=lang,
    ), 422 if errors else 200


@bp.route("/draft/categories/<category>", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def edit_category(category: str):
    if category not in CATEGORIES:
        abort(404)
    lang = current_lang()
    form = PlainForm()
    draft = policies.ensure_draft(current_tenant, current_user)
    names = [n for _s, ns in SECTIONS for n in ns if n in CATEGORY_OVERRIDABLE]
    values = dict(draft.category_rules.get(category, {}))
    # Read before a refused save's rollback can take a draft this visit started with it.
    base = Terms.from_dict(draft.terms).to_dict()
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.validate_on_submit():
        submitted = parse_form(names, request.form, inherit_blank=True)
        try:
            policies.save_category_rule(current_tenant, current_user, category, submitted)
        except policies.PolicyError as exc:
            db.session.rollback()
            errors = errors_by_field(exc.errors, lang)
            values = shown_again(submitted)
            flash(_("The category rule was not saved: please correct the marked fields."), "error")
        else:
            db.session.commit()
            flash(_("Category rule saved."), "success")
            return redirect(url_for(".overview"))
    else:
        db.session.commit()  # the draft, if this visit created it
    return render_template(
        "console/policy/category.html",
        form=form,
        category=category,
        names=names,
        values=values,
        base_words={n: describe(n, base[n], lang) for n in names},
        errors=errors,
        field_kind=field_kind,
        field_options=field_options,
        labels=FIELD_LABELS,
        lang=lang,
        categories=CATEGORIES,
    ), 422 if errors else 200


@bp.post("/draft/preset")
@roles_required(*MANAGERS)
def apply_preset():
    form = PlainForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        policies.start_from_preset(current_tenant, current_user, request.form.get("preset", ""))
    except policies.PolicyError:
        db.session.rollback()
        flash(_("Unknown preset."), "error")
        return redirect(url_for(".overview"))
    db.session.commit()
    flash(_("The preset was applied to the draft. Review it, then publish."), "success")
    return redirect(url_for(".edit_draft"))


@bp.post("/publish")
@roles_required(*MANAGERS)
def publish():
    form = PublishForm()
    if not form.validate_on_submit() or form.effective_date.data is None:
        out_of_range = form.effective_date.errors if form.effective_date.data is not None else []
        for message in out_of_range or [_("Please give a valid effective date.")]:
            flash(message, "error")
        return redirect(url_for(".overview"))
    try:
        version = policies.publish(current_tenant, current_user, form.effective_date.data, form.change_note.data or "")
    except policies.PolicyError as exc:
        db.session.rollback()
        for e in exc.errors:
            flash(pick(e.message_zh, e.message_en), "error")
        return redirect(url_for(".overview"))
    db.session.commit()
    flash(
        _(
            "Version %(number)s is published and takes effect on %(date)s.",
            number=version.number,
            date=version.effective_date.isoformat(),
        ),
        "success",
    )
    return redirect(url_for(".overview"))


@bp.get("/draft/preview")
def preview():
    draft = policies.get_draft(current_tenant)
    if draft is None:
        flash(_("There is no draft yet."), "info")
        return redirect(url_for(".overview"))
    return render_template("public/policy.html", **{**policy_context(draft), "preview": True})


@bp.get("/versions/<int:version_id>")
def version(version_id: int):
    v = get_for_tenant_or_404(PolicyVersion, version_id)
    if not v.is_published:
        abort(404)
    older = [p for p in policies.published_versions(current_tenant) if p.number < v.number]
    against_id = request.args.get("against", type=bounded_int)
    against = None
    if against_id is not None:
        against = get_for_tenant_or_404(PolicyVersion, against_id)
    elif older:
        against = older[0]
    return render_template(
        "console/policy/version.html",
        version=v,
        against=against,
        changes=policies.diff(against, v),
        versions=policies.published_versions(current_tenant),
        lang=current_lang(),
        value_words=value_words,
    )
