"""Orders: the columns of a merchant's export and the reading of one row (the import itself is
`order_import`), the template, and finding orders in the console."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import or_, select

from saas.email_addresses import normalise_email
from saas.locale import in_language, pick
from saas.models.order import CHANNEL_LABELS, CHANNELS, Order
from saas.phones import mainland_mobile
from saas.services import csv_files
from tenants.categories import CATEGORIES
from tenants.models import Tenant

MAX_QUANTITY = 100_000
# NUMERIC(12, 2) holds at most ten digits before the point.
MAX_UNIT_PRICE = Decimal("9999999999.99")
# Orders older than this are out of every warranty; a year-1 date is a typo or an attack.
MAX_ORDER_AGE_YEARS = 20


# Column key → (Chinese header, English header). The order is the template's.
COLUMNS: dict[str, tuple[str, str]] = {
    "order_number": ("订单号", "order_number"),
    "channel": ("渠道", "channel"),
    "purchase_date": ("下单日期", "purchase_date"),
    "delivery_date": ("签收日期", "delivery_date"),
    "customer_name": ("客户姓名", "customer_name"),
    "mobile": ("手机", "mobile"),
    "email": ("邮箱", "email"),
    "sku": ("SKU", "sku"),
    "name": ("商品名称", "name"),
    "category": ("类目", "category"),
    "quantity": ("数量", "quantity"),
    "unit_price": ("单价", "unit_price"),
}
REQUIRED_COLUMNS = (
    "order_number",
    "channel",
    "purchase_date",
    "customer_name",
    "sku",
    "name",
    "category",
    "quantity",
    "unit_price",
)
OPTIONAL_COLUMNS = ("delivery_date", "mobile", "email")
# Fields every line of one order repeats; they must agree.
ORDER_FIELDS = ("channel", "purchase_date", "delivery_date", "customer_name", "mobile", "email")

# Labels for error messages; "contact" is the mobile-or-email rule, "file" the upload as a whole.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    **COLUMNS,
    "contact": ("手机/邮箱", "mobile/email"),
    "file": ("文件", "file"),
}


_CHANNEL_ALIASES: dict[str, str] = {}
for _key, (_zh, _en) in CHANNEL_LABELS.items():
    _CHANNEL_ALIASES.update({_key: _key, _zh: _key, _en.lower(): _key})
_CHANNEL_ALIASES.update({"其它": "other", "京东商城": "jd", "官方网站": "brand_site", "抖店": "douyin"})

_CATEGORY_ALIASES: dict[str, str] = {}
for _key, _cat in CATEGORIES.items():
    _CATEGORY_ALIASES.update({_key: _key, _cat.zh: _key, _cat.en.lower(): _key})

_DATE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})")
_QUANTITY = re.compile(r"\+?\d+")
_PRICE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+")


@dataclass(frozen=True)
class RowError:
    """One problem in the file: its spreadsheet row (the header is row 1; None for the whole file) and the
    problem as a catalogue message, read in the reader's language."""

    row: int | None
    field: str
    text: Any

    def field_label(self, lang: str | None = None) -> str:
        zh, en = FIELD_LABELS.get(self.field, (self.field, self.field))
        return pick(zh, en, lang)

    def message(self, lang: str | None = None) -> str:
        return in_language(self.text, lang)


def label(key: str) -> LazyString:
    """A column's header in the reader's language (the headers are data: the import accepts both)."""
    return LazyString(lambda: pick(*FIELD_LABELS[key]))


@dataclass
class ImportResult:
    orders: int = 0
    lines: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors if e.row is not None})


class _Bad(ValueError):
    def __init__(self, text: Any):
        super().__init__(str(text))
        self.text = text


@dataclass
class Row:
    number: int
    values: dict[str, object]


def channel_label(key: str, lang: str) -> str:
    return pick(*CHANNEL_LABELS.get(key, (key, key)), lang)


