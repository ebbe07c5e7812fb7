"""Importing a merchant's order export (CSV or Excel-saved CSV) all-or-nothing: the header, every row, the new orders."""

from __future__ import annotations

from datetime import date
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select

from saas.extensions import db
from saas.models.order import Order, OrderLine
from saas.models.user import User
from saas.services import audit, csv_files
from saas.services.orders import (
    COLUMNS,
    FIELD_LABELS,
    ORDER_FIELDS,
    REQUIRED_COLUMNS,
    ImportResult,
    Row,
    RowError,
    label,
    parse_row,
)
from tenants.clock import shop_today
from tenants.models import Tenant

MAX_ROWS = 10_000
MAX_BYTES = 5 * 1024 * 1024

_HEADER_ALIASES: dict[str, str] = {}
for _key, (_zh, _en) in COLUMNS.items():
    _HEADER_ALIASES[_zh.lower()] = _key
    _HEADER_ALIASES[_en] = _key
    _HEADER_ALIASES[_en.replace("_", " ")] = _key

# Headings other exports commonly use for the same columns.
_HEADER_ALIASES.update(
    {
        "订单编号": "order_number",
        "购买渠道": "channel",
        "购买日期": "purchase_date",
        "收货日期": "delivery_date",
        "手机号": "mobile",
        "手机号码": "mobile",
        "电子邮箱": "email",
        "商品名": "name",
        "商品类目": "category",
    }
)


def _file_error(text: Any, row: int | None = None, field: str = "file") -> ImportResult:
    return ImportResult(errors=[RowError(row, field, text)])


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    # Extra columns from a platform export are ignored.
    positions, twice = csv_files.header_positions(header, _HEADER_ALIASES)
    errors: list[RowError] = []
    for key in twice:
        errors.append(RowError(1, key, _l("The column “%(column)s” appears twice in the header.", column=label(key))))
    for key in REQUIRED_COLUMNS:
        if key not in positions:
            zh, en = COLUMNS[key]
            errors.append(
                RowError(
                    1,
                    key,
                    _l("The column “%(en)s” is missing (it may also be headed %(zh)s).", en=en, zh=zh),
                )
            )
    if "mobile" not in positions and "email" not in positions and not errors:
        errors.append(RowError(1, "contact", _l("The file needs a “mobile” or an “email” column (or both).")))
    return positions, errors


def _existing_numbers(tenant: Tenant, numbers: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        found.update(
            db.session.scalars(
                select(Order.order_number).where(Order.tenant_id == tenant.id, Order.order_number.in_(chunk))
            )
        )
    return found


def _shown(value) -> Any:
    if value is None or value == "":
        return _l("(empty)")
    return value.isoformat() if isinstance(value, date) else str(value)


def import_orders_csv(tenant: Tenant, actor: User | None, stream: BinaryIO | bytes, filename: str = "") -> ImportResult:
    """Validate every row, then add all orders and lines or none; errors name the spreadsheet row and field."""
    try:
        table = csv_files.read_table(stream, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    except csv_files.CsvFileError as exc:
        return _file_error(LazyString(lambda refused=exc: refused.message), row=exc.line)
    # Spreadsheet rows: the header is row 1, each record one row (a quoted cell may hold a line break).
    numbered = [(record.line, record.cells) for record in table]
    header_row, header = numbered[0]
    positions, header_errors = _columns(header)
    if header_errors:
        return ImportResult(errors=[RowError(header_row, e.field, e.text) for e in header_errors])
    body = numbered[1:]
    if not body:
        return _file_error(_l("The file has no order rows."))

    today = shop_today(tenant)
    errors: list[RowError] = []
    orders: dict[str, list[Row]] = {}
    for number, cells in body:
        row, row_errors = parse_row(number, cells, positions, today)
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
                    errors.append(
                        RowError(
                            number,
                            key,
                            _l(
                                "“%(field)s” differs from row %(row)d of the same order “%(order)s” "
                                "(%(this)s ≠ %(first)s).",
                                field=label(key),
                                row=first.number,
                                order=order_number,
                                this=_shown(row.values[key]),
                                first=_shown(first.values[key]),
                            ),
                        )
                    )
        lines.append(row)

    for order_number in sorted(_existing_numbers(tenant, list(orders)), key=lambda n: orders[n][0].number):
        errors.append(
            RowError(
                orders[order_number][0].number,
                "order_number",
                _l(
                    "The order number “%(order)s” was imported before; existing orders are not overwritten. "
                    "Remove these rows from the file.",
                    order=order_number,
                ),
            )
        )
    if errors:
        errors.sort(key=lambda e: (e.row or 0, list(FIELD_LABELS).index(e.field)))
        return ImportResult(errors=errors)

    created = 0
    line_count = 0
    for order_number, rows in orders.items():
        head = rows[0].values
        order = Order(
            tenant_id=tenant.id,
            order_number=order_number,
            channel=head["channel"],
            purchase_date=head["purchase_date"],
            delivery_date=head["delivery_date"],
            customer_name=head["customer_name"],
            mobile=head["mobile"],
            email=head["email"],
        )
        for row in rows:
            v = row.values
            order.lines.append(
                OrderLine(
                    tenant_id=tenant.id,
                    sku=v["sku"],
                    name=v["name"],
                    category=v["category"],
                    quantity=v["quantity"],
                    unit_price=v["unit_price"],
                )
            )
        db.session.add(order)
        created += 1
        line_count += len(rows)
    db.session.flush()
    audit.record(tenant.id, actor, "orders.imported", None, orders=created, lines=line_count, filename=filename[:200])
    return ImportResult(orders=created, lines=line_count)
