"""Eligibility engine: (policy version, order line, dates, problem) → remedies with deadlines and clauses.

This module runs the rules, one function per remedy, in the order a consumer reads them: returns and
exchanges and the refund (policy_returns), repairs (policy_repairs), compensation (policy_compensation),
each judging a PolicyCase (policy_case) with the words it needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from tenants.policy_case import PolicyCase
from tenants.policy_compensation import compensation
from tenants.policy_repairs import free_repair, paid_repair
from tenants.policy_returns import no_reason_exchange, no_reason_return, quality_exchange, quality_return, refund
from tenants.remedies import (
    COMPENSATION,
    FREE_REPAIR,
    NO_REASON_EXCHANGE,
    NO_REASON_RETURN,
    PAID_REPAIR,
    PROBLEM_TYPES,
    QUALITY_EXCHANGE,
    QUALITY_RETURN,
    REFUND,
    Remedy,
    VersionRef,
)
from tenants.terms import Terms, effective_terms

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


def mentions_food_safety(terms: Terms, text: str) -> bool:
    """Whether a problem description contains one of the tenant's food-safety words (triage to emergency)."""
    folded = text.casefold()
    return any(w.casefold() in folded for w in terms.food_safety_words if w)


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
    c = PolicyCase(t, from_category, version, category, delivery_date, problem, as_of, price)
    returned = no_reason_return(c)
    out = [returned, no_reason_exchange(c, returned), quality_return(c), quality_exchange(c)]
    free = free_repair(c)
    out += [free, paid_repair(c), refund(c, out), compensation(c)]
    return out
