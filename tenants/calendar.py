"""Working days (China official calendar with 调休, or Mon–Fri) and working-time arithmetic for SLA clocks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

Source = Literal["override", "official", "fallback"]

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
# No working day in ten years means a misconfigured calendar; fail loudly instead of spinning.
_MAX_SCAN_DAYS = 3660


@dataclass(frozen=True, slots=True)
class DayStatus:
    """Whether a date is a working day, and where that answer came from.

    source: "override" (operator table), "official" (published arrangement, or a plain
    Mon–Fri rule for non-China calendars), "fallback" (a Mon–Fri guess because the
    official arrangement for that year is unknown; callers should warn).
    """

    working: bool
    source: Source


def _as_date(d: date) -> date:
    # datetime is a subclass of date but hashes differently, so it would never match a table key.
    return d.date() if isinstance(d, datetime) else d


def _is_weekday(d: date) -> bool:
    return d.weekday() < 5


# Process-wide: the package scans its whole table on every call (~20 µs), and calendars
# are rebuilt per tenant/request, so an instance cache alone would keep paying that.
@lru_cache(maxsize=16384)
def _official(d: date) -> bool | None:
    """The package's answer, or None when it has no data for d's year."""
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        return None


def _package_covers(year: int) -> bool:
    return _official(date(year, 1, 1)) is not None


class CountryCalendar:
    """Base for country calendars; subclasses implement day_status."""

    def day_status(self, d: date) -> DayStatus:
        raise NotImplementedError

    def is_working_day(self, d: date) -> bool:
        return self.day_status(d).working

    def missing_years(self, start: date, end: date) -> list[int]:
        """Years in [start.year, end.year] whose official arrangement is unknown."""
        return []


class WeekdayCalendar(CountryCalendar):
    """Monday–Friday, no public holidays (tenants outside China)."""

    def day_status(self, d: date) -> DayStatus:
        return DayStatus(_is_weekday(_as_date(d)), "official")


class ChinaCalendar(CountryCalendar):
    """China's official calendar: operator overrides, then the chinese_calendar package, then Mon–Fri."""

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        covered_override_years: set[int] | None = None,
    ) -> None:
        self._overrides = {_as_date(k): bool(v) for k, v in (overrides or {}).items()}
        self._covered = frozenset(covered_override_years or ())
        self._cache: dict[date, DayStatus] = {}

    def day_status(self, d: date) -> DayStatus:
        d = _as_date(d)
        status = self._cache.get(d)
        if status is None:
            status = self._cache[d] = self._lookup(d)
        return status

    def _lookup(self, d: date) -> DayStatus:
        if d in self._overrides:
            return DayStatus(self._overrides[d], "override")
        official = _official(d)
        if official is not None:
            return DayStatus(official, "official")
        # The operator's table lists only the exceptions of a covered year, so any other
        # date there follows Mon–Fri authoritatively; elsewhere Mon–Fri is only a guess.
        return DayStatus(_is_weekday(d), "official" if d.year in self._covered else "fallback")

    def missing_years(self, start: date, end: date) -> list[int]:
        return [y for y in range(start.year, end.year + 1) if y not in self._covered and not _package_covers(y)]


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {tz!r}") from exc


def _parse_hhmm(value: str) -> time:
    try:
        return datetime.strptime(value, "%H:%M").time()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid time {value!r}, expected HH:MM") from exc


