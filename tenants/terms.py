"""After-sales policy terms as data: categories, the Terms record, reading values, per-category overrides.

Beside it: the checks run before terms are saved (`term_rules`), how a value reads to a person
(`term_labels`), and the presets a merchant starts from (`presets`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple


class Category(NamedTuple):
    zh: str
    en: str
    legal_exemption: str | None


# Consumer Rights Protection Law art. 25: at least 7 days of no-reason return, except for these goods.
LEGAL_NO_REASON_DAYS = 7
LEGAL_EXEMPTIONS: dict[str, tuple[str, str]] = {
    "custom_made": ("消费者定作的商品", "goods made to the consumer's order"),
    "fresh_perishable": ("鲜活易腐的商品", "fresh and perishable goods"),
    "digital": (
        "在线下载或者消费者拆封的音像制品、计算机软件等数字化商品",
        "digital goods downloaded online, or audio-visual products and software unsealed by the consumer",
    ),
    "periodicals": ("交付的报纸、期刊", "newspapers and periodicals already delivered"),
}

CATEGORIES: dict[str, Category] = {
    "general": Category("通用", "General", None),
    "fresh_food": Category("生鲜食品", "Fresh food", "fresh_perishable"),
    "food": Category("预包装食品", "Pre-packaged food", None),
    "dairy": Category("乳制品/酸奶", "Dairy and yogurt", "fresh_perishable"),
    "electronics": Category("数码家电", "Electronics", None),
    "home_appliance": Category("家用电器", "Home appliances", None),
    "childrens_clothing": Category("童装", "Children's clothing", None),
    "apparel": Category("服装鞋帽", "Clothing, shoes and hats", None),
    "custom_made": Category("定制商品", "Custom-made goods", "custom_made"),
    "digital": Category("数字商品/在线下载", "Digital goods and downloads", "digital"),
    "periodicals": Category("报纸期刊", "Newspapers and periodicals", "periodicals"),
    "cosmetics": Category("美妆个护", "Cosmetics and personal care", None),
}

SHIPPING_PAYERS: dict[str, tuple[str, str]] = {
    "merchant_if_quality": (
        "质量问题由商家承担运费，无理由退货由买家承担",
        "merchant pays for quality problems, the customer for no-reason returns",
    ),
    "merchant_always": ("商家承担全部退换货运费", "merchant always pays"),
    "customer_always": ("买家承担退换货运费", "customer always pays"),
}

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

# What a product category may change: its windows, warranty, conditions, shipping and exemption.
# SLA targets, the business calendar, quiet hours and the free texts are tenant-wide.
CATEGORY_OVERRIDABLE: frozenset[str] = frozenset(
    {
        "no_reason_return_days",
        "quality_return_days",
        "quality_exchange_days",
        "warranty_months",
        "warranty_scope_zh",
        "warranty_scope_en",
        "paid_repair_after_warranty",
        "repair_cycle_min_days",
        "repair_cycle_max_days",
        "conditions_zh",
        "conditions_en",
        "exclusions_zh",
        "exclusions_en",
        "return_shipping_payer",
        "fresh_quality_refund_24h",
        "legal_exemption",
    }
)

SLA_FIELDS: tuple[str, ...] = (
    "first_response_minutes",
    "consultation_written_hours",
    "quality_proposal_hours",
    "quality_execution_hours",
    "return_processing_working_days",
    "inspection_hours",
    "complaint_feedback_hours",
    "general_working_days",
    "emergency_response_minutes",
    "platform_complaint_hours",
    "followup_working_days",
)
# Each promise's duration → the term saying whether it counts working or calendar time. The emergency
# clock always runs around the clock, and the platform's complaint clock is the platform's, in wall hours.
CLOCK_UNIT_FIELDS: dict[str, str] = {
    "first_response_minutes": "first_response_unit",
    "consultation_written_hours": "consultation_unit",
    "quality_proposal_hours": "quality_proposal_unit",
    "quality_execution_hours": "quality_execution_unit",
    "return_processing_working_days": "return_processing_unit",
    "inspection_hours": "inspection_unit",
    "complaint_feedback_hours": "complaint_feedback_unit",
    "general_working_days": "general_unit",
    "followup_working_days": "followup_unit",
}
CLOCK_UNITS: dict[str, tuple[str, str]] = {
    "working": ("工作时间", "working time"),
    "calendar": ("自然时间", "calendar time"),
}
# What a stored version without a unit meant when it was published: every clock but the emergency counted working time.
LEGACY_CLOCK_UNIT = "working"
UNIT_FIELD_NAMES = frozenset(CLOCK_UNIT_FIELDS.values())
LEGACY_UNITS: dict[str, str] = {unit: LEGACY_CLOCK_UNIT for unit in UNIT_FIELD_NAMES}
WINDOW_DAY_FIELDS = ("no_reason_return_days", "quality_return_days", "quality_exchange_days")
MAX_WINDOW_DAYS = 3650
MAX_WARRANTY_MONTHS = 120
MAX_REPAIR_DAYS = 365
# A policy's free-text sections are printed on one page; numbers beyond this overflow date arithmetic.
MAX_TERM_TEXT = 2000
MAX_TERM_NUMBER = 100_000

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "no_reason_return_days": ("无理由退货期限（天）", "no-reason return window (days)"),
    "quality_return_days": ("质量问题退货期限（天）", "quality-problem return window (days)"),
    "quality_exchange_days": ("质量问题换货期限（天）", "quality-problem exchange window (days)"),
    "warranty_months": ("保修期（月）", "warranty (months)"),
    "warranty_scope_zh": ("保修范围（中文）", "warranty scope (Chinese)"),
    "warranty_scope_en": ("保修范围（英文）", "warranty scope (English)"),
    "paid_repair_after_warranty": ("保修期外付费维修", "paid repair after the warranty"),
    "repair_cycle_min_days": ("维修周期下限（工作日）", "repair cycle, minimum (working days)"),
    "repair_cycle_max_days": ("维修周期上限（工作日）", "repair cycle, maximum (working days)"),
    "conditions_zh": ("退换货条件（中文）", "return conditions (Chinese)"),
    "conditions_en": ("退换货条件（英文）", "return conditions (English)"),
    "exclusions_zh": ("免责条款（中文）", "exclusions (Chinese)"),
    "exclusions_en": ("免责条款（英文）", "exclusions (English)"),
    "return_shipping_payer": ("退货运费承担方", "who pays return shipping"),
    "fresh_quality_refund_24h": ("生鲜质量问题24小时极速退款", "fresh food 24-hour express refund"),
    "legal_exemption": ("法定无理由退货豁免", "legal exemption from no-reason returns"),
    "first_response_minutes": ("首次响应时限（分钟）", "first response (minutes)"),
    "consultation_written_hours": ("书面咨询答复时限（小时）", "written consultation answer (hours)"),
    "quality_proposal_hours": ("质量问题方案时限（小时）", "quality problem: proposal (hours)"),
    "quality_execution_hours": ("质量问题执行时限（小时）", "quality problem: execution (hours)"),
    "return_processing_working_days": ("退换货处理时限（天）", "return/exchange processing (days)"),
    "inspection_hours": ("退货验货时限（小时）", "return parcel inspection (hours)"),
    "complaint_feedback_hours": ("投诉结果反馈时限（小时）", "complaint feedback (hours)"),
    "general_working_days": ("一般工单时限（天）", "general ticket (days)"),
    "emergency_response_minutes": (
        "紧急事件响应时限（分钟，全天候）",
        "emergency response (minutes, around the clock)",
    ),
    "platform_complaint_hours": ("平台投诉核实时限（小时）", "platform complaint answer (hours)"),
    "followup_working_days": ("回访时限（天）", "follow-up visit (days)"),
    "first_response_unit": ("首次响应计时方式", "first response clock"),
    "consultation_unit": ("书面咨询计时方式", "written consultation clock"),
    "quality_proposal_unit": ("质量问题方案计时方式", "quality problem proposal clock"),
    "quality_execution_unit": ("质量问题执行计时方式", "quality problem execution clock"),
    "return_processing_unit": ("退换货处理计时方式", "return/exchange processing clock"),
    "inspection_unit": ("退货验货计时方式", "return parcel inspection clock"),
    "complaint_feedback_unit": ("投诉反馈计时方式", "complaint feedback clock"),
    "general_unit": ("一般工单计时方式", "general ticket clock"),
    "followup_unit": ("回访计时方式", "follow-up visit clock"),
    "business_hours_start": ("营业开始时间", "business hours start"),
    "business_hours_end": ("营业结束时间", "business hours end"),
    "sms_quiet_start": ("短信免打扰开始时间", "SMS quiet hours start"),
    "sms_quiet_end": ("短信免打扰结束时间", "SMS quiet hours end"),
    "survey_delay_working_days": ("满意度调查延迟（工作日）", "survey delay (working days)"),
    "channels_zh": ("售后渠道（中文）", "after-sales channels (Chinese)"),
    "channels_en": ("售后渠道（英文）", "after-sales channels (English)"),
    "service_promise_zh": ("服务承诺（中文）", "service promise (Chinese)"),
    "service_promise_en": ("服务承诺（英文）", "service promise (English)"),
    "compensation_rules_zh": ("赔偿规则（中文）", "compensation rules (Chinese)"),
    "compensation_rules_en": ("赔偿规则（英文）", "compensation rules (English)"),
    "food_safety_words": ("食品安全关键词", "food-safety keywords"),
}


# The longest promise a service level may make, by its unit: a month, counted in that unit.
SLA_LIMITS = {"minutes": 43_200, "hours": 720, "days": 30}


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


def _coerce(name: str, value: Any) -> Any:
    default = getattr(_DEFAULTS, name)
    if name in UNIT_FIELD_NAMES:
        if isinstance(value, str) and value.strip().lower() in CLOCK_UNITS:
            return value.strip().lower()
        raise Bad(
            f"须为“工作时间”（working）或“自然时间”（calendar），收到「{_shown(value)}」。",
            f"must be working time (working) or calendar time (calendar); got “{_shown(value)}”.",
        )
    if name == "legal_exemption":
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip() in LEGAL_EXEMPTIONS:
            return value.strip()
        known = "、".join(f"{v[0]}({k})" for k, v in LEGAL_EXEMPTIONS.items())
        raise Bad(
            f"无效（「{_shown(value)}」），可选：{known}。",
            f"is not valid (“{_shown(value)}”); choose one of: {', '.join(LEGAL_EXEMPTIONS)}.",
        )
    if name == "return_shipping_payer":
        if isinstance(value, str) and value.strip() in SHIPPING_PAYERS:
            return value.strip()
        known = "、".join(f"{v[0]}({k})" for k, v in SHIPPING_PAYERS.items())
        raise Bad(
            f"无效（「{_shown(value)}」），可选：{known}。",
            f"is not valid (“{_shown(value)}”); choose one of: {', '.join(SHIPPING_PAYERS)}.",
        )
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise Bad("须为“是”或“否”。", "must be yes or no (true/false).")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, (float, Decimal)):
            try:
                if value == int(value):
                    return int(value)
            except (ValueError, OverflowError, ArithmeticError):
                pass
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            if len(value.strip().lstrip("-")) > 9:  # int() of thousands of digits raises; no term needs ten
                raise Bad(
                    f"数值过大（收到 {len(value.strip())} 位数字）。",
                    f"is far too large ({len(value.strip())} digits).",
                )
            return int(value)
        raise Bad(f"须为整数（收到「{_shown(value)}」）。", f"must be a whole number (got “{_shown(value)}”).")
    if name in ("business_hours_start", "business_hours_end", "sms_quiet_start", "sms_quiet_end"):
        if isinstance(value, str) and _HHMM.match(value.strip()):
            return value.strip()
        raise Bad(
            f"时间格式须为 HH:MM（24 小时制，如 09:00），收到「{_shown(value)}」。",
            f"must be a time as HH:MM (24-hour, e.g. 09:00); got “{_shown(value)}”.",
        )
    if name == "food_safety_words":
        items = re.split(r"[,,、;;\n]", value) if isinstance(value, str) else value
        if isinstance(items, (list, tuple)) and all(isinstance(w, str) for w in items):
            return tuple(w.strip() for w in items if w.strip())
        raise Bad("须为关键词列表。", "must be a list of words.")
    if value is None:
        return ""
    if isinstance(value, str):
        if _CONTROL.search(value):  # NUL and the like: PostgreSQL's JSON refuses them, no page can show them
            raise Bad(
                "含有无法显示的控制字符，请删除后再保存。",
                "contains control characters that cannot be shown; please remove them.",
            )
        return value.strip()
    raise Bad("须为文本。", "must be text.")


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
