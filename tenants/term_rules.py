"""Checking terms before they are saved: every field's range and the rules between fields, for the shop and each category."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from tenants.categories import CATEGORIES, LEGAL_NO_REASON_DAYS
from tenants.term_fields import (
    CATEGORY_OVERRIDABLE,
    CLOCK_UNIT_FIELDS,
    REPAIR_CYCLE_FIELDS,
    SLA_FIELDS,
    WINDOW_DAY_FIELDS,
)
from tenants.term_labels import CLOCK_UNIT_WORDS, FIELD_LABELS, UNITS
from tenants.terms import TERM_FIELDS, Bad, TermError, Terms, coerce_all, field_error

MAX_WINDOW_DAYS = 3650
MAX_WARRANTY_MONTHS = 120
MAX_REPAIR_DAYS = 365
# A policy's free-text sections are printed on one page; numbers beyond this overflow date arithmetic.
MAX_TERM_TEXT = 2000
MAX_TERM_NUMBER = 100_000
# The longest promise a service level may make, by its unit: a month, counted in that unit.
SLA_LIMITS = {"minutes": 43_200, "hours": 720, "days": 30}


def _window_days_error(v: int) -> Bad | None:
    if v < 0:
        return Bad("不能为负数。", "cannot be negative.")
    if v > MAX_WINDOW_DAYS:
        return Bad(f"不能超过 {MAX_WINDOW_DAYS} 天。", f"cannot exceed {MAX_WINDOW_DAYS} days.")
    return None


def _warranty_error(v: int) -> Bad | None:
    if 0 <= v <= MAX_WARRANTY_MONTHS:
        return None
    return Bad(f"须在 0 到 {MAX_WARRANTY_MONTHS} 个月之间。", f"must be between 0 and {MAX_WARRANTY_MONTHS} months.")


def _repair_days_error(v: int) -> Bad | None:
    if v < 1:
        return Bad("须至少为 1 个工作日。", "must be at least 1 working day.")
    if v > MAX_REPAIR_DAYS:
        return Bad(f"不能超过 {MAX_REPAIR_DAYS} 个工作日。", f"cannot exceed {MAX_REPAIR_DAYS} working days.")
    return None


def _service_level_error(t: Terms, name: str, v: int) -> Bad | None:
    """A promise must be positive and at most a month, in the words of the clock it counts in."""
    if v <= 0:
        return Bad("须为正数。", "must be a positive number.")
    counted_in = UNITS[name][1]
    most = SLA_LIMITS[counted_in]
    if v <= most:
        return None
    unit = getattr(t, CLOCK_UNIT_FIELDS[name]) if name in CLOCK_UNIT_FIELDS else ""
    zh, en = CLOCK_UNIT_WORDS.get((counted_in, unit), UNITS[name])
    return Bad(f"不能超过 {most} {zh}。", f"cannot exceed {most} {en}.")


def _size_error(v: Any) -> Bad | None:
    """Any other field: a text (or word list) that fits on the page, a number date arithmetic can take."""
    text = "\n".join(map(str, v)) if isinstance(v, (list, tuple)) else v
    if isinstance(text, str) and len(text) > MAX_TERM_TEXT:
        return Bad(f"不能超过 {MAX_TERM_TEXT} 个字符。", f"cannot be longer than {MAX_TERM_TEXT} characters.")
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_TERM_NUMBER:
        return Bad(f"不能超过 {MAX_TERM_NUMBER}。", f"cannot exceed {MAX_TERM_NUMBER}.")
    return None


def _range_error(t: Terms, name: str) -> Bad | None:
    """What is wrong with one field's value on its own, if anything."""
    v = getattr(t, name)
    if name in WINDOW_DAY_FIELDS or name == "survey_delay_working_days":
        return _window_days_error(v)
    if name == "warranty_months":
        return _warranty_error(v)
    if name in REPAIR_CYCLE_FIELDS:
        return _repair_days_error(v)
    if name in SLA_FIELDS:
        return _service_level_error(t, name, v)
    return _size_error(v)


# The rules between two fields: each gives the words of its refusal, or None when the pair agrees.


def _exchange_shorter_than_return(t: Terms) -> tuple[str, str] | None:
    if t.quality_exchange_days >= t.quality_return_days:
        return None
    return (
        f"质量问题换货期限（{t.quality_exchange_days} 天）不能短于质量问题退货期限（{t.quality_return_days} 天）。",
        f"The quality-problem exchange window ({t.quality_exchange_days} days) cannot be shorter than the "
        f"quality-problem return window ({t.quality_return_days} days).",
    )


def _below_the_legal_minimum(t: Terms) -> tuple[str, str] | None:
    if not 0 <= t.no_reason_return_days < LEGAL_NO_REASON_DAYS or t.legal_exemption:
        return None
    return (
        f"无理由退货期限不能少于 {LEGAL_NO_REASON_DAYS} 天（《消费者权益保护法》第二十五条）。只有依法豁免的商品"
        "（消费者定作、鲜活易腐、数字化商品、报纸期刊）可以缩短或设为 0：请同时选择豁免依据。",
        f"The no-reason return window cannot be shorter than {LEGAL_NO_REASON_DAYS} days (Consumer Rights "
        "Protection Law art. 25). Only goods exempt by law (made to order, fresh and perishable, digital, "
        "newspapers and periodicals) may have less or 0: choose the exemption as well.",
    )


