"""Importing a year's official arrangement (holidays and adjusted working days) from CSV or JSON, all or nothing.

Reading the file into rows is calendar_files'; here each row's values are checked, the year and country
decided, and the year's days replaced."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from saas.extensions import db
from saas.locale import in_both
from saas.models.base import utcnow
from saas.services import calendar_files, csv_files
from saas.services.business_calendar import DEFAULT_COUNTRY, package_years
from saas.services.calendar_files import LineError, RawRow
from tenants.models import CalendarOverride, CalendarYear

MAX_BYTES = 1024 * 1024
MAX_NAME = 64
# Sanity bounds: a typo like 2207 should be refused, not imported.
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Day:
    line: int | None
    date: date
    working: bool
    name: str


@dataclass
class ImportResult:
    country: str = DEFAULT_COUNTRY
    year: int | None = None
    days: list[Day] = field(default_factory=list)
    replaced: int = 0
    errors: list[LineError] = field(default_factory=list)
    notes: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def days_off(self) -> int:
        return sum(1 for d in self.days if not d.working)

    @property
    def working_days(self) -> int:
        return sum(1 for d in self.days if d.working)

    def summary(self) -> str:
        text = (
            f"{self.country} {self.year}: imported {len(self.days)} days "
            f"({self.days_off} days off, {self.working_days} adjusted working days)"
        )
        return text + (f", replacing {self.replaced} earlier days." if self.replaced else ".")


class _Bad(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


_TRUE = {"1", "true", "yes", "y", "work", "working", "上班", "班", "是", "工作日"}


_FALSE = {"0", "false", "no", "n", "off", "holiday", "休息", "休", "否", "假", "放假"}


_DATE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})")


_clean = csv_files.clean


def _parse_date(raw: str) -> date:
    m = _DATE.fullmatch(raw)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            raise _Bad(*in_both(_l("“%(value)s” is not a valid date.", value=raw))) from None
    if not raw:
        raise _Bad(*in_both(_l("The date is missing.")))
    raise _Bad(*in_both(_l("The date must be written YYYY-MM-DD (e.g. 2027-01-01); got “%(value)s”.", value=raw)))


def _parse_working(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _clean(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    shown = "" if raw is None else _clean(raw)
    raise _Bad(*in_both(_l("is_working_day must be 1/0, true/false or 上班/休息; got “%(value)s”.", value=shown)))


def _parse_name(raw: Any) -> str:
    name = " ".join(_clean(raw if raw is not None else "").split())
    if len(name) > MAX_NAME:
        raise _Bad(*in_both(_l("The name must be at most %(max)s characters.", max=MAX_NAME)))
    return name


def parse_arrangement(
    data: bytes, filename: str = "", country: str | None = None, year: int | None = None
) -> ImportResult:
    """Read and check a year's official arrangement; the result carries every problem found, with its line."""
    result = ImportResult()
    try:
        text = csv_files.decode(csv_files.read_upload(data, MAX_BYTES))
    except csv_files.CsvFileError as exc:
        result.errors.append(LineError(exc.line, *exc.in_languages("zh_Hans", "en")))
        return result
    rows, file_year, file_country, errors = calendar_files.read_rows(text, filename)
    result.errors += errors
    result.country = _chosen_country(country, file_country, result.errors)
    result.year = _read_days(rows, _chosen_year(year, file_year, result.errors), result)
    _check_year(result, bool(rows))
    return result


def _chosen_country(given: str | None, in_file: str | None, errors: list[LineError]) -> str:
    """The country asked for, else the file's, else the default; a two-letter code on which both agree."""
    chosen = (given or in_file or DEFAULT_COUNTRY).strip().upper()
    if given and in_file and given.strip().upper() != in_file.strip().upper():
        errors.append(
            LineError(
                None,
                *in_both(_l("The file is for %(file_country)s, not %(country)s.", file_country=in_file, country=given)),
            )
        )
    if not re.fullmatch(r"[A-Z]{2}", chosen):
        errors.append(
            LineError(
                None,
                *in_both(_l("The country must be a two-letter code such as CN; got “%(country)s”.", country=chosen)),
            )
        )
    return chosen


def _chosen_year(given: int | None, in_file: int | None, errors: list[LineError]) -> int | None:
    """The year asked for, else the file's (None: the first date will decide); both must agree."""
    if given is not None and in_file is not None and given != in_file:
        errors.append(
            LineError(None, *in_both(_l("The file is for %(file_year)s, not %(year)s.", file_year=in_file, year=given)))
        )
    return given if given is not None else in_file


