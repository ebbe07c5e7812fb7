"""Eligibility engine: (policy version, order line, dates, problem) → remedies with deadlines and clauses."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from tenants.remedies import (
    COMPENSATION,
    FREE_REPAIR,
    NO_REASON_EXCHANGE,
    NO_REASON_RETURN,
    PAID_REPAIR,
    PROBLEM_COMPLAINT,
    PROBLEM_CONSULTATION,
    PROBLEM_FOOD_SAFETY,
    PROBLEM_QUALITY,
    PROBLEM_RETURN_EXCHANGE,
    PROBLEM_TYPES,
    QUALITY_EXCHANGE,
    QUALITY_RETURN,
    REFUND,
    REMEDY_LABELS,
    TERM_TITLES,
    Clause,
    Remedy,
    VersionRef,
    no_reason_label,
)
from tenants.terms import CATEGORIES, LEGAL_EXEMPTIONS, Terms, effective_terms

REMEDY_KINDS: tuple[str, ...] = (
    NO_REASON_RETURN,
    NO_REASON_EXCHANGE,
    QUALITY_RETURN,
    QUALITY_EXCHANGE,
    FREE_REPAIR,
    PAID_REPAIR,
    REFUND,
    COMPENSATION,
)  # also the order evaluate() returns

FOOD_SAFETY_MULTIPLE = Decimal(10)
FOOD_SAFETY_LOSS_MULTIPLE = Decimal(3)
FOOD_SAFETY_MINIMUM = Decimal(1000)
_CENT = Decimal("0.01")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


X = TypeVar("X")


def choose_version(versions: Sequence[tuple[VersionRef, X]], purchase_date: date) -> tuple[VersionRef, X] | None:
    """The version in force on the purchase date: the latest effective_date ≤ purchase_date.

    Same-day versions: the higher number wins. A purchase before the first version is judged under the
    earliest one (the shop had no older published terms to offer). No versions → None.
    """
    if not versions:
        return None
    in_force = [v for v in versions if v[0].effective_date <= purchase_date]
    if in_force:
        return max(in_force, key=lambda v: (v[0].effective_date, v[0].number))
    return min(versions, key=lambda v: (v[0].effective_date, v[0].number))


def add_months(d: date, months: int) -> date:
    """Calendar month arithmetic clamped to the month's end: 31 January + 1 month → 28/29 February."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def mentions_food_safety(terms: Terms, text: str) -> bool:
    """Whether a problem description contains one of the tenant's food-safety words (triage to emergency)."""
    folded = text.casefold()
    return any(w.casefold() in folded for w in terms.food_safety_words if w)


def _zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _en(d: date) -> str:
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def _shipping(t: Terms, quality: bool) -> tuple[str, str]:
    if t.return_shipping_payer == "merchant_always":
        return "退换货运费由商家承担。", "Return shipping is paid by the merchant."
    if t.return_shipping_payer == "merchant_if_quality" and quality:
        return "质量问题运费由商家承担。", "For a quality problem, return shipping is paid by the merchant."
    return "退货运费由您承担。", "Return shipping is paid by you."


def _window(days: int, delivered: date, as_of: date) -> tuple[bool, date]:
    deadline = delivered + timedelta(days=days)  # counted from the day after delivery: day N is the deadline
    return as_of <= deadline, deadline


def _open_or_closed(eligible: bool, deadline: date) -> tuple[str, str]:
    if eligible:
        return f"请于{_zh(deadline)}（含）前申请。", f"You can apply until {_en(deadline)} (inclusive)."
    return f"申请期限已于{_zh(deadline)}届满。", f"The window closed on {_en(deadline)}."


def evaluate(
    terms: Terms,
    category_rules: Mapping[str, Mapping[str, Any]] | None,
    version: VersionRef,
    category: str,
    purchase_date: date,
    delivery_date: date | None,
    problem: str,
    as_of: date,
    price: Decimal | None = None,
) -> list[Remedy]:
    """One Remedy per kind in REMEDY_KINDS order; those that do not concern the problem have applicable=False."""
    if problem not in PROBLEM_TYPES:
        raise ValueError(f"unknown problem type {problem!r}; known: {', '.join(PROBLEM_TYPES)}")
    if delivery_date is not None and delivery_date < purchase_date:
        raise ValueError("delivery date is before the purchase date")
    if price is not None:
        price = Decimal(str(price)) if isinstance(price, float) else Decimal(price)
        if price < 0:
            raise ValueError("price cannot be negative")
    t, from_category = effective_terms(terms, category_rules, category)
    c = _Case(t, from_category, version, category, delivery_date, problem, as_of, price)
    returned = _no_reason_return(c)
    out = [returned, _no_reason_exchange(c, returned), _quality_return(c), _quality_exchange(c)]
    free = _free_repair(c)
    out += [free, _paid_repair(c), _refund(c, out), _compensation(c)]
    return out