def category_label(key: str, lang: str) -> str:
    cat = CATEGORIES.get(key)
    if cat is None:
        return key
    return pick(cat.zh, cat.en, lang)


# ---------- reading the file ----------------------------------------------


# ---------- one cell at a time --------------------------------------------

_clean = csv_files.clean


def _text(value: str, max_len: int) -> str:
    value = " ".join(value.split())
    if len(value) > max_len:
        raise _Bad(_l("must be at most %(max)d characters.", max=max_len))
    return value


def _date(value: str) -> date:
    m = _DATE.fullmatch(value)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            raise _Bad(_l("is not a valid date; got “%(value)s”.", value=value)) from None
    raise _Bad(_l("must be a date written YYYY-MM-DD or YYYY/MM/DD (e.g. 2026-01-05); got “%(value)s”.", value=value))


def _channel(value: str) -> str:
    key = _CHANNEL_ALIASES.get(value.lower())
    if key is None:
        known = "、".join(zh for zh, _en in CHANNEL_LABELS.values())
        raise _Bad(
            _l(
                "is not a known channel: “%(value)s”. Use one of %(keys)s (or the Chinese names: %(known)s).",
                value=value,
                keys=", ".join(CHANNELS),
                known=known,
            )
        )
    return key


def _category(value: str) -> str:
    key = _CATEGORY_ALIASES.get(value.lower())
    if key is None:
        known = "、".join(c.zh for c in CATEGORIES.values())
        raise _Bad(
            _l(
                "is not a known product category: “%(value)s”. Use one of %(keys)s (or the Chinese names: %(known)s).",
                value=value,
                keys=", ".join(CATEGORIES),
                known=known,
            )
        )
    return key


def _quantity(value: str) -> int:
    if not _QUANTITY.fullmatch(value) or int(value) < 1:
        raise _Bad(_l("must be a whole number of at least 1; got “%(value)s”.", value=value))
    if int(value) > MAX_QUANTITY:
        raise _Bad(_l("cannot exceed %(max)d.", max=MAX_QUANTITY))
    return int(value)


def _unit_price(value: str) -> Decimal:
    # Excel's currency format exports "¥1,299.00"; the full-width ￥ is folded to ¥ by NFKC.
    text = value.removeprefix("¥").removesuffix("元").strip()
    if text.startswith("-"):
        raise _Bad(_l("cannot be negative."))
    if not _PRICE.fullmatch(text):
        raise _Bad(_l("must be an amount in yuan such as 59.90; got “%(value)s”.", value=value))
    try:
        price = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise _Bad(_l("must be an amount in yuan; got “%(value)s”.", value=value)) from None
    if price.as_tuple().exponent < -2:
        raise _Bad(_l("can have at most 2 decimal places; got “%(value)s”.", value=value))
    if price > MAX_UNIT_PRICE:
        raise _Bad(_l("is too large."))
    return price.quantize(Decimal("0.01"))


def _mobile(value: str) -> str:
    mobile = mainland_mobile(value)
    if mobile is None:
        raise _Bad(
            _l("is not a valid mainland China mobile number (11 digits starting 13–19); got “%(value)s”.", value=value)
        )
    return mobile


def _email(value: str) -> str:
    email = normalise_email(value)
    if email is None:
        raise _Bad(_l("is not a valid email address; got “%(value)s”.", value=value))
    return email


_PARSERS = {
    "order_number": lambda v: _text(v, 64),
    "channel": _channel,
    "purchase_date": _date,
    "delivery_date": _date,
    "customer_name": lambda v: _text(v, 80),
    "mobile": _mobile,
    "email": _email,
    "sku": lambda v: _text(v, 64),
    "name": lambda v: _text(v, 200),
    "category": _category,
    "quantity": _quantity,
    "unit_price": _unit_price,
}


def _error(row: int, key: str, bad: _Bad) -> RowError:
    return RowError(row, key, _l("“%(field)s” %(problem)s", field=label(key), problem=bad.text))


