"""Public, login-free pages of a tenant: its after-sales home and its policy."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, render_template
from flask_babel import ngettext

from saas.caches.pages import cache_this_page
from saas.locale import current_lang, localized, pick
from saas.services import policies
from tenants import clock
from tenants.categories import CATEGORIES, LEGAL_EXEMPTIONS
from tenants.models import PolicyVersion
from tenants.remedies import no_reason_label
from tenants.resolver import current_tenant, pull_slug
from tenants.term_fields import CLOCK_UNIT_FIELDS, SHIPPING_PAYERS, SLA_FIELDS
from tenants.term_labels import UNITS
from tenants.terms import Terms, effective_terms

bp = Blueprint("public", __name__, url_prefix="/<slug>")
bp.url_value_preprocessor(pull_slug)


@bp.get("/")
def home():
    return render_template("public/home.html", current=policies.current_version(current_tenant))


def category_rows(version: PolicyVersion, lang: str) -> list[dict]:
    """One row per category that has its own rule: the terms that apply to it, resolved."""
    base = policies.terms_of(version)
    rows = []
    for key in CATEGORIES:
        if key not in version.category_rules:
            continue
        terms, fields = effective_terms(base, version.category_rules, key)
        exemption = LEGAL_EXEMPTIONS.get(terms.legal_exemption or "")

        def own(name: str, terms=terms, fields=fields) -> str:
            """The category's own wording of a text term (empty when it keeps the shop's)."""
            return localized(terms, name, lang) if fields & {f"{name}_zh", f"{name}_en"} else ""

        rows.append(
            {
                "key": key,
                "name": pick(CATEGORIES[key].zh, CATEGORIES[key].en, lang),
                "terms": terms,
                "exemption": pick(*exemption, lang) if exemption else "",
                # What the category changes beyond its windows, in plain words (the shop-wide ones are above).
                "shipping": pick(*SHIPPING_PAYERS[terms.return_shipping_payer], lang)
                if "return_shipping_payer" in fields
                else "",
                "warranty_scope": own("warranty_scope"),
                "conditions": own("conditions"),
                "exclusions": own("exclusions"),
            }
        )
    return rows


def clock_within(terms: Terms, name: str) -> str:
    """A promise's time limit in the unit it is made in, for consumers: "10 个工作分钟内", "24 小时内（自然时间）"."""
    n = getattr(terms, name)
    calendar = getattr(terms, CLOCK_UNIT_FIELDS[name]) == "calendar"
    per = UNITS[name][1]
    if per == "minutes":
        return (
            ngettext("within %(num)s minute (calendar time)", "within %(num)s minutes (calendar time)", n)
            if calendar
            else ngettext("within %(num)s working minute", "within %(num)s working minutes", n)
        )
    if per == "hours":
        return (
            ngettext("within %(num)s hour (calendar time)", "within %(num)s hours (calendar time)", n)
            if calendar
            else ngettext("within %(num)s working hour", "within %(num)s working hours", n)
        )
    return (
        ngettext("within %(num)s calendar day", "within %(num)s calendar days", n)
        if calendar
        else ngettext("within %(num)s working day", "within %(num)s working days", n)
    )


def policy_context(
    version: PolicyVersion, history: list[PolicyVersion] | None = None, upcoming: PolicyVersion | None = None
) -> dict:
    lang = current_lang()
    terms = policies.terms_of(version)
    return {
        "version": version,
        "terms": terms,
        "lang": lang,
        "text": lambda name: localized(terms, name, lang),
        "shipping": pick(*SHIPPING_PAYERS[terms.return_shipping_payer], lang),
        "no_reason_label": pick(*no_reason_label(terms.no_reason_return_days), lang),
        "exemption": (pick(*LEGAL_EXEMPTIONS[terms.legal_exemption], lang) if terms.legal_exemption else ""),
        "rows": category_rows(version, lang),
        "sla_fields": SLA_FIELDS,
        "within": lambda name: clock_within(terms, name),
        "clock_units": {getattr(terms, unit) for unit in CLOCK_UNIT_FIELDS.values()},
        "history": history if history is not None else policies.published_versions(current_tenant),
        "upcoming": upcoming if history is not None else policies.upcoming_version(current_tenant),
        "preview": False,
    }


def _end_of_day(tenant, today):
    """When a page that depends on "today" goes stale by itself."""
    return datetime.combine(today + timedelta(days=1), time(0), tzinfo=clock.zone_of(tenant))


@bp.get("/policy")
def policy():
    # Served from memory by saas.caches.pages until the shop or its policy changes.
    versions = policies.published_versions(current_tenant)
    today = clock.shop_today(current_tenant)
    current, upcoming = policies.in_force_and_upcoming(versions, today)
    cache_this_page(current_tenant.id, _end_of_day(current_tenant, today))
    if current is None:
        return render_template("public/policy_unpublished.html", upcoming=upcoming)
    return render_template("public/policy.html", **policy_context(current, versions, upcoming))


@bp.get("/policy/v/<int:number>")
def policy_version(number: int):
    version = policies.version_by_number(current_tenant, number)
    if version is None:
        abort(404)
    return render_template("public/policy.html", **policy_context(version))
