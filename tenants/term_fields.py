"""The terms' fields in groups: what a category may change, the service levels and the clock each counts in,
and the fields that take one of a few choices (who pays return shipping, working or calendar time)."""

from __future__ import annotations

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
WINDOW_DAY_FIELDS = ("no_reason_return_days", "quality_return_days", "quality_exchange_days")
REPAIR_CYCLE_FIELDS = ("repair_cycle_min_days", "repair_cycle_max_days")
TIME_OF_DAY_FIELDS = ("business_hours_start", "business_hours_end", "sms_quiet_start", "sms_quiet_end")

SHIPPING_PAYERS: dict[str, tuple[str, str]] = {
    "merchant_if_quality": (
        "质量问题由商家承担运费，无理由退货由买家承担",
        "merchant pays for quality problems, the customer for no-reason returns",
    ),
    "merchant_always": ("商家承担全部退换货运费", "merchant always pays"),
    "customer_always": ("买家承担退换货运费", "customer always pays"),
}

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
