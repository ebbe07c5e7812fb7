"""How a term's value reads to a person, in both languages: units, durations, yes/no and choices."""

from __future__ import annotations

from typing import Any

from tenants.terms import CLOCK_UNITS, LEGAL_EXEMPTIONS, SHIPPING_PAYERS, UNIT_FIELD_NAMES

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