def parse_row(number: int, cells: list[str], positions: dict[str, int], today: date) -> tuple[Row, list[RowError]]:
    values: dict[str, object] = {}
    errors: list[RowError] = []
    for key, i in positions.items():
        raw = _clean(cells[i]) if i < len(cells) else ""
        if raw == "":
            if key in REQUIRED_COLUMNS:
                errors.append(RowError(number, key, _l("“%(field)s” is required.", field=label(key))))
            else:
                values[key] = None if key == "delivery_date" else ""
            continue
        try:
            values[key] = _PARSERS[key](raw)
        except _Bad as bad:
            errors.append(_error(number, key, bad))
    for key in OPTIONAL_COLUMNS:
        if key not in positions:  # an absent optional column is blank on every row
            values[key] = None if key == "delivery_date" else ""
    # A contact that failed to parse is missing from values and already reported.
    if values.get("mobile", "?") == "" and values.get("email", "?") == "":
        errors.append(RowError(number, "contact", _l("Give a mobile number or an email address (at least one).")))
    purchase, delivery = values.get("purchase_date"), values.get("delivery_date")
    if isinstance(purchase, date) and purchase > today:
        errors.append(
            _error(
                number,
                "purchase_date",
                _Bad(_l("cannot be later than today (%(today)s).", today=today.isoformat())),
            )
        )
    earliest = date(today.year - MAX_ORDER_AGE_YEARS, 1, 1)
    for key, value in (("purchase_date", purchase), ("delivery_date", delivery)):
        if isinstance(value, date) and value < earliest:
            errors.append(
                _error(
                    number,
                    key,
                    _Bad(_l("cannot be earlier than %(earliest)s.", earliest=earliest.isoformat())),
                )
            )
    if isinstance(delivery, date) and delivery > today:
        errors.append(
            _error(
                number,
                "delivery_date",
                _Bad(_l("cannot be later than today (%(today)s).", today=today.isoformat())),
            )
        )
    if isinstance(purchase, date) and isinstance(delivery, date) and delivery < purchase:
        errors.append(
            RowError(
                number,
                "delivery_date",
                _l(
                    "The delivery date (%(delivery)s) cannot be before the purchase date (%(purchase)s).",
                    delivery=delivery.isoformat(),
                    purchase=purchase.isoformat(),
                ),
            )
        )
    return Row(number, values), errors


# ---------- the import ----------------------------------------------------


# ---------- reading -------------------------------------------------------


def search_orders(tenant: Tenant, query: str = ""):
    """The select for the console list: newest purchase first, optionally narrowed by number, name or mobile."""
    stmt = select(Order).where(Order.tenant_id == tenant.id)
    query = _clean(query or "")
    if query:
        conditions = [
            Order.order_number.icontains(query, autoescape=True),
            Order.customer_name.icontains(query, autoescape=True),
        ]
        mobile = mainland_mobile(query)
        if mobile:
            conditions.append(Order.mobile == mobile)
        stmt = stmt.where(or_(*conditions))
    return stmt.order_by(Order.purchase_date.desc(), Order.id.desc())


def template_csv(lang: str) -> bytes:
    """The import template: the header row and one example row, UTF-8 with a BOM so Excel shows Chinese."""
    header = [pick(*COLUMNS[k], lang) for k in COLUMNS]
    example = {
        "order_number": "TB20261101001",
        "channel": pick("淘宝", "taobao", lang),
        "purchase_date": "2026-11-01",
        "delivery_date": "2026-11-03",
        "customer_name": pick("张三", "Zhang San", lang),
        "mobile": "13812345678",
        "email": "zhangsan@example.com",
        "sku": "KW-TS-110",
        "name": pick("儿童纯棉短袖T恤 110cm", "Children's cotton T-shirt 110cm", lang),
        "category": pick(CATEGORIES["childrens_clothing"].zh, "childrens_clothing", lang),
        "quantity": "2",
        "unit_price": "59.90",
    }
    return csv_files.write_csv([header, [example[k] for k in COLUMNS]])
