"""After-sales policy terms as data: categories, the Terms record, validation, per-category overrides and presets."""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping, NamedTuple


class Category(NamedTuple):
    zh: str
    en: str
    legal_exemption: str | None


# Consumer Rights Protection Law art. 25: at least 7 days of no-reason return, except for these goods.
LEGAL_NO_REASON_DAYS = 7
LEGAL_EXEMPTIONS: dict[str, tuple[str, str]] = {
    "custom_made": ("消费者定作的商品", "goods made to the consumer's order"),
    "fresh_perishable": ("鲜活易腐的商品", "fresh and perishable goods"),
    "digital": ("在线下载或者消费者拆封的音像制品、计算机软件等数字化商品",
                "digital goods downloaded online, or audio-visual products and software unsealed by the consumer"),
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
    "merchant_if_quality": ("质量问题由商家承担运费，无理由退货由买家承担",
                            "merchant pays for quality problems, the customer for no-reason returns"),
    "merchant_always": ("商家承担全部退换货运费", "merchant always pays"),
    "customer_always": ("买家承担退换货运费", "customer always pays"),
}

DEFAULT_FOOD_SAFETY_WORDS: tuple[str, ...] = (
    "变质", "发霉", "霉变", "异物", "中毒", "腹泻", "拉肚子", "呕吐", "过期", "异味",
    "spoiled", "mould", "mold", "foreign object", "poisoning", "diarrhoea", "diarrhea", "vomiting", "expired",
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
    conditions_zh: str = "无理由退货须商品完好、未使用，原包装及配件齐全、吊牌未拆，不影响二次销售；质量问题退换货不受此限。"
    conditions_en: str = ("For a no-reason return the item must be intact and unused, in its original packaging "
                          "with all accessories and tags attached; these conditions are relaxed for quality problems.")
    exclusions_zh: str = "人为损坏、保管不当、使用不当（未按说明书使用）、私自拆修的，不属于免费售后范围。"
    exclusions_en: str = ("Damage caused by the user, improper storage, misuse (not following the instructions) "
                          "and unauthorised disassembly or repair are not covered free of charge.")
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
        values, errors = _coerce_all(d or {}, prefix="", unknown_ok=True)
        if errors:
            raise InvalidTerms(errors)
        return cls(**{**LEGACY_UNITS, **values})

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["food_safety_words"] = list(self.food_safety_words)
        return out

    def with_overrides(self, overrides: Mapping[str, Any]) -> Terms:
        values, errors = _coerce_all(overrides, prefix="", unknown_ok=True)
        if errors:
            raise InvalidTerms(errors)
        return dataclasses.replace(self, **values)


TERM_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Terms))

# What a product category may change: its windows, warranty, conditions, shipping and exemption.
# SLA targets, the business calendar, quiet hours and the free texts are tenant-wide.
CATEGORY_OVERRIDABLE: frozenset[str] = frozenset({
    "no_reason_return_days", "quality_return_days", "quality_exchange_days",
    "warranty_months", "warranty_scope_zh", "warranty_scope_en", "paid_repair_after_warranty",
    "repair_cycle_min_days", "repair_cycle_max_days", "conditions_zh", "conditions_en",
    "exclusions_zh", "exclusions_en", "return_shipping_payer", "fresh_quality_refund_24h", "legal_exemption",
})

