"""Factories and HTTP helpers shared by the tests."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from saas.extensions import db
from saas.models.user import User
from tenants.models import Tenant

PASSWORD = "correct horse battery"

__all__ = ["make_tenant", "make_user", "csrf_token", "login", "post_form", "two_tenants", "PASSWORD"]


def make_tenant(slug: str = "shop-a", **fields) -> Tenant:
    tenant = Tenant(slug=slug, name_zh=fields.pop("name_zh", f"{slug} 店"), name_en=fields.pop("name_en", f"{slug} shop"), **fields)
    db.session.add(tenant)
    db.session.flush()
    return tenant


def make_user(tenant: Tenant | None, role: str = "agent", email: str | None = None, password: str = PASSWORD, **fields) -> User:
    email = email or f"{role}-{tenant.slug if tenant else 'platform'}-{db.session.query(User).count()}@example.com"
    user = User(tenant_id=tenant.id if tenant else None, email=email, name=fields.pop("name", role), role=role, **fields)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    html = client.get(url).get_data(as_text=True)
    m = _CSRF.search(html)
    assert m, f"no CSRF token on {url}"
    return m.group(1) or m.group(2)


def post_form(client, url: str, data: dict, form_url: str | None = None, **kwargs):
    """POST like a browser: fetch the form page first and send its CSRF token."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


def login(client, email: str, password: str = PASSWORD):
    return post_form(client, "/login", {"email": email, "password": password})


@pytest.fixture
def two_tenants(app):
    """Tenants A and B, each with an owner and an agent, committed."""
    with app.app_context():
        a, b = make_tenant("shop-a"), make_tenant("shop-b")
        people = {
            "a": a.id, "b": b.id,
            "a_owner": make_user(a, "owner", "owner@a.example.com").id,
            "a_agent": make_user(a, "agent", "agent@a.example.com").id,
            "b_owner": make_user(b, "owner", "owner@b.example.com").id,
            "b_agent": make_user(b, "agent", "agent@b.example.com").id,
        }
        db.session.commit()
    return people


@contextmanager
def statements(app):
    """The SQL statements the app's engine runs while the block is active (a list, filled as they run)."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
