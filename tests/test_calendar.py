"""Tests for tenants.calendar: China official calendar, fallbacks, and working-time arithmetic."""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants.calendar import (
    BusinessCalendar,
    ChinaCalendar,
    DayStatus,
    WeekdayCalendar,
)

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
DAY_LEN = timedelta(hours=9)

# No example database: tests must not leave a .hypothesis directory in the repo.
prop = settings(database=None, deadline=None, max_examples=150)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def cn() -> BusinessCalendar:
    return BusinessCalendar("Asia/Shanghai", time(9), time(18), ChinaCalendar())


CAL = cn()


# -- facts from the official 2026 arrangement -------------------------------------------


def test_package_agrees_with_the_facts_we_assert() -> None:
    assert chinese_calendar.is_workday(date(2026, 9, 25)) is False
    assert chinese_calendar.is_workday(date(2026, 10, 10)) is True
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 3, 1))


def test_national_day_holiday_is_skipped() -> None:
    assert CAL.add_working_time(sh(2026, 9, 30, 17, 30), H) == sh(2026, 10, 8, 9, 30)


def test_mid_autumn_and_adjusted_working_day() -> None:
    assert not CAL.is_working_day(date(2026, 9, 25))  # Friday, Mid-Autumn
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday, 调休
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday, 调休
    assert [CAL.is_working_day(date(2026, 10, d)) for d in range(1, 9)] == [False] * 7 + [True]
    assert ChinaCalendar().day_status(date(2026, 10, 10)) == DayStatus(True, "official")


