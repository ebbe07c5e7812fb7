"""One guard for every request's input: no control characters, bounded text and numbers, flat small JSON."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter

# C0 controls other than tab, newline and carriage return; DEL and the C1 controls; lone surrogates (only JSON
# escapes can make those, and neither the database nor the page encoder can take them).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

# Ids in URLs and queries fit PostgreSQL's integer; page numbers and counts stay far below.
INT_MAX = 2**31 - 1

# Characters any one form or query value may have, whatever its field: a new field is bounded before anyone
# thinks of it. Fields hold themselves to less (WTForms Length, form_text below) and show it as maxlength.
TEXT_HARD_MAX = 10_000
# Free text staff send to a consumer (SMS and e-mail): about seven SMS segments in Chinese.
CUSTOMER_TEXT_MAX = 500
# Internal notes, findings, reasons kept on the case.
NOTE_MAX = 2000
JSON_MAX_BYTES = 64 * 1024
JSON_MAX_DEPTH = 8

MESSAGES = {
    "control": _l(
        "Your input contains invisible control characters (such as NUL) that cannot be saved. "
        "Please remove them and try again."
    ),
    "too_long": _l("A text you entered is too long: at most %(max)d characters. Please shorten it and try again."),
    "json": _l("The request body must be a small JSON object."),
    "json_here": _l("This page accepts form submissions, not JSON."),
}


def form_text(form, name: str, max_chars: int) -> str:
    """A stripped form value of at most `max_chars` characters, or InputRefused (a 400 saying the limit)."""
    value = (form.get(name) or "").strip()
    if len(value) > max_chars:
        raise InputRefused("too_long", max=max_chars)
    return value


class InputRefused(Exception):
    """A request's input refused before any view saw it; answered with a 400 and a message."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params
        self.code = 415 if key == "json_here" else 400

    @property
    def message(self) -> str:
        text = str(MESSAGES[self.key])
        return text % self.params if self.params else text


def bounded_int(value) -> int:
    """`type=` for request.args.get: a non-negative int that fits the database, else ValueError (→ default)."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise ValueError(value)
    number = int(text)
    if number > INT_MAX:
        raise ValueError(value)
    return number


def int_list(values) -> list[int]:
    """The ids among form values (checkbox values), each a bounded int; anything else is left out."""
    out = []
    for value in values:
        try:
            out.append(bounded_int(value))
        except ValueError:
            continue
    return out


def parse_decimal(raw, *, max_digits: int = 12, places: int = 2) -> Decimal | None:
    """A finite decimal with at most `max_digits` before the point and `places` after, else None.

    Refuses NaN, Infinity, exponents (1e400) and grouping tricks before Decimal arithmetic can overflow."""
    text = str(raw if raw is not None else "").strip().replace(",", "")
    if not re.fullmatch(rf"[+-]?[0-9]{{1,{max_digits}}}(\.[0-9]{{1,{places}}})?", text, flags=re.ASCII):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None


class SafeStringConverter(UnicodeConverter):
    """The default URL part, without control characters: such a URL is a 404, not a database error."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength or 200, length=length)
        self.regex = self.regex.replace("[^/]", "[^/\x00-\x1f\x7f-\x9f]")  # the base class sets the length


class SafePathConverter(PathConverter):
    regex = "[^\x00-\x1f\x7f-\x9f]+?"


class BoundedIntConverter(IntegerConverter):
    """<int:...> that only matches what fits the database's integer (a bigger number is a 404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=INT_MAX if max is None else max, signed=signed)


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered: rules pick their converters when they are added."""
    app.url_map.converters.update(
        {
            "default": SafeStringConverter,
            "string": SafeStringConverter,
            "path": SafePathConverter,
            "int": BoundedIntConverter,
        }
    )


def _check_text(name: str, value: str) -> None:
    if CONTROL_CHARS.search(name) or CONTROL_CHARS.search(value):
        raise InputRefused("control")
    if len(value) > TEXT_HARD_MAX:
        raise InputRefused("too_long", max=TEXT_HARD_MAX)


def _check_json(value, depth: int = 0) -> None:
    if depth > JSON_MAX_DEPTH:
        raise InputRefused("json")
    if isinstance(value, dict):
        for key, item in value.items():
            if CONTROL_CHARS.search(key):
                raise InputRefused("control")
            _check_json(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, depth + 1)
    elif isinstance(value, str):
        if CONTROL_CHARS.search(value):
            raise InputRefused("control")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and value != value or value in (float("inf"), float("-inf")):
            raise InputRefused("json")
        if isinstance(value, int) and abs(value) > 2**53:
            raise InputRefused("json")


def _json_constant(name: str):
    raise ValueError(name)  # NaN, Infinity, -Infinity are not JSON


def _nesting(raw: bytes) -> int:
    """The deepest bracket nesting of a JSON text, brackets inside strings not counted."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def check_json_body() -> None:
    raw = request.get_data(cache=True)
    if len(raw) > JSON_MAX_BYTES:
        raise InputRefused("json")
    if _nesting(raw) > JSON_MAX_DEPTH + 1:  # refused before the parser recurses into it
        raise InputRefused("json")
    try:
        doc = json.loads(raw, parse_constant=_json_constant)
    except (ValueError, RecursionError):
        raise InputRefused("json") from None
    if not isinstance(doc, dict):
        raise InputRefused("json")
    _check_json(doc)


def check_request() -> None:
    """before_request (app-level url_value_preprocessor, so it runs before any tenant lookup)."""
    for name, value in request.args.items(multi=True):
        _check_text(name, value)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            if not request.path.startswith("/api/"):
                raise InputRefused("json_here")
            check_json_body()
        else:
            for name, value in request.form.items(multi=True):
                _check_text(name, value)
            for name, storage in request.files.items(multi=True):
                if CONTROL_CHARS.search(name) or CONTROL_CHARS.search(storage.filename or ""):
                    raise InputRefused("control")


def init_app(app: Flask) -> None:
    install_converters(app)

    @app.url_value_preprocessor
    def _guard(endpoint, values):
        check_request()

    from tenants.term_rules import MAX_TERM_NUMBER, MAX_TERM_TEXT

    app.jinja_env.globals.update(
        customer_text_max=CUSTOMER_TEXT_MAX,
        note_max=NOTE_MAX,
        term_text_max=MAX_TERM_TEXT,
        term_number_max=MAX_TERM_NUMBER,
    )
