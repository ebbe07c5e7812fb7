"""The period a report or a review pack covers: a preset relative to the shop's today or a custom range,
checked (from ≤ to, at most a year), and its bounds as UTC instants in the shop's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from saas.services.errors import ServiceError

MAX_RANGE_DAYS = 366
PRESETS = ("this_week", "last_week", "this_month", "last_month")


class PeriodError(ServiceError):
    MESSAGES = {
        "date": _l("Please enter the dates as YYYY-MM-DD."),
        "order": _l("The start date must not be after the end date."),
        "span": _l("A report covers at most one year: please choose a shorter range."),
        "period": _l("Unknown period."),
    }


@dataclass(frozen=True)
class Period:
    kind: str
    first: date  # inclusive, in the shop's zone
    last: date  # inclusive

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants, midnight to midnight in the shop's zone."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.first, datetime.min.time(), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), datetime.min.time(), zone).astimezone(UTC)
        return start, end

    def previous(self) -> Period:
        """The period of the same length just before this one (what "change" compares with)."""
        return Period("previous", self.first - timedelta(days=self.days), self.first - timedelta(days=1))


def _parse_date(value: str) -> date:
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        raise PeriodError("date") from None
    if not 2000 <= day.year <= 2100:
        raise PeriodError("date")
    return day


def parse_period(kind: str | None, first: str | None, last: str | None, today: date) -> Period:
    """A preset relative to the shop's today, or a custom range (from ≤ to, at most a year)."""
    kind = kind or ("custom" if first or last else "this_week")
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    if kind == "this_week":
        return Period(kind, monday, today)
    if kind == "last_week":
        return Period(kind, monday - timedelta(days=7), monday - timedelta(days=1))
    if kind == "this_month":
        return Period(kind, month, today)
    if kind == "last_month":
        end = month - timedelta(days=1)
        return Period(kind, end.replace(day=1), end)
    if kind != "custom":
        raise PeriodError("period")
    a, b = _parse_date(first or ""), _parse_date(last or "")
    if a > b:
        raise PeriodError("order")
    if (b - a).days + 1 > MAX_RANGE_DAYS:
        raise PeriodError("span")
    return Period(kind, a, b)
