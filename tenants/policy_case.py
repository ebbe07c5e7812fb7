"""What the eligibility engine judges, and the words every remedy shares.

A PolicyCase holds the terms in force for the item's category and the case's facts; it names the clause a
remedy rests on, builds the remedy, and words a window counted in days from delivery. The rules for each
remedy live in policy_returns, policy_repairs and policy_compensation; tenants/policy.py runs them.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from tenants.categories import CATEGORIES
from tenants.remedies import (
    PROBLEM_CONSULTATION,
    PROBLEM_FOOD_SAFETY,
    PROBLEM_QUALITY,
    REMEDY_LABELS,
    TERM_TITLES,
    Clause,
    Remedy,
    VersionRef,
    no_reason_label,
)
from tenants.terms import Terms

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
_PENDING = (
    "商品尚未签收，退换货期限自签收次日起计算。",
    "Not delivered yet: return and exchange windows start the day after delivery.",
)
_CONSULT = (
    "咨询不涉及退换货、维修或赔偿；如商品有问题，请选择相应的问题类型。",
    "A consultation does not involve a return, repair or compensation; if the item has a problem, "
    "choose that problem type instead.",
)


def add_months(d: date, months: int) -> date:
    """Calendar month arithmetic clamped to the month's end: 31 January + 1 month → 28/29 February."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def zh_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def en_date(d: date) -> str:
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


def shipping(t: Terms, quality: bool) -> tuple[str, str]:
    """Who pays to send the item back."""
    if t.return_shipping_payer == "merchant_always":
        return "退换货运费由商家承担。", "Return shipping is paid by the merchant."
    if t.return_shipping_payer == "merchant_if_quality" and quality:
        return "质量问题运费由商家承担。", "For a quality problem, return shipping is paid by the merchant."
    return "退货运费由您承担。", "Return shipping is paid by you."


def window(days: int, delivered: date, as_of: date) -> tuple[bool, date]:
    """Whether a window of `days` is still open on `as_of`, and its last day."""
    deadline = delivered + timedelta(days=days)  # counted from the day after delivery: day N is the deadline
    return as_of <= deadline, deadline


def open_or_closed(eligible: bool, deadline: date) -> tuple[str, str]:
    if eligible:
        return f"请于{zh_date(deadline)}（含）前申请。", f"You can apply until {en_date(deadline)} (inclusive)."
    return f"申请期限已于{zh_date(deadline)}届满。", f"The window closed on {en_date(deadline)}."


@dataclass(frozen=True)
class PolicyCase:
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
        ok, deadline = window(days, self.delivery_date, self.as_of)
        oz, oe = open_or_closed(ok, deadline)
        ship_zh, ship_en = shipping(self.t, self.quality)
        zh = f"签收次日起 {days} 天内可申请。{oz}" + (f"{ship_zh}{extra[0]}" if ok else "")
        en = f"Available for {days} days from the day after delivery. {oe}" + (f" {ship_en} {extra[1]}" if ok else "")
        return self.remedy(kind, term, ok, deadline, zh, en.rstrip(), label=label)
