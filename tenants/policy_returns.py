"""Returns, exchanges, and the refund that comes with them: open for a number of days from the day after delivery."""

from __future__ import annotations

from datetime import date

from tenants.categories import LEGAL_EXEMPTIONS
from tenants.policy_case import PolicyCase, en_date, window, zh_date
from tenants.remedies import (
    NO_REASON_EXCHANGE,
    NO_REASON_RETURN,
    PROBLEM_COMPLAINT,
    PROBLEM_CONSULTATION,
    PROBLEM_QUALITY,
    PROBLEM_RETURN_EXCHANGE,
    QUALITY_EXCHANGE,
    QUALITY_RETURN,
    REFUND,
    Remedy,
    no_reason_label,
)

_NONE_Q = (
    "本商品的售后政策未提供此项；如有质量问题，请联系客服协商处理。",
    "This item's policy does not offer this; please contact customer service about the quality problem.",
)
_ONLY_Q = ("仅适用于质量问题（含食品安全问题）。", "Applies to quality problems (including food safety) only.")


def no_reason_return(c: PolicyCase) -> Remedy:
    t, n = c.t, c.t.no_reason_return_days
    if c.exemption and n == 0:
        ez, ee = LEGAL_EXEMPTIONS[c.exemption]
        zero = (
            f"本商品属于{ez}，依据《消费者权益保护法》第二十五条不适用七天无理由退货；如有质量问题，可申请质量问题退换货。",
            f"This item is one of the {ee}, which Article 25 of the Consumer Rights Protection Law exempts from "
            f"no-reason returns; if it has a quality problem you can ask for a quality-problem return or exchange.",
        )
    else:
        zero = (
            "本店该类商品不提供无理由退货；如有质量问题，可申请质量问题退换货。",
            "This shop does not offer no-reason returns on this item; if it has a quality problem you can ask "
            "for a quality-problem return or exchange.",
        )
    cond = (
        f"退货条件：{t.conditions_zh}" if t.conditions_zh else "",
        f"Conditions: {t.conditions_en}" if t.conditions_en else "",
    )
    return c.day_window(
        NO_REASON_RETURN,
        "no_reason_return_days",
        n,
        c.problem in (PROBLEM_RETURN_EXCHANGE, PROBLEM_QUALITY),
        (
            "无理由退货适用于退换货需求或质量问题。",
            "No-reason returns apply to return/exchange requests and quality problems.",
        ),
        zero,
        cond,
        no_reason_label(n),
    )


def no_reason_exchange(c: PolicyCase, returned: Remedy) -> Remedy:
    """Spec §3: return / exchange for a wrong size or colour, within the no-reason return's window."""
    if c.problem != PROBLEM_RETURN_EXCHANGE:
        zh, en = c.not_for(
            "无理由换货适用于尺码、颜色不合适等退换货需求；质量问题请看质量问题换货。",
            "A no-reason exchange is for a wrong size, colour and the like; for a quality problem see "
            "the quality-problem exchange.",
        )
        return c.remedy(
            NO_REASON_EXCHANGE, "no_reason_return_days", False, None, zh, en, applicable=False, cl=returned.clause
        )
    if returned.eligible and returned.deadline:
        return c.remedy(
            NO_REASON_EXCHANGE,
            "no_reason_return_days",
            True,
            returned.deadline,
            f"在无理由退货期限内也可换货（换尺码、颜色等），请于{zh_date(returned.deadline)}（含）前申请；"
            "条件和运费与无理由退货相同。",
            f"Within the no-reason return window you can also exchange it (another size, colour …): "
            f"apply by {en_date(returned.deadline)} (inclusive); conditions and shipping as for a no-reason "
            "return.",
            cl=returned.clause,
        )
    return c.remedy(
        NO_REASON_EXCHANGE,
        "no_reason_return_days",
        False,
        returned.deadline,
        "无理由换货与无理由退货期限相同：" + returned.reason_zh,
        "A no-reason exchange follows the no-reason return window: " + returned.reason_en,
        cl=returned.clause,
    )


