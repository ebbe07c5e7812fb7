"""Orders: CSV import (all-or-nothing, row-numbered errors in both languages), the console list and detail."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from saas.extensions import db
from saas.models.audit import AuditEvent
from saas.models.order import Order, OrderLine
from saas.services import order_import, orders
from tenants.models import Tenant
from tenants.scoping import cross_tenant, tenant_context
from tests.factories import login, make_tenant, post_form

HEADER = [
    "order_number",
    "channel",
    "purchase_date",
    "delivery_date",
    "customer_name",
    "mobile",
    "email",
    "sku",
    "name",
    "category",
    "quantity",
    "unit_price",
]
ZH_HEADER = [
    "订单号",
    "渠道",
    "下单日期",
    "签收日期",
    "客户姓名",
    "手机",
    "邮箱",
    "SKU",
    "商品名称",
    "类目",
    "数量",
    "单价",
]
GOOD = {
    "order_number": "T1001",
    "channel": "taobao",
    "purchase_date": "2026-01-05",
    "delivery_date": "2026-01-07",
    "customer_name": "张三",
    "mobile": "+86 138-1234-5678",
    "email": "",
    "sku": "KW-TS-110",
    "name": "儿童纯棉T恤",
    "category": "childrens_clothing",
    "quantity": "2",
    "unit_price": "59.90",
}
LIST = "/shop-a/console/orders/"
IMPORT = "/shop-a/console/orders/import"


def _csv(rows: list[dict], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(h, "") for h in HEADER] if row else [])
    return out.getvalue().encode(encoding)


def _row(**changes) -> dict:
    return {**GOOD, **changes}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _upload(client, data: bytes, filename: str = "orders.csv", lang: str | None = None):
    url = IMPORT + (f"?lang={lang}" if lang else "")
    return post_form(
        client, url, {"file": (io.BytesIO(data), filename)}, form_url=LIST, content_type="multipart/form-data"
    )


def _count(model) -> int:
    with cross_tenant("test count"):
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def shop(app):
    """Tenant shop-a in a tenant context, for calling the service directly."""
    with app.app_context():
        tenant = make_tenant("shop-a")
        db.session.commit()
        with tenant_context(tenant.id):
            yield tenant


def _import(tenant: Tenant, data: bytes) -> orders.ImportResult:
    return order_import.import_orders_csv(tenant, None, data)


# ---------- a good file ----------------------------------------------------


def test_two_orders_three_lines_with_exact_prices(app, client, two_tenants):
    data = _csv(
        [
            _row(),
            _row(sku="KW-SK-120", name="儿童袜子三双装", quantity="1", unit_price="0.10"),
            _row(
                order_number="T1002",
                channel="jd",
                purchase_date="2026-02-01",
                delivery_date="",
                customer_name="李四",
                mobile="",
                email="LiSi@Example.COM",
                sku="VM-EB-01",
                name="蓝牙耳机",
                category="electronics",
                quantity="1",
                unit_price="1,299",
            ),
        ]
    )
    login(client, "owner@a.example.com")
    r = _upload(client, data)
    assert r.status_code == 302
    page = client.get(LIST).get_data(as_text=True)
    assert "已导入 2 个订单，共 3 条订单明细。" in page
    with app.app_context(), tenant_context(two_tenants["a"]):
        first = db.session.scalar(select(Order).where(Order.order_number == "T1001"))
        assert (first.channel, first.purchase_date, first.delivery_date) == (
            "taobao",
            date(2026, 1, 5),
            date(2026, 1, 7),
        )
        assert (first.mobile, first.email, first.tenant_id) == ("13812345678", "", two_tenants["a"])
        assert [(li.sku, li.quantity, li.unit_price) for li in first.lines] == [
            ("KW-TS-110", 2, Decimal("59.90")),
            ("KW-SK-120", 1, Decimal("0.10")),
        ]
        assert all(type(li.unit_price) is Decimal for li in first.lines)
        assert first.total == Decimal("119.90")
        second = db.session.scalar(select(Order).where(Order.order_number == "T1002"))
        assert (second.channel, second.delivery_date, second.mobile, second.email) == (
            "jd",
            None,
            "",
            "LiSi@example.com",
        )
        assert second.lines[0].unit_price == Decimal("1299.00") and second.lines[0].category == "electronics"
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "orders.imported"))
        assert event.details == {"orders": 2, "lines": 3, "filename": "orders.csv"}
        assert event.actor_id == two_tenants["a_owner"]
    # The list shows both, newest purchase first; the detail shows the lines and the exact total.
    text = _text(page)
    assert text.index("T1002") < text.index("T1001")
    assert "¥119.90" in text and "¥1,299.00" in text and "淘宝" in text and "京东" in text
    with app.app_context(), tenant_context(two_tenants["a"]):
        order_id = db.session.scalar(select(Order.id).where(Order.order_number == "T1001"))
    detail = _text(client.get(f"/shop-a/console/orders/{order_id}").get_data(as_text=True))
    assert "儿童纯棉T恤" in detail and "儿童袜子三双装" in detail and "童装" in detail
    assert "¥59.90" in detail and "¥0.10" in detail and "¥119.90" in detail and "13812345678" in detail


def test_chinese_headers_in_gbk_as_excel_saves_them(app, client, two_tenants):
    rows = [
        {
            **_row(
                channel="京东",
                purchase_date="2026/3/5",
                delivery_date="2026/03/08",
                customer_name="王小明",
                name="智能电饭煲 4L",
                category="家用电器",
                unit_price="￥399.00",
            ),
            "order_number": "JD-88",
        },
        {
            **_row(
                channel="拼多多",
                category="生鲜食品",
                customer_name="赵六",
                name="草莓 500g",
                unit_price="29.9",
                mobile="139 0000 1111",
            ),
            "order_number": "PDD-7",
        },
    ]
    data = _csv(rows, header=ZH_HEADER, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    login(client, "owner@a.example.com")
    assert _upload(client, data).status_code == 302
    with app.app_context(), tenant_context(two_tenants["a"]):
        jd = db.session.scalar(select(Order).where(Order.order_number == "JD-88"))
        assert (jd.channel, jd.customer_name, jd.purchase_date, jd.delivery_date) == (
            "jd",
            "王小明",
            date(2026, 3, 5),
            date(2026, 3, 8),
        )
        assert (jd.lines[0].name, jd.lines[0].category, jd.lines[0].unit_price) == (
            "智能电饭煲 4L",
            "home_appliance",
            Decimal("399.00"),
        )
        pdd = db.session.scalar(select(Order).where(Order.order_number == "PDD-7"))
        assert (pdd.channel, pdd.mobile, pdd.lines[0].category) == ("pdd", "13900001111", "fresh_food")
        assert pdd.lines[0].unit_price == Decimal("29.90")


def test_utf8_with_bom_and_crlf(shop):
    data = b"\xef\xbb\xbf" + _csv([_row()], header=ZH_HEADER).replace(b"\n", b"\r\n")
    result = _import(shop, data)
    assert result.ok and (result.orders, result.lines) == (1, 1)


# ---------- each validation error, with its row ----------------------------

CASES = [
    # (changes to a good row, field, Chinese message, English message)
    ({"order_number": ""}, "order_number", "「订单号」不能为空。", "“order_number” is required."),
    ({"customer_name": " "}, "customer_name", "「客户姓名」不能为空。", "“customer_name” is required."),
    ({"sku": ""}, "sku", "「SKU」不能为空。", "“sku” is required."),
    (
        {"channel": "亚马逊"},
        "channel",
        "「渠道」无法识别「亚马逊」。可填写：淘宝、天猫",
        "“channel” is not a known channel: “亚马逊”",
    ),
    (
        {"purchase_date": "05.01.2026"},
        "purchase_date",
        "日期格式应为 YYYY-MM-DD 或 YYYY/MM/DD",
        "must be a date written YYYY-MM-DD or YYYY/MM/DD",
    ),
    (
        {"purchase_date": "2026-02-30"},
        "purchase_date",
        "「下单日期」不是有效的日期，收到「2026-02-30」",
        "“purchase_date” is not a valid date; got “2026-02-30”",
    ),
    (
        {"purchase_date": "2099-01-01", "delivery_date": ""},
        "purchase_date",
        "不能晚于今天",
        "cannot be later than today",
    ),
    (
        {"purchase_date": "2026-01-05", "delivery_date": "2026-01-04"},
        "delivery_date",
        "签收日期（2026-01-04）不能早于下单日期（2026-01-05）",
        "The delivery date (2026-01-04) cannot be before the purchase date (2026-01-05)",
    ),
    (
        {"category": "玩具"},
        "category",
        "「类目」无法识别「玩具」。可填写：通用、生鲜食品",
        "“category” is not a known product category: “玩具”",
    ),
    (
        {"quantity": "0"},
        "quantity",
        "「数量」须为正整数，收到「0」",
        "“quantity” must be a whole number of at least 1; got “0”",
    ),
    ({"quantity": "1.5"}, "quantity", "须为正整数", "must be a whole number"),
    ({"quantity": "-2"}, "quantity", "须为正整数", "must be a whole number"),
    ({"unit_price": "12.345"}, "unit_price", "最多保留两位小数", "at most 2 decimal places"),
    ({"unit_price": "-1"}, "unit_price", "「单价」不能为负数", "“unit_price” cannot be negative"),
    ({"unit_price": "1e3"}, "unit_price", "须为金额（元）", "must be an amount in yuan"),
    ({"unit_price": "NaN"}, "unit_price", "须为金额（元）", "must be an amount in yuan"),
    ({"mobile": "12345678901"}, "mobile", "不是有效的中国大陆手机号", "is not a valid mainland China mobile number"),
    (
        {"email": "zhang@"},
        "email",
        "「邮箱」不是有效的邮箱地址，收到「zhang@」",
        "“email” is not a valid email address; got “zhang@”",
    ),
    (
        {"mobile": "", "email": ""},
        "contact",
        "请至少填写手机或邮箱中的一项",
        "Give a mobile number or an email address",
    ),
    (
        {"order_number": "T1001", "customer_name": "张三丰"},
        "customer_name",
        "同一订单「T1001」的「客户姓名」与第 2 行不一致",
        "“customer_name” differs from row 2 of the same order “T1001”",
    ),
]


@pytest.mark.parametrize("changes,field,zh,en", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_each_error_names_row_and_field(shop, changes, field, zh, en):
    # Row 1 header, row 2 good, row 3 blank (still counted, as in a spreadsheet), row 4 bad.
    result = _import(shop, _csv([_row(), {}, _row(**{"order_number": "T1002", **changes})]))
    assert not result.ok and (result.orders, result.lines) == (0, 0)
    assert [(e.row, e.field) for e in result.errors] == [(4, field)]
    error = result.errors[0]
    assert zh in error.message("zh") and en in error.message("en")
    assert _count(Order) == 0


def test_header_problems_are_row_1(shop):
    result = _import(shop, _csv([_row()], header=[h for h in HEADER if h not in ("quantity", "mobile", "email")]))
    assert [(e.row, e.field) for e in result.errors] == [(1, "quantity")]
    missing = result.errors[0]
    assert "缺少「数量」列" in missing.message("zh") and "“quantity” is missing" in missing.message("en")
    contactless = _import(shop, _csv([_row()], header=[h for h in HEADER if h not in ("mobile", "email")]))
    assert [(e.row, e.field) for e in contactless.errors] == [(1, "contact")]


def test_file_level_limits(shop, monkeypatch):
    assert _import(shop, b"").errors[0].message("en") == "The file is empty."
    assert "no order rows" in _import(shop, _csv([])).errors[0].message("en")
    assert "Excel workbook" in _import(shop, b"PK\x03\x04rest-of-a-zip").errors[0].message("en")
    too_big = _import(shop, b"x" * (order_import.MAX_BYTES + 1)).errors
    assert too_big[0].row is None and "超过 5 MB" in too_big[0].message("zh")
    monkeypatch.setattr(order_import, "MAX_ROWS", 3)
    result = _import(shop, _csv([_row(order_number=f"N{i}") for i in range(4)]))
    assert "at most 3 can be imported" in result.errors[0].message("en") and _count(Order) == 0


def test_ten_thousand_rows_is_the_limit(shop):
    rows = [_row(order_number=f"N{i}") for i in range(order_import.MAX_ROWS + 1)]
    result = _import(shop, _csv(rows))
    assert "10000" in result.errors[0].message("en") and "10001" in result.errors[0].message("en")
    result = _import(shop, _csv(rows[: order_import.MAX_ROWS]))
    assert result.ok and result.orders == order_import.MAX_ROWS


# ---------- all or nothing, through the console -----------------------------


def test_one_bad_row_imports_nothing_and_lists_errors_in_both_languages(app, client, two_tenants):
    data = _csv(
        [
            _row(),
            _row(order_number="T1002"),
            _row(order_number="T1003", quantity="zero"),
            _row(order_number="T1004", unit_price="9.999", email="bad"),
        ]
    )
    login(client, "owner@a.example.com")
    r = _upload(client, data)
    assert r.status_code == 422
    zh = _text(r.get_data(as_text=True))
    assert "没有导入任何订单" in zh and "文件中有 3 处问题，涉及 2 行" in zh
    assert "4 数量 「数量」须为正整数，收到「zero」。" in zh
    assert "5 单价 「单价」最多保留两位小数，收到「9.999」。" in zh
    assert "5 邮箱 「邮箱」不是有效的邮箱地址，收到「bad」。" in zh
    with app.app_context():
        assert _count(Order) == 0 and _count(OrderLine) == 0
        with cross_tenant("test"):
            assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "orders.imported")) is None
    en = _text(_upload(client, data, lang="en").get_data(as_text=True))
    assert "Nothing was imported" in en and "The file has 3 problems in 2 rows" in en
    assert "4 quantity “quantity” must be a whole number of at least 1; got “zero”." in en


def test_duplicate_order_number_is_refused_not_overwritten(app, client, two_tenants):
    login(client, "owner@a.example.com")
    assert _upload(client, _csv([_row()])).status_code == 302
    again = _upload(client, _csv([_row(order_number="T2000"), _row(customer_name="改名", unit_price="1.00")]))
    assert again.status_code == 422
    assert "3 订单号 订单号「T1001」已导入过，不会覆盖已有订单。" in _text(again.get_data(as_text=True))
    with app.app_context(), tenant_context(two_tenants["a"]):
        assert db.session.scalars(select(Order.order_number)).all() == ["T1001"]
        assert db.session.scalar(select(Order.customer_name)) == "张三"
    # Order numbers are unique per shop: another tenant may have the same number.
    other = app.test_client()
    login(other, "owner@b.example.com")
    r = post_form(
        other,
        "/shop-b/console/orders/import",
        {"file": (io.BytesIO(_csv([_row()])), "o.csv")},
        form_url="/shop-b/console/orders/",
        content_type="multipart/form-data",
    )
    assert r.status_code == 302
    with app.app_context():
        assert _count(Order) == 2


def test_import_form_needs_a_csv_file(client, two_tenants):
    login(client, "owner@a.example.com")
    r = post_form(client, IMPORT, {}, form_url=LIST)
    assert r.status_code == 400 and "请选择 CSV 文件" in r.get_data(as_text=True)
    r = _upload(client, _csv([_row()]), filename="orders.xlsx")
    assert r.status_code == 400 and "请上传 .csv 文件" in r.get_data(as_text=True)


def test_agent_reads_orders_but_cannot_import(app, client, two_tenants):
    with app.app_context(), tenant_context(two_tenants["a"]):
        assert _import(db.session.get(Tenant, two_tenants["a"]), _csv([_row()])).ok
        db.session.commit()
        order_id = db.session.scalar(select(Order.id))
    login(client, "agent@a.example.com")
    page = client.get(LIST)
    assert page.status_code == 200 and "T1001" in page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' not in page.get_data(as_text=True)
    assert client.get(f"/shop-a/console/orders/{order_id}").status_code == 200
    assert _upload(client, _csv([_row(order_number="T9")])).status_code == 403
    with app.app_context():
        assert _count(Order) == 1


def test_another_tenants_order_is_404(app, client, two_tenants):
    with app.app_context(), tenant_context(two_tenants["a"]):
        _import(db.session.get(Tenant, two_tenants["a"]), _csv([_row()]))
        db.session.commit()
        order_id = db.session.scalar(select(Order.id))
    login(client, "owner@b.example.com")
    assert client.get(f"/shop-b/console/orders/{order_id}").status_code == 404
    assert client.get(f"/shop-a/console/orders/{order_id}").status_code == 404
    html = client.get("/shop-b/console/orders/?q=T1001").get_data(as_text=True)
    assert "暂无订单" not in html and "没有符合搜索条件的订单" in html
    assert not re.search(r'href="/shop-b/console/orders/\d+"', html)


# ---------- the template -----------------------------------------------------


@pytest.mark.parametrize("lang,header", [("zh", ZH_HEADER), ("en", HEADER)])
def test_template_downloads_and_reimports_after_filling(app, client, two_tenants, lang, header):
    login(client, "owner@a.example.com")
    r = client.get(f"/shop-a/console/orders/template.csv?lang={lang}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith(b"\xef\xbb\xbf")  # so Excel shows the Chinese
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == header and len(rows) == 2
    # Fill it as a merchant would: keep the example's shape, add a second line and a second order.
    example = dict(zip(header, rows[1], strict=True))
    number, sku, price = header[0], header[7], header[11]
    rows.append(list({**example, sku: "KW-TS-120", price: "69.90"}.values()))
    rows.append(list({**example, number: "TB20261101002"}.values()))
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    assert _upload(client, out.getvalue().encode("utf-8-sig"), lang=lang).status_code == 302
    with app.app_context():
        assert _count(Order) == 2 and _count(OrderLine) == 3


# ---------- list: search and pages -------------------------------------------


def test_search_and_pagination_newest_first(app, client, two_tenants):
    rows = [
        _row(
            order_number=f"P{i:03d}",
            purchase_date=date(2026, 1, 1).replace(day=1 + i % 28).isoformat(),
            delivery_date="",
            customer_name=f"客户{i}",
        )
        for i in range(55)
    ]
    rows.append(
        _row(
            order_number="ZZ-1",
            customer_name="欧阳娜娜",
            mobile="13700001234",
            purchase_date="2025-06-01",
            delivery_date="",
        )
    )
    with app.app_context(), tenant_context(two_tenants["a"]):
        assert _import(db.session.get(Tenant, two_tenants["a"]), _csv(rows)).ok
        db.session.commit()
    login(client, "agent@a.example.com")
    html = client.get(LIST).get_data(as_text=True)
    assert len(re.findall(r'href="/shop-a/console/orders/\d+"', html)) == 50
    first = _text(html)
    assert "第 1 / 2 页" in first and "ZZ-1" not in first
    assert first.index("P027") < first.index("P026")  # the 28th, the newest purchase, leads
    html = client.get(LIST + "?page=2").get_data(as_text=True)
    assert len(re.findall(r'href="/shop-a/console/orders/\d+"', html)) == 6
    assert "ZZ-1" in html and "第 2 / 2 页" in _text(html)
    assert "ZZ-1" in client.get(LIST + "?q=zz-").get_data(as_text=True)
    by_name = _text(client.get(LIST + "?q=欧阳").get_data(as_text=True))
    assert "ZZ-1" in by_name and "P001" not in by_name
    assert "ZZ-1" in client.get(LIST + "?q=137-0000-1234").get_data(as_text=True)
    assert "没有符合搜索条件的订单" in client.get(LIST + "?q=100%25").get_data(as_text=True)
