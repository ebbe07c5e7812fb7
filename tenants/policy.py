"""Eligibility engine: (policy version, order line, dates, problem) → remedies with deadlines and clauses."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Mapping, Sequence, TypeVar

from tenants.terms import CATEGORIES, LEGAL_EXEMPTIONS, Terms, effective_terms

PROBLEM_QUALITY = "quality"
PROBLEM_RETURN_EXCHANGE = "return_exchange"  # no-reason: wrong size or colour, duplicate purchase
PROBLEM_COMPLAINT = "complaint"
PROBLEM_CONSULTATION = "consultation"
PROBLEM_FOOD_SAFETY = "food_safety"
PROBLEM_TYPES: tuple[str, ...] = (PROBLEM_QUALITY, PROBLEM_RETURN_EXCHANGE, PROBLEM_COMPLAINT,
                                  PROBLEM_CONSULTATION, PROBLEM_FOOD_SAFETY)

NO_REASON_RETURN = "no_reason_return"
NO_REASON_EXCHANGE = "no_reason_exchange"  # wrong size or colour: swapped within the no-reason window
QUALITY_RETURN = "quality_return"
QUALITY_EXCHANGE = "quality_exchange"
FREE_REPAIR = "free_repair"
PAID_REPAIR = "paid_repair"
REFUND = "refund"
COMPENSATION = "compensation"
REMEDY_KINDS: tuple[str, ...] = (NO_REASON_RETURN, NO_REASON_EXCHANGE, QUALITY_RETURN, QUALITY_EXCHANGE, FREE_REPAIR,
                                 PAID_REPAIR, REFUND, COMPENSATION)  # also the order evaluate() returns

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


FOOD_SAFETY_MULTIPLE = Decimal(10)
FOOD_SAFETY_LOSS_MULTIPLE = Decimal(3)
FOOD_SAFETY_MINIMUM = Decimal(1000)
_CENT = Decimal("0.01")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


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
            "kind": self.kind, "eligible": self.eligible, "applicable": self.applicable,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "label_zh": self.label_zh, "label_en": self.label_en,
            "reason_zh": self.reason_zh, "reason_en": self.reason_en,
            "amount": str(self.amount) if self.amount is not None else None,
            "clause": {"version": self.clause.version, "term": self.clause.term, "category": self.clause.category,
                       "text_zh": self.clause.text_zh, "text_en": self.clause.text_en},
        }


@dataclass(frozen=True)
class VersionRef:
    number: int
    effective_date: date


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


def evaluate(terms: Terms, category_rules: Mapping[str, Mapping[str, Any]] | None, version: VersionRef,
             category: str, purchase_date: date, delivery_date: date | None, problem: str, as_of: date,
             price: Decimal | None = None) -> list[Remedy]:
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

    def clause(term: str, statutory: tuple[str, str] | None = None) -> Clause:
        cat = category if term in from_category else None
        if statutory:
            scope_zh, scope_en = statutory
        elif cat:
            scope_zh, scope_en = f"{CATEGORIES[cat].zh}类规则", f"{CATEGORIES[cat].en} rule"
        else:
            scope_zh, scope_en = "全店通用条款", "shop-wide terms"
        title_zh, title_en = no_reason_label(t.no_reason_return_days) if term == "no_reason_return_days" \
            else TERM_TITLES[term]
        return Clause(version.number, term, cat, f"第{version.number}版 · {title_zh}({scope_zh})",
                      f"Version {version.number} · {title_en} ({scope_en})")

    def remedy(kind: str, term: str, eligible: bool, deadline: date | None, zh: str, en: str,
               applicable: bool = True, amount: Decimal | None = None, cl: Clause | None = None,
               label: tuple[str, str] | None = None) -> Remedy:
        lz, le = label or REMEDY_LABELS[kind]
        return Remedy(kind, eligible, deadline, cl or clause(term), zh, en, lz, le, amount, applicable)

    exemption = t.legal_exemption or (CATEGORIES[category].legal_exemption if category in CATEGORIES else None)
    quality = problem in (PROBLEM_QUALITY, PROBLEM_FOOD_SAFETY)
    pending_zh, pending_en = "商品尚未签收，退换货期限自签收次日起计算。", \
        "Not delivered yet: return and exchange windows start the day after delivery."
    consult = ("咨询不涉及退换货、维修或赔偿；如商品有问题，请选择相应的问题类型。",
               "A consultation does not involve a return, repair or compensation; if the item has a problem, "
               "choose that problem type instead.")

    def not_for(zh: str, en: str) -> tuple[str, str]:
        return consult if problem == PROBLEM_CONSULTATION else (zh, en)

    def day_window(kind: str, term: str, days: int, applies: bool, na: tuple[str, str], zero: tuple[str, str],
                   extra: tuple[str, str], label: tuple[str, str] | None = None) -> Remedy:
        if not applies:
            return remedy(kind, term, False, None, *not_for(*na), applicable=False, label=label)
        if days == 0:
            return remedy(kind, term, False, None, *zero, label=label)
        if delivery_date is None:
            return remedy(kind, term, False, None, pending_zh, pending_en, label=label)
        ok, deadline = _window(days, delivery_date, as_of)
        oz, oe = _open_or_closed(ok, deadline)
        ship_zh, ship_en = _shipping(t, quality)
        zh = f"签收次日起 {days} 天内可申请。{oz}" + (f"{ship_zh}{extra[0]}" if ok else "")
        en = f"Available for {days} days from the day after delivery. {oe}" + (f" {ship_en} {extra[1]}" if ok else "")
        return remedy(kind, term, ok, deadline, zh, en.rstrip(), label=label)

    out: list[Remedy] = []
    # -- no-reason return
    n = t.no_reason_return_days
    if exemption and n == 0:
        ez, ee = LEGAL_EXEMPTIONS[exemption]
        zero = (f"本商品属于{ez}，依据《消费者权益保护法》第二十五条不适用七天无理由退货；如有质量问题，可申请质量问题退换货。",
                f"This item is one of the {ee}, which Article 25 of the Consumer Rights Protection Law exempts from "
                f"no-reason returns; if it has a quality problem you can ask for a quality-problem return or exchange.")
    else:
        zero = ("本店该类商品不提供无理由退货；如有质量问题，可申请质量问题退换货。",
                "This shop does not offer no-reason returns on this item; if it has a quality problem you can ask "
                "for a quality-problem return or exchange.")
    cond = (f"退货条件：{t.conditions_zh}" if t.conditions_zh else "", f"Conditions: {t.conditions_en}" if t.conditions_en else "")
    label = no_reason_label(n)
    out.append(day_window(NO_REASON_RETURN, "no_reason_return_days", n,
                          problem in (PROBLEM_RETURN_EXCHANGE, PROBLEM_QUALITY),
                          ("无理由退货适用于退换货需求或质量问题。",
                           "No-reason returns apply to return/exchange requests and quality problems."), zero, cond, label))
    # -- no-reason exchange (spec §3: return / exchange for a wrong size or colour): within the same window
    returned = out[-1]
    if problem != PROBLEM_RETURN_EXCHANGE:
        zh, en = not_for("无理由换货适用于尺码、颜色不合适等退换货需求；质量问题请看质量问题换货。",
                         "A no-reason exchange is for a wrong size, colour and the like; for a quality problem see "
                         "the quality-problem exchange.")
        out.append(remedy(NO_REASON_EXCHANGE, "no_reason_return_days", False, None, zh, en, applicable=False,
                          cl=returned.clause))
    elif returned.eligible and returned.deadline:
        out.append(remedy(NO_REASON_EXCHANGE, "no_reason_return_days", True, returned.deadline,
                          f"在无理由退货期限内也可换货（换尺码、颜色等），请于{_zh(returned.deadline)}（含）前申请；"
                          "条件和运费与无理由退货相同。",
                          f"Within the no-reason return window you can also exchange it (another size, colour …): "
                          f"apply by {_en(returned.deadline)} (inclusive); conditions and shipping as for a no-reason "
                          "return.", cl=returned.clause))
    else:
        out.append(remedy(NO_REASON_EXCHANGE, "no_reason_return_days", False, returned.deadline,
                          "无理由换货与无理由退货期限相同：" + returned.reason_zh,
                          "A no-reason exchange follows the no-reason return window: " + returned.reason_en,
                          cl=returned.clause))
    # -- quality return and exchange
    excl = (f"以下情况除外：{t.exclusions_zh}" if t.exclusions_zh else "", f"Not covered: {t.exclusions_en}" if t.exclusions_en else "")
    none_q = ("本商品的售后政策未提供此项；如有质量问题，请联系客服协商处理。",
              "This item's policy does not offer this; please contact customer service about the quality problem.")
    only_q = ("仅适用于质量问题（含食品安全问题）。", "Applies to quality problems (including food safety) only.")
    out.append(day_window(QUALITY_RETURN, "quality_return_days", t.quality_return_days, quality, only_q, none_q, excl))
    out.append(day_window(QUALITY_EXCHANGE, "quality_exchange_days", t.quality_exchange_days, quality, only_q,
                          none_q, excl))
    # -- repair: free within the warranty (counted in calendar months from delivery), paid after it
    warranty_end = add_months(delivery_date, t.warranty_months) if delivery_date and t.warranty_months else None
    in_warranty = warranty_end is not None and as_of <= warranty_end
    cycle = (f"维修周期一般为 {t.repair_cycle_min_days}–{t.repair_cycle_max_days} 个工作日。",
             f"Repairs usually take {t.repair_cycle_min_days}–{t.repair_cycle_max_days} working days.")
    scope = (f"保修范围：{t.warranty_scope_zh}。" if t.warranty_scope_zh else "",
             f"Covers: {t.warranty_scope_en}. " if t.warranty_scope_en else "")
    if problem != PROBLEM_QUALITY or t.warranty_months == 0:
        zh, en = not_for("免费保修仅适用于有保修期商品的质量问题。", "Free repair applies to quality problems on items with a warranty.")
        out.append(remedy(FREE_REPAIR, "warranty_months", False, None, zh, en, applicable=False))
    elif delivery_date is None:
        out.append(remedy(FREE_REPAIR, "warranty_months", False, None, "商品尚未签收，保修期自签收之日起计算。",
                          "Not delivered yet: the warranty starts on delivery."))
    else:
        assert warranty_end is not None
        oz, oe = _open_or_closed(in_warranty, warranty_end)
        sz, se = _shipping(t, True)
        zh = f"保修期 {t.warranty_months} 个月，至{_zh(warranty_end)}（含）。{scope[0]}" + (
            f"{sz}{cycle[0]}{excl[0]}" if in_warranty else "保修期已过。")
        en = f"{t.warranty_months}-month warranty, until {_en(warranty_end)} (inclusive). {scope[1]}" + (
            f"{se} {cycle[1]} {excl[1]}" if in_warranty else "The warranty has expired.")
        out.append(remedy(FREE_REPAIR, "warranty_months", in_warranty, warranty_end, zh, en.rstrip()))
    if problem != PROBLEM_QUALITY or not t.paid_repair_after_warranty:
        zh, en = not_for("付费维修仅适用于提供维修服务商品的质量问题。", "Paid repair applies to quality problems on items the shop repairs.")
        out.append(remedy(PAID_REPAIR, "paid_repair_after_warranty", False, None, zh, en, applicable=False))
    elif delivery_date is None:
        out.append(remedy(PAID_REPAIR, "paid_repair_after_warranty", False, None, "商品尚未签收，暂不涉及维修。",
                          "Not delivered yet: there is nothing to repair."))
    elif in_warranty:
        assert warranty_end is not None
        out.append(remedy(PAID_REPAIR, "paid_repair_after_warranty", False, None,
                          f"仍在保修期内（至{_zh(warranty_end)}），可享免费维修。",
                          f"Still under warranty (until {_en(warranty_end)}): repair is free."))
    else:
        out.append(remedy(PAID_REPAIR, "paid_repair_after_warranty", True, None,
                          f"{'保修期已过' if t.warranty_months else '本商品无保修期'}，可申请付费维修，费用经检测后报价、您确认后维修。{cycle[0]}",
                          f"{'The warranty has expired' if t.warranty_months else 'This item has no warranty'}; "
                          f"paid repair is available, quoted after inspection and done once you accept. {cycle[1]}"))
    # -- refund: before delivery by cancelling; after it, together with an eligible return or fresh express
    if problem == PROBLEM_CONSULTATION or (delivery_date is not None and problem == PROBLEM_COMPLAINT):
        zh, en = not_for("服务投诉不涉及退款，可查看赔偿规则。", "A service complaint does not involve a refund; see compensation.")
        out.append(remedy(REFUND, "no_reason_return_days", False, None, zh, en, applicable=False))
    elif delivery_date is None:
        out.append(remedy(REFUND, "refund_before_delivery", True, None,
                          "商品尚未签收，可申请取消订单并仅退款；如包裹已发出，请拒收或签收后再申请退货。",
                          "Not delivered yet: you can cancel the order for a refund only; if the parcel is on its way, "
                          "refuse it or ask for a return after delivery."))
    else:
        returns = [r for r in out if r.kind in (NO_REASON_RETURN, QUALITY_RETURN) and r.eligible and r.deadline]
        express_ok, express_end = _window(1, delivery_date, as_of)
        if t.fresh_quality_refund_24h and quality and express_ok:
            later = max((r.deadline for r in returns if r.deadline and r.deadline > express_end), default=None)
            zh = f"生鲜质量问题 24 小时极速退款：签收后 24 小时内（截至{_zh(express_end)}）拍照反馈，核实后直接退款，无需退货。"
            en = (f"Fresh food 24-hour express refund: report the quality problem with photos within 24 hours of "
                  f"delivery (by {_en(express_end)}) and you are refunded once verified, without sending it back.")
            if later:
                zh += f"逾期后至{_zh(later)}仍可退货退款。"
                en += f" After that you can still return it for a refund until {_en(later)}."
            out.append(remedy(REFUND, "fresh_quality_refund_24h", True, express_end, zh, en))
        elif returns:
            best = max(returns, key=lambda r: r.deadline or date.min)
            assert best.deadline is not None
            out.append(remedy(REFUND, best.clause.term, True, best.deadline,
                              f"退货（{best.label_zh}）经商家签收验货后退款，原路退回。请于{_zh(best.deadline)}（含）前申请退货。",
                              f"Refunded to the original payment method once the return ({best.label_en}) is "
                              f"received and inspected. Ask for the return by {_en(best.deadline)} (inclusive).",
                              cl=best.clause))
        else:
            zh, en = "退款须随退货办理，目前没有可申请的退货途径。", "A refund comes with a return, and no return is open for this item now."
            if t.fresh_quality_refund_24h and quality:
                zh += f"生鲜 24 小时极速退款已于{_zh(express_end)}截止。"
                en += f" The fresh food 24-hour express refund closed on {_en(express_end)}."
            out.append(remedy(REFUND, "no_reason_return_days" if not quality else "quality_return_days",
                              False, None, zh, en))
    # -- compensation: statutory for food safety, the shop's rules for complaints
    if problem == PROBLEM_FOOD_SAFETY:
        amount = None
        if price is not None:
            amount = max(price * FOOD_SAFETY_MULTIPLE, FOOD_SAFETY_MINIMUM).quantize(_CENT)
        law = ("《食品安全法》第一百四十八条", "Food Safety Law, Article 148")
        zh = ("食品安全问题可依法要求退一赔十：除退款外，赔偿价款的十倍" + (f"(¥{amount})" if amount else "") +
              "，或损失的三倍，增加赔偿不足 1,000 元的按 1,000 元计。不受退换货期限限制。")
        en = ("For a food-safety problem the law gives a refund plus ten times the price" +
              (f" (¥{amount})" if amount else "") + ", or three times the loss, and at least ¥1,000. "
              "This is not limited by the return windows.")
        out.append(remedy(COMPENSATION, "food_safety_compensation", True, None, zh, en, amount=amount,
                          cl=clause("food_safety_compensation", law)))
    elif problem == PROBLEM_COMPLAINT:
        rz, re_ = t.compensation_rules_zh or t.compensation_rules_en, t.compensation_rules_en or t.compensation_rules_zh
        if rz:
            out.append(remedy(COMPENSATION, "compensation_rules", True, None, rz, re_))
        else:
            out.append(remedy(COMPENSATION, "compensation_rules", False, None,
                              f"本店未公布赔偿规则；投诉处理结果将在 {t.complaint_feedback_hours} 小时内反馈。",
                              "This shop has published no compensation rules; you will hear the outcome of your "
                              f"complaint within {t.complaint_feedback_hours} hours."))
    else:
        zh, en = not_for("赔偿适用于食品安全问题和服务投诉。", "Compensation applies to food-safety problems and service complaints.")
        out.append(remedy(COMPENSATION, "compensation_rules", False, None, zh, en, applicable=False))
    return out
