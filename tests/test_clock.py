"""One "today in the shop's time zone": tenants/clock.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

from saas.models.base import travel_to
from tenants.clock import PLATFORM_TZ, local_now, shop_today

ROOT = Path(__file__).resolve().parent.parent
# 2026-03-01 17:30 UTC: already 2 March in Shanghai, still 1 March in Los Angeles.
INSTANT = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)


def test_today_is_the_shops_and_follows_the_platform_clock():
    shanghai, la = SimpleNamespace(timezone="Asia/Shanghai"), SimpleNamespace(timezone="America/Los_Angeles")
    with travel_to(INSTANT):
        assert shop_today(shanghai) == date(2026, 3, 2) and shop_today(la) == date(2026, 3, 1)
        assert shop_today(None) == date(2026, 3, 2)  # the platform's (PLATFORM_TZ) outside a shop
        assert local_now(la).utcoffset().total_seconds() == -8 * 3600
    assert PLATFORM_TZ == "Asia/Shanghai"
    assert shop_today(la, INSTANT) == date(2026, 3, 1)


def test_form_date_bounds_use_the_same_today(app):
    from flask import g

    from saas.forms import in_the_past

    with app.test_request_context("/"), travel_to(INSTANT):
        g.tenant = SimpleNamespace(timezone="America/Los_Angeles")
        assert in_the_past().bounds()[1] == date(2026, 3, 1)


def test_no_other_module_works_out_today_itself():
    pattern = re.compile(r"astimezone\(ZoneInfo\([^)]*\)\)\.date\(\)|datetime\.now\(ZoneInfo|date\.today\(\)")
    offenders = [
        str(p.relative_to(ROOT))
        for d in ("saas", "tenants", "workers")
        for p in (ROOT / d).rglob("*.py")
        if pattern.search(p.read_text())
    ]
    assert offenders == []