def test_2027_falls_back_to_weekdays_and_is_reported_missing() -> None:
    china = ChinaCalendar()
    assert china.day_status(date(2027, 3, 1)) == DayStatus(True, "fallback")  # Monday
    assert china.day_status(date(2027, 3, 6)) == DayStatus(False, "fallback")  # Saturday
    cal = BusinessCalendar(country=china)
    assert cal.add_working_time(sh(2027, 3, 5, 17), 2 * H) == sh(2027, 3, 8, 10)
    assert cal.missing_years(date(2026, 6, 1), date(2027, 6, 1)) == [2027]
    assert cal.missing_years(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert cal.missing_years(date(2026, 1, 1), date(2028, 1, 1)) == [2027, 2028]
    assert cal.missing_years(date(2003, 12, 1), date(2004, 1, 1)) == [2003]


def test_override_table_wins_and_covers_2027() -> None:
    overrides = {
        date(2027, 1, 1): False,  # Friday holiday
        date(2027, 2, 6): True,  # Saturday 调休
        date(2026, 10, 10): False,  # operator corrects the package
    }
    china = ChinaCalendar(overrides, covered_override_years={2027})
    assert china.day_status(date(2027, 1, 1)) == DayStatus(False, "override")
    assert china.day_status(date(2027, 2, 6)) == DayStatus(True, "override")
    assert china.day_status(date(2026, 10, 10)) == DayStatus(False, "override")
    assert china.day_status(date(2027, 3, 1)) == DayStatus(True, "official")
    assert china.missing_years(date(2026, 1, 1), date(2027, 12, 31)) == []
    assert china.missing_years(date(2027, 1, 1), date(2028, 1, 1)) == [2028]
    cal = BusinessCalendar(country=china)
    assert cal.add_working_time(sh(2026, 12, 31, 17), 2 * H) == sh(2027, 1, 4, 10)
    assert cal.add_working_time(sh(2027, 2, 5, 17), 2 * H) == sh(2027, 2, 6, 10)


def test_weekday_calendar() -> None:
    wk = WeekdayCalendar()
    assert wk.day_status(date(2026, 10, 1)) == DayStatus(True, "official")
    assert not wk.is_working_day(date(2026, 10, 10))
    assert wk.missing_years(date(2020, 1, 1), date(2040, 1, 1)) == []


# -- boundaries -------------------------------------------------------------------------


def test_start_before_opening_and_after_closing() -> None:
    assert CAL.add_working_time(sh(2026, 3, 10, 7), H) == sh(2026, 3, 10, 10)
    assert CAL.add_working_time(sh(2026, 3, 10, 19), H) == sh(2026, 3, 11, 10)
    assert CAL.add_working_time(sh(2026, 3, 10, 23, 59), timedelta(minutes=1)) == sh(2026, 3, 11, 9, 1)


def test_start_on_holiday_and_weekend() -> None:
    assert CAL.add_working_time(sh(2026, 10, 3, 10), H) == sh(2026, 10, 8, 10)
    assert CAL.add_working_time(sh(2026, 3, 7, 11), H) == sh(2026, 3, 9, 10)  # Saturday
    assert CAL.next_opening(sh(2026, 3, 8, 12)) == sh(2026, 3, 9, 9)  # Sunday


def test_exactly_at_opening_and_closing() -> None:
    assert CAL.is_working_time(sh(2026, 3, 10, 9))
    assert not CAL.is_working_time(sh(2026, 3, 10, 18))
    assert CAL.is_working_time(sh(2026, 3, 10, 17, 59))
    assert CAL.next_opening(sh(2026, 3, 10, 9)) == sh(2026, 3, 10, 9)
    assert CAL.next_opening(sh(2026, 3, 10, 18)) == sh(2026, 3, 11, 9)
    assert CAL.add_working_time(sh(2026, 3, 10, 9), DAY_LEN) == sh(2026, 3, 10, 18)
    assert CAL.add_working_time(sh(2026, 3, 10, 17), H) == sh(2026, 3, 10, 18)
    assert CAL.add_working_time(sh(2026, 3, 10, 18), timedelta(minutes=1)) == sh(2026, 3, 11, 9, 1)
    assert CAL.add_working_time(sh(2026, 3, 13, 17), H + DAY_LEN) == sh(2026, 3, 16, 18)  # Fri → Mon


def test_zero_and_invalid_input() -> None:
    outside = sh(2026, 3, 7, 3)
    assert CAL.add_working_time(outside, timedelta(0)) == outside
    with pytest.raises(ValueError):
        CAL.add_working_time(sh(2026, 3, 10, 10), -timedelta(seconds=1))
    for call in (
        lambda: CAL.add_working_time(datetime(2026, 3, 10, 10), H),
        lambda: CAL.working_time_between(datetime(2026, 3, 10, 10), sh(2026, 3, 11)),
        lambda: CAL.next_opening(datetime(2026, 3, 10, 10)),
        lambda: CAL.is_working_time(datetime(2026, 3, 10, 10)),
        lambda: CAL.add_working_days(datetime(2026, 3, 10, 10), 1),
        lambda: CAL.add_working_days(sh(2026, 3, 10, 10), -1),
    ):
        with pytest.raises(ValueError):
            call()


def test_result_is_in_calendar_zone_for_utc_input() -> None:
    start = datetime(2026, 3, 10, 1, tzinfo=UTC)  # 09:00 in Shanghai
    result = CAL.add_working_time(start, H)
    assert result == sh(2026, 3, 10, 10) and result.tzinfo == SH
    assert CAL.working_time_between(start, sh(2026, 3, 10, 12)) == 3 * H


def test_working_time_between() -> None:
    assert CAL.working_time_between(sh(2026, 3, 10, 12), sh(2026, 3, 10, 12)) == timedelta(0)
    assert CAL.working_time_between(sh(2026, 3, 11), sh(2026, 3, 10)) == timedelta(0)
    assert CAL.working_time_between(sh(2026, 9, 30, 17, 30), sh(2026, 10, 8, 9, 30)) == H
    assert CAL.working_time_between(sh(2026, 3, 6, 20), sh(2026, 3, 9, 8)) == timedelta(0)
    # 2026: 261 weekdays − 19 weekday holidays + 6 调休 = 248 working days
    assert len(chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31))) == 248
    assert CAL.working_time_between(sh(2026, 1, 1), sh(2027, 1, 1)) == 248 * DAY_LEN


def test_closures_and_extra_days_override_country() -> None:
    cal = BusinessCalendar(
        closures=[date(2026, 3, 10), date(2026, 10, 10)],
        extra_days=[date(2026, 10, 3), date(2026, 3, 7)],
    )
    assert not cal.is_working_day(date(2026, 3, 10))  # tenant closed on a Tuesday
    assert not cal.is_working_day(date(2026, 10, 10))  # tenant skips the 调休 Saturday
    assert cal.is_working_day(date(2026, 10, 3))  # tenant open during National Day
    assert cal.is_working_day(date(2026, 3, 7))  # tenant open on a Saturday
    assert cal.add_working_time(sh(2026, 3, 9, 17), 2 * H) == sh(2026, 3, 11, 10)
    assert cal.add_working_time(sh(2026, 9, 30, 17, 30), H) == sh(2026, 10, 3, 9, 30)
    assert cal.add_working_time(sh(2026, 3, 6, 17), 2 * H) == sh(2026, 3, 7, 10)
    both = BusinessCalendar(closures=[date(2026, 3, 7)], extra_days=[date(2026, 3, 7)])
    assert not both.is_working_day(date(2026, 3, 7))  # closures win over extra_days


