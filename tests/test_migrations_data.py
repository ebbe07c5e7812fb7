"""Upgrades keep data: a database holding the demo shops goes down one migration and up again, and
one holding rows written at the first migration is carried to head; after every step no row is lost
or changed and the app still serves the demo shops (policy page, tracking lookup, console login).

`flask db upgrade`/`downgrade` and `flask demo seed` run through the app's CLI, as an operator runs them.
"""

from __future__ import annotations

import re
import secrets

import pytest
from alembic.script import ScriptDirectory
from redis import Redis
from sqlalchemy import MetaData, inspect, select, text

from saas import create_app
from saas.demo.seed import DEMO_PASSWORD
from saas.extensions import db
from saas.models.user import hash_password
from tests.conftest import make_config
from tests.factories import login, post_form

EVIDENCE_STATUS = "5e1d0c9a7b21"  # 20261205_5e1d0c9a7b21_evidence_processing_status.py
SHOPS = {"tianshang": "甜上心头", "kidswear": "童趣衣橱", "voltmart": "伏特数码"}


def _cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, f"flask {' '.join(args)}: {result.output}\n{result.exception!r}"
    with app.app_context():
        db.engine.dispose()  # as after a deploy: no connection keeps plans of the old schema
    return result.output


def _revisions(app) -> list[str]:
    """The chain, first migration first."""
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def _current(app) -> str:
    with app.app_context():
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def _snapshot(app) -> dict[str, dict[tuple, dict]]:
    """Every row of every table: {table: {primary key: {column: value}}}."""
    with app.app_context():
        with db.engine.connect() as conn:
            metadata = MetaData()
            metadata.reflect(conn)
            tables = {}
            for name, table in metadata.tables.items():
                if name == "alembic_version":
                    continue
                key = list(table.primary_key.columns) or list(table.columns)
                tables[name] = {
                    tuple(row[c.name] for c in key): dict(row) for row in conn.execute(select(table)).mappings()
                }
        db.engine.dispose()
        return tables


def _assert_kept(before: dict, after: dict, *, more_rows: bool = False) -> None:
    """Every row of `before` is in `after` with the same values in every column both have (and, unless
    more_rows, `after` has no other rows)."""
    for table in before.keys() & after.keys():
        missing = before[table].keys() - after[table].keys()
        assert not missing, f"{table}: rows {sorted(missing)[:5]} lost"
        if not more_rows:
            assert after[table].keys() == before[table].keys(), f"{table}: rows appeared"
        for key, row in before[table].items():
            then, now = row, after[table][key]
            common = then.keys() & now.keys()
            assert {c: now[c] for c in common} == {c: then[c] for c in common}, f"{table} row {key} changed"


def _showcases(seed_output: str) -> dict[str, tuple[str, str]]:
    return {
        slug: (number, factor)
        for slug, number, factor in re.findall(r"^\s+(\w+)\s+case (\S+)\s+track with (\S+)", seed_output, re.M)
    }


def _serves_demo_shops(app, showcases: dict[str, tuple[str, str]], case_page: bool = True) -> None:
    """The policy page, a tracking lookup of the shop's demo case, the staff login and the console.

    case_page=False stops at the lookup's redirect: one step down, the case page reads the
    evidence columns that step removed, which only the code of that older revision does without."""
    for slug, name in SHOPS.items():
        client = app.test_client()
        policy = client.get(f"/{slug}/policy")
        assert policy.status_code == 200 and name in policy.get_data(as_text=True), slug
        number, factor = showcases[slug]
        found = post_form(client, f"/{slug}/track", {"number": number, "factor": factor}, follow_redirects=case_page)
        if case_page:
            assert found.status_code == 200 and number in found.get_data(as_text=True), slug
        else:
            assert found.status_code in (302, 303) and f"/{slug}/track" in found.headers["Location"], slug

        staff = app.test_client()
        assert staff.get("/login").status_code == 200
        signed_in = login(staff, f"owner@{slug}.demo", DEMO_PASSWORD)
        assert signed_in.status_code == 302, slug
        console = staff.get(f"/{slug}/console/")
        assert console.status_code == 200 and name in console.get_data(as_text=True), slug


@pytest.fixture
def fresh(databases, redis_url):
    """An app on an empty database of its own (`create_all` never runs: the migrations build it)."""

    label = f"upgrades_{secrets.token_hex(3)}"  # a database (or SQLite file) per test
    app = create_app(make_config(databases.new(label), redis_url, RATELIMIT_ENABLED=False))
    Redis.from_url(redis_url).flushdb()  # no cached tenant or page from another test's database
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_data_survives_one_step_down_and_up(fresh):
    app = fresh
    head = _revisions(app)[-1]
    _cli(app, "db", "upgrade")
    showcases = _showcases(_cli(app, "demo", "seed"))
    assert set(showcases) == set(SHOPS)
    _serves_demo_shops(app, showcases)
    at_head = _snapshot(app)
    assert all(at_head[t] for t in ("tenants", "users", "policy_versions", "cases", "case_events")), (
        "the demo data should fill the main tables"
    )

    _cli(app, "db", "downgrade")
    assert _current(app) == _revisions(app)[-2]
    _assert_kept(at_head, _snapshot(app))
    _serves_demo_shops(app, showcases, case_page=False)  # signing in writes rows: snapshot again
    one_down = _snapshot(app)

    _cli(app, "db", "upgrade")
    assert _current(app) == head
    _assert_kept(one_down, _snapshot(app))
    _serves_demo_shops(app, showcases)


