"""Each process keeps a copy of a shop's row while the shop's cache token in Redis is unchanged."""

from __future__ import annotations

from redis import Redis
from sqlalchemy import update

from saas.caches import tokens
from saas.extensions import db, redis
from tenants.models import Tenant
from tests.factories import make_tenant, statements


def _shop(app, slug="shop-a") -> int:
    with app.app_context():
        tenant_id = make_tenant(slug).id
        db.session.commit()
    return tenant_id


def test_the_second_request_does_not_read_the_shop_row(app, client):
    _shop(app)
    assert client.get("/shop-a/track").status_code == 200
    with statements(app) as seen:
        assert client.get("/shop-a/track").status_code == 200
    assert [s for s in seen if "FROM tenants" in s] == []


def test_suspending_a_shop_takes_effect_on_the_next_request(app, client):
    tenant_id = _shop(app)
    assert client.get("/shop-a/track").status_code == 200
    with app.app_context():
        db.session.get(Tenant, tenant_id).is_active = False
        db.session.commit()
    assert client.get("/shop-a/track").status_code == 404


def test_a_change_made_by_another_process_is_seen_once_its_token_is_gone(app, client):
    tenant_id = _shop(app)
    assert "shop-a 店" in client.get("/shop-a/track").get_data(as_text=True)
    with app.app_context():  # behind the ORM's back: this process's copy is not told
        db.session.execute(update(Tenant).where(Tenant.id == tenant_id).values(name_zh="改过名的店"))
        db.session.commit()
    assert "shop-a 店" in client.get("/shop-a/track").get_data(as_text=True)
    with app.app_context():  # what the other process's commit does
        redis.client.delete(tokens.key(tenant_id))
    assert "改过名的店" in client.get("/shop-a/track").get_data(as_text=True)


def test_without_redis_every_request_reads_the_row(app, client, monkeypatch):
    _shop(app)
    monkeypatch.setitem(app.extensions, "redis", Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2))
    for _ in range(2):
        with statements(app) as seen:
            assert client.get("/shop-a/track").status_code == 200
        assert [s for s in seen if "FROM tenants" in s]


def test_a_renamed_slug_stops_answering(app, client):
    tenant_id = _shop(app)
    assert client.get("/shop-a/track").status_code == 200
    with app.app_context():
        db.session.get(Tenant, tenant_id).slug = "shop-b"
        db.session.commit()
    assert client.get("/shop-a/track").status_code == 404
    assert client.get("/shop-b/track").status_code == 200
