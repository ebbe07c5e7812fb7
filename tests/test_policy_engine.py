"""The after-sales terms and eligibility engine: windows, warranty, versions, overrides, validation, presets."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants.categories import CATEGORIES
from tenants.policy import REMEDY_KINDS, choose_version, evaluate, mentions_food_safety
from tenants.policy_case import add_months
from tenants.presets import PRESETS, apply_preset
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
    Remedy,
    VersionRef,
)
from tenants.term_fields import CATEGORY_OVERRIDABLE, LEGACY_UNITS
from tenants.term_rules import validate_category_rules, validate_terms
from tenants.terms import InvalidTerms, Terms, effective_terms

V = VersionRef(3, date(2024, 1, 1))
BOUGHT = date(2024, 3, 1)
DELIVERED = date(2024, 3, 2)
delivery_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
days = st.integers(min_value=1, max_value=60)


def by_kind(remedies: list[Remedy]) -> dict[str, Remedy]:
    return {r.kind: r for r in remedies}


def run(
    terms: Terms = Terms(),
    rules: dict | None = None,
    category: str = "general",
    delivered: date | None = DELIVERED,
    problem: str = PROBLEM_QUALITY,
    as_of: date = DELIVERED,
    price: Decimal | None = None,
) -> dict[str, Remedy]:
    bought = min(BOUGHT, delivered) if delivered else BOUGHT
    return by_kind(evaluate(terms, rules or {}, V, category, bought, delivered, problem, as_of, price))


# -- windows: day N after delivery is inside, day N+1 outside -------------------------------------------


@settings(max_examples=60, deadline=None)
@given(n=days, delivered=delivery_dates)
def test_no_reason_window_boundary(n: int, delivered: date) -> None:
    t = Terms(no_reason_return_days=n)
    inside = run(t, delivered=delivered, problem=PROBLEM_RETURN_EXCHANGE, as_of=delivered + timedelta(days=n))
    outside = run(t, delivered=delivered, problem=PROBLEM_RETURN_EXCHANGE, as_of=delivered + timedelta(days=n + 1))
    assert inside[NO_REASON_RETURN].eligible and inside[NO_REASON_RETURN].deadline == delivered + timedelta(days=n)
    assert not outside[NO_REASON_RETURN].eligible
    assert outside[NO_REASON_RETURN].deadline == delivered + timedelta(days=n)
    # the refund follows the return it comes with
    assert inside[REFUND].eligible and inside[REFUND].deadline == delivered + timedelta(days=n)
    assert not outside[REFUND].eligible


@settings(max_examples=60, deadline=None)
@given(n=days, extra=st.integers(min_value=0, max_value=30), delivered=delivery_dates)
def test_quality_return_and_exchange_boundaries(n: int, extra: int, delivered: date) -> None:
    t = Terms(quality_return_days=n, quality_exchange_days=n + extra, no_reason_return_days=0)
    for kind, window in ((QUALITY_RETURN, n), (QUALITY_EXCHANGE, n + extra)):
        last = delivered + timedelta(days=window)
        assert run(t, delivered=delivered, as_of=last)[kind].eligible
        assert run(t, delivered=delivered, as_of=delivered + timedelta(days=1))[kind].eligible
        after = run(t, delivered=delivered, as_of=last + timedelta(days=1))[kind]
        assert not after.eligible and after.deadline == last
        assert after.reason_zh and after.reason_en


@settings(max_examples=40, deadline=None)
@given(n=days, delivered=delivery_dates)
def test_quality_problem_may_use_no_reason_window(n: int, delivered: date) -> None:
    t = Terms(no_reason_return_days=n, quality_return_days=1, quality_exchange_days=1)
    got = run(t, delivered=delivered, as_of=delivered + timedelta(days=n))
    assert got[NO_REASON_RETURN].eligible
    assert got[REFUND].eligible and got[REFUND].deadline == delivered + timedelta(days=max(n, 1))


@settings(max_examples=40, deadline=None)
@given(delivered=delivery_dates)
def test_fresh_24h_express_refund_boundary(delivered: date) -> None:
    t = Terms(no_reason_return_days=0, quality_return_days=0, quality_exchange_days=0, fresh_quality_refund_24h=True)
    on_time = run(t, delivered=delivered, as_of=delivered + timedelta(days=1))[REFUND]
    assert on_time.eligible and on_time.deadline == delivered + timedelta(days=1)
    assert "24 小时极速退款" in on_time.reason_zh and "24-hour express refund" in on_time.reason_en
    assert on_time.clause.term == "fresh_quality_refund_24h"
    assert not run(t, delivered=delivered, as_of=delivered + timedelta(days=2))[REFUND].eligible
    # a no-reason request does not get the express refund
    assert not run(t, delivered=delivered, problem=PROBLEM_RETURN_EXCHANGE)[REFUND].eligible


def test_reasons_name_deadline_and_shipping_payer() -> None:
    got = run(as_of=DELIVERED)
    q = got[QUALITY_RETURN]
    assert "2024年3月9日" in q.reason_zh and "9 March 2024" in q.reason_en
    assert "质量问题运费由商家承担" in q.reason_zh and "paid by the merchant" in q.reason_en
    nr = run(problem=PROBLEM_RETURN_EXCHANGE)[NO_REASON_RETURN]
    assert "由您承担" in nr.reason_zh and "paid by you" in nr.reason_en
    always = run(Terms(return_shipping_payer="merchant_always"), problem=PROBLEM_RETURN_EXCHANGE)[NO_REASON_RETURN]
    assert "商家承担" in always.reason_zh


def test_a_wrong_size_can_be_exchanged_within_the_no_reason_window() -> None:
    """Spec §3 (return / exchange: wrong size, colour): an exchange is open exactly while the no-reason return is."""
    last = DELIVERED + timedelta(days=30)
    inside = run(Terms(no_reason_return_days=30), problem=PROBLEM_RETURN_EXCHANGE, as_of=last)
    ex = inside[NO_REASON_EXCHANGE]
    assert ex.eligible and ex.applicable and ex.deadline == inside[NO_REASON_RETURN].deadline == last
    assert "换尺码" in ex.reason_zh and "another size" in ex.reason_en and ex.clause.term == "no_reason_return_days"
    outside = run(Terms(no_reason_return_days=30), problem=PROBLEM_RETURN_EXCHANGE, as_of=last + timedelta(days=1))
    assert not outside[NO_REASON_EXCHANGE].eligible and outside[NO_REASON_EXCHANGE].deadline == last
    exempt = run(Terms(no_reason_return_days=0, legal_exemption="custom_made"), problem=PROBLEM_RETURN_EXCHANGE)
    assert not exempt[NO_REASON_EXCHANGE].eligible and "第二十五条" in exempt[NO_REASON_EXCHANGE].reason_zh
    for problem in (PROBLEM_QUALITY, PROBLEM_COMPLAINT):  # a quality problem has its own exchange
        assert not run(problem=problem)[NO_REASON_EXCHANGE].applicable


# -- warranty -----------------------------------------------------------------------------------------


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 31), 1) == date(2024, 4, 30)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_warranty_from_january_31() -> None:
    t = Terms(warranty_months=1)
    last = run(t, delivered=date(2023, 1, 31), as_of=date(2023, 2, 28))
    assert last[FREE_REPAIR].eligible and last[FREE_REPAIR].deadline == date(2023, 2, 28)
    assert not last[PAID_REPAIR].eligible
    after = run(t, delivered=date(2023, 1, 31), as_of=date(2023, 3, 1))
    assert not after[FREE_REPAIR].eligible and after[PAID_REPAIR].eligible


@settings(max_examples=60, deadline=None)
@given(months=st.integers(min_value=1, max_value=120), delivered=delivery_dates)
def test_warranty_boundary(months: int, delivered: date) -> None:
    t = Terms(warranty_months=months)
    end = add_months(delivered, months)
    assert run(t, delivered=delivered, as_of=end)[FREE_REPAIR].eligible
    later = run(t, delivered=delivered, as_of=end + timedelta(days=1))
    assert not later[FREE_REPAIR].eligible and later[PAID_REPAIR].eligible
    assert not run(
        t.with_overrides({"paid_repair_after_warranty": False}), delivered=delivered, as_of=end + timedelta(days=1)
    )[PAID_REPAIR].eligible


def test_no_warranty_means_paid_repair_only() -> None:
    got = run(Terms(warranty_months=0))
    assert not got[FREE_REPAIR].applicable and got[PAID_REPAIR].eligible
    assert not run(Terms(warranty_months=0, paid_repair_after_warranty=False))[PAID_REPAIR].eligible


# -- versions -----------------------------------------------------------------------------------------


def test_version_choice_across_effective_date() -> None:
    v1, v2 = VersionRef(1, date(2024, 1, 1)), VersionRef(2, date(2024, 6, 1))
    versions = [(v2, "new"), (v1, "old")]
    assert choose_version(versions, date(2024, 5, 31)) == (v1, "old")
    assert choose_version(versions, date(2024, 6, 1)) == (v2, "new")
    assert choose_version(versions, date(2025, 1, 1)) == (v2, "new")
    assert choose_version(versions, date(2023, 1, 1)) == (v1, "old")  # before the first: the earliest
    assert choose_version([], date(2024, 1, 1)) is None
    v3 = VersionRef(3, date(2024, 6, 1))
    assert choose_version(versions + [(v3, "same day, later")], date(2024, 6, 1)) == (v3, "same day, later")


def test_clause_cites_version() -> None:
    got = evaluate(
        Terms(), {}, VersionRef(7, date(2024, 1, 1)), "general", BOUGHT, DELIVERED, PROBLEM_QUALITY, DELIVERED
    )
    assert all(
        r.clause.version == 7 and r.clause.text_zh.startswith("第7版") and r.clause.text_en.startswith("Version 7")
        for r in got
    )


# -- category overrides -------------------------------------------------------------------------------


def test_category_rule_beats_base_and_others_come_from_base() -> None:
    base = Terms(no_reason_return_days=7, quality_return_days=7, quality_exchange_days=15)
    rules = {"fresh_food": {"no_reason_return_days": 0, "quality_return_days": 2, "quality_exchange_days": 2}}
    t, fields = effective_terms(base, rules, "fresh_food")
    assert (t.no_reason_return_days, t.quality_return_days, t.warranty_months) == (0, 2, 0)
    assert fields == {"no_reason_return_days", "quality_return_days", "quality_exchange_days"}
    got = run(base, rules, category="fresh_food")
    assert got[QUALITY_RETURN].deadline == DELIVERED + timedelta(days=2)
    assert got[QUALITY_RETURN].clause.category == "fresh_food"
    assert got[QUALITY_RETURN].clause.text_zh == "第3版 · 质量问题退货(生鲜食品类规则)"
    assert got[QUALITY_RETURN].clause.text_en == "Version 3 · Quality-problem return (Fresh food rule)"
    # a field the category did not set comes from the base terms, and the clause says so
    got = run(base, {"fresh_food": {"quality_return_days": 2}}, category="fresh_food", problem=PROBLEM_RETURN_EXCHANGE)
    assert got[NO_REASON_RETURN].deadline == DELIVERED + timedelta(days=7)
    assert got[NO_REASON_RETURN].clause.category is None
    assert "全店通用条款" in got[NO_REASON_RETURN].clause.text_zh
    assert "shop-wide terms" in got[NO_REASON_RETURN].clause.text_en


def test_unknown_or_missing_category_gets_base() -> None:
    base = Terms(quality_return_days=9, quality_exchange_days=20)
    rules = {"fresh_food": {"quality_return_days": 2}, "toys": {"quality_return_days": 1}}
    assert effective_terms(base, rules, "toys") == (base, set())
    assert effective_terms(base, rules, "electronics") == (base, set())
    assert effective_terms(base, None, "fresh_food") == (base, set())
    assert run(base, rules, category="toys")[QUALITY_RETURN].deadline == DELIVERED + timedelta(days=9)


def test_non_overridable_keys_in_rules_are_ignored() -> None:
    t, fields = effective_terms(Terms(), {"dairy": {"first_response_minutes": 1}}, "dairy")
    assert t.first_response_minutes == 10 and fields == set()
    assert "first_response_minutes" not in CATEGORY_OVERRIDABLE
    assert {"no_reason_return_days", "warranty_months", "legal_exemption"} <= CATEGORY_OVERRIDABLE


# -- not delivered, exemptions, problem types ----------------------------------------------------------


@pytest.mark.parametrize("problem", [PROBLEM_QUALITY, PROBLEM_RETURN_EXCHANGE, PROBLEM_FOOD_SAFETY])
def test_not_delivered(problem: str) -> None:
    got = run(Terms(warranty_months=12), delivered=None, problem=problem)
    for kind in (NO_REASON_RETURN, QUALITY_RETURN, QUALITY_EXCHANGE, FREE_REPAIR, PAID_REPAIR):
        r = got[kind]
        assert not r.eligible and r.deadline is None
        if r.applicable:
            assert "尚未签收" in r.reason_zh and "Not delivered" in r.reason_en
    assert "签收次日起" in got[QUALITY_RETURN if problem != PROBLEM_RETURN_EXCHANGE else NO_REASON_RETURN].reason_zh
    assert got[REFUND].eligible and got[REFUND].deadline is None
    assert "仅退款" in got[REFUND].reason_zh and "refund" in got[REFUND].reason_en


@pytest.mark.parametrize(
    "category,exemption_zh,exemption_en",
    [
        ("fresh_food", "鲜活易腐", "perishable"),
        ("dairy", "鲜活易腐", "perishable"),
        ("custom_made", "定作", "made to the consumer's order"),
        ("digital", "数字化商品", "digital goods"),
        ("periodicals", "报纸、期刊", "periodicals"),
    ],
)
def test_exempt_category_with_zero_days_names_the_exemption(
    category: str, exemption_zh: str, exemption_en: str
) -> None:
    terms, rules = apply_preset("cn_statutory")
    r = run(Terms.from_dict(terms), rules, category=category, problem=PROBLEM_RETURN_EXCHANGE)[NO_REASON_RETURN]
    assert not r.eligible and r.deadline is None
    assert exemption_zh in r.reason_zh and "消费者权益保护法" in r.reason_zh
    assert exemption_en in r.reason_en and "Consumer Rights Protection Law" in r.reason_en
    assert r.clause.category == category


def test_zero_days_without_exemption_says_not_offered() -> None:
    r = run(Terms(no_reason_return_days=0), problem=PROBLEM_RETURN_EXCHANGE)[NO_REASON_RETURN]
    assert not r.eligible and "不提供" in r.reason_zh and "does not offer" in r.reason_en
    assert "消费者权益保护法" not in r.reason_zh


@pytest.mark.parametrize(
    "price,expected",
    [
        (Decimal("39.90"), Decimal("1000.00")),
        (Decimal("100"), Decimal("1000.00")),
        (Decimal("100.01"), Decimal("1000.10")),
        (Decimal("2500.5"), Decimal("25005.00")),
        (Decimal("0"), Decimal("1000.00")),
    ],
)
def test_food_safety_compensation(price: Decimal, expected: Decimal) -> None:
    late = DELIVERED + timedelta(days=400)  # not window-bound
    c = run(delivered=DELIVERED, problem=PROBLEM_FOOD_SAFETY, as_of=late, price=price)[COMPENSATION]
    assert c.eligible and c.amount == expected and isinstance(c.amount, Decimal)
    assert c.amount == max(price * 10, Decimal(1000))
    assert "退一赔十" in c.reason_zh and "三倍" in c.reason_zh and "three times the loss" in c.reason_en
    assert "食品安全法" in c.clause.text_zh


@settings(max_examples=60, deadline=None)
@given(price=st.decimals(min_value=0, max_value=100000, places=2))
def test_food_safety_amount_property(price: Decimal) -> None:
    c = run(problem=PROBLEM_FOOD_SAFETY, price=price)[COMPENSATION]
    assert c.amount == max(price * 10, Decimal(1000)).quantize(Decimal("0.01"))


def test_food_safety_without_price_and_quality_windows() -> None:
    got = run(problem=PROBLEM_FOOD_SAFETY)
    assert got[COMPENSATION].eligible and got[COMPENSATION].amount is None
    assert got[QUALITY_RETURN].eligible and not got[NO_REASON_RETURN].applicable


def test_complaint_compensation_follows_rules_text() -> None:
    rules = Terms(
        compensation_rules_zh="延迟发货超过 48 小时赔付 5 元优惠券。", compensation_rules_en="Late dispatch: ¥5 coupon."
    )
    c = run(rules, problem=PROBLEM_COMPLAINT)[COMPENSATION]
    assert c.eligible and c.reason_zh == rules.compensation_rules_zh and c.reason_en == rules.compensation_rules_en
    assert not run(Terms(), problem=PROBLEM_COMPLAINT)[COMPENSATION].eligible


def test_consultation_offers_nothing() -> None:
    got = run(problem=PROBLEM_CONSULTATION)
    assert not any(r.eligible or r.applicable for r in got.values())
    assert all("咨询不涉及退换货" in r.reason_zh for r in got.values())


@pytest.mark.parametrize("problem", PROBLEM_TYPES)
def test_stable_order_and_bilingual(problem: str) -> None:
    got = evaluate(Terms(warranty_months=12), {}, V, "electronics", BOUGHT, DELIVERED, problem, DELIVERED, Decimal(5))
    assert [r.kind for r in got] == list(REMEDY_KINDS)
    assert all(r.reason_zh and r.reason_en and r.label_zh and r.label_en for r in got)
    json.dumps([r.to_dict() for r in got])


def test_bad_engine_input() -> None:
    with pytest.raises(ValueError):
        evaluate(Terms(), {}, V, "general", BOUGHT, DELIVERED, "bogus", DELIVERED)
    with pytest.raises(ValueError):
        evaluate(Terms(), {}, V, "general", BOUGHT, BOUGHT - timedelta(days=1), PROBLEM_QUALITY, DELIVERED)


def test_food_safety_words() -> None:
    assert mentions_food_safety(Terms(), "酸奶喝了以后腹泻")
    assert mentions_food_safety(Terms(), "Found MOULD on the lid")
    assert not mentions_food_safety(Terms(), "尺码偏小")


# -- terms data and validation -------------------------------------------------------------------------


def test_terms_defaults_match_spec() -> None:
    t = Terms()
    assert (t.no_reason_return_days, t.quality_return_days, t.quality_exchange_days) == (7, 7, 15)
    assert (
        t.first_response_minutes,
        t.consultation_written_hours,
        t.quality_proposal_hours,
        t.quality_execution_hours,
        t.return_processing_working_days,
        t.inspection_hours,
        t.complaint_feedback_hours,
        t.general_working_days,
        t.emergency_response_minutes,
        t.platform_complaint_hours,
        t.followup_working_days,
    ) == (10, 2, 24, 48, 3, 24, 48, 5, 60, 48, 3)
    assert (t.business_hours_start, t.business_hours_end, t.sms_quiet_start, t.sms_quiet_end) == (
        "09:00",
        "18:00",
        "21:00",
        "08:00",
    )
    assert t.survey_delay_working_days == 3 and t.return_shipping_payer == "merchant_if_quality"
    assert (t.repair_cycle_min_days, t.repair_cycle_max_days) == (5, 7)


def test_from_dict_round_trip_and_coercion() -> None:
    t = Terms(warranty_months=12, food_safety_words=("变质",))
    d = json.loads(json.dumps(t.to_dict()))
    assert Terms.from_dict(d) == t
    # Stored terms without clock units are read as they were published: every clock in working time.
    assert Terms.from_dict({"no_reason_return_days": "30", "fresh_quality_refund_24h": "true", "x": 1}) == Terms(
        no_reason_return_days=30, fresh_quality_refund_24h=True, **LEGACY_UNITS
    )
    assert Terms.from_dict({}) == Terms(**LEGACY_UNITS) == Terms.from_dict(None)
    assert Terms.from_dict({"legal_exemption": ""}).legal_exemption is None
    with pytest.raises(InvalidTerms) as exc:
        Terms.from_dict({"warranty_months": "twelve"})
    assert exc.value.errors[0].field == "warranty_months"


def one(errors: list, field: str):
    hits = [e for e in errors if e.field == field]
    assert len(hits) == 1, errors
    e = hits[0]
    assert e.message_zh and e.message_en and e.message_zh != e.message_en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in e.message_zh)
    assert e.message_en.isascii() or "“" in e.message_en
    return e


@pytest.mark.parametrize(
    "d,field,zh,en",
    [
        ({"no_reason_return_days": -1}, "no_reason_return_days", "负数", "negative"),
        ({"quality_return_days": -3, "quality_exchange_days": 0}, "quality_return_days", "负数", "negative"),
        ({"quality_return_days": 20}, "quality_exchange_days", "不能短于", "cannot be shorter"),
        ({"warranty_months": 121}, "warranty_months", "0 到 120", "between 0 and 120"),
        ({"warranty_months": -1}, "warranty_months", "0 到 120", "between 0 and 120"),
        (
            {"repair_cycle_min_days": 9, "repair_cycle_max_days": 7},
            "repair_cycle_max_days",
            "不能小于",
            "cannot be shorter",
        ),
        ({"business_hours_start": "9:00"}, "business_hours_start", "HH:MM", "HH:MM"),
        ({"business_hours_end": "24:00"}, "business_hours_end", "HH:MM", "HH:MM"),
        ({"sms_quiet_end": "08:60"}, "sms_quiet_end", "HH:MM", "HH:MM"),
        ({"business_hours_start": "18:00", "business_hours_end": "09:00"}, "business_hours_end", "晚于", "later than"),
        ({"business_hours_start": "09:00", "business_hours_end": "09:00"}, "business_hours_end", "晚于", "later than"),
        ({"sms_quiet_start": "22:00", "sms_quiet_end": "22:00"}, "sms_quiet_end", "不能相同", "same time"),
        ({"first_response_minutes": 0}, "first_response_minutes", "正数", "positive"),
        ({"complaint_feedback_hours": -48}, "complaint_feedback_hours", "正数", "positive"),
        ({"legal_exemption": "handmade"}, "legal_exemption", "无效", "not valid"),
        ({"return_shipping_payer": "nobody"}, "return_shipping_payer", "无效", "not valid"),
        ({"warranty_months": "twelve"}, "warranty_months", "整数", "whole number"),
        ({"paid_repair_after_warranty": "maybe"}, "paid_repair_after_warranty", "是", "yes or no"),
        ({"no_reason_days": 7}, "no_reason_days", "未知", "Unknown"),
    ],
)
def test_validate_terms_errors(d: dict, field: str, zh: str, en: str) -> None:
    e = one(validate_terms(d), field)
    assert zh in e.message_zh and en in e.message_en


def test_validate_terms_accepts_good_input() -> None:
    assert validate_terms({}) == []
    assert validate_terms(Terms().to_dict()) == []
    # quiet hours may cross midnight or not; no-reason days below 7 (0 included) only with a legal exemption
    assert (
        validate_terms(
            {
                "sms_quiet_start": "22:30",
                "sms_quiet_end": "07:00",
                "no_reason_return_days": 0,
                "legal_exemption": "custom_made",
            }
        )
        == []
    )
    assert validate_terms({"sms_quiet_start": "12:00", "sms_quiet_end": "14:00"}) == []
    assert validate_terms({"warranty_months": 120, "quality_exchange_days": 7}) == []
    assert validate_terms({"business_hours_start": "x"})[0].field == "business_hours_start"
    assert len(validate_terms({"business_hours_start": "x"})) == 1  # no follow-on ordering error


@pytest.mark.parametrize(
    "rules,field,zh,en",
    [
        ({"toys": {"no_reason_return_days": 7}}, "category_rules.toys", "未知的商品类目", "Unknown product category"),
        (
            {"dairy": {"first_response_minutes": 5}},
            "category_rules.dairy.first_response_minutes",
            "全店统一",
            "shop-wide",
        ),
        (
            {"dairy": {"business_hours_start": "08:00"}},
            "category_rules.dairy.business_hours_start",
            "全店统一",
            "shop-wide",
        ),
        ({"dairy": {"legal_exemption": "yogurt"}}, "category_rules.dairy.legal_exemption", "无效", "not valid"),
        ({"dairy": {"no_reason_return_days": -1}}, "category_rules.dairy.no_reason_return_days", "负数", "negative"),
        ({"electronics": {"warranty_months": 200}}, "category_rules.electronics.warranty_months", "120", "120"),
        (
            {"apparel": {"quality_return_days": 30}},
            "category_rules.apparel.quality_exchange_days",
            "不能短于",
            "shorter",
        ),
        ({"apparel": {"no_reason_days": 30}}, "category_rules.apparel.no_reason_days", "未知", "Unknown"),
        (
            {"apparel": {"repair_cycle_min_days": 10}},
            "category_rules.apparel.repair_cycle_max_days",
            "下限",
            "shortest",
        ),
    ],
)
def test_validate_category_rules_errors(rules: dict, field: str, zh: str, en: str) -> None:
    e = one(validate_category_rules(rules), field)
    assert zh in e.message_zh and en in e.message_en


def test_validate_category_rules_against_base() -> None:
    base = Terms(quality_return_days=30, quality_exchange_days=30)
    assert validate_category_rules({"apparel": {"quality_return_days": 30}}, base) == []
    assert (
        validate_category_rules({c: {"no_reason_return_days": 0, "legal_exemption": "custom_made"} for c in CATEGORIES})
        == []
    )
    exempt_shop = Terms(no_reason_return_days=0, legal_exemption="custom_made")
    assert validate_category_rules({"electronics": {"warranty_months": 24}}, exempt_shop) == []


def test_the_survey_goes_out_within_the_follow_up_time_the_page_promises() -> None:
    """The public page says "we follow up within N working days and ask for your opinion": the survey is that."""
    e = one(validate_terms({"followup_working_days": 3, "survey_delay_working_days": 5}), "survey_delay_working_days")
    assert "回访时限" in e.message_zh and "follow-up time (3 working days)" in e.message_en
    assert validate_terms({"followup_working_days": 5, "survey_delay_working_days": 3}) == []
    assert validate_terms({"followup_working_days": 3, "survey_delay_working_days": 3}) == []


@pytest.mark.parametrize("days", [0, 1, 6])
def test_no_reason_window_below_the_legal_seven_days_needs_an_exemption(days: int) -> None:
    """Spec §2 / Consumer Rights Protection Law art. 25: only goods exempt by law may have less than 7 days."""
    for errors, field in (
        (validate_terms({"no_reason_return_days": days}), "no_reason_return_days"),
        (
            validate_category_rules({"fresh_food": {"no_reason_return_days": days}}),
            "category_rules.fresh_food.no_reason_return_days",
        ),
    ):
        e = one(errors, field)
        assert "第二十五条" in e.message_zh and "art. 25" in e.message_en
    assert validate_terms({"no_reason_return_days": 7}) == []
    assert validate_terms({"no_reason_return_days": days, "legal_exemption": "periodicals"}) == []
    assert (
        validate_category_rules({"fresh_food": {"no_reason_return_days": days, "legal_exemption": "fresh_perishable"}})
        == []
    )


# -- presets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_validate_cleanly(name: str) -> None:
    p = PRESETS[name]
    assert p.name_zh and p.name_en and p.description_zh and p.description_en
    terms, rules = apply_preset(name)
    assert validate_terms(terms) == []
    assert validate_category_rules(rules, Terms.from_dict(terms)) == []
    terms["no_reason_return_days"] = 99  # a copy: the preset itself is untouched
    assert PRESETS[name].terms.get("no_reason_return_days") != 99


def test_electronics_preset() -> None:
    terms, rules = apply_preset("electronics_sanbao")
    t = Terms.from_dict(terms)
    assert (t.no_reason_return_days, t.quality_return_days, t.quality_exchange_days, t.warranty_months) == (
        7,
        7,
        15,
        12,
    )
    assert t.warranty_scope_zh == "整机" and t.paid_repair_after_warranty
    got = run(t, rules, category="electronics", as_of=DELIVERED + timedelta(days=15))
    assert not got[QUALITY_RETURN].eligible and got[QUALITY_EXCHANGE].eligible and got[FREE_REPAIR].eligible


def test_apparel_preset() -> None:
    terms, rules = apply_preset("apparel_30")
    t = Terms.from_dict(terms)
    assert t.no_reason_return_days == 30 and (t.quality_return_days, t.quality_exchange_days) == (7, 15)
    assert "吊牌" in t.conditions_zh and "tags" in t.conditions_en
    got = run(
        t, rules, category="childrens_clothing", problem=PROBLEM_RETURN_EXCHANGE, as_of=DELIVERED + timedelta(days=30)
    )
    assert got[NO_REASON_RETURN].eligible and got[NO_REASON_RETURN].label_zh == "30 天无理由退货"
    assert got[NO_REASON_RETURN].label_en == "30-day no-reason return"
    assert (
        got[NO_REASON_RETURN].clause.text_zh.startswith("第")
        and "30 天无理由退货" in got[NO_REASON_RETURN].clause.text_zh
    )
    assert "七天" not in got[NO_REASON_RETURN].clause.text_zh


def test_fresh_food_preset() -> None:
    terms, rules = apply_preset("fresh_food")
    t = Terms.from_dict(terms)
    assert t.no_reason_return_days == 0 and t.fresh_quality_refund_24h and t.legal_exemption == "fresh_perishable"
    assert run(t, rules, category="food", problem=PROBLEM_RETURN_EXCHANGE)[NO_REASON_RETURN].eligible
    assert not run(t, rules, category="dairy", problem=PROBLEM_RETURN_EXCHANGE)[NO_REASON_RETURN].eligible


def test_unknown_preset() -> None:
    with pytest.raises(KeyError):
        apply_preset("nope")