_PENDING = (
    "商品尚未签收，退换货期限自签收次日起计算。",
    "Not delivered yet: return and exchange windows start the day after delivery.",
)
_CONSULT = (
    "咨询不涉及退换货、维修或赔偿；如商品有问题，请选择相应的问题类型。",
    "A consultation does not involve a return, repair or compensation; if the item has a problem, "
    "choose that problem type instead.",
)
_NONE_Q = (
    "本商品的售后政策未提供此项；如有质量问题，请联系客服协商处理。",
    "This item's policy does not offer this; please contact customer service about the quality problem.",
)
_ONLY_Q = ("仅适用于质量问题（含食品安全问题）。", "Applies to quality problems (including food safety) only.")


@dataclass(frozen=True)
class _Case:
    """What evaluate() judges: the terms in force for the item's category, and the case's facts."""

    t: Terms
    from_category: frozenset[str] | set[str]  # the terms the category's rule set
    version: VersionRef
    category: str
    delivery_date: date | None
    problem: str
    as_of: date
    price: Decimal | None

    @property
    def quality(self) -> bool:
        return self.problem in (PROBLEM_QUALITY, PROBLEM_FOOD_SAFETY)

    @property
    def exemption(self) -> str | None:
        return self.t.legal_exemption or (
            CATEGORIES[self.category].legal_exemption if self.category in CATEGORIES else None
        )

    @property
    def warranty_end(self) -> date | None:
        """The warranty's last day, counted in calendar months from delivery (None: none, or not delivered)."""
        if self.delivery_date and self.t.warranty_months:
            return add_months(self.delivery_date, self.t.warranty_months)
        return None

    @property
    def exclusions(self) -> tuple[str, str]:
        t = self.t
        return (
            f"以下情况除外：{t.exclusions_zh}" if t.exclusions_zh else "",
            f"Not covered: {t.exclusions_en}" if t.exclusions_en else "",
        )

    def clause(self, term: str, statutory: tuple[str, str] | None = None) -> Clause:
        cat = self.category if term in self.from_category else None
        if statutory:
            scope_zh, scope_en = statutory
        elif cat:
            scope_zh, scope_en = f"{CATEGORIES[cat].zh}类规则", f"{CATEGORIES[cat].en} rule"
        else:
            scope_zh, scope_en = "全店通用条款", "shop-wide terms"
        title_zh, title_en = (
            no_reason_label(self.t.no_reason_return_days) if term == "no_reason_return_days" else TERM_TITLES[term]
        )
        number = self.version.number
        return Clause(
            number, term, cat, f"第{number}版 · {title_zh}({scope_zh})", f"Version {number} · {title_en} ({scope_en})"
        )

    def remedy(
        self,
        kind: str,
        term: str,
        eligible: bool,
        deadline: date | None,
        zh: str,
        en: str,
        applicable: bool = True,
        amount: Decimal | None = None,
        cl: Clause | None = None,
        label: tuple[str, str] | None = None,
    ) -> Remedy:
        lz, le = label or REMEDY_LABELS[kind]
        return Remedy(kind, eligible, deadline, cl or self.clause(term), zh, en, lz, le, amount, applicable)

    def not_for(self, zh: str, en: str) -> tuple[str, str]:
        """Why a remedy does not concern the problem (for a consultation: the same words for every remedy)."""
        return _CONSULT if self.problem == PROBLEM_CONSULTATION else (zh, en)

    def day_window(
        self,
        kind: str,
        term: str,
        days: int,
        applies: bool,
        na: tuple[str, str],
        zero: tuple[str, str],
        extra: tuple[str, str],
        label: tuple[str, str] | None = None,
    ) -> Remedy:
        """A remedy open for `days` from the day after delivery (the returns and exchanges)."""
        if not applies:
            return self.remedy(kind, term, False, None, *self.not_for(*na), applicable=False, label=label)
        if days == 0:
            return self.remedy(kind, term, False, None, *zero, label=label)
        if self.delivery_date is None:
            return self.remedy(kind, term, False, None, *_PENDING, label=label)
        ok, deadline = _window(days, self.delivery_date, self.as_of)
        oz, oe = _open_or_closed(ok, deadline)
        ship_zh, ship_en = _shipping(self.t, self.quality)
        zh = f"签收次日起 {days} 天内可申请。{oz}" + (f"{ship_zh}{extra[0]}" if ok else "")
        en = f"Available for {days} days from the day after delivery. {oe}" + (f" {ship_en} {extra[1]}" if ok else "")
        return self.remedy(kind, term, ok, deadline, zh, en.rstrip(), label=label)


