"""`flask demo seed` creates the demo shops and logins, and a second run changes nothing."""
from __future__ import annotations

from sqlalchemy import select

from saas.extensions import db
from saas.models.user import User
from tenants.models import Tenant
from tenants.scoping import cross_tenant


def _all_rows():
    with cross_tenant("test snapshot"):
        return {t.name: sorted(map(tuple, db.session.execute(t.select()).all()), key=repr) for t in db.metadata.sorted_tables}


def test_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "owner@voltmart.demo" in first.output and "supervisor@cca.demo" in first.output
    with app.app_context():
        snapshot = _all_rows()
        slugs = db.session.scalars(select(Tenant.slug).order_by(Tenant.slug)).all()
        roles = sorted(db.session.scalars(select(User.role)).all())
    assert slugs == ["kidswear", "tianshang", "voltmart"]
    assert roles.count("owner") == 3 and roles.count("agent") == 3
    assert "supervisor" in roles and "operator" in roles
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0
    with app.app_context():
        assert _all_rows() == snapshot


def test_demo_logins_work(app, client):
    from saas.demo import DEMO_PASSWORD
    from tests.factories import login

    app.test_cli_runner().invoke(args=["demo", "seed"])
    r = login(client, "owner@voltmart.demo", DEMO_PASSWORD)
    assert r.headers["Location"] == "/voltmart/console/"
