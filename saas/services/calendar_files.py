"""Reading a year's official arrangement file, CSV or JSON, into raw rows that keep their line numbers; checking
the values is calendar_import's."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l

from saas.locale import in_both, pick
from saas.services import csv_files


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


# (line, raw date, raw working value, raw name)
RawRow = tuple[int | None, Any, Any, Any]


class FileRows(NamedTuple):
    rows: list[RawRow]
    year: int | None  # a JSON file's "year", when it is a whole number
    country: str | None  # a JSON file's "country", when it is a string
    errors: list[LineError]


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


def read_rows(text: str, filename: str = "") -> FileRows:
    """The file's rows, JSON when its name or first character says so, CSV otherwise."""
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        return _json_rows(text)
    rows, errors = _csv_rows(text)
    return FileRows(rows, None, None, errors)


def _cell(cells: list[str], columns: dict[str, int], key: str) -> str:
    i = columns.get(key)
    return cells[i] if i is not None and i < len(cells) else ""


def _csv_rows(text: str) -> tuple[list[RawRow], list[LineError]]:
    rows: list[RawRow] = []
    columns: dict[str, int] | None = None
    try:
        table = csv_files.records(text, comment="#")
    except csv_files.CsvFileError as exc:
        return [], [LineError(exc.line, *exc.in_languages("zh_Hans", "en"))]
    for record in table:
        number, cells = record.line, [csv_files.clean(c) for c in record.cells]
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
        rows.append(
            (number, _cell(cells, columns, "date"), _cell(cells, columns, "working"), _cell(cells, columns, "name"))
        )
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


def _json_rows(text: str) -> FileRows:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return FileRows(
            [], None, None, [LineError(exc.lineno, *in_both(_l("This is not valid JSON: %(error)s.", error=exc.msg)))]
        )
    if not isinstance(doc, dict) or not isinstance(doc.get("days"), list):
        return FileRows(
            [], None, None, [LineError(None, *in_both(_l("The JSON must be an object with a “days” list.")))]
        )
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
    rows: list[RawRow] = []
    for number, item in zip(lines, doc["days"], strict=True):
        if not isinstance(item, dict):
            errors.append(LineError(number, *in_both(_l("Each entry of “days” must be an object."))))
            continue
        working = item.get("working", item.get("is_working_day"))
        raw_date = item.get("date")
        rows.append((number, "" if raw_date is None else raw_date, working, item.get("name", "")))
    return FileRows(rows, year, country, errors)