def test_rows_from_the_first_migration_are_carried_to_head(fresh):
    app = fresh
    first, *later = _revisions(app)
    _cli(app, "db", "upgrade", first)
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO tenants (id, slug, name_zh, name_en, contact_phone, contact_email, timezone,"
                " default_locale, brand_colour, is_active) VALUES (900, 'voltmart', '伏特数码', 'VoltMart',"
                " '400-000-0000', 'service@voltmart.demo', 'Asia/Shanghai', 'zh_Hans', '#0055aa', :yes)"
            ),
            {"yes": True},
        )
        db.session.execute(
            text(
                "INSERT INTO users (id, tenant_id, email, name, role, password_hash, is_enabled)"
                " VALUES (900, 900, 'owner@voltmart.demo', '早期店长', 'owner', :hash, :yes)"
            ),
            {"hash": hash_password(DEMO_PASSWORD), "yes": True},
        )
        db.session.execute(
            text(
                "INSERT INTO audit_events (id, actor_id, action, target_type, target_id, details, ip, created_at,"
                " tenant_id) VALUES (900, 900, 'user.signed_in', 'User', '900', :details, '203.0.113.9',"
                " CURRENT_TIMESTAMP, 900)"
            ),
            {"details": '{"via": "password"}'},
        )
        db.session.commit()
        db.engine.dispose()
    before = _snapshot(app)

    for revision in later:
        _cli(app, "db", "upgrade", revision)
        assert _current(app) == revision
        _assert_kept(before, _snapshot(app))

    # At head the demo seed adopts the early shop and its owner (it may update them) instead of
    # duplicating them, and the early owner signs in to the console.
    showcases = _showcases(_cli(app, "demo", "seed"))
    after_seed = _snapshot(app)
    assert after_seed["audit_events"][(900,)]["details"] == {"via": "password"}
    _assert_kept({"audit_events": before["audit_events"]}, after_seed, more_rows=True)
    _serves_demo_shops(app, showcases)
    with app.app_context():
        assert db.session.execute(text("SELECT tenant_id FROM users WHERE email = 'owner@voltmart.demo'")).all() == [
            (900,)
        ]
        assert db.session.execute(text("SELECT id FROM tenants WHERE slug = 'voltmart'")).all() == [(900,)]


def test_downgrade_refuses_while_photos_are_processing_or_refused(fresh):
    """The older schema would serve a quarantined or refused file as a cleaned photo once upgraded again."""
    app = fresh
    revisions = _revisions(app)
    head = EVIDENCE_STATUS  # the migration whose downgrade refuses; later ones are stepped down first
    before_head = revisions[revisions.index(head) - 1]
    _cli(app, "db", "upgrade")
    _cli(app, "demo", "seed")
    if revisions[-1] != head:
        _cli(app, "db", "downgrade", head)
    with app.app_context():
        case = db.session.execute(text("SELECT id, tenant_id FROM cases ORDER BY id LIMIT 1")).one()
        for status in ("processing", "refused"):
            db.session.execute(
                text(
                    "INSERT INTO evidence (case_id, tenant_id, kind, mime, size, sha256, path, original_name,"
                    " uploaded_by, created_at, status, refusal, attempts) VALUES (:case, :tenant, 'image',"
                    " 'image/jpeg', 10, :sha, :path, 'p.jpg', 'consumer', CURRENT_TIMESTAMP, :status, '', 0)"
                ),
                {
                    "case": case.id,
                    "tenant": case.tenant_id,
                    "sha": "0" * 64,
                    "path": f"q/{status}.jpg",
                    "status": status,
                },
            )
        db.session.commit()
        db.engine.dispose()
    kept = _snapshot(app)

    result = app.test_cli_runner().invoke(args=["db", "downgrade"])
    assert result.exit_code != 0
    assert "2 evidence photo(s) are processing or refused" in result.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    assert _current(app) == head
    assert _snapshot(app) == kept

    with app.app_context():
        db.session.execute(text("UPDATE evidence SET status = 'ready' WHERE status = 'processing'"))
        db.session.execute(text("DELETE FROM evidence WHERE status = 'refused'"))
        db.session.commit()
        db.engine.dispose()
    _cli(app, "db", "downgrade")
    assert _current(app) == before_head


def test_every_downgrade_runs_back_to_an_empty_database_and_up_again(fresh):
    app = fresh
    _cli(app, "db", "upgrade")
    _cli(app, "db", "downgrade", "base")
    with app.app_context():
        with db.engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()
    _cli(app, "db", "upgrade")
    assert _current(app) == _revisions(app)[-1]
