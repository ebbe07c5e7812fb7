"""After-sales policy terms as data: the Terms record, reading raw values into it, per-category overrides.

Beside it: the product categories and the law's exemptions (`categories`), the fields in groups
(`term_fields`), the checks run before terms are saved (`term_rules`), how a term reads to a person
(`term_labels`), and the presets a merchant starts from (`presets`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tenants.categories import CATEGORIES, LEGAL_EXEMPTIONS
from tenants.term_fields import (
    CATEGORY_OVERRIDABLE,
    CLOCK_UNITS,
    LEGACY_UNITS,
    SHIPPING_PAYERS,
    TIME_OF_DAY_FIELDS,
    UNIT_FIELD_NAMES,
)
from tenants.term_labels import FIELD_LABELS

DEFAULT_FOOD_SAFETY_WORDS: tuple[str, ...] = (
    "变质",
    "发霉",
    "霉变",
    "异物",
    "中毒",
    "腹泻",
    "拉肚子",
    "呕吐",
    "过期",
    "异味",
    "spoiled",
    "mould",
    "mold",
    "foreign object",
    "poisoning",
    "diarrhoea",
    "diarrhea",
    "vomiting",
    "expired",
)


@dataclass(frozen=True)
class Terms:
    no_reason_return_days: int = 7
    quality_return_days: int = 7
    quality_exchange_days: int = 15
    warranty_months: int = 0
    warranty_scope_zh: str = ""
    warranty_scope_en: str = ""
    paid_repair_after_warranty: bool = True
    repair_cycle_min_days: int = 5  # working days
    repair_cycle_max_days: int = 7
    conditions_zh: str = (
        "无理由退货须商品完好、未使用，原包装及配件齐全、吊牌未拆，不影响二次销售；质量问题退换货不受此限。"
    )
    conditions_en: str = (
        "For a no-reason return the item must be intact and unused, in its original packaging "
        "with all accessories and tags attached; these conditions are relaxed for quality problems."
    )
    exclusions_zh: str = "人为损坏、保管不当、使用不当（未按说明书使用）、私自拆修的，不属于免费售后范围。"
    exclusions_en: str = (
        "Damage caused by the user, improper storage, misuse (not following the instructions) "
        "and unauthorised disassembly or repair are not covered free of charge."
    )
    return_shipping_payer: str = "merchant_if_quality"
    fresh_quality_refund_24h: bool = False
    legal_exemption: str | None = None
    first_response_minutes: int = 10
    consultation_written_hours: int = 2
    quality_proposal_hours: int = 24
    quality_execution_hours: int = 48
    return_processing_working_days: int = 3
    inspection_hours: int = 24
    complaint_feedback_hours: int = 48
    general_working_days: int = 5
    emergency_response_minutes: int = 60
    platform_complaint_hours: int = 48
    followup_working_days: int = 3
    # Whether each promise counts working time ("working") or calendar time ("calendar"); see CLOCK_UNIT_FIELDS.
    # These defaults are the merchants' documents' (24 h / 48 h promises in calendar hours); a stored version
    # without a unit keeps the meaning it was published with, working time (from_dict).
    first_response_unit: str = "working"
    consultation_unit: str = "working"
    quality_proposal_unit: str = "calendar"
    quality_execution_unit: str = "calendar"
    return_processing_unit: str = "working"
    inspection_unit: str = "calendar"
    complaint_feedback_unit: str = "calendar"
    general_unit: str = "working"
    followup_unit: str = "working"
    business_hours_start: str = "09:00"
    business_hours_end: str = "18:00"
    sms_quiet_start: str = "21:00"
    sms_quiet_end: str = "08:00"
    survey_delay_working_days: int = 3
    channels_zh: str = ""
    channels_en: str = ""
    service_promise_zh: str = ""
    service_promise_en: str = ""
    compensation_rules_zh: str = ""
    compensation_rules_en: str = ""
    # A tuple, not a list, so the frozen record stays hashable; to_dict() gives a list.
    food_safety_words: tuple[str, ...] = DEFAULT_FOOD_SAFETY_WORDS

    def __post_init__(self) -> None:
        if not isinstance(self.food_safety_words, tuple):
            object.__setattr__(self, "food_safety_words", tuple(self.food_safety_words))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Terms:
        """Unknown keys are ignored (rows may be newer than this code); bad types raise InvalidTerms.

        Range and cross-field rules are checked by validate_terms() when a draft is saved, not here,
        so that a version published under older rules still loads.

        A clock whose unit is missing counts working time: every clock did before units existed, so a
        version published then keeps its meaning. New terms (Terms(), a new draft) carry their units.
        """
        values, errors = coerce_all(d or {}, prefix="", unknown_ok=True)
        if errors:
            raise InvalidTerms(errors)
        return cls(**{**LEGACY_UNITS, **values})

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["food_safety_words"] = list(self.food_safety_words)
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> Terms:
        values, errors = coerce_all(overrides, prefix="", unknown_ok=True)
        if errors:
            raise InvalidTerms(errors)
        return dataclasses.replace(self, **values)


TERM_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Terms))


@dataclass(frozen=True)
class TermError:
    field: str  # "no_reason_return_days" or "category_rules.<category>.<field>"
    message_zh: str
    message_en: str


class InvalidTerms(ValueError):
    def __init__(self, errors: list[TermError]) -> None:
        super().__init__("; ".join(e.message_en for e in errors))
        self.errors = errors


class Bad(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_TRUE = {"true", "1", "yes", "on", "y"}
_FALSE = {"false", "0", "no", "off", "n", ""}
_DEFAULTS = Terms()


def _shown(value: Any) -> str:
    """A refused value quoted back: short, and without characters a page cannot show."""
    text = _CONTROL.sub("", str(value))
    return text if len(text) <= 40 else text[:40] + "…"


def _clock_unit(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in CLOCK_UNITS:
        return value.strip().lower()
    raise Bad(
        f"须为“工作时间”（working）或“自然时间”（calendar），收到「{_shown(value)}」。",
        f"must be working time (working) or calendar time (calendar); got “{_shown(value)}”.",
    )


def _choice(value: Any, choices: Mapping[str, tuple[str, str]]) -> str:
    """One of `choices`' keys."""
    if isinstance(value, str) and value.strip() in choices:
        return value.strip()
    known = "、".join(f"{v[0]}({k})" for k, v in choices.items())
    raise Bad(
        f"无效（「{_shown(value)}」），可选：{known}。",
        f"is not valid (“{_shown(value)}”); choose one of: {', '.join(choices)}.",
    )