SLA_FIELDS: tuple[str, ...] = (
    "first_response_minutes", "consultation_written_hours", "quality_proposal_hours", "quality_execution_hours",
    "return_processing_working_days", "inspection_hours", "complaint_feedback_hours", "general_working_days",
    "emergency_response_minutes", "platform_complaint_hours", "followup_working_days",
)
# Each promise's duration → the term saying whether it counts working or calendar time. The emergency
# clock always runs around the clock, and the platform's complaint clock is the platform's, in wall hours.
CLOCK_UNIT_FIELDS: dict[str, str] = {
    "first_response_minutes": "first_response_unit", "consultation_written_hours": "consultation_unit",
    "quality_proposal_hours": "quality_proposal_unit", "quality_execution_hours": "quality_execution_unit",
    "return_processing_working_days": "return_processing_unit", "inspection_hours": "inspection_unit",
    "complaint_feedback_hours": "complaint_feedback_unit", "general_working_days": "general_unit",
    "followup_working_days": "followup_unit",
}
CLOCK_UNITS: dict[str, tuple[str, str]] = {"working": ("工作时间", "working time"), "calendar": ("自然时间", "calendar time")}
# What a stored version without a unit meant when it was published: every clock but the emergency counted working time.
LEGACY_CLOCK_UNIT = "working"
_UNIT_FIELD_NAMES = frozenset(CLOCK_UNIT_FIELDS.values())
LEGACY_UNITS: dict[str, str] = {unit: LEGACY_CLOCK_UNIT for unit in _UNIT_FIELD_NAMES}
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
    "emergency_response_minutes": ("紧急事件响应时限（分钟，全天候）", "emergency response (minutes, around the clock)"),
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


# The unit each whole-number term counts in, for people: "10 天", not "10". A clock's duration is
# counted in working or calendar time by its unit term (CLOCK_UNIT_FIELDS); CLOCK_UNIT_WORDS says both.
UNITS: dict[str, tuple[str, str]] = {
    **{name: ("天", "days") for name in ("no_reason_return_days", "quality_return_days", "quality_exchange_days")},
    "warranty_months": ("个月", "months"),
    **{name: ("个工作日", "working days") for name in (
        "repair_cycle_min_days", "repair_cycle_max_days", "survey_delay_working_days")},
    **{name: ("天", "days") for name in ("return_processing_working_days", "general_working_days",
                                         "followup_working_days")},
    "first_response_minutes": ("分钟", "minutes"),
    **{name: ("小时", "hours") for name in (
        "consultation_written_hours", "quality_proposal_hours", "quality_execution_hours", "inspection_hours",
        "complaint_feedback_hours")},
    "emergency_response_minutes": ("分钟", "minutes"),
    "platform_complaint_hours": ("小时", "hours"),
}
# A clock's duration in words by its unit: "10 个工作分钟" / "24 小时（自然时间）".
CLOCK_UNIT_WORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("minutes", "working"): ("个工作分钟", "working minutes"), ("minutes", "calendar"): ("分钟（自然时间）", "minutes (calendar time)"),
    ("hours", "working"): ("个工作小时", "working hours"), ("hours", "calendar"): ("小时（自然时间）", "hours (calendar time)"),
    ("days", "working"): ("个工作日", "working days"), ("days", "calendar"): ("个自然日", "calendar days"),
}


# The longest promise a service level may make, by its unit: a month, counted in that unit.
SLA_LIMITS = {"minutes": 43_200, "hours": 720, "days": 30}


def describe(name: str, value: Any, lang: str) -> str:
    """A term's value in words for people (zh or en): never a stored key such as merchant_if_quality."""
    en = lang == "en"
    pick = 1 if en else 0
    if name == "return_shipping_payer" and value in SHIPPING_PAYERS:
        return SHIPPING_PAYERS[value][pick]
    if name == "legal_exemption":
        return LEGAL_EXEMPTIONS[value][pick] if value in LEGAL_EXEMPTIONS else ("none" if en else "无")
    if name in _UNIT_FIELD_NAMES and value in CLOCK_UNITS:
        return CLOCK_UNITS[value][pick]
    if isinstance(value, bool):
        return ("yes" if value else "no") if en else ("是" if value else "否")
    if isinstance(value, int) and name in UNITS:
        return f"{value} {UNITS[name][pick]}"
    if isinstance(value, (list, tuple)):
        return (", " if en else "、").join(str(v) for v in value)
    if value is None:
        return ""
    if value == "":
        return "not filled in" if en else "未填写"
    return str(value)