def test_add_working_days() -> None:
    assert CAL.add_working_days(sh(2026, 3, 6, 10), 3) == sh(2026, 3, 11, 10)  # Fri → Wed
    assert CAL.add_working_days(sh(2026, 9, 30, 10), 1) == sh(2026, 10, 8, 10)
    assert CAL.add_working_days(sh(2026, 10, 9, 15), 1) == sh(2026, 10, 10, 15)  # 调休 Saturday
    # outside hours: normalised to the next opening first
    assert CAL.add_working_days(sh(2026, 3, 6, 20), 1) == sh(2026, 3, 10, 9)
    assert CAL.add_working_days(sh(2026, 3, 10, 18), 1) == sh(2026, 3, 12, 9)
    assert CAL.add_working_days(sh(2026, 3, 7, 12), 0) == sh(2026, 3, 9, 9)
    assert CAL.add_working_days(sh(2026, 3, 10, 12), 0) == sh(2026, 3, 10, 12)


def test_from_settings() -> None:
    cal = BusinessCalendar.from_settings("Asia/Shanghai", "09:00", "18:00")
    assert isinstance(cal.country, ChinaCalendar)
    assert cal.add_working_time(sh(2026, 9, 30, 17, 30), H) == sh(2026, 10, 8, 9, 30)
    de = BusinessCalendar.from_settings("Europe/Berlin", "08:30", "17:00", country="DE")
    assert isinstance(de.country, WeekdayCalendar)
    assert de.is_working_day(date(2026, 10, 1))
    assert de.next_opening(datetime(2026, 3, 7, tzinfo=BERLIN)) == datetime(2026, 3, 9, 8, 30, tzinfo=BERLIN)
    covered = BusinessCalendar.from_settings(
        SH, "09:00", "18:00", overrides={date(2027, 1, 1): False}, covered_override_years={2027}
    )
    assert not covered.is_working_day(date(2027, 1, 1))
    assert covered.missing_years(date(2027, 1, 1), date(2027, 12, 31)) == []
    for bad in (("09:00", "25:00"), ("18:00", "09:00"), ("nine", "18:00"), ("09:00", "09:00")):
        with pytest.raises(ValueError):
            BusinessCalendar.from_settings("Asia/Shanghai", *bad)
    with pytest.raises(ValueError):
        BusinessCalendar.from_settings("Mars/Olympus", "09:00", "18:00")


def test_berlin_dst() -> None:
    de = BusinessCalendar("Europe/Berlin", country=WeekdayCalendar())
    fri = datetime(2026, 3, 27, 17, tzinfo=BERLIN)  # CET; clocks go forward Sunday 03-29
    mon = datetime(2026, 3, 30, 10, tzinfo=BERLIN)  # CEST
    assert de.add_working_time(fri, 2 * H) == mon
    assert de.working_time_between(fri, mon) == 2 * H
    assert de.add_working_days(fri, 1) == datetime(2026, 3, 30, 17, tzinfo=BERLIN)
    assert de.add_working_time(datetime(2026, 10, 23, 17, tzinfo=BERLIN), 2 * H) == datetime(
        2026, 10, 26, 10, tzinfo=BERLIN
    )
    # Hours spanning the switch itself: 01:00 CET → 05:00 CEST is 3 real hours.
    night = BusinessCalendar(BERLIN, time(1), time(5), WeekdayCalendar(), extra_days=[date(2026, 3, 29)])
    day = date(2026, 3, 29)
    start, end = datetime.combine(day, time(0), BERLIN), datetime.combine(day, time(23), BERLIN)
    assert night.working_time_between(start, end) == 3 * H
    assert night.add_working_time(start, 3 * H) == datetime.combine(day, time(5), BERLIN)


def test_long_spans_are_fast() -> None:
    cal = cn()
    start = sh(2026, 1, 5, 10)
    t0 = clock.perf_counter()
    for i in range(200):
        cal.add_working_days(start + timedelta(days=i), 5)
        cal.add_working_time(start + timedelta(days=i), 5 * DAY_LEN)
        cal.working_time_between(start, sh(2026, 12, 31, 12))
    per_call = (clock.perf_counter() - t0) / 600
    assert per_call < 0.005  # generous for slow CI; typical is well under 1 ms


# -- properties -------------------------------------------------------------------------

LO, HI = date(2025, 1, 1), date(2027, 12, 31)  # spans official data and the 2027 fallback
instants = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(SH))
deltas = st.timedeltas(timedelta(0), timedelta(days=30))


