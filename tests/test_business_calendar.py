"""A tenant's business calendar from its policy and the official arrangement; importing years; the warnings."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from saas.extensions import db
from saas.services import business_calendar, calendar_import, policies
from tenants.calendar import DayStatus
from tenants.models import CalendarOverride, CalendarYear, Tenant
from tenants.scoping import tenant_context
from tenants.terms import Terms
from tests.factories import login, make_tenant, make_user, post_form

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
DATA = Path(__file__).parent / "data"
CSV_2027 = DATA / "calendar_2027.csv"
WARNING = "The official calendar for 2027 is missing: times are computed Monday–Friday until an operator imports it."
# A day in late 2026: this year is in the package, next year is not.
NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)

SPRING_FESTIVAL_MONDAY = date(2027, 2, 8)
ADJUSTED_SATURDAY = date(2027, 2, 20)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(autouse=True)
def late_2026(monkeypatch):
    """Pin "today" so the warnings do not depend on when the suite runs."""
    monkeypatch.setattr(business_calendar, "now", lambda: NOW)


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def operator(app):
    with app.app_context():
        make_user(None, "operator", "op@platform.example.com")
        db.session.commit()
    return "op@platform.example.com"


def _tenant(slug: str) -> Tenant:
    return db.session.scalar(select(Tenant).where(Tenant.slug == slug))


def _calendar(slug: str = "voltmart"):
    tenant = _tenant(slug)
    with tenant_context(tenant.id):
        return policies.calendar_for(tenant)


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["calendar", *args])


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(CalendarOverride.id))),
        db.session.scalar(select(func.count(CalendarYear.id))),
    )


# ---------- calendar_for ----------------------------------------------------


def test_national_day_is_skipped_through_the_tenants_calendar(app, demo):
    with app.app_context():
        cal = _calendar("voltmart")
        assert cal.add_working_time(sh(2026, 9, 30, 17, 30), H) == sh(2026, 10, 8, 9, 30)
        assert cal.tz == ZoneInfo("Asia/Shanghai") and (cal.opens, cal.closes) == (time(9), time(18))


def test_hours_come_from_the_published_policy_and_default_without_one(app):
    with app.app_context():
        bare = make_tenant("bare", timezone="Asia/Urumqi")
        shop = make_tenant("late-shop")
        with tenant_context(shop.id):
            policies.save_draft(
                shop, None, {**Terms().to_dict(), "business_hours_start": "10:00", "business_hours_end": "19:30"}
            )
            policies.publish(shop, None, date(2026, 1, 1), "later hours", allow_past=True)
        db.session.commit()
        with tenant_context(bare.id):
            cal = policies.calendar_for(bare)
        assert (cal.opens, cal.closes, cal.tz) == (time(9), time(18), ZoneInfo("Asia/Urumqi"))
        with tenant_context(shop.id):
            cal = policies.calendar_for(shop)
        assert (cal.opens, cal.closes) == (time(10), time(19, 30))
        assert cal.add_working_time(sh(2026, 9, 30, 19), H) == sh(2026, 10, 8, 10, 30)


# ---------- 2027 without an import ----------------------------------------


def test_2027_without_import_is_monday_to_friday_and_warned(app, client, demo, operator):
    with app.app_context():
        cal = _calendar()
        assert cal.country.day_status(SPRING_FESTIVAL_MONDAY) == DayStatus(True, "fallback")
        assert not cal.is_working_day(ADJUSTED_SATURDAY)
        assert cal.add_working_time(sh(2027, 2, 5, 17, 30), H) == sh(2027, 2, 8, 9, 30)
        assert business_calendar.missing_years_warning(None) == [2027]
        assert business_calendar.missing_years_warning(_tenant("voltmart")) == [2027]
        # Early in 2026 both years are known.
        assert business_calendar.missing_years_warning(None, date(2025, 6, 1)) == []
    login(client, operator)
    page = client.get("/admin/calendar?lang=en")
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert WARNING in text and "2004–2026" in text and "No year imported yet." in text
    assert WARNING in _text(client.get("/admin/?lang=en").get_data(as_text=True))


@pytest.mark.parametrize("who", ["owner@voltmart.demo", "agent@voltmart.demo"])
def test_console_home_warns_owners_and_agents(client, demo, who):
    login(client, who, "demo-password-2026")
    page = client.get("/voltmart/console/?lang=en")
    assert page.status_code == 200
    assert WARNING in _text(page.get_data(as_text=True))


# ---------- importing through the CLI --------------------------------------


def test_cli_import_makes_2027_official_and_removes_the_warnings(app, client, demo, operator):
    result = _cli(app, "import", str(CSV_2027))
    assert result.exit_code == 0, result.output
    assert "CN 2027: imported 34 days (29 days off, 5 adjusted working days)." in result.output
    with app.app_context():
        cal = _calendar()
        assert cal.country.day_status(SPRING_FESTIVAL_MONDAY) == DayStatus(False, "override")
        assert cal.country.day_status(ADJUSTED_SATURDAY) == DayStatus(True, "override")
        # Days not listed follow Mon–Fri, now authoritatively.
        assert cal.country.day_status(date(2027, 3, 1)) == DayStatus(True, "official")
        assert cal.country.day_status(date(2027, 3, 6)) == DayStatus(False, "official")
        assert cal.add_working_time(sh(2027, 2, 4, 17, 30), H) == sh(2027, 2, 14, 9, 30)
        assert cal.add_working_time(sh(2027, 9, 30, 17, 30), H) == sh(2027, 10, 8, 9, 30)
        assert business_calendar.missing_years_warning(None) == []
        year = db.session.scalar(select(CalendarYear))
        assert (year.country, year.year, year.days, year.source) == ("CN", 2027, 34, "calendar_2027.csv")
        assert year.imported_by.startswith("command line") and year.imported_at.tzinfo is not None
        spring = db.session.scalar(select(CalendarOverride).where(CalendarOverride.date == SPRING_FESTIVAL_MONDAY))
        assert spring.name == "春节" and spring.imported_at.utcoffset() == timedelta(0)
    listing = _cli(app, "years")
    assert listing.exit_code == 0
    assert "2004–2026" in listing.output and "CN 2027: 34 days" in listing.output and "Missing" not in listing.output
    login(client, operator)
    page = _text(client.get("/admin/calendar?lang=en").get_data(as_text=True))
    assert "missing" not in page and "calendar_2027.csv" in page
    owner = app.test_client()
    login(owner, "owner@voltmart.demo", "demo-password-2026")
    assert "is missing" not in owner.get("/voltmart/console/?lang=en").get_data(as_text=True)


def test_years_command_warns_when_next_year_is_missing(app):
    result = _cli(app, "years")
    assert result.exit_code == 0
    assert "Imported: none" in result.output and "Missing: 2027." in result.output


def test_chinese_headers_values_and_gbk_are_accepted(app, tmp_path):
    text = "# 测试数据\n日期,是否上班,名称\n2027/2/8,休息,春节\n2027-02-20,上班,调休\n\n,,\n2027-10-01,false,国庆节\n"
    path = tmp_path / "cn.csv"
    path.write_bytes(text.encode("gb18030"))
    result = _cli(app, "import", str(path))
    assert result.exit_code == 0, result.output
    with app.app_context():
        days = {o.date: (o.is_working_day, o.name) for o in db.session.scalars(select(CalendarOverride))}
    assert days == {
        SPRING_FESTIVAL_MONDAY: (False, "春节"),
        ADJUSTED_SATURDAY: (True, "调休"),
        date(2027, 10, 1): (False, "国庆节"),
    }


def test_json_import(app, tmp_path):
    doc = {
        "year": 2027,
        "country": "CN",
        "days": [
            {"date": "2027-01-01", "working": False, "name": "元旦"},
            {"date": "2027-02-20", "working": True, "name": "调休"},
        ],
    }
    result = _cli(app, "import", _write(tmp_path, "2027.json", json.dumps(doc, ensure_ascii=False, indent=2)))
    assert result.exit_code == 0, result.output
    assert "CN 2027: imported 2 days (1 days off, 1 adjusted working days)." in result.output
    with app.app_context():
        assert _counts() == (2, 1)


# ---------- refusing bad files --------------------------------------------

BAD_CSV = """# test data with mistakes
date,is_working_day,name
2027-01-01,0,元旦
2027-02-30,0,春节
2026-12-31,0,元旦
2027-01-01,0,元旦
2027-02-20,maybe,调休
"""


def test_invalid_csv_is_refused_with_every_line_and_writes_nothing(app, tmp_path):
    result = _cli(app, "import", _write(tmp_path, "bad.csv", BAD_CSV))
    assert result.exit_code == 1
    out = result.output
    assert "Nothing was imported: bad.csv has 4 problem(s)." in out
    assert "line 4: “2027-02-30” is not a valid date." in out
    assert "line 5: 2026-12-31 is not in 2027; a file holds one year." in out
    assert "line 6: 2027-01-01 is listed twice (first on line 3)." in out
    assert "line 7: is_working_day must be 1/0, true/false or 上班/休息; got “maybe”." in out
    with app.app_context():
        assert _counts() == (0, 0)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "date,is_working_day,name\n2027-1-1x,0,元旦\n",
            "line 2: The date must be written YYYY-MM-DD (e.g. 2027-01-01); got “2027-1-1x”.",
        ),
        ("日期,名称\n2027-01-01,元旦\n", "line 1: The first line must be the header date,is_working_day,name"),
        ("# only a comment\ndate,is_working_day,name\n", "The file lists no days"),
        ("date,is_working_day,name\n2207-01-01,0,typo\n", "The year 2207 is out of range (2000–2100)."),
    ],
)
def test_more_invalid_files(app, tmp_path, text, message):
    result = _cli(app, "import", _write(tmp_path, "bad.csv", text))
    assert result.exit_code == 1 and message in result.output
    with app.app_context():
        assert _counts() == (0, 0)


def test_year_option_is_checked_against_the_file(app):
    result = _cli(app, "import", str(CSV_2027), "--year", "2028")
    assert result.exit_code == 1
    assert "line 6: 2027-01-01 is not in 2028; a file holds one year." in result.output
    assert _cli(app, "import", str(CSV_2027), "--year", "2027").exit_code == 0


def test_invalid_json_has_line_numbers(app, tmp_path):
    text = (
        '{"year": 2027,\n "days": [\n  {"date": "2027-01-01", "working": false},\n'
        '  {"date": "2027-13-01", "working": false},\n  {"date": "2027-02-20", "working": "sometimes"}\n ]}\n'
    )
    result = _cli(app, "import", _write(tmp_path, "bad.json", text))
    assert result.exit_code == 1
    assert "line 4: “2027-13-01” is not a valid date." in result.output
    assert "line 5: is_working_day must be" in result.output
    broken = _cli(app, "import", _write(tmp_path, "broken.json", '{"year": 2027,\n "days": [\n'))
    assert broken.exit_code == 1 and "line 3: This is not valid JSON" in broken.output
    with app.app_context():
        assert _counts() == (0, 0)


def test_reimport_replaces_the_year_and_a_bad_file_keeps_it(app, tmp_path):
    assert _cli(app, "import", str(CSV_2027)).exit_code == 0
    smaller = _write(tmp_path, "2027-v2.csv", "date,is_working_day,name\n2027-02-09,0,春节\n2027-02-21,1,调休\n")
    result = _cli(app, "import", smaller)
    assert result.exit_code == 0, result.output
    assert "replacing 34 earlier days" in result.output
    with app.app_context():
        assert _counts() == (2, 1)
        assert db.session.scalar(select(CalendarYear)).source == "2027-v2.csv"
        cal = _calendar_without_tenant()
        assert cal.is_working_day(SPRING_FESTIVAL_MONDAY) and not cal.is_working_day(date(2027, 2, 9))
    assert _cli(app, "import", _write(tmp_path, "bad.csv", BAD_CSV)).exit_code == 1
    with app.app_context():
        assert _counts() == (2, 1)


def _calendar_without_tenant():
    tenant = make_tenant("plain")
    with tenant_context(tenant.id):
        return policies.calendar_for(tenant)


# ---------- the operator desk ----------------------------------------------


def _upload(client, data: bytes, filename: str, **fields):
    return post_form(
        client,
        "/admin/calendar?lang=en",
        {"file": (io.BytesIO(data), filename), **fields},
        content_type="multipart/form-data",
    )


def test_operator_uploads_a_year(app, client, demo, operator):
    login(client, operator)
    r = _upload(client, CSV_2027.read_bytes(), "calendar_2027.csv")
    assert r.status_code == 302
    page = _text(client.get("/admin/calendar?lang=en").get_data(as_text=True))
    assert "Imported the CN calendar for 2027: 34 days (29 days off, 5 adjusted working days)." in page
    assert "is missing" not in page and "op@platform.example.com" in page and "春节调休" in page
    with app.app_context():
        assert _counts() == (34, 1)
        assert not _calendar().is_working_day(SPRING_FESTIVAL_MONDAY)


def test_operator_upload_errors_are_listed_and_nothing_is_written(app, client, operator):
    login(client, operator)
    r = _upload(client, BAD_CSV.encode(), "bad.csv")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "The calendar was not imported" in html
    for line, message in (
        (4, "“2027-02-30” is not a valid date."),
        (6, "2027-01-01 is listed twice (first on line 3)."),
    ):
        assert re.search(rf"<td>{line}</td><td>{re.escape(message)}</td>", html)
    assert _upload(client, b"x", "calendar.txt").status_code == 400
    mismatch = _upload(client, CSV_2027.read_bytes(), "calendar_2027.csv", year="2028")
    assert mismatch.status_code == 422
    with app.app_context():
        assert _counts() == (0, 0)


def test_only_operators_reach_the_calendar_desk(app, client, two_tenants):
    assert client.get("/admin/calendar").status_code == 302  # to the login page
    with app.app_context():
        make_user(None, "supervisor", "sup@example.com")
        db.session.commit()
    for email in ("owner@a.example.com", "sup@example.com"):
        other = app.test_client()
        login(other, email)
        assert other.get("/admin/calendar").status_code == 404
        # A valid token from the sign-out form, so the 404 is the desk's answer and not CSRF's 400.
        token = re.search(r'name="csrf_token" value="([^"]+)"', other.get("/shop-a/policy").get_data(as_text=True))
        assert token
        data = {"file": (io.BytesIO(CSV_2027.read_bytes()), "calendar_2027.csv"), "csrf_token": token.group(1)}
        assert other.post("/admin/calendar", data=data, content_type="multipart/form-data").status_code == 404
    with app.app_context():
        assert _counts() == (0, 0)


# ---------- the override cache ---------------------------------------------


def test_cache_reads_overrides_once_and_notices_a_new_import(app, demo, tmp_path, monkeypatch):
    # Both imports below get the same timestamp (as with a coarse or skewed clock): the revision still moves.
    monkeypatch.setattr(calendar_import, "utcnow", lambda: NOW)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        _calendar()  # warm
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            for slug in ("tianshang", "kidswear", "voltmart"):
                assert _calendar(slug).is_working_day(SPRING_FESTIVAL_MONDAY)
            assert not any("FROM calendar_overrides" in s for s in statements)
            assert sum("calendar_years" in s for s in statements) == 3  # one cheap stamp query per calendar
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.commit()
    # Another process (the CLI) imports: the next calendar sees it without a restart.
    assert _cli(app, "import", str(CSV_2027)).exit_code == 0
    with app.app_context():
        assert not _calendar().is_working_day(SPRING_FESTIVAL_MONDAY)
    assert (
        _cli(app, "import", _write(tmp_path, "v2.csv", "date,is_working_day,name\n2027-02-09,0,春节\n")).exit_code == 0
    )
    with app.app_context():
        cal = _calendar()
        assert cal.is_working_day(SPRING_FESTIVAL_MONDAY) and not cal.is_working_day(date(2027, 2, 9))
