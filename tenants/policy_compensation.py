"""Compensation: the law's for food safety, the shop's own rules for service complaints."""

from __future__ import annotations

from decimal import Decimal

from tenants.policy_case import PolicyCase
from tenants.remedies import COMPENSATION, PROBLEM_COMPLAINT, PROBLEM_FOOD_SAFETY, Remedy

FOOD_SAFETY_MULTIPLE = Decimal(10)
FOOD_SAFETY_LOSS_MULTIPLE = Decimal(3)
FOOD_SAFETY_MINIMUM = Decimal(1000)
_CENT = Decimal("0.01")


def compensation(c: PolicyCase) -> Remedy:
    """Statutory for food safety, the shop's own rules for service complaints."""
    if c.problem == PROBLEM_FOOD_SAFETY:
        return _food_safety_compensation(c)
    t = c.t
    if c.problem == PROBLEM_COMPLAINT:
        rz, re_ = t.compensation_rules_zh or t.compensation_rules_en, t.compensation_rules_en or t.compensation_rules_zh
        if rz:
            return c.remedy(COMPENSATION, "compensation_rules", True, None, rz, re_)
        return c.remedy(
            COMPENSATION,
            "compensation_rules",
            False,
            None,
            f"本店未公布赔偿规则；投诉处理结果将在 {t.complaint_feedback_hours} 小时内反馈。",
            "This shop has published no compensation rules; you will hear the outcome of your "
            f"complaint within {t.complaint_feedback_hours} hours.",
        )
    zh, en = c.not_for(
        "赔偿适用于食品安全问题和服务投诉。", "Compensation applies to food-safety problems and service complaints."
    )
    return c.remedy(COMPENSATION, "compensation_rules", False, None, zh, en, applicable=False)


def _food_safety_compensation(c: PolicyCase) -> Remedy:
    """Food Safety Law art. 148: ten times the price (at least ¥1,000), or three times the loss."""
    amount = None
    if c.price is not None:
        amount = max(c.price * FOOD_SAFETY_MULTIPLE, FOOD_SAFETY_MINIMUM).quantize(_CENT)
    law = ("《食品安全法》第一百四十八条", "Food Safety Law, Article 148")
    zh = (
        "食品安全问题可依法要求退一赔十：除退款外，赔偿价款的十倍"
        + (f"(¥{amount})" if amount else "")
        + "，或损失的三倍，增加赔偿不足 1,000 元的按 1,000 元计。不受退换货期限限制。"
    )
    en = (
        "For a food-safety problem the law gives a refund plus ten times the price"
        + (f" (¥{amount})" if amount else "")
        + ", or three times the loss, and at least ¥1,000. "
        "This is not limited by the return windows."
    )
    return c.remedy(
        COMPENSATION,
        "food_safety_compensation",
        True,
        None,
        zh,
        en,
        amount=amount,
        cl=c.clause("food_safety_compensation", law),
    )