def _legal_exemption(value: Any) -> str | None:
    return None if value is None or value == "" else _choice(value, LEGAL_EXEMPTIONS)


def _shipping_payer(value: Any) -> str:
    return _choice(value, SHIPPING_PAYERS)


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise Bad("须为“是”或“否”。", "must be yes or no (true/false).")


def _is_whole(value: float | Decimal) -> bool:
    try:
        return value == int(value)
    except (ValueError, OverflowError, ArithmeticError):  # inf, nan
        return False


def _whole_number(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (float, Decimal)) and _is_whole(value):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        if len(value.strip().lstrip("-")) > 9:  # int() of thousands of digits raises; no term needs ten
            raise Bad(
                f"数值过大（收到 {len(value.strip())} 位数字）。",
                f"is far too large ({len(value.strip())} digits).",
            )
        return int(value)
    raise Bad(f"须为整数（收到「{_shown(value)}」）。", f"must be a whole number (got “{_shown(value)}”).")


def _time_of_day(value: Any) -> str:
    if isinstance(value, str) and _HHMM.match(value.strip()):
        return value.strip()
    raise Bad(
        f"时间格式须为 HH:MM（24 小时制，如 09:00），收到「{_shown(value)}」。",
        f"must be a time as HH:MM (24-hour, e.g. 09:00); got “{_shown(value)}”.",
    )


def _words(value: Any) -> tuple[str, ...]:
    items = re.split(r"[,,、;;\n]", value) if isinstance(value, str) else value
    if isinstance(items, (list, tuple)) and all(isinstance(w, str) for w in items):
        return tuple(w.strip() for w in items if w.strip())
    raise Bad("须为关键词列表。", "must be a list of words.")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Bad("须为文本。", "must be text.")
    if _CONTROL.search(value):  # NUL and the like: PostgreSQL's JSON refuses them, no page can show them
        raise Bad(
            "含有无法显示的控制字符，请删除后再保存。",
            "contains control characters that cannot be shown; please remove them.",
        )
    return value.strip()


# The fields read by what they hold rather than by their default's type.
_READERS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(UNIT_FIELD_NAMES, _clock_unit),
    "legal_exemption": _legal_exemption,
    "return_shipping_payer": _shipping_payer,
    **dict.fromkeys(TIME_OF_DAY_FIELDS, _time_of_day),
    "food_safety_words": _words,
}


def _coerce(name: str, value: Any) -> Any:
    """A raw value (a form's text, stored JSON) as the field holds it; Bad says why it cannot be."""
    if name in _READERS:
        return _READERS[name](value)
    default = getattr(_DEFAULTS, name)
    if isinstance(default, bool):
        return _yes_no(value)
    if isinstance(default, int):
        return _whole_number(value)
    return _text(value)


def field_error(prefix: str, name: str, bad: Bad) -> TermError:
    zh, en = FIELD_LABELS.get(name, (name, name))
    return TermError(prefix + name, f"「{zh}」{bad.zh}", f"The {en} {bad.en}")


def coerce_all(d: Mapping[str, Any], prefix: str, unknown_ok: bool) -> tuple[dict[str, Any], list[TermError]]:
    values: dict[str, Any] = {}
    errors: list[TermError] = []
    if not isinstance(d, Mapping):
        return values, [
            TermError(
                prefix.rstrip(".") or "terms", "条款须为键值对象。", "Terms must be an object of key/value pairs."
            )
        ]
    for key, value in d.items():
        if key not in FIELD_LABELS:
            if not unknown_ok:
                errors.append(
                    TermError(prefix + str(key), f"未知的条款字段「{key}」。", f"Unknown policy term “{key}”.")
                )
            continue
        try:
            values[key] = _coerce(key, value)
        except Bad as bad:
            errors.append(field_error(prefix, key, bad))
    return values, errors


# Spec §2's defaults that depend on the category: electronics carry a 12-month warranty on the whole unit.
DEFAULT_CATEGORY_RULES: dict[str, dict[str, Any]] = {
    "electronics": {"warranty_months": 12, "warranty_scope_zh": "整机", "warranty_scope_en": "whole unit"},
}


def effective_terms(
    base: Terms, category_rules: Mapping[str, Mapping[str, Any]] | None, category: str | None
) -> tuple[Terms, set[str]]:
    """The base terms with the category's overrides applied, and the names of the fields the category set.

    A legal exemption is not applied by magic: the presets write it (and no-reason days 0) into the
    category rules, so what a consumer is told is exactly what the merchant published.
    Unknown or missing categories get the base terms; non-overridable keys in a rule are ignored.
    """
    rule = (category_rules or {}).get(category) if category in CATEGORIES else None
    if not isinstance(rule, Mapping):
        return base, set()
    overrides = {k: v for k, v in rule.items() if k in CATEGORY_OVERRIDABLE}
    return base.with_overrides(overrides), set(overrides)