@st.composite
def working_instants(draw: st.DrawFn) -> datetime:
    day = draw(st.dates(LO, HI))
    while not CAL.is_working_day(day):
        day += timedelta(days=1)
    offset = draw(st.timedeltas(timedelta(0), DAY_LEN - timedelta(microseconds=1)))
    return datetime.combine(day, time(9), SH) + offset


def last_closing_at_or_before(b: datetime) -> datetime:
    day = b.astimezone(SH).date()
    while True:
        closing = datetime.combine(day, time(18), SH)
        if CAL.is_working_day(day) and closing <= b:
            return closing
        day -= timedelta(days=1)


def in_hours_or_closing(t: datetime) -> bool:
    local = t.astimezone(SH)
    return CAL.is_working_time(t) or (CAL.is_working_day(local.date()) and local.time() == time(18))


@prop
@given(working_instants(), deltas)
def test_between_inverts_add_from_working_time(a: datetime, d: timedelta) -> None:
    assert CAL.working_time_between(a, CAL.add_working_time(a, d)) == d


@prop
@given(instants, deltas)
def test_between_inverts_add_from_any_start(a: datetime, d: timedelta) -> None:
    assert CAL.working_time_between(a, CAL.add_working_time(a, d)) == d


@prop
@given(working_instants(), st.timedeltas(timedelta(0), timedelta(days=60)))
def test_add_inverts_between(a: datetime, span: timedelta) -> None:
    # Exact property: r == b, except when b is outside working hours or exactly at an
    # opening (b > a); then r is the latest closing ≤ b, because adding a day's remaining
    # time stops at the closing instead of jumping to the next opening.
    b = a + span
    w = CAL.working_time_between(a, b)
    r = CAL.add_working_time(a, w)
    at_opening = b.astimezone(SH).time() == time(9)
    if b == a or (CAL.is_working_time(b) and not at_opening):
        assert r == b
    else:
        assert r == last_closing_at_or_before(b)
    assert a <= r <= b and CAL.working_time_between(r, b) == timedelta(0)


@prop
@given(instants, deltas, deltas)
def test_add_is_monotonic_in_delta_and_composes(a: datetime, d1: timedelta, d2: timedelta) -> None:
    lo, hi = sorted((d1, d2))
    assert CAL.add_working_time(a, lo) <= CAL.add_working_time(a, hi)
    if d2 > timedelta(0):
        assert CAL.add_working_time(CAL.add_working_time(a, d1), d2) == CAL.add_working_time(a, d1 + d2)


@prop
@given(instants, instants, deltas)
def test_add_is_monotonic_in_start(a1: datetime, a2: datetime, d: timedelta) -> None:
    a1, a2 = sorted((a1, a2))
    assert CAL.add_working_time(a1, d) <= CAL.add_working_time(a2, d)


@prop
@given(instants, instants, instants)
def test_between_is_monotonic_and_additive(x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = sorted((x, y, z))
    ab, bc, ac = (CAL.working_time_between(*p) for p in ((a, b), (b, c), (a, c)))
    assert ab <= ac and bc <= ac and ab + bc == ac
    assert timedelta(0) <= ab <= b - a


@prop
@given(instants, deltas.filter(lambda d: d > timedelta(0)))
def test_results_inside_hours_or_at_closing(a: datetime, d: timedelta) -> None:
    r = CAL.add_working_time(a, d)
    assert in_hours_or_closing(r) and r.tzinfo == SH
    assert CAL.is_working_time(CAL.next_opening(a))


@prop
@given(
    st.integers(0, 10 * 96).map(lambda q: sh(2026, 9, 24) + q * timedelta(minutes=15)),
    st.integers(0, 10 * 96),
)
def test_between_matches_quarter_hour_count(a: datetime, quarters: int) -> None:
    # Independent oracle: count 15-minute slots whose start is on a working day between 09:00 and 18:00.
    b = a + quarters * timedelta(minutes=15)
    slots = (a + i * timedelta(minutes=15) for i in range(quarters))
    count = sum(1 for t in slots if CAL.is_working_day(t.date()) and 9 <= t.hour < 18)
    assert CAL.working_time_between(a, b) == count * timedelta(minutes=15)


@prop
@given(working_instants(), st.integers(0, 30))
def test_add_working_days_keeps_clock_time(a: datetime, n: int) -> None:
    r = CAL.add_working_days(a, n)
    assert r.astimezone(SH).time() == a.time()
    assert CAL.is_working_day(r.astimezone(SH).date())
    assert CAL.working_time_between(a, r) == n * DAY_LEN