def _read_days(rows: list[RawRow], year: int | None, result: ImportResult) -> int | None:
    """Each row's day into result.days, once and in the one year; returns that year."""
    seen: dict[date, int | None] = {}
    for number, raw_date, raw_working, raw_name in rows:
        day = _day(number, raw_date, raw_working, raw_name, result.errors)
        if day is None:
            continue
        if year is None:
            # Without --year the first date decides; every other date must agree with it.
            year = day.date.year
        error = _misplaced(day, year, seen)
        if error is not None:
            result.errors.append(error)
            continue
        seen[day.date] = number
        result.days.append(day)
    return year


def _day(number: int | None, raw_date: Any, raw_working: Any, raw_name: Any, errors: list[LineError]) -> Day | None:
    """The row's day, or None with each of its problems (a bad date and a bad value alike) in errors."""
    try:
        day = _parse_date(_clean(raw_date))
    except _Bad as bad:
        errors.append(LineError(number, bad.zh, bad.en))
        day = None
    try:
        working = _parse_working(raw_working)
        name = _parse_name(raw_name)
    except _Bad as bad:
        errors.append(LineError(number, bad.zh, bad.en))
        return None
    return Day(number, day, working, name) if day is not None else None


def _misplaced(day: Day, year: int, seen: dict[date, int | None]) -> LineError | None:
    """Why the day cannot be taken: outside the file's year, or listed before."""
    if day.date.year != year:
        return LineError(
            day.line, *in_both(_l("%(day)s is not in %(year)s; a file holds one year.", day=day.date, year=year))
        )
    if day.date not in seen:
        return None
    first = seen[day.date]
    return LineError(
        day.line,
        *in_both(
            _l("%(day)s is listed twice (first on line %(first)s).", day=day.date, first=first)
            if first
            else _l("%(day)s is listed twice.", day=day.date)
        ),
    )


def _check_year(result: ImportResult, any_rows: bool) -> None:
    """The year within bounds and the file not empty; a note when the package already knows the year."""
    if result.year is not None and not MIN_YEAR <= result.year <= MAX_YEAR:
        result.errors.append(
            LineError(
                None,
                *in_both(
                    _l(
                        "The year %(year)s is out of range (%(min)s–%(max)s).",
                        year=result.year,
                        min=MIN_YEAR,
                        max=MAX_YEAR,
                    )
                ),
            )
        )
    if not any_rows and not result.errors:
        result.errors.append(
            LineError(None, *in_both(_l("The file lists no days: list the year's holidays and adjusted working days.")))
        )
    if result.ok and result.year in package_years(result.country):
        result.notes.append(
            LineError(
                None,
                *in_both(
                    _l(
                        "The chinesecalendar package already covers %(year)s; the imported days take precedence over it.",
                        year=result.year,
                    )
                ),
            )
        )


def import_arrangement(
    data: bytes, filename: str = "", country: str | None = None, year: int | None = None, imported_by: str = ""
) -> ImportResult:
    """Replace a year's official arrangement with the file's, all or nothing; flushes, the caller commits."""
    result = parse_arrangement(data, filename, country, year)
    if not result.ok:
        return result
    assert result.year is not None
    now = utcnow()
    source = filename.replace("\\", "/").rsplit("/", 1)[-1][:200]
    result.replaced = (
        db.session.execute(
            delete(CalendarOverride).where(
                CalendarOverride.country == result.country,
                CalendarOverride.date >= date(result.year, 1, 1),
                CalendarOverride.date <= date(result.year, 12, 31),
            )
        ).rowcount
        or 0
    )
    db.session.add_all(
        CalendarOverride(
            country=result.country, date=d.date, is_working_day=d.working, name=d.name, source=source, imported_at=now
        )
        for d in sorted(result.days, key=lambda d: d.date)
    )
    record = db.session.scalar(
        select(CalendarYear).where(CalendarYear.country == result.country, CalendarYear.year == result.year)
    )
    if record is None:
        record = CalendarYear(country=result.country, year=result.year, revision=1)
        db.session.add(record)
    else:
        record.revision += 1
    record.imported_at, record.imported_by = now, imported_by[:254]
    record.source, record.days = source, len(result.days)
    db.session.flush()
    return result