def quality_return(c: PolicyCase) -> Remedy:
    return c.day_window(
        QUALITY_RETURN, "quality_return_days", c.t.quality_return_days, c.quality, _ONLY_Q, _NONE_Q, c.exclusions
    )


def quality_exchange(c: PolicyCase) -> Remedy:
    return c.day_window(
        QUALITY_EXCHANGE, "quality_exchange_days", c.t.quality_exchange_days, c.quality, _ONLY_Q, _NONE_Q, c.exclusions
    )


def refund(c: PolicyCase, so_far: list[Remedy]) -> Remedy:
    """Before delivery by cancelling; after it, together with an eligible return or the fresh-food express refund."""
    if c.problem == PROBLEM_CONSULTATION or (c.delivery_date is not None and c.problem == PROBLEM_COMPLAINT):
        zh, en = c.not_for(
            "服务投诉不涉及退款，可查看赔偿规则。", "A service complaint does not involve a refund; see compensation."
        )
        return c.remedy(REFUND, "no_reason_return_days", False, None, zh, en, applicable=False)
    if c.delivery_date is None:
        return c.remedy(
            REFUND,
            "refund_before_delivery",
            True,
            None,
            "商品尚未签收，可申请取消订单并仅退款；如包裹已发出，请拒收或签收后再申请退货。",
            "Not delivered yet: you can cancel the order for a refund only; if the parcel is on its way, "
            "refuse it or ask for a return after delivery.",
        )
    returns = [r for r in so_far if r.kind in (NO_REASON_RETURN, QUALITY_RETURN) and r.eligible and r.deadline]
    express_ok, express_end = window(1, c.delivery_date, c.as_of)
    if c.t.fresh_quality_refund_24h and c.quality and express_ok:
        return _express_refund(c, express_end, returns)
    if returns:
        return _refund_with_return(c, max(returns, key=lambda r: r.deadline or date.min))
    return _no_refund_open(c, express_end)


def _refund_with_return(c: PolicyCase, best: Remedy) -> Remedy:
    """Refunded once the return (the one open longest) is received and inspected."""
    assert best.deadline is not None
    return c.remedy(
        REFUND,
        best.clause.term,
        True,
        best.deadline,
        f"退货（{best.label_zh}）经商家签收验货后退款，原路退回。请于{zh_date(best.deadline)}（含）前申请退货。",
        f"Refunded to the original payment method once the return ({best.label_en}) is "
        f"received and inspected. Ask for the return by {en_date(best.deadline)} (inclusive).",
        cl=best.clause,
    )


def _no_refund_open(c: PolicyCase, express_end: date) -> Remedy:
    """No return is open, and for fresh food the express refund has closed."""
    zh, en = (
        "退款须随退货办理，目前没有可申请的退货途径。",
        "A refund comes with a return, and no return is open for this item now.",
    )
    if c.t.fresh_quality_refund_24h and c.quality:
        zh += f"生鲜 24 小时极速退款已于{zh_date(express_end)}截止。"
        en += f" The fresh food 24-hour express refund closed on {en_date(express_end)}."
    return c.remedy(REFUND, "no_reason_return_days" if not c.quality else "quality_return_days", False, None, zh, en)


def _express_refund(c: PolicyCase, express_end: date, returns: list[Remedy]) -> Remedy:
    """Fresh food with a quality problem, within 24 hours of delivery: refunded without sending it back."""
    later = max((r.deadline for r in returns if r.deadline and r.deadline > express_end), default=None)
    zh = f"生鲜质量问题 24 小时极速退款：签收后 24 小时内（截至{zh_date(express_end)}）拍照反馈，核实后直接退款，无需退货。"
    en = (
        f"Fresh food 24-hour express refund: report the quality problem with photos within 24 hours of "
        f"delivery (by {en_date(express_end)}) and you are refunded once verified, without sending it back."
    )
    if later:
        zh += f"逾期后至{zh_date(later)}仍可退货退款。"
        en += f" After that you can still return it for a refund until {en_date(later)}."
    return c.remedy(REFUND, "fresh_quality_refund_24h", True, express_end, zh, en)
