"""`flask demo seed` creates the demo shops and logins, and a second run changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from saas.extensions import db
from saas.models.user import User
from tenants.models import Tenant
from tenants.scoping import cross_tenant


def _all_rows():
    with cross_tenant("test snapshot"):
        return {
            t.name: sorted(map(tuple, db.session.execute(t.select()).all()), key=repr)
            for t in db.metadata.sorted_tables
        }


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
    from saas.demo.seed import DEMO_PASSWORD
    from tests.factories import login

    app.test_cli_runner().invoke(args=["demo", "seed"])
    r = login(client, "owner@voltmart.demo", DEMO_PASSWORD)
    assert r.headers["Location"] == "/voltmart/console/"


def test_demo_supervisor_may_review_every_demo_shop(app, client):
    from saas.demo.seed import DEMO_PASSWORD
    from saas.models.supervision import SupervisorGrant
    from saas.services import supervision
    from tests.factories import login

    for _ in range(2):  # a second seed adds no second grant
        assert app.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    with app.app_context():
        supervisor = db.session.scalar(select(User).where(User.email == "supervisor@cca.demo"))
        granted = sorted(g.tenant.slug for g in supervision.active_grants(supervisor))
        assert granted == ["kidswear", "tianshang", "voltmart"]
        assert len(db.session.scalars(select(SupervisorGrant)).all()) == 3
    r = login(client, "supervisor@cca.demo", DEMO_PASSWORD)
    assert r.status_code == 302
    page = client.get("/supervise/?lang=zh").get_data(as_text=True)
    for name in ("甜上心头", "童趣衣橱", "伏特数码"):
        assert name in page


def test_demo_data_is_refused_where_demo_data_is_off(app, monkeypatch):
    """A production configuration never gets logins with the published demo password."""
    monkeypatch.setitem(app.config, "DEMO_DATA", False)
    runner = app.test_cli_runner()
    for args in (["demo", "seed"], ["demo", "generate", "--tenant", "voltmart", "--cases", "1"]):
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and "refused" in result.output, result.output
    with app.app_context(), cross_tenant("test"):
        assert db.session.scalars(select(User)).all() == [] and db.session.scalars(select(Tenant)).all() == []


def test_the_production_configuration_has_demo_data_off(monkeypatch):
    from config import DevelopmentConfig, ProductionConfig

    assert ProductionConfig.DEMO_DATA is False and DevelopmentConfig.DEMO_DATA is True
