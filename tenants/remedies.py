"""What the eligibility engine speaks about: problem types, remedies, the clauses they rest on, their names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

PROBLEM_QUALITY = "quality"
PROBLEM_RETURN_EXCHANGE = "return_exchange"  # no-reason: wrong size or colour, duplicate purchase
PROBLEM_COMPLAINT = "complaint"
PROBLEM_CONSULTATION = "consultation"
PROBLEM_FOOD_SAFETY = "food_safety"
PROBLEM_TYPES: tuple[str, ...] = (
    PROBLEM_QUALITY,
    PROBLEM_RETURN_EXCHANGE,
    PROBLEM_COMPLAINT,
    PROBLEM_CONSULTATION,
    PROBLEM_FOOD_SAFETY,
)

NO_REASON_RETURN = "no_reason_return"
NO_REASON_EXCHANGE = "no_reason_exchange"  # wrong size or colour: swapped within the no-reason window
QUALITY_RETURN = "quality_return"
QUALITY_EXCHANGE = "quality_exchange"
FREE_REPAIR = "free_repair"
PAID_REPAIR = "paid_repair"
REFUND = "refund"
COMPENSATION = "compensation"

REMEDY_LABELS: dict[str, tuple[str, str]] = {
    NO_REASON_RETURN: ("七天无理由退货", "No-reason return"),
    NO_REASON_EXCHANGE: ("无理由换货", "No-reason exchange"),
    QUALITY_RETURN: ("质量问题退货", "Quality-problem return"),
    QUALITY_EXCHANGE: ("质量问题换货", "Quality-problem exchange"),
    FREE_REPAIR: ("免费保修", "Free repair under warranty"),
    PAID_REPAIR: ("付费维修", "Paid repair"),
    REFUND: ("退款", "Refund"),
    COMPENSATION: ("赔偿", "Compensation"),
}

# Clause titles by term key; the last three are not Terms fields but rules of the platform or the law.
TERM_TITLES: dict[str, tuple[str, str]] = {
    "no_reason_return_days": ("七天无理由退货", "No-reason return"),
    "quality_return_days": ("质量问题退货", "Quality-problem return"),
    "quality_exchange_days": ("质量问题换货", "Quality-problem exchange"),
    "warranty_months": ("保修", "Warranty"),
    "paid_repair_after_warranty": ("保修期外付费维修", "Paid repair after the warranty"),
    "fresh_quality_refund_24h": ("生鲜24小时极速退款", "Fresh food 24-hour express refund"),
    "compensation_rules": ("赔偿规则", "Compensation rules"),
    "refund_before_delivery": ("未签收仅退款", "Refund before delivery"),
    "food_safety_compensation": ("食品安全赔偿", "Food-safety compensation"),
}


def no_reason_label(days: int) -> tuple[str, str]:
    """The no-reason return's name with its real window: 七天 is the law's name for 7 days only."""
    if days in (0, 7):
        return REMEDY_LABELS[NO_REASON_RETURN][0], ("7-day no-reason return" if days == 7 else "No-reason return")
    return f"{days} 天无理由退货", f"{days}-day no-reason return"


@dataclass(frozen=True)
class Clause:
    version: int
    term: str
    category: str | None  # None: the shop-wide terms (or the law), not a category rule
    text_zh: str
    text_en: str


@dataclass(frozen=True)
class Remedy:
    kind: str
    eligible: bool
    deadline: date | None  # last day inside the window; kept when expired, None when not started/not bound
    clause: Clause
    reason_zh: str
    reason_en: str
    label_zh: str
    label_en: str
    amount: Decimal | None = None
    applicable: bool = True  # False: this remedy does not concern the problem type at all

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "eligible": self.eligible,
            "applicable": self.applicable,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "amount": str(self.amount) if self.amount is not None else None,
            "clause": {
                "version": self.clause.version,
                "term": self.clause.term,
                "category": self.clause.category,
                "text_zh": self.clause.text_zh,
                "text_en": self.clause.text_en,
            },
        }


@dataclass(frozen=True)
class VersionRef:
    number: int
    effective_date: date
