"""case KPI facts

Per-case facts the reports count with aggregate SQL instead of loading cases (issue 16, item 8):
when the first reply and the resolution fall due, the working minutes to the first reply and
whether that was within the target, the working days to resolution, and who resolved the case;
the customer's problem words, segmented once when written (older cases' texts are segmented by the
report itself, as before, so they are not backfilled here).
Indexes for the reports' period filters on cases, surveys, SLA clocks and orders.

Existing cases are backfilled here with each shop's business calendar (opening hours from the
policy in force, the imported official holidays and 调休 days), in batches; the arithmetic is the
calendar's own, as in saas/services/kpi_facts.py.

Revision ID: c3d4e5f6a7b8
Revises: c4e8a1f2b7d3
Create Date: 2026-12-05 19:20:00.000000

"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import saas.models.base

# revision identifiers, used by Alembic.
revision = "c3d4e5f6a7b8"
down_revision = "c4e8a1f2b7d3"
branch_labels = None
depends_on = None

BATCH = 2000
RESOLUTION_WORKING_DAYS = 7


COLUMNS = (
    ("first_response_due_at", saas.models.base.UTCDateTime(timezone=True)),
    ("first_response_minutes", sa.Float()),
    ("first_response_in_time", sa.Boolean()),
    ("resolution_due_at", saas.models.base.UTCDateTime(timezone=True)),
    ("resolution_days", sa.Float()),
    ("resolved_by_id", sa.Integer()),
    ("problem_words", sa.Text()),
    ("problem_product", sa.String(length=64)),
)
INDEXES = (
    ("cases", "ix_cases_tenant_created", ["tenant_id", "created_at"]),
    ("surveys", "ix_surveys_tenant_answered", ["tenant_id", "answered_at"]),
    ("sla_clocks", "ix_sla_clocks_tenant_breached", ["tenant_id", "breached_at"]),
    ("orders", "ix_orders_tenant_purchase", ["tenant_id", "purchase_date"]),
)


def upgrade():
    # Plain ALTER TABLE, no batch mode: on SQLite a batch copies `cases` and drops the old table, and with
    # foreign keys on that drop deletes every event, survey, line and photo of every case. SQLite gets
    # resolved_by_id's foreign key by one rebuild (below), with its foreign keys off.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, type_ in COLUMNS:
        op.add_column("cases", sa.Column(name, type_, nullable=True))
    if sqlite:
        # SQLite adds a foreign key only by rebuilding the table: safe, as migrations run with its
        # foreign keys off (migrations/env.py), so dropping the old copy cascades to nothing.
        with op.batch_alter_table("cases") as batch:
            batch.create_foreign_key(
                "fk_cases_resolved_by_id_users", "users", ["resolved_by_id"], ["id"], ondelete="SET NULL"
            )
    else:
        op.create_foreign_key(
            "fk_cases_resolved_by_id_users", "cases", "users", ["resolved_by_id"], ["id"], ondelete="SET NULL"
        )
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    _backfill(op.get_bind())


def _aware(value):
    if value is None:
        return None
    if isinstance(value, str):  # SQLite without type information
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _backfill(conn):
    from tenants.calendar import BusinessCalendar
    from tenants.terms import Terms

    overrides = {}
    for day, working in conn.execute(
        sa.text("SELECT date, is_working_day FROM calendar_overrides WHERE country = 'CN'")
    ):
        overrides[date.fromisoformat(day) if isinstance(day, str) else day] = bool(working)
    years = {y for (y,) in conn.execute(sa.text("SELECT year FROM calendar_years WHERE country = 'CN'"))}
    cases = sa.table(
        "cases",
        sa.column("id"),
        sa.column("tenant_id"),
        sa.column("created_at"),
        sa.column("first_response_at"),
        sa.column("resolved_at"),
        sa.column("first_response_due_at"),
        sa.column("first_response_minutes"),
        sa.column("first_response_in_time"),
        sa.column("resolution_due_at"),
        sa.column("resolution_days"),
        sa.column("resolved_by_id"),
    )
    update = (
        cases.update()
        .where(cases.c.id == sa.bindparam("b_id"))
        .values(
            first_response_due_at=sa.bindparam("b_frd", type_=saas.models.base.UTCDateTime()),
            first_response_minutes=sa.bindparam("b_frm"),
            first_response_in_time=sa.bindparam("b_fri"),
            resolution_due_at=sa.bindparam("b_rd", type_=saas.models.base.UTCDateTime()),
            resolution_days=sa.bindparam("b_rdays"),
            resolved_by_id=sa.bindparam("b_by"),
        )
    )
    for tenant_id, tz in conn.execute(sa.text("SELECT id, timezone FROM tenants ORDER BY id")).all():
        today = datetime.now(ZoneInfo(tz)).date()
        row = conn.execute(
            sa.text(
                "SELECT terms FROM policy_versions WHERE tenant_id = :t AND status = 'published' AND effective_date <= :d "
                "ORDER BY effective_date DESC, number DESC LIMIT 1"
            ),
            {"t": tenant_id, "d": today},
        ).first()
        raw = row[0] if row else {}
        if isinstance(raw, str):
            import json

            raw = json.loads(raw)
        terms = Terms.from_dict(raw) if raw else Terms()
        cal = BusinessCalendar.from_settings(
            tz,
            terms.business_hours_start,
            terms.business_hours_end,
            country="CN",
            overrides=overrides,
            covered_override_years=years,
        )
        day_minutes = (cal.closes.hour * 60 + cal.closes.minute) - (cal.opens.hour * 60 + cal.opens.minute)
        last_id = 0
        while True:
            rows = conn.execute(
                sa.text(
                    "SELECT id, created_at, first_response_at, resolved_at FROM cases "
                    "WHERE tenant_id = :t AND id > :last ORDER BY id LIMIT :n"
                ),
                {"t": tenant_id, "last": last_id, "n": BATCH},
            ).all()
            if not rows:
                break
            last_id = rows[-1][0]
            resolvers = dict(
                conn.execute(
                    sa.text(
                        "SELECT case_id, actor_id FROM case_events WHERE case_id >= :lo AND case_id <= :hi "
                        "AND tenant_id = :t AND to_status IN ('resolved', 'rejected') ORDER BY id"
                    ),
                    {"lo": rows[0][0], "hi": last_id, "t": tenant_id},
                ).all()
            )
            params = []
            for case_id, created, replied, resolved in rows:
                created, replied, resolved = _aware(created), _aware(replied), _aware(resolved)
                p = {
                    "b_id": case_id,
                    "b_frm": None,
                    "b_fri": None,
                    "b_rdays": None,
                    "b_by": None,
                    "b_frd": cal.add_working_time(created, timedelta(minutes=terms.first_response_minutes)),
                    "b_rd": cal.add_working_days(created, RESOLUTION_WORKING_DAYS),
                }
                if replied is not None:
                    minutes = cal.working_time_between(created, replied).total_seconds() / 60
                    p["b_frm"], p["b_fri"] = round(minutes, 1), minutes <= terms.first_response_minutes
                if resolved is not None:
                    minutes = cal.working_time_between(created, resolved).total_seconds() / 60
                    p["b_rdays"], p["b_by"] = round(minutes / day_minutes, 2), resolvers.get(case_id)
                params.append(p)
            conn.execute(update, params)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("cases") as batch:  # a rebuild, with foreign keys off (migrations/env.py)
            batch.drop_constraint("fk_cases_resolved_by_id_users", type_="foreignkey")
    else:
        op.drop_constraint("fk_cases_resolved_by_id_users", "cases", type_="foreignkey")
    for name, _type in reversed(COLUMNS):  # plain ALTER TABLE (SQLite 3.35+), as in upgrade()
        op.execute(f"ALTER TABLE cases DROP COLUMN {name}")
