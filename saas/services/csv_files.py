"""CSV files in and out: the one reader every import uses and the one writer every export uses.

Reading (orders import, official calendar import): at most `max_bytes`, an Excel workbook told apart
from a CSV, UTF-8 (with or without the BOM Excel writes for "CSV UTF-8") or GB18030 (what Excel in China
saves as "CSV", a superset of GBK), rows numbered as a spreadsheet numbers them (the first row is 1, a
quoted cell may hold a line break), blank rows skipped, a header mapped through aliases, and a row limit.
A refused file raises CsvFileError, whose message is in the user's language.

Writing (reports, scorecards, supervision reports, the import template): UTF-8 with a BOM so Excel shows
Chinese, CRLF line ends, and every cell safe from spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from saas.services.errors import ServiceError

ENCODINGS = ("utf-8-sig", "gb18030")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (zip) and .xls (OLE2)
# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class CsvFileError(ServiceError):
    """An uploaded file refused as a whole; `line` is the spreadsheet row when one is to blame."""

    MESSAGES = {
        "too_large": _l("The file is larger than %(mb)s MB; split it and import the parts."),
        "workbook": _l("This is an Excel workbook, not a CSV file. Save it as CSV in Excel, then upload that."),
        "encoding": _l("The file could not be read: save it as UTF-8 or GBK."),
        "malformed": _l("The CSV is malformed on row %(line)s: %(detail)s."),
        "empty": _l("The file is empty."),
        "too_many_rows": _l(
            "The file has %(rows)s rows; at most %(limit)s can be imported at once. Split it and import the parts."
        ),
    }

    def __init__(self, code: str, line: int | None = None, **params: Any):
        super().__init__(code, line=line, **params)
        self.line = line

    def in_languages(self, *locales: str) -> tuple[str, ...]:
        """The message in each of `locales` (for the importers that keep both languages of a row error)."""
        texts = []
        for locale in locales:
            with force_locale(locale):
                texts.append(self.message)
        return tuple(texts)


@dataclass(frozen=True)
class Record:
    line: int  # the spreadsheet row: the first row of the file is 1
    cells: list[str]


# ---------- reading ---------------------------------------------------------------


def read_upload(stream: BinaryIO | bytes, max_bytes: int) -> bytes:
    """The upload's bytes, read no further than one byte past the limit."""
    data = bytes(stream) if isinstance(stream, (bytes, bytearray)) else stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CsvFileError("too_large", mb=max(1, max_bytes // (1024 * 1024)))
    return data


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (BOM or not) or GB18030; a workbook, another encoding or a NUL is refused."""
    if data.startswith(_WORKBOOK_MAGIC):
        raise CsvFileError("workbook")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # UTF-16 or a binary file that happens to decode
        return text
    raise CsvFileError("encoding")


def records(text: str, comment: str | None = None) -> list[Record]:
    """The rows that hold anything, numbered as a spreadsheet does; rows starting with `comment` are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    found: list[Record] = []
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return found
        except csv.Error as exc:
            raise CsvFileError("malformed", line=row + 1, detail=str(exc)) from None
        row += 1
        if not any(c.strip() for c in cells):
            continue  # Excel leaves ",," rows at the end of a sheet
        if comment and cells[0].lstrip().startswith(comment):
            continue
        found.append(Record(row, cells))


def read_table(
    stream: BinaryIO | bytes, *, max_bytes: int, max_rows: int | None = None, comment: str | None = None
) -> list[Record]:
    """The file's non-blank rows, the header first; refuses an empty file and more than `max_rows` below the header."""
    rows = records(decode(read_upload(stream, max_bytes)), comment)
    if not rows:
        raise CsvFileError("empty")
    if max_rows is not None and len(rows) - 1 > max_rows:
        raise CsvFileError("too_many_rows", rows=len(rows) - 1, limit=max_rows)
    return rows


def clean(value: object) -> str:
    """A cell as people mean it: full-width forms folded (NFKC), surrounding space removed."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def header_key(cell: str, aliases: Mapping[str, str]) -> str | None:
    """The field a header cell names: "手机", " Mobile* ", "ORDER-NUMBER" … through `aliases` (lower-case keys)."""
    text = clean(cell).strip("*").strip().lower()
    return aliases.get(text) or aliases.get(text.replace("-", "_")) or aliases.get(text.replace(" ", "_"))


def header_positions(cells: list[str], aliases: Mapping[str, str]) -> tuple[dict[str, int], list[str]]:
    """Field → column index (the first column naming it), and the fields named twice; other columns are ignored."""
    positions: dict[str, int] = {}
    twice: list[str] = []
    for i, cell in enumerate(cells):
        key = header_key(cell, aliases)
        if key is None:
            continue
        if key in positions:
            twice.append(key)
        else:
            positions[key] = i
    return positions, twice


# ---------- writing ---------------------------------------------------------------


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer's writerow/writerows with every cell made safe; getvalue() gives the file's bytes
    as Excel opens them right: UTF-8 with a BOM, CRLF line ends."""

    def __init__(self) -> None:
        self._out = io.StringIO(newline="")
        self._writer = csv.writer(self._out, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(c) for c in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)

    def getvalue(self) -> bytes:
        return ("\ufeff" + self._out.getvalue()).encode("utf-8")


def write_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """The rows (the header first) as a CSV file for Excel: see SafeWriter."""
    writer = SafeWriter()
    writer.writerows(rows)
    return writer.getvalue()
