"""Repairs: free within the warranty, counted in calendar months from delivery; paid after it, where the shop repairs."""

from __future__ import annotations

from tenants.policy_case import PolicyCase, en_date, open_or_closed, shipping, zh_date
from tenants.remedies import FREE_REPAIR, PAID_REPAIR, PROBLEM_QUALITY, Remedy
from tenants.terms import Terms


def _repair_cycle(t: Terms) -> tuple[str, str]:
    return (
        f"维修周期一般为 {t.repair_cycle_min_days}–{t.repair_cycle_max_days} 个工作日。",
        f"Repairs usually take {t.repair_cycle_min_days}–{t.repair_cycle_max_days} working days.",
    )


def free_repair(c: PolicyCase) -> Remedy:
    """Free within the warranty, counted in calendar months from delivery."""
    t = c.t
    if c.problem != PROBLEM_QUALITY or t.warranty_months == 0:
        zh, en = c.not_for(
            "免费保修仅适用于有保修期商品的质量问题。",
            "Free repair applies to quality problems on items with a warranty.",
        )
        return c.remedy(FREE_REPAIR, "warranty_months", False, None, zh, en, applicable=False)
    if c.delivery_date is None:
        return c.remedy(
            FREE_REPAIR,
            "warranty_months",
            False,
            None,
            "商品尚未签收，保修期自签收之日起计算。",
            "Not delivered yet: the warranty starts on delivery.",
        )
    warranty_end = c.warranty_end
    assert warranty_end is not None
    in_warranty = c.as_of <= warranty_end
    cycle, excl = _repair_cycle(t), c.exclusions
    scope = (
        f"保修范围：{t.warranty_scope_zh}。" if t.warranty_scope_zh else "",
        f"Covers: {t.warranty_scope_en}. " if t.warranty_scope_en else "",
    )
    oz, oe = open_or_closed(in_warranty, warranty_end)
    sz, se = shipping(t, True)
    zh = f"保修期 {t.warranty_months} 个月，至{zh_date(warranty_end)}（含）。{scope[0]}" + (
        f"{sz}{cycle[0]}{excl[0]}" if in_warranty else "保修期已过。"
    )
    en = f"{t.warranty_months}-month warranty, until {en_date(warranty_end)} (inclusive). {scope[1]}" + (
        f"{se} {cycle[1]} {excl[1]}" if in_warranty else "The warranty has expired."
    )
    return c.remedy(FREE_REPAIR, "warranty_months", in_warranty, warranty_end, zh, en.rstrip())


def paid_repair(c: PolicyCase) -> Remedy:
    """After the warranty (or without one), where the shop repairs."""
    t, warranty_end = c.t, c.warranty_end
    if c.problem != PROBLEM_QUALITY or not t.paid_repair_after_warranty:
        zh, en = c.not_for(
            "付费维修仅适用于提供维修服务商品的质量问题。",
            "Paid repair applies to quality problems on items the shop repairs.",
        )
        return c.remedy(PAID_REPAIR, "paid_repair_after_warranty", False, None, zh, en, applicable=False)
    if c.delivery_date is None:
        return c.remedy(
            PAID_REPAIR,
            "paid_repair_after_warranty",
            False,
            None,
            "商品尚未签收，暂不涉及维修。",
            "Not delivered yet: there is nothing to repair.",
        )
    if warranty_end is not None and c.as_of <= warranty_end:
        return c.remedy(
            PAID_REPAIR,
            "paid_repair_after_warranty",
            False,
            None,
            f"仍在保修期内（至{zh_date(warranty_end)}），可享免费维修。",
            f"Still under warranty (until {en_date(warranty_end)}): repair is free.",
        )
    cycle = _repair_cycle(t)
    return c.remedy(
        PAID_REPAIR,
        "paid_repair_after_warranty",
        True,
        None,
        f"{'保修期已过' if t.warranty_months else '本商品无保修期'}，可申请付费维修，费用经检测后报价、您确认后维修。{cycle[0]}",
        f"{'The warranty has expired' if t.warranty_months else 'This item has no warranty'}; "
        f"paid repair is available, quoted after inspection and done once you accept. {cycle[1]}",
    )