@dataclass(frozen=True)
class TermError:
    field: str  # "no_reason_return_days" or "category_rules.<category>.<field>"
    message_zh: str
    message_en: str


class InvalidTerms(ValueError):
    def __init__(self, errors: list[TermError]) -> None:
        super().__init__("; ".join(e.message_en for e in errors))
        self.errors = errors


class _Bad(Exception):
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
    if name in _UNIT_FIELD_NAMES:
        if isinstance(value, str) and value.strip().lower() in CLOCK_UNITS:
            return value.strip().lower()
        raise _Bad(f"须为“工作时间”（working）或“自然时间”（calendar），收到「{_shown(value)}」。",
                   f"must be working time (working) or calendar time (calendar); got “{_shown(value)}”.")
    if name == "legal_exemption":
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip() in LEGAL_EXEMPTIONS:
            return value.strip()
        known = "、".join(f"{v[0]}({k})" for k, v in LEGAL_EXEMPTIONS.items())
        raise _Bad(f"无效（「{_shown(value)}」），可选：{known}。",
                   f"is not valid (“{_shown(value)}”); choose one of: {', '.join(LEGAL_EXEMPTIONS)}.")
    if name == "return_shipping_payer":
        if isinstance(value, str) and value.strip() in SHIPPING_PAYERS:
            return value.strip()
        known = "、".join(f"{v[0]}({k})" for k, v in SHIPPING_PAYERS.items())
        raise _Bad(f"无效（「{_shown(value)}」），可选：{known}。",
                   f"is not valid (“{_shown(value)}”); choose one of: {', '.join(SHIPPING_PAYERS)}.")
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise _Bad("须为“是”或“否”。", "must be yes or no (true/false).")
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
                raise _Bad(f"数值过大（收到 {len(value.strip())} 位数字）。", f"is far too large ({len(value.strip())} digits).")
            return int(value)
        raise _Bad(f"须为整数（收到「{_shown(value)}」）。", f"must be a whole number (got “{_shown(value)}”).")
    if name in ("business_hours_start", "business_hours_end", "sms_quiet_start", "sms_quiet_end"):
        if isinstance(value, str) and _HHMM.match(value.strip()):
            return value.strip()
        raise _Bad(f"时间格式须为 HH:MM（24 小时制，如 09:00），收到「{_shown(value)}」。",
                   f"must be a time as HH:MM (24-hour, e.g. 09:00); got “{_shown(value)}”.")
    if name == "food_safety_words":
        items = re.split(r"[,,、;;\n]", value) if isinstance(value, str) else value
        if isinstance(items, (list, tuple)) and all(isinstance(w, str) for w in items):
            return tuple(w.strip() for w in items if w.strip())
        raise _Bad("须为关键词列表。", "must be a list of words.")
    if value is None:
        return ""
    if isinstance(value, str):
        if _CONTROL.search(value):  # NUL and the like: PostgreSQL's JSON refuses them, no page can show them
            raise _Bad("含有无法显示的控制字符，请删除后再保存。", "contains control characters that cannot be shown; "
                       "please remove them.")
        return value.strip()
    raise _Bad("须为文本。", "must be text.")


def _field_error(prefix: str, name: str, bad: _Bad) -> TermError:
    zh, en = FIELD_LABELS.get(name, (name, name))
    return TermError(prefix + name, f"「{zh}」{bad.zh}", f"The {en} {bad.en}")


def _coerce_all(d: Mapping[str, Any], prefix: str, unknown_ok: bool) -> tuple[dict[str, Any], list[TermError]]:
    values: dict[str, Any] = {}
    errors: list[TermError] = []
    if not isinstance(d, Mapping):
        return values, [TermError(prefix.rstrip(".") or "terms", "条款须为键值对象。", "Terms must be an object of key/value pairs.")]
    for key, value in d.items():
        if key not in FIELD_LABELS:
            if not unknown_ok:
                errors.append(TermError(prefix + str(key), f"未知的条款字段「{key}」。", f"Unknown policy term “{key}”."))
            continue
        try:
            values[key] = _coerce(key, value)
        except _Bad as bad:
            errors.append(_field_error(prefix, key, bad))
    return values, errors


