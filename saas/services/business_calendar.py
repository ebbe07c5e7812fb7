"""A tenant's business calendar (policy hours, time zone, official arrangement) and the official years known.

Importing a year's arrangement from a file is `calendar_import`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType

import chinese_calendar
from sqlalchemy import func, select

from saas.extensions import db
from saas.models.base import utcnow
from tenants.calendar import BusinessCalendar
from tenants.clock import shop_today
from tenants.models import CalendarOverride, CalendarYear, Tenant

DEFAULT_COUNTRY = "CN"
# The operator desk has no tenant; China's calendar years turn in China's time zone.
PLATFORM_TZ = "Asia/Shanghai"


def tenant_country(tenant: Tenant | None) -> str:
    # Every tenant is in China today; a country column can replace this without touching callers.
    return (getattr(tenant, "country", None) or DEFAULT_COUNTRY).upper()


# ---------- the official arrangement, cached per process --------------------


@dataclass(frozen=True)
class OfficialDays:
    """What operators imported for one country: the exception days, and the years they cover completely."""

    stamp: tuple
    days: Mapping[date, bool]
    years: frozenset[int]


_cache: dict[tuple[str, str], OfficialDays] = {}


def _stamp(country: str) -> tuple:
    # Every import bumps its CalendarYear's revision, so the sum moves whenever the overrides do,
    # whatever the hosts' clocks say; the latest import time tells apart tables emptied and refilled.
    row = db.session.execute(
        select(func.count(CalendarYear.id), func.sum(CalendarYear.revision), func.max(CalendarYear.imported_at)).where(
            CalendarYear.country == country
        )
    ).one()
    return tuple(row)


def official_days(country: str = DEFAULT_COUNTRY) -> OfficialDays:
    """The imported days of a country: one cheap query when nothing changed since the last load.

    Sweeps build calendars for many tenants in a row, so the rows are read only when the stamp moves.
    The stamp is read before the rows: a concurrent import can then only make us reload once more,
    never cache new stamp with old rows.
    """
    country = country.upper()
    stamp = _stamp(country)
    key = (db.engine.url.render_as_string(hide_password=True), country)
    cached = _cache.get(key)
    if cached is not None and cached.stamp == stamp:
        return cached
    rows = db.session.execute(
        select(CalendarOverride.date, CalendarOverride.is_working_day).where(CalendarOverride.country == country)
    ).all()
    years = db.session.scalars(select(CalendarYear.year).where(CalendarYear.country == country)).all()
    loaded = OfficialDays(stamp, MappingProxyType({d: bool(w) for d, w in rows}), frozenset(years))
    _cache[key] = loaded
    return loaded


def now() -> datetime:
    """The current instant for "this year" (tests pin it)."""
    return utcnow()


def missing_years_warning(tenant: Tenant | None, today: date | None = None) -> list[int]:
    """This year and next year when neither the package nor an import knows their official arrangement.

    For those years working days are guessed Monday–Friday; the console and the operator desk say so.
    """
    today = today or shop_today(tenant, now())
    country = tenant_country(tenant)
    official = official_days(country)
    cal = BusinessCalendar.from_settings(
        PLATFORM_TZ, "09:00", "18:00", country=country, covered_override_years=set(official.years)
    )
    return cal.missing_years(date(today.year, 1, 1), date(today.year + 1, 1, 1))


def package_years(country: str = DEFAULT_COUNTRY) -> list[int]:
    """Years the chinesecalendar package knows (it ships each year's arrangement once published)."""
    if country.upper() != "CN":
        return []
    return sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})


def imported_years(country: str | None = None) -> list[CalendarYear]:
    query = select(CalendarYear).order_by(CalendarYear.country, CalendarYear.year)
    if country:
        query = query.where(CalendarYear.country == country.upper())
    return list(db.session.scalars(query))


# ---------- reading an arrangement file ------------------------------------


def overrides_of(country: str, year: int) -> list[CalendarOverride]:
    return list(
        db.session.scalars(
            select(CalendarOverride)
            .where(
                CalendarOverride.country == country.upper(),
                CalendarOverride.date >= date(year, 1, 1),
                CalendarOverride.date <= date(year, 12, 31),
            )
            .order_by(CalendarOverride.date)
        )
    )
