"""A tenant's after-sales policy: the draft, publishing, history, and judging an order by it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from saas import request_memo
from saas.extensions import db
from saas.locale import in_both, pick
from saas.models.base import utcnow
from saas.models.case import Case
from saas.models.user import User
from saas.services import audit
from saas.services.business_calendar import official_days, tenant_country
from saas.services.errors import ServiceError
from tenants.calendar import BusinessCalendar
from tenants.categories import CATEGORIES
from tenants.clock import shop_today
from tenants.models import PolicyVersion, Tenant
from tenants.policy import Remedy, VersionRef, choose_version, evaluate
from tenants.presets import apply_preset
from tenants.term_labels import FIELD_LABELS
from tenants.term_rules import validate_category_rules, validate_terms
from tenants.terms import DEFAULT_CATEGORY_RULES, TermError, Terms


class PolicyError(ServiceError):
    """A refused policy change; `errors` (TermError, in both languages) say what, field by field."""

    def __init__(self, errors: list[TermError]):
        super().__init__("terms", field=errors[0].field if errors else None)
        self.errors = errors

    @property
    def message(self) -> str:
        return " ".join(pick(e.message_zh, e.message_en) for e in self.errors)


def calendar_for(tenant: Tenant) -> BusinessCalendar:
    """The tenant's calendar: hours from its policy in force today (09:00–18:00 without one), its zone and country.

    Reads the tenant's policy, so it runs inside that tenant's context (request or tenant_context()).
    """
    version = current_version(tenant)
    terms = terms_of(version) if version is not None else Terms()
    country = tenant_country(tenant)
    official = official_days(country)
    return BusinessCalendar.from_settings(
        tenant.timezone,
        terms.business_hours_start,
        terms.business_hours_end,
        country=country,
        overrides=official.days,
        covered_override_years=set(official.years),
    )


def service_terms(case: Case) -> tuple[Terms, BusinessCalendar]:
    """The service levels and business calendar a case is held to (the tenant's current terms).

    Worked out once per request: an intake records several events, each of
    which needs them (measured: 4–5 policy lookups per submission before).
    """
    cache = request_memo.table("service_terms")
    if case.tenant_id not in cache:
        tenant = db.session.get(Tenant, case.tenant_id)
        version = current_version(tenant)
        cache[case.tenant_id] = ((terms_of(version) if version else Terms()), calendar_for(tenant))
    return cache[case.tenant_id]


def published_versions(tenant: Tenant) -> list[PolicyVersion]:
    """The shop's published versions, newest first; read once per request (publishing forgets it)."""
    memo = request_memo.table("published_versions")
    if tenant.id not in memo:
        memo[tenant.id] = list(
            db.session.scalars(
                select(PolicyVersion)
                .where(PolicyVersion.tenant_id == tenant.id, PolicyVersion.status == "published")
                .order_by(PolicyVersion.number.desc())
            )
        )
    return list(memo[tenant.id])


def version_by_number(tenant: Tenant, number: int) -> PolicyVersion | None:
    return db.session.scalar(
        select(PolicyVersion).where(
            PolicyVersion.tenant_id == tenant.id, PolicyVersion.status == "published", PolicyVersion.number == number
        )
    )


def current_version(tenant: Tenant, on: date | None = None) -> PolicyVersion | None:
    """The published version in force on a day (today in the tenant's timezone by default)."""
    on = on or shop_today(tenant)
    if has_request_context():  # from the request's list of versions: no query of its own
        return in_force_and_upcoming(published_versions(tenant), on)[0]
    return db.session.scalar(
        select(PolicyVersion)
        .where(
            PolicyVersion.tenant_id == tenant.id,
            PolicyVersion.status == "published",
            PolicyVersion.effective_date <= on,
        )
        .order_by(PolicyVersion.effective_date.desc(), PolicyVersion.number.desc())
        .limit(1)
    )


def in_force_and_upcoming(versions: list[PolicyVersion], on: date) -> tuple[PolicyVersion | None, PolicyVersion | None]:
    """From a tenant's published versions: the one in force on a day, and the next one to come."""
    current = max(
        (v for v in versions if v.effective_date <= on), key=lambda v: (v.effective_date, v.number), default=None
    )
    upcoming = min(
        (v for v in versions if v.effective_date > on), key=lambda v: (v.effective_date, v.number), default=None
    )
    return current, upcoming


def upcoming_version(tenant: Tenant, on: date | None = None) -> PolicyVersion | None:
    on = on or shop_today(tenant)
    return db.session.scalar(
        select(PolicyVersion)
        .where(
            PolicyVersion.tenant_id == tenant.id, PolicyVersion.status == "published", PolicyVersion.effective_date > on
        )
        .order_by(PolicyVersion.effective_date, PolicyVersion.number)
        .limit(1)
    )


def version_for_purchase(tenant: Tenant, purchase_date: date) -> PolicyVersion | None:
    """The version a case is judged under: the one in force on the order's purchase date."""
    versions = [(ref(v), v) for v in published_versions(tenant)]
    chosen = choose_version(versions, purchase_date)
    return chosen[1] if chosen else None


def ref(version: PolicyVersion) -> VersionRef:
    return VersionRef(version.number or 0, version.effective_date or date.min)


def terms_of(version: PolicyVersion) -> Terms:
    return Terms.from_dict(version.terms)


def get_draft(tenant: Tenant) -> PolicyVersion | None:
    return db.session.scalar(
        select(PolicyVersion).where(PolicyVersion.tenant_id == tenant.id, PolicyVersion.status == "draft")
    )


def starting_category_rules(tenant: Tenant) -> dict[str, dict[str, Any]]:
    """The draft's category rules; with no draft yet, those of the version a new draft starts from.

    Saving the terms editor must keep them: the editor does not show category rules, so they were
    never the merchant's to lose by saving it (a first save used to drop them all).
    """
    draft = get_draft(tenant)
    return {k: dict(v) for k, v in (draft.category_rules if draft else _base_category_rules(tenant)).items()}


def _base_category_rules(tenant: Tenant) -> dict[str, dict[str, Any]]:
    latest = published_versions(tenant)
    return latest[0].category_rules if latest else DEFAULT_CATEGORY_RULES


def ensure_draft(tenant: Tenant, actor: User | None) -> PolicyVersion:
    """The tenant's single draft, started from the latest published version (or the defaults)."""
    draft = get_draft(tenant)
    if draft is not None:
        return draft
    latest = published_versions(tenant)
    base = latest[0] if latest else None
    draft = PolicyVersion(
        tenant_id=tenant.id,
        status="draft",
        terms=dict(base.terms) if base else Terms().to_dict(),
        category_rules={k: dict(v) for k, v in _base_category_rules(tenant).items()},
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def save_draft(
    tenant: Tenant, actor: User | None, terms: dict[str, Any], category_rules: dict[str, dict[str, Any]] | None = None
) -> PolicyVersion:
    """Validate and store the draft's terms; nothing is stored when anything is invalid."""
    errors = validate_terms(terms)
    rules = starting_category_rules(tenant) if category_rules is None else category_rules
    if not errors:
        errors += validate_category_rules(rules, Terms.from_dict(terms))
    if errors:
        raise PolicyError(errors)
    draft = ensure_draft(tenant, actor)
    draft.terms = Terms.from_dict(terms).to_dict()
    draft.category_rules = {k: dict(v) for k, v in rules.items() if v}
    db.session.flush()
    audit.record(tenant.id, actor, "policy.draft_saved", draft)
    return draft


def save_category_rule(tenant: Tenant, actor: User | None, category: str, overrides: dict[str, Any]) -> PolicyVersion:
    """Set one category's overrides on the draft (an empty dict removes the rule)."""
    if category not in CATEGORIES:
        raise PolicyError([TermError("category", *in_both(_l("Unknown product category.")))])
    draft = ensure_draft(tenant, actor)
    rules = {k: dict(v) for k, v in draft.category_rules.items()}
    if overrides:
        rules[category] = overrides
    else:
        rules.pop(category, None)
    errors = validate_category_rules(rules, Terms.from_dict(draft.terms))
    if errors:
        raise PolicyError(errors)
    if overrides:
        # Store typed values (0, not "0"), as the engine and the JSON API expect.
        typed = Terms.from_dict(draft.terms).with_overrides(overrides).to_dict()
        rule = {k: typed[k] for k in overrides}
        # A rule saved unchanged stays exactly as it was, key order and all.
        rules[category] = draft.category_rules[category] if rule == draft.category_rules.get(category) else rule
    draft.category_rules = rules
    db.session.flush()
    audit.record(tenant.id, actor, "policy.category_rule_saved", draft, category=category)
    return draft


def start_from_preset(tenant: Tenant, actor: User | None, preset: str) -> PolicyVersion:
    """Replace the draft's terms with a preset's (texts the preset does not set are kept)."""
    try:
        preset_terms, rules = apply_preset(preset)
    except KeyError:
        raise PolicyError([TermError("preset", *in_both(_l("Unknown preset.")))]) from None
    draft = ensure_draft(tenant, actor)
    draft.terms = Terms.from_dict({**draft.terms, **preset_terms}).to_dict()
    draft.category_rules = rules
    db.session.flush()
    audit.record(tenant.id, actor, "policy.preset_applied", draft, preset=preset)
    return draft


def publish(
    tenant: Tenant,
    actor: User | None,
    effective_date: date,
    change_note: str = "",
    today: date | None = None,
    allow_past: bool = False,
) -> PolicyVersion:
    """Freeze the draft as the next version number, in force from effective_date (today or later)."""
    today = today or shop_today(tenant)
    if effective_date < today and not allow_past:
        raise PolicyError([TermError("effective_date", *in_both(_l("The effective date cannot be before today.")))])
    draft = get_draft(tenant)
    if draft is None:
        raise PolicyError([TermError("draft", *in_both(_l("There is no draft to publish.")))])
    errors = validate_terms(draft.terms) or validate_category_rules(draft.category_rules, Terms.from_dict(draft.terms))
    if errors:
        raise PolicyError(errors)
    last = db.session.scalar(select(func.max(PolicyVersion.number)).where(PolicyVersion.tenant_id == tenant.id)) or 0
    draft.number = last + 1
    draft.status = "published"
    draft.effective_date = effective_date
    draft.change_note = change_note.strip()[:500]
    draft.published_at = utcnow()
    draft.published_by_id = actor.id if actor else None
    db.session.flush()
    request_memo.forget("published_versions")  # this request's list no longer holds every version
    audit.record(
        tenant.id, actor, "policy.published", draft, number=draft.number, effective_date=effective_date.isoformat()
    )
    return draft


@dataclass(frozen=True)
class Change:
    key: str
    label_zh: str
    label_en: str
    old: Any
    new: Any


def diff(old: PolicyVersion | None, new: PolicyVersion) -> list[Change]:
    """Terms and category rules that differ between two versions, labelled for people."""
    changes: list[Change] = []
    old_terms = Terms.from_dict(old.terms).to_dict() if old else {}
    for key, value in Terms.from_dict(new.terms).to_dict().items():
        if old_terms.get(key) != value:
            zh, en = FIELD_LABELS.get(key, (key, key))
            changes.append(Change(key, zh, en, old_terms.get(key), value))
    old_rules, new_rules = (old.category_rules if old else {}), new.category_rules
    for cat in sorted(set(old_rules) | set(new_rules), key=list(CATEGORIES).index):
        before, after = old_rules.get(cat, {}), new_rules.get(cat, {})
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                czh, cen = CATEGORIES[cat].zh, CATEGORIES[cat].en
                fzh, fen = FIELD_LABELS.get(key, (key, key))
                changes.append(
                    Change(f"{cat}.{key}", f"{czh} · {fzh}", f"{cen} · {fen}", before.get(key), after.get(key))
                )
    return changes


@dataclass(frozen=True)
class Judgement:
    version: PolicyVersion
    remedies: list[Remedy]


def judge(
    tenant: Tenant,
    category: str,
    purchase_date: date,
    delivery_date: date | None,
    problem: str,
    as_of: date | None = None,
    price: Decimal | None = None,
) -> Judgement | None:
    """Which remedies are open for an order line, under the version in force on its purchase date."""
    version = version_for_purchase(tenant, purchase_date)
    if version is None:
        return None
    remedies = evaluate(
        terms_of(version),
        version.category_rules,
        ref(version),
        category,
        purchase_date,
        delivery_date,
        problem,
        as_of or shop_today(tenant),
        price,
    )
    return Judgement(version, remedies)