def _rule_errors(t: Terms, names: set[str], prefix: str, skip: set[str]) -> list[TermError]:
    """Range and cross-field rules touching `names`; pairs involving an ill-typed field (`skip`) are left out."""
    errs: list[TermError] = []
    names = names - skip

    def pair(a: str, b: str) -> bool:
        return bool(names & {a, b}) and not skip & {a, b}

    def err(name: str, zh: str, en: str) -> None:
        errs.append(_field_error(prefix, name, _Bad(zh, en)))

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
            err(name, f"须在 0 到 {MAX_WARRANTY_MONTHS} 个月之间。", f"must be between 0 and {MAX_WARRANTY_MONTHS} months.")
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
        cross("quality_exchange_days",
              f"质量问题换货期限（{t.quality_exchange_days} 天）不能短于质量问题退货期限（{t.quality_return_days} 天）。",
              f"The quality-problem exchange window ({t.quality_exchange_days} days) cannot be shorter than the "
              f"quality-problem return window ({t.quality_return_days} days).")
    if (pair("no_reason_return_days", "legal_exemption") and 0 <= t.no_reason_return_days < LEGAL_NO_REASON_DAYS
            and not t.legal_exemption):
        cross("no_reason_return_days",
              f"无理由退货期限不能少于 {LEGAL_NO_REASON_DAYS} 天（《消费者权益保护法》第二十五条）。只有依法豁免的商品"
              "（消费者定作、鲜活易腐、数字化商品、报纸期刊）可以缩短或设为 0：请同时选择豁免依据。",
              f"The no-reason return window cannot be shorter than {LEGAL_NO_REASON_DAYS} days (Consumer Rights "
              "Protection Law art. 25). Only goods exempt by law (made to order, fresh and perishable, digital, "
              "newspapers and periodicals) may have less or 0: choose the exemption as well.")
    if (pair("survey_delay_working_days", "followup_working_days")
            and t.survey_delay_working_days > t.followup_working_days > 0):
        cross("survey_delay_working_days",
              f"满意度调查就是结案后的回访：须在回访时限（{t.followup_working_days} "
              f"{CLOCK_UNIT_WORDS[('days', t.followup_unit)][0]}）内发出，"
              f"不能延迟 {t.survey_delay_working_days} 个工作日。",
              f"The survey is the follow-up after resolution: it must go out within the follow-up time "
              f"({t.followup_working_days} {CLOCK_UNIT_WORDS[('days', t.followup_unit)][1]}), "
              f"not after {t.survey_delay_working_days}.")
    if pair("repair_cycle_min_days", "repair_cycle_max_days") and t.repair_cycle_min_days > t.repair_cycle_max_days:
        cross("repair_cycle_max_days",
              f"维修周期上限（{t.repair_cycle_max_days} 个工作日）不能小于下限（{t.repair_cycle_min_days} 个工作日）。",
              f"The longest repair cycle ({t.repair_cycle_max_days} working days) cannot be shorter than the "
              f"shortest ({t.repair_cycle_min_days} working days).")
    if pair("business_hours_start", "business_hours_end") and t.business_hours_start >= t.business_hours_end:
        cross("business_hours_end", f"营业结束时间（{t.business_hours_end}）须晚于开始时间（{t.business_hours_start}）。",
              f"Business hours must end ({t.business_hours_end}) later than they start ({t.business_hours_start}).")
    # Quiet hours usually cross midnight (21:00–08:00), so only equal ends are meaningless.
    if pair("sms_quiet_start", "sms_quiet_end") and t.sms_quiet_start == t.sms_quiet_end:
        cross("sms_quiet_end", f"短信免打扰的开始和结束时间不能相同（均为 {t.sms_quiet_end}）。",
              f"SMS quiet hours cannot start and end at the same time ({t.sms_quiet_end}).")
    return errs


