"""The consumer's case page is kept per process until the case or its shop changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from saas.caches import tokens
from saas.extensions import db, redis
from saas.models.base import travel_to
from saas.models.case import Case
from tenants.scoping import cross_tenant
from tests.factories import csrf_token, post_form, statements
from tests.test_cases import _case, _jpeg, file_case, shop  # noqa: F401  (shop is a fixture)


def _statements(app, fn):
    with statements(app) as seen:
        result = fn()
    return result, seen


def _filed(client) -> str:
    number = file_case(client, files=[("photo.jpg", _jpeg())]).headers["Location"].rsplit("/", 1)[1]
    assert "Your request is submitted" in client.get(f"/voltmart/track/{number}?lang=en").get_data(as_text=True)
    return number


def test_a_second_look_costs_no_query_and_shows_the_same_page(app, client, shop):
    number = _filed(client)
    first = client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    again, seen = _statements(app, lambda: client.get(f"/voltmart/track/{number}"))
    assert again.status_code == 200 and seen == []
    strip = lambda html: re.sub(r'nonce="[^"]+"', "", html)  # noqa: E731
    assert strip(again.get_data(as_text=True)) == strip(first)
    assert "photo.jpg" in first  # the files of the case are on it
    nonce = re.search(r"'nonce-([^']+)'", again.headers["Content-Security-Policy"]).group(1)
    assert f'nonce="{nonce}"' in again.get_data(as_text=True) and "__csp_nonce_slot__" not in again.get_data(
        as_text=True
    )


def test_a_change_made_elsewhere_shows_once_the_case_token_is_gone(app, client, shop):
    number = _filed(client)
    client.get(f"/voltmart/track/{number}")
    case = _case(app, number)
    with app.app_context(), cross_tenant("test"):  # behind the ORM's back: this process is not told
        db.session.execute(update(Case).where(Case.id == case.id).values(customer_name="李四", status="closed"))
        db.session.commit()
    assert 'class="node done"' not in client.get(f"/voltmart/track/{number}").get_data(as_text=True)
    with app.app_context():  # what another process's commit does
        redis.client.delete(tokens.key(case.id, kind="case"))
    assert client.get(f"/voltmart/track/{number}").get_data(as_text=True).count('class="node done"') == 4


def test_a_message_posted_shows_with_its_flash_and_then_stays(app, client, shop):
    number = _filed(client)
    client.get(f"/voltmart/track/{number}")
    token = csrf_token(client, f"/voltmart/track/{number}")
    r = client.post(
        f"/voltmart/track/{number}/message?lang=en",
        data={"text": "还要多久?", "csrf_token": token},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = r.get_data(as_text=True)
    assert "Your message was sent." in page and "还要多久?" in page
    later = client.get(f"/voltmart/track/{number}?lang=en").get_data(as_text=True)
    assert "还要多久?" in later and "Your message was sent." not in later


def test_each_browser_gets_its_own_form_token(app, client, shop):
    number = _filed(client)
    client.get(f"/voltmart/track/{number}")
    other = app.test_client()
    assert post_form(other, "/voltmart/track", {"number": number, "factor": "5678"}).status_code == 303
    for browser, text in ((other, "第二个浏览器"), (client, "第一个浏览器")):
        for _ in range(2):
            page = browser.get(f"/voltmart/track/{number}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        r = browser.post(
            f"/voltmart/track/{number}/message",
            data={"text": text, "csrf_token": token},
            content_type="multipart/form-data",
        )
        assert r.status_code == 302, text


def test_another_browser_without_proof_gets_a_404_even_when_the_page_is_kept(app, client, shop):
    number = _filed(client)
    client.get(f"/voltmart/track/{number}")
    stranger = app.test_client()
    assert stranger.get(f"/voltmart/track/{number}").status_code == 404
    assert client.get(f"/kidswear/track/{number}").status_code == 404


@pytest.mark.real_commits  # counts statements
def test_filing_a_case_takes_five_reads_and_four_inserts(app, client, shop):
    """Order, policy versions, calendar stamp, number probe, suppression; four INSERTs (see bench/README.md)."""
    token = csrf_token(client, "/voltmart/cases/new")
    data = {
        "order_number": "TB-78",
        "customer_name": "张三",
        "mobile": "13812345678",
        "email": "",
        "purchase_channel": "taobao",
        "problem_type": "consultation",
        "description": "请问支持快充吗",
        "expected_resolution": "consultation",
        "purchase_date": "2026-01-10",
        "delivery_date": "",
        "category": "electronics",
        "item_price": "99.00",
        "action": "submit",
        "csrf_token": token,
    }
    # In working hours: outside them an auto-reply is a second event with messages of its own.
    with travel_to(datetime(2026, 11, 24, 2, 0, tzinfo=UTC)):  # Tuesday 10:00 in Shanghai
        client.post("/voltmart/cases/new", data=data)  # warm the per-process caches (shop row, calendar)
        r, seen = _statements(app, lambda: client.post("/voltmart/cases/new", data=data))
    assert r.status_code == 302
    reads = [s for s in seen if s.lstrip().upper().startswith("SELECT")]
    writes = [s for s in seen if not s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 5, "\n".join(s[:90] for s in reads)
    # One INSERT per table (SQLite sends a clock's INSERT per row), no UPDATE of the case after its INSERT.
    tables = {re.match(r"\s*INSERT INTO (\w+)", s).group(1) for s in writes}
    assert tables == {"cases", "case_events", "sla_clocks", "notifications"}, writes


@pytest.mark.real_commits  # counts statements
def test_an_unkept_case_page_takes_three_queries_without_files(app, client, shop, monkeypatch):
    number = file_case(client).headers["Location"].rsplit("/", 1)[1]
    client.get(f"/voltmart/track/{number}")  # the just-filed notice
    from saas.caches import case_pages

    monkeypatch.setattr(case_pages, "cached", lambda *a: None)
    r, seen = _statements(app, lambda: client.get(f"/voltmart/track/{number}"))
    assert r.status_code == 200
    assert len(seen) <= 3, (
        seen
    )  # the case (with has-files/compensations flags), its events, the case token check is Redis


def test_the_page_cache_can_be_switched_off(app, client, shop, monkeypatch):
    number = _filed(client)
    monkeypatch.setitem(app.config, "CASE_PAGE_CACHE", False)
    client.get(f"/voltmart/track/{number}")
    again, seen = _statements(app, lambda: client.get(f"/voltmart/track/{number}"))
    assert again.status_code == 200 and seen
