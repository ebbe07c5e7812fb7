"""Orders: the columns of a merchant's export and the reading of one row (the import itself is
`order_import`), the template, and finding orders in the console."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select

from saas.email_addresses import normalise_email
from saas.models.order import CHANNEL_LABELS, CHANNELS, Order
from saas.phones import mainland_mobile
from saas.services import csv_files
from tenants.models import Tenant
from tenants.terms import CATEGORIES

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
    """One problem in the file: its spreadsheet row (the header is row 1; None for the whole file)."""

    row: int | None
    field: str
    message_zh: str
    message_en: str

    def field_label(self, lang: str) -> str:
        zh, en = FIELD_LABELS.get(self.field, (self.field, self.field))
        return en if lang == "en" else zh

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


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
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass
class Row:
    number: int
    values: dict[str, object]


def channel_label(key: str, lang: str) -> str:
    zh, en = CHANNEL_LABELS.get(key, (key, key))
    return en if lang == "en" else zh


def category_label(key: str, lang: str) -> str:
    cat = CATEGORIES.get(key)
    if cat is None:
        return key
    return cat.en if lang == "en" else cat.zh


# ---------- reading the file ----------------------------------------------


# ---------- one cell at a time --------------------------------------------

_clean = csv_files.clean


def _text(value: str, max_len: int) -> str:
    value = " ".join(value.split())
    if len(value) > max_len:
        raise _Bad(f"不能超过 {max_len} 个字符。", f"must be at most {max_len} characters.")
    return value


def _date(value: str) -> date:
    m = _DATE.fullmatch(value)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            raise _Bad(f"不是有效的日期，收到「{value}」。", f"is not a valid date; got “{value}”.") from None
    raise _Bad(
        f"日期格式应为 YYYY-MM-DD 或 YYYY/MM/DD（如 2026-01-05），收到「{value}」。",
        f"must be a date written YYYY-MM-DD or YYYY/MM/DD (e.g. 2026-01-05); got “{value}”.",
    )


def _channel(value: str) -> str:
    key = _CHANNEL_ALIASES.get(value.lower())
    if key is None:
        known = "、".join(zh for zh, _en in CHANNEL_LABELS.values())
        raise _Bad(
            f"无法识别「{value}」。可填写：{known}（或 {', '.join(CHANNELS)}）。",
            f"is not a known channel: “{value}”. Use one of {', '.join(CHANNELS)} (or the Chinese names).",
        )
    return key


def _category(value: str) -> str:
    key = _CATEGORY_ALIASES.get(value.lower())
    if key is None:
        known = "、".join(c.zh for c in CATEGORIES.values())
        raise _Bad(
            f"无法识别「{value}」。可填写：{known}。",
            f"is not a known product category: “{value}”. Use one of {', '.join(CATEGORIES)} (or the Chinese names).",
        )
    return key


def _quantity(value: str) -> int:
    if not _QUANTITY.fullmatch(value) or int(value) < 1:
        raise _Bad(f"须为正整数，收到「{value}」。", f"must be a whole number of at least 1; got “{value}”.")
    if int(value) > MAX_QUANTITY:
        raise _Bad(f"不能超过 {MAX_QUANTITY}。", f"cannot exceed {MAX_QUANTITY}.")
    return int(value)


def _unit_price(value: str) -> Decimal:
    # Excel's currency format exports "¥1,299.00"; the full-width ￥ is folded to ¥ by NFKC.
    text = value.removeprefix("¥").removesuffix("元").strip()
    if text.startswith("-"):
        raise _Bad("不能为负数。", "cannot be negative.")
    if not _PRICE.fullmatch(text):
        raise _Bad(
            f"须为金额（元），如 59.90，收到「{value}」。", f"must be an amount in yuan such as 59.90; got “{value}”."
        )
    try:
        price = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise _Bad(f"须为金额（元），收到「{value}」。", f"must be an amount in yuan; got “{value}”.") from None
    if price.as_tuple().exponent < -2:
        raise _Bad(f"最多保留两位小数，收到「{value}」。", f"can have at most 2 decimal places; got “{value}”.")
    if price > MAX_UNIT_PRICE:
        raise _Bad("金额过大。", "is too large.")
    return price.quantize(Decimal("0.01"))


def _mobile(value: str) -> str:
    mobile = mainland_mobile(value)
    if mobile is None:
        raise _Bad(
            f"不是有效的中国大陆手机号（11 位，以 13–19 开头），收到「{value}」。",
            f"is not a valid mainland China mobile number (11 digits starting 13–19); got “{value}”.",
        )
    return mobile


def _email(value: str) -> str:
    email = normalise_email(value)
    if email is None:
        raise _Bad(f"不是有效的邮箱地址，收到「{value}」。", f"is not a valid email address; got “{value}”.")
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
    zh, en = FIELD_LABELS[key]
    return RowError(row, key, f"「{zh}」{bad.zh}", f"“{en}” {bad.en}")


def parse_row(number: int, cells: list[str], positions: dict[str, int], today: date) -> tuple[Row, list[RowError]]:
    values: dict[str, object] = {}
    errors: list[RowError] = []
    for key, i in positions.items():
        raw = _clean(cells[i]) if i < len(cells) else ""
        if raw == "":
            if key in REQUIRED_COLUMNS:
                zh, en = FIELD_LABELS[key]
                errors.append(RowError(number, key, f"「{zh}」不能为空。", f"“{en}” is required."))
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
        errors.append(
            RowError(
                number,
                "contact",
                "请至少填写手机或邮箱中的一项。",
                "Give a mobile number or an email address (at least one).",
            )
        )
    purchase, delivery = values.get("purchase_date"), values.get("delivery_date")
    if isinstance(purchase, date) and purchase > today:
        errors.append(
            _error(
                number,
                "purchase_date",
                _Bad(f"不能晚于今天（{today.isoformat()}）。", f"cannot be later than today ({today.isoformat()})."),
            )
        )
    earliest = date(today.year - MAX_ORDER_AGE_YEARS, 1, 1)
    for key, value in (("purchase_date", purchase), ("delivery_date", delivery)):
        if isinstance(value, date) and value < earliest:
            errors.append(
                _error(
                    number,
                    key,
                    _Bad(f"不能早于 {earliest.isoformat()}。", f"cannot be earlier than {earliest.isoformat()}."),
                )
            )
    if isinstance(delivery, date) and delivery > today:
        errors.append(
            _error(
                number,
                "delivery_date",
                _Bad(f"不能晚于今天（{today.isoformat()}）。", f"cannot be later than today ({today.isoformat()})."),
            )
        )
    if isinstance(purchase, date) and isinstance(delivery, date) and delivery < purchase:
        errors.append(
            RowError(
                number,
                "delivery_date",
                f"签收日期（{delivery.isoformat()}）不能早于下单日期（{purchase.isoformat()}）。",
                f"The delivery date ({delivery.isoformat()}) cannot be before the purchase date "
                f"({purchase.isoformat()}).",
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
    zh = lang != "en"
    header = [COLUMNS[k][0] if zh else COLUMNS[k][1] for k in COLUMNS]
    example = {
        "order_number": "TB20261101001",
        "channel": "淘宝" if zh else "taobao",
        "purchase_date": "2026-11-01",
        "delivery_date": "2026-11-03",
        "customer_name": "张三" if zh else "Zhang San",
        "mobile": "13812345678",
        "email": "zhangsan@example.com",
        "sku": "KW-TS-110",
        "name": "儿童纯棉短袖T恤 110cm" if zh else "Children's cotton T-shirt 110cm",
        "category": CATEGORIES["childrens_clothing"].zh if zh else "childrens_clothing",
        "quantity": "2",
        "unit_price": "59.90",
    }
    return csv_files.write_csv([header, [example[k] for k in COLUMNS]])