def validate_terms(d: Mapping[str, Any]) -> list[TermError]:
    """Errors in a draft's tenant-wide terms; missing keys take the defaults, unknown keys are refused."""
    values, errors = _coerce_all(d, prefix="", unknown_ok=False)
    if not isinstance(d, Mapping):
        return errors
    bad = {e.field for e in errors}
    return errors + _rule_errors(Terms(**values), set(TERM_FIELDS), "", skip=bad)


def validate_category_rules(rules: Mapping[str, Mapping[str, Any]], base: Terms | None = None) -> list[TermError]:
    """Errors in per-category overrides, each checked as applied over `base` (defaults if None)."""
    base = base or Terms()
    if not isinstance(rules, Mapping):
        return [TermError("category_rules", "类目规则须为键值对象。", "Category rules must be an object keyed by category.")]
    errors: list[TermError] = []
    for cat, rule in rules.items():
        prefix = f"category_rules.{cat}."
        if cat not in CATEGORIES:
            known_zh = "、".join(f"{c.zh}({k})" for k, c in CATEGORIES.items())
            errors.append(TermError(f"category_rules.{cat}", f"未知的商品类目「{cat}」。可用类目：{known_zh}。",
                                    f"Unknown product category “{cat}”. Known categories: {', '.join(CATEGORIES)}."))
            continue
        values, errs = _coerce_all(rule, prefix=prefix, unknown_ok=False)
        errors += errs
        for key in list(values):
            if key not in CATEGORY_OVERRIDABLE:
                zh, en = FIELD_LABELS[key]
                errors.append(TermError(prefix + key, f"「{zh}」是全店统一设置，不能按类目（{CATEGORIES[cat].zh}）单独设置。",
                                        f"The {en} is a shop-wide setting and cannot be set per category ({cat})."))
                del values[key]
        bad = {e.field[len(prefix):] for e in errs}
        errors += _rule_errors(dataclasses.replace(base, **values), set(values), prefix, skip=bad)
    return errors


# Spec §2's defaults that depend on the category: electronics carry a 12-month warranty on the whole unit.
DEFAULT_CATEGORY_RULES: dict[str, dict[str, Any]] = {
    "electronics": {"warranty_months": 12, "warranty_scope_zh": "整机", "warranty_scope_en": "whole unit"},
}


def effective_terms(base: Terms, category_rules: Mapping[str, Mapping[str, Any]] | None,
                    category: str | None) -> tuple[Terms, set[str]]:
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


@dataclass(frozen=True)
class Preset:
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    terms: dict[str, Any]
    category_rules: dict[str, dict[str, Any]]


def _exempt(exemption: str, **more: Any) -> dict[str, Any]:
    return {"no_reason_return_days": 0, "legal_exemption": exemption, **more}


_PERISHABLE = _exempt("fresh_perishable", paid_repair_after_warranty=False)

