"""Checking terms before they are saved: every field's range and the rules between fields, for the shop and each category."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tenants.term_labels import CLOCK_UNIT_WORDS, UNITS
from tenants.terms import (
    CATEGORIES,
    CATEGORY_OVERRIDABLE,
    CLOCK_UNIT_FIELDS,
    FIELD_LABELS,
    LEGAL_NO_REASON_DAYS,
    MAX_REPAIR_DAYS,
    MAX_TERM_NUMBER,
    MAX_TERM_TEXT,
    MAX_WARRANTY_MONTHS,
    MAX_WINDOW_DAYS,
    SLA_FIELDS,
    SLA_LIMITS,
    TERM_FIELDS,
    WINDOW_DAY_FIELDS,
    Bad,
    TermError,
    Terms,
    coerce_all,
    field_error,
)


def _rule_errors(t: Terms, names: set[str], prefix: str, skip: set[str]) -> list[TermError]:
    """Range and cross-field rules touching `names`; pairs involving an ill-typed field (`skip`) are left out."""
    errs: list[TermError] = []
    names = names - skip

    def pair(a: str, b: str) -> bool:
        return bool(names & {a, b}) and not skip & {a, b}

    def err(name: str, zh: str, en: str) -> None:
        errs.append(field_error(prefix, name, Bad(zh, en)))

    def cross(name: str, zh: str, en: str) -> None:
        errs.append(TermError(prefix + name, zh, en))

    for name in sorted(names):
        v = getattr(t, name)
        if name in WINDOW_DAY_FIELDS or name in ("survey_delay_working_days",):
            if v < 0:
                err(name, "不能为负数。", "cannot be negative.")
            elif v > MAX_WINDOW_DAYS:
                err(name, f"不能超过 {MAX_WINDOW_DAYS} 天。", f"cannot exceed {MAX_WINDOW_DAYS} days.")
        elif name == "warranty_months" and not 0 <= v <= MAX_WARRANTY_MONTHS:
            err(
                name,
                f"须在 0 到 {MAX_WARRANTY_MONTHS} 个月之间。",
                f"must be between 0 and {MAX_WARRANTY_MONTHS} months.",
            )
        elif name in ("repair_cycle_min_days", "repair_cycle_max_days") and v < 1:
            err(name, "须至少为 1 个工作日。", "must be at least 1 working day.")
        elif name in ("repair_cycle_min_days", "repair_cycle_max_days") and v > MAX_REPAIR_DAYS:
            err(name, f"不能超过 {MAX_REPAIR_DAYS} 个工作日。", f"cannot exceed {MAX_REPAIR_DAYS} working days.")
        elif name in SLA_FIELDS and v <= 0:
            err(name, "须为正数。", "must be a positive number.")
        elif name in SLA_FIELDS and v > SLA_LIMITS[UNITS[name][1]]:
            most = SLA_LIMITS[UNITS[name][1]]
            unit = getattr(t, CLOCK_UNIT_FIELDS[name]) if name in CLOCK_UNIT_FIELDS else ""
            zh, en = CLOCK_UNIT_WORDS.get((UNITS[name][1], unit), UNITS[name])
            err(name, f"不能超过 {most} {zh}。", f"cannot exceed {most} {en}.")
        elif isinstance(v, str) and len(v) > MAX_TERM_TEXT:
            err(name, f"不能超过 {MAX_TERM_TEXT} 个字符。", f"cannot be longer than {MAX_TERM_TEXT} characters.")
        elif isinstance(v, (list, tuple)) and len("\n".join(map(str, v))) > MAX_TERM_TEXT:
            err(name, f"不能超过 {MAX_TERM_TEXT} 个字符。", f"cannot be longer than {MAX_TERM_TEXT} characters.")
        elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_TERM_NUMBER:
            err(name, f"不能超过 {MAX_TERM_NUMBER}。", f"cannot exceed {MAX_TERM_NUMBER}.")
    if pair("quality_return_days", "quality_exchange_days") and t.quality_exchange_days < t.quality_return_days:
        cross(
            "quality_exchange_days",
            f"质量问题换货期限（{t.quality_exchange_days} 天）不能短于质量问题退货期限（{t.quality_return_days} 天）。",
            f"The quality-problem exchange window ({t.quality_exchange_days} days) cannot be shorter than the "
            f"quality-problem return window ({t.quality_return_days} days).",
        )
    if (
        pair("no_reason_return_days", "legal_exemption")
        and 0 <= t.no_reason_return_days < LEGAL_NO_REASON_DAYS
        and not t.legal_exemption
    ):
        cross(
            "no_reason_return_days",
            f"无理由退货期限不能少于 {LEGAL_NO_REASON_DAYS} 天（《消费者权益保护法》第二十五条）。只有依法豁免的商品"
            "（消费者定作、鲜活易腐、数字化商品、报纸期刊）可以缩短或设为 0：请同时选择豁免依据。",
            f"The no-reason return window cannot be shorter than {LEGAL_NO_REASON_DAYS} days (Consumer Rights "
            "Protection Law art. 25). Only goods exempt by law (made to order, fresh and perishable, digital, "
            "newspapers and periodicals) may have less or 0: choose the exemption as well.",
        )
    if (
        pair("survey_delay_working_days", "followup_working_days")
        and t.survey_delay_working_days > t.followup_working_days > 0
    ):
        cross(
            "survey_delay_working_days",
            f"满意度调查就是结案后的回访：须在回访时限（{t.followup_working_days} "
            f"{CLOCK_UNIT_WORDS[('days', t.followup_unit)][0]}）内发出，"
            f"不能延迟 {t.survey_delay_working_days} 个工作日。",
            f"The survey is the follow-up after resolution: it must go out within the follow-up time "
            f"({t.followup_working_days} {CLOCK_UNIT_WORDS[('days', t.followup_unit)][1]}), "
            f"not after {t.survey_delay_working_days}.",
        )
    if pair("repair_cycle_min_days", "repair_cycle_max_days") and t.repair_cycle_min_days > t.repair_cycle_max_days:
        cross(
            "repair_cycle_max_days",
            f"维修周期上限（{t.repair_cycle_max_days} 个工作日）不能小于下限（{t.repair_cycle_min_days} 个工作日）。",
            f"The longest repair cycle ({t.repair_cycle_max_days} working days) cannot be shorter than the "
            f"shortest ({t.repair_cycle_min_days} working days).",
        )
    if pair("business_hours_start", "business_hours_end") and t.business_hours_start >= t.business_hours_end:
        cross(
            "business_hours_end",
            f"营业结束时间（{t.business_hours_end}）须晚于开始时间（{t.business_hours_start}）。",
            f"Business hours must end ({t.business_hours_end}) later than they start ({t.business_hours_start}).",
        )
    # Quiet hours usually cross midnight (21:00–08:00), so only equal ends are meaningless.
    if pair("sms_quiet_start", "sms_quiet_end") and t.sms_quiet_start == t.sms_quiet_end:
        cross(
            "sms_quiet_end",
            f"短信免打扰的开始和结束时间不能相同（均为 {t.sms_quiet_end}）。",
            f"SMS quiet hours cannot start and end at the same time ({t.sms_quiet_end}).",
        )
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
