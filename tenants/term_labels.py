"""How a term reads to a person, in both languages: its name, and its value's units, durations, yes/no and choices."""

from __future__ import annotations

from typing import Any

from tenants.categories import LEGAL_EXEMPTIONS
from tenants.term_fields import CLOCK_UNITS, SHIPPING_PAYERS, UNIT_FIELD_NAMES

# Each term's name, as a form, a refusal and a published version call it.
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

# The unit each whole-number term counts in, for people: "10 天", not "10". A clock's duration is
# counted in working or calendar time by its unit term (CLOCK_UNIT_FIELDS); CLOCK_UNIT_WORDS says both.
UNITS: dict[str, tuple[str, str]] = {
    **{name: ("天", "days") for name in ("no_reason_return_days", "quality_return_days", "quality_exchange_days")},
    "warranty_months": ("个月", "months"),
    **{
        name: ("个工作日", "working days")
        for name in ("repair_cycle_min_days", "repair_cycle_max_days", "survey_delay_working_days")
    },
    **{
        name: ("天", "days")
        for name in ("return_processing_working_days", "general_working_days", "followup_working_days")
    },
    "first_response_minutes": ("分钟", "minutes"),
    **{
        name: ("小时", "hours")
        for name in (
            "consultation_written_hours",
            "quality_proposal_hours",
            "quality_execution_hours",
            "inspection_hours",
            "complaint_feedback_hours",
        )
    },
    "emergency_response_minutes": ("分钟", "minutes"),
    "platform_complaint_hours": ("小时", "hours"),
}


# A clock's duration in words by its unit: "10 个工作分钟" / "24 小时（自然时间）".
CLOCK_UNIT_WORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("minutes", "working"): ("个工作分钟", "working minutes"),
    ("minutes", "calendar"): ("分钟（自然时间）", "minutes (calendar time)"),
    ("hours", "working"): ("个工作小时", "working hours"),
    ("hours", "calendar"): ("小时（自然时间）", "hours (calendar time)"),
    ("days", "working"): ("个工作日", "working days"),
    ("days", "calendar"): ("个自然日", "calendar days"),
}


def describe(name: str, value: Any, lang: str) -> str:
    """A term's value in words for people (zh or en): never a stored key such as merchant_if_quality."""
    en = lang == "en"
    pick = 1 if en else 0
    if name == "return_shipping_payer" and value in SHIPPING_PAYERS:
        return SHIPPING_PAYERS[value][pick]
    if name == "legal_exemption":
        return LEGAL_EXEMPTIONS[value][pick] if value in LEGAL_EXEMPTIONS else ("none" if en else "无")
    if name in UNIT_FIELD_NAMES and value in CLOCK_UNITS:
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