PRESETS: dict[str, Preset] = {
    "cn_statutory": Preset(
        "中国法定基线", "China statutory baseline",
        "七天无理由退货、7 天质量退货、15 天质量换货；定制、鲜活易腐、数字化商品和报纸期刊依法不适用无理由退货。",
        "7-day no-reason returns, 7-day quality returns, 15-day quality exchanges; custom-made, perishable and "
        "digital goods and periodicals are exempt from no-reason returns by law.",
        {},
        {"custom_made": _exempt("custom_made"),
         "fresh_food": dict(_PERISHABLE), "dairy": dict(_PERISHABLE),
         "digital": _exempt("digital", paid_repair_after_warranty=False),
         "periodicals": _exempt("periodicals", paid_repair_after_warranty=False)},
    ),
    "fresh_food": Preset(
        "生鲜食品", "Fresh food",
        "生鲜依法不适用七天无理由退货；签收后 24 小时内反馈质量问题可极速退款，质量问题 2 天内可退换。",
        "Fresh goods are exempt from no-reason returns by law; a quality problem reported within 24 hours of "
        "delivery is refunded express, and quality returns/exchanges are open for 2 days.",
        {"no_reason_return_days": 0, "legal_exemption": "fresh_perishable", "quality_return_days": 2,
         "quality_exchange_days": 2, "fresh_quality_refund_24h": True, "paid_repair_after_warranty": False,
         "conditions_zh": "请签收时当面验货；如有质量问题，请于签收后 24 小时内拍照反馈，并按要求冷藏保存商品。",
         "conditions_en": "Please check the goods on delivery; report a quality problem with photos within 24 hours "
                          "and keep the goods refrigerated as instructed.",
         "exclusions_zh": "未按要求冷藏保存、超过保质期后食用、人为损坏的，不属于质量问题。",
         "exclusions_en": "Goods not kept refrigerated as instructed, eaten after the best-before date, or damaged "
                          "by the customer are not quality problems."},
        {"food": {"no_reason_return_days": 7, "legal_exemption": None, "quality_return_days": 7,
                  "quality_exchange_days": 15, "fresh_quality_refund_24h": False},
         "dairy": dict(_PERISHABLE)},
    ),
    "electronics_sanbao": Preset(
        "数码家电三包", "Electronics (三包 guarantee)",
        "七天无理由退货，7 天质量问题退货，15 天质量问题换货，整机保修 12 个月，保修期外付费维修。",
        "7-day no-reason returns, 7-day quality returns, 15-day quality exchanges, 12-month whole-unit warranty, "
        "paid repair afterwards.",
        {"no_reason_return_days": 7, "quality_return_days": 7, "quality_exchange_days": 15, "warranty_months": 12,
         "warranty_scope_zh": "整机", "warranty_scope_en": "whole unit", "paid_repair_after_warranty": True,
         "repair_cycle_min_days": 5, "repair_cycle_max_days": 7,
         "conditions_zh": "无理由退货须商品及配件、赠品、包装齐全，未激活、不影响二次销售；质量问题不受此限。",
         "conditions_en": "For a no-reason return the item, accessories, gifts and packaging must be complete and "
                          "the device not activated; these conditions are relaxed for quality problems.",
         "exclusions_zh": "人为损坏、进液、私自拆机或改装、未按说明书使用造成的故障不在免费保修范围内。",
         "exclusions_en": "Faults caused by physical damage, liquid, unauthorised opening or modification, or use "
                          "against the manual are not covered by the free warranty."},
        {"digital": _exempt("digital", warranty_months=0, paid_repair_after_warranty=False)},
    ),
    "apparel_30": Preset(
        "服装 30 天退换", "Apparel, 30-day returns",
        "30 天无理由退换，须原包装、吊牌齐全、未穿着洗涤；质量问题按法定期限退换。",
        "30-day no-reason returns with original packaging and tags attached, unworn and unwashed; quality "
        "problems follow the statutory windows.",
        {"no_reason_return_days": 30, "quality_return_days": 7, "quality_exchange_days": 15,
         "paid_repair_after_warranty": False,
         "conditions_zh": "须保持原包装、吊牌齐全，未穿着、未洗涤、无异味；质量问题不受此限。",
         "conditions_en": "Items must be in their original packaging with tags attached, unworn, unwashed and "
                          "odour-free; these conditions are relaxed for quality problems."},
        {"custom_made": _exempt("custom_made")},
    ),
}


def apply_preset(name: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Fresh copies of a preset's terms and category rules, ready to store on a draft policy version."""
    if name not in PRESETS:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    preset = PRESETS[name]
    return copy.deepcopy(preset.terms), copy.deepcopy(preset.category_rules)