class BusinessCalendar:
    """A tenant's working days and hours, with working-time arithmetic.

    Working time is the half-open window [opens, closes) of each working day, in the
    calendar's zone. All arithmetic runs on UTC instants because Python subtracts
    same-zone aware datetimes by wall clock, which is wrong across DST changes.
    Tenant closures beat extra_days, and both beat the country calendar.
    """

    def __init__(
        self,
        tz: str | ZoneInfo = "Asia/Shanghai",
        opens: time = time(9),
        closes: time = time(18),
        country: CountryCalendar | None = None,
        closures: Iterable[date] = (),
        extra_days: Iterable[date] = (),
    ) -> None:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("opening and closing times must be naive local times")
        if not opens < closes:
            raise ValueError("opening time must be before closing time")
        self.tz = _zone(tz)
        self.opens = opens
        self.closes = closes
        self.country: CountryCalendar = country if country is not None else ChinaCalendar()
        self.closures = frozenset(_as_date(d) for d in closures)
        self.extra_days = frozenset(_as_date(d) for d in extra_days)
        self._windows: dict[date, tuple[datetime, datetime] | None] = {}

    @classmethod
    def from_settings(
        cls,
        tz: str | ZoneInfo,
        business_hours_start: str,
        business_hours_end: str,
        country: str = "CN",
        overrides: Mapping[date, bool] | None = None,
        covered_override_years: set[int] | None = None,
        closures: Iterable[date] = (),
        extra_days: Iterable[date] = (),
    ) -> BusinessCalendar:
        """Build from tenant settings; "CN" uses the China calendar, any other country Mon–Fri."""
        country_cal: CountryCalendar
        if country.strip().upper() == "CN":
            country_cal = ChinaCalendar(overrides, covered_override_years)
        else:
            country_cal = WeekdayCalendar()
        opens, closes = _parse_hhmm(business_hours_start), _parse_hhmm(business_hours_end)
        return cls(tz, opens, closes, country_cal, closures, extra_days)

    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime):
            d = self._local_date(self._utc(d))
        if d in self.closures:
            return False
        if d in self.extra_days:
            return True
        return self.country.is_working_day(d)

    def missing_years(self, start: date, end: date) -> list[int]:
        return self.country.missing_years(start, end)

    def is_working_time(self, at: datetime) -> bool:
        u = self._utc(at)
        w = self._window(self._local_date(u))
        return w is not None and w[0] <= u < w[1]

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself if it is working time, else the next opening (closing time is not working time)."""
        return self._next_open(self._utc(at))[1].astimezone(self.tz)

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The instant at which `delta` of working time has elapsed after `start`.

        Lands on a closing time rather than the next opening when the day's remaining
        time is used up exactly. delta == 0 returns start (in the calendar's zone), even
        outside working hours.
        """
        u = self._utc(start)
        if delta < _ZERO:
            raise ValueError("delta must not be negative")
        if delta == _ZERO:
            return start.astimezone(self.tz)
        _, cur, close = self._next_open(u)
        remaining = delta
        while remaining > close - cur:
            remaining -= close - cur
            _, cur, close = self._next_open(close)
        return (cur + remaining).astimezone(self.tz)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside [a, b); zero if b <= a."""
        ua, ub = self._utc(a), self._utc(b)
        if ub <= ua:
            return _ZERO
        total = _ZERO
        day, last = self._local_date(ua), self._local_date(ub)
        while day <= last:
            w = self._window(day)
            if w is not None:
                lo, hi = max(ua, w[0]), min(ub, w[1])
                if hi > lo:
                    total += hi - lo
            day += _ONE_DAY
        return total

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The same local clock time n working days later.

        `start` is first normalised with next_opening (so 20:00 or a holiday becomes the
        next opening, and a closing time counts as outside hours); the result keeps that
        normalised clock time on the n-th working day after the normalised date. n == 0
        returns the normalised start.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day, u, _ = self._next_open(self._utc(start))
        clock = u.astimezone(self.tz).time()
        for _ in range(n):
            day = self._next_working_day(day)
        # Round-trip through UTC so a wall time skipped by DST is normalised to a real instant.
        return datetime.combine(day, clock, self.tz).astimezone(UTC).astimezone(self.tz)

    @staticmethod
    def _utc(at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("naive datetime; pass an aware datetime")
        return at.astimezone(UTC)

    def _local_date(self, u: datetime) -> date:
        return u.astimezone(self.tz).date()

    def _window(self, d: date) -> tuple[datetime, datetime] | None:
        if d in self._windows:
            return self._windows[d]
        w = None
        if self.is_working_day(d):
            # Build local wall times per day so each day gets its own UTC offset under DST.
            w = (
                datetime.combine(d, self.opens, self.tz).astimezone(UTC),
                datetime.combine(d, self.closes, self.tz).astimezone(UTC),
            )
        self._windows[d] = w
        return w

    def _next_open(self, u: datetime) -> tuple[date, datetime, datetime]:
        """(working date, start, closing) in UTC; start is u if inside hours, else the next opening."""
        day = self._local_date(u)
        for _ in range(_MAX_SCAN_DAYS):
            w = self._window(day)
            if w is not None and u < w[1]:
                return day, max(u, w[0]), w[1]
            day += _ONE_DAY
        raise ValueError("no working day found within ten years; check the calendar")

    def _next_working_day(self, d: date) -> date:
        for _ in range(_MAX_SCAN_DAYS):
            d += _ONE_DAY
            if self._window(d) is not None:
                return d
        raise ValueError("no working day found within ten years; check the calendar")
