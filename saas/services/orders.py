"""Orders: importing a merchant's CSV export all-or-nothing, and finding orders in the console."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from sqlalchemy import or_, select

from saas.email_addresses import normalise_email
from saas.extensions import db
from saas.models.order import CHANNEL_LABELS, CHANNELS, Order, OrderLine
from saas.models.user import User
from saas.phones import mainland_mobile
from saas.services import audit, csv_files
from tenants.clock import shop_today
from tenants.models import Tenant
from tenants.terms import CATEGORIES

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024
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
REQUIRED_COLUMNS = ("order_number", "channel", "purchase_date", "customer_name", "sku", "name", "category",
                    "quantity", "unit_price")
OPTIONAL_COLUMNS = ("delivery_date", "mobile", "email")
# Fields every line of one order repeats; they must agree.
ORDER_FIELDS = ("channel", "purchase_date", "delivery_date", "customer_name", "mobile", "email")

# Labels for error messages; "contact" is the mobile-or-email rule, "file" the upload as a whole.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    **COLUMNS,
    "contact": ("手机/邮箱", "mobile/email"),
    "file": ("文件", "file"),
}

_HEADER_ALIASES: dict[str, str] = {}
for _key, (_zh, _en) in COLUMNS.items():
    _HEADER_ALIASES[_zh.lower()] = _key
    _HEADER_ALIASES[_en] = _key
    _HEADER_ALIASES[_en.replace("_", " ")] = _key

# Headings other exports commonly use for the same columns.
_HEADER_ALIASES.update({"订单编号": "order_number", "购买渠道": "channel", "购买日期": "purchase_date",
                        "收货日期": "delivery_date", "手机号": "mobile", "手机号码": "mobile",
                        "电子邮箱": "email", "商品名": "name", "商品类目": "category"})

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
class _Row:
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

def _file_error(zh: str, en: str, row: int | None = None, field: str = "file") -> ImportResult:
    return ImportResult(errors=[RowError(row, field, zh, en)])


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    # Extra columns from a platform export are ignored.
    positions, twice = csv_files.header_positions(header, _HEADER_ALIASES)
    errors: list[RowError] = []
    for key in twice:
        zh, en = COLUMNS[key]
        errors.append(RowError(1, key, f"表头中「{zh}」列出现了两次。", f"The column “{en}” appears twice in the header."))
    for key in REQUIRED_COLUMNS:
        if key not in positions:
            zh, en = COLUMNS[key]
            errors.append(RowError(1, key, f"缺少「{zh}」列（也可写作 {en}）。",
                                   f"The column “{en}” is missing (it may also be headed {zh})."))
    if "mobile" not in positions and "email" not in positions and not errors:
        errors.append(RowError(1, "contact", "缺少「手机」或「邮箱」列，至少需要其中一列。",
                               "The file needs a “mobile” or an “email” column (or both)."))
    return positions, errors


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
    raise _Bad(f"日期格式应为 YYYY-MM-DD 或 YYYY/MM/DD（如 2026-01-05），收到「{value}」。",
               f"must be a date written YYYY-MM-DD or YYYY/MM/DD (e.g. 2026-01-05); got “{value}”.")


def _channel(value: str) -> str:
    key = _CHANNEL_ALIASES.get(value.lower())
    if key is None:
        known = "、".join(zh for zh, _en in CHANNEL_LABELS.values())
        raise _Bad(f"无法识别「{value}」。可填写：{known}（或 {', '.join(CHANNELS)}）。",
                   f"is not a known channel: “{value}”. Use one of {', '.join(CHANNELS)} (or the Chinese names).")
    return key


def _category(value: str) -> str:
    key = _CATEGORY_ALIASES.get(value.lower())
    if key is None:
        known = "、".join(c.zh for c in CATEGORIES.values())
        raise _Bad(f"无法识别「{value}」。可填写：{known}。",
                   f"is not a known product category: “{value}”. Use one of {', '.join(CATEGORIES)} "
                   "(or the Chinese names).")
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
        raise _Bad(f"须为金额（元），如 59.90，收到「{value}」。",
                   f"must be an amount in yuan such as 59.90; got “{value}”.")
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
        raise _Bad(f"不是有效的中国大陆手机号（11 位，以 13–19 开头），收到「{value}」。",
                   f"is not a valid mainland China mobile number (11 digits starting 13–19); got “{value}”.")
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


def _parse_row(number: int, cells: list[str], positions: dict[str, int], today: date) -> tuple[_Row, list[RowError]]:
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
        errors.append(RowError(number, "contact", "请至少填写手机或邮箱中的一项。",
                               "Give a mobile number or an email address (at least one)."))
    purchase, delivery = values.get("purchase_date"), values.get("delivery_date")
    if isinstance(purchase, date) and purchase > today:
        errors.append(_error(number, "purchase_date", _Bad(f"不能晚于今天（{today.isoformat()}）。",
                                                           f"cannot be later than today ({today.isoformat()}).")))
    earliest = date(today.year - MAX_ORDER_AGE_YEARS, 1, 1)
    for key, value in (("purchase_date", purchase), ("delivery_date", delivery)):
        if isinstance(value, date) and value < earliest:
            errors.append(_error(number, key, _Bad(f"不能早于 {earliest.isoformat()}。",
                                                   f"cannot be earlier than {earliest.isoformat()}.")))
    if isinstance(delivery, date) and delivery > today:
        errors.append(_error(number, "delivery_date", _Bad(f"不能晚于今天（{today.isoformat()}）。",
                                                           f"cannot be later than today ({today.isoformat()}).")))
    if isinstance(purchase, date) and isinstance(delivery, date) and delivery < purchase:
        errors.append(RowError(number, "delivery_date",
                               f"签收日期（{delivery.isoformat()}）不能早于下单日期（{purchase.isoformat()}）。",
                               f"The delivery date ({delivery.isoformat()}) cannot be before the purchase date "
                               f"({purchase.isoformat()})."))
    return _Row(number, values), errors


def _existing_numbers(tenant: Tenant, numbers: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        found.update(db.session.scalars(
            select(Order.order_number).where(Order.tenant_id == tenant.id, Order.order_number.in_(chunk))
        ))
    return found


def _shown(value) -> str:
    if value is None or value == "":
        return "（空）"
    return value.isoformat() if isinstance(value, date) else str(value)


def _shown_en(value) -> str:
    if value is None or value == "":
        return "(empty)"
    return value.isoformat() if isinstance(value, date) else str(value)


# ---------- the import ----------------------------------------------------

def import_orders_csv(tenant: Tenant, actor: User | None, stream: BinaryIO | bytes, filename: str = "") -> ImportResult:
    """Validate every row, then add all orders and lines or none; errors name the spreadsheet row and field."""
    try:
        table = csv_files.read_table(stream, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    except csv_files.CsvFileError as exc:
        return _file_error(*exc.in_languages("zh_Hans", "en"), row=exc.line)
    # Spreadsheet rows: the header is row 1, each record one row (a quoted cell may hold a line break).
    numbered = [(record.line, record.cells) for record in table]
    header_row, header = numbered[0]
    positions, header_errors = _columns(header)
    if header_errors:
        return ImportResult(errors=[RowError(header_row, e.field, e.message_zh, e.message_en) for e in header_errors])
    body = numbered[1:]
    if not body:
        return _file_error("文件中没有订单行。", "The file has no order rows.")

    today = shop_today(tenant)
    errors: list[RowError] = []
    orders: dict[str, list[_Row]] = {}
    for number, cells in body:
        row, row_errors = _parse_row(number, cells, positions, today)
        errors += row_errors
        order_number = row.values.get("order_number")
        if not order_number:
            continue
        lines = orders.setdefault(order_number, [])
        if lines:
            first = lines[0]
            for key in ORDER_FIELDS:
                if key not in row.values or key not in first.values:
                    continue  # unparsable in one of the rows: already reported
                if row.values[key] != first.values[key]:
                    zh, en = FIELD_LABELS[key]
                    errors.append(RowError(
                        number, key,
                        f"同一订单「{order_number}」的「{zh}」与第 {first.number} 行不一致"
                        f"（{_shown(row.values[key])} ≠ {_shown(first.values[key])}）。",
                        f"“{en}” differs from row {first.number} of the same order “{order_number}” "
                        f"({_shown_en(row.values[key])} ≠ {_shown_en(first.values[key])}).",
                    ))
        lines.append(row)

    for order_number in sorted(_existing_numbers(tenant, list(orders)), key=lambda n: orders[n][0].number):
        errors.append(RowError(orders[order_number][0].number, "order_number",
                               f"订单号「{order_number}」已导入过，不会覆盖已有订单。请从文件中删除这些行。",
                               f"The order number “{order_number}” was imported before; existing orders are not "
                               "overwritten. Remove these rows from the file."))
    if errors:
        errors.sort(key=lambda e: (e.row or 0, list(FIELD_LABELS).index(e.field)))
        return ImportResult(errors=errors)

    created = 0
    line_count = 0
    for order_number, rows in orders.items():
        head = rows[0].values
        order = Order(
            tenant_id=tenant.id, order_number=order_number, channel=head["channel"],
            purchase_date=head["purchase_date"], delivery_date=head["delivery_date"],
            customer_name=head["customer_name"], mobile=head["mobile"], email=head["email"],
        )
        for row in rows:
            v = row.values
            order.lines.append(OrderLine(tenant_id=tenant.id, sku=v["sku"], name=v["name"], category=v["category"],
                                         quantity=v["quantity"], unit_price=v["unit_price"]))
        db.session.add(order)
        created += 1
        line_count += len(rows)
    db.session.flush()
    audit.record(tenant.id, actor, "orders.imported", None, orders=created, lines=line_count, filename=filename[:200])
    return ImportResult(orders=created, lines=line_count)


# ---------- reading -------------------------------------------------------

def search_orders(tenant: Tenant, query: str = ""):
    """The select for the console list: newest purchase first, optionally narrowed by number, name or mobile."""
    stmt = select(Order).where(Order.tenant_id == tenant.id)
    query = _clean(query or "")
    if query:
        conditions = [Order.order_number.icontains(query, autoescape=True),
                      Order.customer_name.icontains(query, autoescape=True)]
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
        "order_number": "TB20261101001", "channel": "淘宝" if zh else "taobao",
        "purchase_date": "2026-11-01", "delivery_date": "2026-11-03",
        "customer_name": "张三" if zh else "Zhang San", "mobile": "13812345678", "email": "zhangsan@example.com",
        "sku": "KW-TS-110", "name": "儿童纯棉短袖T恤 110cm" if zh else "Children's cotton T-shirt 110cm",
        "category": CATEGORIES["childrens_clothing"].zh if zh else "childrens_clothing",
        "quantity": "2", "unit_price": "59.90",
    }
    return csv_files.write_csv([header, [example[k] for k in COLUMNS]])