def _survey_after_the_followup(t: Terms) -> tuple[str, str] | None:
    if not t.survey_delay_working_days > t.followup_working_days > 0:
        return None
    zh_unit, en_unit = CLOCK_UNIT_WORDS[("days", t.followup_unit)]
    return (
        f"满意度调查就是结案后的回访：须在回访时限（{t.followup_working_days} {zh_unit}）内发出，"
        f"不能延迟 {t.survey_delay_working_days} 个工作日。",
        f"The survey is the follow-up after resolution: it must go out within the follow-up time "
        f"({t.followup_working_days} {en_unit}), not after {t.survey_delay_working_days}.",
    )


def _repair_cycle_reversed(t: Terms) -> tuple[str, str] | None:
    if t.repair_cycle_min_days <= t.repair_cycle_max_days:
        return None
    return (
        f"维修周期上限（{t.repair_cycle_max_days} 个工作日）不能小于下限（{t.repair_cycle_min_days} 个工作日）。",
        f"The longest repair cycle ({t.repair_cycle_max_days} working days) cannot be shorter than the "
        f"shortest ({t.repair_cycle_min_days} working days).",
    )


def _business_hours_reversed(t: Terms) -> tuple[str, str] | None:
    if t.business_hours_start < t.business_hours_end:
        return None
    return (
        f"营业结束时间（{t.business_hours_end}）须晚于开始时间（{t.business_hours_start}）。",
        f"Business hours must end ({t.business_hours_end}) later than they start ({t.business_hours_start}).",
    )


def _quiet_hours_empty(t: Terms) -> tuple[str, str] | None:
    """Quiet hours usually cross midnight (21:00–08:00), so only equal ends are meaningless."""
    if t.sms_quiet_start != t.sms_quiet_end:
        return None
    return (
        f"短信免打扰的开始和结束时间不能相同（均为 {t.sms_quiet_end}）。",
        f"SMS quiet hours cannot start and end at the same time ({t.sms_quiet_end}).",
    )


# (the field a refusal is shown on, the other field of the pair, the rule)
_CROSS_RULES: tuple[tuple[str, str, Callable[[Terms], tuple[str, str] | None]], ...] = (
    ("quality_exchange_days", "quality_return_days", _exchange_shorter_than_return),
    ("no_reason_return_days", "legal_exemption", _below_the_legal_minimum),
    ("survey_delay_working_days", "followup_working_days", _survey_after_the_followup),
    ("repair_cycle_max_days", "repair_cycle_min_days", _repair_cycle_reversed),
    ("business_hours_end", "business_hours_start", _business_hours_reversed),
    ("sms_quiet_end", "sms_quiet_start", _quiet_hours_empty),
)


def _rule_errors(t: Terms, names: set[str], prefix: str, skip: set[str]) -> list[TermError]:
    """Range and cross-field rules touching `names`; pairs involving an ill-typed field (`skip`) are left out."""
    names = names - skip
    errs = [field_error(prefix, name, bad) for name in sorted(names) if (bad := _range_error(t, name)) is not None]
    for shown_on, other, rule in _CROSS_RULES:
        pair = {shown_on, other}
        if names & pair and not skip & pair and (words := rule(t)) is not None:
            errs.append(TermError(prefix + shown_on, *words))
    return errs


def validate_terms(d: Mapping[str, Any]) -> list[TermError]:
    """Errors in a draft's tenant-wide terms; missing keys take the defaults, unknown keys are refused."""
    values, errors = coerce_all(d, prefix="", unknown_ok=False)
    if not isinstance(d, Mapping):
        return errors
    bad = {e.field for e in errors}
    return errors + _rule_errors(Terms(**values), set(TERM_FIELDS), "", skip=bad)


def validate_category_rules(rules: Mapping[str, Mapping[str, Any]], base: Terms | None = None) -> list[TermError]:
    """Errors in per-category overrides, each checked as applied over `base` (defaults if None)."""
    base = base or Terms()
    if not isinstance(rules, Mapping):
        return [
            TermError("category_rules", "类目规则须为键值对象。", "Category rules must be an object keyed by category.")
        ]
    errors: list[TermError] = []
    for cat, rule in rules.items():
        prefix = f"category_rules.{cat}."
        if cat not in CATEGORIES:
            known_zh = "、".join(f"{c.zh}({k})" for k, c in CATEGORIES.items())
            errors.append(
                TermError(
                    f"category_rules.{cat}",
                    f"未知的商品类目「{cat}」。可用类目：{known_zh}。",
                    f"Unknown product category “{cat}”. Known categories: {', '.join(CATEGORIES)}.",
                )
            )
            continue
        values, errs = coerce_all(rule, prefix=prefix, unknown_ok=False)
        errors += errs
        for key in list(values):
            if key not in CATEGORY_OVERRIDABLE:
                zh, en = FIELD_LABELS[key]
                errors.append(
                    TermError(
                        prefix + key,
                        f"「{zh}」是全店统一设置，不能按类目（{CATEGORIES[cat].zh}）单独设置。",
                        f"The {en} is a shop-wide setting and cannot be set per category ({cat}).",
                    )
                )
                del values[key]
        bad = {e.field[len(prefix) :] for e in errs}
        errors += _rule_errors(dataclasses.replace(base, **values), set(values), prefix, skip=bad)
    return errors