def _no_reason_return(c: _Case) -> Remedy:
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


def _no_reason_exchange(c: _Case, returned: Remedy) -> Remedy:
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
            f"在无理由退货期限内也可换货（换尺码、颜色等），请于{_zh(returned.deadline)}（含）前申请；"
            "条件和运费与无理由退货相同。",
            f"Within the no-reason return window you can also exchange it (another size, colour …): "
            f"apply by {_en(returned.deadline)} (inclusive); conditions and shipping as for a no-reason "
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


def _quality_return(c: _Case) -> Remedy:
    return c.day_window(
        QUALITY_RETURN, "quality_return_days", c.t.quality_return_days, c.quality, _ONLY_Q, _NONE_Q, c.exclusions
    )


def _quality_exchange(c: _Case) -> Remedy:
    return c.day_window(
        QUALITY_EXCHANGE, "quality_exchange_days", c.t.quality_exchange_days, c.quality, _ONLY_Q, _NONE_Q, c.exclusions
    )


def _repair_cycle(t: Terms) -> tuple[str, str]:
    return (
        f"维修周期一般为 {t.repair_cycle_min_days}–{t.repair_cycle_max_days} 个工作日。",
        f"Repairs usually take {t.repair_cycle_min_days}–{t.repair_cycle_max_days} working days.",
    )


def _free_repair(c: _Case) -> Remedy:
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
    oz, oe = _open_or_closed(in_warranty, warranty_end)
    sz, se = _shipping(t, True)
    zh = f"保修期 {t.warranty_months} 个月，至{_zh(warranty_end)}（含）。{scope[0]}" + (
        f"{sz}{cycle[0]}{excl[0]}" if in_warranty else "保修期已过。"
    )
    en = f"{t.warranty_months}-month warranty, until {_en(warranty_end)} (inclusive). {scope[1]}" + (
        f"{se} {cycle[1]} {excl[1]}" if in_warranty else "The warranty has expired."
    )
    return c.remedy(FREE_REPAIR, "warranty_months", in_warranty, warranty_end, zh, en.rstrip())


def _paid_repair(c: _Case) -> Remedy:
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
            f"仍在保修期内（至{_zh(warranty_end)}），可享免费维修。",
            f"Still under warranty (until {_en(warranty_end)}): repair is free.",
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


def _refund(c: _Case, so_far: list[Remedy]) -> Remedy:
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
    express_ok, express_end = _window(1, c.delivery_date, c.as_of)
    if c.t.fresh_quality_refund_24h and c.quality and express_ok:
        return _express_refund(c, express_end, returns)
    if returns:
        best = max(returns, key=lambda r: r.deadline or date.min)
        assert best.deadline is not None
        return c.remedy(
            REFUND,
            best.clause.term,
            True,
            best.deadline,
            f"退货（{best.label_zh}）经商家签收验货后退款，原路退回。请于{_zh(best.deadline)}（含）前申请退货。",
            f"Refunded to the original payment method once the return ({best.label_en}) is "
            f"received and inspected. Ask for the return by {_en(best.deadline)} (inclusive).",
            cl=best.clause,
        )
    zh, en = (
        "退款须随退货办理，目前没有可申请的退货途径。",
        "A refund comes with a return, and no return is open for this item now.",
    )
    if c.t.fresh_quality_refund_24h and c.quality:
        zh += f"生鲜 24 小时极速退款已于{_zh(express_end)}截止。"
        en += f" The fresh food 24-hour express refund closed on {_en(express_end)}."
    return c.remedy(REFUND, "no_reason_return_days" if not c.quality else "quality_return_days", False, None, zh, en)


def _express_refund(c: _Case, express_end: date, returns: list[Remedy]) -> Remedy:
    """Fresh food with a quality problem, within 24 hours of delivery: refunded without sending it back."""
    later = max((r.deadline for r in returns if r.deadline and r.deadline > express_end), default=None)
    zh = f"生鲜质量问题 24 小时极速退款：签收后 24 小时内（截至{_zh(express_end)}）拍照反馈，核实后直接退款，无需退货。"
    en = (
        f"Fresh food 24-hour express refund: report the quality problem with photos within 24 hours of "
        f"delivery (by {_en(express_end)}) and you are refunded once verified, without sending it back."
    )
    if later:
        zh += f"逾期后至{_zh(later)}仍可退货退款。"
        en += f" After that you can still return it for a refund until {_en(later)}."
    return c.remedy(REFUND, "fresh_quality_refund_24h", True, express_end, zh, en)


def _compensation(c: _Case) -> Remedy:
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


def _food_safety_compensation(c: _Case) -> Remedy:
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
