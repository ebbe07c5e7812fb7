"""`flask demo …`: seed the demo shops, generate synthetic load-test data (refused in production)."""

from __future__ import annotations

from datetime import UTC

import click
from flask import current_app
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")


def _refuse_in_production() -> None:
    if not current_app.config.get("DEMO_DATA"):
        raise click.ClickException(
            "Demo data is refused on this configuration: its logins share a published password. "
            "(Set ALLOW_DEMO_DATA=1 only for a throwaway benchmark database.)"
        )


@demo_cli.command("seed")
@click.option("--no-cases", is_flag=True, help="Only shops, staff and policies (no orders or cases).")
def demo_seed(no_cases: bool) -> None:
    """Create the demo tenants, logins, orders and cases (running it again changes nothing)."""
    from saas.demo.seed import DEMO_PASSWORD, seed
    from saas.extensions import db

    _refuse_in_production()
    seeded = seed(with_cases=not no_cases)
    db.session.commit()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for login in seeded.logins:
        click.echo(f"  {login.role:<10} {login.email:<28} {login.where}")
    if seeded.cases:
        click.echo("Demo cases a consumer can follow (case number + last 4 digits of the mobile):")
        for case in seeded.cases:
            click.echo(f"  {case.slug:<10} case {case.number}  track with {case.factor} at {case.track_url}")


@demo_cli.command("generate")
@click.option("--tenant", "slug", required=True, help="The tenant's slug (it must exist: see `demo seed`).")
@click.option("--cases", "count", type=click.IntRange(1), required=True, help="How many cases to add.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same data.")
@click.option(
    "--now",
    "anchor",
    type=click.DateTime(),
    default=None,
    help="End of the year the cases are spread over (UTC; default: today 00:00).",
)
def demo_generate(slug, count, seed, anchor) -> None:
    """Bulk-insert synthetic orders, cases, events, clocks, notifications and surveys (load tests)."""
    from datetime import datetime

    from sqlalchemy import select

    from saas.demo import generate as gen
    from saas.extensions import db
    from tenants.models import Tenant

    _refuse_in_production()
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.UsageError(f"no tenant {slug!r}")
    now = anchor.replace(tzinfo=UTC) if anchor else datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with click.progressbar(length=count, label=f"{slug}: cases") as bar:
        result = gen.generate(tenant, count, seed=seed, now=now, progress=bar.update)
    click.echo(", ".join(f"{name} {n}" for name, n in result.rows.items()))
