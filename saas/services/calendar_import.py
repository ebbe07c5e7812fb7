"""Importing a year's official arrangement (holidays and adjusted working days) from CSV or JSON, all or nothing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from saas.extensions import db
from saas.locale import in_both, pick
from saas.models.base import utcnow
from saas.services import csv_files
from saas.services.business_calendar import DEFAULT_COUNTRY, package_years
from tenants.models import CalendarOverride, CalendarYear

MAX_BYTES = 1024 * 1024
MAX_NAME = 64
# Sanity bounds: a typo like 2207 should be refused, not imported.
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class LineError:
    """One problem in an imported file; line is the file's line number (None for the file as a whole)."""

    line: int | None
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        return pick(self.message_zh, self.message_en, lang)

    def __str__(self) -> str:
        return f"line {self.line}: {self.message_en}" if self.line is not None else self.message_en


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


_HEADERS = {
    "date": "date",
    "日期": "date",
    "is_working_day": "working",
    "working": "working",
    "is_workday": "working",
    "workday": "working",
    "是否上班": "working",
    "上班": "working",
    "是否工作日": "working",
    "name": "name",
    "名称": "name",
    "节日": "name",
    "说明": "name",
}


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


# (line, raw date, raw working value, raw name)
_RawRow = tuple[int | None, Any, Any, Any]


def _csv_rows(text: str) -> tuple[list[_RawRow], list[LineError]]:
    rows: list[_RawRow] = []
    columns: dict[str, int] | None = None
    try:
        table = csv_files.records(text, comment="#")
    except csv_files.CsvFileError as exc:
        return [], [LineError(exc.line, *exc.in_languages("zh_Hans", "en"))]
    for record in table:
        number, cells = record.line, [_clean(c) for c in record.cells]
        if columns is None:
            columns, _twice = csv_files.header_positions(cells, _HEADERS)  # the first column of a name counts
            missing = [k for k in ("date", "working") if k not in columns]
            if missing:
                return [], [
                    LineError(
                        number,
                        *in_both(
                            _l("The first line must be the header date,is_working_day,name (or 日期,是否上班,名称).")
                        ),
                    )
                ]
            continue

        def cell(key: str) -> str:
            i = columns.get(key)
            return cells[i] if i is not None and i < len(cells) else ""

        rows.append((number, cell("date"), cell("working"), cell("name")))
    return rows, []


def _json_day_lines(text: str) -> list[int]:
    """The line on which each object of the top-level "days" array starts (the text is valid JSON)."""
    m = re.search(r'"days"\s*:\s*\[', text)
    if not m:
        return []
    lines, depth, in_string, escaped = [], 0, False, False
    line = text.count("\n", 0, m.end()) + 1
    for ch in text[m.end() :]:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            if depth == 0 and ch == "{":
                lines.append(line)
            depth += 1
        elif ch in "]}":
            if depth == 0:
                break
            depth -= 1
    return lines


def _json_rows(text: str) -> tuple[list[_RawRow], int | None, str | None, list[LineError]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return (
            [],
            None,
            None,
            [LineError(exc.lineno, *in_both(_l("This is not valid JSON: %(error)s.", error=exc.msg)))],
        )
    if not isinstance(doc, dict) or not isinstance(doc.get("days"), list):
        return [], None, None, [LineError(None, *in_both(_l("The JSON must be an object with a “days” list.")))]
    errors: list[LineError] = []
    year = doc.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        errors.append(LineError(None, *in_both(_l("“year” must be a whole number; got “%(year)s”.", year=year))))
        year = None
    country = doc.get("country")
    if country is not None and not isinstance(country, str):
        errors.append(LineError(None, *in_both(_l("“country” must be a string such as CN."))))
        country = None
    lines = _json_day_lines(text)
    if len(lines) != len(doc["days"]):
        lines = [None] * len(doc["days"])
    rows: list[_RawRow] = []
    for number, item in zip(lines, doc["days"]):
        if not isinstance(item, dict):
            errors.append(LineError(number, *in_both(_l("Each entry of “days” must be an object."))))
            continue
        working = item.get("working", item.get("is_working_day"))
        raw_date = item.get("date")
        rows.append((number, "" if raw_date is None else raw_date, working, item.get("name", "")))
    return rows, year, country, errors


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
    is_json = filename.lower().endswith(".json") or text.lstrip().startswith("{")
    file_year = file_country = None
    if is_json:
        rows, file_year, file_country, errors = _json_rows(text)
    else:
        rows, errors = _csv_rows(text)
    result.errors += errors

    chosen_country = (country or file_country or DEFAULT_COUNTRY).strip().upper()
    if country and file_country and country.strip().upper() != file_country.strip().upper():
        result.errors.append(
            LineError(
                None,
                *in_both(
                    _l("The file is for %(file_country)s, not %(country)s.", file_country=file_country, country=country)
                ),
            )
        )
    if not re.fullmatch(r"[A-Z]{2}", chosen_country):
        result.errors.append(
            LineError(
                None,
                *in_both(
                    _l("The country must be a two-letter code such as CN; got “%(country)s”.", country=chosen_country)
                ),
            )
        )
    result.country = chosen_country
    if year is not None and file_year is not None and year != file_year:
        result.errors.append(
            LineError(
                None, *in_both(_l("The file is for %(file_year)s, not %(year)s.", file_year=file_year, year=year))
            )
        )
    chosen_year = year if year is not None else file_year

    seen: dict[date, int | None] = {}
    for number, raw_date, raw_working, raw_name in rows:
        try:
            day = _parse_date(_clean(raw_date))
        except _Bad as bad:
            result.errors.append(LineError(number, bad.zh, bad.en))
            day = None
        try:
            working = _parse_working(raw_working)
            name = _parse_name(raw_name)
        except _Bad as bad:
            result.errors.append(LineError(number, bad.zh, bad.en))
            continue
        if day is None:
            continue
        if chosen_year is None:
            # Without --year the first date decides; every other date must agree with it.
            chosen_year = day.year
        if day.year != chosen_year:
            result.errors.append(
                LineError(
                    number,
                    *in_both(_l("%(day)s is not in %(year)s; a file holds one year.", day=day, year=chosen_year)),
                )
            )
            continue
        if day in seen:
            first = seen[day]
            result.errors.append(
                LineError(
                    number,
                    *in_both(
                        _l("%(day)s is listed twice (first on line %(first)s).", day=day, first=first)
                        if first
                        else _l("%(day)s is listed twice.", day=day)
                    ),
                )
            )
            continue
        seen[day] = number
        result.days.append(Day(number, day, working, name))

    result.year = chosen_year
    if chosen_year is not None and not MIN_YEAR <= chosen_year <= MAX_YEAR:
        result.errors.append(
            LineError(
                None,
                *in_both(
                    _l(
                        "The year %(year)s is out of range (%(min)s–%(max)s).",
                        year=chosen_year,
                        min=MIN_YEAR,
                        max=MAX_YEAR,
                    )
                ),
            )
        )
    if not rows and not result.errors:
        result.errors.append(
            LineError(None, *in_both(_l("The file lists no days: list the year's holidays and adjusted working days.")))
        )
    if result.ok and chosen_year in package_years(chosen_country):
        result.notes.append(
            LineError(
                None,
                *in_both(
                    _l(
                        "The chinesecalendar package already covers %(year)s; the imported days take precedence over it.",
                        year=chosen_year,
                    )
                ),
            )
        )
    return result


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
