"""The one CSV reader (imports) and the one CSV writer (exports): saas/services/csv_files.py."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from hypothesis import given, settings
from hypothesis import strategies as st

from saas.services import calendar_import, csv_files, order_import, orders
from saas.services.csv_files import (
    CsvFileError,
    SafeWriter,
    header_positions,
    read_table,
    records,
    safe_cell,
    write_csv,
)
from tenants.scoping import tenant_context
from tests.factories import make_tenant

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", '=HYPERLINK("http://evil")']


def _cells(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# ---------- writing ---------------------------------------------------------------


@pytest.mark.parametrize("attack", ATTACKS)
def test_a_cell_never_starts_a_formula(attack):
    assert safe_cell(attack) == "'" + attack
    [[cell, plain]] = _cells(write_csv([[attack, "退货"]]))
    assert cell == "'" + attack and plain == "退货"


def test_plain_values_pass_unchanged_and_the_file_is_for_excel():
    data = write_csv([["订单号", "金额"], ["TB1", 12.5], ["TB2", -3], [None, "a=b"]])
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == 4
    assert _cells(data) == [["订单号", "金额"], ["TB1", "12.5"], ["TB2", "-3"], ["", "a=b"]]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
            min_size=1,
            max_size=5,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_cells_come_back_as_text_no_spreadsheet_runs(rows):
    back = [r.cells for r in records(write_csv(rows).decode("utf-8-sig"))]
    expected = [[safe_cell(c) for c in row] for row in rows if any(safe_cell(c).strip() for c in row)]
    assert back == expected
    assert not any(c.startswith(csv_files.FORMULA_STARTS) for row in back for c in row)


def test_every_export_writes_through_the_one_writer():
    """No module but csv_files writes CSV for people (the demo's platform export feeds the importer)."""
    allowed = {"saas/services/csv_files.py", "saas/demo/cases.py"}
    offenders = [
        str(p.relative_to(ROOT))
        for d in ("saas", "workers", "tenants")
        for p in (ROOT / d).rglob("*.py")
        if str(p.relative_to(ROOT)) not in allowed and re.search(r"csv\.(writer|DictWriter)\(", p.read_text())
    ]
    assert offenders == []


def test_exports_are_formula_safe(app):
    """The supervision report (masking first) and the scorecards use the same writer."""
    from saas.services import supervision_report

    with app.test_request_context("/"):
        w = SafeWriter()
        w.writerow([supervision_report._cell("=1+1 13812345678")])
        [[cell]] = _cells(w.getvalue())
    assert cell.startswith("'=1+1") and "13812345678" not in cell


# ---------- reading ---------------------------------------------------------------

TEXT = '日期,是否上班,名称\r\n2027-01-01,0,元旦\r\n\r\n,,\r\n"2027-02-07","1","春节\n调休"\r\n2027-02-08,0,x\r\n'


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_excel_writes(encoding):
    rows = read_table(TEXT.encode(encoding), max_bytes=10_000)
    assert [r.line for r in rows] == [1, 2, 5, 6]  # spreadsheet rows: blanks counted, a quoted line break not
    assert rows[0].cells == ["日期", "是否上班", "名称"] and rows[2].cells[2] == "春节\n调休"


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "empty"),
        (b"\r\n,,\r\n", "empty"),
        (b"PK\x03\x04rest", "workbook"),
        (b"\xd0\xcf\x11\xe0rest", "workbook"),
        ("日期\n".encode("utf-16"), "encoding"),
        (b"a,b\x00c\n", "encoding"),
        (b"\xff\xfe\xfd", "encoding"),
        (b"x" * 101, "too_large"),
        (b"h\n1\n2\n3\n4\n", "too_many_rows"),
    ],
)
def test_refused_files(app, data, code):
    with pytest.raises(CsvFileError) as info:
        read_table(data, max_bytes=100, max_rows=3)
    assert info.value.code == code
    with app.test_request_context("/"):
        zh, en = info.value.in_languages("zh_Hans", "en")
    assert zh != en and re.search(r"[\u4e00-\u9fff]", zh) and en.isascii()


def test_reads_no_further_than_the_limit():
    stream = io.BytesIO(b"x" * 10_000)
    with pytest.raises(CsvFileError):
        read_table(stream, max_bytes=100)
    assert stream.tell() == 101


def test_malformed_csv_names_its_row(app):
    with pytest.raises(CsvFileError) as info:
        records("a,b\nc,d\n" + "x" * 200_000 + ",f\n")  # past csv's field limit
    assert info.value.code == "malformed" and info.value.line == 3
    with app.test_request_context("/"), force_locale("zh_Hans"):
        assert "第 3 行" in info.value.message


def test_header_mapping():
    aliases = {"mobile": "mobile", "手机": "mobile", "order_number": "order_number"}
    positions, twice = header_positions([" Mobile* ", "Order-Number", "备注", "手机", "ORDER NUMBER"], aliases)
    assert positions == {"mobile": 0, "order_number": 1} and twice == ["mobile", "order_number"]


# ---------- the importers speak the user's language and name the row --------------


def test_both_importers_name_the_row_in_both_languages(app):
    with app.app_context():
        tenant = make_tenant("shop-a")
        with tenant_context(tenant.id):
            header = ",".join(orders.COLUMNS).encode()
            bad = order_import.import_orders_csv(tenant, None, header + b"\nT1\n" + b"x" * 200_000 + b"\n")
        assert [(e.row, e.field) for e in bad.errors] == [(3, "file")]
        assert "第 3 行" in bad.errors[0].message("zh") and "row 3" in bad.errors[0].message("en")
        big = order_import.import_orders_csv(tenant, None, b"x" * (order_import.MAX_BYTES + 1))
        assert "超过 5 MB" in big.errors[0].message("zh") and "larger than 5 MB" in big.errors[0].message("en")

        result = calendar_import.parse_arrangement(
            "日期,是否上班,名称\n2027-01-01,0,元旦\n".encode("gb18030") + b"y" * 200_000
        )
        assert [e.line for e in result.errors] == [3]
        assert "第 3 行" in result.errors[0].message("zh") and "row 3" in result.errors[0].message("en")
        result = calendar_import.parse_arrangement("日期,是否上班\n# 注释\n2027-01-01,0\n2027-13-01,1\n".encode())
        assert [e.line for e in result.errors] == [4] and "2027-13-01" in result.errors[0].message("en")
        assert "不是有效的日期" in result.errors[0].message("zh")
        assert calendar_import.parse_arrangement(b"\x00" * 10).errors[0].message("en").startswith("The file could")
